"""Every figure the pipeline draws, built at its own default size from small synthetic inputs shaped
like the real ones (the paper-scale and smoke configs' iterations, methods, sweep settings and
dataset names), must have no overlapping or clipped text (tests/layout_check.py). Issue 27: the
Step II diagnostics printed their top alpha labels on top of each other in every panel."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from alphabridge.config import load_config_files  # noqa: E402
from alphabridge.stages import spec_of  # noqa: E402
from conftest import REPO  # noqa: E402
from layout_check import layout_problems  # noqa: E402

CONFIGS = {"paper": ["config/config.yaml"], "smoke": ["config/config.yaml", "config/smoke.yaml"]}


@pytest.fixture(scope="module", params=list(CONFIGS))
def cfg(request):
    return load_config_files([REPO / p for p in CONFIGS[request.param]])


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _check(fig):
    problems = layout_problems(fig)
    assert not problems, "\n".join(problems)


def _diagnostic_logs(g, rng, trials=3):
    """One row per logged iteration of each Step, as train/log.py writes them (alpha only in Step II)."""
    ab, every = g["alpha_bridge"], g["log_every"]
    n1, n2, n3 = ab["step1_iters"], ab["step2_iters"], ab["step3_iters"]
    rows = []
    for step, lo, hi in (("I", 0, n1), ("II", n1, n1 + n2), ("III", n1 + n2, n1 + n2 + n3)):
        for it in range(lo + every, hi + 1, every):
            alpha = (it - n1) / n2 if step == "II" else (0.0 if step == "I" else 1.0)
            for b1 in g["beta1s"]:
                for t in range(trials):
                    rows.append({"step": step, "iteration": it, "beta1": str(b1), "trial": t, "alpha": alpha})
    logs = pd.DataFrame(rows)
    for c in ("d_real", "d_fake", "loss_d", "loss_g", "elbo"):
        logs[c] = rng.normal(size=len(logs))
    for c in ("ess_f", "ess_r", "logw_f_max", "logw_r_max", "grad_g", "grad_d"):
        logs[c] = rng.uniform(0.5, 50.0, size=len(logs))
    return logs


def test_diagnostics(cfg):
    from alphabridge.figures.diagnostics import diagnostics

    logs = _diagnostic_logs(cfg["gaussians"], np.random.default_rng(0))
    fig, _ = diagnostics(spec_of("gaussians_diagnostics", cfg), logs)
    _check(fig)
    # readable because the alpha labels fit, not because the figure hid the ones that collided
    tops = [ax for ax in fig.axes if ax.xaxis.get_label_position() == "top"]
    assert len(tops) == 6
    for ax in tops:
        shown = [t.label2.get_text() for t in ax.xaxis._update_ticks() if t.label2.get_visible()]
        assert shown == ["0.25", "0.5", "0.75"]


def test_fig2(cfg):
    from alphabridge.experiments.fig2 import fig2_spec, run_fig2
    from alphabridge.figures.fig2 import fig2

    spec = fig2_spec({"fig2": {**cfg["fig2"], "trials": 200}, "gamma": cfg["gamma"]})
    _check(fig2(spec, run_fig2(fig2=spec[0], gamma=spec[1])))


def _gaussian_metrics(g, rng, methods):
    its = range(0, g["alpha_bridge"]["step1_iters"] + g["alpha_bridge"]["step2_iters"]
                + g["alpha_bridge"]["step3_iters"] + 1, g["eval"]["every"])
    rows = [{"method": m, "beta1": str(b1), "trial": t, "iteration": it} for m in methods
            for b1 in g["beta1s"] for t in range(3) for it in its]
    return pd.DataFrame(rows).assign(inception_score=lambda d: rng.uniform(1, 25, len(d)),
                                     kde_loglik=lambda d: rng.uniform(-20, 2, len(d)))


@pytest.mark.parametrize("figure", ["fig4", "fig4_generalisations"])
def test_fig4(cfg, figure):
    from alphabridge.figures.gaussians import fig4

    g = cfg["gaussians"]
    methods = g["methods"] + (g["generalisations"] if figure == "fig4_generalisations" else [])
    _check(fig4(spec_of("gaussians_fig4", cfg), _gaussian_metrics(g, np.random.default_rng(0), methods)))


def test_fig3(cfg):
    from alphabridge.figures.gaussians import fig3

    rng = np.random.default_rng(0)
    its = cfg["gaussians"]["fig3"]["iterations"]
    samples = {m: {it: rng.normal(size=(2, 200, 2)) for it in its} for m in cfg["gaussians"]["methods"]}
    _check(fig3(spec_of("gaussians_fig3", cfg), samples, beta1=cfg["gaussians"]["fig3"]["beta1"]))


def _demo(snapshots, shape, rng):
    return {f"{key}_it{k}": shape(rng) for key in ("rkl", "bridge") for k in snapshots}


def test_fig1_gaussians(cfg):
    from alphabridge.figures.gaussians import fig1

    demo = _demo(cfg["gaussians"]["fig1"]["snapshots"], lambda r: r.normal(size=(2, 200, 2)), np.random.default_rng(0))
    _check(fig1(spec_of("gaussians_fig1", cfg), demo))


def _image_runs(cfg):
    """Digits (always drawn) and MNIST (drawn beside it where its data is on disk): the figures' rows."""
    return {d: cfg["images"]["runs"][d] for d in ("digits", "mnist") if d in cfg["images"]["runs"]}


