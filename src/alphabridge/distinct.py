"""What a config lists must be distinct (config.semantic_problems runs these on a schema-valid config):

- a list whose entries name runs, cells, figure panels or the random search's choices holds each entry
  once: a repeated method or beta1 would be one run listed twice (one row, cell or panel shown twice,
  or a mean over repeated trials), a repeated search choice would be drawn twice as often;
- a data definition has as many distinct modes as it lists: a 25-Gaussians grid value written twice,
  two values equal in float32 (the means are float32) or closer than 2 std (two equal Gaussians that
  close make one mode), and image data too few to hold every class or stacked mode;
- two settings of one ablation sweep give different configs (else one cell is trained twice).
Every message names the config key. Only the standard library: the checks need no torch."""
from __future__ import annotations

import json
import struct

STACKED_MODES = 1000  # data.stacked: the triple of classes of three digits (alphabridge.data.stacked)
CLASSES = 10  # digits and MNIST (and CIFAR-10): the modes the domain classifier and the stacked data count

# Dotted keys of the lists that must not repeat an entry; * stands for every key of that mapping.
UNIQUE_LISTS = (
    "fig2.alphas",  # one row of fig2.csv per alpha
    "gaussians.beta1s", "gaussians.methods", "gaussians.generalisations",  # runs of Fig. 4 and its table
    "gaussians.fig1.snapshots", "gaussians.fig3.iterations",  # panels / columns of Figs 1 and 3
    "ablations.sweeps.*.methods", "ablations.sweeps.*.beta1s",  # cells of each sweep
    "search.seeds", "search.methods",  # one generated sweep search_s<seed>_<method> each
    "confirm.beta1s", "confirm.baselines",  # rows of confirm.csv and the arms its differences are taken to
    "search.ranges.shared.hidden", "search.ranges.shared.batch_size", "search.ranges.shared.z_dim",
    "search.ranges.alpha_bridge.gamma_kind", "search.ranges.alpha_bridge.stabiliser",
    "search.ranges.alpha_bridge.d_reg",  # choices drawn uniformly: a repeat doubles its chance
    "images.runs.*.generalisations", "images.runs.*.fig1.snapshots",  # rows of the image tables, panels
)


def _at(config, parts: list[str], prefix: str = ""):
    """(dotted key, value) of every key matching `parts` (with * for any key of a mapping)."""
    if not parts:
        yield prefix, config
        return
    if not isinstance(config, dict):
        return
    head, rest = parts[0], parts[1:]
    for k in (config if head == "*" else [head] if head in config else []):
        yield from _at(config[k], rest, f"{prefix}.{k}" if prefix else str(k))


def _same(value) -> tuple:
    """A list entry as compared: 0.5 and 0.50 (or 2 and 2.0) are one entry, True and 1 are not."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return type(value).__name__, json.dumps(value, sort_keys=True)
    return "number", float(value)


def repeated_in(key: str, values: list) -> list[str]:
    """One message per entry of `values` that repeats an earlier one."""
    first: dict[tuple, int] = {}
    out = []
    for i, v in enumerate(values):
        j = first.setdefault(_same(v), i)
        if j != i:
            out.append(f"config key '{key}': {v!r} is listed twice ({key}[{j}] and [{i}]); "
                       f"each entry names a run, cell, panel or choice, so list it once")
    return out


def repeated_entry_problems(config: dict) -> list[str]:
    return [p for pattern in UNIQUE_LISTS for key, values in _at(config, pattern.split("."))
            if isinstance(values, list) for p in repeated_in(key, values)]


def _float32(x: float) -> float:
    return struct.unpack("f", struct.pack("f", x))[0]


def grid_problems(data: dict, key: str = "gaussians.data") -> list[str]:
    """The 25-Gaussians grid: len(grid)^2 listed modes must be as many distinct, separate modes."""
    grid, std = data["grid"], data["std"]
    coords = sorted({_float32(float(g)) for g in grid})
    out = []
    if len(coords) < len(grid):
        out.append(f"config key '{key}.grid': {grid} lists {len(grid)}^2 = {len(grid) ** 2} modes but only "
                   f"{len(coords)}^2 = {len(coords) ** 2} are distinct (a value written twice, or equal in float32)")
    close = [(a, b) for a, b in zip(coords, coords[1:]) if b - a <= 2 * std]
    if close:
        a, b = close[0]
        out.append(f"config key '{key}.grid': modes at {a:g} and {b:g} are {b - a:g} apart, not more than 2 x "
                   f"{key}.std = {2 * std:g}: two equal Gaussians that close make a single mode")
    return out


def image_mode_problems(runs: dict) -> list[str]:
    """Image data too small to hold every mode it stands for: max_images below the classes, or a
    stacked split with fewer images than its 1000 modes (its mode count could never reach 1000)."""
    out = []
    for ds, s in runs.items():
        key, d = f"images.runs.{ds}.data", s["data"]
        classes = CLASSES if ds.removeprefix("stacked_") in ("digits", "mnist", "cifar10") else None
        if classes and d["max_images"] is not None and d["max_images"] < classes:
            out.append(f"config key '{key}.max_images': {d['max_images']} images cannot hold all {classes} classes "
                       f"of {ds}")
        for split, n in (d["stacked"] or {}).items():
            if n < STACKED_MODES:
                out.append(f"config key '{key}.stacked.{split}': {n} stacked images cannot hold all "
                           f"{STACKED_MODES} modes of {ds}")
    return out


def mode_problems(config: dict) -> list[str]:
    out = grid_problems(config["gaussians"]["data"]) if "gaussians" in config else []
    return out + (image_mode_problems(config["images"]["runs"]) if "images" in config else [])


def same_setting_problems(variants: dict[str, dict]) -> list[str]:
    """Settings of one ablation sweep whose full configs (`variants`, keyed 'sweep/setting', as
    config.variant_configs gives them) are equal: one cell trained twice under two names."""
    first: dict[tuple[str, str], str] = {}
    out = []
    for name, cfg in variants.items():
        sweep, setting = name.split("/")
        seen = first.setdefault((sweep, json.dumps(cfg, sort_keys=True)), setting)
        if seen != setting:
            out.append(f"config key 'ablations.sweeps.{sweep}.settings.{setting}': gives the same config as "
                       f"setting {seen!r} (one cell trained twice); drop one or make them differ")
    return out
