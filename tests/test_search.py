"""The random search: the draw is reproducible, inside the stated ranges and valid; the
expected best of k is exact; the search resolves to K x methods ordinary cells and, at smoke scale,
its table holds the cells' own final metrics and its curves follow from the table."""
import copy
import importlib.util
import itertools
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from alphabridge.config import ConfigError, load_config_files, load_schema, validate_config, validate_variant, \
    variant_configs
from alphabridge.experiments.search import TABLE_COLUMNS, config_scores, draw, expected_best_of_k
from alphabridge.figures.search import curves
from conftest import REPO, run_snakemake, job_counts

CFG = load_config_files([REPO / "config/config.yaml"])
SMOKE = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")
ALL = ["alpha_bridge", "rkl_gp", "rkl_sn"]


def _search(**kw):
    return {**copy.deepcopy(CFG["search"]), **kw}


@pytest.mark.parametrize("method", ALL)
def test_draw_is_reproducible_and_depends_on_the_seed(method):
    assert draw(_search(), method, seed=0) == draw(_search(), method, seed=0)
    assert draw(_search(), method, seed=0) != draw(_search(), method, seed=1)
    # a method's draw does not depend on which other methods are searched
    assert draw(_search(methods=[method]), method, seed=0) == draw(_search(), method, seed=0)
    assert list(draw(_search(configs=3), method, seed=0)) == ["c01", "c02", "c03"]


def test_the_default_draw_is_pinned():
    """The draw of config.yaml's seed, pinned: a change to the drawing code (or to numpy's PCG64 stream)
    changes every search run directory, so it must show up here first."""
    first = {m: (d["c01"]["beta1"], d["c01"]["values"]["lr"]) for m in ALL for d in [draw(_search(), m, seed=0)]}
    assert first == {"alpha_bridge": (0.1, 0.000247), "rkl_gp": (0.49, 0.00211), "rkl_sn": (0.47, 0.00152)}
    # the baselines' draws are those of the first (asymmetric) search: only alpha-Bridge's changed
    assert draw(_search(), "rkl_gp", seed=0)["c01"]["values"]["gp_weight"] == 0.538
    assert draw(_search(), "rkl_sn", seed=0)["c10"]["values"]["lr"] == 0.00115


def test_the_search_is_symmetric():
    """alpha-Bridge's D penalty weight is drawn from RKL-GP's range, and every third configuration is
    the paper's estimator (sigmoid gamma, plain D, no stabiliser)."""
    s = _search(configs=300)
    lo, hi = s["ranges"]["shared"]["gp_weight"]
    for seed in s["seeds"]:
        ab = draw(s, "alpha_bridge", seed=seed)
        weights = [d["override"]["gaussians"]["alpha_bridge"]["gp_weight"] for d in ab.values()
                   if d["values"]["d_reg"] == "gp"]
        gp = [d["override"]["gaussians"]["rkl_gp"]["gp_weight"] for d in draw(s, "rkl_gp", seed=seed).values()]
        assert all(lo <= w <= hi for w in weights + gp) and len(weights) > 50
        # the same log-uniform law: both spread over the whole range
        assert min(weights) < 0.03 and max(weights) > 3 and min(gp) < 0.03 and max(gp) > 3
        paper = [k for k, d in ab.items() if d["values"]["paper_estimator"]]
        assert paper == [f"c{k + 1:02d}" for k in range(0, 300, 3)]
        for k in paper:
            d = ab[k]
            assert (d["override"]["gamma"]["kind"], d["values"]["d_reg"], d["values"]["stabiliser"]) == \
                ("sigmoid", "none", "none")
            assert not d["override"]["gaussians"]["alpha_bridge"]["self_normalize"]
            assert d["override"]["gaussians"]["alpha_bridge"]["clamp_logw"] is None


