"""On a real GPU (skipped elsewhere, with the reason): the iteration never waits for the GPU, CUDA
training matches the CPU's, checkpoints cross devices both ways, resume is exact.
Run by bench/gpu_check.sh (`pytest -m cuda`)."""
import dataclasses

import numpy as np
import pytest
import torch

from alphabridge import device as dev
from alphabridge.train.draws import Draws
from alphabridge.train.loop import LossWatch, run_segment, train_iteration
from alphabridge.train.state import eval_noise, init_state, restore_state, state_payload
from alphabridge import defaults
from conftest import crash_discriminator_at
from test_device import KINDS, MLP, _train, _x_dim

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not dev.cuda_usable()[0], reason=f"needs a GPU: {dev.cuda_usable()[1]}")]
CUDA = torch.device("cuda")


@pytest.fixture(autouse=True)
def exact_float32():
    dev.apply_precision(dev.Precision(tf32=False, deterministic=False, cudnn_benchmark=False))


@pytest.mark.parametrize("kind", list(KINDS))
def test_an_iteration_never_synchronises_with_the_host(kind):
    cfg, seg = KINDS[kind]
    state = init_state(cfg, x_dim=_x_dim(cfg), device=CUDA)
    train = _train(cfg).to(CUDA)
    draws = Draws(rngs=state.rngs, n_train=len(train), batch_size=cfg.batch_size, z_dim=cfg.model.z_dim, device=CUDA)
    watch = LossWatch(seg.name)
    train_iteration(state, cfg=cfg, seg=seg, r=draws.next(train=train, limit=3), i=0, watch=watch)  # warm-up
    torch.cuda.set_sync_debug_mode("error")
    try:
        for i in (1, 2):  # the second a logged iteration: the training log's statistics stay on the GPU too
            train_iteration(state, cfg=cfg, seg=seg, r=draws.next(train=train, limit=3), i=i, watch=watch, diag=i == 2)
    finally:
        torch.cuda.set_sync_debug_mode("default")
    assert watch.check() == []
    assert all(o.param_groups[0]["fused"] for o in state.opts.values())


@pytest.mark.parametrize("kind", ["step1", "step2", "rkl_gp", "rkl_sn", "joint_step2", "conv_step2"])
def test_cuda_training_follows_the_cpu_run(kind):
    cfg, seg = KINDS[kind]
    cfg = dataclasses.replace(cfg, eval_every=5, save_every=5)
    seg = dataclasses.replace(seg, iters=5)
    runs = {}
    for d in ("cpu", "cuda"):
        s = init_state(cfg, x_dim=_x_dim(cfg), device=d)
        runs[d] = run_segment(s, seg=seg, cfg=cfg, train=_train(cfg).to(d), eval_z=eval_noise(cfg, device=d),
                              progress=False)
    for a, b in zip(runs["cpu"].gen.parameters(), runs["cuda"].gen.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().cpu().numpy(), rtol=1e-3, atol=1e-5)


def test_checkpoints_cross_devices_both_ways():
    seg = defaults.segment("II", iters=6)
    gpu = run_segment(init_state(MLP, device=CUDA), seg=seg, cfg=MLP, train=_train(MLP).to(CUDA),
                      eval_z=eval_noise(MLP, device=CUDA), progress=False)
    on_cpu = restore_state(init_state(MLP), state_payload(gpu), source="cuda payload")
    assert on_cpu.opts["g"].param_groups[0]["fused"] is None
    back = restore_state(init_state(MLP, device=CUDA), state_payload(on_cpu), source="cpu payload")
    assert back.opts["g"].param_groups[0]["fused"] is True
    assert all(s["step"].device.type == "cuda" for s in back.opts["g"].state.values())
    for a, b in zip(gpu.gen.parameters(), back.gen.parameters()):
        assert torch.equal(a, b)


def test_trial_k_of_a_batched_cuda_run_equals_a_one_trial_run():
    cfg = dataclasses.replace(MLP, trials=3, eval_every=5)
    seg = defaults.segment("II", iters=10)
    many = run_segment(init_state(cfg, device=CUDA), seg=seg, cfg=cfg, train=_train(cfg).to(CUDA),
                       eval_z=eval_noise(cfg, device=CUDA), progress=False)
    one_cfg = dataclasses.replace(cfg, trials=1, seed=cfg.seed + 2)
    one = run_segment(init_state(one_cfg, device=CUDA), seg=seg, cfg=one_cfg, train=_train(cfg).to(CUDA),
                      eval_z=eval_noise(one_cfg, device=CUDA), progress=False)
    np.testing.assert_allclose(many.samples[10][2], one.samples[10][0], rtol=1e-4, atol=1e-5)


def test_resume_on_cuda_is_exact(tmp_path, monkeypatch):
    dev.apply_precision(dev.Precision(tf32=False, deterministic=True, cudnn_benchmark=False))
    cfg = dataclasses.replace(MLP, eval_every=5, save_every=4)
    seg = defaults.segment("II", iters=13)
    kw = dict(seg=seg, cfg=cfg, train=_train(cfg).to(CUDA), eval_z=eval_noise(cfg, device=CUDA), progress=False)
    straight = run_segment(init_state(cfg, device=CUDA), **kw)
    undo = crash_discriminator_at(monkeypatch, 10)
    with pytest.raises(KeyboardInterrupt):
        run_segment(init_state(cfg, device=CUDA), resume_path=tmp_path / "r", fingerprint="fp", **kw)
    undo()
    resumed = run_segment(init_state(cfg, device=CUDA), resume_path=tmp_path / "r", fingerprint="fp", **kw)
    for it in straight.samples:
        assert np.array_equal(resumed.samples[it], straight.samples[it]), it
