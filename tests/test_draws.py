"""Block-prefetched draws equal per-iteration draws; deferred finite-loss checks still name the
first bad iteration and never let a diverged state reach a resume file."""
import dataclasses
import math
import numpy as np
import pytest
import torch

from alphabridge.errors import TrainingDiverged
from alphabridge.train.checkpoint import load_checkpoint
from alphabridge.train.draws import Draws
from alphabridge.train.loop import LossWatch, run_segment
from alphabridge.train.state import eval_noise, init_state
from alphabridge import defaults

TRAIN = torch.randn(300, 2, generator=torch.Generator().manual_seed(0))


def reference_draws(seeds, iters, *, n, b, zd):
    """The stream as the loop drew it one iteration at a time (before blocks existed)."""
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    out = []
    for _ in range(iters):
        idx = torch.stack([torch.randint(n, (b,), generator=g) for g in gens])
        noise = torch.stack([torch.randn(b, 3 * zd + 1, generator=g) for g in gens])
        out.append((idx, noise))
    return out, gens


@pytest.mark.parametrize("block,limits", [(1, [10] * 10), (64, [10] * 10), (4, [3, 2, 1, 7, 6, 5, 4, 3, 2, 1])])
def test_blocks_replay_the_per_iteration_stream_exactly(block, limits):
    ref, ref_gens = reference_draws([3, 4, 5], 10, n=len(TRAIN), b=16, zd=2)
    gens = [torch.Generator().manual_seed(s) for s in (3, 4, 5)]
    draws = Draws(rngs=gens, n_train=len(TRAIN), batch_size=16, z_dim=2, device="cpu", block=block)
    for (idx, noise), limit in zip(ref, limits):
        r = draws.next(train=TRAIN, limit=limit)
        assert torch.equal(r["x"], TRAIN[idx])
        assert torch.equal(r["eps"], noise[..., :2]) and torch.equal(r["z_g"], noise[..., 2:4])
        assert torch.equal(r["z_d"], noise[..., 4:6])
        assert torch.equal(r["u"], torch.special.ndtr(noise[..., 6:]))
    # after the last block ends exactly at the last iteration, the generators are where they were
    assert all(torch.equal(a.get_state(), b.get_state()) for a, b in zip(gens, ref_gens))


def test_a_block_never_runs_past_its_limit():
    gens = [torch.Generator().manual_seed(0)]
    ref = [torch.Generator().manual_seed(0)]
    draws = Draws(rngs=gens, n_train=len(TRAIN), batch_size=4, z_dim=2, device="cpu", block=64)
    draws.next(train=TRAIN, limit=3)  # draws 3 iterations: the generator is 3 iterations on, not 64
    for _ in range(3):
        torch.randint(len(TRAIN), (4,), generator=ref[0]), torch.randn(4, 7, generator=ref[0])
    assert torch.equal(gens[0].get_state(), ref[0].get_state())


def test_trial_k_of_a_batched_run_equals_a_one_trial_run():
    cfg = defaults.train_config(trials=3, seed=7, batch_size=16, eval_every=5, n_eval=20, save_every=5,
                      model=defaults.mlp(hidden=16, depth=2))
    seg = defaults.segment("II", iters=10)
    many = run_segment(init_state(cfg), seg=seg, cfg=cfg, train=TRAIN, eval_z=eval_noise(cfg), progress=False)
    one_cfg = dataclasses.replace(cfg, trials=1, seed=8)
    one = run_segment(init_state(one_cfg), seg=seg, cfg=one_cfg, train=TRAIN, eval_z=eval_noise(one_cfg),
                      progress=False)
    np.testing.assert_allclose(many.samples[10][1], one.samples[10][0], rtol=1e-5, atol=1e-6)


def test_watch_names_each_trials_first_non_finite_loss():
    """Per trial: trial 1 goes inf at iteration 3 (generator), trial 2 nan at 4 (discriminator),
    trial 0 stays finite; a trial already frozen (skip) is not reported again."""
    watch = LossWatch("II")
    for it, g, d in [(1, [1.0, 1.0, 1.0], [0.5] * 3), (2, [2.0, 2.0, 2.0], [0.5] * 3),
                     (3, [3.0, math.inf, 3.0], [0.5] * 3), (4, [4.0, math.nan, 4.0], [0.5, 0.5, math.nan])]:
        watch.it = it
        watch.add("generator", torch.tensor(g))
        watch.add("discriminator", torch.tensor(d))
    found = watch.check()
    assert [(d.trial, d.iteration, d.what) for d in found] == [(1, 3, "generator"), (2, 4, "discriminator")]
    assert found[0].value == math.inf and found[0].describe("II") == "Step II, iteration 3: generator loss is inf (trial 1)"
    assert watch.check() == []  # the kept losses were cleared
    watch.it = 5
    watch.add("generator", torch.tensor([5.0, math.nan, 5.0]))
    assert watch.check(skip={1}) == []


def test_a_divergence_between_checks_is_reported_and_never_saved(tmp_path, monkeypatch):
    """The loss turns nan at iteration 6; saves come every 4 iterations: the run fails naming
    iteration 6, and the resume file still holds the healthy iteration-4 state."""
    cfg = defaults.train_config(trials=2, seed=3, batch_size=16, eval_every=100, n_eval=10, save_every=4,
                      model=defaults.mlp(hidden=16, depth=2))
    import alphabridge.train.loop as loop

    real = loop.obj.discriminator_loss
    calls = {"n": 0}

    def nan_from_6(f_real, f_fake):
        calls["n"] += 1
        loss = real(f_real, f_fake)
        return loss * float("nan") if calls["n"] >= 6 else loss

    monkeypatch.setattr(loop.obj, "discriminator_loss", nan_from_6)
    resume = tmp_path / "r.resume"
    with pytest.raises(TrainingDiverged, match=r"Step II, iteration 6: discriminator loss is nan \(trial 0\); every trial"):
        run_segment(init_state(cfg), seg=defaults.segment("II", iters=20), cfg=cfg, train=TRAIN,
                    eval_z=eval_noise(cfg), progress=False, resume_path=resume, fingerprint="fp")
    saved = load_checkpoint(resume)
    assert saved["iteration"] == 4
    assert all(torch.isfinite(p).all() for m in saved["models"].values() for p in m.values())