@pytest.mark.parametrize("method", ALL)
def test_drawn_values_are_inside_the_stated_ranges(method):
    s = _search(configs=200)
    r, a = s["ranges"]["shared"], s["ranges"]["alpha_bridge"]
    for d in draw(s, method, seed=0).values():
        v, g = d["values"], d["override"]["gaussians"]
        assert r["lr"][0] <= v["lr"] <= r["lr"][1] and isinstance(v["lr"], float)
        assert r["beta1"][0] <= d["beta1"] == v["beta1"] <= r["beta1"][1] and round(d["beta1"], 2) == d["beta1"]
        for key in ("hidden", "batch_size", "z_dim"):
            assert v[key] in r[key] and type(v[key]) is int
        assert g["trials"] == s["trials"] and g["optim"]["lr"] == v["lr"]
        if method == "rkl_gp":
            lo, hi = s["ranges"]["shared"]["gp_weight"]
            assert lo <= g["rkl_gp"]["gp_weight"] <= hi and g["rkl_gp"]["iters"] == s["iters"]
        elif method == "rkl_sn":
            assert g["rkl_sn"] == {"iters": s["iters"]}
        else:
            ab = g["alpha_bridge"]
            steps = [ab["step1_iters"], ab["step2_iters"], ab["step3_iters"]]
            assert sum(steps) == s["iters"] and all(type(x) is int and x % a["step_unit"] == 0 for x in steps)
            assert steps[0] >= a["step_unit"] and steps[2] >= a["step_unit"] and steps[1] >= 0
            assert a["sigma"][0] <= ab["sigma"] <= a["sigma"][1]
            assert v["stabiliser"] in a["stabiliser"] and ab["d_reg"] in a["d_reg"]
            assert ab["self_normalize"] == (v["stabiliser"] == "self_normalize")
            assert ab["clamp_logw"] == (a["clamp_logw"] if v["stabiliser"] == "clamp_logw" else None)
            gamma = d["override"]["gamma"]
            assert gamma["kind"] in a["gamma_kind"] or v["paper_estimator"]
            if gamma["kind"] == "sigmoid":
                assert a["gamma_c"][0] <= gamma["c"] <= a["gamma_c"][1]
                centre = -gamma["d"] / gamma["c"]
                assert a["gamma_centre"][0] - 0.01 <= centre <= a["gamma_centre"][1] + 0.01
    ab_draws = draw(s, "alpha_bridge", seed=0).values()
    # with 200 draws every choice shows up, Step II = 0 included
    assert {d["values"]["stabiliser"] for d in ab_draws} == set(a["stabiliser"])
    assert any(d["values"]["step2_iters"] == 0 for d in ab_draws)


@pytest.mark.parametrize("cfg", [CFG, SMOKE], ids=["paper", "smoke"])
def test_every_drawn_configuration_validates(cfg):
    cfg = copy.deepcopy(cfg)
    cfg["search"]["configs"] = 40
    drawn = {k: v for k, v in variant_configs(cfg).items() if k.startswith("search_")}
    assert len(drawn) == 40 * len(cfg["search"]["methods"]) * len(cfg["search"]["seeds"])
    for name, full in drawn.items():
        assert validate_variant(full, schema=SCHEMA) == [], name
        assert "search" not in full and "ablations" not in full


def test_a_draw_outside_the_schema_is_refused_and_named():
    bad = copy.deepcopy(SMOKE)
    bad["search"].update(iters=10)  # shorter than gaussians.eval.every (20): no sample would be saved
    bad["search"]["ranges"]["alpha_bridge"]["step_unit"] = 5
    with pytest.raises(ConfigError, match="search: drawn configuration c01 of search_s0_rkl_sn"):
        validate_config(bad, schema=SCHEMA)
    clash = copy.deepcopy(CFG)
    clash["ablations"]["sweeps"]["search_x"] = clash["ablations"]["sweeps"]["order"]
    with pytest.raises(ConfigError, match="search_x"):
        validate_config(clash, schema=SCHEMA)


def test_expected_best_of_k_by_hand_and_by_enumeration():
    # {1, 2, 3}: k=1 the mean 2; k=2 the pairs' maxima 2, 3, 3 -> 8/3; k=3 the maximum 3
    assert [expected_best_of_k([3.0, 1.0, 2.0], k) for k in (1, 2, 3)] == pytest.approx([2.0, 8 / 3, 3.0])
    x = np.random.default_rng(0).normal(size=7)
    for k in range(1, 8):
        brute = np.mean([max(c) for c in itertools.combinations(x, k)])
        assert expected_best_of_k(x, k) == pytest.approx(brute)
    with pytest.raises(ValueError):
        expected_best_of_k(x, 8)


def test_a_diverged_trial_scores_the_worst_value():
    t = pd.DataFrame({"draw": 0, "method": "rkl_sn", "config": ["c01", "c01", "c02", "c02"], "trial": [0, 1, 0, 1],
                      "kde_loglik": [-1.0, np.nan, -3.0, -2.0], "modes_covered": [25, np.nan, 20, 10],
                      "diverged": [False, True, False, False]})
    kde = config_scores(t, "kde_loglik").set_index("config").score
    modes = config_scores(t, "modes_covered").set_index("config").score
    assert kde.to_dict() == {"c01": -2.0, "c02": -2.5} and modes.to_dict() == {"c01": 12.5, "c02": 15.0}


@pytest.mark.workflow
def test_the_search_resolves_to_k_times_methods_cells(tmp_path):
    over = tmp_path / "k3.yaml"
    over.write_text(yaml.safe_dump({"search": {"configs": 3}}))
    proc = run_snakemake(["-n", "--forceall", "results/figures/search.pdf", "--configfile", "config/smoke.yaml",
                          str(over)], cwd=REPO)
    jobs, n = job_counts(proc.stdout), len(SMOKE["search"]["seeds"])
    assert n == 2 and jobs["gaussians_final_metrics"] == 3 * 3 * n and jobs["gaussians_baseline"] == 3 * 2 * n
    assert jobs["gaussians_step1"] == jobs["gaussians_step3"] == 3 * n
    assert jobs["search_table"] == jobs["search_figure"] == 1
    # each cell its own run directory, at its drawn beta1
    cells = set(re.findall(r"results/ablations/search_s(\d)_(\w+)/(c\d\d)/\w+/b1_([0-9.]+)/final_metrics\.csv",
                           proc.stdout))
    expected = {(str(s), m, c, str(d["beta1"])) for s in SMOKE["search"]["seeds"] for m in ALL
                for c, d in draw({**SMOKE["search"], "configs": 3}, m, seed=s).items()}
    assert cells == expected


