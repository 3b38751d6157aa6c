"""bench/second_classifier.py reads stacked samples channel by channel in the order the data stacks them:
on stacked images of digits it classifies right, its modes and KL are those of the true triples."""
import importlib.util

import numpy as np
from sklearn.datasets import load_digits

from alphabridge.data.stacked import mode_coverage, mode_of
from conftest import REPO


def _module():
    spec = importlib.util.spec_from_file_location("second_classifier", REPO / "bench/second_classifier.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_stacked_modes_are_the_true_triples_where_each_digit_is_right():
    sc = _module()
    d = load_digits()
    imgs = (d.images / 16 * 255).astype(np.uint8)[:, None]  # [N, 1, 8, 8] uint8, as the prepared npz
    source = {"train_images": imgs[:1200], "train_labels": d.target[:1200],
              "test_images": imgs[1200:], "test_labels": d.target[1200:]}
    model, acc = sc.fit(source, components=30)
    assert acc > 0.9
    test, labels = imgs[1200:], d.target[1200:]
    right = np.flatnonzero(sc.digit_classes(model, test.reshape(len(test), -1), channels=1)[:, 0] == labels)
    rng = np.random.default_rng(0)
    pick = rng.choice(right, size=(400, 3))  # three digits per image, each one the classifier gets right
    x = np.concatenate([test[pick[:, c]] for c in range(3)], axis=1).reshape(400, -1)  # channels c0, c1, c2
    truth = mode_coverage(mode_of(labels[pick]), n_modes=1000)
    assert sc.coverage(model, x, channels=3) == truth and 100 < truth["modes_covered"] < 400
    flipped = np.concatenate([test[pick[:, c]] for c in (2, 1, 0)], axis=1).reshape(400, -1)
    assert (mode_of(sc.digit_classes(model, flipped, channels=3)) == mode_of(labels[pick][:, ::-1])).all()
