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


def test_stacked_classifier_joins_the_per_channel_classes():
    import torch

    from alphabridge.metrics.classifier import DigitClassifier, as_stacked

    torch.manual_seed(0)
    one = DigitClassifier().eval()
    three = as_stacked(one)
    x = torch.rand(5, 3, 8, 8) * 2 - 1
    with torch.no_grad():
        feats, joint = three(x)
        per = [one(x[:, c : c + 1]) for c in range(3)]
    assert torch.allclose(feats, torch.cat([f for f, _ in per], 1), atol=1e-6)  # batch 15 vs 5: float rounding
    p = [torch.softmax(lg, 1) for _, lg in per]
    product = (p[0][:, :, None, None] * p[1][:, None, :, None] * p[2][:, None, None, :]).reshape(5, 1000)
    assert torch.allclose(torch.softmax(joint, 1), product, atol=1e-6)
    classes = np.stack([lg.argmax(1).numpy() for _, lg in per], 1)
    assert np.array_equal(joint.argmax(1).numpy(), mode_of(classes))


def test_prepared_stacked_digits_keep_their_sources(tmp_path):
    from alphabridge import defaults
    from alphabridge.data.images import load_prepared, prepare

    cfg = defaults.image_data("stacked_digits", root=str(tmp_path), stacked={"n_train": 500, "n_test": 300})
    summary = prepare(cfg, out=tmp_path / "s.npz")
    d = load_prepared(tmp_path / "s.npz")
    assert summary["shape"] == [3, 8, 8] and summary["n_train"] == 500 and summary["n_test"] == 300
    assert len(d["source_train_images"]) + len(d["source_test_images"]) == 1797
    assert d["test_labels"].max() < 1000 and d["train_images"].dtype == np.uint8
    prepare(defaults.image_data("digits", root=str(tmp_path)), out=tmp_path / "d.npz")
    plain = load_prepared(tmp_path / "d.npz")
    assert np.array_equal(plain["test_images"], d["source_test_images"])  # the same split of the same digits
    with pytest.raises(ValueError, match="stacked"):
        defaults.image_data("stacked_digits", stacked=None)
    with pytest.raises(ValueError, match="stacked"):
        defaults.image_data("digits", stacked={"n_train": 1, "n_test": 1})
