"""A small CNN digit classifier, the domain feature net for FID / Inception score on digits (8x8) and
MNIST (28x28), trained here so nothing is downloaded.

Same interface as metrics.inception's net: images [N, 1, H, W] in [-1, 1] -> (features
[N, feature_dim], logits [N, 10]); the features are the hidden layer after its ReLU, as Inception's
pool3 features are post-ReLU averages.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from alphabridge.errors import CheckpointError
from alphabridge.metrics.inception import activations
from alphabridge.train.checkpoint import load_checkpoint, save_checkpoint

KIND = "digit-classifier"


@dataclass(frozen=True)
class ClassifierArch:
    feature_dim: int = 128
    channels: tuple[int, int] = (32, 64)
    pooled: int = 4  # adaptive average pool to pooled x pooled: 8x8 and 28x28 inputs share the FC layer
    n_classes: int = 10
    stacked: bool = False  # reads [N, 3, H, W] stacked digits: per-channel features, joint class logits


class DigitClassifier(nn.Module):
    def __init__(self, arch: ClassifierArch = ClassifierArch()):
        super().__init__()
        self.arch = arch
        c1, c2 = arch.channels
        self.conv1 = nn.Conv2d(1, c1, 3, padding=1)
        self.conv2 = nn.Conv2d(c1, c2, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(arch.pooled)
        self.hidden = nn.Linear(c2 * arch.pooled**2, arch.feature_dim)
        self.out = nn.Linear(arch.feature_dim, arch.n_classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._stacked(x) if self.arch.stacked else self._digit(x)

    def _digit(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = F.relu(self.conv1(x))
        if x.shape[-1] > 2 * self.arch.pooled:  # 28x28: halve before the second conv (4x cheaper)
            x = F.max_pool2d(x, 2)
        x = self.pool(F.relu(self.conv2(x)))
        feats = F.relu(self.hidden(torch.flatten(x, 1)))
        return feats, self.out(feats)

    def _stacked(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each channel classified as a digit: the three feature vectors concatenated, and logits over
        the 1000 triples (log p(c0) + log p(c1) + log p(c2), flat index 100 c0 + 10 c1 + c2), so the
        arg-max is the triple of per-channel arg-maxes and the softmax the product of their softmaxes."""
        n, k = len(x), self.arch.n_classes
        feats, logits = self._digit(x.reshape(n * 3, 1, *x.shape[2:]))
        lp = F.log_softmax(logits, dim=1).reshape(n, 3, k)
        joint = lp[:, 0, :, None, None] + lp[:, 1, None, :, None] + lp[:, 2, None, None, :]
        return feats.reshape(n, -1), joint.reshape(n, k**3)


def as_stacked(net: DigitClassifier) -> DigitClassifier:
    """The trained one-digit classifier as a stacked-digit one: the same weights."""
    out = DigitClassifier(replace(net.arch, stacked=True)).to(next(net.parameters()).device)
    out.load_state_dict(net.state_dict())
    return out.eval()


def _check_data(images: torch.Tensor, labels: torch.Tensor, n_classes: int) -> None:
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"images must be [N, 1, H, W], got shape {tuple(images.shape)}")
    if len(labels) != len(images):
        raise ValueError(f"{len(images)} images but {len(labels)} labels")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}")


def train_classifier(images, labels, *, epochs: int = 20, lr: float = 3e-3, batch_size: int = 64, seed: int = 0,
                     device="cpu", arch: ClassifierArch = ClassifierArch(), weight_decay: float = 1e-4,
                     progress: bool = False) -> DigitClassifier:
    """Adam on cross-entropy with a cosine learning-rate decay; returns the net in eval mode on `device`.
    Seeded: the same data, seed and device give the same weights. `progress`: a bar over the batches."""
    images = torch.as_tensor(images, dtype=torch.float32)
    labels = torch.as_tensor(labels, dtype=torch.long)
    _check_data(images, labels, arch.n_classes)
    with torch.random.fork_rng(devices=[]):  # seed the init without touching the caller's global RNG
        torch.manual_seed(seed)
        net = DigitClassifier(arch)
    net = net.to(device).train()
    order_rng = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=weight_decay)
    steps = epochs * -(-len(images) // batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(steps, 1))
    x_all, y_all = images.to(device), labels.to(device)
    bar = tqdm(total=steps, desc="classifier", unit="batch", disable=not progress, mininterval=2.0)
    for epoch in range(epochs):
        bar.set_postfix(epoch=f"{epoch + 1}/{epochs}")
        perm = torch.randperm(len(images), generator=order_rng).to(device)
        for start in range(0, len(images), batch_size):
            idx = perm[start : start + batch_size]
            loss = F.cross_entropy(net(x_all[idx])[1], y_all[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.update()
    bar.close()
    return net.eval()


def evaluate_accuracy(net: nn.Module, images, labels, *, batch_size: int = 512, device="cpu") -> float:
    """Fraction of images whose arg-max logit is the label."""
    _, logits = activations(net, images, batch_size=batch_size, device=device)
    return float((torch.from_numpy(logits).argmax(1) == torch.as_tensor(labels)).double().mean())


def save_classifier(net: DigitClassifier, path: str | Path, *, header: dict | None = None) -> None:
    """Weights plus the architecture and a free-form header (data, accuracy, ...), written atomically."""
    state = {k: v.detach().cpu() for k, v in net.state_dict().items()}
    save_checkpoint({"kind": KIND, "arch": asdict(net.arch), "header": dict(header or {}), "state_dict": state}, path)


def load_classifier(path: str | Path, *, device="cpu") -> tuple[DigitClassifier, dict]:
    """(net in eval mode on `device`, header) from save_classifier's file."""
    obj = load_checkpoint(path)
    if obj.get("kind") != KIND:
        raise CheckpointError(f"{path} holds a {obj.get('kind')!r}, not a {KIND}")
    arch = obj["arch"]
    net = DigitClassifier(ClassifierArch(**{**arch, "channels": tuple(arch["channels"])}))
    net.load_state_dict(obj["state_dict"])
    return net.to(device).eval().requires_grad_(False), obj["header"]
