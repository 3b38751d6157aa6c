"""Bad input that used to pass: lists that repeat a run, cell or choice; data that lists more modes than
it has; YAML that writes a key twice (in a config file or a `--config` entry). Each is refused with the
config key named."""
import subprocess
import sys

import pytest

from alphabridge.config import ConfigError, cli_overrides, deep_merge, load_config_files, load_schema, validate_config
from alphabridge.yamlio import check_config_args, check_config_files, load_file, loads
from conftest import REPO

SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")
BASE = load_config_files([REPO / "config/config.yaml"])
SMOKE = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])


def _refused(override, key, base=BASE):
    with pytest.raises(ConfigError) as e:
        validate_config(deep_merge(base, override), schema=SCHEMA)
    assert f"config key '{key}'" in str(e.value), str(e.value)
    return str(e.value)


REPEATED = [  # (override, key named)
    ({"fig2": {"alphas": [0.1, 0.5, 0.1]}}, "fig2.alphas"),
    ({"gaussians": {"beta1s": [0.5, 0.1, 0.50]}}, "gaussians.beta1s"),
    ({"gaussians": {"methods": ["alpha_bridge", "rkl_gp", "alpha_bridge"]}}, "gaussians.methods"),
    ({"gaussians": {"generalisations": ["alpha_bridge_joint", "alpha_bridge_joint"]}},
     "gaussians.generalisations"),
    ({"gaussians": {"fig1": {"snapshots": [0, 5, 5, 20]}}}, "gaussians.fig1.snapshots"),
    ({"gaussians": {"fig3": {"iterations": [1000, 2000, 2000]}}}, "gaussians.fig3.iterations"),
    ({"ablations": {"sweeps": {"order": {"methods": ["alpha_bridge", "alpha_bridge"]}}}},
     "ablations.sweeps.order.methods"),
    ({"ablations": {"sweeps": {"order": {"beta1s": [0.5, 0.5]}}}}, "ablations.sweeps.order.beta1s"),
    ({"search": {"methods": ["rkl_gp", "rkl_gp"]}}, "search.methods"),
    ({"search": {"ranges": {"shared": {"hidden": [64, 64, 128]}}}}, "search.ranges.shared.hidden"),
    ({"search": {"ranges": {"shared": {"batch_size": [64, 128, 64]}}}}, "search.ranges.shared.batch_size"),
    ({"search": {"ranges": {"shared": {"z_dim": [2, 2]}}}}, "search.ranges.shared.z_dim"),
    ({"search": {"ranges": {"alpha_bridge": {"gamma_kind": ["hard", "hard"]}}}},
     "search.ranges.alpha_bridge.gamma_kind"),
    ({"search": {"ranges": {"alpha_bridge": {"stabiliser": ["none", "none"]}}}},
     "search.ranges.alpha_bridge.stabiliser"),
    ({"search": {"ranges": {"alpha_bridge": {"d_reg": ["gp", "sn", "gp"]}}}}, "search.ranges.alpha_bridge.d_reg"),
    ({"images": {"runs": {"digits": {"generalisations": ["alpha_bridge_marginals", "alpha_bridge_marginals"]}}}},
     "images.runs.digits.generalisations"),
    ({"images": {"runs": {"digits": {"fig1": {"snapshots": [0, 20, 20]}}}}}, "images.runs.digits.fig1.snapshots"),
]


@pytest.mark.parametrize("override,key", REPEATED, ids=[k for _, k in REPEATED])
def test_a_repeated_entry_is_refused_naming_the_key(override, key):
    assert "listed twice" in _refused(override, key)


def test_a_setting_that_repeats_a_list_entry_is_refused_naming_setting_and_key():
    msg = _refused({"ablations": {"sweeps": {"order": {"settings": {"x": {"gaussians": {"beta1s": [0.1, 0.1]}}}}}}},
                   "gaussians.beta1s")
    assert "ablations.sweeps.order.settings.x" in msg


