"""Cost of the ablation study's `scale` sweep: seconds per iteration of each kind of update at each
network width, measured in one process, and the estimated wall time of one 10-trial cell.

    .venv/bin/python bench/bench_scale.py [--widths 64 128 256 512] [--iters 30] [--threads 1]

A cell's estimate = sum over its Steps of iterations x seconds/iteration (plus ~5 s job start-up);
the ratio column is against width 64 measured in the same run (the Fig. 4 setting, whose real
cells are timed by Snakemake's benchmark files).
"""
from __future__ import annotations

import argparse
import dataclasses

import torch

from bench_batched import timed  # noqa: E402  (same folder)

from alphabridge.train.loop import Segment
from alphabridge import defaults

KINDS = {  # name: (segment, discriminator regulariser)
    "ml": (defaults.segment("I", iters=1), "none"),
    "bridge": (defaults.segment("II", iters=1), "none"),
    "rkl_ab": (defaults.segment("III", iters=1), "none"),
    "rkl_gp": (Segment(name="-", kind="rkl", iters=1, train_encoder=False), "gp"),
    "rkl_sn": (Segment(name="-", kind="rkl", iters=1, train_encoder=False), "sn"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--widths", type=int, nargs="+", default=[64, 128, 256, 512])
    ap.add_argument("--iters", type=int, default=30)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1, help="1 = as the Snakemake rules run")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train = torch.randn(10_000, 2, generator=torch.Generator().manual_seed(0)) * 2
    sec = {}
    for w in args.widths:
        base = defaults.train_config(trials=args.trials, batch_size=args.batch, eval_every=10**9, model=defaults.mlp(hidden=w))
        for name, (seg, d_reg) in KINDS.items():
            cfg = dataclasses.replace(base, d_reg=d_reg)
            sec[w, name] = timed(cfg, dataclasses.replace(seg, iters=args.iters), train) / args.iters
    print(f"threads={args.threads} trials={args.trials} batch={args.batch} iters={args.iters}")
    print(f"{'width':>6}" + "".join(f"{k + ' s/it':>14}" for k in KINDS) + f"{'cell 10K (s)':>28}")
    for w in args.widths:
        ab = 2000 * sec[w, "ml"] + 4000 * sec[w, "bridge"] + 4000 * sec[w, "rkl_ab"]
        cells = {"alpha_bridge": ab, "rkl_gp": 10000 * sec[w, "rkl_gp"], "rkl_sn": 10000 * sec[w, "rkl_sn"]}
        ratio = sum(cells.values()) / sum(
            v for v in (2000 * sec[args.widths[0], "ml"] + 4000 * sec[args.widths[0], "bridge"]
                        + 4000 * sec[args.widths[0], "rkl_ab"], 10000 * sec[args.widths[0], "rkl_gp"],
                        10000 * sec[args.widths[0], "rkl_sn"]))
        print(f"{w:>6}" + "".join(f"{sec[w, k]:>14.4f}" for k in KINDS)
              + f"   AB {cells['alpha_bridge']:.0f} GP {cells['rkl_gp']:.0f} SN {cells['rkl_sn']:.0f}"
              + f"  (x{ratio:.1f} vs width {args.widths[0]})")


if __name__ == "__main__":
    main()
