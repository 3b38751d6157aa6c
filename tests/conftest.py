import os
import shutil
import signal
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


# Every smoke target the workflow tests read, built by ONE real Snakemake run per test session (the
# `smoke` fixture): 25-Gaussians with the generalisations, Fig. 2, the digits and stacked-digits
# image experiments and two ablation sweeps (which share the Fig. 4 runs).
GAUSSIANS_RECON = [f"results/gaussians/{m}/b1_0.5/reconstruction.csv"
                   for m in ("alpha_bridge", "alpha_bridge_marginals", "alpha_bridge_joint")]
GAUSSIANS_TARGETS = ["results/figures/fig4.pdf", "results/figures/fig3.pdf", "results/figures/fig1_gaussians.pdf",
                     "results/tables/gaussians_final.csv", "results/figures/fig4_generalisations.pdf",
                     "results/figures/step2_diagnostics.pdf", *GAUSSIANS_RECON]
IMAGE_FIGS = ["results/figures/fig1.pdf", "results/figures/fig5.pdf", "results/figures/fig6.pdf"]
IMAGE_METRICS = ["results/images/digits/alpha_bridge/metrics.csv", "results/images/digits/dcgan/metrics.csv",
                 "results/tables/digits.csv"]
SWEEP_TARGETS = ["results/figures/ablation_order.pdf", "results/figures/ablation_schedule.pdf"]
SMOKE_TARGETS = [*GAUSSIANS_TARGETS, "results/figures/fig2.pdf", *IMAGE_FIGS, *IMAGE_METRICS,
                 "results/tables/stacked_digits.csv", *SWEEP_TARGETS, "results/figures/confirm.pdf"]


USES_SMOKE = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)  # after -k / -m have deselected what will not run
def pytest_collection_modifyitems(config, items):
    """The tests that read the shared smoke run go last (in their order), and the run itself starts in
    the background before the first test (`_smoke_run`): the rest of the suite, mostly one core at a
    time, runs while the smoke run trains on the other, instead of after it."""
    uses = [item for item in items if "smoke" in getattr(item, "fixturenames", ())]
    config.stash[USES_SMOKE], later = bool(uses), set(uses)
    items[:] = [item for item in items if item not in later] + uses


@pytest.fixture(scope="session", autouse=True)
def _smoke_run(request, tmp_path_factory):
    """Starts the one real Snakemake run of every SMOKE_TARGETS file on config/smoke.yaml, in a copy
    of the workflow, as the session's first test sets up (nothing when no selected test reads it);
    `smoke` waits for it. Stopped with the session if still running (e.g. after Ctrl-C)."""
    if not request.config.stash.get(USES_SMOKE, False):
        yield None
        return
    dst = copy_repo(tmp_path_factory.mktemp("smoke"))
    # with no `python` on PATH (a Debian machine without python-is-python3): the rules must run
    # the interpreter that runs Snakemake, whatever it is called
    env = {**os.environ, "PATH": str(path_without_python(tmp_path_factory.mktemp("bin")))}
    log = dst.parent / "smoke_run.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([*SNAKEMAKE, "--cores", "2", *SMOKE_TARGETS, "--configfile", "config/smoke.yaml"],
                                cwd=dst, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    yield dst, proc, log
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()


@pytest.fixture(scope="session")
def smoke(_smoke_run):
    """A copy of the workflow in which every SMOKE_TARGETS file was built by one real run on
    config/smoke.yaml. Shared by every test that reads smoke outputs: a test that edits a file
    there restores it, and a test that needs another config copies the repo instead."""
    dst, proc, log = _smoke_run
    if proc.wait() != 0:
        raise AssertionError(f"the smoke run failed (exit {proc.returncode}):\n{log.read_text()[-6000:]}")
    return dst


def path_without_python(folder: Path) -> Path:
    """`folder` filled with links to every program on PATH except python*: a PATH with no python."""
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if not os.path.isdir(d):
            continue
        for name in os.listdir(d):
            link, target = folder / name, Path(d) / name
            if not name.startswith("python") and not link.exists() and os.access(target, os.X_OK):
                link.symlink_to(target)
    return folder


def run_snakemake(args, *, cwd, check=True, env=None):
    proc = subprocess.run(SNAKEMAKE + list(args), cwd=cwd, capture_output=True, text=True, env=env)
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
