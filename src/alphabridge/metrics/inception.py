"""FID and Inception score with pytorch-fid's FID Inception (the 2015-12-05 TF graph, 1008 classes).

The weights are read from a torch hub folder that we choose (config key `images.inception.hub_dir`,
default resources/torch_hub, so nothing is cached outside the repo), in pytorch-fid's layout:
<hub_dir>/checkpoints/pt_inception-2015-12-05-6726825d.pth. With internet, pytorch-fid's own loader
downloads the file there; offline and missing, `load_inception` fails at once with WeightsUnavailable.

Every net used here (this one, or metrics.classifier's) maps images in [-1, 1], NCHW, to
(features [N, D], logits [N, K]), so `activations`, `statistics`, `frechet_distance` and
`inception_score` take either.
"""
from __future__ import annotations

import json
import math
import pickle
import urllib.error
import urllib.request
import zipfile
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from pytorch_fid import inception as fid_inception
from torch import nn

from alphabridge.errors import WeightsUnavailable
from alphabridge.metrics.frechet import frechet_distance  # noqa: F401  (re-exported: callers use inc.frechet_distance)
from alphabridge.io import atomic_path

DEFAULT_HUB_DIR = Path("resources/torch_hub")
HUB_DIR_KEY = "images.inception.hub_dir"
WEIGHTS_FILE = "pt_inception-2015-12-05-6726825d.pth"  # the basename of pytorch-fid's FID_WEIGHTS_URL
# torchvision Inception3's forward, in order, up to the pool3 average pool (aux head and dropout
# are not used at eval time); pytorch-fid's InceptionV3([3]) runs exactly these modules.
_TRUNK = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1", "Conv2d_4a_3x3",
          "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
          "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool")


def weights_path(hub_dir: str | Path) -> Path:
    """Where torch hub (and so pytorch-fid) keeps the FID Inception weights under `hub_dir`."""
    return Path(hub_dir).expanduser() / "checkpoints" / WEIGHTS_FILE


class InceptionFeatures(nn.Module):
    """pytorch-fid's FID Inception as (pool3 features [N, 2048], logits [N, 1008]) of images in [-1, 1]."""

    def __init__(self, inception: nn.Module):
        super().__init__()
        self.trunk = nn.Sequential(OrderedDict((name, getattr(inception, name)) for name in _TRUNK))
        self.fc = inception.fc

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        # pytorch-fid resizes every input, even 299x299 ones (identity then), the same way
        x = F.interpolate(x, size=(299, 299), mode="bilinear", align_corners=False)
        feats = torch.flatten(self.trunk(x), 1)
        return feats, self.fc(feats)


@contextmanager
def _torch_hub_dir(path: Path):
    """Point torch hub at `path` for the duration only: pytorch-fid's loader reads the global."""
    previous = getattr(torch.hub, "_hub_dir", None)
    torch.hub.set_dir(str(path))
    try:
        yield
    finally:
        # restored exactly, "unset" included (set_dir cannot unset; unset means $TORCH_HOME/hub)
        torch.hub._hub_dir = previous


