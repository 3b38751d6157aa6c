"""Data for the image figures: Fig. 5 (samples along alpha-Bridge training) comes straight from the
saved samples; Fig. 6 needs the final models: generated images x = G(z) and their reconstructions
G(E(x)) through the transplanted inference arm, and a walk along a latent direction computed from
encoder means of labelled images (class labels for digits/MNIST, an attribute for CelebA)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from alphabridge import checked
from alphabridge.data.images import load_prepared, to_uint8
from alphabridge.experiments.image_specs import run_shape
from alphabridge.experiments.images import image_train_config
from alphabridge.io import atomic_path
from alphabridge.runtime import Runtime, parse_runtime, setup
from alphabridge.train.state import TrainConfig, init_state, restore_checkpoint


# Figures show trial 0; every trial's arrays are computed (the models run all trials at once).


@dataclasses.dataclass(frozen=True)
class Fig6Spec:
    """image_fig6_data: the final alpha-Bridge model of one images.runs.<dataset>, and where it runs."""

    runtime: Runtime
    train: TrainConfig  # the model, rebuilt as it was trained (the training path's own builder reads it)
    shape: tuple[int, int, int]  # (C, H, W)
    seed: int  # the run's seed: the latent draws are seeded from it


def parse_fig6(raw: dict, *, dataset: str, **_) -> Fig6Spec:
    s = f"images.runs.{dataset}"
    return Fig6Spec(runtime=parse_runtime(raw), train=image_train_config(checked.at(raw, s), method="alpha_bridge"),
                    shape=run_shape(raw, s), seed=checked.value(raw, f"{s}.seed", int))


def _unit(x: np.ndarray, device, trials: int) -> torch.Tensor:
    """uint8 images -> [T, n, C*H*W] in [-1, 1], the same images for every trial."""
    return (torch.from_numpy(x.reshape(1, len(x), -1)).to(device).float() / 127.5 - 1).expand(trials, -1, -1)


def latent_direction(means: torch.Tensor, *, positive: np.ndarray, negative: np.ndarray) -> torch.Tensor:
    """Mean encoder mean of the positive images minus that of the negative ones (a 'concept vector')."""
    if not positive.any() or not negative.any():
        raise ValueError(f"latent direction needs both groups: {int(positive.sum())} positive, {int(negative.sum())} negative")
    return means[torch.from_numpy(positive)].mean(0) - means[torch.from_numpy(negative)].mean(0)


def fig6_data(*, spec: Fig6Spec, dataset: str, ckpt: Path, dataset_npz: Path, out_npz: Path, n: int = 8,
              steps: int = 7, source_class: int = 1, target_class: int = 7, attribute: str = "Smiling") -> None:
    device, tcfg, (c, h, w) = setup(spec.runtime), spec.train, spec.shape
    state = init_state(tcfg, x_dim=c * h * w, device=device)
    restore_checkpoint(state, ckpt)
    gen, enc = state.gen, state.enc
    g = torch.Generator().manual_seed(spec.seed + 777)
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
