"""The Step II diagnostic figure: alpha-Bridge's training logs (train/log.py) over Steps I-III, one
colour per beta1, median over trials with the inter-quartile band, the Step boundaries dashed, alpha
read on the top axis and alpha = 0.75 dotted (where the README's runs lose modes)."""
from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alphabridge import checked  # noqa: E402


# (title, [(column, line style, label)], log scale): solid and dashed are the two halves of a pair
PANELS = (
    ("D's mean logit f(x) = log q/p", [("d_real", "-", "on data"), ("d_fake", "--", "on G(z)")], False),
    ("effective sample size / batch", [("ess_f", "-", "w_F (data)"), ("ess_r", "--", "w_R (G(z))")], True),
    ("largest |log w| in the batch", [("logw_f_max", "-", "w_F"), ("logw_r_max", "--", "w_R")], True),
    ("gradient norm", [("grad_g", "-", "G"), ("grad_d", "--", "D")], True),
    ("losses", [("loss_d", "-", "D (cross-entropy)"), ("loss_g", "--", "G (surrogate / reverse KL)")], False),
    ("ELBO of the inference arm", [("elbo", "-", "ELBO")], False),
)
ALPHA_MARK = 0.75
ALPHA_TICKS = (0.25, 0.5, 0.75)  # 0.95 sat a few label widths from 0.75 and the Step II end line


def _band(ax, df: pd.DataFrame, col: str, *, color, ls, scale: float = 1.0):
    g = df.groupby("iteration")[col]
    med, lo, hi = (g.median() / scale, g.quantile(0.25) / scale, g.quantile(0.75) / scale)
    if med.notna().any():
        ax.plot(med.index, med.values, color=color, ls=ls, lw=1.0)
        ax.fill_between(med.index, lo.values, hi.values, color=color, alpha=0.15, lw=0)


def _iteration_at(logs: pd.DataFrame, ends: pd.Series):
    """alpha -> the iteration where Step II's schedule reaches it (alpha is a function of the
    iteration there): interpolated between the logged iterations, alpha = 0 at the end of Step I and
    1 at the end of Step II. The first logged row at or past alpha was off by up to log_every, which
    at smoke size put 0.75 and 0.95 on the same tick, on the Step II end line. None: no Step II."""
    two = logs[logs.step == "II"].drop_duplicates("iteration").sort_values("iteration")
    if two.empty or not {"I", "II"} <= set(ends.index):
        return None
    its = np.r_[float(ends["I"]), two.iteration.to_numpy(float), float(ends["II"])]
    alphas = np.maximum.accumulate(np.r_[0.0, two.alpha.to_numpy(float), 1.0])  # every schedule rises
    return lambda a: float(np.interp(a, alphas, its))


def _alpha_axis(ax, iteration_at):
    """Top axis: alpha along Step II. Step II is only part of the panel (0.4 of it at paper scale),
    so the labels are bare numbers named once by the axis label: "α=0.25α=0.5..." ran together in
    every panel."""
    top = ax.twiny()
    top.set_xlim(ax.get_xlim())
    top.set_xticks([iteration_at(a) for a in ALPHA_TICKS])
    top.set_xticklabels([f"{a:g}" for a in ALPHA_TICKS], fontsize=6)
    top.set_xlabel("α (Step II)", fontsize=6, labelpad=2)
    top.tick_params(length=2, pad=1)


