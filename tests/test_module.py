"""The workflow used through Snakemake's `module` directive from another project's Snakefile, with
that project's own config (config/README.md, "Use as a module"): the layout snakedeploy writes."""
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from alphabridge import divergence as dv
from alphabridge import stages
from conftest import copy_repo, job_counts, run_snakemake


def make_project(tmp_path):
    """A copy of this checkout (the module) beside a project that only has a Snakefile and its config:
    the project's working directory has no src/, workflow/ or envs/, so any path the workflow took
    from the working directory or from the calling Snakefile's directory would be missing."""
    repo = copy_repo(tmp_path)
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    for name in ("config.yaml", "smoke.yaml"):
        shutil.copy2(repo / "config" / name, project / "config" / name)
    # Two configfiles are deep-merged in order: the paper-scale defaults, then the smoke sizes.
    (project / "Snakefile").write_text(
        'configfile: "config/config.yaml"\n'
        'configfile: "config/smoke.yaml"\n\n\n'
        "module alphabridge:\n"
        f'    snakefile: "{repo / "Snakefile"}"\n'
        "    config: config\n\n\n"
        "use rule * from alphabridge as ab_*\n"
    )
    return repo, project


def test_code_inputs_are_absolute_outside_the_checkout(tmp_path, monkeypatch):
    """A module's jobs run in the calling project: its code inputs must name this checkout's files."""
    monkeypatch.chdir(tmp_path)
    files = stages.stage_code("fig2_data")
    assert all(Path(f).is_absolute() and Path(f).is_file() for f in files)
    assert [Path(f).relative_to(stages.PACKAGE).as_posix() for f in files] == list(
        stages.module_files("alphabridge.experiments.fig2"))


@pytest.mark.workflow
def test_fig2_through_module_values(tmp_path):
    repo, project = make_project(tmp_path)
    proc = run_snakemake(["--cores", "1", "results/figures/fig2.pdf"], cwd=project)
    assert "ab_fig2_data" in proc.stdout + proc.stderr  # the rules ran under the module's prefix
    pdf, png = project / "results/figures/fig2.pdf", project / "results/figures/fig2.png"
    assert pdf.read_bytes()[:5] == b"%PDF-" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not (repo / "results").exists()  # outputs land in the project, never in the module
    df = pd.read_csv(project / "results/fig2/variance.csv")
    assert list(df.columns) == ["alpha", "param", "estimator", "mean", "var", "true_grad", "n_trials"]
    # smoke.yaml's alphas and trials reached the job: the project's config, not the module's defaults
    assert sorted(df.alpha.unique()) == [0.1, 0.5, 0.9] and (df.n_trials == 20000).all()
    assert len(df) == 3 * 2 * 3 and set(df.estimator) == {"F", "R", "combined"}
    assert all(math.isfinite(v) for v in df[["mean", "var", "true_grad"]].to_numpy().ravel())
    for row in df.itertuples():
        i = 0 if row.param == "mu" else 1
        truth = float(dv.true_grad_gauss(mu=1.0, sigma=0.9, alpha=row.alpha)[i])
        assert row.true_grad == pytest.approx(truth, rel=1e-12)
        g = float(dv.gamma_alpha(row.alpha, kind="sigmoid", c=10.0, d=-5.0))
        exact = float(dv.exact_variance_gauss(mu=1.0, sigma=0.9, alpha=row.alpha, gamma=g)[row.estimator][i])
        assert abs(row.mean - truth) < 4.5 * math.sqrt(exact / row.n_trials)  # unbiased
        assert exact / 3 < row.var < exact * 3  # heavy-tailed where an estimator is the bad one
    # the code inputs name the module's files, so a second run finds everything up to date
    proc = run_snakemake(["-n", "results/figures/fig2.pdf"], cwd=project)
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_module_takes_command_line_overrides_and_validates(tmp_path):
    _, project = make_project(tmp_path)
    proc = run_snakemake(["-n", "-p", "results/figures/fig2.pdf", "--config", "set={fig2.trials: 7}"], cwd=project)
    assert '"trials":7' in proc.stdout
    proc = run_snakemake(["-n", "results/figures/fig2.pdf", "--config", "set={fig2.trails: 7}"], cwd=project,
                         check=False)
    assert proc.returncode != 0 and "'fig2.trails'" in proc.stdout + proc.stderr


@pytest.mark.workflow
def test_nested_config_and_the_projects_own_default_target(tmp_path):
    """A project with keys of its own passes this workflow's config as one entry (config/README.md),
    and its own default target, declared after the module, stays the default."""
    repo = copy_repo(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    base = yaml.safe_load((repo / "config/config.yaml").read_text())
    (project / "config.yaml").write_text(yaml.safe_dump({"mine": 3, "alphabridge": base}))
    (project / "Snakefile").write_text(
        'configfile: "config.yaml"\n\n\n'
        "module alphabridge:\n"
        f'    snakefile: "{repo / "Snakefile"}"\n'
        '    config: config["alphabridge"]\n\n\n'
        "use rule * from alphabridge as ab_*\n\n\n"
        "rule mine:\n"
        "    default_target: True\n"
        '    output:\n        "mine.txt",\n'
        '    shell:\n        "echo {config[mine]} > {output}"\n'
    )
    def jobs(stdout):  # the "Job stats" rows (job_counts also picks up the jobs' "jobid: N" lines)
        return {k: v for k, v in job_counts(stdout).items() if not k.endswith(":")}

    assert jobs(run_snakemake(["-n"], cwd=project).stdout) == {"mine": 1}
    proc = run_snakemake(["-n", "-p", "results/figures/fig2.pdf", "--config", "set={fig2.trials: 7}"], cwd=project)
    assert '"trials":7' in proc.stdout and jobs(proc.stdout) == {"ab_fig2_data": 1, "ab_fig2_plot": 1}