def _pixels(section, rng, *lead):
    from alphabridge.data.images import image_shape

    return rng.integers(0, 256, size=(*lead, int(np.prod(image_shape(section)))), dtype=np.uint8)


@pytest.mark.parametrize("n_datasets", [1, 2])
def test_image_fig1(cfg, n_datasets):
    from alphabridge.figures.images import fig1

    rng = np.random.default_rng(0)
    gdemo = _demo(cfg["gaussians"]["fig1"]["snapshots"], lambda r: r.normal(size=(2, 200, 2)), rng)
    runs = dict(list(_image_runs(cfg).items())[:n_datasets])
    demos = {d: _demo(s["fig1"]["snapshots"], lambda r, s=s: _pixels(s, r, 2, 16), rng) for d, s in runs.items()}
    _check(fig1(spec_of("image_fig1", cfg, datasets=list(runs)), gdemo, demos))


@pytest.mark.parametrize("n_datasets", [1, 2])
def test_fig5(cfg, n_datasets):
    from alphabridge.figures.images import fig5

    rng = np.random.default_rng(0)
    samples = {}
    for d, s in list(_image_runs(cfg).items())[:n_datasets]:
        ab = s["alpha_bridge"]
        end = ab["step1_iters"] + ab["step2_iters"] + ab["step3_iters"]
        samples[d] = {f"it{it}": _pixels(s, rng, 1, 64) for it in range(0, end + 1, s["eval"]["every"])}
    _check(fig5(spec_of("image_fig5", cfg, datasets=list(samples)), samples))


@pytest.mark.parametrize("n_datasets", [1, 2])
def test_fig6(cfg, n_datasets):
    from alphabridge.data.images import image_shape
    from alphabridge.figures.images import plot_fig6

    rng = np.random.default_rng(0)
    data = {d: {"generated": _pixels(s, rng, 1, 8), "reconstructed": _pixels(s, rng, 1, 8),
                "walk": _pixels(s, rng, 1, 8, 7), "steps": np.linspace(0, 1.5, 7),
                "shape": np.array(image_shape(s)), "label": "1 -> 7"}
            for d, s in list(_image_runs(cfg).items())[:n_datasets]}
    _check(plot_fig6(data))


def _sweep_table(sweep: dict, rng) -> pd.DataFrame:
    """One row per cell (setting x method x beta1) with the columns experiments/ablations.py writes."""
    rows = []
    for name, override in sweep["settings"].items():
        lr = ((override or {}).get("gaussians", {}).get("optim", {}) or {}).get("lr", 0.001)
        for m in sweep["methods"]:
            for b1 in sweep["beta1s"]:
                row = {"setting": name, "method": m, "beta1": float(b1), "lr": lr, "n_trials": 10,
                       "success_fraction": rng.uniform()}
                for c, hi in (("kde_loglik", 2.0), ("hq_fraction", 1.0), ("modes", 25.0)):
                    row[f"{c}_mean"], row[f"{c}_std"] = rng.uniform(0, hi), rng.uniform(0, hi / 10)
                rows.append(row)
    return pd.DataFrame(rows)


def test_every_ablation_figure():
    """The sweeps of the paper-scale config (smoke runs the same sweeps; only their sizes differ)."""
    from alphabridge.figures.ablations import plot_sweep

    cfg = load_config_files([REPO / "config/config.yaml"])
    rng = np.random.default_rng(0)
    for name, sweep in cfg["ablations"]["sweeps"].items():
        fig = plot_sweep(_sweep_table(sweep, rng), sweep=name, success_modes=cfg["ablations"]["success_modes"])
        problems = layout_problems(fig)
        assert not problems, f"ablation_{name}:\n" + "\n".join(problems)
        plt.close(fig)


def test_search(cfg, monkeypatch):
    from alphabridge.figures import search

    s, rng = cfg["search"], np.random.default_rng(0)
    rows = [{"draw": d, "method": m, "config": c, "trial": t, "kde_loglik": rng.uniform(-20, 2),
             "modes_covered": int(rng.integers(0, 26)), "diverged": bool(rng.uniform() < 0.05)}
            for d in s["seeds"] for m in s["methods"] for c in range(s["configs"]) for t in range(s["trials"])]
    monkeypatch.setattr(search, "N_BOOT", 50)  # the band's quantiles do not move any text; 1000 only cost time
    _check(search.plot_search(pd.DataFrame(rows)))


def test_confirm(cfg):
    from alphabridge.experiments.confirm import arm_table, confirm_spec, contrast_table  # noqa: F401
    from alphabridge.figures.confirm import plot_confirm

    c, rng = cfg["confirm"], np.random.default_rng(0)
    rows = [{"arm": a["name"], "method": a["method"], "beta1": b, "trial": t, "modes_covered": rng.uniform(5, 25),
             "kde_loglik": rng.uniform(-8, -2), "hq_fraction": rng.uniform(0, 0.4)}
            for a in c["arms"] for b in a.get("beta1s", c["beta1s"]) for t in range(c["trials"])]
    trials = pd.DataFrame(rows)
    _check(plot_confirm(trials, contrast_table(trials, contrasts=c["contrasts"]), spec=confirm_spec(cfg)))
