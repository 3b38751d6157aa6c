"""The math core against closed forms and quadrature."""
import math

import numpy as np
import pytest
import torch

from alphabridge import divergence as dv

# Chosen where both estimators have finite 4th moments, so sample variances converge
# (F: 4a(1 - 1/s^2) < 1 for s > 1; R: 4(1 - a)(1 - s^2) < 1 for s < 1).
CASES = [(1.0, 0.9, 0.1), (1.0, 0.9, 0.5), (1.0, 0.9, 0.9), (-0.5, 1.1, 0.3), (0.3, 1.05, 0.7)]


def test_closed_form_matches_numerical_integral():
    # int p^a q^(1-a) by dense trapezoid quadrature on a wide grid
    x = np.linspace(-20, 20, 400001)
    for mu, s, a in CASES:
        p = np.exp(-((x - mu) ** 2) / (2 * s * s)) / (s * math.sqrt(2 * math.pi))
        q = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi)
        integral = np.trapezoid(p**a * q ** (1 - a), x)
        expected = (1 - integral) / (a * (1 - a))
        assert float(dv.alpha_divergence_gauss(mu=mu, sigma=s, alpha=a)) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("mu,s", [(1.0, 1.2), (-2.0, 0.5), (0.0, 2.0), (0.5, 1.0)])
def test_limits_are_the_two_kls(mu, s):
    fwd = float(dv.kl_q_p_gauss(mu=mu, sigma=s))
    rev = float(dv.kl_p_q_gauss(mu=mu, sigma=s))
    assert float(dv.alpha_divergence_gauss(mu=mu, sigma=s, alpha=1e-7)) == pytest.approx(fwd, rel=1e-5, abs=1e-9)
    assert float(dv.alpha_divergence_gauss(mu=mu, sigma=s, alpha=1 - 1e-7)) == pytest.approx(rev, rel=1e-5, abs=1e-9)
    # KL(N(0,1)||N(0,1)) = 0 sanity, and the two limits differ for s != 1 (so the test can fail)
    if s != 1.0:
        assert abs(fwd - rev) > 1e-3


def test_divergence_continuous_in_alpha():
    a = torch.linspace(1e-4, 1 - 1e-4, 10001, dtype=torch.float64)
    d = dv.alpha_divergence_gauss(mu=1.0, sigma=1.2, alpha=a)
    assert torch.isfinite(d).all() and (d > 0).all()
    jumps = (d[1:] - d[:-1]).abs()
    assert float(jumps.max()) < 1e-3  # step 1e-4 in alpha: a jump this small means no discontinuity


@pytest.mark.parametrize("c,d", [(10.0, -5.0), (1.0, 0.0), (5.0, -1.0), (20.0, -15.0), (0.5, 3.0)])
def test_gamma_sigmoid_endpoints_and_monotone(c, d):
    a = torch.linspace(0, 1, 1001, dtype=torch.float64)
    g = dv.gamma_alpha(a, kind="sigmoid", c=c, d=d)
    assert float(g[0]) == pytest.approx(0.0, abs=1e-12)
    assert float(g[-1]) == pytest.approx(1.0, abs=1e-12)
    assert bool((g[1:] > g[:-1]).all())


def test_gamma_linear_and_bad_kind():
    a = torch.tensor([0.0, 0.3, 1.0], dtype=torch.float64)
    assert torch.equal(dv.gamma_alpha(a, kind="linear"), a)
    hard = dv.gamma_alpha(torch.tensor([0.0, 0.4999, 0.5, 0.9]), kind="hard")
    assert hard.tolist() == [0.0, 0.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="unknown kind"):
        dv.gamma_alpha(0.5, kind="cosine")
    with pytest.raises(ValueError, match="c > 0"):
        dv.gamma_alpha(0.5, kind="sigmoid", c=-1.0, d=0.0)


@pytest.mark.parametrize("mu,s,a", CASES)
def test_twin_estimators_unbiased(mu, s, a):
    n = 400_000
    gen = torch.Generator().manual_seed(1234)
    draw = lambda: torch.randn(n, generator=gen, dtype=torch.float64)  # noqa: E731
    truth = dv.true_grad_gauss(mu=mu, sigma=s, alpha=a)
    g = float(dv.gamma_alpha(a, kind="sigmoid", c=10.0, d=-5.0))
    ests = {
        "F": dv.grad_forward(mu=mu, sigma=s, alpha=a, x=draw()),
        "R": dv.grad_reverse(mu=mu, sigma=s, alpha=a, eps=draw()),
        "combined": dv.grad_combined(mu=mu, sigma=s, alpha=a, gamma=g, x=draw(), eps=draw()),
    }
    for name, e in ests.items():
        se = e.std(0) / math.sqrt(n)
        z = (e.mean(0) - truth).abs() / se
        assert bool((z < 4).all()), f"{name} biased at mu={mu}, s={s}, a={a}: z={z.tolist()}"


def test_estimators_not_trivially_equal_truth():
    # guard against a test that cannot fail: a wrong sign must be detected
    mu, s, a = 1.0, 0.9, 0.5
    n = 200_000
    e = dv.grad_reverse(mu=mu, sigma=s, alpha=a, eps=torch.randn(n, dtype=torch.float64))
    truth = dv.true_grad_gauss(mu=mu, sigma=s, alpha=a)
    z = (-e.mean(0) - truth).abs() / (e.std(0) / math.sqrt(n))
    assert bool((z > 4).any())


@pytest.mark.parametrize("mu,s,a", CASES)
def test_sample_variance_matches_quadrature(mu, s, a):
    n = 400_000
    gen = torch.Generator().manual_seed(7)
    g = float(dv.gamma_alpha(a, kind="sigmoid", c=10.0, d=-5.0))
    exact = dv.exact_variance_gauss(mu=mu, sigma=s, alpha=a, gamma=g)
    f = dv.grad_forward(mu=mu, sigma=s, alpha=a, x=torch.randn(n, generator=gen, dtype=torch.float64))
    r = dv.grad_reverse(mu=mu, sigma=s, alpha=a, eps=torch.randn(n, generator=gen, dtype=torch.float64))
    for name, e in (("F", f), ("R", r)):
        var = e.var(0)
        # standard error of a sample variance: sqrt((m4 - var^2) / n), from the same draws
        se = torch.sqrt((((e - e.mean(0)) ** 4).mean(0) - var**2) / n)
        z = (var - exact[name]).abs() / se
        assert bool((z < 5).all()), f"{name}: sample {var.tolist()} vs exact {exact[name].tolist()}, z={z.tolist()}"


def test_variance_ordering_of_the_paper():
    # F has the lower variance near alpha -> 0, R near alpha -> 1 (Fig. 2), for both parameters
    lo = dv.exact_variance_gauss(mu=1.0, sigma=0.9, alpha=0.05, gamma=0.0)
    hi = dv.exact_variance_gauss(mu=1.0, sigma=0.9, alpha=0.95, gamma=1.0)
    assert bool((lo["F"] < lo["R"]).all())
    assert bool((hi["R"] < hi["F"]).all())
