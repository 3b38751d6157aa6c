"""Issue 26's verdict rows, printed from the image study's pipeline outputs (config/images_cpu.yaml or
config/mnist_gpu.yaml; nothing here trains or scores), per dataset present under results/:

- the arms' final scores (results/tables/<dataset>_trials.csv): mean ± std (n trials) per method, the
  Step I models included;
- D's mean logits on real and generated images at the end of Step I (results/images/<dataset>/<arm>/
  step1.log.csv): the saturation diagnosis; and Step I's ELBO there, per image and per pixel value, in nats;
- coverage and quality at the end of each Step, from the curves (results/images/<dataset>/<arm>/metrics.csv,
  eval.n_samples per point: modes are those of that many samples, not of the final count);
- the contrasts the issue asks for, as differences of means with their standard error (Welch): the value of
  Step II (alpha_bridge_no_step2 against alpha_bridge and alpha_bridge_gp), the value of the ML start
  (rkl_scratch against both), and against DCGAN;
- Fig. 5 as curves: FID, modes (stacked) and the mean pixel distance from the end of Step I's samples of the
  same noise, mean over trials per arm, drawn to results/figures/images_study_<dataset>.pdf (with --plot).

    python bench/images_study.py [--root .] [--datasets mnist stacked_mnist] [--plot]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from alphabridge import style

SCORES = ["fid", "inception_score", "precision", "recall", "modes_covered", "kl_uniform"]
STEP_ARMS = ["alpha_bridge", "alpha_bridge_gp", "alpha_bridge_no_step2"]
ORDER = ["alpha_bridge_step1", "alpha_bridge_gp_step1", *STEP_ARMS, "rkl_scratch", "dcgan", "real_data"]
CONTRASTS = [("alpha_bridge_no_step2", "alpha_bridge"), ("alpha_bridge_no_step2", "alpha_bridge_gp"),
             ("rkl_scratch", "alpha_bridge"), ("rkl_scratch", "alpha_bridge_gp"), ("alpha_bridge", "dcgan"),
             ("alpha_bridge_gp", "dcgan"), ("alpha_bridge_no_step2", "dcgan"), ("rkl_scratch", "dcgan")]


def pm(v, d: int = 2) -> str:
    v = np.asarray(v, float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return "-"
    return f"{v.mean():.{d}f} ± {v.std(ddof=1):.{d}f} (n={len(v)})" if len(v) > 1 else f"{v.mean():.{d}f} (n=1)"


def digits(k: str) -> int:
    return 3 if k in ("precision", "recall", "kl_uniform") else 1


def finals(trials: pd.DataFrame) -> list[str]:
    ok = trials[~trials.diverged.astype(bool)]
    out = ["| method | " + " | ".join(SCORES) + " |", "|---" * (len(SCORES) + 1) + "|"]
    for m in [m for m in ORDER if m in set(ok.method)]:
        r = ok[ok.method == m]
        out.append(f"| {m} | " + " | ".join(pm(r[k], digits(k)) for k in SCORES) + " |")
    dead = trials[trials.diverged.astype(bool)]
    if len(dead):
        out.append(f"diverged trials: {dead.groupby('method').size().to_dict()}")
    return out


def welch(a, b) -> tuple[float, float]:
    a, b = (np.asarray(x, float)[~np.isnan(np.asarray(x, float))] for x in (a, b))
    return a.mean() - b.mean(), float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))


def contrasts(trials: pd.DataFrame) -> list[str]:
    ok, out = trials[~trials.diverged.astype(bool)], []
    for a, b in CONTRASTS:
        if not {a, b} <= set(ok.method):
            continue
        cells = []
        for k in ("fid", "modes_covered", "recall"):
            d, se = welch(ok[ok.method == a][k], ok[ok.method == b][k])
            if not np.isnan(d):
                tag = "within 2 SE" if abs(d) <= 2 * se else ("higher" if d > 0 else "lower")
                cells.append(f"{k} {d:+.{digits(k)}f} ± {se:.{digits(k)}f} ({tag})")
        out.append(f"{a} - {b}: " + "; ".join(cells))
    return out


def d_logits(root: Path, dataset: str) -> list[str]:
    pixels = {"mnist": 784, "stacked_mnist": 3 * 784}.get(dataset, float("nan"))
    out = []
    for arm in ("alpha_bridge", "alpha_bridge_gp"):
        p = root / f"results/images/{dataset}/{arm}/step1.log.csv"
        if p.exists():
            log = pd.read_csv(p)
            last = log[log.iteration == log.iteration.max()]
            out.append(f"{arm}: D's mean logit at the end of Step I (iteration {int(last.iteration.iloc[0])}): real "
                       f"{pm(last.d_real)}, generated {pm(last.d_fake)}; D loss {pm(last.loss_d, 4)}")
            # the ELBO of the Gaussian-decoder surrogate on the last training batch, a density on [-1, 1] pixels
            its = sorted(log.iteration.unique())[-5:]  # the last 5 logged batches per trial, averaged
            elbo = log[log.iteration.isin(its)].groupby("trial").elbo.mean()
            out.append(f"{arm}: Step I ELBO (mean of the last 5 logged batches, iterations {its[0]}-{its[-1]}) "
                       f"{pm(elbo, 1)} nats per image, {pm(elbo / pixels, 3)} per pixel value")
    return out


def curves(root: Path, dataset: str) -> dict[str, pd.DataFrame]:
    out = {}
    for arm in [*STEP_ARMS, "rkl_scratch", "dcgan"]:
        p = root / f"results/images/{dataset}/{arm}/metrics.csv"
        if p.exists():
            out[arm] = pd.read_csv(p)
    return out


def step_ends(cur: dict[str, pd.DataFrame], ends: dict[str, int]) -> list[str]:
    """FID, modes, KL and pixel distance at each Step's end, and the largest FID inside Step II."""
    out = []
    for arm, df in cur.items():
        if arm not in STEP_ARMS:
            continue
        cells = []
        for name, it in ends.items():
            r = df[df.iteration == it]
            if len(r):
                cells.append(f"{name} (it {it}): FID {pm(r.fid, 1)}, modes {pm(r.modes_covered, 1)}, "
                             f"KL {pm(r.kl_uniform, 3)}, pixel distance {pm(r.pixel_distance_step1, 3)}")
        two = df[df.step == "II"]
        if len(two):
            peak = two.groupby("trial").fid.max()
            start = df[df.iteration == ends["end of Step I"]].set_index("trial").fid
            cells.append(f"largest FID inside Step II {pm(peak, 1)}; above the end of Step I in "
                         f"{int((peak > start.reindex(peak.index)).sum())} of {len(peak)} trials")
        out.append(f"{arm}: " + " | ".join(cells))
    return out


