"""The cost of building the DAG: `snakemake -n <target>` in this checkout against a baseline commit,
timed alternately in the same run (wall seconds and peak RSS, median of --repeats), printed as a table
with the ratio. The baseline is checked out with `git worktree` into a temporary folder and removed after.

    .venv/bin/python bench/bench_dry_run.py [--baseline e0e52c5] [--repeats 5] [--target results/figures/fig4.pdf]

e0e52c5 is the last commit whose workflow layer imported torch (every stage module) to build the DAG."""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _one(cwd: Path, target: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one dry run, by /usr/bin/time (GNU time)."""
    proc = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "snakemake", "-n", "--forceall",
                           target], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(cwd / "src")})
    if proc.returncode != 0:
        raise SystemExit(f"dry run failed in {cwd}:\n{proc.stderr[-2000:]}")
    wall, kb = proc.stderr.strip().splitlines()[-1].split()
    return float(wall), int(kb) / 1024


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--baseline", default="e0e52c5", help="git commit to compare against (default: %(default)s)")
    p.add_argument("--repeats", type=int, default=5, help="dry runs of each, alternating (default: %(default)s)")
    p.add_argument("--target", default="results/figures/fig4.pdf")
    a = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(["git", "worktree", "add", "--detach", str(base), a.baseline], cwd=REPO, check=True,
                       capture_output=True)
        try:
            times: dict[str, list[float]] = {"baseline": [], "this checkout": []}
            rss: dict[str, list[float]] = {"baseline": [], "this checkout": []}
            _one(base, a.target), _one(REPO, a.target)  # warm the file cache for both
            for _ in range(a.repeats):
                for name, cwd in (("baseline", base), ("this checkout", REPO)):
                    wall, peak = _one(cwd, a.target)
                    times[name].append(wall)
                    rss[name].append(peak)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base)], cwd=REPO, capture_output=True)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"snakemake -n --forceall {a.target}, median of {a.repeats} (alternating)")
    print(f"{'':16}{'wall s':>9}{'peak RSS MB':>13}")
    for k in times:
        print(f"{k:16}{med[k]:9.2f}{max(rss[k]):13.0f}")
    print(f"ratio this/baseline: {med['this checkout'] / med['baseline']:.2f} (wall)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
