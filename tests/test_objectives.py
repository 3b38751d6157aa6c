"""Objectives: surrogate (16) against a direct implementation of estimator (15), its limits,
and the building blocks against torch.distributions."""
import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence
from torch.nn import functional as F

from alphabridge import objectives as obj
from alphabridge.models.batched import BatchedMLP
from alphabridge import defaults

CFG = defaults.mlp(z_dim=2, hidden=8, depth=2)


def _tiny(seed=0, trials=2):
    gens = [torch.Generator().manual_seed(seed + k) for k in range(trials)]
    return BatchedMLP(2, 2, cfg=CFG, generators=gens), BatchedMLP(2, 1, cfg=CFG, generators=gens)


def _inputs(trials=2, b=5, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(trials, b, 2, generator=g) for _ in range(3)]


def _grad16(gen, disc, x, zp, zq, *, alpha, gamma, sigma, weights=obj.WeightOptions(clamp_logw=None, self_normalize=False)):
    loss, _ = obj.alpha_bridge_generator_loss(x_real=x, z_post=zp, z_prior=zq, gen=gen, disc=disc, alpha=alpha,
                                              gamma=gamma, sigma=sigma, weights=weights)
    return torch.autograd.grad(loss.sum(), list(gen.parameters()))


def _grad15_direct(gen, disc, x, zp, zq, *, alpha, gamma, sigma):
    """Eq. (15) term by term, per sample, with no surrogate loss."""
    params = list(gen.parameters())
    b = x.shape[1]
    total = [torch.zeros_like(p) for p in params]
    # F term: (1-g)/(1-a) E[ -exp(-a f(x)) grad_theta log p~(x, z) ], log-density from torch.distributions
    w_f = torch.exp(-alpha * disc(x)[..., 0]).detach()
    for i in range(b):
        logp = Normal(gen(zp[:, i : i + 1]), sigma).log_prob(x[:, i : i + 1]).sum(-1)[:, 0]  # [T]
        grads = torch.autograd.grad(logp.sum(), params, allow_unused=True)
        for t, gr in zip(total, grads):
            per_trial_w = w_f[:, i].reshape(-1, *[1] * (gr.dim() - 1))
            t += (1 - gamma) / (1 - alpha) * (-per_trial_w * gr) / b
    # R term: g E[ -(dG/dtheta)^T exp((1-a) f(x)) grad_x f(x) ] at x = G(z), grad_x f at fixed beta
    xg = gen(zq)
    xd = xg.detach().requires_grad_(True)
    f = disc(xd)
    (gx,) = torch.autograd.grad(f.sum(), xd)
    v = -gamma * torch.exp((1 - alpha) * f.detach()) * gx / b
    for t, gr in zip(total, torch.autograd.grad(xg, params, grad_outputs=v)):
        t += gr
    return total


@pytest.mark.parametrize("alpha,gamma,sigma", [(0.3, 0.4, 0.5), (0.05, 0.01, 0.1), (0.9, 0.97, 0.2)])
def test_surrogate16_gradient_equals_estimator15(alpha, gamma, sigma):
    gen, disc = _tiny()
    x, zp, zq = _inputs()
    g16 = _grad16(gen, disc, x, zp, zq, alpha=alpha, gamma=gamma, sigma=sigma)
    g15 = _grad15_direct(gen, disc, x, zp, zq, alpha=alpha, gamma=gamma, sigma=sigma)
    for a, b in zip(g16, g15):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # and a wrong weight would be caught: w_F with the opposite sign of alpha differs
    bad = _grad15_direct(gen, disc, x, zp, zq, alpha=-alpha, gamma=gamma, sigma=sigma)
    assert any(not torch.allclose(a, b, rtol=1e-3, atol=1e-5) for a, b in zip(g16, bad))


