"""The stage declarations: each rule's config slice and code inputs, and each command's parse,
come from one declaration per stage (alphabridge.keys, read through alphabridge.stages); the
method registry feeds the rest."""
import json

import pytest
import yaml

from alphabridge import defaults, methods, stages, style
from alphabridge.cli import FLAGS
from alphabridge.config import ConfigError
from conftest import REPO

WILDCARDS = {"method": "alpha_bridge", "beta1": "0.5", "step": "II", "dataset": "digits", "datasets": ["digits"]}


def test_select_keeps_exactly_the_declared_paths_and_names_a_missing_one():
    cfg = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "f": 4}
    assert stages.select(cfg, ["a.c.d", "f"]) == {"a": {"c": {"d": 2}}, "f": 4}
    with pytest.raises(ConfigError, match=r"'a\.x': missing"):
        stages.select(cfg, ["a.x.y"])


def test_every_stage_slices_and_parses_the_paper_config():
    cfg = defaults.config()
    for name, stage in stages.registry().items():
        text = stages.stage_json(name, cfg, **WILDCARDS)
        assert json.loads(text) == stages.select(cfg, stage.keys(**WILDCARDS)), name
        stages.parse(name, text, **WILDCARDS)  # the command side accepts exactly what the rule passes


def test_a_command_refuses_keys_its_stage_does_not_read():
    cfg = defaults.config()
    good = json.loads(stages.stage_json("gaussians_metrics", cfg, method="rkl_gp"))
    assert "alpha_bridge" not in good["gaussians"]  # a one-run method's metrics never read alpha-Bridge's keys
    with pytest.raises(ConfigError, match="does not read"):
        stages.parse("gaussians_metrics", json.dumps({**good, "gamma": cfg["gamma"]}), method="rkl_gp")
    with pytest.raises(ConfigError, match="missing"):
        stages.parse("gaussians_metrics", json.dumps({"gaussians": {"data": {}}}), method="rkl_gp")


def test_step_slices_differ_only_in_their_own_keys():
    cfg = defaults.config()
    s1, s2 = (json.loads(stages.stage_json("gaussians_train", cfg, method="alpha_bridge", step=s)) for s in ("I", "II"))
    assert "gamma" in s2 and "gamma" not in s1 and "schedule" not in s1["gaussians"]["alpha_bridge"]
    assert "n_val" not in s1["gaussians"]["data"]  # training never reads the held-out sizes
    spec, _ = stages.spec_of("gaussians_train", cfg, method="alpha_bridge", beta1=0.5, step="II")
    assert spec.segment.gamma.c == cfg["gamma"]["c"] and spec.train.model.hidden == cfg["gaussians"]["model"]["hidden"]


def test_code_inputs_follow_the_imports():
    train = stages.module_files("alphabridge.experiments.gaussians")
    assert {"models/conv.py", "train/draws.py", "train/run.py", "methods.py"} <= set(train)
    assert not any(f.startswith(("figures/", "metrics/")) for f in train)
    # declarations and looks are no code input of training: editing a stage's keys (its params
    # decide) or a method's colour re-runs no training job
    assert not {"stages.py", "keys.py", "style.py"} & set(train)
    assert "experiments/gaussians.py" not in stages.module_files("alphabridge.experiments.fig2")
    assert stages.stage_code("fig2_data") == [f"src/alphabridge/{f}" for f in stages.module_files(
        "alphabridge.experiments.fig2")]


def test_one_registry_of_methods_feeds_the_cli_and_matches_the_schema():
    assert FLAGS["method"]["choices"] == list(methods.REGISTRY)
    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    g = schema["properties"]["gaussians"]["properties"]
    assert g["methods"]["items"]["enum"] == list(methods.of("gaussians"))
    assert g["generalisations"]["items"]["enum"] == [m for m in methods.of("gaussians", steps=True)
                                                     if m != "alpha_bridge"]
    assert style.label("rkl_gp") == "RKL-GP" and style.color("nope") is None
    assert set(style.STYLES) == set(methods.REGISTRY)  # every method has a look


def test_every_parse_names_a_function_of_its_module():
    import importlib

    for name, stage in stages.registry().items():
        if stage.parse is not None:
            assert callable(getattr(importlib.import_module(stage.module), stage.parse)), name


def test_no_job_imports_the_validation_code():
    """A change to a config check or the memory estimate must never re-run a job: no stage's code
    inputs include alphabridge.config or the modules only it uses."""
    for name in stages.registry():
        files = set(stages.module_files(stages.get(name).module))
        assert not files & {"config.py", "image_checks.py", "sizes.py"}, (name, sorted(files))
