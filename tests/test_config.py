"""Bad configs are rejected before any job runs, with the offending key named."""

import pytest
import yaml

from alphabridge.config import ConfigError, deep_merge, load_config_files, load_schema, validate_config
from conftest import REPO, run_snakemake

SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")
BASE = load_config_files([REPO / "config/config.yaml"])

# (override, key that must be named)
BAD = [
    ({"fig2": {"typo": 1}}, "fig2.typo"),
    ({"fig2x": {}}, "fig2x"),
    ({"fig2": {"trials": "many"}}, "fig2.trials"),
    ({"fig2": {"mu": "one"}}, "fig2.mu"),
    ({"fig2": {"trials": 2.5}}, "fig2.trials"),
    ({"fig2": {"alphas": [0.5, 1.0]}}, "fig2.alphas[1]"),
    ({"fig2": {"alphas": [0.0]}}, "fig2.alphas[0]"),
    ({"fig2": {"alphas": [0.2, -0.1]}}, "fig2.alphas[1]"),
    ({"fig2": {"trials": 1}}, "fig2.trials"),
    ({"fig2": {"sigma": 0}}, "fig2.sigma"),
    ({"fig2": {"sigma": -1.5}}, "fig2.sigma"),
    ({"gamma": {"kind": "cosine"}}, "gamma.kind"),
    ({"gamma": {"c": -2.0}}, "gamma.c"),
    ({"device": "tpu"}, "device"),
    ({"gaussians": {"optim": {"lr": -1e-3}}}, "gaussians.optim.lr"),
    ({"gaussians": {"optim": {"batch_size": 0}}}, "gaussians.optim.batch_size"),
    ({"gaussians": {"methods": ["alpha_bridge", "wgan"]}}, "gaussians.methods[1]"),
    ({"gaussians": {"trials": 0}}, "gaussians.trials"),
    ({"gaussians": {"beta1s": [0.5, 1.0]}}, "gaussians.beta1s[1]"),
    ({"gaussians": {"alpha_bridge": {"schedule": "exponential"}}}, "gaussians.alpha_bridge.schedule"),
    ({"gaussians": {"alpha_bridge": {"d_reg": "dropout"}}}, "gaussians.alpha_bridge.d_reg"),
    ({"gaussians": {"alpha_bridge": {"sigma": 0.0}}}, "gaussians.alpha_bridge.sigma"),
    ({"gaussians": {"alpha_bridge": {"clamp_logw": -3}}}, "gaussians.alpha_bridge.clamp_logw"),
    ({"gaussians": {"alpha_bridge": {"update_order": "random"}}}, "gaussians.alpha_bridge.update_order"),
    ({"gaussians": {"save_every": 20000}}, "gaussians.save_every"),
    ({"images": {"runs": {"digits": {"eval": {"bn_stats": "batch"}}}}}, "images.runs.digits.eval.bn_stats"),
    ({"gaussians": {"eval": {"every": 333}}}, "gaussians.fig3.iterations[0]"),
    ({"gaussians": {"fig1": {"snapshots": [0, 50]}}}, "gaussians.fig1.snapshots[1]"),
    ({"gaussians": {"fig3": {"beta1": 0.9}}}, "gaussians.fig3.beta1"),
    ({"gaussians": {"model": {"hidden": "wide"}}}, "gaussians.model.hidden"),
    ({"gaussians": {"data": {"std": -0.05}}}, "gaussians.data.std"),
    # non-finite numbers pass every JSON-schema bound; sizes that cannot fit; a bandwidth chosen on one point
    ({"gamma": {"c": float("nan")}}, "gamma.c"),
    ({"gaussians": {"alpha_bridge": {"sigma": float("inf")}}}, "gaussians.alpha_bridge.sigma"),
    ({"fig2": {"alphas": [0.5, float("nan")]}}, "fig2.alphas[1]"),
    ({"gaussians": {"trials": 100_000_000}}, "gaussians.trials"),
    ({"gaussians": {"data": {"n_val": 1}}}, "gaussians.data.n_val"),
    ({"ablations": {"sweeps": {"gamma": {"settings": {"x": {"gamma": {"d": float("-inf")}}}}}}},
     "ablations.sweeps.gamma.settings.x.gamma.d"),
    # image sections: what their data, training or scoring job would reject only once it runs, or do silently
    # (the sizes that cannot fit in memory: tests/test_sizes.py)
    ({"images": {"runs": {"digits": {"optim": {"lr": float("nan")}}}}}, "images.runs.digits.optim.lr"),
    ({"images": {"runs": {"mnist": {"beta1": float("inf")}}}}, "images.runs.mnist.beta1"),
    ({"images": {"runs": {"digits": {"data": {"image_size": 28}}}}}, "images.runs.digits.data.image_size"),
    ({"images": {"runs": {"celeba": {"data": {"image_size": 48}}}}}, "images.runs.celeba.data.image_size"),
    ({"images": {"runs": {"celeba": {"data": {"image_size": 200}}}}}, "images.runs.celeba.data.image_size"),
    ({"images": {"runs": {"digits": {"data": {"name": "mnist"}}}}}, "images.runs.digits.data.name"),
    ({"images": {"runs": {"digits": {"data": {"test_fraction": 0.001}}}}}, "images.runs.digits.data.test_fraction"),
    ({"images": {"runs": {"cifar10": {"eval": {"feature_net": "classifier"}}}}}, "images.runs.cifar10.eval.feature_net"),
    ({"images": {"runs": {"digits": {"eval": {"n_samples": 10}}}}}, "images.runs.digits.eval.n_samples"),
    ({"images": {"runs": {"digits": {"alpha_bridge": {"d_reg": "sn"}}}}}, "images.runs.digits.alpha_bridge.d_reg"),
    ({"images": {"runs": {"digits": {"alpha_bridge": {"update_order": "sequential"}}}}},
     "images.runs.digits.alpha_bridge.update_order"),
    ({"images": {"runs": {"digits": {"fig1": {"snapshots": [0, 50]}}}}}, "images.runs.digits.fig1.snapshots[1]"),
    ({"images": {"classifier": {"batch_size": 100_000_000}}}, "images.classifier.batch_size"),
]