def test_two_settings_with_the_same_config_are_refused():
    msg = _refused({"ablations": {"sweeps": {"sigma": {"settings": {"again_0.1": {"gaussians": {"alpha_bridge": {
        "sigma": 0.1}}}}}}}}, "ablations.sweeps.sigma.settings.again_0.1")
    assert "'0.1'" in msg  # the setting it repeats


@pytest.mark.parametrize("grid,why", [
    ([-4, -2, 0, 2, 2, 4], "distinct"),  # a value written twice: 36 modes listed, 25 distinct
    ([-4, -2, 0, 2, 4, 4.0000000001], "float32"),  # equal once the means are float32
    ([-4, -2, 0, 2, 4, 4.05], "single mode"),  # 0.05 apart with std 0.05: one mode
])
def test_a_grid_with_coinciding_modes_is_refused(grid, why):
    assert why in _refused({"gaussians": {"data": {"grid": grid}}}, "gaussians.data.grid")


def test_a_setting_that_collapses_the_grid_is_refused():
    msg = _refused({"ablations": {"sweeps": {"order": {"settings": {"x": {"gaussians": {"data": {"std": 1.5}}}}}}}},
                   "gaussians.data.grid")
    assert "ablations.sweeps.order.settings.x" in msg


def test_image_data_too_small_for_its_modes_is_refused():
    _refused({"images": {"runs": {"digits": {"data": {"max_images": 9}}}}}, "images.runs.digits.data.max_images")
    _refused({"images": {"runs": {"stacked_digits": {"data": {"max_images": 5}}}}},
             "images.runs.stacked_digits.data.max_images")
    _refused({"images": {"runs": {"stacked_digits": {"data": {"stacked": {"n_train": 999}}}}}},
             "images.runs.stacked_digits.data.stacked.n_train")
    _refused({"images": {"runs": {"stacked_mnist": {"data": {"stacked": {"n_test": 500}}}}}},
             "images.runs.stacked_mnist.data.stacked.n_test")


def test_every_shipped_config_still_validates():
    for extra in ([], ["smoke.yaml"], ["mnist_cpu.yaml"], ["mnist_gpu.yaml"], ["images_cpu.yaml"], ["scale_wide.yaml"]):
        cfg = load_config_files([REPO / "config" / f for f in ["config.yaml", *extra]])
        validate_config(cfg | {"device": "cpu"}, schema=SCHEMA)


# --- a key written twice -------------------------------------------------------------------------

DUPLICATED = """\
gaussians:
  trials: 2
  data:
    grid: [0, 2]
    std: 0.05
  trials: 3
images:
  runs:
    digits: {trials: 1, trials: 2}
"""


def test_strict_yaml_names_file_line_and_dotted_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(DUPLICATED)
    with pytest.raises(ConfigError) as e:
        load_file(path)
    msg = str(e.value)
    assert f"{path}, line 6: config key 'gaussians.trials' appears twice (first at line 2)" in msg
    assert f"{path}, line 9: config key 'images.runs.digits.trials'" in msg


def test_strict_yaml_keeps_yaml_merge_keys_and_loads_what_safe_load_does():
    text = "base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  x: 5\n"
    assert loads(text) == {"base": {"x": 1, "y": 2}, "over": {"x": 5, "y": 2}}
    for name in ("config.yaml", "smoke.yaml", "mnist_cpu.yaml", "mnist_gpu.yaml", "images_cpu.yaml", "scale_wide.yaml"):
        import yaml
        assert load_file(REPO / "config" / name) == yaml.safe_load((REPO / "config" / name).read_text())


def test_load_config_files_refuses_a_duplicate_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(DUPLICATED)
    with pytest.raises(ConfigError, match="config key 'gaussians.trials' appears twice"):
        load_config_files([REPO / "config/config.yaml", path])


