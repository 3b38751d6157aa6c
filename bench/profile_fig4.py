"""Where the time of a fig4 run goes: per-rule wall time and peak memory from the Snakemake
`benchmark:` files the 25-Gaussians rules write (benchmarks/results/gaussians/*.tsv), plus an op-level
torch profile of one training iteration of each kind.

    .venv/bin/python bench/profile_fig4.py [--benchmarks benchmarks/results/gaussians] [--ops]
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pandas as pd
from alphabridge import defaults


def rule_table(folder: Path) -> pd.DataFrame:
    rows = []
    for f in sorted(folder.glob("*.tsv")):
        b = pd.read_csv(f, sep="\t")
        kind = "metrics" if f.stem.endswith("metrics") else ("train " + f.stem.split("_b1_")[0])
        rows.append({"job": f.stem, "kind": kind, "wall_s": float(b["s"].iloc[0]), "max_rss_mb": float(b["max_rss"].iloc[0])})
    return pd.DataFrame(rows)


def op_profile(kind: str, d_reg: str, iters: int = 20) -> str:
    import torch
    from torch.profiler import profile

    from alphabridge.train.loop import Segment, eval_noise, init_state, run_segment

    torch.set_num_threads(1)
    cfg = defaults.train_config(trials=10, batch_size=128, eval_every=10**9, model=defaults.mlp(hidden=64), d_reg=d_reg)
    if d_reg == "none":  # alpha-Bridge's Steps, by kind
        seg = defaults.segment({"ml": "I", "bridge": "II", "rkl": "III"}[kind], name="x", iters=iters)
    else:
        seg = Segment(name="x", kind=kind, iters=iters, train_encoder=False)
    state, train = init_state(cfg), torch.randn(10_000, 2)
    run_segment(state, seg=dataclasses.replace(seg, iters=3), cfg=cfg, train=train, eval_z=eval_noise(cfg), progress=False)
    with profile() as prof:
        run_segment(state, seg=seg, cfg=cfg, train=train, eval_z=eval_noise(cfg), progress=False)
    return prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--benchmarks", type=Path, default=Path("benchmarks/results/gaussians"))
    ap.add_argument("--ops", action="store_true", help="also profile one iteration of each kind (torch profiler)")
    args = ap.parse_args()
    if args.benchmarks.exists():
        t = rule_table(args.benchmarks)
        print(t.to_string(index=False))
        print("\nby kind (sum of job wall times, s):")
        print(t.groupby("kind").wall_s.sum().round(1).to_string())
        print(f"\ntotal job time {t.wall_s.sum():.0f} s (jobs run in parallel up to --cores)")
    else:
        print(f"no {args.benchmarks}: run `snakemake --cores 2 results/figures/fig4.pdf` first")
    if args.ops:
        for kind, d_reg in (("ml", "none"), ("bridge", "none"), ("rkl", "gp"), ("rkl", "sn")):
            print(f"\n=== one {kind} iteration (d_reg={d_reg}), 10 trials, hidden 64, batch 128, 1 thread ===")
            print(op_profile(kind, d_reg))


if __name__ == "__main__":
    main()
