"""Image datasets for the image experiments, prepared once into `resources/datasets/{name}.npz`.

Each npz holds uint8 NCHW `train_images`, `test_images` and int64 `train_labels`, `test_labels`; CelebA adds
int8 {0,1} `train_attrs`, `test_attrs` and the 40 `attr_names` (its labels are -1: it has no classes).
MNIST and CIFAR-10 come through torchvision's own download code, which verifies md5s; offline, `prepare`
fails at once with DatasetUnavailable listing each file, its md5, its URL and the folder it belongs in.
CelebA is read from a user-supplied folder in the official layout. torchvision, PIL and scikit-learn are
imported inside the functions that need them, so importing this module stays cheap."""
from __future__ import annotations

import dataclasses
import socket
import tarfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from alphabridge.typed import from_dict
from alphabridge.errors import DatasetUnavailable
from alphabridge.io import atomic_path

NATIVE_SIZE = {"digits": 8, "mnist": 28, "cifar10": 32, "stacked_digits": 8, "stacked_mnist": 28}
CELEBA_CROP = 140  # centre crop of the 178x218 aligned faces before resizing (the usual DCGAN CelebA recipe)
DOWNLOAD_TIMEOUT_S = 15  # per socket operation; torchvision's urlopen has none, so a blackholed host would hang
KEYS = ("train_images", "train_labels", "test_images", "test_labels")


def parse_data(raw: dict, **_) -> "ImageDataConfig":
    """The image_data stage's slice (images.runs.<dataset>.data) -> its typed config."""
    return from_dict(ImageDataConfig, next(iter(raw["images"]["runs"].values()))["data"])


def is_stacked(name: str) -> bool:
    """stacked_digits / stacked_mnist: three digits as the channels of one image (data/stacked.py)."""
    return name.startswith("stacked_")


def image_shape(section: dict) -> tuple[int, int, int]:
    """(C, H, W) of an images.runs.<dataset> section's data: colour for CIFAR10 and CelebA, and three
    stacked digits for the stacked datasets."""
    d = section["data"]
    channels = 3 if d["name"] in ("cifar10", "celeba") or is_stacked(d["name"]) else 1
    return channels, d["image_size"], d["image_size"]


@dataclasses.dataclass(frozen=True)
class ImageDataConfig:
    """images.runs.<dataset>.data of the config (its defaults live there, not here)."""

    name: str  # digits | mnist | cifar10 | celeba | stacked_digits | stacked_mnist
    root: str  # download / raw-file folder (torchvision layout below it)
    image_size: int  # must be the native size (8, 28, 32); CelebA is resized to it
    celeba_dir: str | None  # user-supplied CelebA folder (img_align_celeba/ + list_attr_celeba.txt)
    test_fraction: float  # digits, and CelebA without list_eval_partition.txt
    seed: int
    max_images: int | None  # cap on the train set (seeded subset) for CPU presets; stacked: on the source digits
    stacked: dict | None  # stacked datasets only: {n_train, n_test}, the stacked images drawn per split

    def __post_init__(self):
        if self.name not in (*NATIVE_SIZE, "celeba"):
            raise ValueError(f"ImageDataConfig.name: unknown dataset {self.name!r}; "
                             f"expected one of {sorted((*NATIVE_SIZE, 'celeba'))}")
        if self.name in NATIVE_SIZE and self.image_size != NATIVE_SIZE[self.name]:
            raise ValueError(f"ImageDataConfig.image_size: {self.name} images are {NATIVE_SIZE[self.name]}x"
                             f"{NATIVE_SIZE[self.name]}, got image_size={self.image_size}")
        if self.name == "celeba" and not 1 <= self.image_size <= CELEBA_CROP:
            raise ValueError(f"ImageDataConfig.image_size: celeba is resized from a {CELEBA_CROP}x{CELEBA_CROP} "
                             f"centre crop, so it must be in 1..{CELEBA_CROP}, got {self.image_size}")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"ImageDataConfig.test_fraction: must be in (0, 1), got {self.test_fraction}")
        if self.max_images is not None and self.max_images < 1:
            raise ValueError(f"ImageDataConfig.max_images: must be >= 1 or None, got {self.max_images}")
        if is_stacked(self.name) != (self.stacked is not None):
            raise ValueError(f"ImageDataConfig.stacked: {{n_train, n_test}} for the stacked datasets and null for "
                             f"the others, got {self.stacked!r} for {self.name!r}")