def test_surrogate16_limits():
    gen, disc = _tiny()
    x, zp, zq = _inputs()
    params = list(gen.parameters())
    # alpha, gamma -> 0: the ML (ELBO reconstruction) gradient
    g0 = _grad16(gen, disc, x, zp, zq, alpha=1e-9, gamma=0.0, sigma=0.3)
    recon = (((x - gen(zp)) ** 2).sum(-1) / (2 * 0.3**2)).mean(1).sum()
    for a, b in zip(g0, torch.autograd.grad(recon, params)):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)
    # alpha, gamma -> 1: the reverse-KL generator gradient (7)
    g1 = _grad16(gen, disc, x, zp, zq, alpha=1 - 1e-9, gamma=1.0, sigma=0.3)
    rkl = obj.reverse_kl_generator_loss(disc(gen(zq)))
    for a, b in zip(g1, torch.autograd.grad(rkl.sum(), params)):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_losses_match_torch_reference():
    g = torch.Generator().manual_seed(0)
    fr, ff = torch.randn(3, 7, 1, generator=g), torch.randn(3, 7, 1, generator=g)
    ref = torch.stack([F.binary_cross_entropy_with_logits(fr[t], torch.ones_like(fr[t]))
                       + F.binary_cross_entropy_with_logits(ff[t], torch.zeros_like(ff[t])) for t in range(3)])
    torch.testing.assert_close(obj.discriminator_loss(fr, ff), ref)  # one loss per trial
    x, m = torch.randn(3, 7, 2, generator=g), torch.randn(3, 7, 2, generator=g)
    torch.testing.assert_close(obj.recon_nll(x, m, sigma=0.3), -Normal(m, 0.3).log_prob(x).sum(-1))
    mean, logvar = torch.randn(3, 7, 2, generator=g), torch.randn(3, 7, 2, generator=g)
    ref_kl = kl_divergence(Normal(mean, torch.exp(0.5 * logvar)), Normal(0.0, 1.0)).sum(-1)
    torch.testing.assert_close(obj.gaussian_kl_std_normal(mean, logvar), ref_kl)


def test_importance_weight_options():
    logw = torch.tensor([[0.0, 2.0, -1.0, 50.0]], requires_grad=True)
    w = obj.importance_weights(logw, obj.WeightOptions(clamp_logw=None, self_normalize=False))
    assert not w.requires_grad
    torch.testing.assert_close(w, torch.exp(logw.detach()))
    wc = obj.importance_weights(logw, obj.WeightOptions(clamp_logw=5.0, self_normalize=False))
    assert float(wc.max()) == pytest.approx(math.exp(5.0))
    ws = obj.importance_weights(logw, obj.WeightOptions(clamp_logw=None, self_normalize=True))
    assert float(ws.mean()) == pytest.approx(1.0)
    torch.testing.assert_close(ws, torch.exp(logw.detach()) / torch.exp(logw.detach()).mean())


def test_gradient_penalty_of_linear_critic():
    # f(x) = a.x has |grad| = |a| everywhere, so the penalty is (|a| - 1)^2 per trial
    lin = BatchedMLP(2, 1, cfg=defaults.mlp(hidden=4, depth=1), generators=[torch.Generator().manual_seed(0)])
    a = torch.tensor([3.0, 4.0])

    def critic(x):
        return (x * a).sum(-1, keepdim=True) + 0 * lin(x)

    real, fake = torch.randn(1, 6, 2), torch.randn(1, 6, 2)
    gp = obj.gradient_penalty(critic, real, fake, torch.rand(1, 6, 1))
    assert float(gp.detach()) == pytest.approx((5.0 - 1.0) ** 2)


def test_weight_stats_known_answers():
    """ESS = (sum w)^2 / sum w^2: B for equal weights, 1 for one dominant weight, and the closed form
    for two values; the largest |log w| as clamped; finite where w itself overflows."""
    plain = obj.WeightOptions(clamp_logw=None, self_normalize=False)
    lw = torch.tensor([[0.0, 0.0, 0.0, 0.0], [500.0, 0.0, 0.0, 0.0], [math.log(3.0), 0.0, 0.0, 0.0]])
    s = obj.weight_stats(lw, -lw, plain)
    torch.testing.assert_close(s["ess_f"], torch.tensor([4.0, 1.0, 36.0 / 12.0]))
    torch.testing.assert_close(s["logw_f_max"], torch.tensor([0.0, 500.0, math.log(3.0)]))
    torch.testing.assert_close(s["ess_r"][1], torch.tensor(3.0))  # weights (0, 1, 1, 1): three equal ones
    clamped = obj.weight_stats(lw, -lw, obj.WeightOptions(clamp_logw=2.0, self_normalize=True))
    torch.testing.assert_close(clamped["logw_f_max"][1], torch.tensor(2.0))
    w = torch.tensor([math.e**2, 1, 1, 1])
    torch.testing.assert_close(clamped["ess_f"][1], w.sum() ** 2 / (w**2).sum())
