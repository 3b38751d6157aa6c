"""Stacked 1000-mode datasets: every channel is one of the source digits and the mode is its triple
of classes; mode coverage and KL(histogram || uniform) against known answers."""
import math

import numpy as np
import pytest

from alphabridge.data.stacked import mode_coverage, mode_of, stack_digits


def _source(n=50, size=4):
    rng = np.random.default_rng(0)
    labels = np.arange(n) % 10  # balanced classes
    images = (labels[:, None, None, None] * 20 + rng.integers(0, 5, size=(n, 1, size, size))).astype(np.uint8)
    return images, labels


def test_each_channel_is_a_source_digit_and_the_mode_its_classes():
    images, labels = _source()
    x, modes = stack_digits(images, labels, n=400, seed=1)
    assert x.shape == (400, 3, 4, 4) and x.dtype == np.uint8 and modes.min() >= 0 and modes.max() < 1000
    for i in range(0, 400, 37):
        classes = []
        for c in range(3):
            j = next(j for j in range(len(images)) if np.array_equal(images[j, 0], x[i, c]))
            classes.append(labels[j])
        assert mode_of(np.array([classes]))[0] == modes[i]
    x2, m2 = stack_digits(images, labels, n=400, seed=1)
    assert np.array_equal(x, x2) and np.array_equal(modes, m2)  # deterministic
    assert not np.array_equal(stack_digits(images, labels, n=400, seed=2)[1], modes)
    # channels drawn independently: all 1000 modes appear when the source has every class
    assert mode_coverage(stack_digits(images, labels, n=20000, seed=0)[1])["modes_covered"] == 1000


def test_mode_coverage_known_answers():
    assert mode_coverage(np.arange(1000)) == {"modes_covered": 1000, "kl_uniform": 0.0}
    one = mode_coverage(np.full(26000, 7))
    assert one["modes_covered"] == 1 and one["kl_uniform"] == pytest.approx(math.log(1000))
    half = mode_coverage(np.repeat(np.arange(500), 3))  # 500 modes, equally often: KL = log 2
    assert half["modes_covered"] == 500 and half["kl_uniform"] == pytest.approx(math.log(2))
    with pytest.raises(ValueError, match="0..999"):
        mode_coverage(np.array([1000]))


def test_bad_source_is_named():
    with pytest.raises(ValueError, match="1-channel"):
        stack_digits(np.zeros((5, 3, 4, 4), np.uint8), np.zeros(5, int), n=2, seed=0)
