"""The held-out confirmation sweep: its seeds are disjoint from every seed that chose anything, its
intervals are Welch's (checked against SciPy's t-test), its table recomputes from the cells'
metrics, and alpha_bridge.reset_adam really gives Steps II and III a fresh Adam."""
import copy

import numpy as np
import pandas as pd
import pytest
import torch
from scipy import stats

from alphabridge import defaults
from alphabridge.config import load_config_files, semantic_problems
from alphabridge.experiments import confirm as cf
from alphabridge.experiments import gaussians as ex
from alphabridge.experiments.confirm_arms import confirm_sweeps, seeds_used
from alphabridge.stages import spec_of
from alphabridge.train.state import init_state, reset_optimisers
from conftest import REPO


def _config():
    return load_config_files([REPO / "config" / "config.yaml"])


def test_confirmation_seeds_are_disjoint_from_every_seed_that_chose_something():
    used = seeds_used(_config())
    held = set(*used.pop("confirm"))
    assert held == set(range(100, 110))
    assert used and all(not (held & set(r)) for rs in used.values() for r in rs)
    # every arm runs on exactly those seeds, with the configured trials
    for sweep in confirm_sweeps(_config()).values():
        for override in sweep["settings"].values():
            assert (override["gaussians"]["seed"], override["gaussians"]["trials"]) == (100, 10)


@pytest.mark.parametrize("edit, key", [
    (lambda c: c["confirm"].update(seed=5), "confirm.seed"),
    (lambda c: c["confirm"].update(baselines=["rkl_gp", "nope"]), "confirm.baselines[1]"),
    (lambda c: c["confirm"]["contrasts"].append(["alpha_bridge", "nope"]), "confirm.contrasts[6]"),
    (lambda c: c["confirm"]["arms"].append(copy.deepcopy(c["confirm"]["arms"][0])), "confirm.arms[12].name"),
    (lambda c: c["confirm"]["arms"][4].update(beta1s=[0.9]), "confirm.arms[4].beta1s"),
])
def test_a_bad_confirm_section_is_refused_naming_the_key(edit, key):
    cfg = _config()
    edit(cfg)
    assert any(f"'{key}'" in p for p in semantic_problems(cfg)), semantic_problems(cfg)


def test_welch_interval_matches_scipys_t_test():
    rng = np.random.default_rng(0)
    a, b = rng.normal(20, 3, size=10), rng.normal(22, 1, size=7)
    diff, lo, hi = cf.welch_interval(a, b)
    ci = stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert diff == pytest.approx(a.mean() - b.mean())
    assert (lo, hi) == pytest.approx((ci.low, ci.high), rel=1e-10)


def _trials():
    rows = []
    for arm, method, modes in [("ab", "alpha_bridge", [10, 12, 14]), ("gp", "rkl_gp", [20, 22, 24]),
                               ("sn", "rkl_sn", [21, 23, 26])]:
        for k, m in enumerate(modes):
            rows.append({"arm": arm, "method": method, "beta1": 0.5, "trial": k, "iteration": 100,
                         "modes_covered": float(m), "kde_loglik": -float(30 - m) / 5, "hq_fraction": 0.1,
                         "diverged": False})
    return pd.DataFrame(rows)


def test_each_arm_is_compared_with_the_best_baseline_per_metric():
    t = _trials()
    row = cf.arm_table(t, baselines=["gp", "sn"]).set_index("arm").loc["ab"]
    assert row.modes_covered_best_baseline == "sn" and row.kde_loglik_best_baseline == "sn"
    assert row.modes_covered_diff == pytest.approx(12 - 70 / 3)
    assert (row.modes_covered_mean, row.modes_covered_std, row.n_trials) == (12.0, 2.0, 3)
    c = cf.contrast_table(t, contrasts=[["ab", "gp"]]).set_index("metric").loc["modes_covered"]
    assert (c["diff"], c.n_a, c.n_b) == (-10.0, 3, 3) and c.low < -10 < c.high


def test_a_diverged_trial_counts_as_the_worst_value(tmp_path):
    df = pd.DataFrame({"method": "rkl_sn", "beta1": 0.5, "trial": [0, 1], "iteration": 100, "step": "-",
                       "alpha": np.nan, "inception_score": [20.0, np.nan], "kde_loglik": [-3.0, np.nan],
                       "kde_bandwidth": 0.05, "modes_covered": [24.0, np.nan], "hq_fraction": [0.3, np.nan],
                       "diverged_at": [np.nan, 700]})
    df.to_csv(tmp_path / "m.csv", index=False)
    t = cf.trial_table([{"arm": "sn", "method": "rkl_sn", "beta1": 0.5, "metrics": str(tmp_path / "m.csv")}])
    assert t.diverged.tolist() == [False, True]
    assert t.modes_covered.tolist() == [24.0, 0.0] and t.kde_loglik.tolist() == [-3.0, -3.0]