def plot(cur: dict[str, pd.DataFrame], *, dataset: str, out: Path, n1: int) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = [c for c in ("fid", "modes_covered", "pixel_distance_step1")
            if any(df[c].notna().any() for df in cur.values())]
    fig, axes = plt.subplots(1, len(cols), figsize=(4.2 * len(cols), 3.4), squeeze=False)
    for ax, col in zip(axes[0], cols):
        for arm, df in cur.items():
            g = df.groupby("iteration")[col]
            m, s = g.mean(), g.std(ddof=1).fillna(0)
            if m.notna().any():
                ax.plot(m.index, m.values, label=style.label(arm), color=style.color(arm))
                ax.fill_between(m.index, (m - s).values, (m + s).values, alpha=0.15)
        ax.axvline(n1, color="grey", lw=0.8, ls=":")
        ax.set_xlabel("generator updates")
        ax.set_title(col.replace("_", " "))
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"{dataset}: along training (mean ± std over trials; dotted: end of Step I)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", type=Path, default=Path("."))
    p.add_argument("--datasets", nargs="+", default=["mnist", "stacked_mnist"])
    p.add_argument("--plot", action="store_true", help="draw results/figures/images_study_<dataset>.pdf")
    a = p.parse_args(argv)
    for d in a.datasets:
        tp = a.root / f"results/tables/{d}_trials.csv"
        if not tp.exists():
            print(f"## {d}: no {tp}")
            continue
        trials = pd.read_csv(tp)
        print(f"## {d}\n" + "\n".join(finals(trials)) + "\n")
        print("\n".join(d_logits(a.root, d) + [""] + contrasts(trials)))
        cur = curves(a.root, d)
        ab = cur.get("alpha_bridge")
        if ab is not None:
            n1 = int(ab[ab.step == "I"].iteration.max())
            n12 = int(ab[ab.step == "II"].iteration.max()) if (ab.step == "II").any() else n1
            ends = {"end of Step I": n1, "end of Step II": n12, "end": int(ab.iteration.max())}
            print("\n" + "\n".join(step_ends(cur, ends)))
            if a.plot:
                out = a.root / f"results/figures/images_study_{d}.pdf"
                plot(cur, dataset=d, out=out, n1=n1)
                print(f"drew {out}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
