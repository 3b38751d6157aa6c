"""KID and precision/recall of generated against real features, by torch-fidelity 0.4 from feature
tensors (the same features as FID: the domain classifier's or Inception's).

Argument order: every function here takes (fake, real). torch-fidelity 0.4's convention is
features_1 = generated, features_2 = real (issue #58 reported precision and recall swapped in
earlier releases); tests/test_metrics_fidelity.py pins it against an independent computation on
features where the two differ."""
from __future__ import annotations

import numpy as np
import torch

PRC_BLOCK = 10000  # torch-fidelity's default prc_batch_size, stated so alphabridge.sizes can count it


def _tensor(x) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    if t.ndim != 2 or len(t) < 2:
        raise ValueError(f"need features [N >= 2, D], got shape {tuple(t.shape)}")
    return t


def kid(fake, real, *, subsets: int, subset_size: int, seed: int) -> tuple[float, float]:
    """Kernel Inception Distance (Binkowski et al. 2018): the unbiased MMD^2 with the cubic polynomial
    kernel (x.y / D + 1)^3, averaged over `subsets` random subsets of min(subset_size, N_fake, N_real)
    points of each set; (mean, std over subsets)."""
    from torch_fidelity.metric_kid import KEY_METRIC_KID_MEAN, KEY_METRIC_KID_STD, kid_features_to_metric

    f, r = _tensor(fake), _tensor(real)
    size = min(subset_size, len(f), len(r))
    out = kid_features_to_metric(f, r, kid_subsets=subsets, kid_subset_size=size, rng_seed=seed, verbose=False)
    return out[KEY_METRIC_KID_MEAN], out[KEY_METRIC_KID_STD]


def precision_recall(fake, real, *, k: int = 3, device="cpu") -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019): precision is the share of generated
    points inside some real point's k-NN ball (the real manifold), recall the share of real points
    inside some generated point's ball. Distances on `device`, in blocks of PRC_BLOCK rows
    (save_cpu_ram), so memory stays at PRC_BLOCK x N."""
    from torch_fidelity.metric_prc import KEY_METRIC_PRECISION, KEY_METRIC_RECALL, prc_features_to_metric

    f, r = _tensor(fake).to(device), _tensor(real).to(device)
    out = prc_features_to_metric(f, r, prc_neighborhood=k, prc_batch_size=PRC_BLOCK, save_cpu_ram=True, verbose=False)
    return out[KEY_METRIC_PRECISION], out[KEY_METRIC_RECALL]
