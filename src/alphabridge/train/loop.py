"""The training loop shared by every method. One call of `run_segment` trains one Step of
alpha-Bridge (I: maximum likelihood, II: the alpha bridge, III: reverse KL) or a whole baseline
run; what differs between them is the Segment description, not the code.

An iteration never waits for the device: losses and statistics stay device tensors, checked for
finiteness (per trial) and logged every CHECK_EVERY iterations (and before every save), so on CUDA
the host queues kernels ahead of the GPU. A trial whose loss goes non-finite is frozen and marked
with its first bad iteration; the others go on (train/watch.py). The run stops when every trial
has diverged, or at the first divergence with on_divergence = fail."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from alphabridge import objectives as obj
from alphabridge.choices import AUXES, UPDATE_ORDERS
from alphabridge.divergence import gamma_alpha
from alphabridge.errors import TrainingDiverged
from alphabridge.train.checkpoint import load_checkpoint, save_checkpoint
from alphabridge.train.draws import Draws
from alphabridge.train.log import LOSS_COLUMNS, TrainLog
from alphabridge.train.schedule import alpha_at
from alphabridge.train.segment import Segment
from alphabridge.train.state import TrainConfig, TrainState, modules, restore_state, state_payload
from alphabridge.train.watch import Divergence, LossWatch, freeze_trial, grad_norms
from alphabridge.train.sampling import sample
from alphabridge.train.state import eval_noise, init_state  # noqa: F401 (re-exported: bench/ and tests import them here)

CHECK_EVERY = 100  # ours: iterations between finiteness checks / log flushes / progress updates (a host sync)


def _set_grads(module, loss) -> None:
    """loss: per-trial [T]; their sum gives each trial's parameters exactly their own gradient."""
    params = list(module.parameters())
    for p, g in zip(params, torch.autograd.grad(loss.sum(), params)):
        p.grad = g


def _apply(opt, module, loss) -> None:
    _set_grads(module, loss)
    opt.step()


def _generalised(state, cfg: TrainConfig, seg: Segment, r: dict, alpha: float, gamma: float, watch, diag) -> dict:
    """Section 3.3 (Steps II and III of the generalisations): theta and phi both follow the
    surrogate, phi no longer the ELBO; both gradients from the same state, then both steps."""
    gen, enc, opts = state.gen, state.enc, state.opts
    kw = dict(x_real=r["x"], eps=r["eps"], z_prior=r["z_g"], gen=gen, enc=enc, alpha=alpha, gamma=gamma,
              sigma=seg.sigma, weights=seg.weights)
    if cfg.aux == "joint":
        lg, le, stats = obj.joint_bridge_losses(jdisc=state.aux, diag=diag, **kw)
    elif cfg.aux == "latent":
        with torch.no_grad():
            z_post = obj.posterior_sample(enc, r["x"], r["eps"])[0]
        lg, stats = obj.alpha_bridge_generator_loss(x_real=r["x"], z_post=z_post, z_prior=r["z_g"], gen=gen,
                                                    disc=state.disc, alpha=alpha, gamma=gamma, sigma=seg.sigma,
                                                    weights=seg.weights, diag=diag)
        le, _ = obj.latent_bridge_encoder_loss(zdisc=state.aux, **kw)
    else:  # TrainConfig refuses unknown values; a new one needs its own branch
        raise ValueError(f"aux {cfg.aux!r}: expected one of {AUXES[1:]}")
    watch.add("generator", lg)
    watch.add("encoder", le)
    _set_grads(gen, lg)
    _set_grads(enc, le)
    opts["g"].step()
    opts["e"].step()
    return stats


def alpha_gamma(seg: Segment, i: int) -> tuple[float, float]:
    """alpha and gamma_alpha of iteration i (from 0) of a Step: the bridge's schedule in Step II,
    0 in Step I (maximum likelihood), 1 in Step III and the reverse-KL baselines; NaN for DCGAN."""
    if seg.kind == "bridge":
        alpha = alpha_at(i, seg.iters, kind=seg.schedule)
        return alpha, float(gamma_alpha(alpha, kind=seg.gamma.kind, c=seg.gamma.c, d=seg.gamma.d))
    fixed = {"ml": (0.0, 0.0), "rkl": (1.0, 1.0), "ns": (float("nan"), float("nan"))}
    if seg.kind not in fixed:  # Segment refuses unknown kinds; a new kind must say its alpha here
        raise ValueError(f"Segment kind {seg.kind!r} has no alpha: expected bridge or one of {list(fixed)}")
    return fixed[seg.kind]


