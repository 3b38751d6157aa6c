"""25-Gaussians experiment: config slice -> training segments, step runs, and the metrics table."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from alphabridge.config import GammaConfig, from_dict
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.io import atomic_path
from alphabridge.models.batched import MLPConfig
from alphabridge.objectives import WeightOptions
from alphabridge.train.checkpoint import load_checkpoint, save_checkpoint
from alphabridge.train.loop import Segment, TrainConfig, eval_noise, init_state, restore_state, run_segment, samples_array, state_payload
from alphabridge.train.schedule import alpha_at

METHODS = ("alpha_bridge", "rkl_gp", "rkl_sn")


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("config device: 'cuda' but torch sees no CUDA device (use 'auto' or 'cpu')")
    return torch.device(name)


def train_config(g: dict, *, method: str, beta1: float) -> TrainConfig:
    """Reads the shared sections plus the method's discriminator regulariser, nothing else."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if method == "rkl_gp":
        d_reg, gp_weight = "gp", g["rkl_gp"]["gp_weight"]
    elif method == "rkl_sn":
        d_reg, gp_weight = "sn", 0.0
    else:
        d_reg, gp_weight = g["alpha_bridge"]["d_reg"], g["alpha_bridge"]["gp_weight"]
    return TrainConfig(
        trials=g["trials"], seed=g["seed"], lr=g["optim"]["lr"], beta1=beta1, beta2=g["optim"]["beta2"],
        batch_size=g["optim"]["batch_size"], eval_every=g["eval"]["every"], n_eval=g["eval"]["n_samples"],
        save_every=g["save_every"], model=from_dict(MLPConfig, g["model"]), d_reg=d_reg, gp_weight=gp_weight,
    )


def segment(g: dict, *, gamma: dict | None, method: str, step: str) -> Segment:
    """The Segment of one Step; reads only that Step's keys (so the rules can pass just those)."""
    if method != "alpha_bridge":
        if step != "-":
            raise ValueError(f"method {method} trains in one run (step '-'), not step {step!r}")
        return Segment(name="-", kind="rkl", iters=g[method]["iters"], train_encoder=False)
    ab = g["alpha_bridge"]
    common = dict(sigma=ab["sigma"], update_order=ab["update_order"])
    if step == "I":
        return Segment(name="I", kind="ml", iters=ab["step1_iters"], **common)
    if step == "II":
        return Segment(name="II", kind="bridge", iters=ab["step2_iters"], schedule=ab["schedule"],
                       gamma=from_dict(GammaConfig, gamma),
                       weights=WeightOptions(clamp_logw=ab["clamp_logw"], self_normalize=ab["self_normalize"]),
                       **common)
    if step == "III":
        return Segment(name="III", kind="rkl", iters=ab["step3_iters"], **common)
    raise ValueError(f"alpha_bridge has steps I, II, III, not {step!r}")


def step_and_alpha(iteration: int, g: dict, *, method: str) -> tuple[str, float | None]:
    """Which Step produced the samples saved after `iteration` updates, and the last alpha used."""
    if method != "alpha_bridge":
        return "-", None
    ab = g["alpha_bridge"]
    n1, n2 = ab["step1_iters"], ab["step2_iters"]
    if iteration <= n1:
        return "I", 0.0
    if iteration <= n1 + n2:
        return "II", alpha_at(iteration - n1 - 1, n2, kind=ab["schedule"])
    return "III", 1.0


def _fingerprint(cfg: dict, *parts) -> str:
    h = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode())
    for p in parts:
        h.update(str(p).encode())
    return h.hexdigest()[:16]


def train_step(*, cfg: dict, method: str, beta1: float, step: str, in_ckpt: Path | None, out_ckpt: Path,
               samples_out: Path | None, resume_path: Path | None, progress: bool = True) -> None:
    """Run one Step (alpha_bridge) or the whole run (baselines, step '-') and write its checkpoint.
    The checkpoint carries every sample saved so far, so the last one holds the whole curve."""
    g = cfg["gaussians"]
    device = resolve_device(cfg["device"])
    tcfg = train_config(g, method=method, beta1=beta1)
    seg = segment(g, gamma=cfg.get("gamma"), method=method, step=step)
    data = make_splits(from_dict(GaussiansData, g["data"]))
    state = init_state(tcfg, device=device)
    in_hash = ""
    if in_ckpt is not None:
        ck = load_checkpoint(in_ckpt, map_location=device)
        restore_state(state, ck, source=str(in_ckpt))
        in_hash = ck.get("fingerprint", "")
    fp = _fingerprint(cfg, method, beta1, step, in_hash)
    run_segment(state, seg=seg, cfg=tcfg, train=data["train"].to(device), eval_z=eval_noise(tcfg, device=device),
                resume_path=resume_path, fingerprint=fp, progress=progress)
    save_checkpoint({"fingerprint": fp, "method": method, "beta1": beta1, "step": step, "config": cfg,
                     "torch": torch.__version__, "device": str(device), **state_payload(state)}, out_ckpt)
    if samples_out is not None:
        with atomic_path(samples_out, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **samples_array(state.samples))
    if resume_path is not None and Path(resume_path).exists():
        Path(resume_path).unlink()  # the finished checkpoint supersedes it


def forgetting_demo(*, cfg: dict, step1_ckpt: Path, out_npz: Path) -> None:
    """Fig. 1: from the same Step I (ML) checkpoint, (a) plain reverse-KL adversarial fine-tuning
    (eq. 7 against the pre-trained discriminator, no regulariser) and (b) the first iterations of
    alpha-Bridge's Step II, with samples after every iteration listed in fig1.snapshots."""
    g = cfg["gaussians"]
    f1 = g["fig1"]
    device = resolve_device(cfg["device"])
    data = make_splits(from_dict(GaussiansData, g["data"]))
    tcfg = dataclasses.replace(train_config(g, method="alpha_bridge", beta1=f1["beta1"]), eval_every=1)
    ck = load_checkpoint(step1_ckpt, map_location=device)
    bridge = segment(g, gamma=cfg["gamma"], method="alpha_bridge", step="II")
    runs = {"rkl": Segment(name="RKL fine-tune", kind="rkl", iters=f1["finetune_iters"], train_encoder=False),
            "bridge": bridge}
    out = {}
    n = max(f1["snapshots"])
    for name, seg in runs.items():
        state = restore_state(init_state(tcfg, device=device), ck, source=str(step1_ckpt))
        start, ez = state.iteration, eval_noise(tcfg, device=device)
        with torch.no_grad():
            state.samples = {start: state.gen(ez).float().cpu().numpy()}
        run_segment(state, seg=seg, cfg=tcfg, train=data["train"].to(device), eval_z=ez, progress=False, max_iters=n)
        for k in f1["snapshots"]:
            out[f"{name}_it{k}"] = np.asarray(state.samples[start + k], dtype=np.float32)
    with atomic_path(out_npz, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **out)
