"""The training runner every experiment shares: restore the previous Step's checkpoint onto the
job's device, train one Segment (with resume), and write the checkpoint, samples and provenance;
and the Fig. 1 forgetting runs from a Step I checkpoint."""
from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path

import numpy as np
import torch

from alphabridge import device as dev
from alphabridge.io import atomic_path
from alphabridge.provenance import write_sidecar
from alphabridge.train.checkpoint import save_checkpoint
from alphabridge.train.log import log_path, write_log
from alphabridge.train.loop import Segment, run_segment, samples_array
from alphabridge.train.sampling import sample
from alphabridge.train.state import (TrainConfig, eval_noise, init_state, reset_optimisers, restore_checkpoint,
                                    state_payload)


def _fingerprint(cfg: dict, *parts) -> str:
    h = hashlib.sha256(json.dumps(cfg, sort_keys=True).encode())
    for p in parts:
        h.update(str(p).encode())
    return h.hexdigest()[:16]


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """One training job, as an experiment's Stage parses it from the rule's config slice."""

    raw: dict  # the slice as the rule passed it: fingerprints the resume state, stored in the checkpoint
    method: str
    beta1: float
    step: str  # I, II, III, or '-' for a one-run method
    train: TrainConfig
    segment: Segment


@dataclasses.dataclass(frozen=True)
class ForgettingSpec:
    """Fig. 1's two runs from a Step I checkpoint: plain reverse-KL fine-tuning and alpha-Bridge's Step II."""

    raw: dict
    train: TrainConfig
    bridge: Segment
    finetune_iters: int
    snapshots: tuple[int, ...]


def run_training(*, spec: RunSpec, train: torch.Tensor, x_dim: int, in_ckpt: Path | None, out_ckpt: Path,
                 samples_out: Path | None, resume_path: Path | None, progress: bool = True) -> None:
    """Shared by every experiment: restore the previous Step, train the spec's Segment, write the
    checkpoint (carrying every sample saved so far and the trials that diverged), samples, and this
    job's training log beside the checkpoint (train/log.py)."""
    cfg, method, beta1, step, tcfg, seg = spec.raw, spec.method, spec.beta1, spec.step, spec.train, spec.segment
    device, runtime = dev.setup(cfg)
    state = init_state(tcfg, x_dim=x_dim, device=device)
    in_hash, runtimes = "", []
    if in_ckpt is not None:
        ck = restore_checkpoint(state, in_ckpt)
        in_hash, runtimes = ck.get("fingerprint", ""), ck.get("runtimes", [])
        state.log = []  # each job logs its own Step
        if seg.reset_adam:  # before run_segment: a resume file, written after the reset, still wins
            reset_optimisers(state, tcfg)
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
                np.savez(fh, **samples_array(state.samples, state.diverged, tcfg.trials))
        write_sidecar(samples_out, config_slice=cfg, device=device, extra={"runtimes": runtimes})
    write_log(state.log, log_path(out_ckpt), method=method, beta1=beta1)
    if resume_path is not None and Path(resume_path).exists():
        Path(resume_path).unlink()  # the finished checkpoint supersedes it


def forgetting_runs(*, spec: ForgettingSpec, train: torch.Tensor, x_dim: int, step1_ckpt: Path,
                    out_npz: Path) -> None:
    """Fig. 1: from the same Step I (ML) checkpoint, (a) plain reverse-KL adversarial fine-tuning
    (eq. 7 against the pre-trained discriminator, no regulariser) and (b) the first iterations of
    alpha-Bridge's Step II, with samples after every iteration listed in spec.snapshots."""
    device, _ = dev.setup(spec.raw)
    tcfg = dataclasses.replace(spec.train, eval_every=1)
    runs = {"rkl": Segment(name="RKL fine-tune", kind="rkl", iters=spec.finetune_iters, train_encoder=False),
            "bridge": spec.bridge}
    out = {}
    n = max(spec.snapshots)
    for name, seg in runs.items():
        state = init_state(tcfg, x_dim=x_dim, device=device)
        restore_checkpoint(state, step1_ckpt)
        if seg.reset_adam:
            reset_optimisers(state, tcfg)
        start, ez = state.iteration, eval_noise(tcfg, device=device)
        state.samples = {start: sample(state.gen, ez, bn_stats=tcfg.bn_stats, batch_size=tcfg.batch_size,
                                       as_uint8=tcfg.sample_uint8)}
        run_segment(state, seg=seg, cfg=tcfg, train=train.to(device), eval_z=ez, progress=False, max_iters=n)
        for k in spec.snapshots:
            v = state.samples[start + k]
            out[f"{name}_it{k}"] = v if v.dtype == np.uint8 else np.asarray(v, dtype=np.float32)
    with atomic_path(out_npz, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **out)
