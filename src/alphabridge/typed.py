"""Typed views of validated config slices: the small dataclasses the stages share and `from_dict`.
Kept apart from alphabridge.config (the validation), so that no training or metrics job imports the
validation code: a change to a check or an estimate never re-runs a job (see stages.stage_code)."""
from __future__ import annotations

import dataclasses
from typing import Any

from alphabridge.errors import ConfigError


@dataclasses.dataclass(frozen=True)
class GammaConfig:
    kind: str
    c: float
    d: float


@dataclasses.dataclass(frozen=True)
class Fig2Config:
    mu: float
    sigma: float
    alphas: tuple[float, ...]
    trials: int
    seed: int


def from_dict(cls, data: dict[str, Any]):
    """Build a dataclass from a (validated) config slice; lists become tuples."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ConfigError(f"{cls.__name__}: unknown key(s) {sorted(unknown)}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})
