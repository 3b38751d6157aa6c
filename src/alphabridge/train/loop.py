"""The training loop shared by every method. One call of `run_segment` trains one Step of
alpha-Bridge (I: maximum likelihood, II: the alpha bridge, III: reverse KL) or a whole baseline
run; what differs between them is the Segment description, not the code."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from alphabridge import objectives as obj
from alphabridge.config import GammaConfig
from alphabridge.divergence import gamma_alpha
from alphabridge.models.batched import MLPConfig, build_aux, build_models, per_trial
from alphabridge.models.conv import ConvConfig, build_conv_aux, build_conv_models
from alphabridge.errors import CheckpointError, TrainingDiverged
from alphabridge.train.checkpoint import load_checkpoint, save_checkpoint
from alphabridge.train.schedule import alpha_at


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What every method shares (one 25-Gaussians run = `trials` seeds trained together)."""

    trials: int = 10
    seed: int = 0
    lr: float = 1e-3
    beta1: float = 0.5
    beta2: float = 0.999
    batch_size: int = 256
    eval_every: int = 250
    n_eval: int = 2000
    save_every: int = 500
    model: MLPConfig | ConvConfig = MLPConfig()
    d_reg: str = "none"  # none | gp | sn
    gp_weight: float = 0.1
    sample_uint8: bool = False  # images: keep saved samples as uint8 (4x smaller checkpoints)
    aux: str = "none"  # section 3.3: none | latent (both marginals, g(z)) | joint (both joints, h(x, z))

    @property
    def seeds(self) -> list[int]:
        return [self.seed + k for k in range(self.trials)]


@dataclasses.dataclass(frozen=True)
class Segment:
    name: str  # "I", "II", "III", or "-" for a baseline
    kind: str  # "ml" (ELBO), "bridge" (surrogate 16), "rkl" (eq. 7), "ns" (non-saturating JS, DCGAN)
    iters: int
    train_encoder: bool = True
    sigma: float = 0.1  # decoder std of the surrogate p~(x|z) (eq. 13)
    schedule: str = "linear"
    gamma: GammaConfig = GammaConfig()
    weights: obj.WeightOptions = obj.WeightOptions()
    update_order: str = "joint"  # joint: G and E from the same state; sequential: Algorithm 1 literally


@dataclasses.dataclass
class TrainState:
    gen: torch.nn.Module
    disc: torch.nn.Module
    enc: torch.nn.Module
    opts: dict
    rngs: list
    aux: torch.nn.Module | None = None  # the generalisations' latent or joint discriminator
    iteration: int = 0
    samples: dict = dataclasses.field(default_factory=dict)  # iteration -> [T, n, x_dim] (float32 or uint8)


def init_state(cfg: TrainConfig, *, x_dim: int = 2, device="cpu") -> TrainState:
    rngs = [torch.Generator().manual_seed(s) for s in cfg.seeds]
    if isinstance(cfg.model, ConvConfig):
        gen, disc, enc = build_conv_models(cfg=cfg.model, generators=rngs, d_spectral_norm=cfg.d_reg == "sn")
    else:
        gen, disc, enc = build_models(x_dim=x_dim, cfg=cfg.model, generators=rngs, d_spectral_norm=cfg.d_reg == "sn")
    gen, disc, enc = gen.to(device), disc.to(device), enc.to(device)
    adam = lambda m: torch.optim.Adam(m.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))  # noqa: E731
    state = TrainState(gen, disc, enc, {"g": adam(gen), "d": adam(disc), "e": adam(enc)}, rngs)
    if cfg.aux != "none":
        # own seeds, drawn after G/D/E: G, D, E and every training draw stay those of alpha_bridge
        aux_rngs = [torch.Generator().manual_seed(7_000_003 + s) for s in cfg.seeds]
        if isinstance(cfg.model, ConvConfig):
            state.aux = build_conv_aux(cfg.aux, cfg=cfg.model, generators=aux_rngs).to(device)
        else:
            state.aux = build_aux(cfg.aux, x_dim=x_dim, cfg=cfg.model, generators=aux_rngs).to(device)
        state.opts["a"] = adam(state.aux)
    return state


