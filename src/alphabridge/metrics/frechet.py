"""The Fréchet distance between two Gaussians, ours rather than pytorch-fid's.

pytorch-fid 0.3.0's calculate_frechet_distance passes `scipy.linalg.sqrtm(..., disp=False)`, a keyword
SciPy 1.18 removed (TypeError), and the GPU machine ships the newest SciPy. The distance only needs the
trace of (S1 S2)^1/2, which equals the sum of the square roots of the eigenvalues of the symmetric
positive semi-definite matrix S1^1/2 S2 S1^1/2 (S1 S2 is similar to it). Two symmetric eigen-
decompositions in float64 give that trace without a general matrix square root: no complex parts to
drop, no "singular product" retry with an eps on the diagonal, and rank-deficient covariances (fewer
samples than feature dimensions) are exact rather than approximate. Same value as pytorch-fid's to
~1e-15 relative on well-conditioned input, ~1e-9 on rank-deficient (tests/test_metrics_images.py).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a covariance. Eigenvalues a rounding error below zero are clipped:
    a covariance is PSD, and a sqrt of -1e-15 would be NaN."""
    w, v = linalg.eigh(sigma)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def trace_sqrt_product(sigma1, sigma2) -> float:
    """Tr((S1 S2)^1/2) for covariances S1, S2, via the eigenvalues of S1^1/2 S2 S1^1/2."""
    s1 = np.atleast_2d(np.asarray(sigma1, dtype=np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, dtype=np.float64))
    r1 = _psd_sqrt((s1 + s1.T) / 2)  # symmetrised: np.cov's output is symmetric only up to rounding
    m = r1 @ s2 @ r1
    ev = linalg.eigvalsh((m + m.T) / 2)
    return float(np.sqrt(np.clip(ev, 0.0, None)).sum())


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2): FID when the Gaussians are feature statistics."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    s1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    s2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"shapes differ: mu {mu1.shape} vs {mu2.shape}, sigma {s1.shape} vs {s2.shape}")
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2))
