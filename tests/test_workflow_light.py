"""The workflow layer is light: building the DAG imports no torch, torchvision, matplotlib or
pytorch-fid, and the device decision it makes without torch is checked against torch in every job."""
import os
import subprocess
import sys

import pytest
import torch

from alphabridge import device as dev
from alphabridge import hardware
from conftest import REPO, SNAKEMAKE

HEAVY = ("torch", "torchvision", "matplotlib", "pytorch_fid", "torch_fidelity", "sklearn")


def _imported(stderr: str) -> set[str]:
    """Top-level modules named in `python -X importtime` output."""
    out = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            out.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return out


@pytest.mark.workflow
def test_a_dry_run_imports_no_heavy_library():
    proc = subprocess.run([sys.executable, "-X", "importtime", *SNAKEMAKE[1:], "-n", "--forceall",
                           "results/figures/fig4.pdf", "results/tables/digits.csv", "results/figures/search.pdf"],
                          cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    mods = _imported(proc.stderr)
    assert "snakemake" in mods and "alphabridge" in mods  # the check saw the workflow load
    assert not mods & set(HEAVY), sorted(mods & set(HEAVY))


def test_the_helpers_the_snakefile_loads_import_no_heavy_library():
    code = ("import sys; from alphabridge import config, hardware, keys, methods, stages;"
            "from alphabridge.experiments import search_draw;"
            "cfg = config.load_config_files(['config/config.yaml']); config.variant_configs(cfg);"
            "[stages.stage_code(n) for n in stages.registry()];"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "[]"


def test_gpu_probe_without_torch(monkeypatch, tmp_path):
    monkeypatch.setattr(hardware.glob, "glob", lambda pattern: [])  # no driver entries
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert hardware.nvidia_gpus() == (False, "no NVIDIA driver (/proc/driver/nvidia/gpus) and no nvidia-smi")
    smi = tmp_path / "nvidia-smi"
    smi.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 (UUID: GPU-x)'\n")
    smi.chmod(0o755)
    assert hardware.nvidia_gpus() == (True, "nvidia-smi -L lists 1 GPU(s)")
    assert hardware.planned_device("auto") == "cuda" and hardware.planned_device("cpu") == "cpu"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert hardware.nvidia_gpus()[0] is False and hardware.planned_device("auto") == "cpu"
    with pytest.raises(ValueError, match="'device'"):
        hardware.planned_device("gpu")


def test_a_job_refuses_a_device_the_workflow_did_not_plan(monkeypatch):
    ok, why = dev.cuda_usable()
    found = "cuda" if ok else "cpu"
    monkeypatch.setenv(hardware.PLANNED_ENV, found)
    assert dev.resolve("auto", log=False) == torch.device(found)
    monkeypatch.setenv(hardware.PLANNED_ENV, "cpu" if ok else "cuda")
    with pytest.raises(RuntimeError, match=f"planned this job on {'cpu' if ok else 'cuda'}") as e:
        dev.resolve("auto", log=False)
    assert why in str(e.value)  # both answers are named
