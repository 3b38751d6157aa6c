"""Image datasets, all offline: digits from scikit-learn; MNIST and CIFAR-10 from small files written here in the
real on-disk formats and read by torchvision's own loaders; CelebA from a tiny folder in the official layout;
and the DatasetUnavailable messages when nothing is on disk and the network is gone (CelebA: test_data_celeba.py)."""
import dataclasses
import gzip
import hashlib
import math
import pickle
import struct
import time
import urllib.error

import numpy as np
import pytest
import torch

from alphabridge.data.images import load_prepared, prepare, to_uint8, to_unit_range
from alphabridge.errors import DatasetUnavailable
from alphabridge import defaults

torch.set_num_threads(1)  # a long job shares this machine


def md5(path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def offline(monkeypatch):
    """Every urlopen fails at once, as with no network (torchvision downloads through urllib)."""
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network disabled by the test")
    monkeypatch.setattr("urllib.request.urlopen", refuse)


# --- config ----------------------------------------------------------------------------------------------

def test_bad_name_and_image_size_name_the_field():
    with pytest.raises(ValueError, match=r"ImageDataConfig\.name"):
        dataclasses.replace(defaults.image_data(), name="svhn")
    with pytest.raises(ValueError, match=r"ImageDataConfig\.image_size"):
        defaults.image_data("digits", image_size=28, test_fraction=0.1)
    with pytest.raises(ValueError, match=r"ImageDataConfig\.image_size"):
        defaults.image_data("mnist", image_size=32)
    with pytest.raises(ValueError, match=r"ImageDataConfig\.test_fraction"):
        defaults.image_data("digits", test_fraction=1.0)


# --- digits ----------------------------------------------------------------------------------------------

def test_digits_shapes_split_and_determinism(tmp_path):
    from sklearn.datasets import load_digits

    cfg = defaults.image_data("digits", image_size=8, test_fraction=0.2, seed=5)
    summary = prepare(cfg, out=tmp_path / "a.npz")
    d = load_prepared(tmp_path / "a.npz")
    n = 1797
    assert summary == {"name": "digits", "n_train": n - 360, "n_test": 360, "shape": [1, 8, 8],
                       "split": "stratified"}
    assert len(d["test_images"]) == math.ceil(n * 0.2) == 360
    for split in ("train", "test"):
        x, y = d[f"{split}_images"], d[f"{split}_labels"]
        assert x.dtype == np.uint8 and x.shape == (len(y), 1, 8, 8) and y.dtype == np.int64
        assert set(y.tolist()) == set(range(10))
    assert d["train_images"].max() == 255 and d["train_images"].min() == 0

    # train + test is exactly the bundled set (as a multiset): a partition, so the splits are disjoint
    x, y = load_digits(return_X_y=True)
    full = np.concatenate([np.rint(x * 255 / 16).astype(np.uint8), y[:, None]], axis=1)
    got = np.concatenate([np.concatenate([d[f"{s}_images"].reshape(-1, 64), d[f"{s}_labels"][:, None]], 1)
                          for s in ("train", "test")])
    assert np.array_equal(np.unique(full, axis=0, return_counts=True)[1],
                          np.unique(got, axis=0, return_counts=True)[1])
    assert np.array_equal(np.unique(full, axis=0), np.unique(got, axis=0))

    prepare(cfg, out=tmp_path / "b.npz")
    again = load_prepared(tmp_path / "b.npz")
    assert all(np.array_equal(d[k], again[k]) for k in d)
    prepare(defaults.image_data("digits", test_fraction=0.2, seed=6), out=tmp_path / "c.npz")
    assert not np.array_equal(d["test_images"], load_prepared(tmp_path / "c.npz")["test_images"])


def test_max_images_is_a_seeded_subset_of_the_train_set(tmp_path):
    full = prepare(defaults.image_data("digits", seed=1, test_fraction=0.1), out=tmp_path / "full.npz")
    capped = prepare(defaults.image_data("digits", seed=1, max_images=100, test_fraction=0.1), out=tmp_path / "cap.npz")
    assert capped["n_train"] == 100 and capped["n_test"] == full["n_test"]
    a, b = load_prepared(tmp_path / "full.npz"), load_prepared(tmp_path / "cap.npz")
    rows = {r.tobytes() for r in a["train_images"]}
    assert all(r.tobytes() in rows for r in b["train_images"])
    assert np.array_equal(a["test_images"], b["test_images"])
    prepare(defaults.image_data("digits", seed=1, max_images=100, test_fraction=0.1), out=tmp_path / "cap2.npz")
    assert np.array_equal(b["train_images"], load_prepared(tmp_path / "cap2.npz")["train_images"])


# --- MNIST -----------------------------------------------------------------------------------------------

def idx_images(x: np.ndarray) -> bytes:
    return struct.pack(">iiii", 2051, *x.shape) + x.tobytes()


def idx_labels(y: np.ndarray) -> bytes:
    return struct.pack(">ii", 2049, len(y)) + y.astype(np.uint8).tobytes()


def mnist_arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {"train": (rng.integers(0, 256, (7, 28, 28), dtype=np.uint8), rng.integers(0, 10, 7)),
            "t10k": (rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), rng.integers(0, 10, 3))}


