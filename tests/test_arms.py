"""The image arms that isolate the bridge (issue 26): each trains what its name says, at alpha-Bridge's
generator updates, reads exactly the keys it depends on, and Step I then Step III starts from the very
Step I model alpha-Bridge starts from; Fig. 5's curves measure the distance from that model."""
import numpy as np
import pytest
import torch

from alphabridge import keys, methods, stages
from alphabridge.config import load_config_files
from conftest import REPO


@pytest.fixture
def cfg():
    return load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])


def _spec(cfg, method, step):
    return stages.spec_of("image_train", cfg, dataset="digits", method=method, step=step)


def test_arms_train_what_they_say_at_the_same_generator_updates(cfg):
    ab = cfg["images"]["runs"]["digits"]["alpha_bridge"]
    n1, n2, n3 = ab["step1_iters"], ab["step2_iters"], ab["step3_iters"]
    plain = {s: _spec(cfg, "alpha_bridge", s) for s in ("I", "II", "III")}
    gp = {s: _spec(cfg, "alpha_bridge_gp", s) for s in ("I", "II", "III")}
    fold = {s: _spec(cfg, "alpha_bridge_no_step2", s) for s in ("I", "II", "III")}
    scratch = _spec(cfg, "rkl_scratch", "-")
    assert ab["d_reg"] == "none" and all(plain[s].train.d_reg == "none" for s in plain)
    assert all(gp[s].train.d_reg == "gp" and gp[s].train.gp_weight == ab["gp_weight"] > 0 for s in gp)
    assert [gp[s].segment.iters for s in gp] == [plain[s].segment.iters for s in plain] == [n1, n2, n3]
    assert [fold[s].segment.iters for s in fold] == [n1, 0, n2 + n3]
    assert [fold[s].segment.kind for s in fold] == ["ml", "bridge", "rkl"]
    assert scratch.segment.kind == "rkl" and scratch.segment.iters == n1 + n2 + n3
    assert not scratch.segment.train_encoder and scratch.train.d_reg == "none"
    assert methods.of("images", steps=False) == ("dcgan", "rkl_scratch")


def test_arms_read_the_keys_they_depend_on():
    p = "images.runs.digits.alpha_bridge"
    scratch = keys.image_train(dataset="digits", method="rkl_scratch", step="-")
    assert {f"{p}.step{i}_iters" for i in (1, 2, 3)} <= set(scratch)
    assert "images.runs.digits.rkl_scratch" not in scratch and not any(k.endswith(".sigma") for k in scratch)
    fold3 = keys.image_train(dataset="digits", method="alpha_bridge_no_step2", step="III")
    assert f"{p}.step2_iters" in fold3 and f"{p}.step2_iters" not in keys.image_train(
        dataset="digits", method="alpha_bridge", step="III")


def test_a_bad_arm_is_refused():
    with pytest.raises(ValueError, match="fold_step2"):
        methods.Method("x", ("images",), False, d_reg="none", fold_step2=True)
    with pytest.raises(ValueError, match="length"):
        methods.Method("x", ("images",), False, d_reg="none", length="forever")


