"""Section 3.3: the both-marginals and both-joints surrogates against direct per-sample
implementations of their intended estimators, their alpha -> 0 / 1 limits, and the training loop."""

import pytest
import torch
from torch.distributions import Normal

from alphabridge import objectives as obj
from alphabridge.models.batched import BatchedMLP, GaussianEncoder, build_aux
from alphabridge.train.loop import eval_noise, init_state, run_segment, state_payload, restore_state
from alphabridge import defaults

CFG = defaults.mlp(z_dim=2, hidden=8, depth=2)
T, B = 2, 5


def _tiny(seed=0):
    gens = [torch.Generator().manual_seed(seed + k) for k in range(T)]
    gen = BatchedMLP(2, 2, cfg=CFG, generators=gens)
    enc = GaussianEncoder(2, cfg=CFG, generators=gens)
    return gen, enc, build_aux("latent", x_dim=2, cfg=CFG, generators=gens), build_aux("joint", x_dim=2, cfg=CFG,
                                                                                      generators=gens)


def _inputs(seed=1):
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randn(T, B, 2, generator=g) for k in ("x_real", "eps", "z_prior")}


def _grads(loss, module):
    return torch.autograd.grad(loss.sum(), list(module.parameters()), allow_unused=True, retain_graph=True)


def _zeros(module):
    return [torch.zeros_like(p) for p in module.parameters()]


def _per_sample(total, module, value_of_sample, weight, coef):
    """total += coef * mean_i weight[:, i] * grad value_i (value_i: [T] for sample i)."""
    params = list(module.parameters())
    for i in range(B):
        grads = torch.autograd.grad(value_of_sample(i).sum(), params, allow_unused=True)
        for t, gr in zip(total, grads):
            if gr is not None:
                t += coef * weight[:, i].reshape(-1, *[1] * (gr.dim() - 1)) * gr / B


def _chain(total, module, out, value_grad):
    """total += (d out / d params)^T value_grad: the pathwise term through a sample `out`."""
    for t, gr in zip(total, torch.autograd.grad(out, list(module.parameters()), grad_outputs=value_grad,
                                                allow_unused=True)):
        if gr is not None:
            t += gr


def _latent_direct(gen, enc, zdisc, r, *, alpha, gamma, sigma):
    """phi-gradient of D_alpha[q_phi(z) || p(z)] by estimator (15) written in z space."""
    total, z = _zeros(enc), r["z_prior"]
    with torch.no_grad():
        x_fake = gen(z)
        w_f = torch.exp(-alpha * zdisc(z)[..., 0])
    _per_sample(total, enc, lambda i: ((z[:, i] - enc(x_fake[:, i : i + 1])[0][:, 0]) ** 2).sum(-1) / (2 * sigma**2),
                w_f, (1 - gamma) / (1 - alpha))
    mean, logvar = enc(r["x_real"])
    zq = mean + torch.exp(0.5 * logvar) * r["eps"]
    zd = zq.detach().requires_grad_(True)
    gz = zdisc(zd)
    (dg,) = torch.autograd.grad(gz.sum(), zd)
    _chain(total, enc, zq, -gamma * torch.exp((1 - alpha) * gz.detach()) * dg / B)
    return total


