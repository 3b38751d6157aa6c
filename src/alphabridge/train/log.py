"""The training log: every `log_every` iterations, one row per trial of the losses, the ELBO,
alpha, gamma, the importance weights' largest |log w| and effective sample size, the
discriminator's mean logit on real and generated data, and the gradient norms of G and D.

Values stay device tensors until `flush`, called where the loop already synchronises (its
finiteness checks): logging adds no host sync of its own. The CSV goes beside the checkpoint."""
from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import torch

from alphabridge.io import write_csv

# the loss a LossWatch name is logged as (Step I's negative ELBO trains G and E together)
LOSS_COLUMNS = {"discriminator": "loss_d", "generator": "loss_g", "encoder": "loss_e", "encoder ELBO": "loss_e",
                "negative ELBO": "loss_e", "auxiliary discriminator": "loss_aux"}
VALUES = ("loss_d", "loss_g", "loss_e", "loss_aux", "elbo", "logw_f_max", "logw_r_max", "ess_f", "ess_r",
          "d_real", "d_fake", "grad_g", "grad_d")
COLUMNS = ("method", "beta1", "step", "iteration", "trial", "alpha", "gamma", *VALUES)


def log_path(ckpt: str | Path) -> Path:
    """step2.pt -> step2.log.csv (the rules declare it beside each training checkpoint)."""
    ckpt = Path(ckpt)
    return ckpt.with_name(ckpt.stem + ".log.csv")


class TrainLog:
    def __init__(self, *, step: str, trials: int):
        self.step, self.trials, self._pending = step, trials, []

    def add(self, iteration: int, alpha: float, gamma: float, *, values: dict) -> None:
        """values: name -> [T] device tensor (names in VALUES; missing ones are logged as NaN)."""
        self._pending.append((iteration, alpha, gamma, values))

    def flush(self, rows: list) -> None:
        """Append the pending iterations to `rows` as one dict per (iteration, trial)."""
        if not self._pending:
            return
        nan = None
        stacked = []
        for _, _, _, values in self._pending:
            ref = next(iter(values.values()))
            nan = torch.full((self.trials,), math.nan, device=ref.device) if nan is None else nan
            stacked.append(torch.stack([values[k].float() if k in values else nan for k in VALUES]))
        table = torch.stack(stacked).cpu().numpy()  # [iterations, VALUES, T]: one transfer
        for (it, alpha, gamma, _), block in zip(self._pending, table):
            for trial in range(self.trials):
                rows.append({"step": self.step, "iteration": it, "trial": trial, "alpha": alpha, "gamma": gamma,
                             **{k: float(v) for k, v in zip(VALUES, block[:, trial])}})
        self._pending.clear()


def write_log(rows: list, path: str | Path, *, method: str, beta1: float) -> None:
    write_csv(pd.DataFrame([{"method": method, "beta1": beta1, **r} for r in rows], columns=list(COLUMNS)), path)