def _modules(state: TrainState) -> tuple[str, ...]:
    return ("gen", "disc", "enc") + (("aux",) if state.aux is not None else ())


def state_payload(state: TrainState) -> dict:
    return {
        "iteration": state.iteration,
        "models": {k: getattr(state, k).state_dict() for k in _modules(state)},
        "optim": {k: o.state_dict() for k, o in state.opts.items()},
        "rng": [g.get_state() for g in state.rngs],
        "samples": state.samples,
    }


def restore_state(state: TrainState, payload: dict, *, source: str) -> TrainState:
    try:
        for k in _modules(state):
            getattr(state, k).load_state_dict(payload["models"][k])
        for k, o in state.opts.items():
            o.load_state_dict(payload["optim"][k])
        if len(payload["rng"]) != len(state.rngs):
            raise ValueError(f"{len(payload['rng'])} trials saved, {len(state.rngs)} configured")
        for g, s in zip(state.rngs, payload["rng"]):
            g.set_state(s)
    except (KeyError, RuntimeError, ValueError) as e:
        raise CheckpointError(f"checkpoint {source} does not match this configuration: {e}") from e
    state.iteration = int(payload["iteration"])
    state.samples = dict(payload["samples"])
    return state


def eval_noise(cfg: TrainConfig, *, device="cpu") -> torch.Tensor:
    """Fixed evaluation noise per trial (its own stream), so curves compare like with like."""
    gens = [torch.Generator().manual_seed(10_000_019 + s) for s in cfg.seeds]
    return per_trial(gens, lambda g: torch.randn(cfg.n_eval, cfg.model.z_dim, generator=g)).to(device)


def _set_grads(module, loss) -> None:
    params = list(module.parameters())
    for p, g in zip(params, torch.autograd.grad(loss, params)):
        p.grad = g


def _apply(opt, module, loss) -> None:
    _set_grads(module, loss)
    opt.step()


def _check(loss: torch.Tensor, *, what: str, seg: Segment, it: int) -> None:
    if not torch.isfinite(loss):
        raise TrainingDiverged(f"Step {seg.name}, iteration {it}: {what} loss is {float(loss.detach())}")


def _draws(state: TrainState, cfg: TrainConfig, train: torch.Tensor) -> dict:
    b, zd, dev = cfg.batch_size, cfg.model.z_dim, train.device
    idx = per_trial(state.rngs, lambda g: torch.randint(len(train), (b,), generator=g)).to(dev)
    noise = per_trial(state.rngs, lambda g: torch.randn(b, 3 * zd + 1, generator=g)).to(dev)
    x = train[idx]
    if x.dtype == torch.uint8:  # images are kept as uint8 (4x less memory) and scaled per batch
        x = x.float() / 127.5 - 1
    return {
        "x": x,
        "eps": noise[..., :zd],  # reparameterisation of q_phi(z|x)
        "z_g": noise[..., zd : 2 * zd],  # prior draws for the generator loss
        "z_d": noise[..., 2 * zd : 3 * zd],  # prior draws for the discriminator's fakes
        "u": torch.special.ndtr(noise[..., 3 * zd :]),  # U(0,1) for the gradient-penalty interpolation
    }


def _generalised(state, cfg: TrainConfig, seg: Segment, r: dict, alpha: float, gamma: float, it: int) -> dict:
    """Section 3.3 (Steps II and III of the generalisations): theta and phi both follow the
    surrogate, phi no longer the ELBO; both gradients from the same state, then both steps."""
    gen, enc, opts = state.gen, state.enc, state.opts
    kw = dict(x_real=r["x"], eps=r["eps"], z_prior=r["z_g"], gen=gen, enc=enc, alpha=alpha, gamma=gamma,
              sigma=seg.sigma, weights=seg.weights)
    if cfg.aux == "joint":
        lg, le, stats = obj.joint_bridge_losses(jdisc=state.aux, **kw)
    else:
        with torch.no_grad():
            z_post = obj.posterior_sample(enc, r["x"], r["eps"])[0]
        lg, stats = obj.alpha_bridge_generator_loss(x_real=r["x"], z_post=z_post, z_prior=r["z_g"], gen=gen,
                                                    disc=state.disc, alpha=alpha, gamma=gamma, sigma=seg.sigma,
                                                    weights=seg.weights)
        le, s = obj.latent_bridge_encoder_loss(zdisc=state.aux, **kw)
        stats.update(s)
    _check(lg, what="generator", seg=seg, it=it)
    _check(le, what="encoder", seg=seg, it=it)
    _set_grads(gen, lg)
    _set_grads(enc, le)
    opts["g"].step()
    opts["e"].step()
    return {**stats, "alpha": alpha}


