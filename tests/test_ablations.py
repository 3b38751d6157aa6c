"""Ablation sweeps: every sweep resolves at paper scale, cells share runs with Fig. 4 and
with each other, a smoke-sized sweep runs for real, and the update-order and no-Step-II variants
change exactly what they should on a tiny model."""
import copy

import numpy as np
import pandas as pd
import pytest
import torch
import yaml

from alphabridge.config import load_config_files
from alphabridge.experiments.ablations import COLUMNS, robustness_summary
from alphabridge.experiments.gaussians import train_step
from alphabridge.stages import spec_of
from alphabridge.train.schedule import step_and_alpha
from alphabridge.train import loop
from alphabridge.train.checkpoint import load_checkpoint
from alphabridge.train.loop import eval_noise, init_state, run_segment
from alphabridge import defaults
from conftest import REPO, run_snakemake, job_counts

CFG = load_config_files([REPO / "config/config.yaml"])
SWEEPS = CFG["ablations"]["sweeps"]


def _cells(sweep):
    s = SWEEPS[sweep]
    return len(s["settings"]) * len(s["methods"]) * len(s["beta1s"])


@pytest.mark.workflow
@pytest.mark.parametrize("sweep", list(SWEEPS))
def test_each_sweep_resolves_at_paper_scale(sweep):
    proc = run_snakemake(["-n", "--forceall", f"results/figures/ablation_{sweep}.pdf"], cwd=REPO)
    jobs = job_counts(proc.stdout)
    assert jobs["ablation_table"] == 1 and jobs["ablation_figure"] == 1
    assert jobs["gaussians_final_metrics"] == _cells(sweep)  # one score per cell, none for shared duplicates
    if sweep == "gamma":  # gamma only changes Step II: one shared Step I, every Step II its own
        assert jobs["gaussians_step1"] == 1 and jobs["gaussians_step2"] == _cells(sweep)
    if sweep == "robustness":  # (lr 1e-3, beta1 0.1 / 0.5) are the Fig. 4 runs
        assert "results/gaussians/rkl_gp/b1_0.5/samples.npz" in proc.stdout
        assert "results/ablations/robustness/lr_0.001/rkl_gp/b1_0.5" not in proc.stdout
        assert "results/ablations/robustness/lr_0.001/rkl_gp/b1_0.9/samples.npz" in proc.stdout


@pytest.mark.workflow
def test_full_table_target_resolves():
    jobs = job_counts(run_snakemake(["-n", "--forceall", "results/tables/ablations.csv"], cwd=REPO).stdout)
    assert jobs["ablation_table"] == len(SWEEPS) and jobs["ablations_all"] == 1


@pytest.mark.workflow
def test_wide_scale_overlay_adds_width512_and_nothing_else():
    """config/scale_wide.yaml repeats the default scale settings (for the figure's order): it must
    add width 512 and leave every other setting exactly as config.yaml has it."""
    wide = load_config_files([REPO / "config/config.yaml", REPO / "config/scale_wide.yaml"])
    settings, base = wide["ablations"]["sweeps"]["scale"]["settings"], SWEEPS["scale"]["settings"]
    assert {k: v for k, v in settings.items() if k != "width512_10k"} == base
    assert settings["width512_10k"] == {"gaussians": {"model": {"hidden": 512}}}
    proc = run_snakemake(["-n", "--forceall", "results/tables/ablations/scale.csv",
                          "--configfile", "config/scale_wide.yaml"], cwd=REPO)
    assert job_counts(proc.stdout)["gaussians_final_metrics"] == _cells("scale") + len(SWEEPS["scale"]["methods"])
    order = [s for s in settings if f'"setting": "{s}"' in proc.stdout]
    assert order == list(settings) and proc.stdout.index('"setting": "width256_10k"') < proc.stdout.index(
        '"setting": "width512_10k"') < proc.stdout.index('"setting": "width64_30k"')


