"""The stacked 1000-mode benchmark through Snakemake (config/smoke.yaml): the data rule stacks digits
of each split, the classifier reads each channel, and the table's mode counts and KL are recomputed
here from the saved samples with a one-digit copy of the classifier and NumPy."""
import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import torch

from alphabridge.metrics.classifier import DigitClassifier, load_classifier


ROWS = ["alpha_bridge", "dcgan", "alpha_bridge_step1", "real_data"]
SAVED = {"alpha_bridge": "alpha_bridge/final_samples.npz", "dcgan": "dcgan/final_samples.npz",
         "alpha_bridge_step1": "alpha_bridge/final_step1_samples.npz", "real_data": "real_data_samples.npz"}


@pytest.fixture
def stacked_run(smoke):
    return smoke  # the session's one smoke run (conftest.SMOKE_TARGETS)


def _digit_classes(run, u8):
    """Per-channel classes [n, 3] of flat uint8 stacked images, by the classifier's weights in a
    one-digit net (not the stacked net the pipeline scored with)."""
    stacked, _ = load_classifier(run / "resources/classifiers/stacked_digits.pt")
    net = DigitClassifier(replace(stacked.arch, stacked=False))
    net.load_state_dict(stacked.state_dict())
    x = torch.from_numpy(u8.reshape(-1, 1, 8, 8)).float() / 127.5 - 1
    with torch.no_grad():
        return net.eval()(x)[1].argmax(1).numpy().reshape(-1, 3)


@pytest.mark.workflow
def test_stacked_data_draws_each_split_from_its_own_digits(stacked_run):
    d = np.load(stacked_run / "resources/datasets/stacked_digits.npz")
    assert d["train_images"].shape == (3000, 3, 8, 8) and d["test_images"].shape == (2000, 3, 8, 8)
    for split in ("train", "test"):
        src = {img.tobytes(): lab for img, lab in zip(d[f"source_{split}_images"][:, 0], d[f"source_{split}_labels"])}
        for i in range(0, len(d[f"{split}_images"]), 97):
            classes = [src[d[f"{split}_images"][i, c].tobytes()] for c in range(3)]  # KeyError: not from this split
            assert 100 * classes[0] + 10 * classes[1] + classes[2] == d[f"{split}_labels"][i]
    report = json.loads((stacked_run / "results/images/stacked_digits/classifier.json").read_text())
    pred = _digit_classes(stacked_run, d["test_images"])
    assert report["stacked_test_accuracy"] == pytest.approx(
        (100 * pred[:, 0] + 10 * pred[:, 1] + pred[:, 2] == d["test_labels"]).mean(), abs=1e-9)
    assert report["stacked_test_accuracy"] > 0.8 and report["n_stacked_test"] == 2000


@pytest.mark.workflow
def test_mode_counts_and_kl_recomputed_from_saved_samples(stacked_run):
    trials = pd.read_csv(stacked_run / "results/tables/stacked_digits_trials.csv")
    assert list(trials.method.unique()) == ROWS
    for method in ROWS:
        with np.load(stacked_run / "results/images/stacked_digits" / SAVED[method]) as f:
            x = f["x"]
        assert x.shape == ((1,) if method == "real_data" else (2,)) + (2000, 192) and x.dtype == np.uint8
        for t in range(len(x)):
            c = _digit_classes(stacked_run, x[t])
            counts = np.bincount(100 * c[:, 0] + 10 * c[:, 1] + c[:, 2], minlength=1000)
            p = counts[counts > 0] / len(c)
            row = trials[(trials.method == method) & (trials.trial == t)].iloc[0]
            assert row.modes_covered == (counts > 0).sum()
            assert row.kl_uniform == pytest.approx(float(np.sum(p * np.log(p * 1000))), rel=1e-9)
    real = trials[trials.method == "real_data"].iloc[0]
    # 2000 uniform draws of 1000 modes cover 1000 (1 - e^-2) = 865 on average; classifier errors add a few
    assert 800 < real.modes_covered < 930 and real.kl_uniform < 0.6
    table = pd.read_csv(stacked_run / "results/tables/stacked_digits.csv")
    assert list(table.method) == ROWS and list(table.n_trials) == [2, 2, 2, 1]