def _joint_direct(gen, enc, jdisc, r, *, alpha, gamma, sigma):
    """(theta, phi) gradients of D_a[p_theta(x,z) || q_phi(x,z)] + D_a[q_phi(x,z) || p_theta(x,z)], term by term."""
    x, z, eps = r["x_real"], r["z_prior"], r["eps"]
    coef = (1 - gamma) / (1 - alpha)
    with torch.no_grad():
        mean, logvar = enc(x)
        zp = mean + torch.exp(0.5 * logvar) * eps
        h_q, xf = jdisc(x, zp)[..., 0], gen(z)
        h_p = jdisc(xf, z)[..., 0]
    tg, te = _zeros(gen), _zeros(enc)
    # theta, forward: -exp(-a h) grad log N(x | G(z), s^2) on data pairs
    _per_sample(tg, gen, lambda i: -Normal(gen(zp[:, i : i + 1]), sigma).log_prob(x[:, i : i + 1]).sum(-1)[:, 0],
                torch.exp(-alpha * h_q), coef)
    # theta, reverse: -exp((1-a) h) dh/dx at x = G(z), through G
    xg = gen(z)
    xd = xg.detach().requires_grad_(True)
    hx = jdisc(xd, z)
    (dh,) = torch.autograd.grad(hx.sum(), xd)
    _chain(tg, gen, xg, -gamma * torch.exp((1 - alpha) * hx.detach()) * dh / B)
    # phi, forward: -exp(a h) grad log q_phi(z | G(z)) on model pairs
    def nll(i):
        m, lv = enc(xf[:, i : i + 1])
        return -Normal(m, torch.exp(0.5 * lv)).log_prob(z[:, i : i + 1]).sum(-1)[:, 0]
    _per_sample(te, enc, nll, torch.exp(alpha * h_p), coef)
    # phi, reverse: exp(-(1-a) h) dh/dz at z ~ q_phi(z|x), through the reparameterisation
    mean, logvar = enc(x)
    zq = mean + torch.exp(0.5 * logvar) * eps
    zd = zq.detach().requires_grad_(True)
    hz = jdisc(x, zd)
    (dz,) = torch.autograd.grad(hz.sum(), zd)
    _chain(te, enc, zq, gamma * torch.exp(-(1 - alpha) * hz.detach()) * dz / B)
    return tg, te


def _close(a_list, b_list):
    for a, b in zip(a_list, b_list):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def _differs(a_list, b_list):
    return any(not torch.allclose(a, b, rtol=1e-3, atol=1e-5) for a, b in zip(a_list, b_list))


CASES = [(0.3, 0.4, 0.5), (0.05, 0.01, 0.3), (0.9, 0.97, 0.4)]


@pytest.mark.parametrize("alpha,gamma,sigma", CASES)
def test_latent_surrogate_gradient_equals_estimator(alpha, gamma, sigma):
    gen, enc, zdisc, _ = _tiny()
    r = _inputs()
    loss, _ = obj.latent_bridge_encoder_loss(**r, gen=gen, enc=enc, zdisc=zdisc, alpha=alpha, gamma=gamma,
                                            sigma=sigma, weights=obj.WeightOptions(clamp_logw=None, self_normalize=False))
    surrogate = _grads(loss, enc)
    assert all(g is not None for g in surrogate)
    _close(surrogate, _latent_direct(gen, enc, zdisc, r, alpha=alpha, gamma=gamma, sigma=sigma))
    assert _differs(surrogate, _latent_direct(gen, enc, zdisc, r, alpha=-alpha, gamma=gamma, sigma=sigma))
    # the boxed theta: the encoder's loss gives the generator no gradient
    assert all(g is None for g in _grads(loss, gen))


@pytest.mark.parametrize("alpha,gamma,sigma", CASES)
def test_joint_surrogate_gradients_equal_estimator(alpha, gamma, sigma):
    gen, enc, _, jdisc = _tiny()
    r = _inputs()
    lt, lp, _ = obj.joint_bridge_losses(**r, gen=gen, enc=enc, jdisc=jdisc, alpha=alpha, gamma=gamma, sigma=sigma,
                                        weights=obj.WeightOptions(clamp_logw=None, self_normalize=False))
    tg, te = _joint_direct(gen, enc, jdisc, r, alpha=alpha, gamma=gamma, sigma=sigma)
    _close(_grads(lt, gen), tg)
    _close(_grads(lp, enc), te)
    bad_t, bad_e = _joint_direct(gen, enc, jdisc, r, alpha=-alpha, gamma=gamma, sigma=sigma)
    assert _differs(_grads(lt, gen), bad_t) and _differs(_grads(lp, enc), bad_e)
    # boxed variables: theta's loss does not reach phi, phi's loss does not reach theta
    assert all(g is None for g in _grads(lt, enc)) and all(g is None for g in _grads(lp, gen))


