"""CelebA from a user-supplied folder in the official layout (img_align_celeba/, list_attr_celeba.txt and,
optionally, list_eval_partition.txt): no download, the 40 attributes kept for Fig. 6's latent walk."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from alphabridge.data.images import CELEBA_CROP, ImageDataConfig, _cap, _random_split
from alphabridge.errors import DatasetUnavailable


def _celeba_help(problem: str) -> str:
    from torchvision.datasets import CelebA

    wanted = ("img_align_celeba.zip", "list_attr_celeba.txt", "list_eval_partition.txt")
    drive = [f"  {name}  md5 {md5}  (Google Drive id {fid})" for fid, md5, name in CelebA.file_list if name in wanted]
    return (f"CelebA needs a local copy: {problem}.\n"
            "Set the config key `celeba_dir` (ImageDataConfig.celeba_dir) to a folder laid out as:\n"
            "  <celeba_dir>/img_align_celeba/000001.jpg ... (the aligned-and-cropped 178x218 JPEGs)\n"
            "  <celeba_dir>/list_attr_celeba.txt       (count line, 40 attribute names, then 'file v1..v40' in 1/-1)\n"
            "  <celeba_dir>/list_eval_partition.txt    (optional: the official split; else test_fraction is used)\n"
            "The files come from the CelebA site, or the Google Drive files torchvision.datasets.CelebA uses "
            "(unzip img_align_celeba.zip inside celeba_dir):\n" + "\n".join(drive))


def read_celeba_attrs(path: Path) -> tuple[list[str], list[str], np.ndarray]:
    """Parse list_attr_celeba.txt -> (file names, attribute names, int8 [N, 40] in {0, 1})."""
    lines = Path(path).read_text().splitlines()
    count, names = int(lines[0].split()[0]), lines[1].split()
    files, rows = [], []
    for lineno, line in enumerate(lines[2:], start=3):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != len(names) + 1 or any(v not in ("1", "-1") for v in parts[1:]):
            raise ValueError(f"{path}:{lineno}: expected a file name and {len(names)} values in 1/-1")
        files.append(parts[0])
        rows.append([v == "1" for v in parts[1:]])
    if len(files) != count:
        raise ValueError(f"{path}: header says {count} images, found {len(files)}")
    return files, names, np.asarray(rows, dtype=np.int8).reshape(len(files), len(names))


def _celeba_split(files: list[str], cfg: ImageDataConfig, folder: Path):
    """Official partition (0 train, 2 test; 1 = validation is left out, as in torchvision) or a seeded split."""
    partition = folder / "list_eval_partition.txt"
    if not partition.is_file():
        return (*_random_split(len(files), test_fraction=cfg.test_fraction, seed=cfg.seed), "random")
    part = dict(line.split()[:2] for line in partition.read_text().splitlines() if line.strip())
    unknown = [f for f in files if f not in part]
    if unknown:
        raise ValueError(f"{partition}: {len(unknown)} image(s) of list_attr_celeba.txt are not listed, "
                         f"e.g. {unknown[0]}")
    codes = np.array([int(part[f]) for f in files])
    return np.flatnonzero(codes == 0), np.flatnonzero(codes == 2), "official"


def celeba_image(path: Path, *, size: int) -> np.ndarray:
    """Centre-crop CELEBA_CROP x CELEBA_CROP, resize to size x size (bilinear, antialiased); uint8 CHW RGB."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        if min(w, h) < CELEBA_CROP:
            raise ValueError(f"{path}: {w}x{h} is smaller than the {CELEBA_CROP}x{CELEBA_CROP} centre crop")
        left, top = int(round((w - CELEBA_CROP) / 2)), int(round((h - CELEBA_CROP) / 2))
        im = im.crop((left, top, left + CELEBA_CROP, top + CELEBA_CROP))
        im = im.resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.uint8).transpose(2, 0, 1)


def load_celeba(cfg: ImageDataConfig):
    if cfg.celeba_dir is None:
        raise DatasetUnavailable(_celeba_help("celeba_dir is not set"))
    folder = Path(cfg.celeba_dir).resolve()
    images_dir, attr_file = folder / "img_align_celeba", folder / "list_attr_celeba.txt"
    absent = [str(p) for p in (folder, images_dir, attr_file) if not p.exists()]
    if absent:
        raise DatasetUnavailable(_celeba_help(f"celeba_dir={cfg.celeba_dir!r}: {absent[0]} does not exist"))
    files, names, attrs = read_celeba_attrs(attr_file)
    tr, te, split = _celeba_split(files, cfg, folder)
    tr = tr[_cap(len(tr), max_images=cfg.max_images, seed=cfg.seed)]
    missing = [files[i] for i in (*tr, *te) if not (images_dir / files[i]).is_file()]
    if missing:
        raise DatasetUnavailable(_celeba_help(f"{len(missing)} listed image(s) are not in {images_dir}, "
                                              f"e.g. {missing[0]}"))
    arrays = {"attr_names": np.asarray(names)}
    for key, idx in (("train", tr), ("test", te)):
        images = np.empty((len(idx), 3, cfg.image_size, cfg.image_size), dtype=np.uint8)
        for row, i in enumerate(idx):
            images[row] = celeba_image(images_dir / files[i], size=cfg.image_size)
        arrays[f"{key}_images"] = images
        arrays[f"{key}_labels"] = np.full(len(idx), -1, dtype=np.int64)  # no classes: -1 fails loudly if used
        arrays[f"{key}_attrs"] = attrs[idx]
    return arrays, split
