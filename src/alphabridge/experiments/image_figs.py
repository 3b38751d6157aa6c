"""Data for the image figures: Fig. 5 (samples along alpha-Bridge training) comes straight from the
saved samples; Fig. 6 needs the final models: generated images x = G(z) and their reconstructions
G(E(x)) through the transplanted inference arm, and a walk along a latent direction computed from
encoder means of labelled images (class labels for digits/MNIST, an attribute for CelebA)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from alphabridge.data.images import load_prepared, to_uint8
from alphabridge import device as dev
from alphabridge.experiments.images import image_shape, image_train_config
from alphabridge.io import atomic_path
from alphabridge.train.state import init_state, restore_checkpoint


# Figures show trial 0; every trial's arrays are computed (the models run all trials at once).


def _unit(x: np.ndarray, device, trials: int) -> torch.Tensor:
    """uint8 images -> [T, n, C*H*W] in [-1, 1], the same images for every trial."""
    return (torch.from_numpy(x.reshape(1, len(x), -1)).to(device).float() / 127.5 - 1).expand(trials, -1, -1)


def latent_direction(means: torch.Tensor, *, positive: np.ndarray, negative: np.ndarray) -> torch.Tensor:
    """Mean encoder mean of the positive images minus that of the negative ones (a 'concept vector')."""
    if not positive.any() or not negative.any():
        raise ValueError(f"latent direction needs both groups: {int(positive.sum())} positive, {int(negative.sum())} negative")
    return means[torch.from_numpy(positive)].mean(0) - means[torch.from_numpy(negative)].mean(0)


def fig6_data(*, cfg: dict, dataset: str, ckpt: Path, dataset_npz: Path, out_npz: Path, n: int = 8,
              steps: int = 7, source_class: int = 1, target_class: int = 7, attribute: str = "Smiling") -> None:
    section = cfg["images"]["runs"][dataset]
    device, _ = dev.setup(cfg)
    tcfg = image_train_config(section, method="alpha_bridge")
    c, h, w = image_shape(section)
    state = init_state(tcfg, x_dim=c * h * w, device=device)
    restore_checkpoint(state, ckpt)
    gen, enc = state.gen, state.enc
    g = torch.Generator().manual_seed(section["seed"] + 777)
    data = load_prepared(dataset_npz)
    with torch.no_grad():
        z = torch.randn(1, n, tcfg.model.z_dim, generator=g).expand(tcfg.trials, -1, -1).to(device)
        x = gen(z)
        recon = gen(enc(x)[0])  # G(E(x)) with E's mean: the inference arm inverts G
        test = _unit(data["test_images"], device, tcfg.trials)
        means = torch.cat([enc(test[:, i : i + 500])[0] for i in range(0, test.shape[1], 500)], dim=1)  # [T, n, z]
        if dataset == "celeba":
            k = list(data["attr_names"]).index(attribute)
            pos, neg, label = data["test_attrs"][:, k] == 1, data["test_attrs"][:, k] == 0, f"+{attribute}"
        else:
            labels = data["test_labels"]
            pos, neg, label = labels == target_class, labels == source_class, f"{source_class} -> {target_class}"
        d = torch.stack([latent_direction(m, positive=pos, negative=neg) for m in means])[:, None]  # [T, 1, z]
        z0 = means[:, torch.from_numpy(np.flatnonzero(neg)[:n])]  # [T, n, z]: start from negative images
        ts = torch.linspace(0, 1.5, steps, device=device)
        walk = torch.stack([gen(z0 + t * d) for t in ts], dim=2)  # [T, n, steps, D]
    with atomic_path(out_npz, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, generated=to_uint8(x.cpu()).numpy(), reconstructed=to_uint8(recon.cpu()).numpy(),
                     walk=to_uint8(walk.cpu()).numpy(),
                     steps=ts.cpu().numpy(), shape=np.array([c, h, w]), label=np.array(label))
