"""Per-trial divergence (train/watch.py): one trial of a batched run is forced to diverge; it is
frozen and marked, and every other trial is bit-identical to a run in which nothing diverged."""
import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
import torch

from alphabridge import defaults
from alphabridge.errors import TrainingDiverged
from alphabridge.experiments.gaussians_metrics import final_table, metrics_table
from alphabridge.models.conv import ConvConfig
from alphabridge.stages import spec_of
from alphabridge.train import loop
from alphabridge.train.log import log_path
from alphabridge.train.loop import eval_noise, init_state, run_segment
from alphabridge.train.run import run_training

TRAIN = torch.randn(400, 2, generator=torch.Generator().manual_seed(0)) * 2
IMAGES = torch.rand(200, 64, generator=torch.Generator().manual_seed(1)) * 2 - 1
CONV = ConvConfig(image_shape=(1, 8, 8), z_dim=4, channels=4)


def _poison(monkeypatch, *, at: int, trial: int):
    """Before iteration `at`, set one generator weight of `trial` to NaN (the others untouched)."""
    real = loop.train_iteration

    def poisoned(state, **kw):
        if kw["watch"].it == at:
            with torch.no_grad():
                next(state.gen.parameters())[trial].view(-1)[0] = math.nan
        return real(state, **kw)

    monkeypatch.setattr(loop, "train_iteration", poisoned)


def _train(cfg, steps, *, x_dim=2, train=TRAIN, method="alpha_bridge"):
    state = init_state(cfg, x_dim=x_dim)
    for step, iters in steps:
        run_segment(state, seg=defaults.segment(step, method=method, iters=iters), cfg=cfg, train=train,
                    eval_z=eval_noise(cfg), progress=False)
    return state


def _params(state, trial):
    mods = (state.gen, state.disc, state.enc) + ((state.aux,) if state.aux is not None else ())
    return [p.detach().view(len(state.rngs), -1)[trial] for m in mods for p in m.parameters()]  # trial-major


