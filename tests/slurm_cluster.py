"""A real one-node SLURM cluster on 127.0.0.1 for the workflow tests (Debian's slurmctld, slurmd,
munge). Installs the packages with apt when missing; starts and stops only what it started."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

CONF = Path("/etc/slurm/slurm.conf")
LOGDIR = Path("/var/log/alphabridge-slurm-test")
PACKAGES = ["slurmctld", "slurmd", "slurm-client", "munge"]


def unavailable_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root (installs and starts slurmctld, slurmd and munged)"
    if not shutil.which("apt-get") and not shutil.which("slurmctld"):
        return "needs apt-get (Debian) to install SLURM, or SLURM already installed"
    return None


def ensure_installed() -> None:
    if all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "munged")):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env)


def _conf(cpus: int, mem_mb: int) -> str:
    return f"""# written by the alpha-bridge SLURM test
ClusterName=abtest
SlurmctldHost=localhost(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MpiDefault=none
StateSaveLocation={LOGDIR}/state
SlurmdSpoolDir={LOGDIR}/spool
SlurmctldPidFile={LOGDIR}/slurmctld.pid
SlurmdPidFile={LOGDIR}/slurmd.pid
SlurmctldLogFile={LOGDIR}/slurmctld.log
SlurmdLogFile={LOGDIR}/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem_mb} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
"""


def _wait(pred, timeout: float, what: str) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.5)
    raise RuntimeError(f"SLURM test cluster: timed out waiting for {what}")


@contextlib.contextmanager
def slurm_cluster():
    """Yield the slurmctld log path while a one-node cluster runs; restore everything after."""
    ensure_installed()
    shutil.rmtree(LOGDIR, ignore_errors=True)
    (LOGDIR / "state").mkdir(parents=True)
    (LOGDIR / "spool").mkdir()
    backup = CONF.read_text() if CONF.exists() else None
    CONF.parent.mkdir(parents=True, exist_ok=True)
    CONF.write_text(_conf(cpus=os.cpu_count() or 1, mem_mb=4000))
    started: list[subprocess.Popen] = []
    try:
        if subprocess.run(["pgrep", "-x", "munged"], capture_output=True).returncode != 0:
            Path("/run/munge").mkdir(parents=True, exist_ok=True)
            shutil.chown("/run/munge", "munge", "munge")
            if not Path("/etc/munge/munge.key").exists():
                subprocess.run(["mungekey", "--create"], check=True)
                shutil.chown("/etc/munge/munge.key", "munge", "munge")
            started.append(subprocess.Popen(["runuser", "-u", "munge", "--", "munged", "--foreground"]))
            _wait(lambda: Path("/run/munge/munge.socket.2").exists(), 30, "munged")
        started.append(subprocess.Popen(["slurmctld", "-D", "-i"]))
        _wait(lambda: subprocess.run(["scontrol", "ping"], capture_output=True, text=True).stdout.count("UP") > 0,
              60, "slurmctld")
        started.append(subprocess.Popen(["slurmd", "-D", "-N", "localhost"]))
        _wait(lambda: "idle" in subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True).stdout,
              60, "the node to become idle")
        yield LOGDIR / "slurmctld.log"
    finally:
        for proc in reversed(started):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if backup is None:
            CONF.unlink(missing_ok=True)
        else:
            CONF.write_text(backup)
