"""Batched trials vs a per-trial loop: seed-iterations per second of the same training code.

    .venv/bin/python bench/bench_batched.py [--trials 10] [--iters 200] [--hidden 64] [--batch 128]

Both sides run the identical model, loss and optimiser: the batched side holds all trials in one
model (batched matmuls); the loop side trains `trials` single-trial models one after another.
The ratio is measured in one process, same threads, same machine.
"""
from __future__ import annotations

import argparse
import dataclasses
import time

import torch

from alphabridge.train.loop import Segment, TrainConfig, eval_noise, init_state, run_segment
from alphabridge import defaults


def timed(cfg: TrainConfig, seg: Segment, train) -> float:
    state = init_state(cfg)
    run_segment(state, seg=dataclasses.replace(seg, iters=5), cfg=cfg, train=train, eval_z=eval_noise(cfg),
                progress=False)  # warm-up
    t = time.perf_counter()
    run_segment(state, seg=seg, cfg=cfg, train=train, eval_z=eval_noise(cfg), progress=False)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    train = torch.randn(10_000, 2, generator=torch.Generator().manual_seed(0)) * 2
    base = defaults.train_config(trials=args.trials, batch_size=args.batch, eval_every=10**9, model=defaults.mlp(hidden=args.hidden))
    print(f"threads={args.threads} trials={args.trials} iters={args.iters} hidden={args.hidden} batch={args.batch}")
    print(f"{'segment':<22}{'batched seed-it/s':>18}{'loop seed-it/s':>16}{'ratio':>8}")
    for name, seg, d_reg in [("Step I (ML)", defaults.segment("I", iters=args.iters), "none"),
                             ("Step II (bridge)", defaults.segment("II", iters=args.iters), "none"),
                             ("RKL-GP", Segment(name="-", kind="rkl", iters=args.iters, train_encoder=False), "gp"),
                             ("RKL-SN", Segment(name="-", kind="rkl", iters=args.iters, train_encoder=False), "sn")]:
        cfg = dataclasses.replace(base, d_reg=d_reg)
        t_batched = timed(cfg, seg, train)
        t_loop = sum(timed(dataclasses.replace(cfg, trials=1, seed=cfg.seed + k), seg, train) for k in range(args.trials))
        rate_b, rate_l = args.trials * args.iters / t_batched, args.trials * args.iters / t_loop
        print(f"{name:<22}{rate_b:>18.0f}{rate_l:>16.0f}{rate_b / rate_l:>8.2f}")


if __name__ == "__main__":
    main()
