"""Training objectives (paper eqs. 3, 4, 7, 16). Every loss is a per-trial batch mean, shape [T]:
the loop sums it over trials for the gradient (each trial's parameters receive exactly their own
gradient) and checks it per trial (one trial's divergence is that trial's alone). Diagnostics
(`diag=True`) come back as detached [T] device tensors: reading them is the caller's (rare) host sync."""
from __future__ import annotations

import dataclasses
import math

import torch
from torch.nn import functional as F


def discriminator_loss(f_real: torch.Tensor, f_fake: torch.Tensor) -> torch.Tensor:
    """GAN cross-entropy (4), minimised by beta: -log sig(f(x_real)) - log(1 - sig(f(x_fake))).
    Its optimum is f*(x) = log q(x) - log p(x)."""
    return F.softplus(-f_real).mean(dim=(1, 2)) + F.softplus(f_fake).mean(dim=(1, 2))


def gradient_penalty(disc, real: torch.Tensor, fake: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """WGAN-GP penalty E[(|grad_x f(x_hat)| - 1)^2] at x_hat = eps real + (1 - eps) fake
    (Gulrajani et al. 2017), added to (4) with a weight."""
    x_hat = (eps * real + (1 - eps) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(disc(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(dim=-1) - 1) ** 2).mean(dim=1)


def reverse_kl_generator_loss(f_fake: torch.Tensor) -> torch.Tensor:
    """Eq. (7): minimising -E f(G(z)) is the reverse-KL gradient, since f* = log q/p."""
    return (-f_fake).mean(dim=(1, 2))


def nonsaturating_generator_loss(f_fake: torch.Tensor) -> torch.Tensor:
    """DCGAN's non-saturating generator loss -log sig(f(G(z))) (the JS-GAN image baseline)."""
    return F.softplus(-f_fake).mean(dim=(1, 2))


def gaussian_kl_std_normal(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) || N(0, I)) per sample, [T, B]."""
    return 0.5 * (mean**2 + logvar.exp() - 1 - logvar).sum(-1)


def recon_nll(x: torch.Tensor, x_mean: torch.Tensor, *, sigma: float) -> torch.Tensor:
    """-log N(x | x_mean, sigma^2 I) per sample, [T, B] (the surrogate p~_theta(x|z) of eq. 13)."""
    d = x.shape[-1]
    return ((x - x_mean) ** 2).sum(-1) / (2 * sigma**2) + d * (math.log(sigma) + 0.5 * math.log(2 * math.pi))


def posterior_sample(enc, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """z ~ q_phi(z|x) by reparameterisation with standard-normal eps; returns (z, mean, logvar)."""
    mean, logvar = enc(x)
    return mean + torch.exp(0.5 * logvar) * eps, mean, logvar


def negative_elbo(x, *, gen, enc, sigma: float, eps: torch.Tensor) -> torch.Tensor:
    """-ELBO (3) of the Gaussian-decoder surrogate: a VAE whose decoder mean is G, variance sigma^2."""
    z, mean, logvar = posterior_sample(enc, x, eps)
    return (recon_nll(x, gen(z), sigma=sigma) + gaussian_kl_std_normal(mean, logvar)).mean(dim=1)


@dataclasses.dataclass(frozen=True)
class WeightOptions:
    """Stabilisation of the importance weights in (16); both off is the paper's estimator."""

    clamp_logw: float | None  # clamp |log w| to this value (biased, bounded); None: the paper's estimator
    self_normalize: bool  # divide w by its per-trial batch mean (biased, scale-free)


def importance_weights(logw: torch.Tensor, opts: WeightOptions) -> torch.Tensor:
    """exp(log w), detached, computed from the log so overflow is visible (inf) rather than silent."""
    logw = logw.detach()
    if opts.clamp_logw is not None:
        logw = logw.clamp(-opts.clamp_logw, opts.clamp_logw)
    if opts.self_normalize:
        return torch.softmax(logw, dim=1) * logw.shape[1]  # w / mean(w), per trial
    return torch.exp(logw)


def weight_stats(logw_f: torch.Tensor, logw_r: torch.Tensor, opts: WeightOptions) -> dict:
    """Per trial [T], of the log-weights the surrogate uses (clamped as it clamps; self-normalising
    leaves both unchanged): the largest |log w| and the effective sample size (sum w)^2 / sum w^2,
    from the logs so that it is exact where w itself overflows."""
    out = {}
    for name, lw in (("f", logw_f.detach()), ("r", logw_r.detach())):
        if opts.clamp_logw is not None:
            lw = lw.clamp(-opts.clamp_logw, opts.clamp_logw)
        out[f"logw_{name}_max"] = lw.abs().amax(dim=1)
        out[f"ess_{name}"] = torch.exp(2 * torch.logsumexp(lw, dim=1) - torch.logsumexp(2 * lw, dim=1))
    return out


def _forward_coef(alpha: float, gamma: float) -> float:
    """(1-g)/(1-a); 0 at the reverse-KL end (gamma = 1, Step III), where callers skip the forward
    terms altogether: there exp(-a f) may overflow to inf, and 0 * inf is nan."""
    return 0.0 if gamma >= 1.0 else (1 - gamma) / (1 - alpha)


def _plus_forward(coef: float, reverse: torch.Tensor, forward) -> torch.Tensor:
    """reverse + coef * forward(), with forward() not evaluated when coef is 0."""
    return reverse if coef == 0.0 else coef * forward() + reverse


def alpha_bridge_generator_loss(
    *, x_real, z_post, z_prior, gen, disc, alpha: float, gamma: float, sigma: float, weights: WeightOptions,
    diag: bool = False,
) -> tuple[torch.Tensor, dict]:
    """Surrogate (16) whose theta-gradient is the combined estimator (15):

    (1-g)/(1-a) mean_{x~q, z~q_phi(z|x)}[ w_F(x) |x - G(z)|^2 / 2s^2 ] + g mean_{z~p(z)}[ -w_R(G(z)) f(G(z)) ]

    w_F = exp(-a f(x)) = (p/q)^a and w_R = exp((1-a) f(G(z))) = (q/p)^(1-a), both stop-gradient;
    z_post must already be detached from phi. Only the generator's gradient of this loss is used.
    With diag, the stats are weight_stats of w_F and w_R (else empty: no extra kernels).
    """
    x_fake = gen(z_prior)
    f_fake = disc(x_fake)
    with torch.no_grad():
        f_real = disc(x_real)
    w_r = importance_weights((1 - alpha) * f_fake[..., 0], weights)
    term_r = (-w_r * f_fake[..., 0]).mean(dim=1)

    def term_f():
        w_f = importance_weights(-alpha * f_real[..., 0], weights)
        recon = ((x_real - gen(z_post)) ** 2).sum(-1) / (2 * sigma**2)
        return (w_f * recon).mean(dim=1)

    loss = _plus_forward(_forward_coef(alpha, gamma), gamma * term_r, term_f)
    stats = weight_stats(-alpha * f_real[..., 0], (1 - alpha) * f_fake[..., 0], weights) if diag else {}
    return loss, stats


# --- section 3.3: the generalisations over both marginals and both joints ---------------------

def gaussian_nll(z: torch.Tensor, mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """-log N(z | mean, diag exp(logvar)) per sample, [T, B] (the inference arm's log q_phi(z|x))."""
    return 0.5 * (((z - mean) ** 2) * torch.exp(-logvar) + logvar + math.log(2 * math.pi)).sum(-1)


def latent_bridge_encoder_loss(
    *, x_real, eps, z_prior, gen, enc, zdisc, alpha: float, gamma: float, sigma: float, weights: WeightOptions
) -> tuple[torch.Tensor, dict]:
    """The phi half of the both-marginals surrogate (section 3.3), D_alpha[q_phi(z) || p(z)]:

    (1-g)/(1-a) mean_{z~p(z), x=G(z)}[ e^{-a g(z)} |z - E(x)|^2 / 2s^2 ] + g mean_{z~q_phi(z)}[ -e^{(1-a) g(z)} g(z) ]

    g(z) = log p(z) - log q_phi(z) is the latent discriminator (its own cross-entropy (4) with p(z)
    as 'real'); x = G(z) is stop-gradient (the boxed theta), E(x) is the encoder mean, z ~ q_phi(z)
    is reparameterised (x ~ data, z ~ q_phi(z|x)). Weights are detached. Only phi's gradient is used.
    """
    with torch.no_grad():
        x_fake = gen(z_prior)
        g_prior = zdisc(z_prior)[..., 0]
    g_post = zdisc(posterior_sample(enc, x_real, eps)[0])[..., 0]
    w_r = importance_weights((1 - alpha) * g_post, weights)

    def term_f():
        w_f = importance_weights(-alpha * g_prior, weights)
        recon = ((z_prior - enc(x_fake)[0]) ** 2).sum(-1) / (2 * sigma**2)
        return (w_f * recon).mean(1)

    return _plus_forward(_forward_coef(alpha, gamma), gamma * (-w_r * g_post).mean(1), term_f), {}


def joint_bridge_losses(
    *, x_real, eps, z_prior, gen, enc, jdisc, alpha: float, gamma: float, sigma: float, weights: WeightOptions,
    diag: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, dict]:
    """The both-joints surrogate (section 3.3, ALICE-like) as (theta loss, phi loss):

    theta: (1-g)/(1-a) E_{q_[phi](x,z)}[ -e^{-a h} log p~_theta(x|z) ] + g E_{p_theta(x,z)}[ -e^{(1-a) h([x], z)} h(x, z) ]
    phi:   (1-g)/(1-a) E_{p_[theta](x,z)}[ -e^{a h} log q_phi(z|x) ]   + g E_{q_phi(x,z)}[ e^{-(1-a) h} h(x, z) ]

    h(x, z) = log q_phi(x, z) - log p_theta(x, z) is the joint discriminator (cross-entropy (4) with
    data pairs (x, z~q_phi(z|x)) as 'real' and (G(z), z) as 'fake'). Boxed variables and every
    weight are stop-gradient; p~_theta(x|z) = N(G(z), s^2 I) as in (13). With diag, the stats are
    weight_stats of theta's weights (F: e^{-a h} on data pairs, R: e^{(1-a) h} on generated pairs).
    """
    coef = _forward_coef(alpha, gamma)
    z_q = posterior_sample(enc, x_real, eps)[0]  # (x, z) ~ q_phi(x, z), reparameterised
    h_qq = jdisc(x_real, z_q)[..., 0]  # depends on phi through z (eta is not trained here)
    z_post, h_q = z_q.detach(), h_qq.detach()  # the boxed phi of the theta terms
    x_fake = gen(z_prior)
    h_p = jdisc(x_fake, z_prior)[..., 0]  # depends on theta through x = G(z)
    w3 = importance_weights((1 - alpha) * h_p, weights)
    w4 = importance_weights(-(1 - alpha) * h_qq, weights)

    def theta_f():
        w1 = importance_weights(-alpha * h_q, weights)
        return (w1 * recon_nll(x_real, gen(z_post), sigma=sigma)).mean(1)

    def phi_f():
        mean_f, logvar_f = enc(x_fake.detach())  # (x, z) ~ p_[theta](x, z)
        w2 = importance_weights(alpha * h_p, weights)
        return (w2 * gaussian_nll(z_prior, mean_f, logvar_f)).mean(1)

    loss_theta = _plus_forward(coef, gamma * (-w3 * h_p).mean(1), theta_f)
    loss_phi = _plus_forward(coef, gamma * (w4 * h_qq).mean(1), phi_f)
    stats = weight_stats(-alpha * h_q, (1 - alpha) * h_p, weights) if diag else {}
    return loss_theta, loss_phi, stats