@pytest.mark.workflow
def test_smoke_search_runs_for_real_and_its_table_is_the_cells_metrics(repo_copy):
    over = repo_copy / "one.yaml"
    over.write_text(yaml.safe_dump({"search": {"configs": 2, "methods": ["rkl_sn"]}}))
    run_snakemake(["--cores", "2", "results/figures/search.pdf", "--configfile", "config/smoke.yaml", str(over)],
                  cwd=repo_copy)
    table = pd.read_csv(repo_copy / "results/tables/search.csv")
    n = len(SMOKE["search"]["seeds"])
    assert list(table.columns) == TABLE_COLUMNS and len(table) == 2 * n * SMOKE["gaussians"]["trials"]
    for seed, (cfg, d) in ((s, c) for s in SMOKE["search"]["seeds"]
                           for c in draw({**SMOKE["search"], "configs": 2}, "rkl_sn", seed=s).items()):
        rows = table[(table.config == cfg) & (table["draw"] == seed)].sort_values("trial")
        fm = pd.read_csv(repo_copy / f"results/ablations/search_s{seed}_rkl_sn/{cfg}/rkl_sn/b1_{d['beta1']}/"
                         "final_metrics.csv")
        assert (rows.beta1 == d["beta1"]).all() and (rows.lr == d["values"]["lr"]).all()
        for col in ("modes_covered", "kde_loglik", "hq_fraction", "inception_score"):
            assert rows[col].to_numpy() == pytest.approx(fm.sort_values("trial")[col].to_numpy())
    # the curve at k = K is the best configuration's mean, at k = 1 the mean over configurations
    c_all = curves(table)
    assert set(c_all["draw"]) == set(SMOKE["search"]["seeds"])
    c = c_all.query("metric == 'kde_loglik' and draw == 0")
    means = table[table["draw"] == 0].groupby("config").kde_loglik.mean()
    assert c.expected_best.iloc[-1] == pytest.approx(means.max())
    assert c.expected_best.iloc[0] == pytest.approx(means.mean())
    assert (repo_copy / "results/figures/search.png").read_bytes()[:4] == b"\x89PNG"
    # the figure's curves CSV, and bench/recompute_search.py: every cell's metrics recomputed from its
    # samples in NumPy/SciPy, every curve by enumerating k-subsets
    drawn = pd.read_csv(repo_copy / "results/tables/search_curves.csv")
    key = ["draw", "metric", "k"]
    assert np.allclose(drawn.sort_values(key).expected_best, c_all.sort_values(key).expected_best)
    spec = importlib.util.spec_from_file_location("recompute_search", REPO / "bench/recompute_search.py")
    recompute = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recompute)
    assert recompute.main(["--root", str(repo_copy), "--config", "config/config.yaml", "config/smoke.yaml",
                           str(over), "--cells", "2"]) == 0
    # bench/summarise_search.py: the README's numbers, printed from the same tables
    spec = importlib.util.spec_from_file_location("summarise_search", REPO / "bench/summarise_search.py")
    summarise = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(summarise)
    text = summarise.search_summary(table, drawn)
    best = means.idxmax()
    assert f"draw 0, rkl_sn: best configuration by mean KDE-LL: {best}" in text
    sel = table[(table.config == best) & (table["draw"] == 0)]
    assert f"kde_loglik {sel.kde_loglik.mean():.2f} ± " in text


def test_combined_best_alpha_bridge_keeps_the_budget_and_every_knob():
    best = variant_configs(CFG)["combined/best"]
    ab, g = best["gaussians"]["alpha_bridge"], best["gaussians"]
    assert ab["step1_iters"] + ab["step2_iters"] + ab["step3_iters"] == g["rkl_gp"]["iters"] == g["rkl_sn"]["iters"]
    assert (ab["d_reg"], ab["sigma"], ab["step2_iters"], ab["self_normalize"], best["gamma"]["kind"]) == \
        ("gp", 0.4, 2000, True, "hard")
    assert g["trials"] == 10 and CFG["ablations"]["sweeps"]["combined"]["beta1s"] == g["beta1s"]


@pytest.mark.workflow
def test_combined_cell_sits_beside_the_fig4_baselines():
    proc = run_snakemake(["-n", "--forceall", "results/tables/ablations/combined.csv"], cwd=REPO)
    for b1 in ("0.1", "0.5"):
        assert f"results/ablations/combined/best/alpha_bridge/b1_{b1}/final_metrics.csv" in proc.stdout
        for m in ("rkl_gp", "rkl_sn"):  # alpha-Bridge's knobs leave the baselines' runs as they are
            assert f"results/gaussians/{m}/b1_{b1}/final_metrics.csv" in proc.stdout
            assert f"results/ablations/combined/best/{m}/" not in proc.stdout
