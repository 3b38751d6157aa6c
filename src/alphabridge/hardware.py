"""Whether this machine has a usable NVIDIA GPU, found without importing torch.

The Snakefile decides which rules hold the GPU from this (building the DAG must not pay a torch
import); every job then checks the decision against what torch itself finds (device.resolve) and
stops with both answers when they disagree. Standard library only."""
from __future__ import annotations

import glob
import os
import shutil
import subprocess

DEVICES = ("auto", "cpu", "cuda")
PLANNED_ENV = "ALPHABRIDGE_PLANNED_DEVICE"  # set by the workflow for its jobs: cuda | cpu


def nvidia_gpus() -> tuple[bool, str]:
    """(a GPU is visible to CUDA programs here, why): the driver's /proc entries or `nvidia-smi -L`,
    and CUDA_VISIBLE_DEVICES, which can hide every card."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip() in ("", "-1"):
        return False, f"CUDA_VISIBLE_DEVICES={visible!r} hides every GPU"
    cards = glob.glob("/proc/driver/nvidia/gpus/*")
    if cards:
        return True, f"{len(cards)} NVIDIA GPU(s) under /proc/driver/nvidia/gpus"
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return False, "no NVIDIA driver (/proc/driver/nvidia/gpus) and no nvidia-smi"
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, f"nvidia-smi -L failed: {e}"
    n = sum(line.startswith("GPU ") for line in out.stdout.splitlines())
    return (n > 0, f"nvidia-smi -L lists {n} GPU(s)") if out.returncode == 0 else (
        False, f"nvidia-smi -L exited {out.returncode}")


def planned_device(requested: str) -> str:
    """'cuda' or 'cpu': where jobs run for config `device: requested`, decided without torch."""
    if requested not in DEVICES:
        raise ValueError(f"config key 'device': {requested!r} is not one of {DEVICES}")
    return "cuda" if requested == "cuda" or (requested == "auto" and nvidia_gpus()[0]) else "cpu"