def _unreachable(url: str, timeout_s: float) -> str | None:
    """Why `url` cannot be fetched now, or None. A HEAD request with a timeout, so a machine without
    internet fails in seconds instead of waiting on the download's untimed connect."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout_s):
            return None
    except urllib.error.HTTPError:
        return None  # the server answered, so the network works; the download reports real errors
    except (urllib.error.URLError, OSError, ValueError) as e:
        return f"{type(e).__name__}: {getattr(e, 'reason', e)}"


def _missing(path: Path, url: str, why: str) -> WeightsUnavailable:
    path = path.absolute()  # the message is read from wherever the user stands, not the job's cwd
    return WeightsUnavailable(
        f"FID Inception weights {WEIGHTS_FILE} are not at {path} and could not be downloaded ({why}). "
        f"Download {url} and put it at {path}, or set {HUB_DIR_KEY} to a torch hub folder that has "
        f"checkpoints/{WEIGHTS_FILE} (e.g. ~/.cache/torch/hub)."
    )


def load_inception(*, hub_dir: str | Path, device="cpu", download: bool = True,
                   timeout_s: float = 10.0) -> InceptionFeatures:
    """The FID Inception net from `<hub_dir>/checkpoints/`, downloaded there first when missing (and
    `download`), in eval mode on `device`, without gradients."""
    hub_dir = Path(hub_dir).expanduser()
    path = weights_path(hub_dir)
    url = fid_inception.FID_WEIGHTS_URL  # read at call time, like pytorch-fid does
    if not path.is_file():
        why = _unreachable(url, timeout_s) if download else "downloads are disabled"
        if why is not None:
            raise _missing(path, url, why)
    try:
        with _torch_hub_dir(hub_dir):
            inception = fid_inception.fid_inception_v3()  # loads the cached file, or downloads it
    except (urllib.error.URLError, OSError) as e:
        raise _missing(path, url, f"{type(e).__name__}: {e}") from e
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile, KeyError) as e:
        raise WeightsUnavailable(
            f"{path.absolute()} is not a usable copy of {WEIGHTS_FILE} ({type(e).__name__}: {str(e)[:300]}); "
            f"delete it and download {url} again, or set {HUB_DIR_KEY} to another torch hub folder."
        ) from e
    net = InceptionFeatures(inception).eval().requires_grad_(False)
    return net.to(device)


def activations(net: nn.Module, images, *, batch_size: int = 50, device="cpu") -> tuple[np.ndarray, np.ndarray]:
    """(features, logits) of `net` on images [N, C, H, W] in [-1, 1], as float64 arrays. Batches go to
    `device` (where `net` must live); results come back to the CPU."""
    images = torch.as_tensor(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images must be a non-empty [N, C, H, W] batch, got shape {tuple(images.shape)}")
    if not images.is_floating_point():
        raise TypeError(f"images must be floats in [-1, 1], got {images.dtype}")
    feats, logits = [], []
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                f, g = net(images[start : start + batch_size].to(device=device, dtype=torch.float32))
                feats.append(f.to("cpu", torch.float64))
                logits.append(g.to("cpu", torch.float64))
    finally:
        net.train(was_training)
    return torch.cat(feats).numpy(), torch.cat(logits).numpy()


def statistics(feats) -> tuple[np.ndarray, np.ndarray]:
    """Mean [D] and covariance [D, D] (unbiased, as pytorch-fid) of features [N, D], float64."""
    feats = np.asarray(feats, dtype=np.float64)
    if feats.ndim != 2 or len(feats) < 2:
        raise ValueError(f"need features [N >= 2, D], got shape {feats.shape}")
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def save_stats(path: str | Path, *, mu, sigma, meta: dict | None = None, feats=None) -> None:
    """Reference statistics as npz (keys mu, sigma: pytorch-fid's format) plus a JSON `meta` string
    saying what they were computed from (feature net, dataset, split, N), and optionally the features
    themselves (float32, key feats), written atomically."""
    extra = {} if feats is None else {"feats": np.asarray(feats, np.float32)}
    with atomic_path(path, suffix=".npz") as tmp:
        np.savez(tmp, mu=np.asarray(mu, np.float64), sigma=np.asarray(sigma, np.float64),
                 meta=np.array(json.dumps(meta or {}, sort_keys=True)), **extra)


def load_stats(path: str | Path) -> tuple[np.ndarray, np.ndarray, dict]:
    """(mu, sigma, meta) from save_stats' file, or from pytorch-fid's own npz (meta is then {})."""
    with np.load(path, allow_pickle=False) as f:
        meta = json.loads(str(f["meta"])) if "meta" in f.files else {}
        return f["mu"].astype(np.float64), f["sigma"].astype(np.float64), meta


def inception_score(logits, *, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) || p(y))) over `splits` contiguous equal parts (Salimans et al. 2016);
    (mean, std) over the parts. Computed in log space from the logits, so confident predictions
    (probabilities that underflow to 0) stay exact."""
    logp = torch.log_softmax(torch.as_tensor(logits, dtype=torch.float64), dim=1)
    n = len(logp)
    if n < splits:
        raise ValueError(f"inception_score needs at least splits={splits} samples, got {n}")
    scores = []
    for i in range(splits):
        part = logp[i * n // splits : (i + 1) * n // splits]
        log_py = torch.logsumexp(part, dim=0) - math.log(len(part))  # log of the marginal p(y)
        kl = (part.exp() * (part - log_py)).sum(dim=1).mean()
        scores.append(math.exp(float(kl)))
    return float(np.mean(scores)), float(np.std(scores))
