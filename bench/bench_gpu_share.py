"""How many 25-Gaussians jobs should share one GPU? Runs k copies of one Step II job (10 trials,
paper-scale model) as separate processes on the same device, timed over the same interval, and
reports the aggregate iterations per second against k = 1 (the profile's `gpu` slots are chosen
from this: profiles/default/config.yaml).

    python bench/bench_gpu_share.py [--device cuda] [--k 1 3 6] [--iters 2000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def aggregate(k: int, *, device: str, iters: int, segment: str) -> float:
    """Iterations per second of k concurrent jobs together (sum of each job's timed rate)."""
    with tempfile.TemporaryDirectory() as tmp:
        start_at = time.time() + 12 + 2 * k  # after every process has imported torch and warmed up
        procs = [subprocess.Popen([sys.executable, str(HERE / "bench_segments.py"), "--device", device, "--only",
                                   segment, "--trials", "10", "--iters", str(iters), "--warmup", "20", "--threads",
                                   "1", "--start-at", str(start_at), "--json", f"{tmp}/{i}.json"],
                                  stdout=subprocess.DEVNULL) for i in range(k)]
        if any(p.wait() != 0 for p in procs):
            raise RuntimeError(f"a benchmark process failed (k={k})")
        rows = [json.loads(Path(f"{tmp}/{i}.json").read_text())[0] for i in range(k)]
    return sum(1e3 / r["ms_per_it"] for r in rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--k", type=int, nargs="+", default=[1, 3, 6])
    ap.add_argument("--iters", type=int, default=2000)
    ap.add_argument("--segment", default="step2_bridge")
    args = ap.parse_args()
    base = None
    print(f"{'jobs':>5}{'it/s (all jobs)':>18}{'vs 1 job':>10}")
    for k in args.k:
        rate = aggregate(k, device=args.device, iters=args.iters, segment=args.segment)
        base = base or rate
        print(f"{k:>5}{rate:>18.0f}{rate / base:>10.2f}", flush=True)


if __name__ == "__main__":
    main()
