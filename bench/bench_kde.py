"""KDE log-likelihood: ours (torch float32, direct differences, chunked logsumexp) vs
scikit-learn's KernelDensity.score_samples, and accuracy vs a float64 numpy/scipy direct sum.

    .venv/bin/python bench/bench_kde.py [--n 10000] [--m 10000] [--bandwidth 0.05]
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from scipy.special import logsumexp
from sklearn.neighbors import KernelDensity

from alphabridge.metrics.kde import kde_logpdf


def float64_reference(x: np.ndarray, g: np.ndarray, h: float, chunk: int = 500) -> np.ndarray:
    out = []
    for s in range(0, len(x), chunk):
        sq = ((x[s : s + chunk, None, :] - g[None]) ** 2).sum(-1)
        out.append(logsumexp(-sq / (2 * h * h), axis=1))
    return np.concatenate(out) - math.log(len(g)) - 0.5 * x.shape[1] * math.log(2 * math.pi * h * h)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="generated samples (kernel centres)")
    ap.add_argument("--m", type=int, default=10_000, help="test points")
    ap.add_argument("--bandwidth", type=float, default=0.05)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    grid = np.array([(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)], dtype=np.float64)
    g = (grid[rng.integers(25, size=args.n)] + 0.05 * rng.normal(size=(args.n, 2))).astype(np.float32)
    x = (grid[rng.integers(25, size=args.m)] + 0.05 * rng.normal(size=(args.m, 2))).astype(np.float32)
    gt, xt = torch.from_numpy(g), torch.from_numpy(x)

    def best(fn):
        times = []
        for _ in range(args.repeats):
            t = time.perf_counter()
            out = fn()
            times.append(time.perf_counter() - t)
        return min(times), out

    t_ours, ours = best(lambda: kde_logpdf(xt, gt, bandwidths=[args.bandwidth])[0].double().numpy())
    kde = KernelDensity(bandwidth=args.bandwidth, kernel="gaussian").fit(g.astype(np.float64))
    t_sk, sk = best(lambda: kde.score_samples(x.astype(np.float64)))
    ref = float64_reference(x.astype(np.float64), g.astype(np.float64), args.bandwidth)
    print(f"{args.m} test points x {args.n} samples, h = {args.bandwidth}, threads = {torch.get_num_threads()}")
    print(f"ours (torch float32):       {t_ours:7.3f} s   mean LL {ours.mean():.9f}")
    print(f"sklearn KernelDensity:      {t_sk:7.3f} s   mean LL {sk.mean():.9f}")
    print(f"float64 direct reference:              mean LL {ref.mean():.9f}")
    print(f"speed-up vs sklearn: {t_sk / t_ours:.2f}x")
    print(f"relative error of mean LL vs float64: ours {abs(ours.mean() - ref.mean()) / abs(ref.mean()):.2e}, "
          f"sklearn {abs(sk.mean() - ref.mean()) / abs(ref.mean()):.2e}")
    print(f"max per-point abs error vs float64:   ours {np.abs(ours - ref).max():.2e}")


if __name__ == "__main__":
    main()
