"""Equal-budget random search per method (issue 18, Lucic et al. 2018's protocol): the draw of K
configurations per method from the ranges of config.yaml's `search` section, as generated sweeps
whose settings are ordinary ablation overrides (so each configuration is a normal cached run under
results/ablations/search_<method>/<setting>/), and the expected best score over k configurations.

The draw is a pure function of the config: the same seed gives the same settings on any machine
(numpy's PCG64 stream, one per method, seeded from (seed, CRC-32 of the method's name), so adding a
method to `search.methods` never changes another method's draw)."""
from __future__ import annotations

import math
import zlib

import numpy as np
import pandas as pd

from alphabridge.methods import AB_METHODS
from alphabridge.stages import Stage

STAGES = (Stage("search_table", __name__, keys=lambda **_: ["search"]),)



def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _sig(x: float, digits: int = 3) -> float:
    """Rounded to `digits` significant figures: the table shows the value the run used, exactly."""
    return float(f"{x:.{digits}g}")


def _steps(rng, total: int, unit: int) -> tuple[int, int, int]:
    """Step I, II, III lengths in multiples of `unit` summing to `total`: Step I and III at least one
    unit each, Step II possibly 0 (Step I length uniform, then Step II uniform over what is left)."""
    n = total // unit
    s1 = int(rng.integers(1, n))             # 1 .. n-1 units
    s2 = int(rng.integers(0, n - s1))        # 0 .. n-s1-1 units: Step III keeps >= 1
    return s1 * unit, s2 * unit, (n - s1 - s2) * unit


def _draw_one(rng, r: dict, method: str, iters: int) -> tuple[float, dict, dict]:
    """One configuration: (beta1, override, the drawn values as flat columns for the table)."""
    s = r["shared"]
    lr = _sig(_log_uniform(rng, *s["lr"]))
    beta1 = round(float(rng.uniform(*s["beta1"])), 2)  # 2 decimals: it is part of the run's path
    hidden = int(rng.choice(s["hidden"]))
    batch = int(rng.choice(s["batch_size"]))
    z_dim = int(rng.choice(s["z_dim"]))
    g = {"model": {"hidden": hidden, "z_dim": z_dim}, "optim": {"lr": lr, "batch_size": batch}}
    values = {"lr": lr, "beta1": beta1, "hidden": hidden, "batch_size": batch, "z_dim": z_dim}
    over: dict = {"gaussians": g}
    if method == "rkl_gp":
        w = _sig(_log_uniform(rng, *r["rkl_gp"]["gp_weight"]))
        g["rkl_gp"] = {"iters": iters, "gp_weight": w}
        values["gp_weight"] = w
    elif method in AB_METHODS:
        a = r["alpha_bridge"]
        sigma = _sig(_log_uniform(rng, *a["sigma"]))
        s1, s2, s3 = _steps(rng, iters, a["step_unit"])
        kind = str(rng.choice(a["gamma_kind"]))
        c = _sig(_log_uniform(rng, *a["gamma_c"]))
        centre = round(float(rng.uniform(*a["gamma_centre"])), 2)
        # d = -c * centre puts the sigmoid's switch from F to R at alpha = centre; unused when hard
        gamma = {"kind": kind, "c": c, "d": _sig(-c * centre)} if kind == "sigmoid" else {"kind": kind}
        stab = str(rng.choice(a["stabiliser"]))
        d_reg = str(rng.choice(a["d_reg"]))
        ab = {"step1_iters": s1, "step2_iters": s2, "step3_iters": s3, "sigma": sigma, "d_reg": d_reg,
              "clamp_logw": a["clamp_logw"] if stab == "clamp_logw" else None,
              "self_normalize": stab == "self_normalize"}
        g["alpha_bridge"] = ab
        over["gamma"] = gamma
        values |= {"sigma": sigma, "step1_iters": s1, "step2_iters": s2, "step3_iters": s3, "gamma_kind": kind,
                   "gamma_c": gamma.get("c"), "gamma_d": gamma.get("d"), "stabiliser": stab, "d_reg": d_reg}
    else:
        g[method] = {"iters": iters}
    return beta1, over, values


def draw(search: dict, method: str) -> dict[str, dict]:
    """The K drawn configurations of `method`: {setting name: {"beta1", "override", "values"}}."""
    rng = np.random.default_rng([search["seed"], zlib.crc32(method.encode())])
    out = {}
    for k in range(search["configs"]):
        beta1, override, values = _draw_one(rng, search["ranges"], method, search["iters"])
        override["gaussians"]["trials"] = search["trials"]
        out[f"c{k + 1:02d}"] = {"beta1": beta1, "override": override, "values": values}
    return out


def search_sweeps(config: dict) -> dict[str, dict]:
    """The search as sweeps in the ablations' format, one per method (`search_<method>`), plus
    `beta1_of`: each setting's own beta1 (drawn per configuration, so not the sweep's grid)."""
    search = config.get("search")
    if not search:
        return {}
    out = {}
    for m in search["methods"]:
        drawn = draw(search, m)
        out[f"search_{m}"] = {"methods": [m], "beta1s": sorted({d["beta1"] for d in drawn.values()}),
                              "settings": {name: d["override"] for name, d in drawn.items()},
                              "beta1_of": {name: [d["beta1"]] for name, d in drawn.items()}}
    return out


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
                 "step3_iters", "gamma_kind", "gamma_c", "gamma_d", "stabiliser", "d_reg"]
METRICS = ["modes_covered", "kde_loglik", "hq_fraction", "inception_score"]
TABLE_COLUMNS = ["method", "config", *VALUE_COLUMNS, "trial", "iteration", *METRICS, "diverged_at", "diverged"]


def search_table(search: dict, cells: list[dict]) -> pd.DataFrame:
    """cells: {method, config, metrics (the path of the cell's final_metrics.csv)}; the drawn values
    come from the same draw as the runs (a pure function of the `search` section)."""
    drawn = {m: draw(search, m) for m in {c["method"] for c in cells}}
    rows = []
    for c in cells:
        df = pd.read_csv(c["metrics"])
        last = df[df.iteration == df.iteration.max()].sort_values("trial")
        values = drawn[c["method"]][c["config"]]["values"]
        for r in last.itertuples():
            rows.append({"method": c["method"], "config": c["config"], **values, "trial": int(r.trial),
                         "iteration": int(r.iteration), **{k: getattr(r, k) for k in METRICS},
                         "diverged_at": r.diverged_at, "diverged": not pd.isna(r.diverged_at)})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)


def config_scores(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Per method and configuration, the mean final `metric` over its trials. A diverged trial
    scores the worst value of that metric in the whole table (0 modes; the lowest KDE-LL seen), so a
    configuration that diverges is ranked low rather than dropped."""
    worst = 0.0 if metric == "modes_covered" else float(table[metric].min())
    vals = table[metric].where(~table.diverged.astype(bool), worst).fillna(worst)
    return (table.assign(score=vals).groupby(["method", "config"], sort=False).score.mean().reset_index())


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