def _hide_crowded_ticklabels(fig):
    """Hide any tick label that would overlap the label before it on its axis. The alpha ticks sit
    where the schedule puts them (a short Step II crowds them), and a log axis spanning less than a
    decade labels its minor ticks; drawn over each other neither can be read."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            kept = []
            for tick in sorted(axis._update_ticks(), key=lambda t: t.get_loc()):  # the ticks drawn
                for lab in (tick.label1, tick.label2):
                    if not (lab.get_visible() and lab.get_text()):
                        continue
                    box = lab.get_window_extent(renderer)
                    if any(box.overlaps(k) for k in kept):
                        lab.set_visible(False)
                    else:
                        kept.append(box)


@dataclasses.dataclass(frozen=True)
class DiagnosticsSpec:
    batch_size: int  # the effective sample sizes are drawn as fractions of the batch


def parse_diagnostics(raw: dict, **_) -> DiagnosticsSpec:
    return DiagnosticsSpec(batch_size=checked.value(raw, "gaussians.optim.batch_size", int))


def diagnostics(spec: DiagnosticsSpec, logs: pd.DataFrame):
    """logs: the concatenated *.log.csv of alpha-Bridge's Steps (both beta1s, every trial) ->
    (the figure, the summary table)."""
    batch = spec.batch_size
    beta1s = sorted(logs.beta1.astype(str).unique(), key=float)
    colors = dict(zip(beta1s, ("tab:red", "tab:blue", "tab:green", "tab:purple")))
    ends = logs.groupby("step").iteration.max()  # a Step always logs its last iteration
    bounds = [int(ends[s]) for s in ("I", "II") if s in ends]
    iteration_at = _iteration_at(logs, ends)
    mark = iteration_at(ALPHA_MARK) if iteration_at else None
    fig, axes = plt.subplots(2, 3, figsize=(10.5, 5.6))
    for ax, (title, cols, log_scale) in zip(axes.flat, PANELS):
        for b1 in beta1s:
            df = logs[logs.beta1.astype(str) == b1]
            for col, ls, _ in cols:
                _band(ax, df, col, color=colors[b1], ls=ls, scale=batch if col.startswith("ess") else 1.0)
        for b in bounds:
            ax.axvline(b, color="0.4", ls="--", lw=0.7)
        if mark is not None:
            ax.axvline(mark, color="0.2", ls=":", lw=0.9)
        if log_scale:
            ax.set_yscale("log")
        ax.set_title(title + "  (" + ", ".join(f"{'—' if ls == '-' else '– –'} {lab}" for _, ls, lab in cols) + ")",
                     fontsize=7)
        ax.set_xlabel("iteration (Steps I | II | III)", fontsize=7)
        ax.tick_params(which="both", labelsize=6)  # "both": a log axis's minor labels were left at 10 pt
        ax.grid(alpha=0.3, lw=0.4)
        ax.set_xlim(0, int(logs.iteration.max()))  # every panel spans the three Steps, logged or not
        if iteration_at:
            _alpha_axis(ax, iteration_at)
    handles = [plt.Line2D([], [], color=colors[b], lw=1.5) for b in beta1s]
    n = int(logs.trial.nunique())
    fig.legend(handles, [f"β1 = {b}" for b in beta1s], loc="lower center", ncol=len(beta1s), fontsize=7,
               title=f"α-Bridge, median and quartiles over {n} trials; dotted: α = {ALPHA_MARK}", title_fontsize=7)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    _hide_crowded_ticklabels(fig)
    return fig, summary(logs, batch=batch)


def summary(logs: pd.DataFrame, *, batch: int, alphas=(0.25, 0.5, 0.7, 0.75, 0.8, 0.9)) -> pd.DataFrame:
    """The medians over trials at the Step II iterations nearest each alpha (what the README quotes)."""
    two = logs[logs.step == "II"]
    rows = []
    for (b1, it), df in two.groupby(["beta1", "iteration"]):
        rows.append({"beta1": b1, "iteration": it, "alpha": float(df.alpha.iloc[0]),
                     **{c: float(np.nanmedian(df[c])) for c in ("d_real", "d_fake", "logw_f_max", "logw_r_max",
                                                                 "grad_g", "grad_d", "loss_g")},
                     "ess_f_frac": float(np.nanmedian(df.ess_f)) / batch, "ess_r_frac": float(np.nanmedian(df.ess_r)) / batch})
    table = pd.DataFrame(rows)
    pick = [table[table.beta1 == b].iloc[(table[table.beta1 == b].alpha - a).abs().argsort()[:1]]
            for b in table.beta1.unique() for a in alphas]
    return pd.concat(pick).drop_duplicates(["beta1", "iteration"]).reset_index(drop=True)