def _generator_and_encoder(state, cfg: TrainConfig, seg: Segment, r: dict, i: int, watch: LossWatch,
                           diag: bool) -> dict:
    """G's and E's updates; returns the importance weights' statistics when diag (else {})."""
    gen, disc, enc, opts = state.gen, state.disc, state.enc, state.opts
    if cfg.aux != "none" and seg.train_encoder and seg.kind in ("bridge", "rkl"):
        # Step III is the surrogate's alpha = gamma = 1 end
        return _generalised(state, cfg, seg, r, *alpha_gamma(seg, i), watch, diag)
    if seg.kind == "ml":  # Step I: theta and phi jointly maximise the ELBO
        loss = obj.negative_elbo(r["x"], gen=gen, enc=enc, sigma=seg.sigma, eps=r["eps"])
        watch.add("negative ELBO", loss)
        params = list(gen.parameters()) + list(enc.parameters())
        grads = torch.autograd.grad(loss.sum(), params)
        for p, g in zip(params, grads):
            p.grad = g
        opts["g"].step()
        opts["e"].step()
        return {}

    stats = {}
    if seg.kind == "bridge":
        alpha, gamma = alpha_gamma(seg, i)

        def g_loss():
            with torch.no_grad():  # z ~ q_phi(z|x), detached from phi
                z_post = obj.posterior_sample(enc, r["x"], r["eps"])[0]
            loss, s = obj.alpha_bridge_generator_loss(
                x_real=r["x"], z_post=z_post, z_prior=r["z_g"], gen=gen, disc=disc,
                alpha=alpha, gamma=gamma, sigma=seg.sigma, weights=seg.weights, diag=diag,
            )
            stats.update(s)
            return loss
    elif seg.kind == "ns":  # DCGAN's non-saturating generator loss
        def g_loss():
            return obj.nonsaturating_generator_loss(disc(gen(r["z_g"])))
    elif seg.kind == "rkl":  # reverse KL, eq. (7)
        def g_loss():
            return obj.reverse_kl_generator_loss(disc(gen(r["z_g"])))
    else:  # Segment refuses unknown kinds; this keeps a new kind without a branch from training as another
        raise ValueError(f"Segment kind {seg.kind!r} has no generator loss here")

    def e_loss():
        return obj.negative_elbo(r["x"], gen=gen, enc=enc, sigma=seg.sigma, eps=r["eps"])

    if not seg.train_encoder:
        lg = g_loss()
        watch.add("generator", lg)
        _apply(opts["g"], gen, lg)
    elif seg.update_order == "sequential":  # Algorithm 1: theta, then phi on the updated theta
        lg = g_loss()
        watch.add("generator", lg)
        _apply(opts["g"], gen, lg)
        le = e_loss()
        watch.add("encoder ELBO", le)
        _apply(opts["e"], enc, le)
    elif seg.update_order == "joint":  # both gradients from the same pre-update state
        lg, le = g_loss(), e_loss()
        watch.add("generator", lg)
        watch.add("encoder ELBO", le)
        _set_grads(gen, lg)  # both gradients before either step: the steps are in place
        _set_grads(enc, le)
        opts["g"].step()
        opts["e"].step()
    else:
        raise ValueError(f"update_order {seg.update_order!r}: expected one of {UPDATE_ORDERS}")
    return stats


