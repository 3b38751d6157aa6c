"""The metrics table of a 25-Gaussians run, computed from its saved samples only (so a
change to the metrics never retrains)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alphabridge.config import from_dict
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.experiments.gaussians import step_and_alpha
from alphabridge.metrics.gaussians import evaluate_samples

METRIC_COLUMNS = ["method", "beta1", "trial", "iteration", "step", "alpha", "inception_score", "kde_loglik",
                  "kde_bandwidth", "modes_covered", "hq_fraction"]
SUMMARY = ["inception_score", "kde_loglik", "modes_covered", "hq_fraction"]


def metrics_table(*, samples_npz: Path, cfg: dict, method: str, beta1_label: str, final_only: bool = False,
                  device="cpu") -> pd.DataFrame:
    """Every metric for every trial at every saved iteration (computed from samples only); with
    final_only, at the last iteration only (what the ablation tables need, ~40x cheaper)."""
    g = cfg["gaussians"]
    data = make_splits(from_dict(GaussiansData, g["data"]))
    means, std = data["means"].to(device), g["data"]["std"]
    val, test = data["val"].to(device), data["test"].to(device)
    rows = []
    with np.load(samples_npz) as npz:
        keys = sorted(npz.files, key=lambda k: int(k[2:]))
        keys = keys[-1:] if final_only else keys
        for key in keys:
            it = int(key[2:])
            step, alpha = step_and_alpha(it, g, method=method)
            x_all = torch.from_numpy(npz[key]).to(device)
            for trial in range(x_all.shape[0]):
                m = evaluate_samples(x_all[trial], means=means, std=std, val=val, test=test,
                                     bandwidths=g["eval"]["bandwidths"], n_std=g["eval"]["hq_std"])
                rows.append({"method": method, "beta1": beta1_label, "trial": trial, "iteration": it,
                             "step": step, "alpha": alpha, **m})
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def final_table(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Per method and beta1: mean and std over trials of each metric at the last iteration."""
    rows = []
    for df in tables:
        last = df[df.iteration == df.iteration.max()]
        row = {"method": last.method.iloc[0], "beta1": last.beta1.iloc[0], "iteration": int(last.iteration.iloc[0]),
               "n_trials": int(last.trial.nunique())}
        for m in SUMMARY:
            row[f"{m}_mean"] = float(last[m].mean())
            row[f"{m}_std"] = float(last[m].std(ddof=1)) if len(last) > 1 else 0.0
        rows.append(row)
    return pd.DataFrame(rows)


def mode_scorer(g: dict):
    """x [n, 2] -> 'k modes, HQ f' for the Fig. 1 panel titles."""
    from alphabridge.data.gaussians import grid_means
    from alphabridge.metrics.gaussians import mode_coverage

    means = grid_means(g["data"]["grid"])

    def score(x: np.ndarray) -> str:
        modes, hq = mode_coverage(torch.from_numpy(x), means=means, std=g["data"]["std"], n_std=g["eval"]["hq_std"])
        return f"{modes} modes, HQ {hq:.2f}"

    return score
