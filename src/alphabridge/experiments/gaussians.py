"""25-Gaussians training (section 5.1): the stages of alpha-Bridge's Steps, the one-run baselines
and the Fig. 1 demo, each stage's config slice (its keys: alphabridge.keys) parsed into the typed spec the
shared runner (train/run.py) takes. The image experiments reuse these parsers on their
`images.runs.<dataset>` section."""
from __future__ import annotations

from pathlib import Path

from alphabridge import methods
from alphabridge.typed import GammaConfig, from_dict
from alphabridge.data.gaussians import GaussiansData, make_splits
from alphabridge.models.batched import MLPConfig
from alphabridge.objectives import WeightOptions
from alphabridge.train.loop import Segment
from alphabridge.train.run import ForgettingSpec, RunSpec, forgetting_runs, run_training
from alphabridge.train.state import TrainConfig


def train_config(g: dict, *, method: str, beta1: float, model=None, sample_uint8: bool = False) -> TrainConfig:
    """Reads the shared sections plus the method's discriminator regulariser, nothing else.
    `model` overrides the MLP built from g['model'] (the image experiments pass a conv config)."""
    m = methods.get(method)
    if m.steps:  # a Step-wise method's own d_reg (alpha_bridge_gp) replaces the section's
        d_reg, gp_weight = m.d_reg or g["alpha_bridge"]["d_reg"], g["alpha_bridge"]["gp_weight"]
    else:
        d_reg, gp_weight = m.d_reg, g[method]["gp_weight"] if m.d_reg == "gp" else 0.0
    return TrainConfig(
        trials=g["trials"], seed=g["seed"], lr=g["optim"]["lr"], beta1=beta1, beta2=g["optim"]["beta2"],
        batch_size=g["optim"]["batch_size"], eval_every=g["eval"]["every"], n_eval=g["eval"]["n_samples"],
        save_every=g["save_every"], model=model or from_dict(MLPConfig, g["model"]), d_reg=d_reg, gp_weight=gp_weight,
        log_every=g["log_every"], on_divergence=g["on_divergence"], sample_uint8=sample_uint8, aux=m.aux,
    )


def segment(g: dict, *, gamma: dict | None, method: str, step: str) -> Segment:
    """The Segment of one Step; reads only that Step's keys (so the rules can pass just those)."""
    m = methods.get(method)
    if not m.steps:
        if step != "-":
            raise ValueError(f"method {method} trains in one run (step '-'), not step {step!r}")
        return Segment(name="-", kind=m.loss, iters=one_run_iters(g, method), train_encoder=False)
    ab = g["alpha_bridge"]
    if m.fold_step2 and step == "II":  # Step I then Step III with Step II's updates: the same G updates in all
        ab = {**ab, "step2_iters": 0}
    if m.fold_step2 and step == "III":
        ab = {**ab, "step3_iters": ab["step2_iters"] + ab["step3_iters"]}
    if method != "alpha_bridge" and ab["update_order"] != "joint":
        raise ValueError(f"{method} updates theta and phi jointly; alpha_bridge.update_order "
                         f"{ab['update_order']!r} applies to alpha_bridge only")
    common = dict(sigma=ab["sigma"], update_order=ab["update_order"])
    if step == "I":
        return Segment(name="I", kind="ml", iters=ab["step1_iters"], lr=ab["step1_lr"], **common)
    if step == "II":
        return Segment(name="II", kind="bridge", iters=ab["step2_iters"], schedule=ab["schedule"],
                       gamma=from_dict(GammaConfig, gamma), reset_adam=ab["reset_adam"],
                       weights=WeightOptions(clamp_logw=ab["clamp_logw"], self_normalize=ab["self_normalize"]),
                       **common)
    if step == "III":  # the generalisations' surrogate at alpha = gamma = 1 uses the paper's plain weights
        # (alpha_bridge.clamp_logw / self_normalize stabilise Step II only)
        return Segment(name="III", kind="rkl", iters=ab["step3_iters"], reset_adam=ab["reset_adam"],
                       weights=WeightOptions(clamp_logw=None, self_normalize=False), **common)
    raise ValueError(f"alpha_bridge has steps I, II, III, not {step!r}")


def one_run_iters(g: dict, method: str) -> int:
    """A one-run method's length: its own section's iters, or alpha-Bridge's three Steps in all."""
    if methods.get(method).length == "steps":
        return sum(g["alpha_bridge"][f"step{i}_iters"] for i in (1, 2, 3))
    return g[method]["iters"]


def run_spec(raw: dict, section: dict, *, method: str, beta1: float, step: str, model=None,
             sample_uint8: bool = False) -> RunSpec:
    return RunSpec(raw=raw, method=method, beta1=beta1, step=step,
                   train=train_config(section, method=method, beta1=beta1, model=model, sample_uint8=sample_uint8),
                   segment=segment(section, gamma=raw.get("gamma"), method=method, step=step))


def forgetting_spec(raw: dict, section: dict, *, model=None, sample_uint8: bool = False) -> ForgettingSpec:
    f1 = section["fig1"]
    tcfg = train_config(section, method="alpha_bridge", beta1=f1["beta1"], model=model, sample_uint8=sample_uint8)
    return ForgettingSpec(raw=raw, train=tcfg, bridge=segment(section, gamma=raw["gamma"], method="alpha_bridge",
                                                              step="II"),
                          finetune_iters=f1["finetune_iters"], snapshots=tuple(f1["snapshots"]))


def _data(raw: dict) -> GaussiansData:
    """Training reads the train split only: it is drawn first, so the held-out sizes never change it."""
    return from_dict(GaussiansData, {**raw["gaussians"]["data"], "n_val": 0, "n_test": 0})


def parse_train(raw: dict, *, method, beta1, step, **_) -> tuple[RunSpec, GaussiansData]:
    """The gaussians_train stage's slice -> (the run's spec, the training data)."""
    return run_spec(raw, raw["gaussians"], method=method, beta1=float(beta1), step=step), _data(raw)


def parse_fig1(raw: dict, **_) -> tuple[ForgettingSpec, GaussiansData]:
    """The gaussians_fig1_data stage's slice -> (Fig. 1's spec, the training data)."""
    return forgetting_spec(raw, raw["gaussians"]), _data(raw)


def train_step(*, spec: RunSpec, data: GaussiansData, in_ckpt: Path | None, out_ckpt: Path,
               samples_out: Path | None, resume_path: Path | None, progress: bool = True) -> None:
    """Run one Step (alpha_bridge) or the whole run (baselines, step '-') and write its checkpoint."""
    run_training(spec=spec, train=make_splits(data)["train"], x_dim=2, in_ckpt=in_ckpt, out_ckpt=out_ckpt,
                 samples_out=samples_out, resume_path=resume_path, progress=progress)


def forgetting_demo(*, spec: ForgettingSpec, data: GaussiansData, step1_ckpt: Path, out_npz: Path) -> None:
    """Fig. 1 on 25-Gaussians (see train.run.forgetting_runs)."""
    forgetting_runs(spec=spec, train=make_splits(data)["train"], x_dim=2, step1_ckpt=step1_ckpt, out_npz=out_npz)
