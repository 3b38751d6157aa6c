"""The CUDA path, proven on a machine without a GPU.

Two stand-ins, each catching what the other cannot (measured, see the design notes):
- `FakeTensorMode` with tensors on "cuda": every op checks that its inputs share a device
  (FakeTensorDeviceMismatchError) and reading a value back (.item(), float(), bool()) raises
  DataDependentOutputException. Backward cannot run there without a GPU, so torch.autograd.grad
  is replaced by zeros of the right shape and device: placement of every forward op, of the
  gradients and of the (fused) optimiser step is checked, not the backward kernels.
- the "meta" device: forward, real autograd and Adam run; reading a value raises.
"""
import dataclasses

import numpy as np
import pytest
import torch
from torch._subclasses.fake_tensor import DataDependentOutputException, FakeTensorMode, unset_fake_temporarily

from alphabridge.models.conv import ConvConfig
from alphabridge.train import loop, state as st
from alphabridge.train.draws import Draws
from alphabridge.train.loop import LossWatch, Segment, train_iteration
from alphabridge.train.state import init_state, restore_checkpoint, state_payload
from alphabridge import defaults

MLP = defaults.train_config(trials=2, seed=5, batch_size=8, n_eval=4, model=defaults.mlp(hidden=8, depth=2))
CONV = dataclasses.replace(MLP, model=ConvConfig(image_shape=(1, 8, 8), z_dim=4, channels=4))
KINDS = {  # name -> (config, segment); one of every kind of iteration the pipeline trains
    "step1": (MLP, defaults.segment("I", iters=10)),
    "step2": (MLP, defaults.segment("II", iters=10)),
    "step2_sequential": (MLP, defaults.segment("II", iters=10, update_order="sequential")),
    "step3": (MLP, defaults.segment("III", iters=10)),
    "rkl_gp": (dataclasses.replace(MLP, d_reg="gp"), Segment(name="-", kind="rkl", iters=10, train_encoder=False)),
    "rkl_sn": (dataclasses.replace(MLP, d_reg="sn"), Segment(name="-", kind="rkl", iters=10, train_encoder=False)),
    "dcgan_ns": (MLP, Segment(name="-", kind="ns", iters=10, train_encoder=False)),
    "marginals_step2": (dataclasses.replace(MLP, aux="latent"), defaults.segment("II", iters=10)),
    "marginals_step3": (dataclasses.replace(MLP, aux="latent"), defaults.segment("III", iters=10)),
    "joint_step2": (dataclasses.replace(MLP, aux="joint"), defaults.segment("II", iters=10)),
    "joint_step3": (dataclasses.replace(MLP, aux="joint"), defaults.segment("III", iters=10)),
    "conv_step1": (CONV, defaults.segment("I", iters=10, sigma=0.3)),
    "conv_step2": (CONV, defaults.segment("II", iters=10, sigma=0.3)),
    "conv_dcgan": (CONV, Segment(name="-", kind="ns", iters=10, train_encoder=False)),
    "conv_joint_step2": (dataclasses.replace(CONV, aux="joint"), defaults.segment("II", iters=10, sigma=0.3)),
}


def _train(cfg):
    g = torch.Generator().manual_seed(0)
    if isinstance(cfg.model, ConvConfig):
        return torch.randint(0, 256, (50, 64), dtype=torch.uint8, generator=g)
    return torch.randn(50, 2, generator=g)


def _x_dim(cfg):
    return 64 if isinstance(cfg.model, ConvConfig) else 2


def _tensors(state):
    mods = [state.gen, state.disc, state.enc] + ([state.aux] if state.aux is not None else [])
    out = [t for m in mods for t in list(m.parameters()) + list(m.buffers())]
    for o in state.opts.values():
        out += [v for s in o.state.values() for k, v in s.items() if torch.is_tensor(v) and k != "step"]
    return out


@pytest.fixture
def fake_cuda(monkeypatch):
    """Fake CUDA: models are built for real on the CPU (as init_state does) and then moved."""
    for name in ("build_models", "build_conv_models", "build_aux", "build_conv_aux"):
        real = getattr(st, name)

        def built_for_real(*a, _real=real, **k):
            with unset_fake_temporarily():
                return _real(*a, **k)
        monkeypatch.setattr(st, name, built_for_real)

    def zero_grads(outputs, inputs, *a, **k):
        return tuple(torch.zeros_like(x) for x in ([inputs] if torch.is_tensor(inputs) else inputs))
    monkeypatch.setattr(torch.autograd, "grad", zero_grads)
    with FakeTensorMode(allow_non_fake_inputs=True):
        yield torch.device("cuda")


def _one_iteration(cfg, seg, device, *, train_device=None):
    state = init_state(cfg, x_dim=_x_dim(cfg), device=device)
    train = _train(cfg).to(train_device or device)
    draws = Draws(rngs=state.rngs, n_train=len(train), batch_size=cfg.batch_size, z_dim=cfg.model.z_dim, device=device)
    watch = LossWatch(seg.name)
    r = draws.next(train=train, limit=seg.iters)
    train_iteration(state, cfg=cfg, seg=seg, r=r, i=3, watch=watch)
    # a logged iteration (the training log's statistics) queues more work, and still reads nothing back
    state.stats = train_iteration(state, cfg=cfg, seg=seg, r=draws.next(train=train, limit=seg.iters), i=4,
                                  watch=watch, diag=True)
    return state


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_iteration_on_fake_cuda_places_everything_on_the_gpu(fake_cuda, kind):
    cfg, seg = KINDS[kind]
    state = _one_iteration(cfg, seg, fake_cuda)
    assert all(t.device.type == "cuda" for t in _tensors(state))
    assert {"grad_g", "grad_d", "d_real"} <= set(state.stats) and all(v.device.type == "cuda" for v in state.stats.values())
    assert all(o.param_groups[0]["fused"] for o in state.opts.values())  # fused Adam on CUDA
    assert all(s["step"].device.type == "cuda" for o in state.opts.values() for s in o.state.values())


