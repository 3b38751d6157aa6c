"""The random search's figure: per draw and method, the expected best final score over k of the K
drawn configurations (Lucic et al. 2018's curve, with a bootstrap band over configurations), and the
distribution of the configurations' scores, for KDE-LL and modes. Each draw (search seed) has its own
line style, so the ranking's dependence on the draw is visible."""
from __future__ import annotations

import dataclasses

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from alphabridge import checked, style  # noqa: E402
from alphabridge.experiments.search import best_of_k_curve, config_scores  # noqa: E402

N_BOOT = 1000  # bootstrap resamples of the configurations (the band's 5% and 95% quantiles)
PANELS = [("kde_loglik", "final KDE log-likelihood"), ("modes_covered", "modes covered (of 25)")]


@dataclasses.dataclass(frozen=True)
class SearchFigureSpec:
    seeds: tuple[int, ...]  # the draws; each draw's bootstrap is seeded with its own seed (the table's `draw`)


def parse_search_figure(raw: dict, **_) -> SearchFigureSpec:
    return SearchFigureSpec(seeds=checked.value(raw, "search.seeds", tuple[int, ...]))


LINES = ["o-", "s--", "^:", "d-."]  # one per draw, in the order of search.seeds


def curves(table: pd.DataFrame) -> pd.DataFrame:
    """Every draw's and method's best-of-k curve per metric (what the figure draws; tests check it
    against the table). The bootstrap of a draw is seeded with the draw's own seed."""
    out = []
    for metric, _ in PANELS:
        scores = config_scores(table, metric)
        for (d, m), sub in scores.groupby(["draw", "method"], sort=False):
            out.append(best_of_k_curve(sub.score, n_boot=N_BOOT, seed=int(d)).assign(draw=d, method=m, metric=metric))
    return pd.concat(out, ignore_index=True)[["draw", "method", "metric", "k", "expected_best", "low", "high"]]


def plot_search(table: pd.DataFrame, *, c: pd.DataFrame | None = None):
    """The figure; c is curves(table) when the caller has it already (it also writes it)."""
    c = curves(table) if c is None else c
    draws = list(dict.fromkeys(table["draw"]))
    # constrained: room for the methods' legend under the panels (inside the first one it lay over
    # the bootstrap bands)
    fig, axes = plt.subplots(2, len(PANELS), figsize=(7.2, 6.0), squeeze=False, layout="constrained")
    for j, (metric, title) in enumerate(PANELS):
        ax, dist = axes[0, j], axes[1, j]
        scores = config_scores(table, metric)
        methods = list(dict.fromkeys(scores.method))
        width = 0.8 / len(draws)
        for i, m in enumerate(methods):
            for j_d, d in enumerate(draws):
                cm = c[(c.method == m) & (c.metric == metric) & (c["draw"] == d)]
                ax.plot(cm.k, cm.expected_best, LINES[j_d % len(LINES)], ms=3, color=style.color(m),
                        label=f"{style.label(m)}, draw {d}")
                ax.fill_between(cm.k, cm.low, cm.high, color=style.color(m), alpha=0.12, lw=0)
                s = scores[(scores.method == m) & (scores["draw"] == d)].score.to_numpy(float)
                pos = i - 0.4 + width * (j_d + 0.5)
                dist.boxplot([s], positions=[pos], widths=width * 0.8, showfliers=False)
                jitter = np.random.default_rng(int(d) * 100 + i).uniform(-width / 4, width / 4, size=len(s))
                dist.scatter(pos + jitter, s, s=8, color=style.color(m), zorder=3,
                             marker=LINES[j_d % len(LINES)][0])
        ax.set_xlabel("configurations tried (k)", fontsize=8)
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # k counts configurations
        ax.set_title(f"expected best {title}", fontsize=8)
        dist.set_xticks(range(len(methods)), [style.label(m) for m in methods], fontsize=7)
        dist.set_title("each configuration (mean over its trials)", fontsize=8)
        dist.set_ylabel(title, fontsize=7)
        for a in (ax, dist):
            a.tick_params(labelsize=7)
            a.grid(alpha=0.3)
    handles, names = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncol=len(methods), fontsize=7, frameon=False)
    n = int(table.groupby(["draw", "method", "config"]).trial.nunique().min())
    # two lines: on one, the caption ran past both edges of the 7.2-inch figure
    fig.suptitle(f"random search: {table.config.nunique()} configurations per method and draw "
                 f"(draws {', '.join(map(str, draws))}), {n} trials each\n"
                 "band: 90% bootstrap over configurations; a diverged trial scores the worst value", fontsize=8)
    return fig