def _grad_of(fn, module):
    return torch.autograd.grad(fn().sum(), list(module.parameters()), allow_unused=True)  # per-trial losses


def test_latent_surrogate_limits():
    gen, enc, zdisc, _ = _tiny()
    r = _inputs()
    kw = dict(**r, gen=gen, enc=enc, zdisc=zdisc, sigma=0.3, weights=obj.WeightOptions(clamp_logw=None, self_normalize=False))
    # alpha, gamma -> 0: the latent half-cycle |z - E(G(z))|^2 / 2s^2 (ML of the aggregate posterior)
    half_cycle = lambda: (((r["z_prior"] - enc(gen(r["z_prior"]).detach())[0]) ** 2).sum(-1) / 0.18).mean(1).sum()  # noqa: E731
    _close(_grad_of(lambda: obj.latent_bridge_encoder_loss(alpha=1e-9, gamma=0.0, **kw)[0], enc), _grad_of(half_cycle, enc))
    # alpha, gamma -> 1 (and exactly 1, Step III): the adversarial encoder gradient -E g(z), z ~ q_phi(z)

    def adversarial():
        mean, logvar = enc(r["x_real"])
        return -zdisc(mean + torch.exp(0.5 * logvar) * r["eps"]).mean(dim=(1, 2)).sum()
    for a in (1 - 1e-9, 1.0):
        _close(_grad_of(lambda: obj.latent_bridge_encoder_loss(alpha=a, gamma=1.0, **kw)[0], enc), _grad_of(adversarial, enc))


def test_joint_surrogate_limits():
    gen, enc, _, jdisc = _tiny()
    r = _inputs()
    x, z, eps = r["x_real"], r["z_prior"], r["eps"]
    kw = dict(**r, gen=gen, enc=enc, jdisc=jdisc, sigma=0.3, weights=obj.WeightOptions(clamp_logw=None, self_normalize=False))

    def zq():
        mean, logvar = enc(x)
        return mean + torch.exp(0.5 * logvar) * eps

    # alpha, gamma -> 0: theta maximises log p(x|z) on data pairs, phi maximises log q(z|x) on model pairs
    lt, lp, _ = obj.joint_bridge_losses(alpha=1e-9, gamma=0.0, **kw)
    _close(_grads(lt, gen), _grad_of(lambda: obj.recon_nll(x, gen(zq().detach()), sigma=0.3).mean(1).sum(), gen))
    sleep = lambda: obj.gaussian_nll(z, *enc(gen(z).detach())).mean(1).sum()  # noqa: E731
    _close(_grads(lp, enc), _grad_of(sleep, enc))
    # alpha, gamma -> 1: the adversarial (reverse-KL) gradients on the joints, -E_p h and +E_q h
    for a in (1 - 1e-9, 1.0):
        lt, lp, _ = obj.joint_bridge_losses(alpha=a, gamma=1.0, **kw)
        _close(_grads(lt, gen), _grad_of(lambda: -jdisc(gen(z), z).mean(dim=(1, 2)).sum(), gen))
        _close(_grads(lp, enc), _grad_of(lambda: jdisc(x, zq()).mean(dim=(1, 2)).sum(), enc))


def test_gaussian_nll_matches_torch():
    g = torch.Generator().manual_seed(0)
    z, m, lv = (torch.randn(3, 4, 2, generator=g) for _ in range(3))
    torch.testing.assert_close(obj.gaussian_nll(z, m, lv), -Normal(m, torch.exp(0.5 * lv)).log_prob(z).sum(-1))


def _train(aux, segs, *, state=None):
    from alphabridge.data.gaussians import make_splits

    cfg = defaults.train_config(trials=2, batch_size=32, model=CFG, aux=aux, eval_every=10, n_eval=20)
    train = make_splits(defaults.gaussians_data(n_train=500, n_val=10, n_test=10))["train"]
    state = state or init_state(cfg)
    for seg in segs:
        state = run_segment(state, seg=seg, cfg=cfg, train=train, eval_z=eval_noise(cfg), progress=False)
    return state, cfg


