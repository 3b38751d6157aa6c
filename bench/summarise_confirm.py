"""The numbers the README and docs/results.md quote from the held-out confirmation, printed from the
pipeline's own tables (nothing here trains or scores):

- per arm and beta1: n, mean +- std of modes, KDE-LL and the high-quality share, diverged trials, and
  the difference to the best baseline with its 95 % Welch interval ("above", "below" or "within"
  according to whether the interval excludes 0);
- per contrast (Step II vs none, fresh Adam vs carried over): the difference and its interval.

    python bench/summarise_confirm.py [--root .]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

SHOWN = [("modes_covered", "modes", 1), ("kde_loglik", "KDE-LL", 2), ("hq_fraction", "HQ", 3)]


def verdict(low: float, high: float) -> str:
    """What an interval of a difference a - b supports: a above b, below it, or neither."""
    return "above" if low > 0 else "below" if high < 0 else "within (the interval includes 0)"


def arm_summary(table: pd.DataFrame) -> str:
    out = []
    for r in table.itertuples():
        stats = ", ".join(f"{name} {getattr(r, f'{m}_mean'):.{d}f} ± {getattr(r, f'{m}_std'):.{d}f}" for m, name, d in SHOWN)
        out.append(f"{r.arm} b1 {r.beta1}: {stats} (n = {r.n_trials}, diverged {r.n_diverged})")
        for m, name, d in SHOWN[:2]:
            best = getattr(r, f"{m}_best_baseline")
            if pd.isna(getattr(r, f"{m}_diff")):
                continue
            lo, hi = getattr(r, f"{m}_diff_low"), getattr(r, f"{m}_diff_high")
            out.append(f"    {name} - {best}: {getattr(r, f'{m}_diff'):+.{d}f} [{lo:+.{d}f}, {hi:+.{d}f}] "
                       f"-> {verdict(lo, hi)}")
    return "\n".join(out)


def contrast_summary(contrasts: pd.DataFrame) -> str:
    out = []
    for r in contrasts.itertuples():
        d = dict((m, dd) for m, _, dd in SHOWN)[r.metric]
        out.append(f"{r.a} - {r.b}, b1 {r.beta1}, {r.metric}: {r.mean_a:.{d}f} vs {r.mean_b:.{d}f}, "
                   f"diff {r.diff:+.{d}f} [{r.low:+.{d}f}, {r.high:+.{d}f}] (n = {r.n_a}, {r.n_b}) -> "
                   f"{verdict(r.low, r.high)}")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", type=Path, default=Path("."), help="the repository the pipeline ran in")
    a = p.parse_args(argv)
    tables = a.root / "results/tables"
    print(arm_summary(pd.read_csv(tables / "confirm.csv")))
    print("\ncontrasts (95 % Welch intervals):")
    print(contrast_summary(pd.read_csv(tables / "confirm_contrasts.csv")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
