"""Fig. 2: Monte Carlo variance of the one-sample twin gradients (10), (11) and their
combination (12) for p = N(mu, sigma^2), q = N(0, 1), across alpha."""
from __future__ import annotations

import pandas as pd
import torch

from alphabridge import divergence as dv
from alphabridge.typed import Fig2Config, GammaConfig, from_dict


def fig2_spec(raw: dict, **_) -> tuple[Fig2Config, GammaConfig]:
    return from_dict(Fig2Config, raw["fig2"]), from_dict(GammaConfig, raw["gamma"])


COLUMNS = ["alpha", "param", "estimator", "mean", "var", "true_grad", "n_trials"]


def run_fig2(*, fig2: Fig2Config, gamma: GammaConfig) -> pd.DataFrame:
    """One row per (alpha, param, estimator): sample mean and unbiased sample variance of
    `trials` independent one-sample estimates, and the autograd gradient of the closed form.
    F, R and the two halves of `combined` all use fresh, independent draws (float64, CPU:
    the whole study is a few vector operations)."""
    gen = torch.Generator().manual_seed(fig2.seed)
    n = fig2.trials
    rows = []
    for alpha in fig2.alphas:
        g = float(dv.gamma_alpha(alpha, kind=gamma.kind, c=gamma.c, d=gamma.d))
        draw = lambda: torch.randn(n, generator=gen, dtype=torch.float64)  # noqa: E731
        est = {
            "F": dv.grad_forward(mu=fig2.mu, sigma=fig2.sigma, alpha=alpha, x=draw()),
            "R": dv.grad_reverse(mu=fig2.mu, sigma=fig2.sigma, alpha=alpha, eps=draw()),
            "combined": dv.grad_combined(
                mu=fig2.mu, sigma=fig2.sigma, alpha=alpha, gamma=g, x=draw(), eps=draw()
            ),
        }
        truth = dv.true_grad_gauss(mu=fig2.mu, sigma=fig2.sigma, alpha=alpha)
        for j, param in enumerate(("mu", "sigma")):
            for name, values in est.items():
                v = values[:, j]
                rows.append(
                    {
                        "alpha": float(alpha),
                        "param": param,
                        "estimator": name,
                        "mean": float(v.mean()),
                        "var": float(v.var(unbiased=True)),
                        "true_grad": float(truth[j]),
                        "n_trials": n,
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS)


def exact_variances(*, fig2: Fig2Config, gamma: GammaConfig) -> pd.DataFrame:
    """The same grid with quadrature variances (for the figure's reference lines)."""
    rows = []
    for alpha in fig2.alphas:
        g = float(dv.gamma_alpha(alpha, kind=gamma.kind, c=gamma.c, d=gamma.d))
        ex = dv.exact_variance_gauss(mu=fig2.mu, sigma=fig2.sigma, alpha=alpha, gamma=g)
        for j, param in enumerate(("mu", "sigma")):
            for name, var in ex.items():
                rows.append({"alpha": float(alpha), "param": param, "estimator": name, "exact_var": float(var[j])})
    return pd.DataFrame(rows)
