"""KID and precision/recall (torch-fidelity) against independent NumPy computations on features
built here, including a case where precision and recall differ (so a real/fake swap fails)."""

import numpy as np
import pytest

from alphabridge.metrics.fidelity import kid, precision_recall


def _knn_radius(x, k):
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def _prc(fake, real, k):
    rr, rf = _knn_radius(real, k), _knn_radius(fake, k)
    d = np.linalg.norm(fake[:, None] - real[None], axis=-1)  # [fake, real]
    return float((d <= rr[None]).any(1).mean()), float((d <= rf[:, None]).any(0).mean())


def _mmd2_unbiased(x, y):
    kern = lambda a, b: (a @ b.T / a.shape[1] + 1) ** 3  # noqa: E731
    m = len(x)
    kxx, kyy, kxy = kern(x, x), kern(y, y), kern(x, y)
    return ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * kxy.mean()


def test_precision_recall_by_hand_and_not_swapped():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 4))
    fake = rng.normal(size=(200, 4)) * 0.3  # a sharp, collapsed model: high precision, low recall
    p, r = precision_recall(fake, real, k=3)
    assert (p, r) == pytest.approx(_prc(fake, real, 3), abs=1e-6)  # a float32 mean inside
    assert p > 0.9 and r < 0.5


def test_precision_recall_known_answers():
    real = np.array([[0.0, 0], [1, 0], [0, 1], [1, 1]])
    assert precision_recall(real, real, k=1) == (1.0, 1.0)
    far = real + 100.0
    assert precision_recall(far, real, k=1) == (0.0, 0.0)
    half = np.vstack([real[:2], far[:2]])  # two generated points on the data, two far off
    assert precision_recall(half, real, k=1)[0] == 0.5


def test_kid_by_hand_with_one_subset_holding_everything():
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(60, 5)), rng.normal(size=(60, 5)) + 0.5
    mean, std = kid(fake, real, subsets=1, subset_size=60, seed=0)
    assert mean == pytest.approx(_mmd2_unbiased(fake.astype(np.float32), real.astype(np.float32)), rel=1e-5)
    assert std == 0.0


def test_kid_is_near_zero_for_one_distribution_and_capped_subsets():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(400, 8)), rng.normal(size=(150, 8))
    mean, std = kid(a, b, subsets=20, subset_size=1000, seed=0)  # subset capped at 150
    shifted, _ = kid(a + 1.0, b, subsets=20, subset_size=1000, seed=0)
    assert abs(mean) < 0.05 < shifted and std > 0
    # symmetric in its arguments (an MMD), unlike precision/recall
    assert kid(b, a[:150], subsets=1, subset_size=150, seed=0)[0] == pytest.approx(
        kid(a[:150], b, subsets=1, subset_size=150, seed=0)[0], rel=1e-6)


def test_bad_features_are_named():
    with pytest.raises(ValueError, match="features"):
        kid(np.zeros(5), np.zeros((5, 2)), subsets=1, subset_size=5, seed=0)
