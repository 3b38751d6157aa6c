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


def _upstream_runtimes(inputs) -> dict:
    """The devices/numerics that produced each input, from the input's own sidecar where it has one
    (so a metrics table says where its samples were trained, not only where they were scored)."""
    out = {}
    for p in inputs:
        side = sidecar_path(p)
        if side.exists():
            rec = json.loads(side.read_text())
            if "runtimes" in rec:
                out[str(p)] = rec["runtimes"]
    return out


def write_sidecar(path: str | Path, *, config_slice, device="auto", inputs=(), extra: dict | None = None) -> Path:
    """`device`: a resolved torch device, or a config value ('auto' resolves it here)."""
    import torch

    from alphabridge import device as dev

    if isinstance(device, str) and device in dev.DEVICES:
        device = dev.resolve(device, log=False)
    record = {
        "file": Path(path).name,
        "config_sha256": config_hash(config_slice),
        "config": config_slice,
        "alphabridge_version": __version__,
        "git_commit": git_commit(),
        "torch_version": torch.__version__,
        "python_version": platform.python_version(),
        "device": dev.device_name(device),
        "precision": dev.describe_precision(),
        "inputs": [str(p) for p in inputs],
        "inputs_runtimes": _upstream_runtimes(inputs),
        **(extra or {}),
        "created_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    out = sidecar_path(path)
    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return out
