"""The random search's draw (Lucic et al. 2018's protocol): K configurations per method from the
ranges of config.yaml's `search` section, as generated sweeps whose settings are ordinary ablation
overrides (so each configuration is a normal cached run under results/ablations/search_s<seed>_<method>/).

Each seed of `search.seeds` is one independent draw. A draw is a pure function of the config: the same
seed gives the same settings on any machine (numpy's PCG64 stream, one per method, seeded from (seed,
CRC-32 of the method's name), so adding a method to `search.methods` never changes another method's
draw). The search is symmetric: every penalised discriminator draws its penalty weight from the same
range (RKL-GP always, alpha-Bridge when its drawn regulariser is gp), and every
`paper_estimator_every`-th alpha-Bridge configuration is the paper's estimator (sigmoid gamma, plain D,
no weight stabiliser). NumPy only: the workflow imports this to build the DAG."""
from __future__ import annotations

import math
import zlib

import numpy as np

from alphabridge.choices import STABILISERS, one_of
from alphabridge.methods import AB_METHODS


def _log_uniform(rng, lo: float, hi: float) -> float:
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


def _sig(x: float, digits: int = 3) -> float:
    """Rounded to `digits` significant figures: the table shows the value the run used, exactly."""
    return float(f"{x:.{digits}g}")


def _steps(rng, total: int, unit: int) -> tuple[int, int, int]:
    """Step I, II, III lengths in multiples of `unit` summing to `total`: Step I and III at least one
    unit each, Step II possibly 0 (Step I length uniform, then Step II uniform over what is left)."""
    n = total // unit
    s1 = int(rng.integers(1, n))             # 1 .. n-1 units
    s2 = int(rng.integers(0, n - s1))        # 0 .. n-s1-1 units: Step III keeps >= 1
    return s1 * unit, s2 * unit, (n - s1 - s2) * unit


def _draw_one(rng, r: dict, method: str, iters: int, *, paper: bool) -> tuple[float, dict, dict]:
    """One configuration: (beta1, override, the drawn values as flat columns for the table). `paper`:
    alpha-Bridge's configuration is the paper's estimator (its other knobs drawn as usual)."""
    s = r["shared"]
    lr = _sig(_log_uniform(rng, *s["lr"]))
    beta1 = round(float(rng.uniform(*s["beta1"])), 2)  # 2 decimals: it is part of the run's path
    hidden = int(rng.choice(s["hidden"]))
    batch = int(rng.choice(s["batch_size"]))
    z_dim = int(rng.choice(s["z_dim"]))
    g = {"model": {"hidden": hidden, "z_dim": z_dim}, "optim": {"lr": lr, "batch_size": batch}}
    values = {"lr": lr, "beta1": beta1, "hidden": hidden, "batch_size": batch, "z_dim": z_dim}
    over: dict = {"gaussians": g}
    if method == "rkl_gp":
        w = _sig(_log_uniform(rng, *s["gp_weight"]))
        g["rkl_gp"] = {"iters": iters, "gp_weight": w}
        values["gp_weight"] = w
    elif method in AB_METHODS:
        a = r["alpha_bridge"]
        sigma = _sig(_log_uniform(rng, *a["sigma"]))
        s1, s2, s3 = _steps(rng, iters, a["step_unit"])
        kind = str(rng.choice(a["gamma_kind"]))
        c = _sig(_log_uniform(rng, *a["gamma_c"]))
        centre = round(float(rng.uniform(*a["gamma_centre"])), 2)
        stab = str(rng.choice(a["stabiliser"]))
        # the draw maps it onto clamp_logw / self_normalize below: an unknown one would quietly be none
        one_of("search.ranges.alpha_bridge.stabiliser", stab, STABILISERS)
        d_reg = str(rng.choice(a["d_reg"]))
        w = _sig(_log_uniform(rng, *s["gp_weight"]))  # drawn every time: one stream whatever d_reg is
        if paper:  # the same number of draws as any configuration: the stream stays aligned
            kind, stab, d_reg = "sigmoid", "none", "none"
        # d = -c * centre puts the sigmoid's switch from F to R at alpha = centre; unused when hard
        gamma = {"kind": kind, "c": c, "d": _sig(-c * centre)} if kind == "sigmoid" else {"kind": kind}
        ab = {"step1_iters": s1, "step2_iters": s2, "step3_iters": s3, "sigma": sigma, "d_reg": d_reg,
              "clamp_logw": a["clamp_logw"] if stab == "clamp_logw" else None,
              "self_normalize": stab == "self_normalize", **({"gp_weight": w} if d_reg == "gp" else {})}
        g["alpha_bridge"] = ab
        over["gamma"] = gamma
        values |= {"sigma": sigma, "step1_iters": s1, "step2_iters": s2, "step3_iters": s3, "gamma_kind": kind,
                   "gamma_c": gamma.get("c"), "gamma_d": gamma.get("d"), "stabiliser": stab, "d_reg": d_reg,
                   "gp_weight": w if d_reg == "gp" else None, "paper_estimator": paper}
    else:
        g[method] = {"iters": iters}
    return beta1, over, values


def draw(search: dict, method: str, *, seed: int) -> dict[str, dict]:
    """Draw `seed`'s K configurations of `method`: {setting name: {"beta1", "override", "values"}}."""
    rng = np.random.default_rng([seed, zlib.crc32(method.encode())])
    every = search["ranges"]["alpha_bridge"]["paper_estimator_every"]
    out = {}
    for k in range(search["configs"]):
        paper = method in AB_METHODS and every > 0 and k % every == 0  # c01, c04, ... for every = 3
        beta1, override, values = _draw_one(rng, search["ranges"], method, search["iters"], paper=paper)
        override["gaussians"]["trials"] = search["trials"]
        out[f"c{k + 1:02d}"] = {"beta1": beta1, "override": override, "values": values}
    return out


def sweep_name(seed: int, method: str) -> str:
    return f"search_s{seed}_{method}"


def search_sweeps(config: dict) -> dict[str, dict]:
    """The search as sweeps in the ablations' format, one per draw and method
    (`search_s<seed>_<method>`), plus `beta1_of`: each setting's own beta1 (drawn per configuration,
    so not the sweep's grid) and `draw`: its seed."""
    search = config.get("search")
    if not search:
        return {}
    out = {}
    for seed, m in ((seed, m) for seed in search["seeds"] for m in search["methods"]):
        drawn = draw(search, m, seed=seed)
        out[sweep_name(seed, m)] = {"methods": [m], "draw": seed,
                                    "beta1s": sorted({d["beta1"] for d in drawn.values()}),
                                    "settings": {name: d["override"] for name, d in drawn.items()},
                                    "beta1_of": {name: [d["beta1"]] for name, d in drawn.items()}}
    return out
