"""Fig. 2, exactly: the ratio table the pipeline writes (Var(combined) / min(Var F, Var R) and the
variance-optimal weight), recomputed by independent adaptive quadrature, and the docs' worst ratio
equal to the one bench/summarise_fig2.py prints."""
import importlib.util
import math
import re

import numpy as np
import pytest
import torch
from scipy import integrate

from alphabridge import defaults, divergence as dv
from alphabridge.experiments.fig2 import RATIO_COLUMNS, exact_ratios, fig2_spec
from conftest import REPO

FIG2, GAMMA = fig2_spec(defaults.config())


def _var(estimator, alpha: float, j: int) -> float:
    """Var of one component of a one-sample estimator g(t), t ~ N(0, 1), by scipy's adaptive quad."""
    g = lambda t: float(estimator(mu=FIG2.mu, sigma=FIG2.sigma, alpha=alpha,  # noqa: E731
                                  **{"x" if estimator is dv.grad_forward else "eps":
                                     torch.tensor([t], dtype=torch.float64)})[0, j])
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    m1 = integrate.quad(lambda t: g(t) * phi(t), -40, 40, limit=400)[0]
    m2 = integrate.quad(lambda t: g(t) ** 2 * phi(t), -40, 40, limit=400)[0]
    return m2 - m1 * m1


@pytest.fixture(scope="module")
def table():
    return exact_ratios(fig2=FIG2, gamma=GAMMA)


def test_ratio_table_shape(table):
    assert list(table.columns) == RATIO_COLUMNS and len(table) == 2 * len(FIG2.alphas)
    assert np.isfinite(table.drop(columns="param").to_numpy(float)).all()


@pytest.mark.parametrize("alpha", [0.3, 0.55, 0.9])
def test_ratios_match_independent_quadrature(table, alpha):
    g = float(dv.gamma_alpha(alpha, kind=GAMMA.kind, c=GAMMA.c, d=GAMMA.d))
    for j, param in enumerate(("mu", "sigma")):
        row = table[(table.alpha == alpha) & (table.param == param)].iloc[0]
        vf, vr = _var(dv.grad_forward, alpha, j), _var(dv.grad_reverse, alpha, j)
        assert row.var_F == pytest.approx(vf, rel=1e-6) and row.var_R == pytest.approx(vr, rel=1e-6)
        combined = (1 - g) ** 2 * vf + g**2 * vr  # independent draws for F and R
        assert row.ratio_combined_to_best == pytest.approx(combined / min(vf, vr), rel=1e-6)
        # the variance-optimal weight by brute force over a fine grid of convex weights
        w = np.linspace(0, 1, 200001)
        best = w[np.argmin((1 - w) ** 2 * vf + w**2 * vr)]
        assert row.gamma_star == pytest.approx(best, abs=1e-5)
        assert row.ratio_gamma_star_to_best < 1  # a convex combination can always beat both twins


def test_the_known_ratios_of_the_default_setting(table):
    mu = table[table.param == "mu"].set_index("alpha").ratio_combined_to_best
    assert mu[0.4] == pytest.approx(1.29, abs=0.005) and mu[0.55] == pytest.approx(1.87, abs=0.005)
    assert (mu[mu.index <= 0.3] < 1).all() and (mu[mu.index >= 0.35] > 1).all()


def test_docs_quote_the_worst_ratio_the_summary_prints(table):
    spec = importlib.util.spec_from_file_location("summarise_fig2", REPO / "bench/summarise_fig2.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.fig2_summary(table)
    docs = (REPO / "docs/results.md").read_text() + (REPO / "README.md").read_text()
    for param in ("mu", "sigma"):
        ratio, alpha = re.search(rf"^{param}: worst .* = ([0-9.]+) at alpha ([0-9.]+);", text, re.M).groups()
        assert f"{ratio} at α {alpha}" in docs, (param, ratio, alpha)
