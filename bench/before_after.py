"""CPU cost of a code change: fig4's training kinds timed under an older checkout and this one,
alternating (A B A B) in one run, best of the repeats; the digests say whether the two trained
bitwise-identically. The fig4 ratio weighs each kind by its iterations in the paper-scale fig4
(alpha-Bridge Steps 2K/4K/4K, RKL-GP and RKL-SN 10K each).

    git worktree add /tmp/old <rev> && .venv/bin/python bench/before_after.py --old /tmp/old/src
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIG4_ITERS = {"step1_ml": 2000, "step2_bridge": 4000, "step3_rkl": 4000, "rkl_gp": 10000, "rkl_sn": 10000}


def run(src: str, out: Path, iters: int) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": src}
    subprocess.run([sys.executable, str(HERE / "bench_segments.py"), "--threads", "1", "--trials", "10", "--iters",
                    str(iters), "--only", *FIG4_ITERS, "--json", str(out)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    return json.loads(out.read_text())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", required=True, help="src/ folder of the older checkout")
    ap.add_argument("--new", default=str(HERE.parent / "src"))
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    best, digests = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.repeats):
            for name, src in (("old", args.old), ("new", args.new)):
                for r in run(src, Path(tmp) / f"{name}{rep}.json", args.iters):
                    key = (r["segment"], name)
                    best[key] = min(best.get(key, float("inf")), r["ms_per_it"])
                    digests.setdefault(key, set()).add(r["digest"])
    total = {"old": 0.0, "new": 0.0}
    print(f"{'segment':<14}{'old ms/it':>11}{'new ms/it':>11}{'new/old':>9}  same numerics")
    for seg, n in FIG4_ITERS.items():
        o, w = best[(seg, "old")], best[(seg, "new")]
        total["old"] += n * o
        total["new"] += n * w
        print(f"{seg:<14}{o:>11.2f}{w:>11.2f}{w / o:>9.3f}  {digests[(seg, 'old')] == digests[(seg, 'new')]}")
    print(f"fig4 training, iteration-weighted: new/old = {total['new'] / total['old']:.3f} "
          f"({total['old'] / 1e3:.0f} s -> {total['new'] / 1e3:.0f} s per beta1 on one core)")


if __name__ == "__main__":
    main()
