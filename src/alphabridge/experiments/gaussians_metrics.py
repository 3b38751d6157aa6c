"""The metrics table of a 25-Gaussians run, computed from its saved samples only (so a
change to the metrics never retrains)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alphabridge.typed import from_dict
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.metrics.gaussians import evaluate_samples
from alphabridge.train.loop import saved_keys
from alphabridge.train.schedule import step_and_alpha

VALUES = ["inception_score", "kde_loglik", "kde_bandwidth", "modes_covered", "hq_fraction"]  # evaluate_samples'
METRIC_COLUMNS = ["method", "beta1", "trial", "iteration", "step", "alpha", *VALUES, "diverged_at"]
SUMMARY = ["inception_score", "kde_loglik", "modes_covered", "hq_fraction"]


@dataclasses.dataclass(frozen=True)
class MetricsSpec:
    raw: dict  # the slice (recorded in the provenance sidecar)
    data: GaussiansData
    bandwidths: tuple[float, ...]
    hq_std: float
    plan: dict | None  # alpha-Bridge's Step lengths and schedule; None for a one-run method


def metrics_spec(raw: dict, *, method: str, **_) -> MetricsSpec:
    g = raw["gaussians"]
    return MetricsSpec(raw=raw, data=from_dict(GaussiansData, g["data"]), bandwidths=tuple(g["eval"]["bandwidths"]),
                       hq_std=g["eval"]["hq_std"], plan=g.get("alpha_bridge"))


def metrics_table(*, samples_npz: Path, spec: MetricsSpec, method: str, beta1_label: str, final_only: bool = False,
                  device="cpu") -> pd.DataFrame:
    """Every metric for every trial at every saved iteration (computed from samples only); with
    final_only, at the last iteration only (what the ablation tables need, ~40x cheaper)."""
    data = make_splits(spec.data)
    means, std = data["means"].to(device), spec.data.std
    val, test = data["val"].to(device), data["test"].to(device)
    rows = []
    with np.load(samples_npz) as npz:
        keys = saved_keys(npz.files)
        keys = keys[-1:] if final_only else keys
        dead = npz["diverged_at"] if "diverged_at" in npz.files else None
        for key in keys:
            it = int(key[2:])
            step, alpha = step_and_alpha(it, spec.plan)
            x_all = torch.from_numpy(npz[key]).to(device)
            for trial in range(x_all.shape[0]):
                at = int(dead[trial]) if dead is not None and dead[trial] > 0 else None
                if at is not None and it >= at:  # a frozen trial: NaN metrics, its first bad iteration
                    m = dict.fromkeys(VALUES, float("nan"))
                else:
                    m = evaluate_samples(x_all[trial], means=means, std=std, val=val, test=test,
                                         bandwidths=list(spec.bandwidths), n_std=spec.hq_std)
                rows.append({"method": method, "beta1": beta1_label, "trial": trial, "iteration": it,
                             "step": step, "alpha": alpha, **m, "diverged_at": at})
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def final_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Per method and beta1: mean and std over the trials that did not diverge of each metric at the
    last iteration, and how many diverged (n_diverged; their rows are NaN)."""
    rows = []
    for df in tables:
        last = df[df.iteration == df.iteration.max()]
        alive = last[last.diverged_at.isna()] if "diverged_at" in last else last
        row = {"method": last.method.iloc[0], "beta1": last.beta1.iloc[0], "iteration": int(last.iteration.iloc[0]),
               "n_trials": int(last.trial.nunique()), "n_diverged": int(len(last) - len(alive))}
        for m in SUMMARY:
            row[f"{m}_mean"] = float(alive[m].mean())
            row[f"{m}_std"] = float(alive[m].std(ddof=1)) if len(alive) > 1 else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def mode_scorer(data: GaussiansData, *, hq_std: float):
    """x [n, 2] -> 'k modes, HQ f' for the Fig. 1 panel titles."""
    from alphabridge.data.gaussians import grid_means
    from alphabridge.metrics.gaussians import mode_coverage

    means = grid_means(list(data.grid))

    def score(x: np.ndarray) -> str:
        modes, hq = mode_coverage(torch.from_numpy(x), means=means, std=data.std, n_std=hq_std)
        return f"{modes} modes, HQ {hq:.2f}"

    return score
