"""Image metrics: the domain classifier (digits / MNIST), reference feature statistics per dataset,
FID and IS along training from the saved samples, and final FID / IS from a trained model.
The feature net is `eval.feature_net`: `classifier` (no download) or `inception` (pytorch-fid's)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from alphabridge.data.images import load_prepared, to_unit_range
from alphabridge.data.stacked import mode_coverage
from alphabridge import device as dev
from alphabridge.choices import FEATURE_NETS, one_of
from alphabridge.experiments.image_specs import (ClassifierConfig, FinalScoresSpec, ScoredRun, ScorerSpec,
                                                 ScoresConfig)
# the scoring stages' parse functions (alphabridge.keys names them in this module, the stages' own)
from alphabridge.experiments.image_specs import (parse_classifier, parse_final, parse_metrics,  # noqa: F401
                                                 parse_real, parse_ref_stats)
from alphabridge.io import atomic_path
from alphabridge.metrics import fidelity
from alphabridge.metrics import inception as inc
from alphabridge.metrics.classifier import (ClassifierArch, as_stacked, evaluate_accuracy, load_classifier,
                                            save_classifier, train_classifier)
from alphabridge.runtime import setup
from alphabridge.train.loop import saved_keys
from alphabridge.train.sampling import sample
from alphabridge.train.schedule import step_and_alpha
from alphabridge.train.state import init_state, restore_checkpoint

# modes_covered / kl_uniform: classifier features only (NaN for Inception); pixel_distance_step1: mean |pixel
# change| (pixels in [0, 1]) from the same fixed eval noise's samples at the end of Step I (NaN without a Step I)
METRIC_COLUMNS = ["method", "dataset", "trial", "iteration", "step", "alpha", "fid", "inception_score",
                  "modes_covered", "kl_uniform", "pixel_distance_step1", "feature_net"]
IS_SPLITS = 10  # the standard split protocol of Salimans et al. (2016)


# final.csv, one row per trial; <dataset>_trials.csv stacks them; <dataset>.csv: mean / std per method
# modes_covered / kl_uniform: of the classifier's classes (10 digits, 1000 stacked triples); NaN for Inception
FINAL_SCORES = ["inception_score", "fid", "kid", "kid_std", "precision", "recall", "modes_covered", "kl_uniform"]
FINAL_COLUMNS = ["method", "trial", *FINAL_SCORES, "n_samples", "feature_net", "diverged"]
# the paper's CIFAR10 table has IS and FID; the rest separate quality from coverage
TABLE_SCORES = ["inception_score", "fid", "kid", "precision", "recall", "modes_covered", "kl_uniform"]
TABLE_COLUMNS = ["method", *(f"{k}_{s}" for k in TABLE_SCORES for s in ("mean", "std")), "n_trials", "n_diverged",
                 "n_samples"]


def scorer(spec: ScorerSpec, *, kind: str, classifier: Path | None):
    """(feature net on the job's device, the device, the feature batch size) of a scoring job."""
    device = setup(spec.runtime)
    net = feature_net(kind=kind, classifier=classifier, hub_dir=spec.inception.hub_dir, device=device)
    return net, device, spec.inception.batch_size


def fit_classifier(*, images_npz: Path, ccfg: ClassifierConfig, out: Path, report: Path | None = None, device="cpu",
                   progress: bool = False) -> dict:
    """Train the domain classifier on the train split (a stacked dataset's source digits); its test
    accuracy goes in its header (and, as JSON, to `report`). On stacked data the saved net reads
    stacked images, and the header adds its accuracy on the stacked test images (all 3 digits right)."""
    data = load_prepared(images_npz)
    stacked = "source_train_images" in data
    src = {k.removeprefix("source_"): v for k, v in data.items() if k.startswith("source_")} if stacked else data
    if src["train_images"].shape[1] != 1:
        raise ValueError("the domain classifier is for 1-channel digits / MNIST; use feature_net: inception")
    arch = ClassifierArch(feature_dim=ccfg.feature_dim)
    net = train_classifier(to_unit_range(src["train_images"]), src["train_labels"], epochs=ccfg.epochs, lr=ccfg.lr,
                           batch_size=ccfg.batch_size, seed=ccfg.seed, device=device, arch=arch, progress=progress)
    acc = evaluate_accuracy(net, to_unit_range(src["test_images"]), src["test_labels"], device=device)
    header = {"test_accuracy": acc, "n_train": len(src["train_images"]), "n_test": len(src["test_images"])}
    if stacked:
        net = as_stacked(net)
        header.update(stacked_test_accuracy=evaluate_accuracy(net, to_unit_range(data["test_images"]),
                                                              data["test_labels"], device=device),
                      n_stacked_test=len(data["test_images"]))
    save_classifier(net, out, header=header)
    if report is not None:
        with atomic_path(report, suffix=".json") as tmp:
            Path(tmp).write_text(json.dumps(header, indent=1))
    return header


def feature_net(*, kind: str, classifier: Path | None, hub_dir: str, device):
    """The feature net of FID / IS: the domain classifier's file, or pytorch-fid's Inception."""
    one_of("eval.feature_net", kind, FEATURE_NETS)  # anything else would silently score with Inception
    if kind == "classifier":
        if classifier is None:
            raise ValueError("feature_net 'classifier' needs the trained classifier file")
        return load_classifier(classifier, device=device)[0]
    return inc.load_inception(hub_dir=hub_dir, device=device)


def _images(flat_uint8: np.ndarray, shape) -> torch.Tensor:
    return to_unit_range(np.ascontiguousarray(flat_uint8).reshape(len(flat_uint8), *shape))


def feature_runtime(device) -> dict:
    """What features depend on beyond the net: the device kind and, on CUDA, the float32 mode."""
    p = dev.describe_precision()
    if torch.device(device).type != "cuda":
        return {"device": torch.device(device).type}
    return {"device": "cuda", "fp32_conv": p["fp32_conv"], "fp32_matmul": p["fp32_matmul"]}


def load_reference(path: Path, *, device) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of reference statistics computed under this job's device and numerics: an FID
    never compares features computed under two runtimes (pytorch-fid's own files carry no record)."""
    mu, sigma, meta = inc.load_stats(path)
    here = feature_runtime(device)
    if "runtime" in meta and meta["runtime"] != here:
        raise ValueError(f"reference statistics {path} were computed under {meta['runtime']}, these features under "
                         f"{here}: delete {path} to recompute them here, or set device/precision as they were")
    return mu, sigma


def reference_stats(*, images_npz: Path, net, out: Path, meta: dict, batch_size: int, device) -> None:
    """Feature mean / covariance of the real test images (FID), and the features themselves (KID and
    precision/recall), computed once per dataset and net."""
    test = to_unit_range(load_prepared(images_npz)["test_images"])
    feats, _ = inc.activations(net, test, batch_size=batch_size, device=device)
    mu, sigma = inc.statistics(feats)
    inc.save_stats(out, mu=mu, sigma=sigma, feats=feats,
                   meta={**meta, "n": len(test), "runtime": feature_runtime(device)})


def real_features(path: Path) -> np.ndarray:
    """The real test images' features saved beside the statistics (a pytorch-fid file has none)."""
    with np.load(path, allow_pickle=False) as f:
        if "feats" not in f.files:
            raise ValueError(f"{path} holds statistics but no features (KID and precision/recall need them): "
                             "delete it to recompute it with `snakemake <target>`")
        return f["feats"]


def score(images: torch.Tensor, *, net, ref: tuple, batch_size: int, device, modes: bool = False
          ) -> tuple[dict, np.ndarray]:
    """({fid against the reference statistics, mean IS over IS_SPLITS splits; with `modes`, the modes
    covered by the net's arg-max classes and KL(class histogram || uniform)}, the features)."""
    feats, logits = inc.activations(net, images, batch_size=batch_size, device=device)
    mu, sigma = inc.statistics(feats)
    out = {"fid": inc.frechet_distance(mu, sigma, ref[0], ref[1]),
           "inception_score": inc.inception_score(logits, splits=IS_SPLITS)[0]}
    if modes:
        out.update(mode_coverage(logits.argmax(1), n_modes=logits.shape[1]))
    return out, feats


def kid_prc(fake: np.ndarray, real: np.ndarray, *, scores: ScoresConfig, device) -> dict:
    """KID (mean and std over subsets) and precision / recall of generated against real features,
    as configured in images.scores (the caller passes the first images.scores.samples of each)."""
    kid, kid_std = fidelity.kid(fake, real, subsets=scores.kid_subsets, subset_size=scores.kid_subset_size,
                                seed=scores.seed)
    precision, recall = fidelity.precision_recall(fake, real, k=scores.prc_k, device=device)
    return {"kid": kid, "kid_std": kid_std, "precision": precision, "recall": recall}


def metrics_along_training(*, samples_npz: Path, run: ScoredRun, plan: dict | None, dataset: str, method: str, net,
                           ref_stats: Path, batch_size: int, device) -> pd.DataFrame:
    """FID / IS (and modes with the classifier) of every trial's saved samples at every saved iteration,
    one row per iteration and trial, and their mean pixel distance from the end of Step I's samples of
    the same eval noise (Fig. 5's "smooth transfer" as a curve); NaN for a trial from its first
    non-finite iteration on. `plan`: alpha-Bridge's Step lengths and schedule, which label each
    iteration (None: a one-run method)."""
    ref = load_reference(ref_stats, device=device)
    modes = run.feature_net == "classifier"
    rows = []
    with np.load(samples_npz) as npz:
        step1_key = f"it{plan['step1_iters']}" if plan is not None else None
        start = npz[step1_key].astype(np.float32) if step1_key in npz.files else None  # [T, n, D] uint8 -> float
        for key in saved_keys(npz.files):
            it = int(key[2:])
            x_all = npz[key]
            step, alpha = step_and_alpha(it, plan)
            for trial in range(len(x_all)):
                dead = int(npz["diverged_at"][trial]) if "diverged_at" in npz.files else 0
                m = dict.fromkeys(["fid", "inception_score", "modes_covered", "kl_uniform", "pixel_distance_step1"],
                                  float("nan"))
                if not (dead and it >= dead):  # uint8 samples cannot hold NaN: the mark says they are void
                    m.update(score(_images(x_all[trial], run.shape), net=net, ref=ref, batch_size=batch_size,
                                   device=device, modes=modes)[0])
                    if start is not None and it >= plan["step1_iters"]:
                        m["pixel_distance_step1"] = float(np.abs(x_all[trial] - start[trial]).mean() / 255.0)
                rows.append({"method": method, "dataset": dataset, "trial": trial, "iteration": it, "step": step,
                             "alpha": alpha, **m, "feature_net": run.feature_net})
    return pd.DataFrame(rows, columns=METRIC_COLUMNS)


def score_sets(x, *, dead, run: ScoredRun, scores: ScoresConfig, label: str, net, ref_stats: Path, batch_size: int,
               device, features_out: Path | None = None, samples_out: Path | None = None) -> pd.DataFrame:
    """One final-scores row per set of uint8 images x [T, n, C*H*W] (NaN for a trial in `dead`): FID,
    IS, modes (classifier features only), and KID and precision / recall on the first
    images.scores.samples features of each side. The compared features go to `features_out` (npz: fake
    [T, m, D], NaN for a dead trial, and real [m', D]) and the images to `samples_out` (npz: x, dead)."""
    n, shape = x.shape[1], run.shape
    ref, real = load_reference(ref_stats, device=device), real_features(ref_stats)[: scores.samples]
    modes = run.feature_net == "classifier"  # Inception's 1008 classes are not the data's modes
    rows, kept = [], []
    for trial in range(len(x)):
        if trial in dead:
            m, fake = dict.fromkeys(FINAL_SCORES, float("nan")), None
        else:
            m, feats = score(_images(x[trial], shape), net=net, ref=ref, batch_size=batch_size, device=device,
                             modes=modes)
            fake = feats[: scores.samples]
            m.update(kid_prc(fake, real, scores=scores, device=device))
        kept.append(fake)
        rows.append({"method": label, "trial": trial, **m, "n_samples": n,
                     "feature_net": run.feature_net, "diverged": trial in dead})
    if features_out is not None:
        size = next((f.shape for f in kept if f is not None), (min(n, scores.samples), real.shape[1]))
        fake = np.stack([np.full(size, np.nan) if f is None else f for f in kept]).astype(np.float32)
        with atomic_path(features_out, suffix=".npz") as tmp:
            np.savez(tmp, fake=fake, real=real.astype(np.float32))
    if samples_out is not None:
        with atomic_path(samples_out, suffix=".npz") as tmp:
            np.savez(tmp, x=np.asarray(x, dtype=np.uint8), dead=np.array(sorted(dead), dtype=np.int64))
    return pd.DataFrame(rows, columns=FINAL_COLUMNS)


def final_scores(*, spec: FinalScoresSpec, method: str, ckpt: Path, device, label: str | None = None,
                 **kw) -> pd.DataFrame:
    """score_sets of eval.final_samples fresh images from each trial's model in `ckpt` (the paper's
    table, per trial; `label` names its rows, the method by default). `device` is where the feature
    net lives (the job's, resolved once by the caller). G samples with the BatchNorm statistics
    eval.bn_stats names (train/sampling.sample)."""
    n, (c, h, w), tcfg = spec.run.final_samples, spec.run.shape, spec.train
    state = init_state(tcfg, x_dim=c * h * w, device=device)
    diverged = restore_checkpoint(state, ckpt).get("diverged", {})
    z = torch.randn(tcfg.trials, n, tcfg.model.z_dim, generator=torch.Generator().manual_seed(4242))
    x = sample(state.gen, z.to(device), bn_stats=tcfg.bn_stats, batch_size=tcfg.batch_size,
               as_uint8=True).reshape(tcfg.trials, n, -1)
    return score_sets(x, dead=set(diverged), run=spec.run, scores=spec.scores, label=label or method, device=device,
                      **kw)


def real_scores(*, spec: FinalScoresSpec, images_npz: Path, **kw) -> pd.DataFrame:
    """score_sets of real train images, as many as eval.final_samples (fewer if the split is smaller;
    a seeded subset): the scores a perfect generator would get, the ceiling of each metric."""
    train = load_prepared(images_npz)["train_images"]
    m = min(spec.run.final_samples, len(train))
    idx = np.sort(np.random.default_rng(np.random.SeedSequence([spec.run.seed, 7])).choice(len(train), m,
                                                                                             replace=False))
    return score_sets(train[idx].reshape(1, m, -1), dead=set(), run=spec.run, scores=spec.scores, label="real_data",
                      **kw)


def image_table(finals: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean and std over the trials that did not diverge of each final score, with
    n_trials (those trials), n_diverged and n_samples (per trial)."""
    rows = []
    for method, df in finals.groupby("method", sort=False):
        ok = df[~df.diverged.astype(bool)]
        row = {"method": method}
        for k in TABLE_SCORES:
            row[f"{k}_mean"], row[f"{k}_std"] = ok[k].mean(), ok[k].std(ddof=1) if len(ok) > 1 else float("nan")
        rows.append({**row, "n_trials": len(ok), "n_diverged": len(df) - len(ok), "n_samples": int(df.n_samples.iloc[0])})
    return pd.DataFrame(rows, columns=TABLE_COLUMNS)
