"""Training robustness: checkpoint validation, NaN detection, resume after a crash or SIGKILL."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from alphabridge.config import load_config_files
from alphabridge.errors import CheckpointError, TrainingDiverged
from alphabridge.experiments.gaussians_metrics import metrics_table
from alphabridge.stages import spec_of, stage_json
from alphabridge.io import write_csv
from alphabridge.train.checkpoint import load_checkpoint, save_checkpoint
from alphabridge.train.loop import eval_noise, init_state, run_segment
from alphabridge import defaults
from conftest import REPO, crash_discriminator_at

CFG = defaults.train_config(trials=2, seed=3, batch_size=16, eval_every=5, n_eval=40, save_every=4,
                  model=defaults.mlp(hidden=16, depth=2))
TRAIN = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))


def test_truncated_and_foreign_checkpoints_name_the_file(tmp_path):
    good = tmp_path / "good.pt"
    save_checkpoint({"iteration": 1}, good)
    assert load_checkpoint(good)["iteration"] == 1
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(good.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="trunc.pt"):
        load_checkpoint(trunc)
    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="foreign.pt.*not written by alphabridge"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="missing.pt"):
        load_checkpoint(tmp_path / "missing.pt")


def test_nan_stops_training_with_step_and_iteration():
    bad = TRAIN.clone()
    bad[:] = float("nan")
    state = init_state(CFG)
    with pytest.raises(TrainingDiverged, match=r"Step I, iteration 1: negative ELBO loss is nan"):
        run_segment(state, seg=defaults.segment("I", iters=5), cfg=CFG, train=bad, eval_z=eval_noise(CFG),
                    progress=False)


def test_resume_after_crash_is_exact(tmp_path, monkeypatch):
    seg = defaults.segment("II", iters=13)
    straight = init_state(CFG)
    run_segment(straight, seg=seg, cfg=CFG, train=TRAIN, eval_z=eval_noise(CFG), progress=False)

    resume = tmp_path / "state.resume"
    undo = crash_discriminator_at(monkeypatch, 10)
    with pytest.raises(KeyboardInterrupt):
        run_segment(init_state(CFG), seg=seg, cfg=CFG, train=TRAIN, eval_z=eval_noise(CFG), progress=False,
                    resume_path=resume, fingerprint="fp")
    undo()
    assert load_checkpoint(resume)["iteration"] == 8  # last save before the crash
    resumed = run_segment(init_state(CFG), seg=seg, cfg=CFG, train=TRAIN, eval_z=eval_noise(CFG), progress=False,
                          resume_path=resume, fingerprint="fp")
    assert sorted(resumed.samples) == sorted(straight.samples) == [5, 10, 13]
    for it in straight.samples:
        assert np.array_equal(resumed.samples[it], straight.samples[it])
    # a resume file from another configuration is not used
    other = run_segment(init_state(CFG), seg=seg, cfg=CFG, train=TRAIN * 2, eval_z=eval_noise(CFG),
                        progress=False, resume_path=resume, fingerprint="other")
    assert other.iteration == 13


@pytest.mark.workflow
@pytest.mark.parametrize("step", ["I", "II"])
def test_sigkill_mid_step_resumes_to_identical_samples(tmp_path, step):
    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    g = cfg["gaussians"]
    g["alpha_bridge"].update(step1_iters=400, step2_iters=400)
    g["save_every"] = 50
    cfg["device"] = "cpu"

    def cmd(out, resume, *, which=step, prev=None):
        extra = ["--in", str(prev)] if prev else []
        cj = stage_json("gaussians_train", cfg, method="alpha_bridge", step=which)
        return [sys.executable, "-m", "alphabridge", "gaussians-train", "--config-json", cj, "--method",
                "alpha_bridge", "--beta1", "0.5", "--step", which, "--out", str(out), "--samples",
                str(out) + ".npz", "--resume", str(resume), "--quiet", *extra]

    prev = None
    if step == "II":  # Step II starts from a finished Step I
        prev = tmp_path / "step1.pt"
        subprocess.run(cmd(prev, tmp_path / "s1.resume", which="I"), check=True, cwd=REPO)
    subprocess.run(cmd(tmp_path / "a.pt", tmp_path / "a.resume", prev=prev), check=True, cwd=REPO)
    proc = subprocess.Popen(cmd(tmp_path / "b.pt", tmp_path / "b.resume", prev=prev), cwd=REPO)
    deadline = time.time() + 120
    while not (tmp_path / "b.resume").exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    time.sleep(0.3)  # land somewhere after the first save, not on it
    assert proc.poll() is None, "training finished before it could be killed; make it longer"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (tmp_path / "b.pt").exists()
    killed_at = load_checkpoint(tmp_path / "b.resume")["iteration"]
    start = 400 if step == "II" else 0
    assert start < killed_at < start + 400
    subprocess.run(cmd(tmp_path / "b.pt", tmp_path / "b.resume", prev=prev), check=True, cwd=REPO)
    assert not (tmp_path / "b.resume").exists()  # cleaned up after success
    with np.load(str(tmp_path / "a.pt") + ".npz") as a, np.load(str(tmp_path / "b.pt") + ".npz") as b:
        assert a.files == b.files and len(a.files) == (start + 400) // 20 + 1  # it{k} keys and diverged_at
        for k in a.files:
            assert np.array_equal(a[k], b[k]), k
    # and the metrics tables computed from them are byte-identical
    for name in ("a", "b"):
        spec = spec_of("gaussians_metrics", cfg, method="alpha_bridge")
        write_csv(metrics_table(samples_npz=str(tmp_path / f"{name}.pt") + ".npz", spec=spec, method="alpha_bridge",
                                beta1_label="0.5"), tmp_path / f"{name}.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
