"""Image experiments (section 5.2-5.3): the same Steps, segments and training loop as 25-Gaussians,
with a prepared image dataset and a conv (or MLP) model swapped in by config. Nothing here trains
differently; it only maps an `images.runs.<dataset>` config slice onto the shared functions."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from alphabridge import methods
from alphabridge.data.images import image_shape, load_prepared
from alphabridge.experiments.gaussians import forgetting_spec, run_spec, train_config
from alphabridge.models.batched import MLPConfig
from alphabridge.models.conv import ConvConfig
from alphabridge.train.run import ForgettingSpec, RunSpec, forgetting_runs, run_training

IMAGE_METHODS = methods.of("images")


def _section(raw: dict) -> dict:
    (section,) = raw["images"]["runs"].values()
    return section


def parse_train(raw: dict, *, method: str, step: str, **_) -> RunSpec:
    """The image_train stage's slice (one runs.<dataset> section) -> the run's spec."""
    s = _section(raw)
    if method not in IMAGE_METHODS:
        raise ValueError(f"image method {method!r}: expected one of {IMAGE_METHODS}")
    return _bn(run_spec(raw, s, method=method, beta1=s["beta1"], step=step, model=model_config(s), sample_uint8=True),
               s)


def parse_fig1(raw: dict, **_) -> ForgettingSpec:
    """The image_fig1_data stage's slice -> Fig. 1's spec."""
    return _bn(forgetting_spec(raw, _section(raw), model=model_config(_section(raw)), sample_uint8=True), _section(raw))


def _bn(spec, section: dict):
    """The spec with its TrainConfig's bn_stats from eval.bn_stats."""
    return dataclasses.replace(spec, train=_bn_stats(spec.train, section))


def _bn_stats(tcfg, section: dict):
    """The shared TrainConfig with eval.bn_stats, which only the image runs have (only they have BatchNorm)."""
    return dataclasses.replace(tcfg, bn_stats=section["eval"]["bn_stats"])


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
    return _bn_stats(train_config(section, method=method, beta1=section["beta1"], model=model_config(section),
                                  sample_uint8=True), section)


def _x_dim(raw: dict) -> int:
    c, h, w = image_shape(_section(raw))
    return c * h * w


def image_train_step(*, spec: RunSpec, dataset_npz: Path, in_ckpt: Path | None, out_ckpt: Path,
                     samples_out: Path | None, resume_path: Path | None, progress: bool = True) -> None:
    run_training(spec=spec, train=_train_images(dataset_npz), x_dim=_x_dim(spec.raw), in_ckpt=in_ckpt,
                 out_ckpt=out_ckpt, samples_out=samples_out, resume_path=resume_path, progress=progress)


def image_forgetting_demo(*, spec: ForgettingSpec, dataset_npz: Path, step1_ckpt: Path, out_npz: Path) -> None:
    """Fig. 1 on images: plain reverse-KL fine-tuning vs alpha-Bridge from the same Step I model."""
    forgetting_runs(spec=spec, train=_train_images(dataset_npz), x_dim=_x_dim(spec.raw),
                    step1_ckpt=step1_ckpt, out_npz=out_npz)