@pytest.mark.workflow
def test_smoke_sweeps_run_for_real(smoke):
    repo_copy = smoke  # the session's one smoke run built both sweeps (conftest.SWEEP_TARGETS)
    for sweep in ("order", "schedule"):
        table = pd.read_csv(repo_copy / f"results/tables/ablations/{sweep}.csv")
        assert list(table.columns) == COLUMNS + ["success_fraction"]
        assert len(table) == _cells(sweep) and list(table.setting) == list(SWEEPS[sweep]["settings"])
        numeric = table[[c for c in COLUMNS if c.endswith(("_mean", "_std"))]]
        assert np.isfinite(numeric.to_numpy(float)).all()
        assert (table.n_trials == 2).all() and (table.lr == 0.001).all()
        assert (repo_copy / f"results/figures/ablation_{sweep}.png").read_bytes()[:4] == b"\x89PNG"
    # a cell's row is its final-iteration mean over trials, from the samples it was trained to
    sched = pd.read_csv(repo_copy / "results/tables/ablations/schedule.csv").set_index("setting")
    fm = pd.read_csv(repo_copy / "results/ablations/schedule/none_0k/alpha_bridge/b1_0.5/final_metrics.csv")
    assert list(fm.iteration.unique()) == [80]  # Step I 40 + Step II 0 + Step III 40
    assert sched.loc["none_0k", "kde_loglik_mean"] == pytest.approx(fm.kde_loglik.mean())
    assert set(fm.step) == {"III"}
    # the base setting re-used the Fig. 4 run rather than training a copy
    assert (repo_copy / "results/gaussians/alpha_bridge/b1_0.5/samples.npz").exists()
    assert not (repo_copy / "results/ablations/order/joint").exists()
    # the all-sweeps table keeps exactly its columns
    out = repo_copy / "all.csv"
    from alphabridge.cli import main

    assert main(["ablation-all", "--tables", str(repo_copy / "results/tables/ablations/order.csv"),
                 str(repo_copy / "results/tables/ablations/schedule.csv"), "--out", str(out)]) == 0
    assert list(pd.read_csv(out).columns) == COLUMNS and len(pd.read_csv(out)) == _cells("order") + _cells("schedule")


def test_robustness_summary_counts_settings_and_trials():
    t = pd.DataFrame({"method": ["a", "a", "a", "b"], "modes_mean": [24.0, 23.9, 25.0, 10.0],
                      "success_fraction": [0.5, 0.4, 1.0, 0.0]})
    s = robustness_summary(t, success_modes=24).set_index("method")
    assert s.loc["a", "settings_success"] == pytest.approx(2 / 3) and s.loc["b", "settings_success"] == 0
    assert s.loc["a", "trials_success"] == pytest.approx(1.9 / 3) and s.loc["a", "settings"] == 3



@pytest.mark.parametrize("settings, tilted", [(["joint", "sequential"], False),
                                                (["width64_10k", "width128_10k", "width256_10k", "width64_30k"], True)])
def test_sweep_figure_tilts_labels_only_when_they_would_overlap(settings, tilted):
    from alphabridge.figures.ablations import plot_sweep

    rows = [{"setting": s, "method": "alpha_bridge", "beta1": 0.5, "lr": 0.001, "n_trials": 2,
             **{f"{c}_{k}": 1.0 for c in ("kde_loglik", "hq_fraction", "modes") for k in ("mean", "std")}}
            for s in settings]
    fig = plot_sweep(pd.DataFrame(rows), sweep="t", success_modes=24)
    ticks = fig.axes[0].get_xticklabels()
    assert [t.get_text() for t in ticks] == settings
    assert {t.get_rotation() for t in ticks} == ({60.0} if tilted else {0.0})

# --- what the update order and a zero-length Step II change, on a tiny model -------------------

TINY = defaults.train_config(trials=2, seed=5, batch_size=16, eval_every=5, n_eval=20, save_every=100,
                   model=defaults.mlp(hidden=8, depth=1))
DATA = torch.randn(200, 2, generator=torch.Generator().manual_seed(1))


