"""Mode counts from a second, independent classifier of the source digits (issue 26, item 1).

Counts of blurry samples depend on the classifier by tens of modes, so every Step I and final count on
MNIST / stacked MNIST is cross-checked with a classifier that shares nothing with the project's CNN
(alphabridge.metrics.classifier): scikit-learn's k-nearest neighbours (k = 3) on the first 50 principal
components of the raw pixels, fitted on the source train digits. No gradient training, another inductive
bias. It reads the saved samples (final_samples.npz, final_step1_samples.npz, or bench/step1_search.py's
samples.npz: x uint8 [trials, n, C*H*W], dead) and prints, per file and trial, the modes covered and
KL(mode histogram || uniform): 10 digit classes for MNIST, 1000 triples (100 c0 + 10 c1 + c2) for stacked.

    python bench/second_classifier.py --dataset stacked_mnist \\
        --samples results/images/stacked_mnist/alpha_bridge/final_step1_samples.npz
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from alphabridge.data.stacked import mode_coverage, mode_of


def fit(source: dict, *, components: int = 50, k: int = 3):
    """PCA + kNN on the source train digits (pixels in [0, 1]); returns (model, source test accuracy)."""
    flat = lambda a: a.reshape(len(a), -1).astype(np.float32) / 255.0  # noqa: E731
    model = make_pipeline(PCA(n_components=components, random_state=0), KNeighborsClassifier(n_neighbors=k))
    model.fit(flat(source["train_images"]), source["train_labels"])
    return model, float((model.predict(flat(source["test_images"])) == source["test_labels"]).mean())


def digit_classes(model, x: np.ndarray, *, channels: int) -> np.ndarray:
    """Per-channel digit classes [n, channels] of flat uint8 images [n, channels * H * W]."""
    per = x.reshape(len(x) * channels, -1).astype(np.float32) / 255.0
    return model.predict(per).reshape(len(x), channels)


def coverage(model, x: np.ndarray, *, channels: int) -> dict:
    c = digit_classes(model, x, channels=channels)
    return mode_coverage(mode_of(c), n_modes=1000) if channels == 3 else mode_coverage(c[:, 0], n_modes=10)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, choices=["mnist", "stacked_mnist"])
    p.add_argument("--samples", nargs="+", type=Path, required=True, help="npz files of saved samples")
    p.add_argument("--root", type=Path, default=Path("."), help="the workflow directory (resources/ lives there)")
    a = p.parse_args(argv)
    stacked = a.dataset == "stacked_mnist"
    with np.load(a.root / f"resources/datasets/{a.dataset}.npz") as d:
        pre = "source_" if stacked else ""
        source = {k: d[pre + k] for k in ("train_images", "train_labels", "test_images", "test_labels")}
        real = (d["test_images"], d["test_labels"]) if stacked else None
    model, acc = fit(source)
    line = f"second classifier (PCA 50 + 3-NN on pixels): source test accuracy {acc:.4f}"
    if stacked:
        c = digit_classes(model, real[0].reshape(len(real[0]), -1), channels=3)
        line += f"; all three digits right on the stacked test images {(mode_of(c) == real[1]).mean():.4f}"
        line += f"; real stacked test images cover {coverage(model, real[0].reshape(len(real[0]), -1), channels=3)}"
    print(line, flush=True)
    for path in a.samples:
        with np.load(path) as f:
            x, dead = f["x"], set(f["dead"].tolist()) if "dead" in f.files else set()
        rows = [coverage(model, x[t], channels=3 if stacked else 1) for t in range(len(x)) if t not in dead]
        m = np.array([r["modes_covered"] for r in rows], float)
        kl = np.array([r["kl_uniform"] for r in rows], float)
        sd = lambda v: f" ± {v.std(ddof=1):.2f}" if len(v) > 1 else ""  # noqa: E731
        print(f"{path}: modes {m.mean():.1f}{sd(m)} (per trial {m.astype(int).tolist()}), "
              f"KL {kl.mean():.3f}{sd(kl)}; {len(rows)} trials, {x.shape[1]} samples each", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