CASES = {  # method, Steps, model: every kind of cross-trial code path (spectral norm, GP, aux nets, BatchNorm)
    "alpha_bridge": ("alpha_bridge", [("I", 20), ("II", 30), ("III", 20)], {}),
    "rkl_sn": ("rkl_sn", [("-", 50)], {}),
    "rkl_gp": ("rkl_gp", [("-", 50)], {}),
    "joint": ("alpha_bridge_joint", [("I", 20), ("II", 30)], {}),
    "conv": ("alpha_bridge", [("I", 10), ("II", 20)], {"model": CONV, "sample_uint8": True}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_diverged_trial_leaves_the_others_bit_identical(monkeypatch, case):
    method, steps, extra = CASES[case]
    conv = "model" in extra
    cfg = defaults.train_config(method=method, trials=3, batch_size=16, eval_every=10, n_eval=20, save_every=1000,
                                log_every=5, **({"model": defaults.mlp(hidden=16, depth=2)} | extra))
    kw = dict(x_dim=64, train=IMAGES) if conv else {}
    clean = _train(cfg, steps, method=method, **kw)
    _poison(monkeypatch, at=24, trial=1)
    hurt = _train(cfg, steps, method=method, **kw)

    assert hurt.diverged == {1: 24} and clean.diverged == {}
    for trial in (0, 2):  # bit-identical: parameters, every saved sample, every log value
        for a, b in zip(_params(clean, trial), _params(hurt, trial)):
            assert torch.equal(a, b)
        for it in clean.samples:
            assert np.array_equal(clean.samples[it][trial], hurt.samples[it][trial])
    rows = lambda s, t: pd.DataFrame(s.log).query("trial == @t").drop(columns="trial")  # noqa: E731
    pd.testing.assert_frame_equal(rows(clean, 0), rows(hurt, 0))
    assert all(torch.isnan(p).all() for p in _params(hurt, 1))  # frozen: NaN from the divergence on
    if not conv:  # float samples of the frozen trial are NaN from its first bad iteration on
        assert all(np.isnan(hurt.samples[it][1]).all() == (it >= 24) for it in hurt.samples)


def test_every_trial_diverged_or_fail_stops_the_run(monkeypatch):
    cfg = defaults.train_config(trials=2, batch_size=16, eval_every=10, n_eval=20, save_every=1000, log_every=5,
                                model=defaults.mlp(hidden=16, depth=2))
    _poison(monkeypatch, at=7, trial=0)
    with pytest.raises(TrainingDiverged, match=r"Step I, iteration 7: .* \(trial 0\) \(on_divergence: fail"):
        _train(dataclasses.replace(cfg, on_divergence="fail"), [("I", 20)])
    one = dataclasses.replace(cfg, trials=1)
    with pytest.raises(TrainingDiverged, match=r"Step I, iteration 7: .*; every trial has diverged"):
        _train(one, [("I", 20)])


def test_run_training_marks_samples_log_and_tables(tmp_path, monkeypatch):
    """The whole job: samples.npz carries diverged_at, the log names the frozen trial's rows, the
    metrics rows of the frozen trial are NaN with diverged_at, the table counts it and averages the others."""
    cfg = defaults.config()
    g = cfg["gaussians"]
    g.update(trials=3, save_every=10, log_every=10)
    g["model"].update(hidden=16, depth=2)
    g["eval"].update(every=10, n_samples=100)
    g["data"].update(n_train=500, n_val=100, n_test=200)
    g["rkl_sn"]["iters"] = 40
    spec, data = spec_of("gaussians_train", cfg, method="rkl_sn", beta1=0.5, step="-")
    _poison(monkeypatch, at=15, trial=2)
    from alphabridge.data.gaussians import make_splits
    ckpt, samples = tmp_path / "model.pt", tmp_path / "samples.npz"
    run_training(spec=spec, train=make_splits(data)["train"], x_dim=2, in_ckpt=None, out_ckpt=ckpt,
                 samples_out=samples, resume_path=tmp_path / "model.pt.resume", progress=False)
    assert list(np.load(samples)["diverged_at"]) == [0, 0, 15]
    log = pd.read_csv(log_path(ckpt))
    assert sorted(log.iteration.unique()) == [10, 20, 30, 40] and sorted(log.trial.unique()) == [0, 1, 2]
    assert log.query("trial < 2").drop(columns=["elbo", "loss_e", "loss_aux", "logw_f_max", "logw_r_max", "ess_f",
                                                "ess_r"]).notna().all().all()
    assert log.query("trial == 2 and iteration >= 20").loss_g.isna().all()

    mspec = spec_of("gaussians_metrics", cfg, method="rkl_sn")
    table = metrics_table(samples_npz=samples, spec=mspec, method="rkl_sn", beta1_label="0.5")
    dead = table[table.trial == 2]
    assert dead[dead.iteration >= 15].modes_covered.isna().all() and (dead.diverged_at == 15).all()
    assert dead[dead.iteration < 15].modes_covered.notna().all() and table[table.trial < 2].diverged_at.isna().all()
    final = final_table([table]).iloc[0]
    last = table[(table.iteration == 40) & (table.trial < 2)]
    assert final.n_trials == 3 and final.n_diverged == 1
    assert final.modes_covered_mean == pytest.approx(last.modes_covered.mean())


def test_image_metrics_skip_a_diverged_trial(tmp_path, monkeypatch):
    """uint8 samples cannot hold NaN: the image metrics read diverged_at and give NaN from there on,
    without scoring the void samples; earlier iterations are scored as usual."""
    from alphabridge.experiments import image_metrics as im

    spec = spec_of("image_metrics", defaults.config(), dataset="digits", method="dcgan")
    scored = []
    monkeypatch.setattr(im, "load_reference", lambda path, device: None)
    monkeypatch.setattr(im, "score", lambda images, **_: scored.append(images.shape) or
                        ({"fid": 1.0, "inception_score": 2.0}, None))
    arrays = {f"it{k}": np.zeros((2, 5, 64), np.uint8) for k in (20, 40, 60)}
    np.savez(tmp_path / "s.npz", **arrays, diverged_at=np.array([0, 40]))  # trial 1 diverged at 40
    rows = im.metrics_along_training(samples_npz=tmp_path / "s.npz", run=spec.run, plan=spec.plan, dataset="digits",
                                     method="dcgan", net=None, ref_stats=tmp_path / "ref", batch_size=5, device="cpu")
    assert list(rows.iteration) == [20, 20, 40, 40, 60, 60] and list(rows.trial) == [0, 1] * 3
    assert len(scored) == 4 and scored[0] == (5, 1, 8, 8)
    dead = rows[rows.trial == 1]
    assert dead.fid.tolist()[0] == 1.0 and dead.fid.iloc[1:].isna().all() and dead.inception_score.iloc[1:].isna().all()
    assert (rows[rows.trial == 0].fid == 1.0).all()
