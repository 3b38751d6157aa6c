"""Configuration: JSON-schema validation and the cross-key and memory checks, with messages that name
the offending key; loading, merging and command-line overrides. The typed views the stages take are in
alphabridge.typed, so no job imports this module (a change to a check never re-runs a job)."""
from __future__ import annotations

import math
import os
import re
from pathlib import Path

import jsonschema
import yaml

from alphabridge.errors import ConfigError
from alphabridge.experiments.search_draw import search_sweeps
from alphabridge.image_checks import image_problems, memory_problems
from alphabridge.methods import AB_METHODS, of


def _key(path) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _describe(err: jsonschema.ValidationError) -> list[str]:
    where = _key(err.absolute_path)
    if err.validator == "additionalProperties":
        allowed = sorted(err.schema.get("properties", {}))
        extra = sorted(set(err.instance) - set(allowed))
        prefix = "" if where == "<top level>" else where + "."
        return [f"config key '{prefix}{k}': unknown key (allowed here: {', '.join(allowed)})" for k in extra]
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        prefix = "" if where == "<top level>" else where + "."
        return [f"config key '{prefix}{missing}': missing"]
    if err.validator == "uniqueItems":  # the schema's own uniqueItems: say which entry, as distinct.py does
        from alphabridge.distinct import repeated_in
        return repeated_in(where, err.instance) or [f"config key '{where}': {err.message}"]
    return [f"config key '{where}': {err.message}"]


def load_schema(path: str | Path) -> dict:
    from alphabridge.yamlio import load_file
    return load_file(path)


def nonfinite_problems(value, path=()) -> list[str]:
    """Every NaN or infinite number (YAML's .nan / .inf): JSON-schema bounds let NaN through."""
    if isinstance(value, float) and not math.isfinite(value):
        return [f"config key '{_key(path)}': {value} is not a finite number"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nonfinite_problems(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nonfinite_problems(v, (*path, i))]
    return []


def validate_config(config: dict, *, schema: dict) -> dict:
    """Raise ConfigError naming every bad key; return the config unchanged when valid."""
    validator = jsonschema.Draft202012Validator(schema)
    problems: list[str] = nonfinite_problems(config)
    for err in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        problems.extend(_describe(err))
    if not problems:
        problems = semantic_problems(config)
    if not problems:
        variants = variant_configs(config)
        problems = [p for name, cfg in variants.items() for p in _prefixed(validate_variant(cfg, schema=schema), name)]
    if not problems:
        from alphabridge.distinct import same_setting_problems
        problems = same_setting_problems({k: v for k, v in variants.items() if not k.startswith("search_")})
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    return config


def _total_iters(g: dict, method: str) -> int:
    if method in AB_METHODS:
        ab = g["alpha_bridge"]
        return ab["step1_iters"] + ab["step2_iters"] + ab["step3_iters"]
    return g[method]["iters"]


def saved_iterations(g: dict, method: str) -> set[int]:
    """Iterations at which a 25-Gaussians run saves samples: every eval.every, and each Step's end."""
    total, every = _total_iters(g, method), g["eval"]["every"]
    out = set(range(every, total + 1, every)) | {total}
    if method in AB_METHODS:
        ab = g["alpha_bridge"]
        out |= {ab["step1_iters"], ab["step1_iters"] + ab["step2_iters"]}
    return out


def training_bytes(g: dict) -> int:
    """A generous estimate of one 25-Gaussians training job's memory: per trial, four networks
    (the joint generalisation's G, D, E, h) with gradients and Adam's two moments, activations of
    the iteration's forward passes, and every saved sample set; plus the data splits and 1 GiB for
    the process itself (a paper-scale job's measured peak RSS is ~1.0 GB, mostly torch)."""
    m, d = g["model"], g["data"]
    h, depth = m["hidden"], m["depth"]
    params = 4 * ((depth - 1) * h * h + 8 * h)
    activations = 32 * g["optim"]["batch_size"] * h * depth
    longest = max(_total_iters(g, meth) for meth in of("gaussians", steps=False) + ("alpha_bridge",))
    samples = g["eval"]["n_samples"] * 2 * (longest // g["eval"]["every"] + 3)
    data = 2 * (d["n_train"] + d["n_val"] + d["n_test"])
    return 2**30 + 4 * (g["trials"] * (4 * params + activations + samples) + data)


def _memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not knowable here: no check
        return 2**62


def semantic_problems(config: dict, *, figures: bool = True) -> list[str]:
    """Checks that need more than one key (run only on a schema-valid config). Ablation settings
    skip the Fig. 1 / Fig. 3 checks (figures=False): those figures are drawn from the base runs only;
    and the images checks, as a setting overrides gamma and gaussians only."""
    from alphabridge.distinct import mode_problems, repeated_entry_problems
    from alphabridge.experiments import confirm_arms
    first = repeated_entry_problems(config) + mode_problems(config) + (
        image_problems(config) + confirm_arms.problems(config) if figures else [])
    g = config.get("gaussians")
    if g is None:
        return first
    out = []
    for i, it in enumerate(g["fig3"]["iterations"]):
        missing = [m for m in g["methods"] if it not in saved_iterations(g, m)]
        if missing:
            out.append(f"config key 'gaussians.fig3.iterations[{i}]': {it} is not a saved iteration of {missing} "
                       f"(samples are saved every gaussians.eval.every = {g['eval']['every']} and at each Step's end)")
    if not figures:
        out = []
    for key in ("fig1", "fig3") if figures else ():
        if g[key]["beta1"] not in g["beta1s"]:
            out.append(f"config key 'gaussians.{key}.beta1': {g[key]['beta1']} is not one of gaussians.beta1s {g['beta1s']}")
    for i, k in enumerate(g["fig1"]["snapshots"] if figures else ()):
        if k > g["fig1"]["finetune_iters"]:
            out.append(f"config key 'gaussians.fig1.snapshots[{i}]': {k} > gaussians.fig1.finetune_iters")
    need, have = training_bytes(g), _memory_bytes()
    if need > have:
        out.append(f"config key 'gaussians.trials': a training job would need about {need / 2**30:.1f} GiB (trials x "
                   f"(model.hidden, model.depth, optim.batch_size, eval.n_samples)), more than this machine's "
                   f"{have / 2**30:.1f} GiB")
    shortest = min(_total_iters(g, m) for m in g["methods"])
    if g["save_every"] > shortest:
        out.append(f"config key 'gaussians.save_every': {g['save_every']} exceeds the shortest run ({shortest} iterations)")
    if g["eval"]["every"] > shortest:
        out.append(f"config key 'gaussians.eval.every': {g['eval']['every']} exceeds the shortest run ({shortest} iterations)")
    return out + first


def check_image_memory(config: dict, dataset: str) -> None:
    """Raise ConfigError when a job of images.runs.<dataset> would not fit in this machine's memory
    (the workflow asks for each dataset its targets need, before any job runs; see image_checks)."""
    problems = memory_problems(config["images"], memory=_memory_bytes(), datasets=[dataset])
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))


