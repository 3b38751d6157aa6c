"""Drawing samples from a generator, well defined whatever the chunk size.

Generators sample with BatchNorm in **eval mode** (running statistics). A sample is then a function
of its own z alone, so a metric over N samples does not depend on how many are drawn at once (in
train mode each sample is normalised by its chunk's statistics: a 50K-sample FID drawn in chunks of
4096 would differ from one drawn in chunks of 1000), and drawing leaves the running statistics as
they were (a train-mode forward pass updates them, even under no_grad). Training still normalises
with batch statistics; every module's mode is restored on exit. Generators without BatchNorm (the
25-Gaussians MLPs) give the same samples in either mode."""
from __future__ import annotations

import contextlib

import numpy as np
import torch

from alphabridge.choices import BN_STATS, one_of


@contextlib.contextmanager
def eval_mode(*nets: torch.nn.Module):
    """Every module of `nets` in eval mode for the block, then back to the mode it was in."""
    mods = [m for n in nets for m in n.modules()]
    was = [m.training for m in mods]
    try:
        for n in nets:
            n.eval()
        yield
    finally:
        for m, t in zip(mods, was):
            m.training = t


def generate(gen, z: torch.Tensor, *, as_uint8: bool = False, chunk: int = 4096) -> np.ndarray:
    """G(z) for z [T, n, z_dim] in chunks of n (bounded memory for images) -> numpy [T, n, x_dim];
    in eval mode, so the result does not depend on `chunk`."""
    with eval_mode(gen), torch.no_grad():
        x = torch.cat([gen(z[:, i : i + chunk]) for i in range(0, z.shape[1], chunk)], dim=1).float()
    if as_uint8:
        return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()
    return x.cpu().numpy()


def prior_batchnorm_stats(gen, z: torch.Tensor, *, batch_size: int) -> int:
    """Re-estimate G's BatchNorm running statistics from prior draws z [T, n, z_dim] alone; returns
    the number of BatchNorm layers re-estimated (0: nothing to do, e.g. the 25-Gaussians MLPs).

    Why: while alpha-Bridge trains, G's running statistics average every train-mode pass, and those
    mix posterior-z batches (the ELBO, Step II's importance-weighted term) with prior-z batches (D's
    fakes), while samples are drawn in eval mode from the prior. Here the statistics are reset, then
    averaged with equal weight (momentum None) over train-mode passes of z in training-sized batches,
    as Ioffe & Szegedy's inference statistics prescribe; the old momentum comes back. Training never
    reads running statistics (train mode normalises by its batch), so this changes what is sampled
    and nothing that is learnt."""
    norms = [m for m in gen.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return 0
    momenta, was = [m.momentum for m in norms], [m.training for m in norms]
    try:
        for m in norms:
            m.reset_running_stats()
            m.momentum = None
            m.train()
        with torch.no_grad():
            for i in range(0, z.shape[1], batch_size):
                gen(z[:, i : i + batch_size])
    finally:
        for m, momentum, training in zip(norms, momenta, was):
            m.momentum, m.training = momentum, training
    return len(norms)


def sample(gen, z: torch.Tensor, *, bn_stats: str, batch_size: int, as_uint8: bool = False) -> np.ndarray:
    """generate(gen, z) with G's BatchNorm statistics as `bn_stats` says: 'running' as training left
    them, 'prior' re-estimated from z first (prior_batchnorm_stats, in batches of batch_size)."""
    one_of("bn_stats", bn_stats, BN_STATS)
    if bn_stats == "prior":
        prior_batchnorm_stats(gen, z, batch_size=batch_size)
    return generate(gen, z, as_uint8=as_uint8)
