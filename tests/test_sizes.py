"""The image jobs' memory estimate (alphabridge.sizes, checked by alphabridge.image_checks): its constants
match the code it mirrors, it counts the parameters of the models the code builds, it sits above the
measured peaks it is calibrated on, a section whose jobs cannot fit is refused naming the key before any
job runs, and the shipped configs fit."""

import inspect

import pytest
import torch

from alphabridge import sizes
from alphabridge.config import (ConfigError, check_image_memory, deep_merge, load_config_files, load_schema,
                                validate_config)
from conftest import REPO, run_snakemake

SCHEMA = load_schema(REPO / "workflow/schemas/config.schema.yaml")
BASE = load_config_files([REPO / "config/config.yaml"])
SHIPPED = [[], ["config/smoke.yaml"], ["config/mnist_cpu.yaml"], ["config/mnist_gpu.yaml"], ["config/images_cpu.yaml"], ["config/scale_wide.yaml"]]
GiB = 2**30
# the tensor-heavy digits jobs the estimate is calibrated on (sizes' docstring): measured peak RSS in bytes
CALIB = {"trials": 8, "save_every": 20, "model": {"channels": 64}, "optim": {"batch_size": 512},
         "eval": {"every": 10, "n_samples": 5000, "final_samples": 50000},
         "alpha_bridge": {"step1_iters": 20, "step2_iters": 20, "step3_iters": 20}, "dcgan": {"iters": 60},
         "fig1": {"finetune_iters": 4, "snapshots": [0, 2, 4]}}
MEASURED = {"default training": 0.94e9, "calib training": 1.80e9, "calib scoring": 3.06e9}  # scoring: with KID/PR


def _images(override: dict | None = None) -> dict:
    return deep_merge(BASE, {"images": override or {}})["images"]


def test_constants_match_the_code_they_mirror(tmp_path):
    from alphabridge import defaults
    from alphabridge.data import images as data
    from alphabridge.metrics.classifier import ClassifierArch
    from alphabridge.models import conv
    from alphabridge.metrics import fidelity
    from alphabridge.train import draws, sampling

    assert sizes.BASE == conv.BASE and sizes.NATIVE_SIZE == data.NATIVE_SIZE and sizes.DRAW_BLOCK == draws.BLOCK
    assert sizes.GEN_CHUNK == inspect.signature(sampling.generate).parameters["chunk"].default
    assert sizes.PRC_BLOCK == fidelity.PRC_BLOCK
    arch = ClassifierArch()
    assert sizes.CLASSIFIER == dict(channels=arch.channels, pooled=arch.pooled, n_classes=arch.n_classes)
    for s in BASE["images"]["runs"].values():
        assert sizes.image_shape(s) == data.image_shape(s)
    size_schema = SCHEMA["$defs"]["image_run"]["properties"]["data"]["properties"]["image_size"]
    assert size_schema["maximum"] == data.CELEBA_CROP
    digits = BASE["images"]["runs"]["digits"]["data"]
    summary = data.prepare(defaults.image_data("digits", image_size=8, test_fraction=digits["test_fraction"]),
                           out=tmp_path / "d.npz")
    assert summary["n_train"] == sizes.train_images(digits)
    assert summary["n_train"] + summary["n_test"] == sizes.DATASET_IMAGES["digits"] == sizes.prepared_images(digits)


def _built(section: dict) -> dict[str, int]:
    """Parameters and buffers of the models the training code builds for `section`, per network."""
    from alphabridge.experiments.images import model_config
    from alphabridge.models.batched import build_aux, build_models
    from alphabridge.models.conv import build_conv_aux, build_conv_models

    cfg, gens = model_config(section), [torch.Generator().manual_seed(k) for k in range(section["trials"])]
    c, h, w = sizes.image_shape(section)
    if section["model"]["kind"] == "dcgan":
        nets = dict(zip("GDE", build_conv_models(cfg=cfg, generators=gens)))
        aux = [build_conv_aux(k, cfg=cfg, generators=gens) for k in ("latent", "joint")]
    else:
        nets = dict(zip("GDE", build_models(x_dim=c * h * w, cfg=cfg, generators=gens)))
        aux = [build_aux(k, x_dim=c * h * w, cfg=cfg, generators=gens) for k in ("latent", "joint")]
    count = lambda m: sum(p.numel() for p in m.parameters()) + sum(b.numel() for b in m.buffers())  # noqa: E731
    return {**{k: count(m) for k, m in nets.items()}, "aux": max(map(count, aux))}


