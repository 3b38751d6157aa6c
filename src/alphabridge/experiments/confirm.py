"""The held-out confirmation sweep's tables: every arm's final scores over its trials, and 95 %
intervals of differences (each arm against the best baseline; the config's contrasts, e.g. Step II
against none). The arms and their seeds: confirm_arms."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
from scipy import stats

METRICS = ["modes_covered", "kde_loglik", "hq_fraction"]
LEVEL = 0.95  # the intervals' coverage
TRIAL_COLUMNS = ["arm", "method", "beta1", "trial", "iteration", *METRICS, "diverged"]


def trial_table(cells: list[dict]) -> pd.DataFrame:
    """One row per arm, beta1 and trial: the final metrics. cells: {arm, method, beta1, metrics}.
    A diverged trial scores the worst value of the table (0 modes, the lowest KDE-LL and HQ share
    seen), as in the random search: a run that fails counts, it is not dropped."""
    rows = []
    for c in cells:
        df = pd.read_csv(c["metrics"])
        last = df[df.iteration == df.iteration.max()].sort_values("trial")
        for r in last.itertuples():
            rows.append({"arm": c["arm"], "method": c["method"], "beta1": float(c["beta1"]), "trial": int(r.trial),
                         "iteration": int(r.iteration), **{k: getattr(r, k) for k in METRICS},
                         "diverged": not pd.isna(r.diverged_at)})
    t = pd.DataFrame(rows, columns=TRIAL_COLUMNS)
    for m in METRICS:
        worst = 0.0 if m == "modes_covered" else float(t[m].min())
        t[m] = t[m].where(~t.diverged.astype(bool), worst).fillna(worst)
    return t


def welch_interval(a, b, *, level: float = LEVEL) -> tuple[float, float, float]:
    """mean(a) - mean(b) and its Welch t interval (unequal variances, Welch-Satterthwaite df)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff, se = float(a.mean() - b.mean()), math.sqrt(va + vb)
    if se == 0.0:
        return diff, diff, diff
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = float(stats.t.ppf((1 + level) / 2, df)) * se
    return diff, diff - half, diff + half


def _scores(t: pd.DataFrame, arm: str, beta1: float, metric: str) -> np.ndarray:
    return t[(t.arm == arm) & (t.beta1 == beta1)][metric].to_numpy()


def arm_table(t: pd.DataFrame, *, baselines: list[str]) -> pd.DataFrame:
    """One row per arm and beta1: n, mean and std of each metric, and for modes and KDE-LL the
    difference to the best baseline arm at that beta1 (the highest mean) with its interval."""
    rows = []
    for (arm, method, beta1), g in t.groupby(["arm", "method", "beta1"], sort=False):
        row = {"arm": arm, "method": method, "beta1": beta1, "n_trials": len(g), "n_diverged": int(g.diverged.sum())}
        for m in METRICS:
            row |= {f"{m}_mean": float(g[m].mean()), f"{m}_std": float(g[m].std(ddof=1))}
        for m in ("modes_covered", "kde_loglik"):
            base = [b for b in baselines if len(_scores(t, b, beta1, m))]
            best = max(base, key=lambda b: _scores(t, b, beta1, m).mean()) if base else None
            d = welch_interval(g[m], _scores(t, best, beta1, m)) if best and best != arm else (math.nan,) * 3
            row |= {f"{m}_best_baseline": best, f"{m}_diff": d[0], f"{m}_diff_low": d[1], f"{m}_diff_high": d[2]}
        rows.append(row)
    return pd.DataFrame(rows)


def contrast_table(t: pd.DataFrame, *, contrasts: list[list[str]]) -> pd.DataFrame:
    """One row per contrast [a, b], beta1 both ran, and metric: mean(a) - mean(b) and its interval."""
    rows = []
    for a, b in contrasts:
        for beta1 in sorted(set(t[t.arm == a].beta1) & set(t[t.arm == b].beta1)):
            for m in METRICS:
                xa, xb = _scores(t, a, beta1, m), _scores(t, b, beta1, m)
                diff, lo, hi = welch_interval(xa, xb)
                rows.append({"a": a, "b": b, "beta1": beta1, "metric": m, "mean_a": float(xa.mean()),
                             "mean_b": float(xb.mean()), "diff": diff, "low": lo, "high": hi,
                             "n_a": len(xa), "n_b": len(xb)})
    return pd.DataFrame(rows)


@dataclasses.dataclass(frozen=True)
class ConfirmSpec:
    """What the confirmation's table and figure read of the `confirm` section."""

    baselines: tuple[str, ...]  # arms the differences are taken to (the best per beta1 and metric)
    contrasts: tuple[tuple[str, str], ...]  # (a, b): mean(a) - mean(b)


def confirm_spec(raw: dict, **_) -> ConfirmSpec:
    c = raw["confirm"]
    return ConfirmSpec(baselines=tuple(c["baselines"]), contrasts=tuple((a, b) for a, b in c["contrasts"]))
