"""Image metrics: the domain classifier (digits / MNIST), reference feature statistics per dataset,
FID and IS along training from the saved samples, and final FID / IS from a trained model.
The feature net is `eval.feature_net`: `classifier` (no download) or `inception` (pytorch-fid's)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alphabridge.data.images import load_prepared, to_unit_range
from alphabridge import device as dev
from alphabridge import methods
from alphabridge.experiments.images import image_shape, image_train_config
from alphabridge.io import atomic_path
from alphabridge.metrics import inception as inc
from alphabridge.metrics.classifier import (ClassifierArch, evaluate_accuracy, load_classifier, save_classifier,
                                            train_classifier)
from alphabridge.stages import RUNTIME, Stage
from alphabridge.train.loop import saved_keys
from alphabridge.train.sampling import generate
from alphabridge.train.schedule import step_and_alpha
from alphabridge.train.state import init_state, restore_checkpoint

METRIC_COLUMNS = ["method", "dataset", "iteration", "step", "alpha", "fid", "inception_score", "feature_net"]
IS_SPLITS = 10  # the standard split protocol of Salimans et al. (2016)


def _scored_keys(*, dataset, **_) -> list[str]:
    """Scoring samples reads the feature net's settings and the run's whole section (the final
    scores rebuild its model; the metrics label each iteration's Step from its alpha_bridge keys)."""
    return [*RUNTIME, "images.inception", f"images.runs.{dataset}"]


STAGES = (
    Stage("image_classifier", __name__, keys=lambda **_: [*RUNTIME, "images.classifier"]),
    Stage("image_ref_stats", __name__, keys=lambda **_: [*RUNTIME, "images.inception"]),
    Stage("image_metrics", __name__, keys=_scored_keys),
    Stage("image_final", __name__, keys=_scored_keys),
    Stage("image_table", __name__),
)
TABLE_COLUMNS = ["method", "inception_score", "fid", "n_samples"]  # the paper's CIFAR10 table


def device_of(cfg: dict):
    """The job's device, resolved (and logged) once from the slice's device and precision."""
    return dev.setup(cfg)[0]


def scorer(cfg: dict, *, kind: str, classifier: Path | None):
    """(feature net on the job's device, the device, the feature batch size) of a scoring job."""
    device = device_of(cfg)
    inception = cfg["images"]["inception"]
    net = feature_net(kind=kind, classifier=classifier, hub_dir=inception["hub_dir"], device=device)
    return net, device, inception["batch_size"]


def fit_classifier(*, images_npz: Path, ccfg: dict, out: Path, report: Path | None = None, device="cpu") -> dict:
    """Train the domain classifier on the train split; its test accuracy goes in its header (and,
    as JSON, to `report`)."""
    data = load_prepared(images_npz)
    if data["train_images"].shape[1] != 1:
        raise ValueError("the domain classifier is for 1-channel digits / MNIST; use feature_net: inception")
    arch = ClassifierArch(feature_dim=ccfg["feature_dim"])
    net = train_classifier(to_unit_range(data["train_images"]), data["train_labels"], epochs=ccfg["epochs"],
                           lr=ccfg["lr"], batch_size=ccfg["batch_size"], seed=ccfg["seed"], device=device, arch=arch)
    acc = evaluate_accuracy(net, to_unit_range(data["test_images"]), data["test_labels"], device=device)
    header = {"test_accuracy": acc, "n_train": len(data["train_images"]), "n_test": len(data["test_images"])}
    save_classifier(net, out, header=header)
    if report is not None:
        with atomic_path(report, suffix=".json") as tmp:
            Path(tmp).write_text(json.dumps(header, indent=1))
    return header


def feature_net(*, kind: str, classifier: Path | None, hub_dir: str, device):
    """The feature net of FID / IS: the domain classifier's file, or pytorch-fid's Inception."""
    if kind == "classifier":
        if classifier is None:
            raise ValueError("feature_net 'classifier' needs the trained classifier file")
        return load_classifier(classifier, device=device)[0]
    return inc.load_inception(hub_dir=hub_dir, device=device)


def _images(flat_uint8: np.ndarray, shape) -> torch.Tensor:
    return to_unit_range(np.ascontiguousarray(flat_uint8).reshape(len(flat_uint8), *shape))


def feature_runtime(device) -> dict:
    """What features depend on beyond the net: the device kind and, on CUDA, the float32 mode."""
    p = dev.describe_precision()
    if torch.device(device).type != "cuda":
        return {"device": torch.device(device).type}
    return {"device": "cuda", "fp32_conv": p["fp32_conv"], "fp32_matmul": p["fp32_matmul"]}


def load_reference(path: Path, *, device) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of reference statistics computed under this job's device and numerics: an FID
    never compares features computed under two runtimes (pytorch-fid's own files carry no record)."""
    mu, sigma, meta = inc.load_stats(path)
    here = feature_runtime(device)
    if "runtime" in meta and meta["runtime"] != here:
        raise ValueError(f"reference statistics {path} were computed under {meta['runtime']}, these features under "
                         f"{here}: delete {path} to recompute them here, or set device/precision as they were")
    return mu, sigma


def reference_stats(*, images_npz: Path, net, out: Path, meta: dict, batch_size: int, device) -> None:
    """Feature mean / covariance of the real test images (computed once per dataset and net)."""
    test = to_unit_range(load_prepared(images_npz)["test_images"])
    feats, _ = inc.activations(net, test, batch_size=batch_size, device=device)
    mu, sigma = inc.statistics(feats)
    inc.save_stats(out, mu=mu, sigma=sigma, meta={**meta, "n": len(test), "runtime": feature_runtime(device)})


def score(images: torch.Tensor, *, net, ref: tuple, batch_size: int, device) -> tuple[float, float]:
    """(FID against the reference statistics, mean IS over IS_SPLITS splits)."""
    feats, logits = inc.activations(net, images, batch_size=batch_size, device=device)
    mu, sigma = inc.statistics(feats)
    return inc.frechet_distance(mu, sigma, ref[0], ref[1]), inc.inception_score(logits, splits=IS_SPLITS)[0]


def metrics_along_training(*, samples_npz: Path, section: dict, dataset: str, method: str, net, ref_stats: Path,
                           batch_size: int, device) -> pd.DataFrame:
    """FID / IS of trial 0's saved samples at every saved iteration (one row per iteration)."""
    shape = image_shape(section)
    ref = load_reference(ref_stats, device=device)
    rows = []
    with np.load(samples_npz) as npz:
        dead = int(npz["diverged_at"][0]) if "diverged_at" in npz.files else 0  # trial 0's first bad iteration
        for key in saved_keys(npz.files):
            it = int(key[2:])
            if dead and it >= dead:  # uint8 samples cannot hold NaN: the mark says they are void
                fid, is_ = float("nan"), float("nan")
            else:
                fid, is_ = score(_images(npz[key][0], shape), net=net, ref=ref, batch_size=batch_size, device=device)
            step, alpha = step_and_alpha(it, section["alpha_bridge"] if methods.get(method).steps else None)
            rows.append({"method": method, "dataset": dataset, "iteration": it, "step": step, "alpha": alpha,
                         "fid": fid, "inception_score": is_, "feature_net": section["eval"]["feature_net"]})
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def final_scores(*, cfg: dict, dataset: str, method: str, ckpt: Path, n_samples: int, net, ref_stats: Path,
                 batch_size: int, device) -> dict:
    """FID / IS of n_samples fresh images from the final model (trial 0), as the paper's table;
    `device` is where `net` lives (the job's, resolved once by the caller)."""
    section = cfg["images"]["runs"][dataset]
    c, h, w = image_shape(section)
    tcfg = image_train_config(section, method=method)
    state = init_state(tcfg, x_dim=c * h * w, device=device)
    if 0 in restore_checkpoint(state, ckpt).get("diverged", {}):
        return {"method": method, "inception_score": float("nan"), "fid": float("nan"), "n_samples": n_samples}
    z = torch.randn(tcfg.trials, n_samples, tcfg.model.z_dim, generator=torch.Generator().manual_seed(4242))
    x = generate(state.gen, z.to(device), as_uint8=True)[0]
    fid, is_ = score(_images(x, (c, h, w)), net=net, ref=load_reference(ref_stats, device=device),
                     batch_size=batch_size, device=device)
    return {"method": method, "inception_score": is_, "fid": fid, "n_samples": n_samples}


def final_table_row(*, cfg: dict, dataset: str, method: str, ckpt: Path, net, ref_stats: Path, batch_size: int,
                    device) -> pd.DataFrame:
    """final_scores of the run's eval.final_samples images, as a one-row table."""
    n = cfg["images"]["runs"][dataset]["eval"]["final_samples"]
    return pd.DataFrame([final_scores(cfg=cfg, dataset=dataset, method=method, ckpt=ckpt, n_samples=n, net=net,
                                      ref_stats=ref_stats, batch_size=batch_size, device=device)])
