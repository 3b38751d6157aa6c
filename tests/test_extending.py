"""docs/extending.md, performed in a copy of the repo: the recipe for a new 25-Gaussians method (a
throwaway `rkl_plain`, reverse KL with an unregularised discriminator) is applied file by file as
the page says, and the smoke workflow trains and scores it beside RKL-GP, whose numbers come out as
they were before the edit; then the metric recipe adds a throwaway metric (re-scoring without
retraining), and a throwaway ablation sweep over the new method, in an overlay config only,
resolves to the jobs the page says. One fixture does it all; the tests read what it kept."""
import math
import types

import numpy as np
import pandas as pd
import pytest
import yaml

from alphabridge.config import deep_merge, load_config_files
from conftest import copy_repo, run_snakemake

pytestmark = pytest.mark.workflow
NEW = "rkl_plain"
# the runs here: one beta1, no generalisations, and RKL-GP (the existing method compared) beside the new one
CHEAP = {"gaussians": {"beta1s": [0.5], "generalisations": []}}
CONFIGS = ["--configfile", "config/smoke.yaml", "cheap.yaml"]
TABLE = "results/tables/gaussians_final.csv"
GP = "results/gaussians/rkl_gp/b1_0.5/metrics.csv"
NEW_DIR = f"results/gaussians/{NEW}/b1_0.5"
SWEEP = {"ablations": {"sweeps": {"plain_lr": {"methods": [NEW], "beta1s": [0.5], "settings": {
    "base": {}, "lr_0.0003": {"gaussians": {"optim": {"lr": 0.0003}}}}}}}}


def _edit(repo, rel, old, new, count=1):
    """Replace `old` (which must occur exactly `count` times: the page names these lines) by `new`."""
    path = repo / rel
    text = path.read_text()
    assert text.count(old) == count, f"{rel}: expected {count}x {old!r}; docs/extending.md is out of date"
    path.write_text(text.replace(old, new))


def add_method(repo):
    """docs/extending.md, "A 25-Gaussians method", for a one-run method: five files."""
    _edit(repo, "src/alphabridge/methods.py", '    Method("rkl_sn", ("gaussians",), False, d_reg="sn"),\n',
          '    Method("rkl_sn", ("gaussians",), False, d_reg="sn"),\n'
          f'    Method("{NEW}", ("gaussians",), False, d_reg="none"),\n')
    _edit(repo, "src/alphabridge/style.py", '    "rkl_sn": ("RKL-SN", "tab:green"),\n',
          f'    "rkl_sn": ("RKL-SN", "tab:green"),\n    "{NEW}": ("RKL, plain D", "tab:brown"),\n')
    schema = "workflow/schemas/config.schema.yaml"
    # the method enums of gaussians.methods and of ablations.sweeps.<sweep>.methods
    _edit(repo, schema, "rkl_gp, rkl_sn]}", f"rkl_gp, rkl_sn, {NEW}]}}", count=2)
    _edit(repo, schema, "rkl_gp, rkl_sn, fig1, fig3]", f"rkl_gp, rkl_sn, {NEW}, fig1, fig3]")
    _edit(repo, schema, "      fig1:\n        type: object", f"      {NEW}:\n        type: object\n"
          "        additionalProperties: false\n        required: [iters]\n        properties:\n"
          "          iters: {type: integer, minimum: 1}\n      fig1:\n        type: object")
    _edit(repo, "config/config.yaml", "\n  methods: [alpha_bridge, rkl_gp, rkl_sn]\n",
          f"\n  methods: [alpha_bridge, rkl_gp, rkl_sn, {NEW}]\n")
    _edit(repo, "config/config.yaml", "  rkl_sn:\n    iters: 10000\n",
          f"  rkl_sn:\n    iters: 10000\n  {NEW}:\n    iters: 10000\n")
    _edit(repo, "config/smoke.yaml", "  rkl_sn: {iters: 120}\n", f"  rkl_sn: {{iters: 120}}\n  {NEW}: {{iters: 120}}\n")


def add_metric(repo):
    """docs/extending.md, "A metric", for 25-Gaussians: mean distance of a sample to its nearest mode."""
    _edit(repo, "src/alphabridge/metrics/gaussians.py", '        "hq_fraction": hq,\n',
          '        "hq_fraction": hq,\n        "mode_dist": float(torch.cdist(x.double(), means.double()).min(1)'
          '.values.mean()),\n')
    rel = "src/alphabridge/experiments/gaussians_metrics.py"
    _edit(repo, rel, '"kde_bandwidth", "modes_covered", "hq_fraction"]', '"kde_bandwidth", "modes_covered", '
          '"hq_fraction", "mode_dist"]')
    _edit(repo, rel, 'SUMMARY = ["inception_score", "kde_loglik", "modes_covered", "hq_fraction"]',
          'SUMMARY = ["inception_score", "kde_loglik", "modes_covered", "hq_fraction", "mode_dist"]')


def _jobs(proc):
    """{rule: count} of the job table Snakemake prints before it runs (or dry-runs) anything."""
    lines = (proc.stdout + proc.stderr).split("Job stats:\n", 1)[1].splitlines()[2:]
    rows = [line.split() for line in lines[: next(i for i, line in enumerate(lines) if line.startswith("total"))]]
    return {name: int(n) for name, n in rows}