def prepare(cfg: ImageDataConfig, *, out: Path) -> dict:
    """Build the dataset named by cfg and write it atomically to `out` (.npz); return a small summary."""
    from alphabridge.data.celeba import load_celeba  # it builds on this module's helpers
    from alphabridge.data.stacked import stack_splits

    source = cfg.name.removeprefix("stacked_")
    loader = {"digits": _digits, "mnist": _mnist, "cifar10": _cifar10, "celeba": load_celeba}[source]
    arrays, split = loader(dataclasses.replace(cfg, name=source, stacked=None))
    if source != "celeba":  # CelebA caps before decoding, so it never reads the images it drops
        keep = _cap(len(arrays["train_labels"]), max_images=cfg.max_images, seed=cfg.seed)
        for key in ("train_images", "train_labels"):
            arrays[key] = arrays[key][keep]
    if cfg.stacked is not None:
        arrays = stack_splits(arrays, **cfg.stacked, seed=cfg.seed)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:  # a file object: np.savez would append ".npz"
        np.savez(fh, **arrays)
    return {"name": cfg.name, "n_train": int(len(arrays["train_images"])),
            "n_test": int(len(arrays["test_images"])), "shape": list(arrays["train_images"].shape[1:]),
            "split": split}


def load_prepared(path: str | Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    missing = [k for k in KEYS if k not in data]
    if missing:
        raise ValueError(f"{path}: not a prepared image dataset, missing {missing}")
    return data


def to_unit_range(images_uint8) -> torch.Tensor:
    """uint8 in 0..255 -> float32 in [-1, 1] (the generators' tanh range)."""
    x = torch.as_tensor(images_uint8)
    if x.dtype != torch.uint8:
        raise ValueError(f"to_unit_range expects uint8 images, got {x.dtype}")
    return x.to(torch.float32) / 127.5 - 1.0


def to_uint8(x) -> torch.Tensor:
    """Inverse of to_unit_range (rounded, clipped), for saving image grids."""
    x = torch.as_tensor(x, dtype=torch.float32)
    return ((x + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)


def _cap(n: int, *, max_images: int | None, seed: int) -> np.ndarray:
    """Sorted indices of a seeded subset of size max_images (all of them when uncapped or smaller)."""
    if max_images is None or max_images >= n:
        return np.arange(n)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))  # own stream: independent of the split
    return np.sort(rng.choice(n, size=max_images, replace=False))


def _random_split(n: int, *, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    n_test = int(round(n * test_fraction))
    if not 1 <= n_test < n:
        raise ValueError(f"ImageDataConfig.test_fraction={test_fraction} leaves an empty split of {n} images")
    perm = np.random.default_rng(np.random.SeedSequence([seed, 0])).permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


# --- digits: scikit-learn's bundled 8x8 digits (offline) -------------------------------------------------

def _digits(cfg: ImageDataConfig):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)  # x in 0..16
    images = np.rint(x * (255.0 / 16.0)).astype(np.uint8).reshape(-1, 1, 8, 8)
    labels = y.astype(np.int64)
    tr, te = train_test_split(np.arange(len(y)), test_size=cfg.test_fraction, stratify=labels,
                              random_state=cfg.seed)
    tr, te = np.sort(tr), np.sort(te)
    return {"train_images": images[tr], "train_labels": labels[tr],
            "test_images": images[te], "test_labels": labels[te]}, "stratified"


# --- MNIST and CIFAR-10 through torchvision ---------------------------------------------------------------

