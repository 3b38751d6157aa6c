"""Image figures: sample grids along training (Fig. 5), generation / reconstruction / latent walk
(Fig. 6) and the image half of the forgetting demo (Fig. 1). Inputs are saved uint8 arrays only."""
from __future__ import annotations

import dataclasses

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from alphabridge import checked  # noqa: E402
from alphabridge.data.images import image_shape  # noqa: E402
from alphabridge.figures import gaussians as gfig  # noqa: E402
from alphabridge.figures.gaussians import FIG1_ROWS, fig1_axes  # noqa: E402


@dataclasses.dataclass(frozen=True)
class Fig1Run:
    """What Fig. 1 reads of one images.runs.<dataset>."""

    shape: tuple[int, int, int]  # (C, H, W) of the demo's flat uint8 images
    snapshots: tuple[int, ...]  # fig1.snapshots
    start: int  # alpha_bridge.step1_iters: the demo starts from the Step I checkpoint


@dataclasses.dataclass(frozen=True)
class ImageFig1Spec:
    gaussians: gfig.Fig1Spec  # the 25-Gaussians panel on top
    runs: dict[str, Fig1Run]  # per dataset, in the order the command lists them


@dataclasses.dataclass(frozen=True)
class Fig5Run:
    """What Fig. 5 reads of one images.runs.<dataset>: its image shape and Step lengths."""

    shape: tuple[int, int, int]
    step1_iters: int
    step2_iters: int
    step3_iters: int


@dataclasses.dataclass(frozen=True)
class Fig5Spec:
    runs: dict[str, Fig5Run]  # per dataset, in the order the command lists them


def _shape(raw: dict, section: str) -> tuple[int, int, int]:
    return image_shape({"data": checked.mapping(raw, f"{section}.data", name=str, image_size=int)})


def parse_fig1(raw: dict, *, datasets, **_) -> ImageFig1Spec:
    runs = {d: Fig1Run(shape=_shape(raw, f"images.runs.{d}"),
                       snapshots=checked.value(raw, f"images.runs.{d}.fig1.snapshots", tuple[int, ...]),
                       start=checked.value(raw, f"images.runs.{d}.alpha_bridge.step1_iters", int)) for d in datasets}
    return ImageFig1Spec(gaussians=gfig.parse_fig1(raw), runs=runs)


def parse_fig5(raw: dict, *, datasets, **_) -> Fig5Spec:
    return Fig5Spec(runs={d: Fig5Run(shape=_shape(raw, f"images.runs.{d}"), **checked.mapping(
        raw, f"images.runs.{d}.alpha_bridge", step1_iters=int, step2_iters=int, step3_iters=int)) for d in datasets})


