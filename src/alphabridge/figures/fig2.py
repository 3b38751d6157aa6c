"""Render Fig. 2: variance of F, R and combined vs alpha, one panel per parameter."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from alphabridge.experiments.fig2 import exact_ratios, exact_variances, fig2_spec  # noqa: E402, F401 (fig2_spec: the stage's parse)

STYLE = {"F": ("tab:blue", "o"), "R": ("tab:orange", "s"), "combined": ("tab:green", "^")}
LABEL = {"F": r"$\nabla D^F_\alpha$ (10)", "R": r"$\nabla D^R_\alpha$ (11)", "combined": "combined (12)"}


def plot_fig2(table: pd.DataFrame, *, exact: pd.DataFrame | None = None, ratios: pd.DataFrame | None = None,
              title: str = ""):
    """Markers: sample variance from the CSV. Thin lines (optional): quadrature variance."""
    n = 2 if ratios is None else 3
    # constrained layout makes room for the legend above and the caption below inside the figure
    # (they sat outside it, seen only because the files are saved with a tight bounding box)
    fig, axes = plt.subplots(1, n, figsize=(3.5 * n, 2.8), sharex=True, layout="constrained")
    for ax, param in zip(axes, ("mu", "sigma")):
        sub = table[table.param == param]
        for name, (color, marker) in STYLE.items():
            s = sub[sub.estimator == name].sort_values("alpha")
            ax.plot(s.alpha, s["var"], marker=marker, ms=3.5, lw=1.2, color=color, label=LABEL[name])
            if exact is not None:
                e = exact[(exact.param == param) & (exact.estimator == name)].sort_values("alpha")
                ax.plot(e.alpha, e.exact_var, ls=":", lw=1.0, color=color)
        if exact is not None:  # the variance-optimal convex combination of the twins: the floor for any gamma
            e = exact[(exact.param == param) & (exact.estimator == "gamma*")].sort_values("alpha")
            ax.plot(e.alpha, e.exact_var, ls="--", lw=1.0, color="black", label=r"best $\gamma^*$ (exact)")
        ax.set_yscale("log")
        ax.set_xlabel(r"$\alpha$")
        ax.set_title(rf"gradient wrt $\{param}$", fontsize=10)
        ax.grid(alpha=0.3, which="both", lw=0.4)
    axes[0].set_ylabel("MC variance (1 sample)")
    if ratios is not None:  # the paper's weight on R against the variance-optimal one, per parameter
        ax = axes[2]
        r = ratios.sort_values("alpha")
        paper = r[r.param == "mu"]
        ax.plot(paper.alpha, paper.gamma, color="tab:green", lw=1.2, label=r"paper's $\gamma_\alpha$")
        for param, ls in (("mu", "--"), ("sigma", "-.")):
            s = r[r.param == param]
            ax.plot(s.alpha, s.gamma_star, ls=ls, lw=1.0, color="black", label=rf"$\gamma^*$ for $\{param}$")
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylabel("weight on R")
        ax.set_title("combination weight", fontsize=10)
        ax.grid(alpha=0.3, lw=0.4)
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=4, fontsize=8, frameon=False)
    if title:
        fig.supxlabel(title, fontsize=8)  # the caption line, under the panels
    return fig


def fig2(spec, table: pd.DataFrame):
    """Fig. 2 with its caption line (the setting, the trials, gamma) and the exact variances."""
    fig2cfg, gamma = spec
    title = (f"p = N({fig2cfg.mu}, {fig2cfg.sigma}²), q = N(0, 1); {int(table.n_trials.iloc[0])} one-sample trials "
             f"per α; γ: {gamma.kind}" + (f" (c={gamma.c}, d={gamma.d})" if gamma.kind == "sigmoid" else "")
             + "; dotted: exact variance; dashed: the best convex combination")
    return plot_fig2(table, exact=exact_variances(fig2=fig2cfg, gamma=gamma), ratios=exact_ratios(fig2=fig2cfg, gamma=gamma),
                     title=title)
