"""25-Gaussians through Snakemake on config/smoke.yaml: real run in a temp copy, values checked
against the saved samples, and the re-run scope of a Step III change."""
import json
import os

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from alphabridge.config import load_config_files
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.metrics.gaussians import evaluate_samples
from alphabridge.provenance import config_hash
from alphabridge.divergence import gamma_alpha
from alphabridge.train.loop import saved_keys
from alphabridge.train.schedule import alpha_at
from conftest import GAUSSIANS_RECON as RECON
from conftest import GAUSSIANS_TARGETS as TARGETS
from conftest import REPO, run_snakemake

pytestmark = pytest.mark.workflow
AB = ["alpha_bridge", "alpha_bridge_marginals", "alpha_bridge_joint"]
COLUMNS = ["method", "beta1", "trial", "iteration", "step", "alpha", "inception_score", "kde_loglik",
           "kde_bandwidth", "modes_covered", "hq_fraction", "diverged_at"]


@pytest.fixture
def smoke_run(smoke):
    return smoke  # the session's one smoke run (conftest.SMOKE_TARGETS)


def test_dry_run_paper_scale_from_repo_root():
    proc = run_snakemake(["-n", "--forceall", "results/figures/fig4.pdf"], cwd=REPO)
    out = proc.stdout
    for rule, n in (("gaussians_step1", 2), ("gaussians_step2", 2), ("gaussians_step3", 2),
                    ("gaussians_baseline", 4), ("gaussians_metrics", 6), ("gaussians_fig4", 1)):
        assert any(line.split()[:2] == [rule, str(n)] for line in out.splitlines()), (rule, out[-2000:])


def test_outputs_and_values(smoke_run):
    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    g = cfg["gaussians"]
    data = make_splits(GaussiansData(**{k: tuple(v) if isinstance(v, list) else v for k, v in g["data"].items()}))
    for name in TARGETS:
        assert (smoke_run / name).stat().st_size > 0
    for fig in ("fig4", "fig3", "fig1_gaussians", "fig4_generalisations", "step2_diagnostics"):
        assert (smoke_run / f"results/figures/{fig}.png").read_bytes()[:4] == b"\x89PNG"
    for method in g["methods"] + g["generalisations"]:
        for b1 in ("0.1", "0.5"):
            base = smoke_run / f"results/gaussians/{method}/b1_{b1}"
            df = pd.read_csv(base / "metrics.csv", dtype={"beta1": str})
            assert list(df.columns) == COLUMNS
            assert set(df.beta1) == {b1} and set(df.method) == {method}
            with np.load(base / "samples.npz") as npz:
                assert saved_keys(npz.files) == [f"it{i}" for i in range(20, 121, 20)]
                assert list(npz["diverged_at"]) == [0, 0] and df.diverged_at.isna().all()  # no trial diverged
                x = npz["it120"]
                assert x.shape == (2, 200, 2) and x.dtype == np.float32 and np.isfinite(x).all()
                # recompute one row independently of the metrics rule
                row = df[(df.iteration == 120) & (df.trial == 1)].iloc[0]
                m = evaluate_samples(torch.from_numpy(x[1]), means=data["means"], std=0.05, val=data["val"],
                                     test=data["test"], bandwidths=g["eval"]["bandwidths"])
                for k, v in m.items():
                    assert row[k] == pytest.approx(v, rel=1e-6), k
            assert len(df) == 2 * 6
            prov = json.loads((base / "metrics.provenance.json").read_text())
            assert prov["config_sha256"] == config_hash(prov["config"]) and prov["file"] == "metrics.csv"
            assert prov["torch_version"] == torch.__version__ and prov["device"].startswith(("cpu", "cuda"))
            assert prov["alphabridge_version"] and prov["git_commit"]
            assert prov["config"]["gaussians"]["eval"] == g["eval"]
            assert df.inception_score.between(1, 25).all() and df.hq_fraction.between(0, 1).all()
            if method in AB:
                steps = df.drop_duplicates("iteration").set_index("iteration")
                assert steps.step.to_dict() == {20: "I", 40: "I", 60: "II", 80: "II", 100: "III", 120: "III"}
                assert steps.alpha[40] == 0.0 and steps.alpha[120] == 1.0
                assert steps.alpha[60] == pytest.approx(alpha_at(19, 40, kind="linear"))
            else:
                assert set(df.step) == {"-"} and df.alpha.isna().all()
    table = pd.read_csv(smoke_run / "results/tables/gaussians_final.csv", dtype={"beta1": str})
    assert len(table) == 10 and set(table.method) == set(AB + ["rkl_gp", "rkl_sn"])
    ab = pd.read_csv(smoke_run / "results/gaussians/alpha_bridge/b1_0.5/metrics.csv")
    last = ab[ab.iteration == 120]
    row = table[(table.method == "alpha_bridge") & (table.beta1 == "0.5")].iloc[0]
    assert row.kde_loglik_mean == pytest.approx(last.kde_loglik.mean())
    assert row.hq_fraction_std == pytest.approx(last.hq_fraction.std(ddof=1))
    with np.load(smoke_run / "results/gaussians/fig1/b1_0.5/demo.npz") as demo:
        assert sorted(demo.files) == sorted(f"{r}_it{k}" for r in ("rkl", "bridge") for k in (0, 2, 4))
        assert np.array_equal(demo["rkl_it0"], demo["bridge_it0"])  # same ML start
        assert not np.array_equal(demo["rkl_it4"], demo["rkl_it0"])