def test_default_and_smoke_configs_are_valid():
    validate_config(BASE, schema=SCHEMA)
    validate_config(load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"]), schema=SCHEMA)


@pytest.mark.parametrize("override,key", BAD, ids=[k for _, k in BAD])
def test_bad_config_names_key(override, key):
    with pytest.raises(ConfigError) as info:
        validate_config(deep_merge(BASE, override), schema=SCHEMA)
    assert f"'{key}'" in str(info.value)


def test_yaml_nan_and_inf_are_rejected_as_written():
    cfg = deep_merge(BASE, yaml.safe_load("gamma: {c: .nan}\ngaussians: {alpha_bridge: {sigma: .inf}}"))
    with pytest.raises(ConfigError) as info:
        validate_config(cfg, schema=SCHEMA)
    assert "'gamma.c': nan is not a finite number" in str(info.value)
    assert "'gaussians.alpha_bridge.sigma': inf is not a finite number" in str(info.value)


def test_memory_estimate_grows_with_the_sizes_and_fits_the_defaults():
    from alphabridge.config import training_bytes

    g = BASE["gaussians"]
    base = training_bytes(g)
    assert 2**30 < base < 2**30 + 2**28  # the paper-scale job: ~1 GB process + ~43 MB of tensors
    more = deep_merge(g, {"trials": 20})
    assert training_bytes(more) - 2**30 == pytest.approx(2 * (base - 2**30), rel=0.01)


def test_missing_key_is_named():
    cfg = deep_merge(BASE, {})
    cfg["fig2"] = {k: v for k, v in cfg["fig2"].items() if k != "seed"}
    with pytest.raises(ConfigError, match=r"'fig2\.seed': missing"):
        validate_config(cfg, schema=SCHEMA)


@pytest.mark.workflow
@pytest.mark.parametrize("override,key", [BAD[0], BAD[5], BAD[8], BAD[9], BAD[11]], ids=lambda v: str(v))
def test_snakemake_rejects_bad_config_before_jobs(repo_copy, override, key):
    bad = repo_copy / "bad.yaml"
    bad.write_text(yaml.safe_dump(override))
    proc = run_snakemake(["-n", "results/figures/fig2.pdf", "--configfile", str(bad)],
                         cwd=repo_copy, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert f"'{key}'" in out
    assert "fig2_data" not in out.split("invalid configuration")[0] or "Job stats" not in out
    assert not (repo_copy / "results").exists()


def test_command_line_overrides_are_typed_and_dotted_paths_nest():
    """Snakemake's --config reads nested YAML as text ('50'); cli_overrides types it again."""
    from alphabridge.config import cli_overrides

    assert cli_overrides({"fig2": {"trials": "50", "alphas": ["0.1", ".5"]}}) == {"fig2": {"trials": 50, "alphas": [0.1, 0.5]}}
    assert cli_overrides({"gaussians": {"optim": {"lr": "3e-4"}, "alpha_bridge": {"clamp_logw": "null",
                                                                                  "self_normalize": "true"}}}) == {
        "gaussians": {"optim": {"lr": 3e-4}, "alpha_bridge": {"clamp_logw": None, "self_normalize": True}}}
    assert cli_overrides({"device": "cpu", "gamma": {"kind": "linear"}}) == {"device": "cpu", "gamma": {"kind": "linear"}}
    both = cli_overrides({"set": {"gaussians.optim.lr": "3.0e-4", "gaussians.optim.beta2": "0.99", "fig2.trials": "7"}})
    assert both == {"gaussians": {"optim": {"lr": 3e-4, "beta2": 0.99}}, "fig2": {"trials": 7}}
    assert cli_overrides({"set": "gaussians.fig3.iterations=[1000, 2000]"}) == {"gaussians": {"fig3": {
        "iterations": [1000, 2000]}}}
    with pytest.raises(ConfigError, match="set=a.b.c=value"):
        cli_overrides({"set": "gaussians.optim.lr"})
    with pytest.raises(ConfigError, match="not a dotted config key"):
        cli_overrides({"set": {"gaussians..lr": "1"}})


@pytest.mark.workflow
@pytest.mark.parametrize("entry", ["fig2={trials: 50}", "set={fig2.trials: 50}", "set=fig2.trials=50"])
def test_snakemake_config_overrides_reach_the_rule_typed(entry):
    proc = run_snakemake(["-n", "-p", "--forceall", "results/figures/fig2.pdf", "--config", entry], cwd=REPO)
    assert '"trials":50' in proc.stdout and '"trials":"50"' not in proc.stdout


@pytest.mark.workflow
@pytest.mark.parametrize("entry,key", [("set={fig2.trails: 5}", "fig2.trails"), ("fig2={trials: many}", "fig2.trials"),
                                       ("set={gaussians.optim.lr: .nan}", "gaussians.optim.lr")])
def test_bad_command_line_override_names_the_key(entry, key):
    proc = run_snakemake(["-n", "results/figures/fig2.pdf", "--config", entry], cwd=REPO, check=False)
    assert proc.returncode != 0 and f"'{key}'" in proc.stdout + proc.stderr
