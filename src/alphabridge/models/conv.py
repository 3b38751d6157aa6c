"""DCGAN-style generator, discriminator and conv inference arm for images, holding T independent
trials like models/batched.py: every layer is a grouped convolution (groups = T), so T seeds train
in one pass and trial k equals a 1-trial model built with seed k.

Images travel through the training loop flattened, x [T, B, C*H*W] (the same interface as the
25-Gaussians MLPs, so every objective and the loop are shared); the modules reshape internally.
Sizes: 8 (digits), 28 (MNIST), 32 (CIFAR10), 64 (CelebA): the spatial size is halved by stride-2
4x4 convolutions down to a base of 2, 7, 4 or 4.
"""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn
from torch.nn import functional as F

from alphabridge.models.batched import BatchedLinear, BatchedMLP, JointDiscriminator, MLPConfig, per_trial

BASE = {8: 2, 28: 7, 32: 4, 64: 4}  # spatial size after the last down-sampling
SLOPE = 0.2  # DCGAN's LeakyReLU slope, in the conv layers and the auxiliary heads


@dataclasses.dataclass(frozen=True)
class ConvConfig:
    image_shape: tuple[int, int, int]  # (C, H, W), H == W in BASE
    z_dim: int
    channels: int  # width of the layer nearest the image; doubles at each down-sampling

    @property
    def n_up(self) -> int:
        size = self.image_shape[1]
        if size not in BASE or self.image_shape[2] != size:
            raise ValueError(f"image_shape {self.image_shape}: square images of size {sorted(BASE)} only")
        return int(math.log2(size // BASE[size]))


def _to_maps(x: torch.Tensor, shape) -> torch.Tensor:
    """[T, B, C*H*W] -> [B, T*C, H, W] (trial-major channels, as grouped convs expect)."""
    t, b = x.shape[:2]
    return x.reshape(t, b, *shape).transpose(0, 1).reshape(b, t * shape[0], *shape[1:])


def _from_maps(x: torch.Tensor, trials: int) -> torch.Tensor:
    """[B, T*C, H, W] -> [T, B, C*H*W]."""
    b = x.shape[0]
    return x.reshape(b, trials, -1).transpose(0, 1)


class GroupConv(nn.Module):
    """T independent 4x4 convolutions (transpose=True: up-sampling), DCGAN init N(0, 0.02) per trial."""

    def __init__(self, c_in: int, c_out: int, *, generators, transpose: bool, stride: int = 2, padding: int = 1):
        super().__init__()
        self.trials, self.transpose, self.stride, self.padding = len(generators), transpose, stride, padding
        shape = (c_in, c_out, 4, 4) if transpose else (c_out, c_in, 4, 4)
        w = per_trial(generators, lambda g: torch.randn(*shape, generator=g) * 0.02)
        self.weight = nn.Parameter(w.reshape(self.trials * shape[0], *shape[1:]))
        self.bias = nn.Parameter(torch.zeros(self.trials * c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = F.conv_transpose2d if self.transpose else F.conv2d
        return conv(x, self.weight, self.bias, stride=self.stride, padding=self.padding, groups=self.trials)


def _norm(channels: int, trials: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(trials * channels)  # per-channel statistics are per trial by construction


class ConvGenerator(nn.Module):
    """z [T, B, z_dim] -> x [T, B, C*H*W] in (-1, 1): linear to the base map, then 4x4 stride-2
    transposed convolutions with batch norm and ReLU, tanh output (DCGAN)."""

    def __init__(self, cfg: ConvConfig, *, generators):
        super().__init__()
        t, (c, size, _) = len(generators), cfg.image_shape
        self.trials, self.cfg = t, cfg
        widths = [cfg.channels * 2 ** k for k in reversed(range(cfg.n_up))]  # e.g. 256, 128, 64
        self.base = (widths[0], BASE[size], BASE[size])
        self.fc = BatchedLinear(cfg.z_dim, widths[0] * BASE[size] ** 2, generators=generators)
        self.fc_norm = _norm(widths[0], t)
        layers: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            layers += [GroupConv(a, b, generators=generators, transpose=True), _norm(b, t), nn.ReLU()]
        layers += [GroupConv(widths[-1], c, generators=generators, transpose=True)]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.fc_norm(_to_maps(self.fc(z), self.base)))
        return torch.tanh(_from_maps(self.net(h), self.trials))


class ConvTrunk(nn.Module):
    """x [T, B, C*H*W] -> [T, B, d_out]: 4x4 stride-2 convolutions with LeakyReLU(0.2), batch norm
    after the first (DCGAN discriminator), then a linear layer."""

    def __init__(self, cfg: ConvConfig, d_out: int, *, generators, norm: bool = True):
        super().__init__()
        t, (c, size, _) = len(generators), cfg.image_shape
        self.trials, self.shape = t, cfg.image_shape
        widths = [cfg.channels * 2 ** k for k in range(cfg.n_up)]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip([c] + widths[:-1], widths)):
            layers += [GroupConv(a, b, generators=generators, transpose=False)]
            layers += [_norm(b, t)] if (norm and i > 0) else []
            layers += [nn.LeakyReLU(SLOPE)]
        self.net = nn.Sequential(*layers)
        self.fc = BatchedLinear(widths[-1] * BASE[size] ** 2, d_out, generators=generators)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(_from_maps(self.net(_to_maps(x, self.shape)), self.trials))


class ConvEncoder(nn.Module):
    """Inference arm q_phi(z|x) = N(mean(x), diag exp(logvar(x))) on a conv trunk."""

    def __init__(self, cfg: ConvConfig, *, generators):
        super().__init__()
        self.net = ConvTrunk(cfg, 2 * cfg.z_dim, generators=generators)
        self.z_dim = cfg.z_dim

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean, logvar = self.net(x).split(self.z_dim, dim=-1)
        return mean, logvar.clamp(-12.0, 8.0)


def build_conv_models(*, cfg: ConvConfig, generators, d_spectral_norm: bool = False, encoder: bool = True):
    if d_spectral_norm:
        raise ValueError("spectral norm is implemented for the MLP discriminator only (d_reg: sn with a conv model)")
    return (ConvGenerator(cfg, generators=generators), ConvTrunk(cfg, 1, generators=generators),
            ConvEncoder(cfg, generators=generators) if encoder else None)


def build_conv_aux(kind: str, *, cfg: ConvConfig, generators) -> nn.Module:
    """The section 3.3 extra discriminator for images, with no new width to choose: the MLP width
    is D's last conv width. 'latent' g(z) is an MLP on z; 'joint' h(x, z) is a D-like conv trunk of
    x whose features are concatenated with z before an MLP head."""
    width = cfg.channels * 2 ** (cfg.n_up - 1)
    if kind == "latent":
        return BatchedMLP(cfg.z_dim, 1, cfg=MLPConfig(z_dim=cfg.z_dim, hidden=width, depth=2, leaky_slope=SLOPE), generators=generators)
    if kind == "joint":
        head = BatchedMLP(width + cfg.z_dim, 1, cfg=MLPConfig(z_dim=cfg.z_dim, hidden=width, depth=1, leaky_slope=SLOPE),
                          generators=generators)
        return JointDiscriminator(head, x_net=ConvTrunk(cfg, width, generators=generators))
    raise ValueError(f"auxiliary discriminator {kind!r}: expected 'latent' or 'joint'")
