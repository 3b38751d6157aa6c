"""The workflow through the SLURM profile on a real one-node SLURM cluster: jobs go through
sbatch, and the outputs equal a local run's byte for byte."""
import re
import subprocess

import pytest

from conftest import copy_repo, run_snakemake
from slurm_cluster import slurm_cluster, unavailable_reason

pytestmark = pytest.mark.workflow
TARGETS = ["results/fig2/variance.csv", "results/gaussians/rkl_sn/b1_0.5/metrics.csv"]
REASON = unavailable_reason()


@pytest.mark.skipif(REASON is not None, reason=f"SLURM test skipped: {REASON}")
def test_smoke_targets_through_slurm_profile_equal_local(tmp_path, smoke):
    local = smoke  # the session's local smoke run built both targets
    assert all((local / t).exists() for t in TARGETS)

    cluster = copy_repo(tmp_path / "cluster")
    with slurm_cluster() as ctld_log:
        proc = run_snakemake(
            ["--profile", "profiles/slurm", *TARGETS, "--configfile", "config/smoke.yaml",
             # test overrides: this cluster has no accounting database and one partition
             "--slurm-no-account", "--slurm-status-command", "squeue", "--jobs", "4",
             "--default-resources", "slurm_partition=debug", "mem_mb=500", "runtime=10",
             "--slurm-init-seconds-before-status-checks", "1"],
            cwd=cluster,
        )
        submitted = re.findall(r"submit_batch_job: JobId=(\d+)", ctld_log.read_text())
    out = proc.stdout + proc.stderr
    assert len(submitted) >= 3, f"expected sbatch submissions in slurmctld's log, found {submitted}\n{out[-3000:]}"
    assert "slurm" in out.lower()
    for target in TARGETS:
        assert (cluster / target).read_bytes() == (local / target).read_bytes(), target
    # every daemon this test started is gone
    for daemon in ("slurmctld", "slurmd"):
        assert subprocess.run(["pgrep", "-x", daemon], capture_output=True).returncode != 0, daemon
