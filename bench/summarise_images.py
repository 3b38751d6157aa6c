"""The image numbers the README and docs/results.md quote, printed from the pipeline's own outputs
(nothing here trains or scores), per dataset present under results/:

- the table (results/tables/<dataset>.csv): every score as mean ± std over trials, per method;
- Fig. 5, the transfer: per trial, the FID at the end of Step I, its largest value inside Step II, and at
  the end of Steps II and III (results/images/<dataset>/alpha_bridge/metrics.csv), then mean ± std;
- Fig. 1, forgetting: per trial, how far the samples of the same noise move from the Step I model within
  the demo's iterations, as the mean absolute pixel change in [0, 1] (results/images/<dataset>/fig1/demo.npz),
  for plain reverse-KL fine-tuning and for alpha-Bridge's first Step II iterations.

    python bench/summarise_images.py [--root .] [--datasets digits stacked_digits mnist]
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

SCORES = ["inception_score", "fid", "kid", "precision", "recall", "modes_covered", "kl_uniform"]


def _pm(values, digits: int = 2) -> str:
    v = np.asarray(values, dtype=float)
    return f"{v.mean():.{digits}f} ± {v.std(ddof=1):.{digits}f}" if len(v) > 1 else f"{v.mean():.{digits}f}"


def _cell(r, k: str) -> str:
    """'<score> mean ± std' of a table row (no std for a single trial), 3 decimals for fractions and KL."""
    d = 3 if k in ("precision", "recall", "kl_uniform") else 2
    std = "" if np.isnan(r[f"{k}_std"]) else f" ± {r[f'{k}_std']:.{d}f}"
    return f"{k} {r[f'{k}_mean']:.{d}f}{std}"


def table_summary(table: pd.DataFrame) -> list[str]:
    out = []
    for _, r in table.iterrows():
        cells = [_cell(r, k) for k in SCORES if not np.isnan(r[f"{k}_mean"])]
        out.append(f"  {r.method}: " + ", ".join(cells) + f" (n_trials {r.n_trials}, diverged {r.n_diverged}, "
                   f"{r.n_samples} samples)")
    return out


def transfer_summary(metrics: pd.DataFrame) -> list[str]:
    """FID at the Step boundaries and its peak inside Step II, per trial."""
    rows = []
    for t, df in metrics.groupby("trial"):
        by = {s: d for s, d in df.groupby("step")}
        rows.append({"end I": by["I"].fid.iloc[-1], "peak II": by["II"].fid.max(), "end II": by["II"].fid.iloc[-1],
                     "end III": by["III"].fid.iloc[-1]})
    df = pd.DataFrame(rows)
    return ["  FID " + ", ".join(f"{k} {_pm(df[k], 1)}" for k in df.columns) + f" over {len(df)} trials",
            "  per trial (end I, peak II, end II, end III): "
            + "; ".join(" / ".join(f"{v:.1f}" for v in r) for r in df.itertuples(index=False))]


def forgetting_summary(demo: dict) -> list[str]:
    last = max(int(k.split("_it")[1]) for k in demo if k.startswith("rkl_it"))
    out = []
    for name in ("rkl", "bridge"):
        x0, x1 = demo[f"{name}_it0"].astype(float) / 255, demo[f"{name}_it{last}"].astype(float) / 255
        moved = np.abs(x1 - x0).mean(axis=(1, 2))  # per trial
        out.append(f"  {name}: mean |pixel change| after {last} iterations {_pm(moved, 4)} over {len(moved)} trials")
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=Path("."))
    p.add_argument("--datasets", nargs="*", default=["digits", "stacked_digits", "mnist", "stacked_mnist"])
    a = p.parse_args(argv)
    for ds in a.datasets:
        table = a.root / f"results/tables/{ds}.csv"
        if not table.is_file():
            continue
        print(f"{ds}: {table}")
        print("\n".join(table_summary(pd.read_csv(table))))
        metrics = a.root / f"results/images/{ds}/alpha_bridge/metrics.csv"
        if metrics.is_file():
            print("\n".join(transfer_summary(pd.read_csv(metrics))))
        demo = a.root / f"results/images/{ds}/fig1/demo.npz"
        if demo.is_file():
            with np.load(demo) as z:
                print("\n".join(forgetting_summary({k: z[k] for k in z.files})))
        report = a.root / f"results/images/{ds}/classifier.json"
        if report.is_file():
            print("  classifier:", ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                                         for k, v in json.loads(report.read_text()).items()))


if __name__ == "__main__":
    main()