def _jobs(proc):
    jobs = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0].startswith("gaussians_"):
            jobs[parts[0]] = int(parts[1])
    return jobs


def test_step3_change_reruns_only_step3_and_after(smoke_run):
    proc = run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml"], cwd=smoke_run)
    assert "Nothing to be done" in proc.stdout + proc.stderr
    over = smoke_run / "step3.yaml"
    over.write_text(yaml.safe_dump({"gaussians": {"alpha_bridge": {"step3_iters": 60}}}))
    jobs = _jobs(run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml", str(over)], cwd=smoke_run))
    assert jobs.get("gaussians_step3") == 6  # alpha_bridge and both generalisations share the Step settings
    assert "gaussians_step1" not in jobs and "gaussians_step2" not in jobs and "gaussians_baseline" not in jobs
    assert jobs.get("gaussians_metrics") == 6 and jobs.get("gaussians_fig4") == 1
    assert jobs.get("gaussians_reconstruction") == 3
    # a metrics-only change (KDE grid) recomputes metrics, never training
    over.write_text(yaml.safe_dump({"gaussians": {"eval": {"bandwidths": [0.05, 0.1]}}}))
    jobs = _jobs(run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml", str(over)], cwd=smoke_run))
    assert jobs.get("gaussians_metrics") == 10
    assert not any(k in jobs for k in ("gaussians_step1", "gaussians_step2", "gaussians_step3", "gaussians_baseline"))


def test_code_edits_rerun_only_what_depends_on_them(smoke_run):
    kde = smoke_run / "src/alphabridge/metrics/kde.py"
    original = kde.read_text()
    # touching a file without changing it re-runs nothing (snakemake compares checksums)
    os.utime(kde)
    proc = run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml"], cwd=smoke_run)
    assert "Nothing to be done" in proc.stdout + proc.stderr
    # an edit under src/alphabridge/metrics/ re-runs the metrics and what follows, never training
    kde.write_text(original + "\n# an edit\n")
    try:
        jobs = _jobs(run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml"], cwd=smoke_run))
    finally:
        kde.write_text(original)
    assert jobs.get("gaussians_metrics") == 10 and jobs.get("gaussians_table") == 1 and jobs.get("gaussians_fig4") == 1
    assert not any(k in jobs for k in ("gaussians_step1", "gaussians_step2", "gaussians_step3", "gaussians_baseline",
                                       "gaussians_fig1_data"))
    # models/conv.py is imported by the training code (train/state.py), not only by the image models:
    # editing it re-runs every 25-Gaussians training job (the code inputs come from the imports)
    conv = smoke_run / "src/alphabridge/models/conv.py"
    original = conv.read_text()
    conv.write_text(original + "\n# an edit\n")
    try:
        jobs = _jobs(run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml"], cwd=smoke_run))
    finally:
        conv.write_text(original)
    assert jobs.get("gaussians_step1") == 6 and jobs.get("gaussians_baseline") == 4, jobs
    assert jobs.get("gaussians_fig1_data") == 1 and jobs.get("gaussians_metrics") == 10
    # and a module no 25-Gaussians stage imports re-runs none of them
    fig = smoke_run / "src/alphabridge/figures/images.py"
    original = fig.read_text()
    fig.write_text(original + "\n# an edit\n")
    try:
        proc = run_snakemake(["-n", *TARGETS, "--configfile", "config/smoke.yaml"], cwd=smoke_run)
    finally:
        fig.write_text(original)
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_report_gathers_figures_and_tables(smoke_run):
    run_snakemake(["--report", "report.html", *TARGETS, "results/figures/fig2.pdf", "--configfile", "config/smoke.yaml"],
                  cwd=smoke_run)
    html = (smoke_run / "report.html").read_text(errors="replace")
    for name in ("fig2.pdf", "fig3.pdf", "fig4.pdf", "fig1_gaussians.pdf", "gaussians_final.csv"):
        assert name in html, name
    assert "Step boundaries" in html or "Step I" in html  # a caption made it in


def test_reconstruction_rows(smoke_run):
    """Step I is the same ML step for alpha-Bridge and its generalisations (identical G and E), so
    their Step I rows agree exactly; the end-of-Step-III rows are recomputed from the checkpoint."""
    from alphabridge.experiments.reconstruction import _restore
    from alphabridge.train.checkpoint import load_checkpoint

    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    test = make_splits(GaussiansData(**{k: tuple(v) if isinstance(v, list) else v
                                        for k, v in cfg["gaussians"]["data"].items()}))["test"]
    rows = pd.concat([pd.read_csv(smoke_run / p) for p in RECON])
    assert len(rows) == 6 and set(rows.step) == {"I", "III"} and (rows.n_heldout == 300).all()
    first = rows[rows.step == "I"]
    assert first.x_recon_mean.nunique() == 1 and first.z_recon_mean.nunique() == 1
    path = smoke_run / "results/gaussians/alpha_bridge_joint/b1_0.5/step3.pt"
    state, _ = _restore(load_checkpoint(path), path=path, x_dim=2)
    with torch.no_grad():
        x = test.expand(2, *test.shape)
        err = ((x - state.gen(state.enc(x)[0])) ** 2).sum(-1).mean(1)
    row = rows[(rows.method == "alpha_bridge_joint") & (rows.step == "III")].iloc[0]
    assert row.x_recon_mean == pytest.approx(float(err.mean()), rel=1e-5)
    assert row.x_recon_std == pytest.approx(float(err.std(unbiased=False)), rel=1e-4)


def test_training_logs_and_diagnostics(smoke_run):
    """Each training job's log: one row per trial every log_every (10) iterations and at the Step's
    end, alpha and gamma as the schedule gives them, the ELBO as minus the encoder's loss, weights'
    ESS within [1, batch]; the diagnostic table holds the logs' medians at the Step II iterations."""
    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    batch = cfg["gaussians"]["optim"]["batch_size"]
    base = smoke_run / "results/gaussians/alpha_bridge/b1_0.5"
    logs = {n: pd.read_csv(base / f"step{n}.log.csv", dtype={"beta1": str}) for n in (1, 2, 3)}
    for n, its in ((1, [10, 20, 30, 40]), (2, [50, 60, 70, 80]), (3, [90, 100, 110, 120])):
        log = logs[n]
        assert sorted(log.iteration.unique()) == its and (log.groupby("iteration").trial.nunique() == 2).all()
        assert set(log.method) == {"alpha_bridge"} and set(log.beta1) == {"0.5"}
        assert np.allclose(log.elbo, -log.loss_e) and (log.grad_g > 0).all() and (log.grad_d > 0).all()
        assert log[["loss_d", "d_real", "d_fake"]].notna().all().all()
    two = logs[2]
    for it, df in two.groupby("iteration"):
        assert df.alpha.iloc[0] == pytest.approx(alpha_at(it - 41, 40, kind="linear"))
        assert df.gamma.iloc[0] == pytest.approx(float(gamma_alpha(df.alpha.iloc[0], kind="sigmoid", c=10.0, d=-5.0)))
    assert two.ess_f.between(1, batch).all() and two.ess_r.between(1, batch).all()
    assert logs[1].ess_f.isna().all() and (logs[1].alpha == 0).all() and (logs[3].alpha == 1).all()
    table = pd.read_csv(smoke_run / "results/tables/step2_diagnostics.csv", dtype={"beta1": str})
    row = table[(table.beta1 == "0.5") & (table.iteration == 70)].iloc[0]
    at70 = two[two.iteration == 70]
    assert row.d_fake == pytest.approx(at70.d_fake.median()) and row.ess_f_frac == pytest.approx(at70.ess_f.median() / batch)
    # a trained baseline logs too: one Step '-', reverse-KL alpha = gamma = 1, no inference arm
    rkl = pd.read_csv(smoke_run / "results/gaussians/rkl_sn/b1_0.1/model.log.csv")
    assert set(rkl.step) == {"-"} and (rkl.alpha == 1).all() and rkl.loss_e.isna().all() and len(rkl) == 2 * 12