def write_mnist(raw, arrays, *, compress=True) -> dict[str, str]:
    """The four IDX files under torchvision's names; returns {file name: md5}."""
    from torchvision.datasets import MNIST

    raw.mkdir(parents=True)
    written = {}
    for name, _ in MNIST.resources:
        split, kind = name.split("-")[:2]
        x, y = arrays[split]
        payload = idx_images(x) if kind == "images" else idx_labels(y)
        path = raw / (name if compress else name.removesuffix(".gz"))
        path.write_bytes(gzip.compress(payload) if compress else payload)
        written[name] = md5(path)
    return written


def assert_mnist_equal(npz, arrays):
    d = load_prepared(npz)
    for split, key in (("train", "train"), ("t10k", "test")):
        x, y = arrays[split]
        assert np.array_equal(d[f"{key}_images"], x[:, None]) and d[f"{key}_images"].dtype == np.uint8
        assert np.array_equal(d[f"{key}_labels"], y) and d[f"{key}_labels"].dtype == np.int64


def test_mnist_gz_files_load_through_torchvision(tmp_path, monkeypatch, offline):
    from torchvision.datasets import MNIST

    arrays = mnist_arrays()
    written = write_mnist(tmp_path / "raw" / "MNIST" / "raw", arrays)
    # torchvision checks each .gz against MNIST.resources; these are ours, not the official files
    monkeypatch.setattr(MNIST, "resources", [(name, written[name]) for name, _ in MNIST.resources])
    summary = prepare(defaults.image_data("mnist", root=str(tmp_path / "raw"), image_size=28),
                      out=tmp_path / "mnist.npz")
    assert summary["n_train"] == 7 and summary["n_test"] == 3 and summary["shape"] == [1, 28, 28]
    assert_mnist_equal(tmp_path / "mnist.npz", arrays)


def test_mnist_decompressed_files_are_accepted_as_they_are(tmp_path, offline):
    arrays = mnist_arrays(1)
    write_mnist(tmp_path / "raw" / "MNIST" / "raw", arrays, compress=False)
    prepare(defaults.image_data("mnist", root=str(tmp_path / "raw"), image_size=28), out=tmp_path / "m.npz")
    assert_mnist_equal(tmp_path / "m.npz", arrays)


