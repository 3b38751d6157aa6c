"""Checks of the `images` section that JSON schema cannot express, on a schema-valid config; every
message names the key to change.

`image_problems` (run by config.semantic_problems): each runs.<dataset> section against its dataset
and model (what its data, training or scoring job would otherwise reject only once it runs), and the
classifier's batch against the train sets it learns from."""
from __future__ import annotations

import math

from alphabridge import sizes

CLASSES = 10  # digits: a stratified split needs every class on both sides


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
    if ds == "digits":
        n_test = math.ceil(sizes.DATASET_IMAGES[ds] * d["test_fraction"])
        if not CLASSES <= n_test <= sizes.DATASET_IMAGES[ds] - CLASSES:
            out.append(f"config key '{key}.data.test_fraction': {d['test_fraction']} leaves {n_test} test images of "
                       f"{sizes.DATASET_IMAGES[ds]}; the stratified split needs each of {CLASSES} classes on both sides")
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
    learns = {ds: sizes.train_images(s["data"]) for ds, s in images["runs"].items()
              if s["eval"]["feature_net"] == "classifier"}
    ds = min(learns, key=learns.get, default=None)
    if ds is not None and b > learns[ds]:  # one message, for the smallest train set
        out.append(f"config key 'images.classifier.batch_size': {b} exceeds the {learns[ds]} training images of "
                   f"images.runs.{ds} (the classifier would take one full-batch step per epoch)")
    return out
