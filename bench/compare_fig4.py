"""A fig4 run's final table beside the CPU reference: per method, beta1 and metric, the two means
and whether they agree within the trial spread, |m1 - m2| <= 2 sqrt(s1^2/n1 + s2^2/n2) (two standard
errors of the difference; bitwise equality across devices is not expected).

    python bench/compare_fig4.py results/tables/gaussians_final.csv [--reference bench/fig4_cpu_reference.csv]
    python bench/compare_fig4.py results/gaussians/*/b1_*/metrics.csv   (the fig4 runs' own metrics)
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd

METRICS = ["modes_covered", "kde_loglik", "hq_fraction", "inception_score"]


def compare(run: pd.DataFrame, ref: pd.DataFrame, *, n_ref: int = 10) -> pd.DataFrame:
    rows = []
    for r in run.itertuples():
        match = ref[(ref.method == r.method) & (ref.beta1.astype(float) == float(r.beta1))]
        if match.empty:
            continue
        c = match.iloc[0]
        for m in METRICS:
            a, sa, b, sb = getattr(r, f"{m}_mean"), getattr(r, f"{m}_std"), c[f"{m}_mean"], c[f"{m}_std"]
            tol = 2 * math.sqrt(sa**2 / r.n_trials + sb**2 / n_ref)
            rows.append({"method": r.method, "beta1": r.beta1, "metric": m, "run": f"{a:.3g} ± {sa:.2g}",
                         "cpu": f"{b:.3g} ± {sb:.2g}", "within_spread": abs(a - b) <= tol})
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tables", nargs="+", help="a final table, or the runs' metrics.csv files")
    ap.add_argument("--reference", default=str(Path(__file__).with_name("fig4_cpu_reference.csv")))
    args = ap.parse_args()
    if len(args.tables) == 1 and Path(args.tables[0]).name != "metrics.csv":
        run = pd.read_csv(args.tables[0])
    else:
        from alphabridge.experiments.gaussians_metrics import final_table

        run = final_table([pd.read_csv(p, dtype={"beta1": str}) for p in args.tables])
    out = compare(run, pd.read_csv(args.reference, comment="#"))
    print(out.to_string(index=False))
    print(f"within the trial spread: {int(out.within_spread.sum())} of {len(out)}")


if __name__ == "__main__":
    main()