def _csv(repo, rel):
    return pd.read_csv(repo / rel, dtype={"beta1": str})


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    repo = copy_repo(tmp_path_factory.mktemp("extend"))
    out = types.SimpleNamespace(repo=repo)
    (repo / "cheap.yaml").write_text(yaml.safe_dump(CHEAP))
    run_snakemake(["--cores", "2", GP, *CONFIGS], cwd=repo)
    out.gp_before = _csv(repo, GP)
    # a method: the new one beside RKL-GP (the edited config.yaml lists all four: its paper-scale dry-run below)
    add_method(repo)
    (repo / "cheap.yaml").write_text(yaml.safe_dump(deep_merge(CHEAP, {"gaussians": {"methods": ["rkl_gp", NEW]}})))
    out.method_jobs = _jobs(run_snakemake(["--cores", "2", TABLE, "results/figures/fig4.pdf", *CONFIGS], cwd=repo))
    out.gp_after, out.table, out.metrics = _csv(repo, GP), _csv(repo, TABLE), _csv(repo, f"{NEW_DIR}/metrics.csv")
    out.fig4_png = (repo / "results/figures/fig4.png").read_bytes()
    out.paper_jobs = _jobs(run_snakemake(["-n", "--forceall", "results/figures/fig4.pdf"], cwd=repo))
    # a sweep, in an overlay config only
    (repo / "sweep.yaml").write_text(yaml.safe_dump(SWEEP))
    out.sweep = run_snakemake(["-n", "results/figures/ablation_plain_lr.pdf", *CONFIGS, "sweep.yaml"], cwd=repo)
    # a metric: re-scores the saved samples
    add_metric(repo)
    out.metric_jobs = _jobs(run_snakemake(["--cores", "2", TABLE, *CONFIGS], cwd=repo))
    out.metric_table, out.metric_metrics = _csv(repo, TABLE), _csv(repo, f"{NEW_DIR}/metrics.csv")
    return out


def test_new_method_trains_and_its_row_is_in_the_final_table(done):
    assert list(done.table.method) == ["rkl_gp", NEW] and set(done.table.beta1) == {"0.5"}
    row = done.table.iloc[1]
    assert row.iteration == 120 and row.n_trials == 2
    assert all(math.isfinite(v) for v in row.drop(["method", "beta1"]).astype(float))
    assert 0 <= row.modes_covered_mean <= 25 and 0 <= row.hq_fraction_mean <= 1
    assert 1 <= row.inception_score_mean <= 25
    assert row.kde_loglik_mean != done.table.kde_loglik_mean[0]  # its own run, not RKL-GP's samples
    m = done.metrics
    assert len(m) == 2 * 6 and set(m.step) == {"-"}  # 2 trials x every 20 of 120 iterations
    assert m.modes_covered.between(0, 25).all() and m.hq_fraction.between(0, 1).all()
    assert done.fig4_png[:4] == b"\x89PNG"


def test_existing_method_retrains_to_the_same_numbers(done):
    """methods.py is a code input of every training rule, so the edit re-runs the existing runs
    (the page says so); what they compute does not change."""
    assert done.method_jobs == {"gaussians_baseline": 2, "gaussians_metrics": 2, "gaussians_table": 1,
                                "gaussians_fig4": 1}, done.method_jobs  # RKL-GP again, and the new method
    pd.testing.assert_frame_equal(done.gp_after, done.gp_before, check_exact=True)


def test_edited_paper_config_lists_the_new_method(done):
    jobs = done.paper_jobs
    assert jobs["gaussians_baseline"] == 3 * 2 and jobs["gaussians_metrics"] == 4 * 2, jobs  # methods x beta1s


def test_a_sweep_in_an_overlay_resolves_and_shares_the_fig4_run(done):
    # base ({}) is the Fig. 4 run, trained above: only lr_0.0003 trains; both cells are scored once
    out = done.sweep.stdout
    assert _jobs(done.sweep) == {"gaussians_baseline": 1, "gaussians_final_metrics": 2, "ablation_table": 1,
                                 "ablation_figure": 1}, out[-3000:]
    assert f"results/ablations/plain_lr/lr_0.0003/{NEW}/b1_0.5/samples.npz" in out
    assert f"{NEW_DIR}/final_metrics.csv" in out and "results/ablations/plain_lr/base/" not in out


def test_a_new_metric_rescored_without_retraining(done):
    assert done.metric_jobs == {"gaussians_metrics": 2, "gaussians_table": 1}, done.metric_jobs
    m, t = done.metric_metrics, done.metric_table
    assert list(m.columns[-2:]) == ["mode_dist", "diverged_at"] and list(t.columns[-2:]) == ["mode_dist_mean",
                                                                                             "mode_dist_std"]
    pd.testing.assert_frame_equal(m.drop(columns="mode_dist"), done.metrics)  # the other columns as before
    with np.load(done.repo / f"{NEW_DIR}/samples.npz") as npz:
        x = npz["it120"].astype(np.float64)  # [trials, n, 2]
    grid = np.array(load_config_files([done.repo / "config/config.yaml"])["gaussians"]["data"]["grid"], float)
    means = np.stack(np.meshgrid(grid, grid), -1).reshape(-1, 2)
    dist = np.linalg.norm(x[:, :, None] - means, axis=-1).min(-1).mean(-1)  # per trial
    last = m[m.iteration == 120].sort_values("trial")
    np.testing.assert_allclose(last.mode_dist, dist, rtol=1e-9)
    assert t.set_index("method").loc[NEW, "mode_dist_mean"] == pytest.approx(dist.mean(), rel=1e-9)
