"""25-Gaussians metrics against known answers and independent float64 computations."""
import math

import numpy as np
import pytest
import torch
from scipy.special import logsumexp

from alphabridge.data.gaussians import grid_means, make_splits, sample_mixture
from alphabridge.metrics.gaussians import inception_score, mixture_posterior, mode_coverage
from alphabridge.metrics.kde import kde_logpdf, kde_loglik, select_bandwidth
from alphabridge import defaults

MEANS = grid_means([-4, -2, 0, 2, 4])
STD = 0.05


def test_grid_and_splits():
    assert MEANS.shape == (25, 2)
    assert {tuple(m) for m in MEANS.tolist()} == {(a, b) for a in (-4, -2, 0, 2, 4) for b in (-4, -2, 0, 2, 4)}
    s = make_splits(defaults.gaussians_data(n_train=500, n_val=300, n_test=400))
    assert s["train"].shape == (500, 2) and s["val"].shape == (300, 2) and s["test"].shape == (400, 2)
    assert not torch.equal(s["val"][:300], s["test"][:300])  # independent draws
    again = make_splits(defaults.gaussians_data(n_train=500, n_val=300, n_test=400))
    assert torch.equal(s["test"], again["test"])  # seeded


def test_inception_score_known_answers():
    gen = torch.Generator().manual_seed(0)
    x = sample_mixture(20_000, means=MEANS, std=STD, generator=gen)
    assert inception_score(x, means=MEANS, std=STD) == pytest.approx(25.0, abs=0.3)
    one = MEANS[7] + STD * torch.randn(5_000, 2, generator=gen)
    assert inception_score(one, means=MEANS, std=STD) == pytest.approx(1.0, abs=1e-6)
    five = sample_mixture(20_000, means=MEANS[:5], std=STD, generator=gen)
    assert inception_score(five, means=MEANS, std=STD) == pytest.approx(5.0, abs=0.1)


def test_posterior_is_exact_bayes():
    x = torch.tensor([[0.03, -0.02], [1.0, 0.0]])
    post = mixture_posterior(x, means=MEANS, std=STD)
    assert torch.allclose(post.sum(1), torch.ones(2))
    # the midpoint between modes (0,0) and (2,0) is split exactly in half
    i, j = 12, 17  # (0,0) and (2,0) in row-major grid order
    assert MEANS[i].tolist() == [0.0, 0.0] and MEANS[j].tolist() == [2.0, 0.0]
    assert float(post[1, i]) == pytest.approx(0.5, abs=1e-6) and float(post[1, j]) == pytest.approx(0.5, abs=1e-6)


def test_mode_coverage_constructed():
    x = torch.stack([
        MEANS[0] + torch.tensor([0.1, 0.0]),  # within 3 std (0.15) of mode 0
        MEANS[3] + torch.tensor([0.0, -0.14]),  # within 3 std of mode 3
        MEANS[3],  # mode 3 again
        MEANS[5] + torch.tensor([0.2, 0.0]),  # 4 std: low quality, mode 5 not covered
        torch.tensor([1.0, 1.0]),  # between modes
    ])
    modes, hq = mode_coverage(x, means=MEANS, std=STD)
    assert modes == 2
    assert hq == pytest.approx(3 / 5)


def _kde_float64(x, g, h):
    sq = ((x[:, None, :] - g[None, :, :]) ** 2).sum(-1)
    d = x.shape[1]
    return logsumexp(-sq / (2 * h * h), axis=1) - math.log(len(g)) - 0.5 * d * math.log(2 * math.pi * h * h)


def test_kde_equals_float64_direct_sum():
    rng = np.random.default_rng(0)
    # float32 inputs, so the float64 reference sees exactly the same points
    g = (rng.normal(size=(3000, 2)) * 2).astype(np.float32).astype(np.float64)
    x = (rng.normal(size=(1500, 2)) * 2).astype(np.float32).astype(np.float64)
    for h in (0.05, 0.2, 1.0):
        ref = _kde_float64(x, g, h)
        ours = kde_logpdf(torch.tensor(x, dtype=torch.float32), torch.tensor(g, dtype=torch.float32),
                          bandwidths=[h], chunk=256)[0].double().numpy()
        assert abs(ours.mean() - ref.mean()) / abs(ref.mean()) < 1e-6
        assert np.max(np.abs(ours - ref) / np.abs(ref)) < 1e-5


def test_kde_matches_sklearn():
    from sklearn.neighbors import KernelDensity

    rng = np.random.default_rng(1)
    g, x = rng.normal(size=(800, 2)), rng.normal(size=(500, 2))
    ref = KernelDensity(bandwidth=0.3, kernel="gaussian").fit(g).score_samples(x)
    ours = kde_logpdf(torch.tensor(x), torch.tensor(g), bandwidths=[0.3])[0].numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9)


def test_bandwidth_selection_and_perfect_samples():
    s = make_splits(defaults.gaussians_data(n_train=4000, n_val=1000, n_test=2000))
    grid = [0.01, 0.02, 0.05, 0.1, 0.5, 1.0]
    h = select_bandwidth(s["val"], s["train"], grid=grid)
    scores = [float(kde_logpdf(s["val"], s["train"], bandwidths=[b])[0].mean()) for b in grid]
    assert h == grid[int(np.argmax(scores))]
    assert h in (0.02, 0.05)  # near the true mode std
    ll_real = kde_loglik(s["test"], s["train"], bandwidth=h)
    noise = torch.rand(4000, 2, generator=torch.Generator().manual_seed(3)) * 10 - 5
    ll_noise = kde_loglik(s["test"], noise, bandwidth=select_bandwidth(s["val"], noise, grid=grid))
    assert ll_real > -0.3 and ll_noise < -3.5  # perfect samples ~ -0.13, uniform noise ~ -4.6 (DESIGN.md)
