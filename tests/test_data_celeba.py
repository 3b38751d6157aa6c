"""CelebA from a tiny folder in the official layout (img_align_celeba/, list_attr_celeba.txt, optionally
list_eval_partition.txt), written by the test: the crop and resize, the attributes, the splits and the messages
when the folder is not there."""
import numpy as np
import pytest
from PIL import Image

from alphabridge import defaults
from alphabridge.data.images import load_prepared, prepare
from alphabridge.errors import DatasetUnavailable

ATTR_NAMES = [f"Attr_{i:02d}" for i in range(40)]
COLOURS = [(200, 30, 40), (20, 180, 60), (30, 50, 220), (240, 240, 20), (120, 120, 120)]


def write_celeba(folder, *, partition=None):
    (folder / "img_align_celeba").mkdir(parents=True)
    rows = []
    for i, colour in enumerate(COLOURS):
        im = np.zeros((218, 178, 3), dtype=np.uint8)  # black frame outside the centre crop
        im[39:179, 19:159] = colour  # exactly the 140x140 centre crop of 178x218
        name = f"{i + 1:06d}.jpg"
        Image.fromarray(im).save(folder / "img_align_celeba" / name, quality=100, subsampling=0)
        rows.append(name + "".join(f" {1 if (i + j) % 3 == 0 else -1:>2}" for j in range(40)))
    (folder / "list_attr_celeba.txt").write_text(f"{len(rows)}\n{' '.join(ATTR_NAMES)}\n" + "\n".join(rows) + "\n")
    if partition is not None:
        (folder / "list_eval_partition.txt").write_text(
            "".join(f"{i + 1:06d}.jpg {p}\n" for i, p in enumerate(partition)))


def test_celeba_crop_resize_keeps_colour_and_parses_attrs(tmp_path):
    write_celeba(tmp_path / "celeba")
    cfg = defaults.image_data("celeba", image_size=64, celeba_dir=str(tmp_path / "celeba"), test_fraction=0.4,
                          seed=0)
    summary = prepare(cfg, out=tmp_path / "celeba.npz")
    assert summary == {"name": "celeba", "n_train": 3, "n_test": 2, "shape": [3, 64, 64], "split": "random"}
    d = load_prepared(tmp_path / "celeba.npz")
    assert d["attr_names"].tolist() == ATTR_NAMES
    seen = []
    for split in ("train", "test"):
        x, a = d[f"{split}_images"], d[f"{split}_attrs"]
        assert x.shape == (len(x), 3, 64, 64) and x.dtype == np.uint8
        assert a.dtype == np.int8 and a.shape == (len(x), 40) and set(np.unique(a)) <= {0, 1}
        assert (d[f"{split}_labels"] == -1).all() and d[f"{split}_labels"].dtype == np.int64
        for img, attrs in zip(x, a):
            i = int(np.argmin([np.abs(img.astype(int) - np.array(c)[:, None, None]).mean() for c in COLOURS]))
            # the black frame lies outside the crop: every pixel keeps the face colour (JPEG noise aside)
            assert np.abs(img.astype(int) - np.array(COLOURS[i])[:, None, None]).max() <= 6
            assert attrs.tolist() == [int((i + j) % 3 == 0) for j in range(40)]
            seen.append(i)
    assert sorted(seen) == list(range(len(COLOURS)))


def test_celeba_official_partition_and_cap(tmp_path):
    write_celeba(tmp_path / "celeba", partition=[0, 0, 1, 2, 0])
    cfg = defaults.image_data("celeba", image_size=16, celeba_dir=str(tmp_path / "celeba"), max_images=2)
    summary = prepare(cfg, out=tmp_path / "c.npz")
    assert summary["split"] == "official" and summary["n_train"] == 2 and summary["n_test"] == 1
    d = load_prepared(tmp_path / "c.npz")
    assert d["train_images"].shape == (2, 3, 16, 16)
    assert np.abs(d["test_images"][0].astype(int) - np.array(COLOURS[3])[:, None, None]).max() <= 6


def test_celeba_without_folder_names_the_key_and_layout(tmp_path):
    for celeba_dir, problem in ((None, "celeba_dir is not set"), (str(tmp_path / "nope"), "does not exist")):
        with pytest.raises(DatasetUnavailable) as err:
            prepare(defaults.image_data("celeba", image_size=64, celeba_dir=celeba_dir), out=tmp_path / "c.npz")
        msg = str(err.value)
        assert problem in msg and "`celeba_dir`" in msg
        for part in ("img_align_celeba/", "list_attr_celeba.txt", "list_eval_partition.txt", "img_align_celeba.zip"):
            assert part in msg