def test_mnist_gz_with_a_foreign_md5_is_reported(tmp_path, offline):
    write_mnist(tmp_path / "raw" / "MNIST" / "raw", mnist_arrays())
    with pytest.raises(DatasetUnavailable, match="md5 mismatch: found"):
        prepare(defaults.image_data("mnist", root=str(tmp_path / "raw"), image_size=28), out=tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


# --- CIFAR-10 --------------------------------------------------------------------------------------------

def test_cifar10_batches_load_through_torchvision(tmp_path, monkeypatch, offline):
    from torchvision.datasets import CIFAR10

    folder = tmp_path / "raw" / CIFAR10.base_folder
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written, expect = {}, {"train": ([], []), "test": ([], [])}
    for name, _ in CIFAR10.train_list + CIFAR10.test_list:
        x = rng.integers(0, 256, (2, 3 * 32 * 32), dtype=np.uint8)
        y = rng.integers(0, 10, 2).tolist()
        (folder / name).write_bytes(pickle.dumps({"batch_label": name, "data": x, "labels": y}))
        written[name] = md5(folder / name)
        split = "test" if name == "test_batch" else "train"
        expect[split][0].append(x.reshape(-1, 3, 32, 32))
        expect[split][1].extend(y)
    meta = folder / CIFAR10.meta["filename"]
    meta.write_bytes(pickle.dumps({CIFAR10.meta["key"]: [f"class{i}" for i in range(10)]}))
    # torchvision checks each file against these md5s; ours are not the official files
    monkeypatch.setattr(CIFAR10, "train_list", [[n, written[n]] for n, _ in CIFAR10.train_list])
    monkeypatch.setattr(CIFAR10, "test_list", [[n, written[n]] for n, _ in CIFAR10.test_list])
    monkeypatch.setattr(CIFAR10, "meta", {**CIFAR10.meta, "md5": md5(meta)})

    summary = prepare(defaults.image_data("cifar10", root=str(tmp_path / "raw"), image_size=32),
                      out=tmp_path / "c.npz")
    assert summary["n_train"] == 10 and summary["n_test"] == 2 and summary["shape"] == [3, 32, 32]
    d = load_prepared(tmp_path / "c.npz")
    for split in ("train", "test"):
        assert np.array_equal(d[f"{split}_images"], np.concatenate(expect[split][0]))
        assert d[f"{split}_labels"].tolist() == expect[split][1] and d[f"{split}_labels"].dtype == np.int64


# --- offline failures ------------------------------------------------------------------------------------

def timed_failure(cfg, out):
    start = time.monotonic()
    with pytest.raises(DatasetUnavailable) as err:
        prepare(cfg, out=out)
    assert time.monotonic() - start < 30
    assert not out.exists()
    return str(err.value)


def test_mnist_offline_names_folder_files_md5s_and_urls(tmp_path, offline):
    from torchvision.datasets import MNIST

    msg = timed_failure(defaults.image_data("mnist", root=str(tmp_path / "raw"), image_size=28),
                        tmp_path / "m.npz")
    assert str((tmp_path / "raw" / "MNIST" / "raw").resolve()) in msg
    for name, checksum in MNIST.resources:
        assert name in msg and checksum in msg
        assert all(f"{mirror}{name}" in msg for mirror in MNIST.mirrors)


def test_cifar10_offline_names_folder_files_md5s_and_url(tmp_path, offline):
    from torchvision.datasets import CIFAR10

    msg = timed_failure(defaults.image_data("cifar10", root=str(tmp_path / "raw"), image_size=32),
                        tmp_path / "c.npz")
    root = (tmp_path / "raw").resolve()
    assert str(root) in msg and str(root / CIFAR10.base_folder) in msg
    assert CIFAR10.filename in msg and CIFAR10.tgz_md5 in msg and CIFAR10.url in msg
    for name, checksum in [*CIFAR10.train_list, *CIFAR10.test_list, [CIFAR10.meta["filename"], CIFAR10.meta["md5"]]]:
        assert name in msg and checksum in msg


# --- value range -----------------------------------------------------------------------------------------

def test_unit_range_round_trip_is_exact():
    u = torch.arange(256, dtype=torch.uint8).reshape(1, 1, 16, 16)
    x = to_unit_range(u)
    assert x.dtype == torch.float32 and x.min() == -1.0 and x.max() == 1.0
    assert torch.equal(to_uint8(x), u)
    assert torch.equal(to_uint8(torch.tensor([-3.0, 3.0])), torch.tensor([0, 255], dtype=torch.uint8))
    assert torch.equal(to_uint8(to_unit_range(np.arange(256, dtype=np.uint8))), torch.arange(256).to(torch.uint8))
    with pytest.raises(ValueError):
        to_unit_range(torch.zeros(2))
