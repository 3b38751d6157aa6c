# 25-Gaussians: shared paths, code inputs and the config slices each rule receives (no rules here).
#
# A *run* is the directory one configuration trains into: GDIR for the Fig. 4 runs, and
# results/ablations/<sweep>/<setting> for an ablation setting (its override deep-merged over the
# config). Every Step and metrics job reads its inputs from the *canonical* run of that stage: the
# first run (Fig. 4 first, then the sweeps in config order) whose config for everything up to that
# stage is identical. So a sweep cell re-uses the Fig. 4 run, or another cell's Step I, whenever the
# two would have computed the same thing.
from functools import lru_cache

from alphabridge.config import AB_METHODS, variant_configs

G = config["gaussians"]
GDIR = "results/gaussians"
ADIR = "results/ablations"
BASELINES = ["rkl_gp", "rkl_sn"]
VARIANTS = variant_configs(config)  # "sweep/setting" -> full config
SWEEPS = config.get("ablations", {}).get("sweeps", {})

TRAIN_CODE = pkg(
    "config.py",
    "io.py",
    "errors.py",
    "divergence.py",
    "objectives.py",
    "models/batched.py",
    "models/conv.py",
    "data/gaussians.py",
    "device.py",
    "provenance.py",
    "train/loop.py",
    "train/state.py",
    "train/draws.py",
    "train/checkpoint.py",
    "train/schedule.py",
    "experiments/gaussians.py",
)
METRIC_CODE = pkg(
    "config.py",
    "io.py",
    "device.py",
    "provenance.py",
    "data/gaussians.py",
    "train/schedule.py",
    "experiments/gaussians.py",
    "experiments/gaussians_metrics.py",
    "metrics/kde.py",
    "metrics/gaussians.py",
)
FIG_CODE = pkg(
    "config.py", "io.py", "figures/gaussians.py", "experiments/gaussians_metrics.py"
)


def run_config(run):
    """The full config of a run directory."""
    if run == GDIR:
        return config
    return VARIANTS[run.removeprefix(f"{ADIR}/")]


def _dump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


# Each training rule receives only the config keys it reads (its `params`), so changing a
# Step III setting changes Step III's params and leaves Steps I and II cached.
def _train_shared(g):
    return {
        "trials": g["trials"],
        "seed": g["seed"],
        "save_every": g["save_every"],
        "model": g["model"],
        "optim": g["optim"],
        "eval": {k: g["eval"][k] for k in ("every", "n_samples")},
        "data": {k: v for k, v in g["data"].items() if k not in ("n_val", "n_test")},
    }


AB_KEYS = {
    "I": ["step1_iters", "sigma", "update_order", "d_reg", "gp_weight"],
    "II": [
        "step2_iters",
        "sigma",
        "update_order",
        "d_reg",
        "gp_weight",
        "schedule",
        "clamp_logw",
        "self_normalize",
    ],
    "III": ["step3_iters", "sigma", "update_order", "d_reg", "gp_weight"],
}


def step_json(step, run=GDIR):
    cfg = run_config(run)
    g = cfg["gaussians"]
    ab = {k: g["alpha_bridge"][k] for k in AB_KEYS[step]}
    out = {
        **runtime_keys(cfg),
        "gaussians": {**_train_shared(g), "alpha_bridge": ab},
    }
    if step == "II":
        out["gamma"] = cfg["gamma"]
    return _dump(out)


def baseline_json(method, run=GDIR):
    cfg = run_config(run)
    g = cfg["gaussians"]
    return _dump(
        {**runtime_keys(cfg), "gaussians": {**_train_shared(g), method: g[method]}}
    )


def metrics_json(method, run=GDIR):
    """The metrics need the evaluation protocol, and for alpha_bridge the Step lengths and schedule
    (to label each iteration's Step and alpha); nothing else."""
    g = run_config(run)["gaussians"]
    out = {"data": g["data"], "eval": g["eval"]}
    if method in AB_METHODS:
        out["alpha_bridge"] = {
            k: g["alpha_bridge"][k]
            for k in ("step1_iters", "step2_iters", "step3_iters", "schedule")
        }
    return _dump({"gaussians": out})


def _stage_key(run, method, stage):
    """Everything that decides a stage's output: the configs of it and of all stages before it."""
    if method not in AB_METHODS:
        parts = [baseline_json(method, run)]
    else:
        steps = {"I": 1, "II": 2, "III": 3, "samples": 3, "metrics": 3}[stage]
        parts = [step_json(s, run) for s in ("I", "II", "III")[:steps]]
    if stage == "metrics":
        parts.append(metrics_json(method, run))
    return "|".join(parts)


def _candidates(method, b1):
    """Runs that train `method` at beta1 `b1`, in canonical order (Fig. 4 first)."""
    fig4 = G["methods"] + G["generalisations"]
    out = [GDIR] if method in fig4 and float(b1) in G["beta1s"] else []
    for sweep, spec in SWEEPS.items():
        if method in spec["methods"] and float(b1) in spec["beta1s"]:
            out += [f"{ADIR}/{sweep}/{name}" for name in spec["settings"]]
    return out


@lru_cache(maxsize=None)
def canonical(run, method, b1, stage):
    """The run whose `stage` output this run shares (itself when none before it matches)."""
    key = _stage_key(run, method, stage)
    for cand in _candidates(method, b1):
        if _stage_key(cand, method, stage) == key:
            return cand
    return run


def fig1_json():
    ab = {
        k: G["alpha_bridge"][k] for k in sorted(set(AB_KEYS["I"]) | set(AB_KEYS["II"]))
    }
    g = {**_train_shared(G), "alpha_bridge": ab, "fig1": G["fig1"]}
    return _dump({**runtime_keys(config), "gamma": config["gamma"], "gaussians": g})


def full_json():
    return cfg_json("device", "precision", "gamma", "gaussians")


def all_metrics():
    return expand(f"{GDIR}/{{m}}/b1_{{b1}}/metrics.csv", m=G["methods"], b1=G["beta1s"])


def generalisation_metrics():
    return expand(
        f"{GDIR}/{{m}}/b1_{{b1}}/metrics.csv", m=G["generalisations"], b1=G["beta1s"]
    )


# --- ablation sweeps (rules in ablations.smk) -------------------------------------------------
ABL = config.get("ablations", {})
ABLATION_CODE = pkg("io.py", "config.py", "experiments/ablations.py")


def ablation_cells(sweep):
    spec = SWEEPS[sweep]
    cells = []
    for setting in spec["settings"]:
        run = f"{ADIR}/{sweep}/{setting}"
        lr = run_config(run)["gaussians"]["optim"]["lr"]
        for m in spec["methods"]:
            for b1 in spec["beta1s"]:
                src = canonical(run, m, str(b1), "metrics")
                cells.append(
                    {
                        "setting": setting,
                        "method": m,
                        "beta1": b1,
                        "lr": lr,
                        "metrics": f"{src}/{m}/b1_{b1}/final_metrics.csv",
                    }
                )
    return cells
