"""Per-trial divergence: the T trials of a batched run share kernels but never values (every
loss is a per-trial mean, every parameter's first axis is the trial, see models/), so a trial
whose loss turns non-finite is marked and frozen, and the others train on bit-identically.

The losses are kept on their device and tested together every few iterations (one host sync),
so a diverged trial is found a little late; its first bad iteration is still exact."""
from __future__ import annotations

import dataclasses

import torch


@dataclasses.dataclass(frozen=True)
class Divergence:
    trial: int
    iteration: int  # the first iteration whose loss was non-finite
    what: str  # which loss
    value: float

    def describe(self, step: str) -> str:
        return f"Step {step}, iteration {self.iteration}: {self.what} loss is {self.value} (trial {self.trial})"


class LossWatch:
    """Keeps each iteration's per-trial losses ([T], detached, on their device) until `check`;
    `last` holds the latest iteration's losses by name (what the training log records)."""

    def __init__(self, step: str):
        self.step, self.it, self._kept, self.last = step, 0, [], {}

    def add(self, what: str, loss: torch.Tensor) -> None:
        loss = loss.detach()
        self._kept.append((self.it, what, loss))
        self.last[what] = loss

    def check(self, *, skip: set[int] = frozenset()) -> list[Divergence]:
        """The trials (not in `skip`, those already frozen) whose losses went non-finite since the
        last check, each with its first bad iteration, in order of trial."""
        if not self._kept:
            return []
        losses = torch.stack([loss.float() for _, _, loss in self._kept])  # [kept, T]
        bad = ~torch.isfinite(losses)
        if skip:
            bad[:, sorted(skip)] = False
        out = []
        if bool(bad.any()):  # the one host sync
            for trial in bad.any(dim=0).nonzero()[:, 0].tolist():
                row = int(bad[:, trial].nonzero()[0, 0])
                it, what, loss = self._kept[row]
                out.append(Divergence(trial=trial, iteration=it, what=what, value=float(loss[trial])))
        self._kept.clear()
        return out


def freeze_trial(modules, trial: int, trials: int) -> None:
    """Set trial `trial`'s slice of every parameter to NaN: it stays NaN under any update, so the
    trial is visibly dead in every later sample, checkpoint and log row; no other trial reads it."""
    with torch.no_grad():
        for module in modules:
            for p in module.parameters():
                p.view(trials, -1)[trial] = float("nan")


def grad_norms(module, trials: int) -> torch.Tensor:
    """Per-trial L2 norm of the module's current gradients, [T] (parameters without one skipped)."""
    sq = [p.grad.reshape(trials, -1).float().pow(2).sum(1) for p in module.parameters() if p.grad is not None]
    return torch.stack(sq).sum(0).sqrt() if sq else torch.full((trials,), float("nan"))
