"""Which config keys each pipeline stage reads: one function per stage, the one place to look.

A Snakemake rule passes exactly its stage's keys (as a config slice: `stages.stage_json`), so a change
to any of them re-runs the stage and a change to any other key re-runs nothing. The CLI checks that
the slice it receives holds exactly these keys and parses it into the stage's typed spec (the
`parse` named in STAGES, a function of the implementing module).

Standard library only: the Snakefile imports this module to build the DAG, and no library module
imports it (so editing a stage's keys never re-runs another stage through its code inputs)."""
from __future__ import annotations

import dataclasses
from typing import Callable

from alphabridge import methods  # the method registry: standard library only

RUNTIME = ("device", "precision")  # what every job that runs torch models reads: device and numerics

# --- training (25-Gaussians and images share the layout of a section) -----------------------------

# the alpha_bridge keys each Step reads (a later Step's change never re-runs an earlier one)
AB_KEYS = {
    "I": ("step1_iters", "step1_lr", "sigma", "update_order", "d_reg", "gp_weight"),
    "II": ("step2_iters", "sigma", "update_order", "d_reg", "gp_weight", "schedule", "clamp_logw",
           "self_normalize", "reset_adam"),
    "III": ("step3_iters", "sigma", "update_order", "d_reg", "gp_weight", "reset_adam"),
}
FIG1_AB_KEYS = tuple(sorted(set(AB_KEYS["I"]) | set(AB_KEYS["II"])))  # Step I restored, then Step II
# what every 25-Gaussians training job reads of its section (the data draw without the held-out splits)
GAUSSIANS_SHARED = ("trials", "seed", "save_every", "log_every", "on_divergence", "model", "optim", "eval.every",
                    "eval.n_samples", "data.grid", "data.std", "data.n_train", "data.seed")
# what every image training job reads of its runs.<dataset> section
IMAGES_SHARED = ("data", "trials", "seed", "beta1", "save_every", "log_every", "on_divergence", "model", "optim",
                 "eval.every", "eval.n_samples", "eval.bn_stats")
PLAN_KEYS = ("step1_iters", "step2_iters", "step3_iters", "schedule")  # label each iteration's Step and alpha
FIG1_KEYS = ("gaussians.data", "gaussians.eval.hq_std", "gaussians.fig1.snapshots",
             "gaussians.alpha_bridge.step1_iters")
IMAGE_SHAPE = ("data.name", "data.image_size")


def training(prefix: str, *, steps: bool, method: str, step: str, shared) -> list[str]:
    """One training job under `prefix` ('gaussians', 'images.runs.<d>'): the shared keys, then the
    Step's alpha_bridge keys (plus gamma in Step II) or the one-run method's own section."""
    keys, m = [*RUNTIME, *(f"{prefix}.{k}" for k in shared)], methods.get(method)
    if steps:
        ab = FIG1_AB_KEYS if step == "fig1" else AB_KEYS[step]
        ab += ("step2_iters",) if m.fold_step2 and step == "III" else ()  # Step III runs Step II's updates too
        keys += [f"{prefix}.alpha_bridge.{k}" for k in ab]
        keys += ["gamma"] if step in ("II", "fig1") else []
        keys += [f"{prefix}.fig1"] if step == "fig1" else []
    elif m.length == "steps":  # as long as alpha-Bridge's Steps in all
        keys += [f"{prefix}.alpha_bridge.{k}" for k in ("step1_iters", "step2_iters", "step3_iters")]
    else:
        keys.append(f"{prefix}.{method}")
    return keys


def _steps(method: str) -> bool:
    return methods.get(method).steps


def gaussians_train(*, method, step, **_):
    return training("gaussians", steps=_steps(method), method=method, step=step, shared=GAUSSIANS_SHARED)


def gaussians_fig1_data(**_):
    return training("gaussians", steps=True, method="alpha_bridge", step="fig1", shared=GAUSSIANS_SHARED)


def gaussians_metrics(*, method, **_):
    """The evaluation protocol, and for the Step-wise methods the Step lengths and schedule."""
    plan = [f"gaussians.alpha_bridge.{k}" for k in PLAN_KEYS] if _steps(method) else []
    return ["gaussians.data", "gaussians.eval", *plan]


def image_train(*, dataset, method, step, **_):
    return training(f"images.runs.{dataset}", steps=_steps(method), method=method, step=step,
                    shared=IMAGES_SHARED)


def image_fig1_data(*, dataset, **_):
    return training(f"images.runs.{dataset}", steps=True, method="alpha_bridge", step="fig1", shared=IMAGES_SHARED)


def image_scored(*, dataset, **_):
    """Scoring samples reads the feature net's settings and the run's whole section (the final
    scores rebuild its model; the metrics label each iteration's Step from its alpha_bridge keys)."""
    return [*RUNTIME, "images.inception", f"images.runs.{dataset}"]


def _runs(datasets, keys) -> list[str]:
    return [f"images.runs.{d}.{k}" for d in datasets for k in keys]


