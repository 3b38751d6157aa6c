"""The held-out confirmation's figure: per beta1, every arm's final modes and KDE-LL (each trial a
dot, mean +- std a bar), the best baseline's mean as a line; and the contrasts' 95 % intervals."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alphabridge import style  # noqa: E402
from alphabridge.experiments.confirm import ConfirmSpec, confirm_spec  # noqa: E402,F401 (the stage's parse)

PANELS = [("modes_covered", "final modes (of 25)"), ("kde_loglik", "final KDE log-likelihood")]


def plot_confirm(trials: pd.DataFrame, contrasts: pd.DataFrame, *, spec: ConfirmSpec):
    beta1s = sorted(trials.beta1.unique())
    arms = list(dict.fromkeys(trials.arm))
    fig, axes = plt.subplots(len(PANELS) + 1, len(beta1s), figsize=(4.6 * len(beta1s), 9.6), squeeze=False,
                             layout="constrained")
    for j, b1 in enumerate(beta1s):
        for i, (metric, title) in enumerate(PANELS):
            ax = axes[i, j]
            sub = trials[trials.beta1 == b1]
            means = {a: sub[sub.arm == a][metric].mean() for a in arms if (sub.arm == a).any()}
            best = max((a for a in spec.baselines if a in means), key=means.get, default=None)
            for y, a in enumerate(arms):
                s = sub[sub.arm == a][metric].to_numpy(float)
                if not len(s):
                    continue
                c = style.color(sub[sub.arm == a].method.iloc[0])
                jitter = np.random.default_rng(y).uniform(-0.2, 0.2, size=len(s))
                ax.scatter(s, y + jitter, s=8, color=c, alpha=0.5, lw=0)
                ax.errorbar(s.mean(), y, xerr=s.std(ddof=1) if len(s) > 1 else 0, fmt="o", ms=4, color=c, capsize=2)
            if best is not None:  # named in the title: a legend would sit on the trials
                ax.axvline(means[best], color="0.4", ls="--", lw=0.8)
            ax.set_yticks(range(len(arms)), arms, fontsize=6)
            ax.invert_yaxis()
            ax.set_title(f"β1 {b1}: {title}" + (f"\n(dashed: {best})" if best else ""), fontsize=7)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3, axis="x")
        ax = axes[-1, j]
        cs = contrasts[(contrasts.beta1 == b1) & (contrasts.metric == "modes_covered")]
        for y, r in enumerate(cs.itertuples()):
            ax.errorbar(r.diff, y, xerr=[[r.diff - r.low], [r.high - r.diff]], fmt="o", ms=4, color="k", capsize=2)
        ax.axvline(0, color="0.4", lw=0.8)
        ax.set_yticks(range(len(cs)), [f"{r.a}\n − {r.b}" for r in cs.itertuples()], fontsize=6)
        ax.invert_yaxis()
        ax.set_title(f"β1 {b1}: contrasts, modes (95 % CI)", fontsize=7)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3, axis="x")
    n = int(trials.groupby(["arm", "beta1"]).trial.nunique().min())
    fig.suptitle(f"held-out confirmation: {n} trials per arm on seeds that chose nothing\n"
                 "dots: trials; bars: mean ± std; dashed: the best baseline's mean\n"
                 "a diverged trial scores the worst value", fontsize=7)
    return fig
