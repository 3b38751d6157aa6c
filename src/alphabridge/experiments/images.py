"""Image experiments (section 5.2-5.3): the same Steps, segments and training loop as 25-Gaussians,
with a prepared image dataset and a conv (or MLP) model swapped in by config. Nothing here trains
differently; it only maps an `images.runs.<dataset>` config slice onto the shared functions."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from alphabridge.config import from_dict
from alphabridge.data.images import ImageDataConfig, load_prepared
from alphabridge.experiments.gaussians import forgetting_runs, run_training, segment, train_config
from alphabridge.models.batched import MLPConfig
from alphabridge.models.conv import ConvConfig

IMAGE_METHODS = ("alpha_bridge", "alpha_bridge_marginals", "alpha_bridge_joint", "dcgan")


def data_config(section: dict) -> ImageDataConfig:
    return from_dict(ImageDataConfig, section["data"])


def image_shape(section: dict) -> tuple[int, int, int]:
    d = section["data"]
    channels = 3 if d["name"] in ("cifar10", "celeba") else 1
    return channels, d["image_size"], d["image_size"]


def model_config(section: dict):
    """`model.kind`: dcgan (conv G/D/E for the image size) or mlp (on flattened pixels)."""
    m = dict(section["model"])
    kind = m.pop("kind")
    if kind == "dcgan":
        return ConvConfig(image_shape=image_shape(section), z_dim=m["z_dim"], channels=m["channels"])
    if kind == "mlp":
        return MLPConfig(z_dim=m["z_dim"], hidden=m["hidden"], depth=m["depth"], leaky_slope=m["leaky_slope"])
    raise ValueError(f"images model.kind: {kind!r} is not one of dcgan, mlp")


def _train_images(dataset_npz: Path) -> torch.Tensor:
    """uint8 [N, C*H*W]: the loop draws minibatches from it and scales them to [-1, 1] per batch."""
    imgs = load_prepared(dataset_npz)["train_images"]
    return torch.from_numpy(np.ascontiguousarray(imgs.reshape(len(imgs), -1)))


def image_train_config(section: dict, *, method: str):
    if method not in IMAGE_METHODS:
        raise ValueError(f"image method {method!r}: expected one of {IMAGE_METHODS}")
    return train_config(section, method=method, beta1=section["beta1"], model=model_config(section),
                        sample_uint8=True)


def image_train_step(*, cfg: dict, dataset: str, dataset_npz: Path, method: str, step: str, in_ckpt: Path | None,
                     out_ckpt: Path, samples_out: Path | None, resume_path: Path | None, progress: bool = True):
    section = cfg["images"]["runs"][dataset]
    c, h, w = image_shape(section)
    run_training(cfg=cfg, method=method, beta1=section["beta1"], step=step,
                 tcfg=image_train_config(section, method=method),
                 seg=segment(section, gamma=cfg.get("gamma"), method=method, step=step),
                 train=_train_images(dataset_npz), x_dim=c * h * w, in_ckpt=in_ckpt, out_ckpt=out_ckpt,
                 samples_out=samples_out, resume_path=resume_path, progress=progress)


def image_forgetting_demo(*, cfg: dict, dataset: str, dataset_npz: Path, step1_ckpt: Path, out_npz: Path) -> None:
    """Fig. 1 on images: plain reverse-KL fine-tuning vs alpha-Bridge from the same Step I model."""
    section = cfg["images"]["runs"][dataset]
    c, h, w = image_shape(section)
    forgetting_runs(cfg=cfg, g=section, tcfg=image_train_config(section, method="alpha_bridge"),
                    train=_train_images(dataset_npz), x_dim=c * h * w, step1_ckpt=step1_ckpt, out_npz=out_npz)


def fig5_columns(section: dict, *, saved: list[str]) -> list[tuple[str, str]]:
    """Fig. 5's columns: end of Step I, 1/4, 1/2, 3/4 and end of Step II, end of Step III; each the
    saved iteration nearest to it. Returns (title, npz key)."""
    ab = section["alpha_bridge"]
    n1, n2, n3 = ab["step1_iters"], ab["step2_iters"], ab["step3_iters"]
    targets = [("end of Step I", n1)] + [(f"Step II, {q:.0%}", n1 + round(q * n2)) for q in (0.25, 0.5, 0.75)] + [
        ("end of Step II", n1 + n2), ("end of Step III", n1 + n2 + n3)]
    its = sorted(int(k[2:]) for k in saved)
    out = []
    for title, t in targets:
        it = min(its, key=lambda i: abs(i - t))
        out.append((f"{title}\n(it {it})", f"it{it}"))
    return out
