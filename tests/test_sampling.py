"""Sampling is well defined: generators draw with BatchNorm in eval mode, so samples do
not depend on the chunk size, drawing leaves the running statistics alone, and modes are restored."""
import numpy as np
import torch

from alphabridge.models.conv import ConvConfig, build_conv_models
from alphabridge.train.sampling import eval_mode, generate, prior_batchnorm_stats


def _trained_gen():
    """A 2-trial conv G whose BatchNorm running statistics are no longer the initial (0, 1)."""
    g, _, _ = build_conv_models(cfg=ConvConfig(image_shape=(1, 8, 8), z_dim=4, channels=4),
                                generators=[torch.Generator().manual_seed(s) for s in (0, 1)])
    with torch.no_grad():
        for _ in range(5):
            g(torch.randn(2, 32, 4) * 3 + 1)  # train mode: updates the running statistics
    return g


def _bn_state(g):
    return {k: v.clone() for k, v in g.state_dict().items() if "running" in k or "num_batches" in k}


def test_samples_do_not_depend_on_the_chunk_size():
    g, z = _trained_gen(), torch.randn(2, 50, 4, generator=torch.Generator().manual_seed(3))
    whole = generate(g, z, chunk=4096)
    for chunk in (1, 7, 16):
        np.testing.assert_allclose(generate(g, z, chunk=chunk), whole, rtol=0, atol=1e-6)
    assert np.array_equal(generate(g, z, chunk=7, as_uint8=True), generate(g, z, as_uint8=True))
    # the test has teeth: in train mode the same chunks give different samples
    with torch.no_grad():
        by_chunk = torch.cat([g(z[:, i : i + 7]) for i in range(0, 50, 7)], dim=1)
    assert (by_chunk - g(z).detach()).abs().max() > 1e-2


def test_drawing_leaves_running_statistics_and_modes_alone():
    g = _trained_gen()
    before, z = _bn_state(g), torch.randn(2, 20, 4)
    generate(g, z, chunk=6)
    after = _bn_state(g)
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert all(m.training for m in g.modules())  # back in train mode for the next iteration
    g.net[1].eval()  # a mixed state is restored module by module
    with eval_mode(g):
        assert not any(m.training for m in g.modules())
    assert not g.net[1].training and g.net[0].training


def test_prior_statistics_are_the_prior_batches_average():
    """After re-estimation, the first BatchNorm's running mean is the average of its inputs' batch
    means over the prior batches, and its running variance the average of their unbiased batch
    variances, computed here by hand from the layer before it; the mixed history is gone."""
    g, z = _trained_gen(), torch.randn(2, 48, 4, generator=torch.Generator().manual_seed(5))
    was_training = [m.training for m in g.modules()]
    assert prior_batchnorm_stats(g, z, batch_size=16) == 2  # fc_norm and the one inside net
    from alphabridge.models.conv import _to_maps

    with torch.no_grad():
        pre = [_to_maps(g.fc(z[:, i : i + 16]), g.base) for i in range(0, 48, 16)]  # [B, T*C, H, W] each
    means = torch.stack([p.mean(dim=(0, 2, 3)) for p in pre]).mean(0)
    variances = torch.stack([p.transpose(0, 1).reshape(p.shape[1], -1).var(dim=1) for p in pre]).mean(0)
    torch.testing.assert_close(g.fc_norm.running_mean, means, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g.fc_norm.running_var, variances, rtol=1e-5, atol=1e-6)
    assert g.fc_norm.momentum == 0.1 and [m.training for m in g.modules()] == was_training
    # the statistics depend on the prior draws only: a second call gives the same, whatever came between
    first = _bn_state(g)
    with torch.no_grad():
        g(torch.randn(2, 32, 4) * 5 - 2)
    prior_batchnorm_stats(g, z, batch_size=16)
    for k, v in first.items():
        if "running" in k:
            torch.testing.assert_close(_bn_state(g)[k], v)


def test_prior_statistics_are_a_no_op_without_batchnorm():
    from alphabridge.models.batched import MLPConfig, build_models

    gen = build_models(cfg=MLPConfig(z_dim=2, hidden=8, depth=2, leaky_slope=0.2), x_dim=2,
                       generators=[torch.Generator().manual_seed(0)])[0]
    before = {k: v.clone() for k, v in gen.state_dict().items()}
    assert prior_batchnorm_stats(gen, torch.randn(1, 10, 2), batch_size=4) == 0
    assert all(torch.equal(before[k], v) for k, v in gen.state_dict().items())


def test_eval_bn_stats_changes_what_is_sampled_and_nothing_that_is_learnt():
    """An image Step I (smoke digits) trained twice from the config, eval.bn_stats running then prior:
    bit-identical weights (training never reads running statistics), different saved samples."""
    from alphabridge import stages
    from alphabridge.config import load_config_files
    from alphabridge.train.loop import run_segment
    from alphabridge.train.state import eval_noise, init_state
    from conftest import REPO

    cfg, states = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"]), {}
    train = torch.rand(256, 64, generator=torch.Generator().manual_seed(0)) * 2 - 1
    for mode in ("running", "prior"):
        cfg["images"]["runs"]["digits"]["eval"]["bn_stats"] = mode
        spec = stages.spec_of("image_train", cfg, dataset="digits", method="alpha_bridge", step="I")
        assert spec.train.bn_stats == mode
        states[mode] = init_state(spec.train, x_dim=64, device="cpu")
        run_segment(states[mode], seg=spec.segment, cfg=spec.train, train=train,
                    eval_z=eval_noise(spec.train, device="cpu"), progress=False)
    run, prior = states["running"], states["prior"]
    assert all(torch.equal(a, b) for a, b in zip(run.gen.parameters(), prior.gen.parameters()))
    assert all(torch.equal(a, b) for a, b in zip(run.enc.parameters(), prior.enc.parameters()))
    last = max(run.samples)
    assert run.samples[last].dtype == np.uint8 and not np.array_equal(run.samples[last], prior.samples[last])
