# 25-Gaussians: which run directory each stage reads from (no rules here).
#
# A *run* is the directory one configuration trains into: GDIR for the Fig. 4 runs, and
# results/ablations/<sweep>/<setting> for an ablation setting (its override deep-merged over the
# config). Every Step and metrics job reads its inputs from the *canonical* run of that stage: the
# first run (Fig. 4 first, then the sweeps in config order, then the search, then the confirmation)
# whose config slices of that stage and of all stages before it (as the stage declarations pick
# them) are identical. So a sweep cell
# re-uses the Fig. 4 run, or another cell's Step I, whenever the two would compute the same thing.
from functools import lru_cache

from alphabridge.config import variant_configs
from alphabridge.experiments.confirm_arms import confirm_sweeps
from alphabridge.experiments.search_draw import search_sweeps

G = config["gaussians"]
GDIR = "results/gaussians"
ADIR = "results/ablations"
VARIANTS = variant_configs(config)  # "sweep/setting" -> full config
SWEEPS = config.get("ablations", {}).get("sweeps", {})
# the random search's drawn configurations: sweeps search_s<seed>_<method>, each setting at its own beta1
SEARCH = search_sweeps(config)
# the held-out confirmation's arms: sweeps confirm_<method>, each arm at its own beta1s
CONFIRM = confirm_sweeps(config)
RUN_SWEEPS = {**SWEEPS, **SEARCH, **CONFIRM}
STEP_OF = {"step1": "I", "step2": "II", "step3": "III"}


def run_config(run):
    """The full config of a run directory."""
    if run == GDIR:
        return config
    return VARIANTS[run.removeprefix(f"{ADIR}/")]


def train_json(run, method, step):
    return stage_json("gaussians_train", run_config(run), method=method, step=step)


def metrics_json(run, method):
    return stage_json("gaussians_metrics", run_config(run), method=method)


def _stage_key(run, method, stage):
    """Everything that decides a stage's output: the slices of it and of all stages before it."""
    steps = ("I", "II", "III") if methods.get(method).steps else ("-",)
    upto = {"I": 1, "II": 2}.get(stage, 3)
    parts = [train_json(run, method, s) for s in steps[:upto]]
    return "|".join(parts + ([metrics_json(run, method)] if stage == "metrics" else []))


def _candidates(method, b1):
    """Runs that train `method` at beta1 `b1`, in canonical order (Fig. 4 first)."""
    fig4 = G["methods"] + G["generalisations"]
    out = [GDIR] if method in fig4 and float(b1) in G["beta1s"] else []
    for sweep, spec in RUN_SWEEPS.items():
        if method in spec["methods"]:
            b1s = spec.get("beta1_of", {})
            out += [
                f"{ADIR}/{sweep}/{name}"
                for name in spec["settings"]
                if float(b1) in b1s.get(name, spec["beta1s"])
            ]
    return out


@lru_cache(maxsize=None)
def canonical(run, method, b1, stage):
    """The run whose `stage` output this run shares (itself when none before it matches)."""
    key = _stage_key(run, method, stage)
    for cand in _candidates(method, b1):
        if _stage_key(cand, method, stage) == key:
            return cand
    return run


def shared(run, method, b1, stage, name):
    """The path of file `name` of `method` at `b1` in the canonical run of `stage`."""
    return f"{canonical(run, method, b1, stage)}/{method}/b1_{b1}/{name}"


def all_metrics(key="methods"):
    return expand(f"{GDIR}/{{m}}/b1_{{b1}}/metrics.csv", m=G[key], b1=G["beta1s"])


def ablation_cells(sweep):
    spec = SWEEPS[sweep]
    cells = []
    for setting in spec["settings"]:
        run = f"{ADIR}/{sweep}/{setting}"
        lr = run_config(run)["gaussians"]["optim"]["lr"]
        for m in spec["methods"]:
            for b1 in spec["beta1s"]:
                metrics = shared(run, m, str(b1), "metrics", "final_metrics.csv")
                cells.append(
                    {
                        "setting": setting,
                        "method": m,
                        "beta1": b1,
                        "lr": lr,
                        "metrics": metrics,
                    }
                )
    return cells


def search_cells():
    """The random search's cells: one per draw, method and drawn configuration."""
    cells = []
    for sweep, spec in SEARCH.items():
        m = spec["methods"][0]
        for name in spec["settings"]:
            b1 = str(spec["beta1_of"][name][0])
            run = f"{ADIR}/{sweep}/{name}"
            metrics = shared(run, m, b1, "metrics", "final_metrics.csv")
            cells.append(
                {"draw": spec["draw"], "method": m, "config": name, "metrics": metrics}
            )
    return cells


def confirm_cells():
    """The confirmation's cells: one per arm and beta1, in config order."""
    cells = []
    for arm in config.get("confirm", {}).get("arms", []):
        m = arm["method"]
        for b1 in CONFIRM[f"confirm_{m}"]["beta1_of"][arm["name"]]:
            run = f"{ADIR}/confirm_{m}/{arm['name']}"
            metrics = shared(run, m, str(b1), "metrics", "final_metrics.csv")
            cells.append(
                {"arm": arm["name"], "method": m, "beta1": b1, "metrics": metrics}
            )
    return cells
