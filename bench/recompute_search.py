"""Check the random search's outputs independently of the library's metric code.

1. For a random subset of cells, recompute every trial's final modes, high-quality fraction, KDE
   log-likelihood (bandwidth chosen on the validation draw) and exact-posterior Inception score from
   the cell's saved samples.npz, in float64 NumPy/SciPy, and compare with results/tables/search.csv.
2. Recompute every method's expected best of k configurations by enumerating all k-subsets of the
   configurations (not the order-statistics formula the library uses), from the table, and compare
   with results/tables/search_curves.csv (the curves the figure draws).

Only the benchmark's data definition (the seeded real draws for validation and test) comes from the
library; every metric is written out here.

    python bench/recompute_search.py [--cells 6] [--seed 0] [--config config/config.yaml ...]
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.yamlio import load_file

METRICS = ["modes_covered", "hq_fraction", "kde_loglik", "inception_score"]
TOL = {"modes_covered": 0, "hq_fraction": 1e-12, "kde_loglik": 1e-3, "inception_score": 1e-6}  # float32 KDE inside


def merged(paths) -> dict:
    def deep(a, b):
        return {**a, **{k: deep(a[k], v) if isinstance(v, dict) and isinstance(a.get(k), dict) else v
                        for k, v in b.items()}}
    out = {}
    for p in paths:
        out = deep(out, load_file(p))  # strict: a key written twice is refused, as in the workflow
    return out


def kde_mean_logpdf(x, samples, h, chunk=256):
    n, d = samples.shape
    vals = [logsumexp(-cdist(x[i:i + chunk], samples, "sqeuclidean") / (2 * h * h), axis=1)
            for i in range(0, len(x), chunk)]
    return float(np.concatenate(vals).mean() - np.log(n) - 0.5 * d * np.log(2 * np.pi * h * h))


def metrics(x, *, means, std, hq_std, val, test, bandwidths):
    dist = cdist(x, means)
    hq = dist.min(1) < hq_std * std
    modes = len(set(dist.argmin(1)[hq].tolist()))
    logit = -cdist(x, means, "sqeuclidean") / (2 * std * std)
    logpost = logit - logsumexp(logit, axis=1, keepdims=True)
    post = np.exp(logpost)
    logmarg = logsumexp(logpost, axis=0) - np.log(len(x))  # in logs: a mode far from every sample stays finite
    inception = float(np.exp((post * (logpost - logmarg)).sum(1).mean()))
    h = max(bandwidths, key=lambda b: kde_mean_logpdf(val, x, b))
    return {"modes_covered": modes, "hq_fraction": float(hq.mean()), "kde_loglik": kde_mean_logpdf(test, x, h),
            "inception_score": inception}


def check_cells(table, cfg, *, n_cells, seed, root) -> list[str]:
    g = cfg["gaussians"]
    data = GaussiansData(**{**g["data"], "grid": tuple(g["data"]["grid"])})
    splits = {k: v.double().numpy() for k, v in make_splits(data).items() if k != "train"}
    cells = table[["draw", "method", "config"]].drop_duplicates().reset_index(drop=True)
    pick = cells.sample(n=min(n_cells, len(cells)), random_state=seed)
    bad = []
    for c in pick.itertuples():
        run = root / f"results/ablations/search_s{c.draw}_{c.method}/{c.config}/{c.method}"
        npz_path, = run.glob("b1_*/samples.npz")
        with np.load(npz_path) as npz:
            last = max((k for k in npz.files if k.startswith("it")), key=lambda k: int(k[2:]))
            x_all = npz[last].astype(np.float64)
        rows = table[(table["draw"] == c.draw) & (table.method == c.method) & (table.config == c.config)]
        rows = rows.sort_values("trial")
        for r in rows.itertuples():
            if r.diverged:
                print(f"{c.method} {c.config} trial {r.trial}: diverged at {r.diverged_at}, not scored")
                continue
            mine = metrics(x_all[r.trial], means=splits["means"], std=data.std, hq_std=g["eval"]["hq_std"],
                           val=splits["val"], test=splits["test"], bandwidths=g["eval"]["bandwidths"])
            for m in METRICS:
                ok = abs(mine[m] - getattr(r, m)) <= TOL[m]
                bad += [] if ok else [f"{c.method} {c.config} trial {r.trial} {m}: {mine[m]} != {getattr(r, m)}"]
            print(f"{c.method} {c.config} trial {r.trial} ({npz_path.parent.name}, {last}): "
                  + ", ".join(f"{m} {mine[m]:.6g} vs {getattr(r, m):.6g}" for m in METRICS))
    return bad


def check_curves(table, curves) -> list[str]:
    bad = []
    for metric in ("kde_loglik", "modes_covered"):
        worst = 0.0 if metric == "modes_covered" else table[metric].min()  # a diverged trial scores the worst
        score = table[metric].where(~table.diverged.astype(bool), worst).fillna(worst)
        per_cfg = table.assign(s=score).groupby(["draw", "method", "config"]).s.mean()
        for (d, method), s in per_cfg.groupby(level=[0, 1]):
            s = s.to_numpy()
            for k in range(1, len(s) + 1):
                brute = np.mean([max(sub) for sub in itertools.combinations(s, k)])
                drawn = curves.query("draw == @d and method == @method and metric == @metric and k == @k")
                drawn = drawn.expected_best.item()
                bad += [] if abs(brute - drawn) <= 1e-9 * max(1, abs(brute)) else \
                    [f"curve draw {d} {method} {metric} k={k}: {drawn} != {brute}"]
            print(f"curve draw {d} {method} {metric}: k = 1..{len(s)} checked; best of all {s.max():.4g}, "
                  f"mean {s.mean():.4g}")
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=Path("."), help="the repository the search ran in")
    p.add_argument("--config", nargs="+", default=["config/config.yaml"], help="the config files the run used")
    p.add_argument("--cells", type=int, default=6, help="how many (method, configuration) cells to recompute")
    p.add_argument("--seed", type=int, default=0, help="which cells: a seeded random choice")
    a = p.parse_args(argv)
    table = pd.read_csv(a.root / "results/tables/search.csv")
    curves = pd.read_csv(a.root / "results/tables/search_curves.csv")
    bad = check_cells(table, merged(a.root / c for c in a.config), n_cells=a.cells, seed=a.seed, root=a.root)
    bad += check_curves(table, curves)
    print("\n".join(bad) if bad else "all recomputed values agree with the table and the curves")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