def image_grid(images: np.ndarray, *, shape, ncol: int) -> np.ndarray:
    """uint8 [n, C*H*W] -> one [rows*H, ncol*W(, 3)] mosaic with a 1-pixel white gutter."""
    c, h, w = shape
    n = len(images)
    rows = -(-n // ncol)
    out = np.full((rows * (h + 1) - 1, ncol * (w + 1) - 1, c), 255, np.uint8)
    for i, img in enumerate(images.reshape(n, c, h, w)):
        r, k = divmod(i, ncol)
        out[r * (h + 1) : r * (h + 1) + h, k * (w + 1) : k * (w + 1) + w] = img.transpose(1, 2, 0)
    return out[..., 0] if c == 1 else out


def _show(ax, grid, title):
    ax.imshow(grid, cmap="gray" if grid.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7)


def plot_fig5(rows: dict[str, list[tuple[str, np.ndarray]]]):
    """rows: dataset -> [(column title, grid)], e.g. Step I end, through Step II, end of Step III."""
    ncol = max(len(v) for v in rows.values())
    fig, axes = plt.subplots(len(rows), ncol, figsize=(1.9 * ncol, 2.0 * len(rows)), squeeze=False)
    for r, (name, panels) in enumerate(rows.items()):
        for c in range(ncol):
            if c < len(panels):
                _show(axes[r, c], panels[c][1], panels[c][0])
            else:
                axes[r, c].axis("off")
        axes[r, 0].set_ylabel(name, fontsize=8)
    fig.suptitle("α-Bridge samples along training", fontsize=9)
    fig.tight_layout()
    return fig


def plot_fig6(data: dict[str, dict], *, trial: int = 0):
    """Per dataset: x = G(z) | G(E(x)) on top, the latent walk (rows: images, columns: steps) below."""
    fig, axes = plt.subplots(2, 2 * len(data), figsize=(3.6 * len(data), 4.2), squeeze=False,
                             gridspec_kw={"height_ratios": [1, 2.2]})
    for k, (name, d) in enumerate(data.items()):
        shape = tuple(int(v) for v in d["shape"])
        n = d["generated"].shape[1]
        ncol = min(n, 4)
        _show(axes[0, 2 * k], image_grid(d["generated"][trial], shape=shape, ncol=ncol), f"{name}: x = G(z)")
        _show(axes[0, 2 * k + 1], image_grid(d["reconstructed"][trial], shape=shape, ncol=ncol), "G(E(x))")
        walk = d["walk"][trial]  # [n, steps, D]
        gs = axes[1, 2 * k].get_gridspec()
        axes[1, 2 * k].remove()
        axes[1, 2 * k + 1].remove()
        ax = fig.add_subplot(gs[1, 2 * k : 2 * k + 2])
        steps = ", ".join(f"{t:.2g}" for t in d["steps"])
        _show(ax, image_grid(walk.reshape(-1, walk.shape[-1]), shape=shape, ncol=walk.shape[1]),
              f"z = E(x) + t·d, d: {d['label']} (t = {steps})")
    fig.tight_layout()
    return fig


def plot_fig1_images(demo: dict[str, np.ndarray], *, shape, snapshots, start: int, name: str, n: int = 16,
                     trial: int = 0, fig=None):
    fig, axes, own = fig1_axes(fig, n_cols=len(snapshots), height=3.6)
    for r, (key, label) in enumerate(FIG1_ROWS):
        for c, k in enumerate(snapshots):
            grid = image_grid(demo[f"{key}_it{k}"][trial][:n], shape=shape, ncol=int(np.sqrt(n)))
            _show(axes[r, c], grid, f"+{k} it (iteration {start + k})")
        axes[r, 0].set_ylabel(label, fontsize=7)
    fig.suptitle(f"{name}: plain reverse-KL vs the start of α-Bridge's Step II (α ≈ 0), from the same ML model",
                 fontsize=8)
    if own:
        fig.tight_layout()
    return fig


def fig5_columns(run: Fig5Run, *, saved: list[str]) -> list[tuple[str, str]]:
    """Fig. 5's columns: end of Step I, 1/4, 1/2, 3/4 and end of Step II, end of Step III; each the
    saved iteration nearest to it. Returns (title, npz key)."""
    n1, n2, n3 = run.step1_iters, run.step2_iters, run.step3_iters
    targets = [("end of Step I", n1)] + [(f"Step II, {q:.0%}", n1 + round(q * n2)) for q in (0.25, 0.5, 0.75)] + [
        ("end of Step II", n1 + n2), ("end of Step III", n1 + n2 + n3)]
    its = sorted(int(k[2:]) for k in saved if k.startswith("it"))  # not diverged_at
    out = []
    for title, t in targets:
        it = min(its, key=lambda i: abs(i - t))
        out.append((f"{title}\n(it {it})", f"it{it}"))
    return out


def fig5(spec: Fig5Spec, samples: dict[str, dict]):
    """Fig. 5 from its spec and {dataset: saved samples}: 64 images of trial 0 per column."""
    rows = {}
    for name, saved in samples.items():
        run = spec.runs[name]
        rows[name] = [(title, image_grid(saved[key][0][:64], shape=run.shape, ncol=8))
                      for title, key in fig5_columns(run, saved=list(saved))]
    return plot_fig5(rows)


def fig1(spec: ImageFig1Spec, gaussians_demo: dict, demos: dict[str, dict]):
    """Fig. 1: the 25-Gaussians demo on top, then one image demo per dataset."""
    runs = {name: spec.runs[name] for name in demos}
    n = 1 + len(demos)
    width = 1.7 * max([len(spec.gaussians.snapshots)] + [len(r.snapshots) for r in runs.values()])
    # constrained layout spaces the subfigures' titles; without it "25-Gaussians" sat on the panel
    # titles below it (subfigures get no tight_layout)
    fig = plt.figure(figsize=(width, 3.6 * n), layout="constrained")
    subs = fig.subfigures(n, 1, squeeze=False)[:, 0]
    gfig.fig1(spec.gaussians, gaussians_demo, fig=subs[0])
    subs[0].suptitle("25-Gaussians", fontsize=8)
    for sub, (name, demo) in zip(subs[1:], demos.items()):
        r = runs[name]
        plot_fig1_images(demo, shape=r.shape, snapshots=r.snapshots, start=r.start, name=name, fig=sub)
    return fig
