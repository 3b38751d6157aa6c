"""A run's training state: the models, optimisers and per-trial random streams of T trials, built
on a device, saved as a device-free payload and restored onto any device (a checkpoint written on
the CPU resumes on CUDA and back)."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from alphabridge.choices import AUXES, BN_STATS, D_REGS, ON_DIVERGENCE, one_of
from alphabridge.errors import CheckpointError
from alphabridge.models.batched import MLPConfig, build_aux, build_models, per_trial
from alphabridge.models.conv import ConvConfig, build_conv_aux, build_conv_models
from alphabridge.train.checkpoint import load_checkpoint

# How an optimiser runs, not what it has learnt: restored from the current optimiser, never from
# the saved one (a CPU checkpoint must not switch a CUDA run's fused Adam off, nor the reverse).
_IMPL_KEYS = ("fused", "foreach", "capturable", "differentiable")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What every method shares (one 25-Gaussians run = `trials` seeds trained together)."""

    trials: int
    seed: int
    lr: float
    beta1: float
    beta2: float
    batch_size: int
    eval_every: int
    n_eval: int
    save_every: int
    model: MLPConfig | ConvConfig
    d_reg: str  # none | gp | sn
    gp_weight: float
    log_every: int  # training-log rows every this many iterations (train/log.py)
    on_divergence: str  # freeze: a diverged trial is frozen and marked, the others go on | fail: stop the run
    sample_uint8: bool = False  # images: keep saved samples as uint8 (4x smaller checkpoints)
    aux: str = "none"  # section 3.3: none | latent (both marginals, g(z)) | joint (both joints, h(x, z))
    bn_stats: str = "running"  # images: G's BatchNorm statistics when it samples (train/sampling.py)

    def __post_init__(self):  # the loop and init_state dispatch on these: an unknown one must not train
        one_of("TrainConfig d_reg", self.d_reg, D_REGS)
        one_of("TrainConfig on_divergence", self.on_divergence, ON_DIVERGENCE)
        one_of("TrainConfig aux", self.aux, AUXES)
        one_of("TrainConfig bn_stats", self.bn_stats, BN_STATS)

    @property
    def seeds(self) -> list[int]:
        return [self.seed + k for k in range(self.trials)]


@dataclasses.dataclass
class TrainState:
    gen: torch.nn.Module
    disc: torch.nn.Module
    enc: torch.nn.Module
    opts: dict
    rngs: list  # per-trial CPU generators: the draws of trial k never depend on the other trials
    aux: torch.nn.Module | None = None  # the generalisations' latent or joint discriminator
    iteration: int = 0
    samples: dict = dataclasses.field(default_factory=dict)  # iteration -> [T, n, x_dim] (float32 or uint8)
    diverged: dict = dataclasses.field(default_factory=dict)  # trial -> its first non-finite iteration (any Step)
    log: list = dataclasses.field(default_factory=list)  # this job's training-log rows (train/log.py)

    @property
    def device(self) -> torch.device:
        return next(self.gen.parameters()).device


def adam(module: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Adam:
    """Fused Adam on CUDA (one kernel for all parameters, step counter on the GPU: no host sync);
    the default per-tensor Adam elsewhere, which keeps the CPU numerics of every published run."""
    fused = next(module.parameters()).device.type == "cuda"
    return torch.optim.Adam(module.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), fused=fused or None)


