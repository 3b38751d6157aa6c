"""The runtime keys (keys.RUNTIME: device and precision) of a job that runs torch models outside
training (scoring, the Fig. 6 data), typed, and that job's start. Training reads the same keys from
its RunSpec's slice through device.setup; this module is kept apart so that no training job imports
it (editing it re-runs no training)."""
from __future__ import annotations

import dataclasses

import torch

from alphabridge import checked
from alphabridge import device as dev


@dataclasses.dataclass(frozen=True)
class Runtime:
    device: str  # auto | cpu | cuda (device.resolve checks it, and says in the job log which and why)
    precision: dev.Precision


def parse_runtime(raw: dict) -> Runtime:
    return Runtime(device=checked.value(raw, "device", str), precision=checked.section(raw, "precision", dev.Precision))


def setup(runtime: Runtime) -> torch.device:
    """The job's device, resolved (and logged) once, with its precision policy applied before any
    CUDA work: what device.setup does for a slice, in the same order."""
    device = dev.resolve(runtime.device)
    dev.apply_precision(runtime.precision)
    return device