def _const(*keys: str) -> Callable[..., list[str]]:
    return lambda **_: list(keys)


@dataclasses.dataclass(frozen=True)
class Stage:
    module: str  # the implementing module: its imports are the stage's code inputs
    keys: Callable[..., list[str]] = _const()  # wildcards -> dotted config paths the stage reads
    parse: str | None = None  # the module's function (slice, **wildcards) -> typed spec; None: reads no key


STAGES: dict[str, Stage] = {
    "fig2_data": Stage("alphabridge.experiments.fig2", _const("fig2", "gamma"), "fig2_spec"),
    "fig2_plot": Stage("alphabridge.figures.fig2", _const("fig2", "gamma"), "fig2_spec"),
    "gaussians_train": Stage("alphabridge.experiments.gaussians", gaussians_train, "parse_train"),
    "gaussians_fig1_data": Stage("alphabridge.experiments.gaussians", gaussians_fig1_data, "parse_fig1"),
    "gaussians_metrics": Stage("alphabridge.experiments.gaussians_metrics", gaussians_metrics, "metrics_spec"),
    "gaussians_table": Stage("alphabridge.experiments.gaussians_metrics"),
    "gaussians_fig3": Stage("alphabridge.figures.gaussians", _const(
        "gaussians.data", "gaussians.fig3.iterations", *(f"gaussians.alpha_bridge.{k}" for k in PLAN_KEYS)),
        "parse_fig3"),
    "gaussians_fig4": Stage("alphabridge.figures.gaussians", _const(
        "gaussians.beta1s", "gaussians.methods", "gaussians.alpha_bridge.step1_iters",
        "gaussians.alpha_bridge.step2_iters"), "parse_fig4"),
    "gaussians_fig1": Stage("alphabridge.figures.gaussians", _const(*FIG1_KEYS), "parse_fig1"),
    "gaussians_diagnostics": Stage("alphabridge.figures.diagnostics", _const("gaussians.optim.batch_size"),
                                   "parse_diagnostics"),
    "gaussians_reconstruction": Stage("alphabridge.experiments.reconstruction", _const("gaussians.data"),
                                      "parse_reconstruction"),
    "image_reconstruction": Stage("alphabridge.experiments.reconstruction"),
    "ablation_table": Stage("alphabridge.experiments.ablations", _const("ablations.success_modes"), "parse_ablations"),
    "ablations_all": Stage("alphabridge.experiments.ablations"),
    "ablation_figure": Stage("alphabridge.figures.ablations", _const("ablations.success_modes"), "parse_ablations"),
    "search_table": Stage("alphabridge.experiments.search", _const("search"), "parse_search"),
    "search_figure": Stage("alphabridge.figures.search", _const("search.seeds"), "parse_search_figure"),
    "confirm_table": Stage("alphabridge.experiments.confirm", _const("confirm.baselines", "confirm.contrasts"),
                           "confirm_spec"),
    "confirm_figure": Stage("alphabridge.figures.confirm", _const("confirm.baselines", "confirm.contrasts"),
                            "confirm_spec"),
    "image_data": Stage("alphabridge.data.images", lambda *, dataset, **_: [f"images.runs.{dataset}.data"],
                        "parse_data"),
    "image_train": Stage("alphabridge.experiments.images", image_train, "parse_train"),
    "image_fig1_data": Stage("alphabridge.experiments.images", image_fig1_data, "parse_fig1"),
    "image_classifier": Stage("alphabridge.experiments.image_metrics", _const(*RUNTIME, "images.classifier"),
                              "parse_classifier"),
    "image_ref_stats": Stage("alphabridge.experiments.image_metrics", _const(*RUNTIME, "images.inception"),
                             "parse_ref_stats"),
    "image_metrics": Stage("alphabridge.experiments.image_metrics", image_scored, "parse_metrics"),
    "image_final": Stage("alphabridge.experiments.image_metrics", lambda **kw: [*image_scored(**kw), "images.scores"],
                         "parse_final"),
    "image_real": Stage("alphabridge.experiments.image_metrics", lambda **kw: [*image_scored(**kw), "images.scores"],
                        "parse_real"),
    "image_table": Stage("alphabridge.experiments.image_metrics"),
    "image_fig6_data": Stage("alphabridge.experiments.image_figs",
                             lambda *, dataset, **_: [*RUNTIME, f"images.runs.{dataset}"], "parse_fig6"),
    "image_fig1": Stage("alphabridge.figures.images", lambda *, datasets, **_: [
        *FIG1_KEYS, *_runs(datasets, (*IMAGE_SHAPE, "fig1.snapshots", "alpha_bridge.step1_iters"))], "parse_fig1"),
    "image_fig5": Stage("alphabridge.figures.images", lambda *, datasets, **_: _runs(datasets, (
        *IMAGE_SHAPE, "alpha_bridge.step1_iters", "alpha_bridge.step2_iters", "alpha_bridge.step3_iters")),
        "parse_fig5"),
    "image_fig6": Stage("alphabridge.figures.images"),
}
