"""Batched models: trial k of a T-trial run equals a single-trial run with the same seed."""
import dataclasses

import pytest
import torch

from alphabridge.models.batched import BatchedLinear, BatchedMLP, build_models
from alphabridge.objectives import WeightOptions
from alphabridge.train.loop import eval_noise, init_state, run_segment
from alphabridge import defaults

CFG = defaults.train_config(trials=3, seed=11, batch_size=16, eval_every=5, n_eval=50, model=defaults.mlp(hidden=16, depth=2))


def test_init_per_trial_matches_single():
    many = build_models(x_dim=2, cfg=CFG.model, generators=[torch.Generator().manual_seed(s) for s in (11, 12, 13)])
    one = build_models(x_dim=2, cfg=CFG.model, generators=[torch.Generator().manual_seed(12)])
    for m_many, m_one in zip(many, one):
        for (n, a), (_, b) in zip(m_many.state_dict().items(), m_one.state_dict().items()):
            assert torch.equal(a[1:2], b), n
    # different seeds give different parameters (the test above could not pass trivially)
    assert not torch.equal(many[0].layers[0].weight[0], many[0].layers[0].weight[1])


def _train(cfg, segs):
    state = init_state(cfg)
    train = torch.randn(500, 2, generator=torch.Generator().manual_seed(0)) * 2
    for seg in segs:
        run_segment(state, seg=seg, cfg=cfg, train=train, eval_z=eval_noise(cfg), progress=False)
    return state


SEGS = [defaults.segment("I", iters=6),
        defaults.segment("II", iters=6, weights=WeightOptions(clamp_logw=None, self_normalize=False)),
        defaults.segment("III", iters=6)]


@pytest.mark.parametrize("d_reg", ["none", "gp", "sn"])
@pytest.mark.parametrize("order", ["joint", "sequential"])
def test_batched_trial_equals_single_trial_run(d_reg, order):
    segs = [dataclasses.replace(s, update_order=order) for s in SEGS]
    many = _train(dataclasses.replace(CFG, d_reg=d_reg), segs)
    k = 2
    one = _train(dataclasses.replace(CFG, d_reg=d_reg, trials=1, seed=CFG.seed + k), segs)
    assert sorted(many.samples) == sorted(one.samples) == [5, 6, 10, 12, 15, 18]
    for it in many.samples:
        torch.testing.assert_close(torch.from_numpy(many.samples[it][k]), torch.from_numpy(one.samples[it][0]),
                                   rtol=1e-4, atol=1e-5)


def test_spectral_norm_normalises_each_trial():
    gens = [torch.Generator().manual_seed(s) for s in range(4)]
    lin = BatchedLinear(6, 5, generators=gens, spectral_norm=True)
    with torch.no_grad():
        lin.weight.mul_(torch.tensor([0.5, 2.0, 7.0, 30.0])[:, None, None])
    for _ in range(200):  # power iterations happen in training-mode forwards
        lin(torch.randn(4, 3, 6))
    w = lin.effective_weight().detach()
    torch.testing.assert_close(torch.linalg.matrix_norm(w, ord=2), torch.ones(4), rtol=1e-4, atol=1e-4)
    # and it agrees with torch's own spectral_norm on one trial
    ref = torch.nn.utils.parametrizations.spectral_norm(torch.nn.Linear(6, 5, bias=False), n_power_iterations=200)
    with torch.no_grad():
        ref.parametrizations.weight.original.copy_(lin.weight[2].T)
    ref.train()
    ref(torch.randn(1, 6))
    torch.testing.assert_close(ref.weight.detach().T, w[2], rtol=1e-3, atol=1e-4)


def test_mlp_shapes():
    mlp = BatchedMLP(2, 3, cfg=defaults.mlp(hidden=8, depth=3), generators=[torch.Generator() for _ in range(4)])
    assert mlp(torch.randn(4, 10, 2)).shape == (4, 10, 3)
    assert len(mlp.layers) == 4 and mlp.trials == 4
