"""The equal-budget random search per method (Lucic et al. 2018's protocol): its table and the
expected best score over k configurations. The draw of the configurations is in search_draw."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd

from alphabridge import checked
from alphabridge.experiments.search_draw import draw, search_sweeps  # noqa: F401 (the search's public names)


@dataclasses.dataclass(frozen=True)
class SearchSpec:
    """The `search` section, as the search_table stage reads it: the table shows each configuration's
    drawn values, so it redraws them from the whole section (the draw is a pure function of it)."""

    seeds: tuple[int, ...]  # one independent draw per seed
    configs: int  # configurations drawn per method
    trials: int
    iters: int
    methods: tuple[str, ...]
    # the draw's ranges stay the mapping search_draw.draw reads: the workflow draws the runs from the
    # config's own section, and the table must draw exactly what they trained
    ranges: dict


def parse_search(raw: dict, **_) -> SearchSpec:
    return checked.section(raw, "search", SearchSpec)


def expected_best_of_k(scores, k: int) -> float:
    """E[max of k scores drawn without replacement from the n given]: the i-th smallest of n is the
    maximum of a k-subset in C(i-1, k-1) of the C(n, k) subsets (Lucic et al. 2018's curve)."""
    x = np.sort(np.asarray(scores, dtype=float))
    n = len(x)
    if not 1 <= k <= n:
        raise ValueError(f"k = {k} is not in 1..{n}")
    weights = [math.comb(i - 1, k - 1) for i in range(1, n + 1)]
    return float(np.dot(weights, x) / math.comb(n, k))


# One row per method, configuration and trial: the drawn values, then the trial's final metrics.
VALUE_COLUMNS = ["lr", "beta1", "hidden", "batch_size", "z_dim", "gp_weight", "sigma", "step1_iters", "step2_iters",
                 "step3_iters", "gamma_kind", "gamma_c", "gamma_d", "stabiliser", "d_reg", "paper_estimator"]
METRICS = ["modes_covered", "kde_loglik", "hq_fraction", "inception_score"]
TABLE_COLUMNS = ["draw", "method", "config", *VALUE_COLUMNS, "trial", "iteration", *METRICS, "diverged_at", "diverged"]


def search_table(spec: SearchSpec, cells: list[dict]) -> pd.DataFrame:
    """cells: {draw, method, config, metrics (the path of the cell's final_metrics.csv)}; the drawn
    values come from the same draw as the runs (a pure function of the `search` section and the seed)."""
    section = dataclasses.asdict(spec)  # the section again, as the draw reads it
    drawn = {(s, m): draw(section, m, seed=s) for s, m in {(c["draw"], c["method"]) for c in cells}}
    rows = []
    for c in cells:
        df = pd.read_csv(c["metrics"])
        last = df[df.iteration == df.iteration.max()].sort_values("trial")
        values = drawn[c["draw"], c["method"]][c["config"]]["values"]
        for r in last.itertuples():
            rows.append({"draw": c["draw"], "method": c["method"], "config": c["config"], **values, "trial": int(r.trial),
                         "iteration": int(r.iteration), **{k: getattr(r, k) for k in METRICS},
                         "diverged_at": r.diverged_at, "diverged": not pd.isna(r.diverged_at)})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def config_scores(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per draw, method and configuration, the mean final `metric` over its trials. A diverged trial
    scores the worst value of that metric in the whole table (0 modes; the lowest KDE-LL seen), so a
    configuration that diverges is ranked low rather than dropped."""
    worst = 0.0 if metric == "modes_covered" else float(table[metric].min())
    vals = table[metric].where(~table.diverged.astype(bool), worst).fillna(worst)
    return (table.assign(score=vals).groupby(["draw", "method", "config"], sort=False).score.mean().reset_index())


def best_of_k_curve(scores, *, n_boot: int, seed: int, level: float = 0.9) -> pd.DataFrame:
    """k = 1..K: the expected best of k configurations, and a bootstrap band (configurations
    resampled with replacement, the curve recomputed; the central `level` of those curves)."""
    x = np.asarray(scores, dtype=float)
    n = len(x)
    rng = np.random.default_rng(seed)
    boot = np.array([[expected_best_of_k(s, k) for k in range(1, n + 1)]
                     for s in (rng.choice(x, size=n, replace=True) for _ in range(n_boot))])
    lo, hi = np.quantile(boot, [(1 - level) / 2, (1 + level) / 2], axis=0)
    return pd.DataFrame({"k": range(1, n + 1), "expected_best": [expected_best_of_k(x, k) for k in range(1, n + 1)],
                         "low": lo, "high": hi})

