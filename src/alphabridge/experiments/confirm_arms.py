"""The held-out confirmation sweep's runs: each arm of config.yaml's `confirm` section (a method and
an override, as an ablation setting) re-run on seeds that chose nothing, as generated sweeps
confirm_<method> in the ablations' format, so every arm is an ordinary cached 25-Gaussians run under
results/ablations/confirm_<method>/<arm>/ (trained and scored by the rules in gaussians.smk).

No torch (the standard library and alphabridge.config only): the workflow imports this to build the DAG."""
from __future__ import annotations


def arm_beta1s(confirm: dict, arm: dict) -> list[float]:
    return list(arm.get("beta1s", confirm["beta1s"]))


def confirm_sweeps(config: dict) -> dict[str, dict]:
    """{confirm_<method>: {methods, beta1s, settings, beta1_of}}: one sweep per method, one setting
    per arm (its override plus the held-out seed and trial count), each at its own beta1s."""
    from alphabridge.config import deep_merge  # here: alphabridge.config imports this module

    confirm = config.get("confirm")
    if not confirm:
        return {}
    held_out = {"gaussians": {"seed": confirm["seed"], "trials": confirm["trials"]}}
    out: dict[str, dict] = {}
    for arm in confirm["arms"]:
        sweep = out.setdefault(f"confirm_{arm['method']}", {"methods": [arm["method"]], "beta1s": [],
                                                            "settings": {}, "beta1_of": {}})
        sweep["settings"][arm["name"]] = deep_merge(arm["override"], held_out)
        sweep["beta1_of"][arm["name"]] = arm_beta1s(confirm, arm)
        sweep["beta1s"] = sorted(set(sweep["beta1s"]) | set(arm_beta1s(confirm, arm)))
    return out


def seeds_used(config: dict) -> dict[str, list[range]]:
    """The trial seeds (as ranges: a run of T trials from seed s uses s .. s+T-1) of every part of the
    study that chose something, and the confirmation's, which must be disjoint from the others
    (config.semantic_problems refuses otherwise)."""
    g = config["gaussians"]
    runs = [g] + [{**g, **o.get("gaussians", {})} for sw in config.get("ablations", {}).get("sweeps", {}).values()
                  for o in sw["settings"].values()]
    out = {"gaussians (Fig. 4, the ablation study, the combined-best cell)":
           sorted({range(r["seed"], r["seed"] + r["trials"]) for r in runs}, key=lambda r: (r.start, r.stop))}
    if config.get("search"):
        out["search"] = [range(g["seed"], g["seed"] + config["search"]["trials"])]
    if config.get("confirm"):
        c = config["confirm"]
        out["confirm"] = [range(c["seed"], c["seed"] + c["trials"])]
    return out


def _overlap(a: range, b: range) -> range:
    return range(max(a.start, b.start), min(a.stop, b.stop))


def problems(config: dict) -> list[str]:
    """What is wrong with the `confirm` section beyond its schema, each message naming the key."""
    confirm = config.get("confirm")
    if not confirm:
        return []
    out, names = [], {}
    for i, arm in enumerate(confirm["arms"]):
        if arm["name"] in names:
            out.append(f"config key 'confirm.arms[{i}].name': {arm['name']!r} is listed twice "
                       f"(confirm.arms[{names[arm['name']]}] and [{i}]); each names one run")
        names.setdefault(arm["name"], i)
        extra = set(arm_beta1s(confirm, arm)) - set(confirm["beta1s"])
        if extra:
            out.append(f"config key 'confirm.arms[{i}].beta1s': {sorted(extra)} not in confirm.beta1s")
    for i, b in enumerate(confirm["baselines"]):
        if b not in names:
            out.append(f"config key 'confirm.baselines[{i}]': {b!r} is not an arm's name; arms: {sorted(names)}")
    for i, pair in enumerate(confirm["contrasts"]):
        missing = [a for a in pair if a not in names]
        if missing:
            out.append(f"config key 'confirm.contrasts[{i}]': {missing} not an arm's name; arms: {sorted(names)}")
        elif not set(arm_beta1s(confirm, confirm["arms"][names[pair[0]]])) & set(
                arm_beta1s(confirm, confirm["arms"][names[pair[1]]])):
            out.append(f"config key 'confirm.contrasts[{i}]': {pair} share no beta1")
    used = seeds_used(config)
    held, = used.pop("confirm")
    for part, ranges in used.items():
        common = [o for r in ranges if len(o := _overlap(held, r))]
        if common:
            out.append(f"config key 'confirm.seed': the confirmation's trial seeds {common[0].start}.."
                       f"{common[0].stop - 1} are also {part}'s; it must use seeds that chose nothing (e.g. "
                       f"confirm.seed >= {max(r.stop for rs in used.values() for r in rs)})")
    return out