@pytest.mark.parametrize("kind", ["dcgan", "mlp"])
@pytest.mark.parametrize("dataset", ["digits", "mnist", "cifar10", "celeba"])
def test_parameters_are_those_of_the_built_models(dataset, kind):
    s = deep_merge(BASE["images"]["runs"][dataset], {"trials": 2, "generalisations": ["alpha_bridge_joint"]})
    if kind == "mlp":
        s["model"] = {"kind": "mlp", "z_dim": 16, "hidden": 64, "depth": 2, "leaky_slope": 0.2}
    real, est = _built(s), sizes.networks(s)
    for name, n in real.items():
        assert n <= 2 * est[name][0] <= 1.02 * n, name
    # value, gradient and Adam's two moments of every parameter, as float32: the least a job holds
    assert sizes.training_bytes(s)["models"] >= 4 * 4 * sum(real.values())


def test_estimates_sit_above_the_measured_peaks_within_2x():
    default = sizes.job_bytes(BASE["images"]["runs"]["digits"], BASE["images"])
    calib_images = _images({"runs": {"digits": CALIB}})
    calib = sizes.job_bytes(calib_images["runs"]["digits"], calib_images)
    for name, est in (("default training", default["training"]), ("calib training", calib["training"]),
                      ("calib scoring", calib["scoring"])):
        assert MEASURED[name] < est < 2 * MEASURED[name], name


TOO_BIG = [  # (images override, dataset, the key named): each passes validation, then cannot fit in 64 GiB
    ({"runs": {"digits": {"trials": 100_000_000}}}, "digits", "images.runs.digits.trials"),
    ({"runs": {"digits": {"optim": {"batch_size": 100_000_000}}}}, "digits", "images.runs.digits.optim.batch_size"),
    ({"runs": {"digits": {"eval": {"n_samples": 100_000_000}}}}, "digits", "images.runs.digits.eval.n_samples"),
    ({"runs": {"digits": {"eval": {"final_samples": 10**11}}}}, "digits", "images.runs.digits.eval.final_samples"),
    ({"runs": {"digits": {"eval": {"every": 1}, "dcgan": {"iters": 10**8}}}}, "digits", "images.runs.digits.eval.every"),
    ({"runs": {"digits": {"model": {"channels": 100_000}}}}, "digits", "images.runs.digits.model.channels"),
    ({"runs": {"digits": {"model": {"z_dim": 100_000_000}}}}, "digits", "images.runs.digits.model.z_dim"),
    ({"runs": {"mnist": {"model": {"kind": "mlp", "z_dim": 64, "hidden": 10**6, "depth": 3, "leaky_slope": 0.2}}}},
     "mnist", "images.runs.mnist.model.hidden"),
    ({"inception": {"batch_size": 100_000_000}}, "cifar10", "images.inception.batch_size"),
    ({"classifier": {"feature_dim": 1_000_000}}, "digits", "images.classifier.feature_dim"),
]


@pytest.mark.parametrize("override,dataset,key", TOO_BIG, ids=[k for *_, k in TOO_BIG])
def test_a_job_that_cannot_fit_is_refused_naming_the_key(monkeypatch, override, dataset, key):
    monkeypatch.setattr("alphabridge.config._memory_bytes", lambda: 64 * GiB)
    cfg = deep_merge(BASE, {"images": override})
    model = cfg["images"]["runs"][dataset]["model"]
    if model["kind"] == "mlp":
        del model["channels"]  # a merge keeps the dcgan key
    validate_config(cfg, schema=SCHEMA)  # sizes are no error in themselves: the machine decides
    with pytest.raises(ConfigError) as info:
        check_image_memory(cfg, dataset)
    msg = str(info.value)
    assert f"config key '{key}'" in msg and "GiB" in msg and "this machine's 64.0 GiB" in msg


@pytest.mark.parametrize("extra", SHIPPED, ids=lambda e: e[0] if e else "config.yaml")
def test_shipped_configs_validate_and_fit(monkeypatch, extra):
    cfg = load_config_files([REPO / "config/config.yaml", *(REPO / p for p in extra)])
    validate_config(cfg, schema=SCHEMA)
    monkeypatch.setattr("alphabridge.config._memory_bytes", lambda: 16 * GiB)  # paper-scale CelebA: ~12.3 GiB
    for dataset in cfg["images"]["runs"]:
        check_image_memory(cfg, dataset)
    monkeypatch.setattr("alphabridge.config._memory_bytes", lambda: 2 * GiB)  # the CPU-sized digits runs
    check_image_memory(cfg, "digits")


@pytest.mark.workflow
def test_snakemake_refuses_a_dataset_that_cannot_fit_only_for_targets_that_need_it(repo_copy):
    # a copy: in a checkout whose digits data is already built, the data rule (which asks) is not in the DAG
    entry = "images={runs: {digits: {trials: 100000000}}}"
    proc = run_snakemake(["-n", "results/figures/fig5.pdf", "--config", entry], cwd=repo_copy, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "config key 'images.runs.digits.trials'" in out and "GiB" in out
    run_snakemake(["-n", "results/figures/fig2.pdf", "--config", entry], cwd=repo_copy)  # Fig. 2 trains no digits