_DOWNLOAD_ERRORS = (OSError, RuntimeError, EOFError, tarfile.TarError, zlib.error)  # URLError is an OSError


@contextmanager
def _socket_timeout(seconds: float):
    """Bound each socket operation of torchvision's urlopen calls (they pass no timeout); restored after."""
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(old)


def _md5_status(path: Path, md5: str) -> str:
    from torchvision.datasets.utils import calculate_md5

    if not path.is_file():
        return "missing"
    found = calculate_md5(path)
    return "ok" if found == md5 else f"md5 mismatch: found {found}"


def _load_torchvision(cls, root: Path) -> tuple:
    """Train and test splits through the class's real download-and-load code; raises _DOWNLOAD_ERRORS."""
    with _socket_timeout(DOWNLOAD_TIMEOUT_S):
        return cls(str(root), train=True, download=True), cls(str(root), train=False, download=True)


def _mnist(cfg: ImageDataConfig):
    from torchvision.datasets import MNIST

    root = Path(cfg.root).resolve()
    raw = root / "MNIST" / "raw"
    try:
        train, test = _load_torchvision(MNIST, root)
    except _DOWNLOAD_ERRORS as e:
        lines = []
        for filename, md5 in MNIST.resources:
            plain = raw / filename.removesuffix(".gz")
            status = "decompressed copy present" if plain.is_file() else _md5_status(raw / filename, md5)
            lines.append(f"  {filename}  md5 {md5}  [{status}]")
            lines += [f"      {mirror}{filename}" for mirror in MNIST.mirrors]
        raise DatasetUnavailable(
            f"MNIST is not on disk and could not be downloaded ({type(e).__name__}: {_reason(e)}).\n"
            f"Put these files in {raw}/ (torchvision's layout), then rerun:\n" + "\n".join(lines) +
            "\nCopies already decompressed (the same names without .gz) are accepted as they are.") from e
    arrays = {}
    for split, ds in (("train", train), ("test", test)):
        arrays[f"{split}_images"] = ds.data.numpy().astype(np.uint8)[:, None]
        arrays[f"{split}_labels"] = ds.targets.numpy().astype(np.int64)
    return arrays, "official"


def _cifar10(cfg: ImageDataConfig):
    from torchvision.datasets import CIFAR10

    root = Path(cfg.root).resolve()
    folder = root / CIFAR10.base_folder
    try:
        train, test = _load_torchvision(CIFAR10, root)
    except _DOWNLOAD_ERRORS as e:
        files = [*CIFAR10.train_list, *CIFAR10.test_list, [CIFAR10.meta["filename"], CIFAR10.meta["md5"]]]
        lines = [f"  {name}  md5 {md5}  [{_md5_status(folder / name, md5)}]" for name, md5 in files]
        archive = _md5_status(root / CIFAR10.filename, CIFAR10.tgz_md5)
        raise DatasetUnavailable(
            f"CIFAR-10 is not on disk and could not be downloaded ({type(e).__name__}: {_reason(e)}).\n"
            f"Either put the archive in {root}/ :\n"
            f"  {CIFAR10.filename}  md5 {CIFAR10.tgz_md5}  [{archive}]\n"
            f"      {CIFAR10.url}\n"
            f"or its extracted files in {folder}/ :\n" + "\n".join(lines) + "\nthen rerun.") from e
    arrays = {}
    for split, ds in (("train", train), ("test", test)):
        arrays[f"{split}_images"] = np.ascontiguousarray(ds.data.transpose(0, 3, 1, 2)).astype(np.uint8)
        arrays[f"{split}_labels"] = np.asarray(ds.targets, dtype=np.int64)
    return arrays, "official"


def _reason(e: BaseException) -> str:
    """The exception's text on one line (torchvision's MNIST error spans several: one per mirror tried)."""
    text = " ".join(line.strip() for line in str(e).splitlines() if line.strip()) or "no message"
    return text if len(text) <= 400 else text[:400] + " ..."


# --- CelebA from a user-supplied folder ---------------------------------------------------------------------