def _generator_and_encoder(state, cfg: TrainConfig, seg: Segment, r: dict, i: int, it: int) -> dict:
    gen, disc, enc, opts = state.gen, state.disc, state.enc, state.opts
    if cfg.aux != "none" and seg.train_encoder and seg.kind in ("bridge", "rkl"):
        if seg.kind == "rkl":  # Step III: the surrogate's alpha = gamma = 1 end
            return _generalised(state, cfg, seg, r, 1.0, 1.0, it)
        alpha = alpha_at(i, seg.iters, kind=seg.schedule)
        gamma = float(gamma_alpha(alpha, kind=seg.gamma.kind, c=seg.gamma.c, d=seg.gamma.d))
        return _generalised(state, cfg, seg, r, alpha, gamma, it)
    if seg.kind == "ml":  # Step I: theta and phi jointly maximise the ELBO
        loss = obj.negative_elbo(r["x"], gen=gen, enc=enc, sigma=seg.sigma, eps=r["eps"])
        _check(loss, what="negative ELBO", seg=seg, it=it)
        params = list(gen.parameters()) + list(enc.parameters())
        grads = torch.autograd.grad(loss, params)
        for p, g in zip(params, grads):
            p.grad = g
        opts["g"].step()
        opts["e"].step()
        return {"elbo": -float(loss.detach())}

    stats = {}
    if seg.kind == "bridge":
        alpha = alpha_at(i, seg.iters, kind=seg.schedule)
        gamma = float(gamma_alpha(alpha, kind=seg.gamma.kind, c=seg.gamma.c, d=seg.gamma.d))

        def g_loss():
            with torch.no_grad():  # z ~ q_phi(z|x), detached from phi
                z_post = obj.posterior_sample(enc, r["x"], r["eps"])[0]
            loss, s = obj.alpha_bridge_generator_loss(
                x_real=r["x"], z_post=z_post, z_prior=r["z_g"], gen=gen, disc=disc,
                alpha=alpha, gamma=gamma, sigma=seg.sigma, weights=seg.weights,
            )
            stats.update(s, alpha=alpha)
            return loss
    elif seg.kind == "ns":  # DCGAN's non-saturating generator loss
        def g_loss():
            return obj.nonsaturating_generator_loss(disc(gen(r["z_g"])))
    else:  # reverse KL, eq. (7)
        def g_loss():
            return obj.reverse_kl_generator_loss(disc(gen(r["z_g"])))

    def e_loss():
        return obj.negative_elbo(r["x"], gen=gen, enc=enc, sigma=seg.sigma, eps=r["eps"])

    if not seg.train_encoder:
        lg = g_loss()
        _check(lg, what="generator", seg=seg, it=it)
        _apply(opts["g"], gen, lg)
    elif seg.update_order == "sequential":  # Algorithm 1: theta, then phi on the updated theta
        lg = g_loss()
        _check(lg, what="generator", seg=seg, it=it)
        _apply(opts["g"], gen, lg)
        le = e_loss()
        _check(le, what="encoder ELBO", seg=seg, it=it)
        _apply(opts["e"], enc, le)
    else:  # joint: both gradients from the same pre-update state
        lg, le = g_loss(), e_loss()
        _check(lg, what="generator", seg=seg, it=it)
        _check(le, what="encoder ELBO", seg=seg, it=it)
        _set_grads(gen, lg)  # both gradients before either step: the steps are in place
        _set_grads(enc, le)
        opts["g"].step()
        opts["e"].step()
    return stats


