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
    """The same grid with quadrature variances (for the figure's reference lines), plus `gamma*`: the
    convex combination of F and R with the smallest variance, per parameter."""
    r = exact_ratios(fig2=fig2, gamma=gamma)
    cols = {"F": "var_F", "R": "var_R", "combined": "var_combined", "gamma*": "var_gamma_star"}
    rows = [{"alpha": row.alpha, "param": row.param, "estimator": name, "exact_var": getattr(row, col)}
            for row in r.itertuples() for name, col in cols.items()]
    return pd.DataFrame(rows)


RATIO_COLUMNS = ["alpha", "param", "gamma", "var_F", "var_R", "var_combined", "ratio_combined_to_best", "gamma_star",
                 "var_gamma_star", "ratio_gamma_star_to_best"]


def exact_ratios(*, fig2: Fig2Config, gamma: GammaConfig) -> pd.DataFrame:
    """Per alpha and parameter, by quadrature: the variances of F, R and the paper's combination
    (12) at its gamma_alpha, and Var(combined) / min(Var F, Var R) (> 1: the combination is worse
    than the better twin). With independent samples for F and R, Var((1-g) F + g R) =
    (1-g)^2 Var F + g^2 Var R is smallest at g* = Var F / (Var F + Var R), where it is
    Var F Var R / (Var F + Var R): below both, so a combination CAN always beat both twins; the
    ratio says whether the paper's gamma does."""
    rows = []
    for alpha in fig2.alphas:
        g = float(dv.gamma_alpha(alpha, kind=gamma.kind, c=gamma.c, d=gamma.d))
        ex = dv.exact_variance_gauss(mu=fig2.mu, sigma=fig2.sigma, alpha=alpha, gamma=g)
        for j, param in enumerate(("mu", "sigma")):
            vf, vr, vc = (float(ex[k][j]) for k in ("F", "R", "combined"))
            best = min(vf, vr)
            star = vf * vr / (vf + vr)
            rows.append({"alpha": float(alpha), "param": param, "gamma": g, "var_F": vf, "var_R": vr, "var_combined": vc,
                         "ratio_combined_to_best": vc / best, "gamma_star": vf / (vf + vr), "var_gamma_star": star,
                         "ratio_gamma_star_to_best": star / best})
    return pd.DataFrame(rows, columns=RATIO_COLUMNS)
