# 25-Gaussians: shared paths, code inputs and the config slices each rule receives (no rules here).

G = config["gaussians"]
GDIR = "results/gaussians"
BASELINES = [m for m in G["methods"] if m != "alpha_bridge"]

TRAIN_CODE = pkg(
    "config.py",
    "io.py",
    "errors.py",
    "divergence.py",
    "objectives.py",
    "models/batched.py",
    "data/gaussians.py",
    "train/loop.py",
    "train/checkpoint.py",
    "train/schedule.py",
    "experiments/gaussians.py",
)
METRIC_CODE = pkg(
    "config.py",
    "io.py",
    "provenance.py",
    "data/gaussians.py",
    "train/schedule.py",
    "experiments/gaussians.py",
    "experiments/gaussians_metrics.py",
    "metrics/kde.py",
    "metrics/gaussians.py",
)
FIG_CODE = pkg("config.py", "io.py", "figures/gaussians.py")


# Each training rule receives only the config keys it reads (its `params`), so changing a
# Step III setting changes Step III's params and leaves Steps I and II cached.
TRAIN_SHARED = {
    "trials": G["trials"],
    "seed": G["seed"],
    "save_every": G["save_every"],
    "model": G["model"],
    "optim": G["optim"],
    "eval": {k: G["eval"][k] for k in ("every", "n_samples")},
    "data": {k: v for k, v in G["data"].items() if k not in ("n_val", "n_test")},
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


def _dump(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def step_json(step):
    ab = {k: G["alpha_bridge"][k] for k in AB_KEYS[step]}
    out = {
        "device": config["device"],
        "gaussians": {**TRAIN_SHARED, "alpha_bridge": ab},
    }
    if step == "II":
        out["gamma"] = config["gamma"]
    return _dump(out)


def baseline_json(method):
    return _dump(
        {"device": config["device"], "gaussians": {**TRAIN_SHARED, method: G[method]}}
    )


def metrics_json(method):
    """The metrics need the evaluation protocol, and for alpha_bridge the Step lengths and schedule
    (to label each iteration's Step and alpha); nothing else."""
    g = {"data": G["data"], "eval": G["eval"]}
    if method == "alpha_bridge":
        g["alpha_bridge"] = {
            k: G["alpha_bridge"][k]
            for k in ("step1_iters", "step2_iters", "step3_iters", "schedule")
        }
    return _dump({"gaussians": g})


def fig1_json():
    ab = {
        k: G["alpha_bridge"][k] for k in sorted(set(AB_KEYS["I"]) | set(AB_KEYS["II"]))
    }
    g = {**TRAIN_SHARED, "alpha_bridge": ab, "fig1": G["fig1"]}
    return _dump({"device": config["device"], "gamma": config["gamma"], "gaussians": g})


def full_json():
    return cfg_json("device", "gamma", "gaussians")


def all_metrics():
    return expand(f"{GDIR}/{{m}}/b1_{{b1}}/metrics.csv", m=G["methods"], b1=G["beta1s"])