def variant_configs(config: dict) -> dict[str, dict]:
    """Each ablation setting's full config, keyed 'sweep/setting': its override deep-merged over
    the base config (without the ablations and search sections); the random search's drawn
    configurations are settings of its generated sweeps search_<method>, the confirmation's arms
    of its sweeps confirm_<method>."""
    from alphabridge.experiments.confirm_arms import confirm_sweeps
    base = {k: v for k, v in config.items() if k not in ("ablations", "search", "confirm")}
    sweeps = {**config.get("ablations", {}).get("sweeps", {}), **search_sweeps(config), **confirm_sweeps(config)}
    return {f"{sw}/{name}": deep_merge(base, override)
            for sw, spec in sweeps.items() for name, override in spec["settings"].items()}


def validate_variant(cfg: dict, *, schema: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema)
    problems = nonfinite_problems(cfg) + [p for err in validator.iter_errors(cfg) for p in _describe(err)]
    return problems or semantic_problems(cfg, figures=False)


def _prefixed(problems: list[str], name: str) -> list[str]:
    sweep, setting = name.split("/")
    where = (f"search: drawn configuration {setting} of {sweep}" if sweep.startswith("search_") else
             f"confirm.arms: {setting}" if sweep.startswith("confirm_") else f"ablations.sweeps.{sweep}.settings.{setting}")
    return [f"{where} gives an invalid config: {p}" for p in problems]


def deep_merge(base: dict, override: dict) -> dict:
    """Snakemake's --configfile semantics: nested dicts merge, everything else replaces."""
    out = dict(base)
    for k, v in override.items():
        out[k] = deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _typed(value):
    """A scalar Snakemake's --config parser left as text (it reads nested YAML without types): its
    YAML 1.2 value (numbers such as 3e-4 too, booleans, null), else the text itself."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if not isinstance(value, str):
        return value
    if _NUMBER.fullmatch(value.strip()):
        return float(value) if any(c in value for c in ".eE") else int(value)
    try:
        out = yaml.safe_load(value)
    except yaml.YAMLError:
        return value
    return out if out is None or isinstance(out, (bool, int, float)) else value


def cli_overrides(entries: dict) -> dict:
    """The nested override of `snakemake --config ...` entries, typed: `key={nested: yaml}` entries as
    they are, and `set={a.b.c: value, ...}` or `set=a.b.c=value` as dotted paths into the config.
    A key set by two entries (say gaussians={trials: 2} and set=gaussians.trials=3) is refused."""
    from alphabridge.yamlio import loads, set_twice
    entries = dict(entries)
    dotted = entries.pop("set", None)
    out = _typed(entries)
    if isinstance(dotted, str):
        path, sep, value = dotted.partition("=")
        if not sep:
            raise ConfigError(f"--config set={dotted!r}: expected set=a.b.c=value or set='{{a.b.c: value, ...}}'")
        try:  # raw text: a list or mapping is YAML too (one naming a key twice is refused)
            dotted = {path: loads(value, name=f"--config set={dotted}", at=tuple(path.strip().split(".")))}
        except yaml.YAMLError:
            dotted = {path: value}
    sources = [(f"--config {k}=...", {k: v}) for k, v in out.items()]
    for path, value in (dotted or {}).items():
        parts = str(path).strip().split(".")
        if not all(parts):
            raise ConfigError(f"--config set: {path!r} is not a dotted config key (e.g. gaussians.optim.lr)")
        nested = _typed(value)
        for part in reversed(parts):
            nested = {part: nested}
        sources.append((f"--config set {str(path).strip()}", nested))
        out = deep_merge(out, nested)
    twice = set_twice(sources)
    if twice:
        raise ConfigError("invalid --config:\n  " + "\n  ".join(twice))
    return out


def load_config_files(paths: list[str | Path]) -> dict:
    """The files deep-merged in order; a key written twice in one file is refused (alphabridge.yamlio)."""
    from alphabridge.yamlio import load_file
    cfg: dict = {}
    for p in paths:
        cfg = deep_merge(cfg, load_file(p) or {})
    return cfg
