"""Self-describing checkpoints, written atomically; loading checks they are ours and whole."""
from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import torch

from alphabridge.errors import CheckpointError
from alphabridge.io import atomic_path

MAGIC = "alphabridge-checkpoint"
VERSION = 1


def save_checkpoint(payload: dict, path: str | Path) -> None:
    with atomic_path(path) as tmp:
        torch.save({"magic": MAGIC, "version": VERSION, **payload}, tmp)


def load_checkpoint(path: str | Path) -> dict:
    """Always read to the CPU: a checkpoint's tensors (models, optimisers, the per-trial CPU
    generator states) go onto the run's device when restored, never straight from the file (a
    generator state mapped to CUDA cannot be set back into a CPU generator)."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=False)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, ValueError) as e:
        raise CheckpointError(f"checkpoint {path} is truncated or not a torch file ({type(e).__name__}: {e})") from e
    if not isinstance(obj, dict) or obj.get("magic") != MAGIC:
        raise CheckpointError(f"checkpoint {path} was not written by alphabridge (no '{MAGIC}' marker)")
    if obj.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path} has format version {obj.get('version')}, expected {VERSION}")
    return obj