def _discriminator(state, cfg: TrainConfig, seg: Segment, r: dict, it: int) -> None:
    with torch.no_grad():
        fake = state.gen(r["z_d"])
    loss = obj.discriminator_loss(state.disc(r["x"]), state.disc(fake))
    if cfg.d_reg == "gp":
        loss = loss + cfg.gp_weight * obj.gradient_penalty(state.disc, r["x"], fake, r["u"])
    _check(loss, what="discriminator", seg=seg, it=it)
    _apply(state.opts["d"], state.disc, loss)
    if state.aux is not None:  # trained in every Step, like D, so it is near-optimal when Step II starts
        with torch.no_grad():
            z_post = obj.posterior_sample(state.enc, r["x"], r["eps"])[0]
        if cfg.aux == "latent":  # g(z) = log p(z) - log q_phi(z): prior draws are 'real'
            loss = obj.discriminator_loss(state.aux(r["z_d"]), state.aux(z_post))
        else:  # h(x, z) = log q_phi(x, z) - log p_theta(x, z): data pairs are 'real'
            loss = obj.discriminator_loss(state.aux(r["x"], z_post), state.aux(fake, r["z_d"]))
        _check(loss, what="auxiliary discriminator", seg=seg, it=it)
        _apply(state.opts["a"], state.aux, loss)


def run_segment(
    state: TrainState, *, seg: Segment, cfg: TrainConfig, train: torch.Tensor, eval_z: torch.Tensor,
    resume_path: Path | None = None, fingerprint: str = "", progress: bool = True, max_iters: int | None = None,
) -> TrainState:
    """Train `seg.iters` iterations from state.iteration; samples at every eval point and at the
    end go to state.samples. With resume_path, the full state is saved there atomically every
    cfg.save_every iterations and picked up again if the job is killed and re-run. max_iters stops
    early (the alpha schedule still spans seg.iters): used by the Fig. 1 demo."""
    start = state.iteration
    if resume_path is not None and Path(resume_path).exists():
        saved = load_checkpoint(resume_path)
        if saved.get("fingerprint") == fingerprint and saved.get("segment_start") == start:
            restore_state(state, saved, source=str(resume_path))
            print(f"resuming Step {seg.name} from iteration {state.iteration} ({resume_path})", file=sys.stderr)
        else:
            print(f"ignoring stale resume file {resume_path} (other config or input)", file=sys.stderr)
    end = start + (seg.iters if max_iters is None else min(seg.iters, max_iters))
    bar = tqdm(total=end - start, initial=state.iteration - start, desc=f"Step {seg.name}", disable=not progress,
               mininterval=5.0, file=sys.stderr)
    while state.iteration < end:
        it = state.iteration + 1
        r = _draws(state, cfg, train)
        stats = _generator_and_encoder(state, cfg, seg, r, it - start - 1, it)
        _discriminator(state, cfg, seg, r, it)
        state.iteration = it
        if it % cfg.eval_every == 0 or it == end:
            state.samples[it] = generate(state.gen, eval_z, as_uint8=cfg.sample_uint8)
        if resume_path is not None and it % cfg.save_every == 0 and it < end:
            save_checkpoint({"fingerprint": fingerprint, "segment_start": start, **state_payload(state)}, resume_path)
        bar.update(1)
        if stats and it % 100 == 0:
            bar.set_postfix({k: f"{v:.3g}" for k, v in stats.items()}, refresh=False)
    bar.close()
    return state


def generate(gen, z: torch.Tensor, *, as_uint8: bool = False, chunk: int = 4096) -> np.ndarray:
    """G(z) for z [T, n, z_dim] in chunks of n (bounded memory for images) -> numpy [T, n, x_dim]."""
    with torch.no_grad():
        x = torch.cat([gen(z[:, i : i + chunk]) for i in range(0, z.shape[1], chunk)], dim=1).float()
    if as_uint8:
        return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).cpu().numpy()
    return x.cpu().numpy()


def samples_array(samples: dict) -> dict[str, np.ndarray]:
    """The samples.npz layout: key it{iteration} -> [trials, n, x_dim] (float32; uint8 images kept)."""
    return {f"it{k}": v if v.dtype == np.uint8 else np.asarray(v, dtype=np.float32) for k, v in sorted(samples.items())}
