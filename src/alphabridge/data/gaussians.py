"""The 25-Gaussians benchmark: 25 equal-weight isotropic modes on a grid (VEEGAN / PacGAN)."""
from __future__ import annotations

import dataclasses

import torch


@dataclasses.dataclass(frozen=True)
class GaussiansData:
    """gaussians.data of the config (no defaults here: config/config.yaml holds them)."""

    grid: tuple[float, ...]
    std: float
    n_train: int
    n_val: int
    n_test: int
    seed: int


def grid_means(grid) -> torch.Tensor:
    """[K, 2] mode centres, row-major over the grid (K = len(grid)^2)."""
    g = torch.as_tensor(grid, dtype=torch.float32)
    return torch.cartesian_prod(g, g)


def sample_mixture(n: int, *, means: torch.Tensor, std: float, generator: torch.Generator) -> torch.Tensor:
    """n draws from the equal-weight mixture of N(mean_k, std^2 I)."""
    k = torch.randint(len(means), (n,), generator=generator)
    return means[k] + std * torch.randn(n, means.shape[1], generator=generator)


def make_splits(cfg: GaussiansData) -> dict[str, torch.Tensor]:
    """Independent real draws: train (minibatches come from here), val (KDE bandwidth), test (KDE score)."""
    gen = torch.Generator().manual_seed(cfg.seed)
    means = grid_means(cfg.grid)
    return {
        "means": means,
        "train": sample_mixture(cfg.n_train, means=means, std=cfg.std, generator=gen),
        "val": sample_mixture(cfg.n_val, means=means, std=cfg.std, generator=gen),
        "test": sample_mixture(cfg.n_test, means=means, std=cfg.std, generator=gen),
    }
