"""Provenance sidecars: beside every metrics table, a JSON file recording what produced it
(config slice hash, package version, git commit, torch version, device). The table itself keeps
its exact columns."""
from __future__ import annotations

import datetime
import hashlib
import json
import platform
import subprocess
from pathlib import Path

from alphabridge import __version__
from alphabridge.io import atomic_path


def sidecar_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".provenance.json")


def config_hash(config_slice) -> str:
    return hashlib.sha256(json.dumps(config_slice, sort_keys=True).encode()).hexdigest()


def git_commit(cwd: str | Path = ".") -> str:
    """HEAD of the checkout the workflow runs in, with '-dirty' if tracked files changed."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return "unknown (not a git checkout)"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return head.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown (git not available)"


def device_name(device: str = "auto") -> str:
    import torch

    if device != "cpu" and torch.cuda.is_available():
        return f"cuda: {torch.cuda.get_device_name(0)}"
    return f"cpu: {platform.processor() or platform.machine()}"


def write_sidecar(path: str | Path, *, config_slice, device: str = "auto", inputs=()) -> Path:
    import torch

    record = {
        "file": Path(path).name,
        "config_sha256": config_hash(config_slice),
        "config": config_slice,
        "alphabridge_version": __version__,
        "git_commit": git_commit(),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": device_name(device),
        "inputs": [str(p) for p in inputs],
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    out = sidecar_path(path)
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return out
