"""Reconstruction quality of the inference arm (section 3.3 motivates the generalisations by it):
mean |x - G(E(x))|^2 on held-out data and mean |z - E(G(z))|^2 for z ~ p(z), per trial, where
E(x) is the encoder mean. Models are rebuilt from the config stored in each checkpoint."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alphabridge import checked
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.train.checkpoint import load_checkpoint
from alphabridge.train.state import init_state, restore_state


@dataclasses.dataclass(frozen=True)
class ReconstructionSpec:
    data: GaussiansData  # the 25-Gaussians draw whose test split is the held-out x


def parse_reconstruction(raw: dict, **_) -> ReconstructionSpec:
    return ReconstructionSpec(data=checked.section(raw, "gaussians.data", GaussiansData))


def heldout_data(*, spec: ReconstructionSpec | None, images: Path | None) -> tuple[str, torch.Tensor]:
    """(experiment, held-out x): an image npz's test images scaled to [-1, 1], as the models see
    them, or else the 25-Gaussians test draw of spec.data (image models read no config key here)."""
    if images is not None:
        from alphabridge.data.images import load_prepared

        imgs = load_prepared(images)["test_images"]
        return images.stem, torch.from_numpy(imgs.reshape(len(imgs), -1).astype(np.float32) / 127.5 - 1)
    return "gaussians", make_splits(spec.data)["test"]


def reconstruction_errors(*, gen, enc, x: torch.Tensor, z: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per-trial means over samples of |x - G(E(x))|^2 and |z - E(G(z))|^2 (squared norms, summed over
    dimensions); x [T, n, x_dim], z [T, m, z_dim]."""
    with torch.no_grad():
        mean_x, _ = enc(x)
        ex = ((x - gen(mean_x)) ** 2).sum(-1).mean(1)
        mean_z, _ = enc(gen(z))
        ez = ((z - mean_z) ** 2).sum(-1).mean(1)
    return ex.cpu().numpy(), ez.cpu().numpy()


def _restore(ckpt: dict, *, path: Path, x_dim: int):
    """Rebuild (G, E) of a checkpoint from the config it was trained with."""
    from alphabridge.experiments.gaussians import train_config
    from alphabridge.experiments.images import image_train_config

    cfg, method = ckpt["config"], ckpt["method"]
    if "images" in cfg:
        (section,) = cfg["images"]["runs"].values()
        tcfg = image_train_config(section, method=method)
    else:
        tcfg = train_config(cfg["gaussians"], method=method, beta1=float(ckpt["beta1"]))
    state = restore_state(init_state(tcfg, x_dim=x_dim), ckpt, source=str(path))
    return state, tcfg


def reconstruction_rows(*, experiment: str, ckpts: list[Path], heldout: torch.Tensor, seed: int = 0) -> pd.DataFrame:
    """One row per checkpoint (e.g. end of Step I and end of Step III): mean and std over trials."""
    rows = []
    for path in ckpts:
        ck = load_checkpoint(path)
        state, tcfg = _restore(ck, path=path, x_dim=heldout.shape[-1])
        x = heldout.expand(tcfg.trials, *heldout.shape)
        g = torch.Generator().manual_seed(seed)  # the same prior draws for every model compared
        z = torch.randn(tcfg.trials, len(heldout), tcfg.model.z_dim, generator=g)
        ex, ez = reconstruction_errors(gen=state.gen, enc=state.enc, x=x, z=z)
        alive = [t for t in range(tcfg.trials) if t not in state.diverged]  # a frozen trial's models are NaN
        ex, ez = ex[alive], ez[alive]
        rows.append({"experiment": experiment, "method": ck["method"], "beta1": ck["beta1"], "step": ck["step"],
                     "iteration": state.iteration, "x_recon_mean": ex.mean(), "x_recon_std": ex.std(),
                     "z_recon_mean": ez.mean(), "z_recon_std": ez.std(), "n_trials": len(alive),
                     "n_heldout": len(heldout)})
    return pd.DataFrame(rows)
