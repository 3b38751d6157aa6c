"""Checks of the `images` section that JSON schema cannot express, on a schema-valid config; every
message names the key to change.

`image_problems` (run by config.semantic_problems): each runs.<dataset> section against its dataset
and model (what its data, training or scoring job would otherwise reject only once it runs), and the
classifier's batch against the train sets it learns from.
`memory_problems` (run by the workflow for each dataset its targets need, before any job runs): a
memory estimate of the dataset's jobs (alphabridge.sizes) against the machine's memory. It is not
part of validation: the paper-scale CIFAR10 and CelebA sections of config/config.yaml need more
memory (10 and 12 GiB by this estimate) than a small machine has, and they must not block the targets
that never run them."""
from __future__ import annotations

import copy
import math

from alphabridge import sizes

# Keys that size a job, and a small value for each: the key named when a job cannot fit is the one
# whose small value shrinks the estimate most (eval.every: the fewer evaluations, the smaller).
SECTION_KEYS = {"trials": 1, "optim.batch_size": 1, "eval.n_samples": 10, "eval.final_samples": 10,
                "eval.every": 10**9, "fig1.snapshots": [0], "model.z_dim": 1, "model.channels": 1,
                "model.hidden": 1, "model.depth": 1}
GLOBAL_KEYS = {"images.inception.batch_size": 1, "images.classifier.batch_size": 1,
               "images.classifier.feature_dim": 1}
CLASSES = 10  # digits: a stratified split needs every class on both sides


def _set(cfg: dict, dotted: str, value) -> bool:
    *parents, last = dotted.split(".")
    for p in parents:
        cfg = cfg[p]
    if last not in cfg:
        return False
    cfg[last] = value
    return True


def _largest_key(dataset: str, images: dict) -> str:
    """The size key whose small value shrinks the section's largest job most."""
    best, best_need = f"images.runs.{dataset}.trials", math.inf
    for dotted, small in [*((f"images.runs.{dataset}.{k}", v) for k, v in SECTION_KEYS.items()), *GLOBAL_KEYS.items()]:
        trial = copy.deepcopy({"images": images})
        if not _set(trial, dotted, small):
            continue  # e.g. model.hidden of a dcgan model
        need = max(sizes.job_bytes(trial["images"]["runs"][dataset], trial["images"]).values())
        if need < best_need:
            best, best_need = dotted, need
    return best


def memory_problems(images: dict, *, memory: int, datasets) -> list[str]:
    out = []
    for ds in datasets:
        jobs = sizes.job_bytes(images["runs"][ds], images)
        job = max(jobs, key=jobs.get)
        if jobs[job] > memory:
            key = _largest_key(ds, images)
            out.append(f"config key '{key}': the {job} job of images.runs.{ds} would need about "
                       f"{jobs[job] / 2**30:.1f} GiB (a generous estimate, mostly from this key), more than "
                       f"this machine's {memory / 2**30:.1f} GiB")
    return out


def section_problems(ds: str, s: dict) -> list[str]:
    key, d, m, ab = f"images.runs.{ds}", s["data"], s["model"], s["alpha_bridge"]
    out = []
    if d["name"] != ds:  # the section's name labels its files, classifier and figure panels
        out.append(f"config key '{key}.data.name': {d['name']!r} in the section of {ds!r} (its files and "
                   f"figure panels are named {ds})")
        return out
    native = sizes.NATIVE_SIZE.get(ds)
    if native is not None and d["image_size"] != native:
        out.append(f"config key '{key}.data.image_size': {ds} images are {native}x{native}, not {d['image_size']}")
    elif m["kind"] == "dcgan" and d["image_size"] not in sizes.BASE:
        out.append(f"config key '{key}.data.image_size': model.kind dcgan is built for sizes {sorted(sizes.BASE)} "
                   f"(stride-2 convolutions down to a base map), not {d['image_size']}; or use model.kind mlp")
    if ds.removeprefix("stacked_") == "digits":
        total = sizes.DATASET_IMAGES["digits"]
        n_test = math.ceil(total * d["test_fraction"])
        if not CLASSES <= n_test <= total - CLASSES:
            out.append(f"config key '{key}.data.test_fraction': {d['test_fraction']} leaves {n_test} test images of "
                       f"{total}; the stratified split needs each of {CLASSES} classes on both sides")
    if s["eval"]["feature_net"] == "classifier" and ds in sizes.COLOUR:
        out.append(f"config key '{key}.eval.feature_net': the domain classifier reads 1-channel digits; "
                   f"{ds} is in colour (use inception)")
    if m["kind"] == "dcgan" and ab["d_reg"] == "sn":
        out.append(f"config key '{key}.alpha_bridge.d_reg': spectral norm is implemented for the MLP "
                   f"discriminator only, not model.kind dcgan")
    if ab["update_order"] != "joint" and s["generalisations"]:
        out.append(f"config key '{key}.alpha_bridge.update_order': {ab['update_order']!r} applies to alpha_bridge "
                   f"only; the generalisations {s['generalisations']} update theta and phi jointly")
    for i, k in enumerate(s["fig1"]["snapshots"]):
        if k > s["fig1"]["finetune_iters"]:
            out.append(f"config key '{key}.fig1.snapshots[{i}]': {k} > {key}.fig1.finetune_iters")
    return out


def image_problems(config: dict) -> list[str]:
    images = config.get("images")
    if images is None:
        return []
    out = [p for ds, s in images["runs"].items() for p in section_problems(ds, s)]
    b = images["classifier"]["batch_size"]
    learns = {ds: sizes.train_images(sizes.source(s["data"])) for ds, s in images["runs"].items()
              if s["eval"]["feature_net"] == "classifier"}
    ds = min(learns, key=learns.get, default=None)
    if ds is not None and b > learns[ds]:  # one message, for the smallest train set
        out.append(f"config key 'images.classifier.batch_size': {b} exceeds the {learns[ds]} training images of "
                   f"images.runs.{ds} (the classifier would take one full-batch step per epoch)")
    return out
