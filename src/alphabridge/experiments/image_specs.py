"""What the image scoring stages read, typed: the domain classifier's training (image_classifier), the
feature net and the job's runtime (image_ref_stats, and every scoring job), and what scoring reads of
an images.runs.<dataset> section (image_metrics, image_final, image_real). Their parse functions,
which alphabridge.keys names in experiments.image_metrics (that module imports them)."""
from __future__ import annotations

import dataclasses

from alphabridge import checked, methods
from alphabridge.data.images import image_shape
from alphabridge.experiments.images import image_train_config
from alphabridge.runtime import Runtime, parse_runtime
from alphabridge.train.state import TrainConfig


@dataclasses.dataclass(frozen=True)
class ClassifierConfig:
    """images.classifier: the domain classifier's training."""

    epochs: int
    lr: float
    batch_size: int
    feature_dim: int  # the penultimate layer's width: the FID features
    seed: int


@dataclasses.dataclass(frozen=True)
class FeatureNetConfig:
    """images.inception: where pytorch-fid's Inception weights live, and the feature batch size
    (of either feature net)."""

    hub_dir: str
    batch_size: int


@dataclasses.dataclass(frozen=True)
class ScoresConfig:
    """images.scores: KID and precision/recall of the final samples."""

    kid_subsets: int
    kid_subset_size: int
    prc_k: int
    samples: int  # the first this-many features of each side are compared
    seed: int  # which KID subsets are drawn


@dataclasses.dataclass(frozen=True)
class ClassifierSpec:
    runtime: Runtime
    classifier: ClassifierConfig


@dataclasses.dataclass(frozen=True)
class ScorerSpec:
    """A scoring job's device and feature net: all image_ref_stats reads, and part of every scoring job."""

    runtime: Runtime
    inception: FeatureNetConfig


@dataclasses.dataclass(frozen=True)
class ScoredRun:
    """What scoring reads of images.runs.<dataset> (beside the model, which image_final rebuilds)."""

    shape: tuple[int, int, int]  # (C, H, W) of the saved flat uint8 images
    feature_net: str  # eval.feature_net: classifier | inception (the rows record it)
    final_samples: int  # eval.final_samples: images scored per trial
    seed: int  # the run's seed: which real images image_real scores


@dataclasses.dataclass(frozen=True)
class ImageMetricsSpec:
    """image_metrics: FID / IS of the samples saved along training."""

    scorer: ScorerSpec
    run: ScoredRun
    plan: dict | None  # alpha-Bridge's Step lengths and schedule (labels each iteration); None: one run


@dataclasses.dataclass(frozen=True)
class FinalScoresSpec:
    """image_final and image_real: the final scores of a trained model's samples, or of real images."""

    scorer: ScorerSpec
    run: ScoredRun
    scores: ScoresConfig
    train: TrainConfig | None  # the model image_final rebuilds from its checkpoint; None for real images


def _section(raw: dict) -> str:
    """The dotted key of the slice's one images.runs.<dataset> section."""
    (dataset,) = checked.at(raw, "images.runs")
    return f"images.runs.{dataset}"


def run_shape(raw: dict, section: str) -> tuple[int, int, int]:
    """(C, H, W) of the images of the images.runs.<dataset> section at dotted key `section`."""
    return image_shape({"data": checked.mapping(raw, f"{section}.data", name=str, image_size=int)})


def _scorer(raw: dict) -> ScorerSpec:
    return ScorerSpec(runtime=parse_runtime(raw), inception=checked.section(raw, "images.inception", FeatureNetConfig))


def _run(raw: dict) -> ScoredRun:
    s = _section(raw)
    return ScoredRun(shape=run_shape(raw, s), feature_net=checked.value(raw, f"{s}.eval.feature_net", str),
                     final_samples=checked.value(raw, f"{s}.eval.final_samples", int),
                     seed=checked.value(raw, f"{s}.seed", int))


def parse_classifier(raw: dict, **_) -> ClassifierSpec:
    return ClassifierSpec(runtime=parse_runtime(raw),
                          classifier=checked.section(raw, "images.classifier", ClassifierConfig))


def parse_ref_stats(raw: dict, **_) -> ScorerSpec:
    return _scorer(raw)


def parse_metrics(raw: dict, *, method: str, **_) -> ImageMetricsSpec:
    plan = None
    if methods.get(method).steps:
        plan = checked.mapping(raw, f"{_section(raw)}.alpha_bridge", step1_iters=int, step2_iters=int, schedule=str)
        if methods.get(method).fold_step2:  # Step I then Step III: no iteration is Step II's
            plan = {**plan, "step2_iters": 0}
    return ImageMetricsSpec(scorer=_scorer(raw), run=_run(raw), plan=plan)


def _final(raw: dict, train: TrainConfig | None) -> FinalScoresSpec:
    return FinalScoresSpec(scorer=_scorer(raw), run=_run(raw), scores=checked.section(raw, "images.scores", ScoresConfig),
                     train=train)


def parse_final(raw: dict, *, method: str, **_) -> FinalScoresSpec:
    # the model is rebuilt as it was trained: the training path's own builder reads the section
    return _final(raw, image_train_config(checked.at(raw, _section(raw)), method=method))


def parse_real(raw: dict, **_) -> FinalScoresSpec:
    return _final(raw, None)
