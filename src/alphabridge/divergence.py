"""Pure math of the alpha-divergence and its twin gradients (paper eqs. 8-12).

Everything here is tensors in, tensors out; no I/O, no global state. The 1-D Gaussian
case p = N(mu, s^2), q = N(0, 1) (the paper's Fig. 2) has closed forms for the divergence,
the two KL limits, and (by Gauss-Hermite quadrature) the exact variance of each one-sample
gradient estimator, which the tests and the figure use as independent references.
"""
from __future__ import annotations

import math

import torch
from scipy.special import roots_hermitenorm

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _t(x, like: torch.Tensor | None = None) -> torch.Tensor:
    dtype = like.dtype if like is not None else torch.float64
    return torch.as_tensor(x, dtype=dtype)


# --- divergences in closed form -------------------------------------------------------------

def alpha_divergence_gauss(*, mu, sigma, alpha) -> torch.Tensor:
    """D_alpha[N(mu, sigma^2) || N(0, 1)], eq. (8), for alpha in (0, 1).

    int p^a q^(1-a) dx = s^(1-a) / sqrt(a + (1-a) s^2) * exp(-a (1-a) mu^2 / (2 (a + (1-a) s^2))).
    Differentiable in mu and sigma (autograd gives the reference gradient).
    """
    mu, sigma, alpha = _t(mu), _t(sigma), _t(alpha)
    mu, sigma = torch.broadcast_tensors(mu, sigma) if mu.shape != sigma.shape else (mu, sigma)
    a = alpha
    v = a + (1 - a) * sigma**2
    log_integral = (1 - a) * torch.log(sigma) - 0.5 * torch.log(v) - a * (1 - a) * mu**2 / (2 * v)
    # 1 - exp(L) loses precision when L ~ 0 (alpha near 0 or 1): expm1 keeps it.
    return -torch.expm1(log_integral) / (a * (1 - a))


def kl_q_p_gauss(*, mu, sigma) -> torch.Tensor:
    """KL(q || p) = KL(N(0,1) || N(mu, s^2)): the forward KL (maximum likelihood), alpha -> 0."""
    mu, sigma = _t(mu), _t(sigma)
    return torch.log(sigma) + (1 + mu**2) / (2 * sigma**2) - 0.5


def kl_p_q_gauss(*, mu, sigma) -> torch.Tensor:
    """KL(p || q) = KL(N(mu, s^2) || N(0,1)): the reverse KL (adversarial), alpha -> 1."""
    mu, sigma = _t(mu), _t(sigma)
    return -torch.log(sigma) + (sigma**2 + mu**2) / 2 - 0.5


def true_grad_gauss(*, mu: float, sigma: float, alpha: float) -> torch.Tensor:
    """[dD/dmu, dD/dsigma] by autograd of the closed form (float64)."""
    m = torch.tensor(float(mu), dtype=torch.float64, requires_grad=True)
    s = torch.tensor(float(sigma), dtype=torch.float64, requires_grad=True)
    d = alpha_divergence_gauss(mu=m, sigma=s, alpha=alpha)
    gm, gs = torch.autograd.grad(d, (m, s))
    return torch.stack([gm, gs]).detach()


# --- the combination weight gamma_alpha ----------------------------------------------------------

GAMMA_KINDS = ("sigmoid", "linear", "hard")


def gamma_alpha(alpha, *, kind: str, c: float | None = None, d: float | None = None) -> torch.Tensor:
    """gamma_alpha of eq. (12): gamma_0 = 0, gamma_1 = 1, increasing.

    sigmoid: (sig(c a + d) - sig(d)) / (sig(c + d) - sig(d))  (the paper's family; needs c > 0)
    linear:  a
    hard:    1[a >= 1/2] (an abrupt switch from F to R; an ablation)
    """
    a = _t(alpha, alpha if isinstance(alpha, torch.Tensor) else None)
    if kind == "linear":
        return a.clone()
    if kind == "hard":
        return (a >= 0.5).to(a.dtype)
    if kind == "sigmoid":
        if c is None or d is None or not c > 0:
            raise ValueError(f"gamma: sigmoid needs c > 0 (to be increasing) and d, got c={c}, d={d}")
        s0, s1 = torch.sigmoid(_t(d, a)), torch.sigmoid(_t(c + d, a))
        return (torch.sigmoid(c * a + d) - s0) / (s1 - s0)
    raise ValueError(f"gamma: unknown kind {kind!r}; expected one of {GAMMA_KINDS}")