def _trace(order, monkeypatch, iters=1):
    """Record, for one Step II iteration: the sequence of optimizer steps, and which version of
    the generator (0 = before its update, 1 = after) each generator evaluation saw."""
    state = init_state(TINY)
    events, version = [], {"g": 0}
    for name, opt in state.opts.items():
        real = opt.step

        def step(*a, _real=real, _name=name, **k):
            events.append(f"step {_name}")
            if _name == "g":
                version["g"] += 1
            return _real(*a, **k)

        monkeypatch.setattr(opt, "step", step)
    real_elbo = loop.obj.negative_elbo
    real_bridge = loop.obj.alpha_bridge_generator_loss
    monkeypatch.setattr(loop.obj, "negative_elbo",
                        lambda *a, **k: (events.append(f"elbo sees G{version['g']}"), real_elbo(*a, **k))[1])
    monkeypatch.setattr(loop.obj, "alpha_bridge_generator_loss",
                        lambda *a, **k: (events.append(f"G loss sees G{version['g']}"), real_bridge(*a, **k))[1])
    before = {k: copy.deepcopy(getattr(state, k).state_dict()) for k in ("gen", "enc", "disc")}
    run_segment(state, seg=defaults.segment("II", iters=iters, update_order=order), cfg=TINY, train=DATA,
                eval_z=eval_noise(TINY), progress=False)
    moved = {k: any(not torch.equal(v, getattr(state, k).state_dict()[n]) for n, v in before[k].items())
             for k in before}
    return events, moved, state


def test_update_order_sequential_is_algorithm_1(monkeypatch):
    events, moved, _ = _trace("sequential", monkeypatch)
    # theta first, then phi's ELBO on the *updated* theta, then the discriminator
    assert events == ["G loss sees G0", "step g", "elbo sees G1", "step e", "step d"]
    assert moved == {"gen": True, "enc": True, "disc": True}


def test_update_order_joint_uses_one_state(monkeypatch):
    events, moved, _ = _trace("joint", monkeypatch)
    assert events == ["G loss sees G0", "elbo sees G0", "step g", "step e", "step d"]
    assert moved == {"gen": True, "enc": True, "disc": True}


def test_orders_share_the_first_generator_step_then_part(monkeypatch):
    _, _, seq = _trace("sequential", monkeypatch)
    _, _, joint = _trace("joint", monkeypatch)
    for k, v in seq.gen.state_dict().items():  # G's first step uses the same state in both orders
        assert torch.equal(v, joint.gen.state_dict()[k]), k
    # (Adam's first step is lr * sign(grad), so the encoders can only part from the second step on)
    _, _, seq = _trace("sequential", monkeypatch, iters=3)
    _, _, joint = _trace("joint", monkeypatch, iters=3)
    assert any(not torch.equal(v, joint.enc.state_dict()[k]) for k, v in seq.enc.state_dict().items())


def test_zero_length_step2_passes_step1_straight_to_step3(tmp_path):
    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    cfg["gaussians"]["alpha_bridge"]["step2_iters"] = 0
    def run(step, **kw):
        spec, data = spec_of("gaussians_train", cfg, method="alpha_bridge", beta1=0.5, step=step)
        train_step(spec=spec, data=data, samples_out=None, resume_path=None, progress=False, **kw)

    run("I", in_ckpt=None, out_ckpt=tmp_path / "s1.pt")
    run("II", in_ckpt=tmp_path / "s1.pt", out_ckpt=tmp_path / "s2.pt")
    s1, s2 = load_checkpoint(tmp_path / "s1.pt"), load_checkpoint(tmp_path / "s2.pt")
    assert s2["iteration"] == s1["iteration"] == 40
    for part in ("gen", "disc", "enc"):
        for k, v in s1["models"][part].items():
            assert torch.equal(v, s2["models"][part][k]), (part, k)
    run("III", in_ckpt=tmp_path / "s2.pt", out_ckpt=tmp_path / "s3.pt")
    assert load_checkpoint(tmp_path / "s3.pt")["iteration"] == 80
    g = cfg["gaussians"]
    assert [step_and_alpha(i, g["alpha_bridge"])[0] for i in (40, 41, 80)] == ["I", "III", "III"]


def test_bad_ablation_setting_names_the_cell(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"ablations": {"sweeps": {"order": {"settings": {
        "typo": {"gaussians": {"optim": {"lrr": 0.1}}}}}}}}))
    proc = run_snakemake(["-n", "results/figures/ablation_order.pdf", "--configfile", str(bad)], cwd=REPO,
                         check=False)
    assert proc.returncode != 0
    assert "ablations.sweeps.order.settings.typo gives an invalid config: config key 'gaussians.optim.lrr'" in (
        proc.stdout + proc.stderr)