def test_fake_cuda_catches_misplaced_data_and_host_syncs(fake_cuda):
    cfg, seg = KINDS["step2"]
    with pytest.raises(Exception, match="[Dd]evice"):  # data left on the CPU beside CUDA models
        _one_iteration(cfg, seg, fake_cuda, train_device="cpu")
    loss = torch.ones((), device="cuda")
    with pytest.raises(DataDependentOutputException):
        bool(torch.isfinite(loss))  # the per-iteration check the loop used to make


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_iteration_on_meta_runs_backward_without_reading_a_value(kind):
    cfg, seg = KINDS[kind]
    state = _one_iteration(cfg, seg, torch.device("meta"))
    assert all(t.device.type == "meta" for t in _tensors(state))
    with pytest.raises((NotImplementedError, RuntimeError)):
        float(next(state.gen.parameters()).sum())  # what a host sync inside the iteration would hit


@pytest.fixture(scope="module")
def step1(tmp_path_factory):
    """A real Step I checkpoint trained on the CPU (module scope: made before any fake mode)."""
    state = init_state(MLP)
    loop.run_segment(state, seg=defaults.segment("I", iters=6), cfg=MLP, train=_train(MLP),
                     eval_z=st.eval_noise(MLP), progress=False)
    path = tmp_path_factory.mktemp("ckpt") / "step1.pt"
    loop.save_checkpoint({"fingerprint": "f", **state_payload(state)}, path)
    return path, state


@pytest.mark.filterwarnings("ignore:.*meta parameter")
def test_cpu_checkpoint_restores_onto_another_device(step1):
    """Step I (CPU) -> Step II on another device: tensors go to the device, the per-trial CPU
    generators get their saved states back, Adam's step counter stays a CPU scalar (no sync)."""
    path, trained = step1
    state = init_state(MLP, device="meta")
    restore_checkpoint(state, path)
    assert state.iteration == 6 and all(t.device.type == "meta" for t in _tensors(state))
    assert all(torch.equal(a.get_state(), b.get_state()) for a, b in zip(state.rngs, trained.rngs))
    assert all(s["step"].device.type == "cpu" for o in state.opts.values() for s in o.state.values())


def test_cpu_checkpoint_restores_into_fused_adam_on_cuda(step1, fake_cuda):
    path, _ = step1
    state = init_state(MLP, device=fake_cuda)
    with unset_fake_temporarily():  # a real file read, as restore_checkpoint does outside fake mode
        payload = loop.load_checkpoint(path)
    st.restore_state(state, payload, source=str(path))
    assert all(o.param_groups[0]["fused"] for o in state.opts.values())  # not the saved CPU optimiser's None
    assert all(s["step"].device.type == "cuda" for o in state.opts.values() for s in o.state.values())


def test_fused_optimiser_state_restores_into_the_default_cpu_adam():
    fused = init_state(MLP)
    for k, o in fused.opts.items():  # as a CUDA run's checkpoint would hold them
        fused.opts[k] = torch.optim.Adam(o.param_groups[0]["params"], lr=MLP.lr, fused=True)
    state = st.restore_state(init_state(MLP), state_payload(fused), source="test")
    assert all(o.param_groups[0]["fused"] is None for o in state.opts.values())


@pytest.mark.filterwarnings("ignore:.*meta parameter")
def test_training_restores_the_previous_step_through_the_device_path(tmp_path, monkeypatch):
    """run_training (every Step II/III job) on a non-CPU device: the Step I file must restore."""
    from alphabridge import device as dev
    from alphabridge.config import load_config_files
    from alphabridge.experiments import gaussians as ex
    from alphabridge.stages import spec_of
    from alphabridge.train import run as runner
    from conftest import REPO

    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    cfg = {k: cfg[k] for k in ("device", "precision", "gamma", "gaussians")} | {"device": "cpu"}
    step1 = tmp_path / "step1.pt"
    def train(step, **kw):
        spec, data = spec_of("gaussians_train", cfg, method="alpha_bridge", beta1=0.5, step=step)
        ex.train_step(spec=spec, data=data, samples_out=None, resume_path=None, progress=False, **kw)

    train("I", in_ckpt=None, out_ckpt=step1)
    seen = {}

    def stop(state, **k):
        seen.update(device=state.device, iteration=state.iteration, train=k["train"].device)
        raise KeyboardInterrupt

    monkeypatch.setattr(dev, "resolve", lambda *a, **k: torch.device("meta"))
    monkeypatch.setattr(runner, "run_segment", stop)
    with pytest.raises(KeyboardInterrupt):
        train("II", in_ckpt=step1, out_ckpt=tmp_path / "step2.pt")
    assert seen == {"device": torch.device("meta"), "iteration": cfg["gaussians"]["alpha_bridge"]["step1_iters"],
                    "train": torch.device("meta")}
    assert np.isfinite(loop.load_checkpoint(step1)["iteration"])