def test_check_config_files_lists_every_file_with_a_duplicate(tmp_path):
    (tmp_path / "a.yaml").write_text(DUPLICATED)
    (tmp_path / "b.yaml").write_text("fig2: {seed: 1}\nfig2: {seed: 2}\n")
    check_config_files([str(REPO / "config/config.yaml"), REPO / "config/smoke.yaml"])  # str or Path
    with pytest.raises(ConfigError) as e:
        check_config_files([str(REPO / "config/config.yaml"), str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    msg = str(e.value)
    assert "'gaussians.trials'" in msg and "'images.runs.digits.trials'" in msg and "'fig2'" in msg
    assert str(tmp_path / "b.yaml") in msg


def test_the_validate_command_refuses_a_duplicate_key(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("fig2:\n  seed: 1\n  seed: 2\n")
    proc = subprocess.run([sys.executable, "-m", "alphabridge", "validate", "--config", "config/config.yaml",
                           str(path)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "line 3: config key 'fig2.seed' appears twice" in proc.stderr + proc.stdout


def test_the_yaml_module_imports_no_torch_numpy_or_pandas():
    code = ("import sys, alphabridge.yamlio, alphabridge.distinct, alphabridge.choices; "
            "print(sorted({'torch', 'numpy', 'pandas'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("entries,key", [
    ({"gaussians": {"trials": "2"}, "set": "gaussians.trials=3"}, "gaussians.trials"),
    ({"set": {"gaussians.optim": {"lr": "1"}, "gaussians.optim.lr": "2"}}, "gaussians.optim.lr"),
    ({"set": {"gaussians.optim": "1", "gaussians.optim.lr": "2"}}, "gaussians.optim.lr"),
    ({"set": {"gaussians.trials": "1", " gaussians.trials": "2"}}, "gaussians.trials"),
    ({"set": "gaussians.optim={lr: 1, lr: 2}"}, "gaussians.optim.lr"),
])
def test_a_cli_override_that_sets_a_key_twice_is_refused(entries, key):
    with pytest.raises(ConfigError, match=f"config key '{key}'"):
        cli_overrides(entries)


def test_cli_overrides_of_different_keys_still_merge():
    assert cli_overrides({"gaussians": {"trials": "2"}, "set": {"gaussians.optim.lr": "3e-4", "fig2.seed": "1"}}) == {
        "gaussians": {"trials": 2, "optim": {"lr": 3e-4}}, "fig2": {"seed": 1}}


def test_check_config_args_refuses_a_key_snakemake_would_drop():
    # what Snakemake's own parser merges without loss still passes
    check_config_args(["gaussians={trials: 2}", "gaussians={seed: 1}", "set={fig2.seed: 1}", "device=cpu"])
    check_config_args(["set={fig2.seed: 1}", "set={fig2.trials: 50}"])  # two mappings: Snakemake merges them
    check_config_args(None)  # no --config
    for entries, key in [
        (["device=cpu", "device=cuda"], "device"),
        (["gaussians={trials: 2, trials: 3}"], "gaussians.trials"),
        (["gaussians={trials: 2}", "set=gaussians.trials=3"], "gaussians.trials"),
        (["set={gaussians.trials: 2, gaussians.trials: 3}"], "gaussians.trials"),
        (["set=gaussians.optim={lr: 1, lr: 2}"], "gaussians.optim.lr"),
        (["gaussians={optim: {lr: 1}}", "set={gaussians.optim: {lr: 2}}"], "gaussians.optim.lr"),
        (["set=fig2.seed=1", "set=fig2.trials=50"], "set"),  # Snakemake keeps the last text value only
    ]:
        with pytest.raises(ConfigError, match=f"config key '{key}'"):
            check_config_args(entries)


@pytest.mark.workflow
def test_snakemake_refuses_a_key_written_twice_in_a_config_file_or_on_the_command_line(tmp_path):
    from conftest import run_snakemake

    dup = tmp_path / "dup.yaml"
    dup.write_text("gaussians:\n  trials: 2\n  trials: 3\n")
    proc = run_snakemake(["-n", "results/figures/fig2.pdf", "--configfile", str(dup)], cwd=REPO, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "config key 'gaussians.trials' appears twice" in out, out[-2000:]
    proc = run_snakemake(["-n", "results/figures/fig2.pdf", "--config", "device=cpu", "device=cuda"], cwd=REPO,
                         check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "'device'" in out and "twice" in out, out[-2000:]