def _discriminator(state, cfg: TrainConfig, seg: Segment, r: dict, watch: LossWatch, diag: bool) -> dict:
    """D's (and the auxiliary discriminator's) update; D's mean logits when diag (else {})."""
    with torch.no_grad():
        fake = state.gen(r["z_d"])
    f_real, f_fake = state.disc(r["x"]), state.disc(fake)
    loss = obj.discriminator_loss(f_real, f_fake)
    if cfg.d_reg == "gp":
        loss = loss + cfg.gp_weight * obj.gradient_penalty(state.disc, r["x"], fake, r["u"])
    watch.add("discriminator", loss)
    _apply(state.opts["d"], state.disc, loss)
    if state.aux is not None:  # trained in every Step, like D, so it is near-optimal when Step II starts
        with torch.no_grad():
            z_post = obj.posterior_sample(state.enc, r["x"], r["eps"])[0]
        if cfg.aux == "latent":  # g(z) = log p(z) - log q_phi(z): prior draws are 'real'
            loss = obj.discriminator_loss(state.aux(r["z_d"]), state.aux(z_post))
        elif cfg.aux == "joint":  # h(x, z) = log q_phi(x, z) - log p_theta(x, z): data pairs are 'real'
            loss = obj.discriminator_loss(state.aux(r["x"], z_post), state.aux(fake, r["z_d"]))
        else:
            raise ValueError(f"aux {cfg.aux!r}: expected one of {AUXES[1:]}")
        watch.add("auxiliary discriminator", loss)
        _apply(state.opts["a"], state.aux, loss)
    if not diag:
        return {}
    return {"d_real": f_real.detach().mean(dim=(1, 2)), "d_fake": f_fake.detach().mean(dim=(1, 2))}


def train_iteration(state: TrainState, *, cfg: TrainConfig, seg: Segment, r: dict, i: int, watch: LossWatch,
                    diag: bool = False) -> dict:
    """One iteration (i counts from 0 within the Step): G and E, then D. Queues device work only:
    nothing in it reads a device value back, so on CUDA it never waits for the GPU. With diag, returns
    the training log's statistics beyond the losses, as [T] device tensors (else {})."""
    stats = _generator_and_encoder(state, cfg, seg, r, i, watch, diag)
    stats.update(_discriminator(state, cfg, seg, r, watch, diag))
    if diag:
        stats.update(grad_g=grad_norms(state.gen, cfg.trials), grad_d=grad_norms(state.disc, cfg.trials))
    return stats


def _log_values(watch: LossWatch, stats: dict) -> dict:
    values = {LOSS_COLUMNS[k]: v for k, v in watch.last.items()}
    for name in ("negative ELBO", "encoder ELBO"):  # the ELBO where E maximises it (not the generalisations)
        if name in watch.last:
            values["elbo"] = -watch.last[name]
    return {**values, **stats}


def _diverged(state: TrainState, found: list[Divergence], *, cfg: TrainConfig, step: str) -> None:
    """Mark and freeze newly diverged trials (their float samples from then on become NaN); raise
    when every trial has diverged, or at once under on_divergence = fail."""
    for d in found:
        print(f"{d.describe(step)}", file=sys.stderr)
    if found and cfg.on_divergence == "fail":
        raise TrainingDiverged(f"{found[0].describe(step)} (on_divergence: fail stops at the first diverged trial)")
    for d in found:
        state.diverged[d.trial] = d.iteration
        freeze_trial(modules(state), d.trial, cfg.trials)
        for it, x in state.samples.items():
            if it >= d.iteration and x.dtype != np.uint8:
                x[d.trial] = np.nan
    if found and len(state.diverged) == cfg.trials:
        first = min(found, key=lambda d: (d.iteration, d.trial))
        raise TrainingDiverged(f"{first.describe(step)}; every trial has diverged")
    if found:
        print(f"Step {step}: trial(s) {sorted(d.trial for d in found)} frozen; {cfg.trials - len(state.diverged)} of "
              f"{cfg.trials} trials train on", file=sys.stderr)


def set_learning_rates(state: TrainState, *, seg: Segment, cfg: TrainConfig) -> None:
    """Each Step's learning rates, set at its start (a restored Adam carries the previous Step's): G and E
    at seg.lr where the Step has one (Step I's alpha_bridge.step1_lr), every other net at optim.lr."""
    for k, opt in state.opts.items():
        lr = seg.lr if k in ("g", "e") and seg.lr is not None else cfg.lr
        for group in opt.param_groups:
            group["lr"] = lr


