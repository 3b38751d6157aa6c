"""25-Gaussians figures: Fig. 3 (samples along training), Fig. 4 (IS and KDE-LL curves), Fig. 1
(forgetting demo). Inputs are saved samples and metrics tables; nothing is computed from models."""
from __future__ import annotations

import matplotlib

import dataclasses

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alphabridge import checked, style  # noqa: E402
from alphabridge import methods as reg  # noqa: E402
from alphabridge.data.gaussians import GaussiansData, make_splits  # noqa: E402
from alphabridge.experiments.gaussians_metrics import mode_scorer  # noqa: E402
from alphabridge.train.schedule import step_and_alpha  # noqa: E402

LIM = 5.5


@dataclasses.dataclass(frozen=True)
class Fig3Spec:
    data: GaussiansData  # the real points drawn under the samples
    iterations: tuple[int, ...]  # the columns
    plan: dict  # alpha-Bridge's Step lengths and schedule, as train.schedule.step_and_alpha reads them


@dataclasses.dataclass(frozen=True)
class Fig4Spec:
    beta1s: tuple[float, ...]  # one row of panels each, labelled as the config writes them
    methods: tuple[str, ...]  # the Step boundaries are drawn when alpha_bridge is among them
    step1_iters: int
    step2_iters: int


@dataclasses.dataclass(frozen=True)
class Fig1Spec:
    """Fig. 1's 25-Gaussians panel (alphabridge.keys.FIG1_KEYS); the image Fig. 1 draws it too."""

    data: GaussiansData
    hq_std: float  # the panel titles' high-quality radius, in mode stds
    snapshots: tuple[int, ...]
    start: int  # alpha_bridge.step1_iters: the demo starts from the Step I checkpoint


def parse_fig3(raw: dict, **_) -> Fig3Spec:
    return Fig3Spec(data=checked.section(raw, "gaussians.data", GaussiansData),
                    iterations=checked.value(raw, "gaussians.fig3.iterations", tuple[int, ...]),
                    plan=checked.mapping(raw, "gaussians.alpha_bridge", step1_iters=int, step2_iters=int,
                                         step3_iters=int, schedule=str))


def parse_fig4(raw: dict, **_) -> Fig4Spec:
    ab = "gaussians.alpha_bridge"
    return Fig4Spec(beta1s=checked.value(raw, "gaussians.beta1s", tuple[float, ...]),
                    methods=checked.value(raw, "gaussians.methods", tuple[str, ...]),
                    step1_iters=checked.value(raw, f"{ab}.step1_iters", int),
                    step2_iters=checked.value(raw, f"{ab}.step2_iters", int))


def parse_fig1(raw: dict, **_) -> Fig1Spec:
    return Fig1Spec(data=checked.section(raw, "gaussians.data", GaussiansData),
                    hq_std=checked.value(raw, "gaussians.eval.hq_std", float),
                    snapshots=checked.value(raw, "gaussians.fig1.snapshots", tuple[int, ...]),
                    start=checked.value(raw, "gaussians.alpha_bridge.step1_iters", int))


def real_points(data: GaussiansData, n: int = 2000) -> np.ndarray:
    """The real data drawn under the samples: the first n of the held-out test draw."""
    return make_splits(data)["test"][:n].numpy()


def _scatter(ax, real, fake, title):
    ax.scatter(real[:, 0], real[:, 1], s=1.5, c="tab:red", alpha=0.35, linewidths=0, rasterized=True)
    ax.scatter(fake[:, 0], fake[:, 1], s=1.5, c="tab:blue", alpha=0.6, linewidths=0, rasterized=True)
    ax.set_xlim(-LIM, LIM)
    ax.set_ylim(-LIM, LIM)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=7)


def plot_fig3(samples: dict[str, dict[int, np.ndarray]], *, real: np.ndarray, iterations, trial: int = 0,
              step_of=None, beta1=None):
    """Rows = methods, columns = iterations; real data red, trial `trial`'s samples blue."""
    methods = list(samples)
    fig, axes = plt.subplots(len(methods), len(iterations), figsize=(1.45 * len(iterations), 1.5 * len(methods)),
                             squeeze=False)
    for r, m in enumerate(methods):
        for c, it in enumerate(iterations):
            step = f" ({step_of(m, it)})" if step_of and step_of(m, it) != "-" else ""
            _scatter(axes[r, c], real, samples[m][it][trial], f"{it / 1000:g}K{step}" if it >= 1000 else f"{it}{step}")
        axes[r, 0].set_ylabel(style.label(m), fontsize=8)
    fig.suptitle(f"25-Gaussians samples (trial {trial}" + (f", β1 = {beta1}" if beta1 is not None else "") + ")",
                 fontsize=8)
    fig.tight_layout()
    return fig


