"""Stacked datasets with 1000 modes (VEEGAN, Srivastava et al. 2017; PacGAN, Lin et al. 2018): each
image stacks three independently drawn digits as its three channels, so its mode is the triple of
classes, 100 * c0 + 10 * c1 + c2, one of 10^3."""
from __future__ import annotations

import numpy as np

N_MODES = 1000


def stack_digits(images: np.ndarray, labels: np.ndarray, *, n: int, seed: int, stream: int = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """n stacked images [n, 3, H, W] from 1-channel digits [N, 1, H, W] and their modes [n]: each channel
    an independent uniform draw (with replacement) from the given images. Deterministic in (seed, stream)."""
    if images.ndim != 4 or images.shape[1] != 1 or len(images) != len(labels):
        raise ValueError(f"stack_digits needs 1-channel images [N, 1, H, W] and N labels, got {images.shape} "
                         f"and {labels.shape}")
    idx = np.random.default_rng(np.random.SeedSequence([seed, 3, stream])).integers(len(images), size=(n, 3))
    stacked = images[idx, 0]  # [n, 3, H, W]
    modes = (100 * labels[idx[:, 0]] + 10 * labels[idx[:, 1]] + labels[idx[:, 2]]).astype(np.int64)
    return np.ascontiguousarray(stacked), modes


def stack_splits(arrays: dict, *, n_train: int, n_test: int, seed: int) -> dict:
    """A prepared stacked dataset from a prepared digit dataset: n_train stacked images from its train
    split and n_test from its test split (modes as labels, so no digit is shared across the split),
    and the digits themselves as source_* (the domain classifier learns from them)."""
    out = {f"source_{k}": v for k, v in arrays.items()}
    for stream, (split, n) in enumerate((("train", n_train), ("test", n_test))):
        out[f"{split}_images"], out[f"{split}_labels"] = stack_digits(
            arrays[f"{split}_images"], arrays[f"{split}_labels"], n=n, seed=seed, stream=stream)
    return out


def mode_of(channel_classes: np.ndarray) -> np.ndarray:
    """Modes [n] from per-channel classes [n, 3]."""
    c = np.asarray(channel_classes, dtype=np.int64)
    return 100 * c[:, 0] + 10 * c[:, 1] + c[:, 2]


def mode_coverage(modes: np.ndarray, *, n_modes: int = N_MODES) -> dict:
    """Modes covered (classes seen at least once) and KL(mode histogram || uniform), in nats: 0 when
    every mode is equally frequent, log(n_modes) when a single mode is produced."""
    counts = np.bincount(np.asarray(modes, dtype=np.int64), minlength=n_modes)
    if len(counts) > n_modes:
        raise ValueError(f"modes must be in 0..{n_modes - 1}, got {int(np.max(modes))}")
    p = counts[counts > 0] / counts.sum()
    return {"modes_covered": int((counts > 0).sum()), "kl_uniform": float((p * np.log(p * n_modes)).sum())}