def test_step1_then_step3_starts_from_alpha_bridges_step1_model(cfg):
    """The control shares alpha-Bridge's Step I exactly (same keys, same seeds): bit-identical G, E, D."""
    from alphabridge.train.loop import run_segment
    from alphabridge.train.state import eval_noise, init_state

    train = torch.rand(256, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    states = {}
    for method in ("alpha_bridge", "alpha_bridge_no_step2"):
        spec = _spec(cfg, method, "I")
        states[method] = init_state(spec.train, x_dim=64, device="cpu")
        run_segment(states[method], seg=spec.segment, cfg=spec.train, train=train,
                    eval_z=eval_noise(spec.train, device="cpu"), progress=False)
    a, b = states["alpha_bridge"], states["alpha_bridge_no_step2"]
    for net in ("gen", "enc", "disc"):
        assert all(torch.equal(x, y) for x, y in zip(getattr(a, net).parameters(), getattr(b, net).parameters()))
    assert stages.stage_json("image_train", cfg, dataset="digits", method="alpha_bridge", step="I") == \
        stages.stage_json("image_train", cfg, dataset="digits", method="alpha_bridge_no_step2", step="I")


def test_fig5_curves_hold_the_pixel_distance_from_step1_and_modes(tmp_path, monkeypatch, cfg):
    """pixel_distance_step1 is mean |x_it - x_step1| / 255 of the same eval noise's samples (known
    answer), NaN before Step I ends and for a one-run method; modes come with the classifier."""
    from alphabridge.experiments import image_metrics as im

    n1 = cfg["images"]["runs"]["digits"]["alpha_bridge"]["step1_iters"]
    spec = stages.spec_of("image_metrics", cfg, dataset="digits", method="alpha_bridge")
    monkeypatch.setattr(im, "load_reference", lambda path, device: None)
    monkeypatch.setattr(im, "score", lambda images, modes, **_: ({"fid": 1.0, "inception_score": 2.0, **(
        {"modes_covered": 10, "kl_uniform": 0.5} if modes else {})}, None))
    later = np.zeros((2, 4, 64), np.uint8)
    later[0, :, :32] = 255  # trial 0: half the pixels moved all the way: distance 0.5
    later[1] = 51  # trial 1: every pixel moved by 0.2
    arrays = {f"it{n1 // 2}": np.full((2, 4, 64), 7, np.uint8), f"it{n1}": np.zeros((2, 4, 64), np.uint8),
              f"it{n1 + 10}": later}
    np.savez(tmp_path / "s.npz", **arrays)
    kw = dict(samples_npz=tmp_path / "s.npz", run=spec.run, dataset="digits", net=None, ref_stats=tmp_path / "r",
              batch_size=4, device="cpu")
    rows = im.metrics_along_training(plan=spec.plan, method="alpha_bridge", **kw)
    dist = rows.set_index(["iteration", "trial"]).pixel_distance_step1
    assert np.isnan(dist[n1 // 2, 0]) and dist[n1, 0] == 0.0 and dist[n1, 1] == 0.0
    assert dist[n1 + 10, 0] == pytest.approx(0.5) and dist[n1 + 10, 1] == pytest.approx(0.2)
    assert (rows.modes_covered == 10).all() and spec.run.feature_net == "classifier"
    one_run = im.metrics_along_training(plan=None, method="dcgan", **kw)
    assert one_run.pixel_distance_step1.isna().all() and list(one_run.columns) == im.METRIC_COLUMNS


def test_step1_lr_is_g_and_e_rate_in_step1_only(cfg):
    """alpha_bridge.step1_lr drives G's and E's Adam in Step I; D, and every net in later Steps, keep
    optim.lr, also after a checkpoint carried Step I's optimiser over; null is optim.lr everywhere."""
    from alphabridge.train.loop import set_learning_rates
    from alphabridge.train.state import init_state

    lr = cfg["images"]["runs"]["digits"]["optim"]["lr"]
    for step1_lr in (None, 0.003):
        cfg["images"]["runs"]["digits"]["alpha_bridge"]["step1_lr"] = step1_lr
        one, two = _spec(cfg, "alpha_bridge", "I"), _spec(cfg, "alpha_bridge", "II")
        assert one.segment.lr == step1_lr and two.segment.lr is None
        state = init_state(one.train, x_dim=64, device="cpu")
        set_learning_rates(state, seg=one.segment, cfg=one.train)
        rates = {k: {g["lr"] for g in o.param_groups} for k, o in state.opts.items()}
        assert rates == {"g": {step1_lr or lr}, "e": {step1_lr or lr}, "d": {lr}}
        set_learning_rates(state, seg=two.segment, cfg=two.train)
        assert {g["lr"] for o in state.opts.values() for g in o.param_groups} == {lr}


@pytest.mark.parametrize("extra", ["config/images_cpu.yaml", "config/mnist_gpu.yaml"])
def test_the_study_configs_give_every_arm_the_same_generator_updates(extra):
    """The shipped study configs: alpha-Bridge, each arm and DCGAN make the same number of G updates."""
    from alphabridge.experiments.gaussians import one_run_iters

    cfg = load_config_files([REPO / "config/config.yaml", REPO / extra])
    for dataset in ("mnist", "stacked_mnist"):
        s = cfg["images"]["runs"][dataset]
        assert set(s["arms"]) == {"alpha_bridge_gp", "alpha_bridge_no_step2", "rkl_scratch"}
        total = {}
        for m in ("alpha_bridge", *s["arms"], "dcgan"):
            if methods.get(m).steps:
                total[m] = sum(stages.spec_of("image_train", cfg, dataset=dataset, method=m, step=st).segment.iters
                               for st in ("I", "II", "III"))
            else:
                total[m] = one_run_iters(s, m)
        assert len(set(total.values())) == 1, total