def init_state(cfg: TrainConfig, *, x_dim: int = 2, device="cpu") -> TrainState:
    """Models are initialised on the CPU from per-trial seeds (so every device starts from the
    same weights), then moved to `device`; optimisers are built there."""
    rngs = [torch.Generator().manual_seed(s) for s in cfg.seeds]
    if isinstance(cfg.model, ConvConfig):
        gen, disc, enc = build_conv_models(cfg=cfg.model, generators=rngs, d_spectral_norm=cfg.d_reg == "sn")
    else:
        gen, disc, enc = build_models(x_dim=x_dim, cfg=cfg.model, generators=rngs, d_spectral_norm=cfg.d_reg == "sn")
    gen, disc, enc = gen.to(device), disc.to(device), enc.to(device)
    state = TrainState(gen, disc, enc, {"g": adam(gen, cfg), "d": adam(disc, cfg), "e": adam(enc, cfg)}, rngs)
    if cfg.aux != "none":
        # own seeds, drawn after G/D/E: G, D, E and every training draw stay those of alpha_bridge
        aux_rngs = [torch.Generator().manual_seed(7_000_003 + s) for s in cfg.seeds]
        if isinstance(cfg.model, ConvConfig):
            state.aux = build_conv_aux(cfg.aux, cfg=cfg.model, generators=aux_rngs).to(device)
        else:
            state.aux = build_aux(cfg.aux, x_dim=x_dim, cfg=cfg.model, generators=aux_rngs).to(device)
        state.opts["a"] = adam(state.aux, cfg)
    return state


def reset_optimisers(state: TrainState, cfg: TrainConfig) -> None:
    """Fresh Adam (zero moments, step 0) for every network: what a Step starts from when it asks
    for it (alpha_bridge.reset_adam); by default a Step continues the previous Step's Adam state."""
    state.opts = {k: adam(getattr(state, name), cfg) for k, name in
                  (("g", "gen"), ("d", "disc"), ("e", "enc"), ("a", "aux")) if k in state.opts}


def modules(state: TrainState) -> tuple:
    """The state's networks (those a frozen trial is frozen in)."""
    return tuple(getattr(state, k) for k in _names(state))


def _names(state: TrainState) -> tuple[str, ...]:
    return ("gen", "disc", "enc") + (("aux",) if state.aux is not None else ())


def state_payload(state: TrainState) -> dict:
    return {
        "iteration": state.iteration,
        "models": {k: getattr(state, k).state_dict() for k in _names(state)},
        "optim": {k: o.state_dict() for k, o in state.opts.items()},
        "rng": [g.get_state() for g in state.rngs],
        "samples": state.samples,
        "diverged": state.diverged,
        "log": state.log,
    }


def _load_optimizer(opt: torch.optim.Optimizer, saved: dict) -> None:
    groups = [{**sg, **{k: g[k] for k in _IMPL_KEYS if k in g}} for sg, g in zip(saved["param_groups"], opt.param_groups)]
    opt.load_state_dict({**saved, "param_groups": groups})


def restore_state(state: TrainState, payload: dict, *, source: str) -> TrainState:
    """Load a payload (tensors on any device) into `state` on its own device."""
    try:
        for k in _names(state):
            getattr(state, k).load_state_dict(payload["models"][k])
        for k, o in state.opts.items():
            _load_optimizer(o, payload["optim"][k])
        if len(payload["rng"]) != len(state.rngs):
            raise ValueError(f"{len(payload['rng'])} trials saved, {len(state.rngs)} configured")
        for g, s in zip(state.rngs, payload["rng"]):
            g.set_state(s.cpu())  # the streams are CPU generators wherever the models are
    except (KeyError, RuntimeError, ValueError, TypeError) as e:
        raise CheckpointError(f"checkpoint {source} does not match this configuration: {e}") from e
    state.iteration = int(payload["iteration"])
    state.samples = dict(payload["samples"])
    state.diverged = dict(payload.get("diverged", {}))  # checkpoints from before per-trial divergence have none
    state.log = list(payload.get("log", []))
    return state


def restore_checkpoint(state: TrainState, path: str | Path) -> dict:
    """Restore `state` from a checkpoint file. The file is always read to the CPU and copied into
    the models and optimisers on their device; returns the payload (its metadata is wanted)."""
    payload = load_checkpoint(path)
    restore_state(state, payload, source=str(path))
    return payload


def eval_noise(cfg: TrainConfig, *, device="cpu") -> torch.Tensor:
    """Fixed evaluation noise per trial (its own stream), so curves compare like with like."""
    gens = [torch.Generator().manual_seed(10_000_019 + s) for s in cfg.seeds]
    return per_trial(gens, lambda g: torch.randn(cfg.n_eval, cfg.model.z_dim, generator=g)).to(device)
