"""The ablation study: one row per sweep cell (setting x method x beta1) from the final
iteration of that cell's metrics, and the robustness summary (how often a method ends with at
least `success_modes` modes)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from alphabridge import checked


# The columns of results/tables/ablations.csv; the per-sweep tables add success_fraction.
COLUMNS = ["sweep", "setting", "method", "beta1", "lr", "kde_loglik_mean", "kde_loglik_std", "hq_fraction_mean",
           "hq_fraction_std", "modes_mean", "inception_score_mean", "n_trials", "n_diverged"]


@dataclasses.dataclass(frozen=True)
class AblationSpec:
    """What the ablation tables and figures read (ablation_table, ablation_figure)."""

    success_modes: int  # a trial succeeds when it ends with at least this many modes


def parse_ablations(raw: dict, **_) -> AblationSpec:
    return AblationSpec(success_modes=checked.value(raw, "ablations.success_modes", int))


def cell_row(*, sweep: str, setting: str, method: str, beta1: float, lr: float, metrics_csv: Path,
             success_modes: int) -> dict:
    df = pd.read_csv(metrics_csv)
    last = df[df.iteration == df.iteration.max()]
    if last.empty:
        raise ValueError(f"{metrics_csv}: no rows")
    std = lambda col: float(last[col].std(ddof=1)) if len(last) > 1 else 0.0  # noqa: E731
    return {"sweep": sweep, "setting": setting, "method": method, "beta1": beta1, "lr": lr,
            "kde_loglik_mean": float(last.kde_loglik.mean()), "kde_loglik_std": std("kde_loglik"),
            "hq_fraction_mean": float(last.hq_fraction.mean()), "hq_fraction_std": std("hq_fraction"),
            "modes_mean": float(last.modes_covered.mean()), "inception_score_mean": float(last.inception_score.mean()),
            "n_trials": int(last.trial.nunique()), "n_diverged": int(last.modes_covered.isna().sum()),
            # a diverged trial (NaN) is a failure; the means above are over the trials that did not diverge
            "success_fraction": float((last.modes_covered >= success_modes).mean())}


def sweep_table(*, sweep: str, cells: list[dict], success_modes: int) -> pd.DataFrame:
    """cells: dicts with setting, method, beta1, lr, metrics (path of the cell's final metrics)."""
    rows = [cell_row(sweep=sweep, setting=c["setting"], method=c["method"], beta1=c["beta1"], lr=c["lr"],
                     metrics_csv=Path(c["metrics"]), success_modes=success_modes) for c in cells]
    return pd.DataFrame(rows, columns=COLUMNS + ["success_fraction"])


def robustness_summary(table: pd.DataFrame, *, success_modes: int) -> pd.DataFrame:
    """Per method: the fraction of hyper-parameter settings (beta1 x lr cells) whose mean final
    mode count reaches success_modes, and the fraction of single trials that do."""
    g = table.groupby("method", sort=False)
    return pd.DataFrame({
        "settings": g.size(),
        "settings_success": g.modes_mean.apply(lambda s: float((s >= success_modes).mean())),
        "trials_success": g.success_fraction.mean(),
    }).reset_index()
