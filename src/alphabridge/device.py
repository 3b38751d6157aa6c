"""Where training runs and with what numerics: one device rule shared by the Snakefile (which GPU
resources the rules declare) and the library (where tensors go), and the precision/determinism
policy, applied before any CUDA work and recorded in fingerprints and provenance."""
from __future__ import annotations

import dataclasses
import os
import sys

import torch

from alphabridge.hardware import DEVICES, PLANNED_ENV, nvidia_gpus



@dataclasses.dataclass(frozen=True)
class Precision:
    """The config's `precision` section (defaults live in config/config.yaml)."""

    tf32: bool  # TF32 tensor cores for CUDA matmuls and cuDNN convolutions (off: exact float32)
    deterministic: bool  # torch.use_deterministic_algorithms: bitwise-repeatable CUDA runs, slower
    cudnn_benchmark: bool  # cuDNN picks the fastest convolution algorithm per shape (image models)


def cuda_usable() -> tuple[bool, str]:
    """(torch can use a CUDA device, why or why not): the one detection rule of the project."""
    if torch.version.cuda is None:
        return False, f"torch {torch.__version__} is a CPU-only build"
    if not torch.cuda.is_available():
        return False, f"torch {torch.__version__} (CUDA {torch.version.cuda}) finds no CUDA device or driver"
    n = torch.cuda.device_count()
    return True, f"torch sees {n} CUDA device(s), using {torch.cuda.get_device_name(0)}"


def resolve(requested: str, *, log: bool = True) -> torch.device:
    """The torch device for config `device: requested`; says in the job log which and why."""
    if requested not in DEVICES:
        raise ValueError(f"config key 'device': {requested!r} is not one of {DEVICES}")
    ok, why = cuda_usable()
    if requested == "cuda" and not ok:
        raise RuntimeError(f"config device: 'cuda' but {why} (use 'auto' or 'cpu')")
    device = torch.device("cuda" if requested == "cuda" or (requested == "auto" and ok) else "cpu")
    planned = os.environ.get(PLANNED_ENV)
    if planned and planned != device.type:
        raise RuntimeError(f"the workflow planned this job on {planned} ({nvidia_gpus()[1]}) but torch puts it on "
                           f"{device.type} ({why}); set config device: cpu or cuda explicitly")
    if log:
        reason = "config says cpu" if requested == "cpu" else why
        print(f"device: {device} (config device: {requested}; {reason})", file=sys.stderr)
    return device


def precision_from(cfg: dict) -> Precision | None:
    """The slice's `precision` section (validated by the schema), or None when the caller passed
    none (library use outside the workflow): torch's settings are then left as they are."""
    p = cfg.get("precision")
    return None if p is None else Precision(**p)


def apply_precision(p: Precision) -> dict:
    """Set torch's global numerics switches for this process (a job = one process) and return them
    as recorded in checkpoints and provenance. Called before the first CUDA kernel."""
    if p.deterministic:
        # cuBLAS needs a fixed workspace for repeatable results; read at its initialisation
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    mode = "tf32" if p.tf32 else "ieee"  # torch >= 2.9's API (allow_tf32 is its legacy form)
    torch.backends.cuda.matmul.fp32_precision = mode
    torch.backends.cudnn.conv.fp32_precision = mode
    torch.backends.cudnn.benchmark = p.cudnn_benchmark and not p.deterministic
    torch.backends.cudnn.deterministic = p.deterministic
    torch.use_deterministic_algorithms(p.deterministic)
    return describe_precision()


def describe_precision() -> dict:
    """The numerics switches in force now (what a result was computed under)."""
    return {"fp32_matmul": torch.backends.cuda.matmul.fp32_precision,
            "fp32_conv": torch.backends.cudnn.conv.fp32_precision,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            "deterministic": torch.are_deterministic_algorithms_enabled()}


def setup(cfg: dict, *, log: bool = True) -> tuple[torch.device, dict]:
    """A job's start: resolve the device from the config slice and apply its precision policy."""
    device = resolve(cfg["device"], log=log)
    p = precision_from(cfg)
    return device, {"device": str(device), **(describe_precision() if p is None else apply_precision(p))}


def device_name(device) -> str:
    """'cuda: <card>' or 'cpu: <processor>' for provenance records."""
    import platform

    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"{device.type}: {platform.processor() or platform.machine()}"
