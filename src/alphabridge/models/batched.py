"""MLPs that hold T independent parameter sets and run them in one pass (batched matmuls).

Inputs and outputs carry a leading trial axis: x [T, B, d]. Trial k is initialised from its own
generator, so a T-trial model equals T single-trial models built with the same seeds; losses are
summed over trials, so each trial's parameters get exactly their own gradient.
"""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn
from torch.nn import functional as F


@dataclasses.dataclass(frozen=True)
class MLPConfig:
    z_dim: int
    hidden: int
    depth: int  # hidden layers
    leaky_slope: float


def per_trial(generators, fn) -> torch.Tensor:
    """Stack fn(generator) over trials: every random draw is per trial, so trial k's stream does
    not depend on how many other trials run beside it."""
    return torch.stack([fn(g) for g in generators])


class BatchedLinear(nn.Module):
    """y = x W + b per trial; PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)) drawn per trial.

    spectral_norm=True divides W by its largest singular value, estimated per trial by one power
    iteration per training-mode forward (Miyato et al. 2018, as torch's spectral_norm does)."""

    def __init__(self, d_in: int, d_out: int, *, generators, spectral_norm: bool = False):
        super().__init__()
        bound = 1.0 / math.sqrt(d_in)
        self.weight = nn.Parameter(per_trial(generators, lambda g: (torch.rand(d_in, d_out, generator=g) * 2 - 1) * bound))
        self.bias = nn.Parameter(per_trial(generators, lambda g: (torch.rand(1, d_out, generator=g) * 2 - 1) * bound))
        self.spectral_norm = spectral_norm
        if spectral_norm:
            self.register_buffer("sn_u", F.normalize(per_trial(generators, lambda g: torch.randn(d_out, generator=g)), dim=-1))
            self.register_buffer("sn_v", F.normalize(per_trial(generators, lambda g: torch.randn(d_in, generator=g)), dim=-1))

    def effective_weight(self) -> torch.Tensor:
        w = self.weight
        if not self.spectral_norm:
            return w
        if self.training:
            with torch.no_grad():
                v = F.normalize(torch.einsum("tio,to->ti", w, self.sn_u), dim=-1)
                u = F.normalize(torch.einsum("tio,ti->to", w, v), dim=-1)
                self.sn_u.copy_(u)
                self.sn_v.copy_(v)
        # clones: a later forward updates the buffers in place, which must not touch this graph
        sigma = torch.einsum("ti,tio,to->t", self.sn_v.clone(), w, self.sn_u.clone())
        return w / sigma[:, None, None]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.effective_weight())


class BatchedMLP(nn.Module):
    def __init__(self, d_in: int, d_out: int, *, cfg: MLPConfig, generators, spectral_norm: bool = False):
        super().__init__()
        dims = [d_in] + [cfg.hidden] * cfg.depth + [d_out]
        self.layers = nn.ModuleList(
            BatchedLinear(a, b, generators=generators, spectral_norm=spectral_norm) for a, b in zip(dims[:-1], dims[1:])
        )
        self.slope = cfg.leaky_slope

    @property
    def trials(self) -> int:
        return self.layers[0].weight.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = F.leaky_relu(layer(x), self.slope)
        return self.layers[-1](x)


class GaussianEncoder(nn.Module):
    """Inference arm q_phi(z|x) = N(mean(x), diag exp(logvar(x))), reparameterised."""

    def __init__(self, x_dim: int, *, cfg: MLPConfig, generators):
        super().__init__()
        self.net = BatchedMLP(x_dim, 2 * cfg.z_dim, cfg=cfg, generators=generators)
        self.z_dim = cfg.z_dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.net(x).split(self.z_dim, dim=-1)
        return mean, logvar.clamp(-12.0, 8.0)  # keeps exp(logvar) finite early in training


def build_models(*, x_dim: int, cfg: MLPConfig, generators, d_spectral_norm: bool = False, encoder: bool = True):
    """(G, D, E) for T = len(generators) trials; the draw order is fixed so seeds reproduce."""
    g = BatchedMLP(cfg.z_dim, x_dim, cfg=cfg, generators=generators)
    d = BatchedMLP(x_dim, 1, cfg=cfg, generators=generators, spectral_norm=d_spectral_norm)
    e = GaussianEncoder(x_dim, cfg=cfg, generators=generators) if encoder else None
    return g, d, e


class JointDiscriminator(nn.Module):
    """h(x, z) -> [T, B, 1] for the both-joints generalisation: features of x (the identity for
    vectors, a conv trunk for images) concatenated with z, then an MLP head."""

    def __init__(self, head: nn.Module, x_net: nn.Module | None = None):
        super().__init__()
        self.head = head
        self.x_net = x_net if x_net is not None else nn.Identity()

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.x_net(x), z], dim=-1))


def build_aux(kind: str, *, x_dim: int, cfg: MLPConfig, generators) -> nn.Module:
    """The extra discriminator of a section 3.3 generalisation, shaped like D: 'latent' g(z) on z,
    'joint' h(x, z) on the concatenated pair."""
    if kind == "latent":
        return BatchedMLP(cfg.z_dim, 1, cfg=cfg, generators=generators)
    if kind == "joint":
        return JointDiscriminator(BatchedMLP(x_dim + cfg.z_dim, 1, cfg=cfg, generators=generators))
    raise ValueError(f"auxiliary discriminator {kind!r}: expected 'latent' or 'joint'")
