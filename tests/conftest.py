import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def copy_repo(tmp_path):
    """A copy of the workflow in a temp dir, so real runs never touch the checkout's results/."""
    dst = tmp_path / "repo"
    for name in ("Snakefile", "workflow", "config", "profiles", "src", "envs"):
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            dst.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst / name)
    return dst


@pytest.fixture
def repo_copy(tmp_path):
    return copy_repo(tmp_path)


def run_snakemake(args, *, cwd, check=True):
    proc = subprocess.run(SNAKEMAKE + list(args), cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def job_counts(stdout: str) -> dict[str, int]:
    """{rule: count} of the "Job stats" table Snakemake prints before it runs (or dry-runs) anything."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and not parts[0].startswith("total"):
            out[parts[0]] = int(parts[1])
    return out


def crash_discriminator_at(monkeypatch, n: int):
    """Make the n-th discriminator update raise KeyboardInterrupt (a killed job); returns the undo."""
    import alphabridge.train.loop as loop

    real, calls = loop._discriminator, {"n": 0}

    def crashing(*a, **k):
        calls["n"] += 1
        if calls["n"] == n:
            raise KeyboardInterrupt("simulated kill")
        return real(*a, **k)

    monkeypatch.setattr(loop, "_discriminator", crashing)
    return lambda: monkeypatch.setattr(loop, "_discriminator", real)