# --- twin gradient estimators for the 1-D location-scale model -------------------------------------

def _log_p(x, mu, sigma):
    return -((x - mu) ** 2) / (2 * sigma**2) - torch.log(sigma) - _LOG_SQRT_2PI


def _log_q(x):
    return -(x**2) / 2 - _LOG_SQRT_2PI


def grad_forward(*, mu, sigma, alpha, x: torch.Tensor) -> torch.Tensor:
    """Eq. (10), one estimate per data sample x ~ q: -(p/q)^a grad log p / (1 - a).

    Returns shape x.shape + (2,): the [mu, sigma] components. The weight is computed from its
    log so that it cannot overflow before the multiplication.
    """
    mu, sigma = _t(mu, x), _t(sigma, x)
    w = torch.exp(alpha * (_log_p(x, mu, sigma) - _log_q(x)))
    dmu = (x - mu) / sigma**2
    dsig = ((x - mu) ** 2 / sigma**2 - 1) / sigma
    return torch.stack([-w * dmu, -w * dsig], dim=-1) / (1 - alpha)


def grad_reverse(*, mu, sigma, alpha, eps: torch.Tensor) -> torch.Tensor:
    """Eq. (11), one estimate per eps ~ N(0,1) with x = mu + sigma*eps:
    (dx/dtheta) (q/p)^(1-a) d/dx log(p/q), with d/dx log p taken at fixed theta."""
    mu, sigma = _t(mu, eps), _t(sigma, eps)
    x = mu + sigma * eps
    w = torch.exp((1 - alpha) * (_log_q(x) - _log_p(x, mu, sigma)))
    dlog_ratio_dx = -(x - mu) / sigma**2 + x
    return torch.stack([w * dlog_ratio_dx, w * dlog_ratio_dx * eps], dim=-1)


def grad_combined(*, mu, sigma, alpha, gamma, x: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Eq. (12): (1 - gamma) F + gamma R, x and eps drawn independently by the caller."""
    return (1 - gamma) * grad_forward(mu=mu, sigma=sigma, alpha=alpha, x=x) + gamma * grad_reverse(
        mu=mu, sigma=sigma, alpha=alpha, eps=eps
    )


def exact_variance_gauss(*, mu: float, sigma: float, alpha: float, gamma: float, nodes: int = 400) -> dict:
    """Exact per-sample variances of F, R and combined, [mu, sigma] components, by Gauss-Hermite
    quadrature of E[g^2] (both estimators integrate against a standard normal). An independent
    check of the sampled variances; inaccurate only where the variance is infinite
    (F needs sigma^2 < 2a/(2a-1) for a > 1/2, R needs sigma^2 > (1-2a)/(2-2a) for a < 1/2)."""
    t, w = roots_hermitenorm(nodes)  # scipy's is stable for hundreds of nodes (numpy's overflows)
    t = torch.tensor(t, dtype=torch.float64)
    w = torch.tensor(w / math.sqrt(2 * math.pi), dtype=torch.float64)
    mean = true_grad_gauss(mu=mu, sigma=sigma, alpha=alpha)
    f = grad_forward(mu=mu, sigma=sigma, alpha=alpha, x=t)
    r = grad_reverse(mu=mu, sigma=sigma, alpha=alpha, eps=t)
    var_f = (w[:, None] * f**2).sum(0) - mean**2
    var_r = (w[:, None] * r**2).sum(0) - mean**2
    return {"F": var_f, "R": var_r, "combined": (1 - gamma) ** 2 * var_f + gamma**2 * var_r}
