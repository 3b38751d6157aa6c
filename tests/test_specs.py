"""Every command receives a typed spec: each stage that reads config keys declares a parse function,
which turns the slice its rule passes into frozen dataclasses, and refuses a wrong-typed value by
naming its key (alphabridge.checked)."""
import dataclasses
import json

import pytest

from alphabridge import checked, stages
from alphabridge.config import load_config_files
from alphabridge.errors import ConfigError
from conftest import REPO

CONFIGS = {"paper": ["config/config.yaml"], "smoke": ["config/config.yaml", "config/smoke.yaml"]}
# real wildcards: a Step-wise method's Step II, the digits run, the image figures' datasets
WILDCARDS = {"method": "alpha_bridge", "beta1": "0.5", "step": "II", "dataset": "digits",
             "datasets": ["digits", "stacked_digits"]}
READING = [name for name, stage in stages.registry().items() if stage.keys(**WILDCARDS)]


@pytest.fixture(scope="module", params=list(CONFIGS))
def cfg(request):
    return load_config_files([REPO / p for p in CONFIGS[request.param]])


def _typed(spec) -> bool:
    """A frozen dataclass, or a tuple of them (a training stage's spec and its data)."""
    parts = spec if isinstance(spec, tuple) else (spec,)
    return all(dataclasses.is_dataclass(p) and not isinstance(p, type) and p.__dataclass_params__.frozen
               for p in parts)


def test_every_stage_that_reads_keys_declares_a_parse_function():
    assert len(READING) == 27
    assert [n for n in READING if stages.get(n).parse is None] == []


@pytest.mark.parametrize("name", READING)
def test_every_stage_that_reads_keys_gets_a_typed_spec(cfg, name):
    assert _typed(stages.spec_of(name, cfg, **WILDCARDS)), name


def test_image_specs_hold_what_their_commands_use(cfg):
    final = stages.spec_of("image_final", cfg, dataset="digits", method="dcgan")
    digits = cfg["images"]["runs"]["digits"]
    assert final.run.shape == (1, 8, 8) and final.run.feature_net == digits["eval"]["feature_net"]
    assert final.train.model.z_dim == digits["model"]["z_dim"] and final.scores.prc_k == cfg["images"]["scores"]["prc_k"]
    assert final.scorer.runtime.precision.tf32 == cfg["precision"]["tf32"]
    assert stages.spec_of("image_real", cfg, dataset="digits").train is None  # real images: no model
    assert stages.spec_of("image_metrics", cfg, dataset="digits", method="dcgan").plan is None  # one run
    plan = stages.spec_of("image_metrics", cfg, dataset="digits", method="alpha_bridge").plan
    assert plan == {k: digits["alpha_bridge"][k] for k in ("step1_iters", "step2_iters", "schedule")}
    fig1 = stages.spec_of("image_fig1", cfg, datasets=["stacked_digits", "digits"])
    assert list(fig1.runs) == ["stacked_digits", "digits"] and fig1.runs["stacked_digits"].shape == (3, 8, 8)
    assert fig1.gaussians == stages.spec_of("gaussians_fig1", cfg)  # the same panel as fig1_gaussians


def _bad(name, cfg, path, value, **wildcards):
    """The stage's slice with `path` set to `value`, parsed as its command would."""
    raw = json.loads(stages.stage_json(name, cfg, **wildcards))
    *parents, last = path.split(".")
    checked.at(raw, ".".join(parents))[last] = value
    return lambda: stages.parse(name, json.dumps(raw), **wildcards)


@pytest.mark.parametrize("name, path, value, wildcards", [
    ("gaussians_fig3", "gaussians.fig3.iterations", [1000, "2000"], {}),
    ("gaussians_fig4", "gaussians.beta1s", "0.5", {}),
    ("gaussians_diagnostics", "gaussians.optim.batch_size", 128.0, {}),
    ("image_classifier", "images.classifier.epochs", "30", {}),
    ("image_ref_stats", "precision.tf32", "no", {}),
    ("image_final", "images.scores.samples", None, {"dataset": "digits", "method": "dcgan"}),
    ("image_fig5", "images.runs.digits.alpha_bridge.step2_iters", True, {"datasets": ["digits"]}),
    ("search_figure", "search.seeds", [0, 0.5], {}),
])
def test_a_wrong_typed_value_is_refused_naming_its_key(cfg, name, path, value, wildcards):
    with pytest.raises(ConfigError, match=rf"config key '{path.replace('.', '[.]')}(\[1\])?': expected"):
        _bad(name, cfg, path, value, **wildcards)()


def test_checked_reads_keep_the_values_as_given():
    raw = {"a": {"n": 2, "xs": [1, 2.5], "s": None}}
    assert checked.value(raw, "a.n", float) == 2 and type(checked.value(raw, "a.n", float)) is int
    assert checked.value(raw, "a.xs", tuple[float, ...]) == (1, 2.5)
    assert checked.value(raw, "a.s", str | None) is None
    with pytest.raises(ConfigError, match=r"'a\.xs': expected a list of 3"):
        checked.value(raw, "a.xs", tuple[int, int, int])
    with pytest.raises(ConfigError, match=r"'a\.m': missing"):
        checked.value(raw, "a.m", int)
