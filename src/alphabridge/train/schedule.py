"""alpha schedules for Step II: alpha goes from 0+ to 1- over n iterations.

Iteration i (0-based) of n uses u = (i + 1/2) / n, so the first and last alpha are strictly
inside (0, 1) and symmetric about 1/2: the weights (1-gamma)/(1-alpha) stay finite."""
from __future__ import annotations

import math

SCHEDULES = ("linear", "cosine", "fast_then_slow")


def alpha_at(i: int, n: int, *, kind: str) -> float:
    if not 0 <= i < n:
        raise ValueError(f"Step II iteration {i} outside [0, {n})")
    u = (i + 0.5) / n
    if kind == "linear":
        return u
    if kind == "cosine":  # slow at both ends
        return 0.5 * (1 - math.cos(math.pi * u))
    if kind == "fast_then_slow":  # leaves the ML end quickly, lingers near reverse KL
        return math.sqrt(u)
    raise ValueError(f"unknown alpha schedule {kind!r}; expected one of {SCHEDULES}")


def step_and_alpha(iteration: int, plan: dict | None) -> tuple[str, float | None]:
    """Which Step produced the samples saved after `iteration` updates, and the last alpha used.
    `plan`: the alpha_bridge keys step1_iters, step2_iters, schedule (None: a one-run method)."""
    if plan is None:
        return "-", None
    n1, n2 = plan["step1_iters"], plan["step2_iters"]
    if iteration <= n1:
        return "I", 0.0
    if iteration <= n1 + n2:
        return "II", alpha_at(iteration - n1 - 1, n2, kind=plan["schedule"])
    return "III", 1.0