def test_reset_adam_gives_steps_ii_and_iii_a_fresh_adam_and_is_off_by_default(tmp_path):
    cfg = {k: v for k, v in defaults.config().items() if k in ("device", "precision", "gamma", "gaussians")}
    g = cfg["gaussians"]
    g["trials"], g["eval"]["every"] = 2, 10
    g["alpha_bridge"].update(step1_iters=10, step2_iters=10, step3_iters=10)
    assert g["alpha_bridge"]["reset_adam"] is False  # the default: Adam's state carries across Steps
    kw = dict(samples_out=None, resume_path=None, progress=False)

    def step(c, name, inp, out):
        spec, data = spec_of("gaussians_train", c, method="alpha_bridge", beta1=0.5, step=name)
        ex.train_step(spec=spec, data=data, in_ckpt=inp, out_ckpt=out, **kw)
        return spec

    step(cfg, "I", None, tmp_path / "s1.pt")
    reset = copy.deepcopy(cfg)
    reset["gaussians"]["alpha_bridge"]["reset_adam"] = True
    assert step(reset, "II", tmp_path / "s1.pt", tmp_path / "r2.pt").segment.reset_adam
    assert not step(cfg, "II", tmp_path / "s1.pt", tmp_path / "c2.pt").segment.reset_adam
    ck = {k: torch.load(tmp_path / f"{k}2.pt", weights_only=False) for k in "rc"}
    steps = {k: float(next(iter(ck[k]["optim"]["g"]["state"].values()))["step"]) for k in "rc"}
    assert steps == {"r": 10.0, "c": 20.0}  # a fresh Adam has counted Step II's 10 updates only
    gen = {k: ck[k]["models"]["gen"] for k in "rc"}
    assert any(not torch.equal(gen["r"][n], gen["c"][n]) for n in gen["r"])


def test_reset_optimisers_zeroes_every_optimisers_state():
    tcfg = defaults.train_config(trials=2)
    state = init_state(tcfg)
    for o in state.opts.values():
        for p in (q for grp in o.param_groups for q in grp["params"]):
            p.grad = torch.ones_like(p)
        o.step()
    before = {k: id(o) for k, o in state.opts.items()}
    reset_optimisers(state, tcfg)
    assert set(state.opts) == set(before) and all(id(o) != before[k] for k, o in state.opts.items())
    assert all(len(o.state) == 0 for o in state.opts.values())
    assert all(g["lr"] == tcfg.lr and g["betas"] == (tcfg.beta1, tcfg.beta2) for o in state.opts.values()
               for g in o.param_groups)


def test_the_smoke_confirmation_table_recomputes_from_its_cells(smoke):
    table = pd.read_csv(smoke / "results/tables/confirm.csv")
    cells = smoke / "results/ablations"
    for r in table.itertuples():
        f = cells / f"confirm_{r.method}" / r.arm / r.method / f"b1_{r.beta1}" / "final_metrics.csv"
        last = pd.read_csv(f)
        last = last[last.iteration == last.iteration.max()]
        assert r.n_trials == len(last) == 2
        assert set(last.trial) == {0, 1}
        assert r.modes_covered_mean == pytest.approx(last.modes_covered.mean())
        assert r.kde_loglik_std == pytest.approx(last.kde_loglik.std(ddof=1))
    prov = (cells / "confirm_alpha_bridge/alpha_bridge/alpha_bridge/b1_0.5/samples.provenance.json").read_text()
    assert '"seed":100' in prov.replace(" ", "") and '"trials":2' in prov.replace(" ", "")
    contrasts = pd.read_csv(smoke / "results/tables/confirm_contrasts.csv")
    assert set(zip(contrasts.a, contrasts.b)) == {("alpha_bridge", "alpha_bridge_no_step2")}
    assert (smoke / "results/figures/confirm.pdf").stat().st_size > 0


def test_summarise_confirm_prints_the_tables_numbers_and_what_each_interval_supports(smoke, capsys):
    import importlib.util
    spec = importlib.util.spec_from_file_location("summarise_confirm", REPO / "bench/summarise_confirm.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (mod.verdict(0.1, 2), mod.verdict(-2, -0.1), mod.verdict(-1, 1)[:6]) == ("above", "below", "within")
    assert mod.main(["--root", str(smoke)]) == 0
    text = capsys.readouterr().out
    r = pd.read_csv(smoke / "results/tables/confirm.csv").set_index("arm").loc["alpha_bridge"]
    assert f"alpha_bridge b1 0.5: modes {r.modes_covered_mean:.1f} ± {r.modes_covered_std:.1f}" in text
    assert f"KDE-LL - rkl_gp: {r.kde_loglik_diff:+.2f} [{r.kde_loglik_diff_low:+.2f}" in text
    assert "alpha_bridge - alpha_bridge_no_step2, b1 0.5, modes_covered" in text