@pytest.mark.parametrize("aux", ["latent", "joint"])
def test_step1_equals_alpha_bridge_and_aux_trains(aux):
    """Step I is alpha-Bridge's ML step: G, D, E match it exactly (the extra discriminator has its
    own seeds and draws nothing from the training streams) while the extra discriminator learns."""
    step1 = [defaults.segment("I", iters=15)]
    base, _ = _train("none", step1)
    ours, cfg = _train(aux, step1)
    for k in ("gen", "disc", "enc"):
        for a, b in zip(getattr(base, k).parameters(), getattr(ours, k).parameters()):
            torch.testing.assert_close(a, b, rtol=0, atol=0)
    fresh = init_state(cfg).aux
    assert _differs(list(fresh.parameters()), list(ours.aux.parameters()))
    # Steps II-III then differ from alpha_bridge's (phi follows the surrogate, not the ELBO)
    segs = [defaults.segment("II", iters=10), defaults.segment("III", iters=5)]
    base, _ = _train("none", segs, state=base)
    ours, _ = _train(aux, segs, state=ours)
    assert _differs(list(base.enc.parameters()), list(ours.enc.parameters()))
    assert all(torch.isfinite(p).all() for p in ours.gen.parameters())


def test_checkpoint_round_trip_keeps_aux():
    state, cfg = _train("joint", [defaults.segment("I", iters=5)])
    payload = state_payload(state)
    assert "aux" in payload["models"]
    other = restore_state(init_state(cfg), payload, source="test")
    for a, b in zip(state.aux.parameters(), other.aux.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    with pytest.raises(Exception, match="does not match"):  # an alpha_bridge checkpoint lacks the aux net
        restore_state(init_state(cfg), state_payload(_train("none", [defaults.segment("I", iters=1)])[0]), source="test")


def test_reconstruction_errors_known_answer():
    """Identity G and an encoder returning its input: both errors are 0; G = 2x: |x|^2 and |z|^2."""
    from alphabridge.experiments.reconstruction import reconstruction_errors

    x, z = torch.randn(2, 50, 2), torch.randn(2, 40, 2)
    ident_enc = lambda v: (v, torch.zeros_like(v))  # noqa: E731
    ex, ez = reconstruction_errors(gen=lambda v: v, enc=ident_enc, x=x, z=z)
    assert ex.tolist() == [0.0, 0.0] and ez.tolist() == [0.0, 0.0]
    ex, ez = reconstruction_errors(gen=lambda v: 2 * v, enc=ident_enc, x=x, z=z)
    torch.testing.assert_close(torch.tensor(ex), (x**2).sum(-1).mean(1))
    torch.testing.assert_close(torch.tensor(ez), (z**2).sum(-1).mean(1))


def test_step3_end_survives_overflowing_forward_weights():
    """At alpha = gamma = 1 the forward terms are dropped, not multiplied by 0: with |f| ~ 1e3,
    exp(-a f) is inf and 0 * inf would turn the Step III losses into nan."""
    gen, enc, zdisc, jdisc = _tiny()
    r = _inputs()
    big = lambda f: (lambda *a: 1e3 * f(*a))  # noqa: E731
    kw = dict(**r, gen=gen, enc=enc, alpha=1.0, gamma=1.0, sigma=0.3, weights=obj.WeightOptions(clamp_logw=None, self_normalize=False))
    lt, lp, _ = obj.joint_bridge_losses(jdisc=big(jdisc), **kw)
    le, _ = obj.latent_bridge_encoder_loss(zdisc=big(zdisc), **kw)
    lg, _ = obj.alpha_bridge_generator_loss(x_real=r["x_real"], z_post=r["eps"], z_prior=r["z_prior"], gen=gen,
                                            disc=big(zdisc), alpha=1.0, gamma=1.0, sigma=0.3,
                                            weights=obj.WeightOptions(clamp_logw=None, self_normalize=False))
    assert all(bool(torch.isfinite(v).all()) for v in (lt, lp, le, lg))
