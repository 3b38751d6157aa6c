"""Ablation figures: final KDE-LL, high-quality fraction and modes (mean +- std over trials) per
sweep cell; for the robustness sweep also the fraction of settings each method gets right."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alphabridge import style  # noqa: E402
# parse_ablations: the ablation_figure stage reads what the tables read (alphabridge.keys names it here)
from alphabridge.experiments.ablations import parse_ablations, robustness_summary  # noqa: E402, F401

ROBUSTNESS_SWEEP = "robustness"  # the beta1 x lr sweep: its figure adds the fraction-of-settings panel


def _label(row, *, several_b1: bool, show_lr: bool) -> str:
    parts = [str(row.setting)]
    if several_b1:
        parts.append(f"β1={row.beta1:g}")
    if show_lr:
        parts = [f"β1={row.beta1:g}", f"lr={row.lr:g}"]
    return "\n".join(parts)


def plot_sweep(table: pd.DataFrame, *, sweep: str, success_modes: int, robustness: bool | None = None):
    robustness = sweep == ROBUSTNESS_SWEEP if robustness is None else robustness
    several_b1 = table.beta1.nunique() > 1
    table = table.assign(label=[_label(r, several_b1=several_b1, show_lr=robustness) for r in table.itertuples()])
    labels = list(dict.fromkeys(table.label))  # config order
    methods = list(dict.fromkeys(table.method))
    panels = [("kde_loglik", "final KDE log-likelihood"), ("hq_fraction", "high-quality fraction"),
              ("modes", "modes covered (of 25)")]
    ncols = len(panels) + (1 if robustness else 0)
    # constrained: room for the methods' legend under the panels (inside the first
    # panel it covered that panel's points)
    fig, axes = plt.subplots(1, ncols, figsize=(max(3.2, 0.45 * len(labels) + 1.5) * ncols / 1.6, 3.4),
                             squeeze=False, layout="constrained")
    x = np.arange(len(labels))
    width = 0.8 / len(methods)
    for ax, (col, title) in zip(axes[0], panels):
        for k, m in enumerate(methods):
            sub = table[table.method == m].set_index("label").reindex(labels)
            mean = sub[f"{col}_mean"].to_numpy(float)
            err = sub[f"{col}_std"].to_numpy(float) if f"{col}_std" in sub else None
            ax.errorbar(x + (k - (len(methods) - 1) / 2) * width, mean, yerr=err, fmt="o", ms=3.5, capsize=2,
                        color=style.color(m), label=style.label(m))
        if col == "modes":
            ax.axhline(success_modes, color="grey", lw=0.7, ls=":")
            ax.set_ylim(0, 25.9)
        tilt = len(labels) > 4 or sum(map(len, labels)) > 30  # long names overlap when upright
        ax.set_xticks(x, labels, rotation=60 if tilt else 0, fontsize=6.5, ha="right" if tilt else "center")
        ax.set_title(title, fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(alpha=0.3, axis="y")
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(names), fontsize=7, frameon=False)
    if robustness:
        s = robustness_summary(table, success_modes=success_modes)
        ax = axes[0, -1]
        xs = np.arange(len(s))
        ax.bar(xs - 0.2, s.settings_success, width=0.4, color=[style.color(m) for m in s.method], label="settings (mean)")
        ax.bar(xs + 0.2, s.trials_success, width=0.4, color=[style.color(m) for m in s.method], alpha=0.45,
               label="single trials")
        ax.set_xticks(xs, [style.label(m) for m in s.method], fontsize=7)
        ax.set_ylim(0, 1)
        ax.set_title(f"fraction ending with ≥ {success_modes} modes", fontsize=8)
        ax.legend(fontsize=6.5)
    n = int(table.n_trials.min())
    fig.suptitle(f"ablation '{sweep}': final values, mean ± std over {n} trials", fontsize=9)
    return fig
