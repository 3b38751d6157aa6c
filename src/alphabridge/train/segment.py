"""A Segment: what one Step (or a one-run method's whole run) trains, read from the config by
experiments.gaussians.segment; it refuses an unknown kind, order, schedule or gamma kind when built,
before any iteration runs."""
from __future__ import annotations

import dataclasses

from alphabridge import objectives as obj
from alphabridge.choices import SEGMENT_KINDS, UPDATE_ORDERS, one_of
from alphabridge.divergence import GAMMA_KINDS
from alphabridge.train.schedule import SCHEDULES
from alphabridge.typed import GammaConfig


@dataclasses.dataclass(frozen=True)
class Segment:
    name: str  # "I", "II", "III", or "-" for a baseline
    kind: str  # "ml" (ELBO), "bridge" (surrogate 16), "rkl" (eq. 7), "ns" (non-saturating JS, DCGAN)
    iters: int
    train_encoder: bool = True
    # from the config (experiments.gaussians.segment); None where the kind does not use them
    sigma: float | None = None  # decoder std of the surrogate p~(x|z) (eq. 13)
    schedule: str | None = None  # Step II's alpha schedule
    gamma: GammaConfig | None = None
    weights: obj.WeightOptions | None = None
    update_order: str | None = None  # joint: G and E from the same state; sequential: Algorithm 1 literally
    reset_adam: bool = False  # fresh Adam moments and step count at this Step's start (default: carried over)
    lr: float | None = None  # G's and E's learning rate in this Step (Step I: alpha_bridge.step1_lr); None: optim.lr

    def __post_init__(self):
        need = (["sigma", "update_order"] if self.train_encoder else []) + (
            ["schedule", "gamma", "weights"] if self.kind == "bridge" else [])
        one_of(f"Segment {self.name!r}: kind", self.kind, SEGMENT_KINDS)
        missing = [k for k in need if getattr(self, k) is None]
        if missing:
            raise ValueError(f"Segment {self.name!r} ({self.kind}) needs {missing}: they come from the config")
        if self.update_order is not None:
            one_of(f"Segment {self.name!r}: update_order", self.update_order, UPDATE_ORDERS)
        if self.schedule is not None:  # refused here, before any iteration, not at Step II's first alpha
            one_of(f"Segment {self.name!r}: schedule", self.schedule, SCHEDULES)
        if self.gamma is not None:
            one_of(f"Segment {self.name!r}: gamma kind", self.gamma.kind, GAMMA_KINDS)
