"""25-Gaussians experiment: config slice -> training segments, step runs, and the metrics table."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from alphabridge import device as dev
from alphabridge.config import AB_METHODS, GammaConfig, from_dict
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.io import atomic_path
from alphabridge.models.batched import MLPConfig
from alphabridge.objectives import WeightOptions
from alphabridge.provenance import write_sidecar
from alphabridge.train.checkpoint import save_checkpoint
from alphabridge.train.loop import Segment, generate, run_segment, samples_array
from alphabridge.train.schedule import alpha_at
from alphabridge.train.state import TrainConfig, eval_noise, init_state, restore_checkpoint, state_payload

AUX = {"alpha_bridge": "none", "alpha_bridge_marginals": "latent", "alpha_bridge_joint": "joint"}
METHODS = AB_METHODS + ("rkl_gp", "rkl_sn", "dcgan")


def train_config(g: dict, *, method: str, beta1: float, model=None, sample_uint8: bool = False) -> TrainConfig:
    """Reads the shared sections plus the method's discriminator regulariser, nothing else.
    `model` overrides the MLP built from g['model'] (the image experiments pass a conv config)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if method == "rkl_gp":
        d_reg, gp_weight = "gp", g["rkl_gp"]["gp_weight"]
    elif method == "rkl_sn":
        d_reg, gp_weight = "sn", 0.0
    elif method == "dcgan":
        d_reg, gp_weight = "none", 0.0
    else:
        d_reg, gp_weight = g["alpha_bridge"]["d_reg"], g["alpha_bridge"]["gp_weight"]
    return TrainConfig(
        trials=g["trials"], seed=g["seed"], lr=g["optim"]["lr"], beta1=beta1, beta2=g["optim"]["beta2"],
        batch_size=g["optim"]["batch_size"], eval_every=g["eval"]["every"], n_eval=g["eval"]["n_samples"],
        save_every=g["save_every"], model=model or from_dict(MLPConfig, g["model"]), d_reg=d_reg, gp_weight=gp_weight,
        sample_uint8=sample_uint8, aux=AUX.get(method, "none"),
    )


def segment(g: dict, *, gamma: dict | None, method: str, step: str) -> Segment:
    """The Segment of one Step; reads only that Step's keys (so the rules can pass just those)."""
    if method not in AB_METHODS:
        if step != "-":
            raise ValueError(f"method {method} trains in one run (step '-'), not step {step!r}")
        kind = "ns" if method == "dcgan" else "rkl"
        return Segment(name="-", kind=kind, iters=g[method]["iters"], train_encoder=False)
    ab = g["alpha_bridge"]
    if method != "alpha_bridge" and ab["update_order"] != "joint":
        raise ValueError(f"{method} updates theta and phi jointly; alpha_bridge.update_order "
                         f"{ab['update_order']!r} applies to alpha_bridge only")
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
    if method not in AB_METHODS:
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
    data = make_splits(from_dict(GaussiansData, g["data"]))
    run_training(cfg=cfg, method=method, beta1=beta1, step=step, tcfg=train_config(g, method=method, beta1=beta1),
                 seg=segment(g, gamma=cfg.get("gamma"), method=method, step=step), train=data["train"], x_dim=2,
                 in_ckpt=in_ckpt, out_ckpt=out_ckpt, samples_out=samples_out, resume_path=resume_path,
                 progress=progress)


def run_training(*, cfg: dict, method: str, beta1: float, step: str, tcfg: TrainConfig, seg: Segment,
                 train: torch.Tensor, x_dim: int, in_ckpt: Path | None, out_ckpt: Path, samples_out: Path | None,
                 resume_path: Path | None, progress: bool = True) -> None:
    """Shared by every experiment: restore the previous Step, train `seg`, write checkpoint and samples.
    `cfg` is what the rule passed (it fingerprints the resume state)."""
    device, runtime = dev.setup(cfg)
    state = init_state(tcfg, x_dim=x_dim, device=device)
    in_hash, runtimes = "", []
    if in_ckpt is not None:
        ck = restore_checkpoint(state, in_ckpt)
        in_hash, runtimes = ck.get("fingerprint", ""), ck.get("runtimes", [])
    # the resolved device and numerics are part of what a resume file must match
    fp = _fingerprint(cfg, method, beta1, step, in_hash, json.dumps(runtime, sort_keys=True))
    run_segment(state, seg=seg, cfg=tcfg, train=train.to(device), eval_z=eval_noise(tcfg, device=device),
                resume_path=resume_path, fingerprint=fp, progress=progress)
    runtimes = runtimes + [{"step": step, "torch": torch.__version__, "device_name": dev.device_name(device), **runtime}]
    save_checkpoint({"fingerprint": fp, "method": method, "beta1": beta1, "step": step, "config": cfg,
                     "torch": torch.__version__, "device": str(device), "runtimes": runtimes,
                     **state_payload(state)}, out_ckpt)
    if samples_out is not None:
        with atomic_path(samples_out, suffix=".npz") as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, **samples_array(state.samples))
        write_sidecar(samples_out, config_slice=cfg, device=device, extra={"runtimes": runtimes})
    if resume_path is not None and Path(resume_path).exists():
        Path(resume_path).unlink()  # the finished checkpoint supersedes it


def forgetting_demo(*, cfg: dict, step1_ckpt: Path, out_npz: Path) -> None:
    """Fig. 1 on 25-Gaussians (see forgetting_runs)."""
    g = cfg["gaussians"]
    data = make_splits(from_dict(GaussiansData, g["data"]))
    tcfg = train_config(g, method="alpha_bridge", beta1=g["fig1"]["beta1"])
    forgetting_runs(cfg=cfg, g=g, tcfg=tcfg, train=data["train"], x_dim=2, step1_ckpt=step1_ckpt, out_npz=out_npz)


def forgetting_runs(*, cfg: dict, g: dict, tcfg: TrainConfig, train: torch.Tensor, x_dim: int, step1_ckpt: Path,
                    out_npz: Path) -> None:
    """Fig. 1: from the same Step I (ML) checkpoint, (a) plain reverse-KL adversarial fine-tuning
    (eq. 7 against the pre-trained discriminator, no regulariser) and (b) the first iterations of
    alpha-Bridge's Step II, with samples after every iteration listed in g['fig1']['snapshots']."""
    f1 = g["fig1"]
    device, _ = dev.setup(cfg)
    tcfg = dataclasses.replace(tcfg, eval_every=1)
    bridge = segment(g, gamma=cfg["gamma"], method="alpha_bridge", step="II")
    runs = {"rkl": Segment(name="RKL fine-tune", kind="rkl", iters=f1["finetune_iters"], train_encoder=False),
            "bridge": bridge}
    out = {}
    n = max(f1["snapshots"])
    for name, seg in runs.items():
        state = init_state(tcfg, x_dim=x_dim, device=device)
        restore_checkpoint(state, step1_ckpt)
        start, ez = state.iteration, eval_noise(tcfg, device=device)
        state.samples = {start: generate(state.gen, ez, as_uint8=tcfg.sample_uint8)}
        run_segment(state, seg=seg, cfg=tcfg, train=train.to(device), eval_z=ez, progress=False, max_iters=n)
        for k in f1["snapshots"]:
            v = state.samples[start + k]
            out[f"{name}_it{k}"] = v if v.dtype == np.uint8 else np.asarray(v, dtype=np.float32)
    with atomic_path(out_npz, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **out)