def run_segment(
    state: TrainState, *, seg: Segment, cfg: TrainConfig, train: torch.Tensor, eval_z: torch.Tensor,
    resume_path: Path | None = None, fingerprint: str = "", progress: bool = True, max_iters: int | None = None,
) -> TrainState:
    """Train `seg.iters` iterations from state.iteration; samples at every eval point and at the
    end go to state.samples, training-log rows every cfg.log_every iterations to state.log. With
    resume_path, the full state is saved there atomically every cfg.save_every iterations and picked
    up again if the job is killed and re-run. max_iters stops early (the alpha schedule still spans
    seg.iters): used by the Fig. 1 demo."""
    start = state.iteration
    if resume_path is not None and Path(resume_path).exists():
        saved = load_checkpoint(resume_path)
        if saved.get("fingerprint") == fingerprint and saved.get("segment_start") == start:
            restore_state(state, saved, source=str(resume_path))
            print(f"resuming Step {seg.name} from iteration {state.iteration} ({resume_path})", file=sys.stderr)
        else:
            print(f"ignoring stale resume file {resume_path} (other config or input)", file=sys.stderr)
    end = start + (seg.iters if max_iters is None else min(seg.iters, max_iters))
    set_learning_rates(state, seg=seg, cfg=cfg)
    draws = Draws(rngs=state.rngs, n_train=len(train), batch_size=cfg.batch_size, z_dim=cfg.model.z_dim,
                  device=train.device)
    watch, log = LossWatch(seg.name), TrainLog(step=seg.name, trials=cfg.trials)
    bar = tqdm(total=end - start, initial=state.iteration - start, desc=f"Step {seg.name}", disable=not progress,
               mininterval=5.0, file=sys.stderr)
    while state.iteration < end:
        it = state.iteration + 1
        # a block of draws stops at the next save point, so the saved generator states are exact
        boundary = min(end, (it + cfg.save_every - 1) // cfg.save_every * cfg.save_every)
        r = draws.next(train=train, limit=boundary - it + 1)
        watch.it, logging = it, it % cfg.log_every == 0 or it == end
        stats = train_iteration(state, cfg=cfg, seg=seg, r=r, i=it - start - 1, watch=watch, diag=logging)
        if logging:
            log.add(it, *alpha_gamma(seg, it - start - 1), values=_log_values(watch, stats))
        state.iteration = it
        saving = resume_path is not None and it % cfg.save_every == 0 and it < end
        if it % cfg.eval_every == 0 or it == end:
            state.samples[it] = sample(state.gen, eval_z, bn_stats=cfg.bn_stats, batch_size=cfg.batch_size,
                                       as_uint8=cfg.sample_uint8)
        if it % CHECK_EVERY == 0 or it % cfg.eval_every == 0 or saving or it == end:
            # before anything is saved: a resume file never holds an unmarked diverged trial
            _diverged(state, watch.check(skip=set(state.diverged)), cfg=cfg, step=seg.name)
            log.flush(state.log)
            if state.log and not bar.disable:
                last = state.log[-1]
                bar.set_postfix({"it": last["iteration"], "D": f"{last['loss_d']:.3g}", "G": f"{last['loss_g']:.3g}",
                                 "diverged": len(state.diverged)}, refresh=False)
        if saving:
            save_checkpoint({"fingerprint": fingerprint, "segment_start": start, **state_payload(state)}, resume_path)
        bar.update(1)
    bar.close()
    return state


def samples_array(samples: dict, diverged: dict[int, int], trials: int) -> dict[str, np.ndarray]:
    """The samples.npz layout: key it{iteration} -> [trials, n, x_dim] (float32; uint8 images kept),
    and diverged_at -> [trials], each trial's first non-finite iteration (0: it never diverged)."""
    out = {f"it{k}": v if v.dtype == np.uint8 else np.asarray(v, dtype=np.float32) for k, v in sorted(samples.items())}
    out["diverged_at"] = np.array([diverged.get(t, 0) for t in range(trials)], dtype=np.int64)
    return out


def saved_keys(files) -> list[str]:
    """A samples.npz's it{iteration} keys in order of iteration (diverged_at is not one)."""
    return sorted((k for k in files if k.startswith("it")), key=lambda k: int(k[2:]))
