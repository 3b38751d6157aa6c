"""The numbers the README and docs/results.md quote about Fig. 2, printed from the pipeline's exact
table (results/tables/fig2_ratios.csv, written by the fig2_data rule; nothing here samples):

- per parameter: where the paper's combination (12) beats the better twin (ratio < 1) and where it
  does not, the worst ratio Var(combined) / min(Var F, Var R) and its alpha;
- the variance-optimal weight gamma* = Var F / (Var F + Var R) beside the paper's gamma_alpha.

    python bench/summarise_fig2.py [--table results/tables/fig2_ratios.csv]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd


def fig2_summary(r: pd.DataFrame) -> str:
    out = []
    for param, s in r.groupby("param", sort=False):
        s = s.sort_values("alpha")
        worst = s.loc[s.ratio_combined_to_best.idxmax()]
        below = s[s.ratio_combined_to_best < 1].alpha.tolist()
        out.append(f"{param}: worst Var(combined)/min(Var F, Var R) = {worst.ratio_combined_to_best:.2f} "
                   f"at alpha {worst.alpha:g}; below 1 at alpha {', '.join(f'{a:g}' for a in below) or 'none'} "
                   f"({len(below)} of {len(s)})")
        out.append("    alpha  gamma  gamma*  ratio(paper)  ratio(gamma*)")
        for row in s.itertuples():
            out.append(f"    {row.alpha:5g}  {row.gamma:5.3f}  {row.gamma_star:6.3f}  {row.ratio_combined_to_best:12.2f}"
                       f"  {row.ratio_gamma_star_to_best:13.2f}")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--table", type=Path, default=Path("results/tables/fig2_ratios.csv"))
    a = p.parse_args(argv)
    if not a.table.exists():
        raise SystemExit(f"{a.table} not found: build it with `snakemake --cores 1 results/figures/fig2.pdf`")
    print(fig2_summary(pd.read_csv(a.table)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