def plot_fig4(metrics: pd.DataFrame, *, beta1s, boundaries=()):
    """(a)-(d): IS and KDE-LL vs iteration per beta1; mean +- std over trials; Step boundaries dashed."""
    # constrained: room for the legend above the panels (inside panel (a) it hid the curves there)
    fig, axes = plt.subplots(len(beta1s), 2, figsize=(7.0, 2.5 * len(beta1s)), squeeze=False, layout="constrained")
    letters = iter("abcdefghijklmnop")
    for r, b1 in enumerate(beta1s):
        for c, (col, name) in enumerate((("inception_score", "Inception score"), ("kde_loglik", "KDE log-likelihood"))):
            ax = axes[r, c]
            for m, df in metrics[metrics.beta1.astype(str) == str(b1)].groupby("method", sort=False):
                g = df.groupby("iteration")[col]
                mean, std = g.mean(), g.std(ddof=1).fillna(0.0)
                ax.plot(mean.index, mean.values, color=style.color(m), lw=1.3, label=style.label(m))
                ax.fill_between(mean.index, mean - std, mean + std, color=style.color(m), alpha=0.2, lw=0)
            for b in boundaries:
                ax.axvline(b, color="0.4", ls="--", lw=0.8)
            ax.set_title(f"({next(letters)}) {name}, β1 = {b1}", fontsize=9)
            ax.set_xlabel("iteration")
            ax.grid(alpha=0.3, lw=0.4)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    ncol = min(len(labels), 3)
    # a legend fills column by column: reorder so it reads by rows (Fig. 4's methods, then the rest)
    order = [i for c in range(ncol) for i in range(c, len(labels), ncol)]
    fig.legend([handles[i] for i in order], [labels[i] for i in order], loc="outside upper center", ncol=ncol,
               fontsize=8, frameon=False)
    return fig


# The paper's Fig. 1 has only the reverse-KL row. The second row is the start of alpha-Bridge's Step II,
# where alpha and gamma are still ~0 (continued maximum likelihood): a reference, not a test of the bridge.
FIG1_ROWS = (("rkl", "reverse-KL GAN\nfrom the ML model"), ("bridge", "start of α-Bridge Step II\n(α ≈ 0: still ML)"))


def fig1_axes(fig, *, n_cols: int, height: float):
    """Fig. 1's 2 x n_cols panel grid on `fig` (a SubFigure) or on a new figure; (fig, axes, own)."""
    own = fig is None
    fig = fig or plt.figure(figsize=(1.6 * n_cols, height))
    return fig, fig.subplots(2, n_cols, squeeze=False), own


def plot_fig1(demo: dict[str, np.ndarray], *, real: np.ndarray, snapshots, start: int, trial: int = 0, scores=None,
              fig=None):
    """Top: plain reverse-KL fine-tuning from the ML model; bottom: alpha-Bridge from the same start.
    `fig` may be a matplotlib SubFigure (Fig. 1 stacks the 25-Gaussians and image demos)."""
    fig, axes, own = fig1_axes(fig, n_cols=len(snapshots), height=3.4)
    for r, (key, label) in enumerate(FIG1_ROWS):
        for c, k in enumerate(snapshots):
            x = demo[f"{key}_it{k}"][trial]
            extra = f"\n{scores(x)}" if scores else ""
            _scatter(axes[r, c], real, x, f"+{k} it (iteration {start + k}){extra}")
        axes[r, 0].set_ylabel(label, fontsize=7)
    if own:
        fig.tight_layout()
    return fig


def fig3(spec: Fig3Spec, samples: dict[str, dict], *, beta1):
    """Fig. 3 from its spec and {method: {iteration: samples}}; Step labels from the plan."""
    return plot_fig3(samples, real=real_points(spec.data), iterations=spec.iterations, beta1=beta1,
                     step_of=lambda m, it: step_and_alpha(it, spec.plan if reg.get(m).steps else None)[0])


def fig4(spec: Fig4Spec, metrics: pd.DataFrame):
    """Fig. 4: Step boundaries drawn when alpha-Bridge is among the methods."""
    bounds = (spec.step1_iters, spec.step1_iters + spec.step2_iters) if "alpha_bridge" in spec.methods else ()
    return plot_fig4(metrics, beta1s=[str(b) for b in spec.beta1s], boundaries=bounds)


def fig1(spec: Fig1Spec, demo: dict, *, fig=None):
    """Fig. 1 (25-Gaussians panel) from its spec and the demo arrays."""
    return plot_fig1(demo, real=real_points(spec.data), snapshots=spec.snapshots, start=spec.start,
                     scores=mode_scorer(spec.data, hq_std=spec.hq_std), fig=fig)
