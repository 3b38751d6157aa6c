"""Find text a reader cannot read in a drawn matplotlib figure: tick labels on top of each other
(every axis, twin and secondary axes included), titles / axis labels / legends overlapping each
other, a tick label or another panel, a legend hiding its panel's points, text outside the figure,
and type too small to print. Used by tests/test_figure_layout.py; works on the figure as built, at
its own size (the size the pipeline saves)."""
from __future__ import annotations

from itertools import combinations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.text import Text

MIN_POINTS = 5.0  # smaller than this is unreadable in print at the figures' sizes
SLACK = 0.5  # pixels: boxes that merely touch (antialiasing, rounding) are not an overlap


def _all_axes(fig) -> list[Axes]:
    """Every Axes drawn: the figure's, its subfigures', and child axes (secondary_xaxis / _yaxis)."""
    seen, out = set(), []
    todo = [*fig.axes, *(a for sf in fig.subfigs for a in _all_axes(sf))]
    while todo:
        ax = todo.pop(0)
        if id(ax) not in seen:
            seen.add(id(ax))
            out.append(ax)
            todo.extend(getattr(ax, "child_axes", []))
    return out


def _shown(t) -> bool:
    return t.get_visible() and (not isinstance(t, Text) or bool(t.get_text().strip()))


def _tick_labels(ax) -> list[tuple[str, Text]]:
    """The tick labels matplotlib actually draws: ticks inside the view interval (what Axis.draw
    uses; get_ticklabels() also returns labels of ticks outside the limits, which are never drawn)."""
    out = []
    if not ax.get_visible() or not ax.axison:
        return out
    for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
        if not axis.get_visible():
            continue
        for tick in axis._update_ticks():
            for side, lab in (("1", tick.label1), ("2", tick.label2)):
                if _shown(lab):
                    out.append((f"{name}{side}", lab))
    return out


def _named_texts(fig) -> list[tuple[str, Text, Axes | None]]:
    """Titles, axis labels, legends, figure-level and free texts, each with a name for messages and
    the Axes it belongs to (None: the figure's or a subfigure's)."""
    out = []
    figs = [fig]
    while figs:
        f = figs.pop()
        figs.extend(f.subfigs)
        for attr in ("_suptitle", "_supxlabel", "_supylabel"):
            if getattr(f, attr, None) is not None:
                out.append((f"figure {attr[1:]}", getattr(f, attr), None))
        out += [(f"figure text {t.get_text()[:30]!r}", t, None) for t in f.texts]
        out += [("figure legend", leg, None) for leg in f.legends]
    for i, ax in enumerate(_all_axes(fig)):
        if not ax.get_visible():
            continue
        for loc in ("left", "center", "right"):
            out.append((f"axes {i} {loc} title", ax._left_title if loc == "left" else
                        ax.title if loc == "center" else ax._right_title, ax))
        if ax.axison:
            out += [(f"axes {i} {n}label", a.label, ax) for n, a in (("x", ax.xaxis), ("y", ax.yaxis))
                    if a.get_visible()]
        out += [(f"axes {i} text {t.get_text()[:30]!r}", t, ax) for t in ax.texts]
        if ax.get_legend() is not None:
            out.append((f"axes {i} legend", ax.get_legend(), ax))
    seen = set()  # a suptitle is also among the figure's texts: name it once
    return [(n, t, a) for n, t, a in out if _shown(t) and not (id(t) in seen or seen.add(id(t)))]


def _corners(artist, r) -> np.ndarray:
    """The artist's ink box as 4 corners in pixels. A rotated label's window extent is the upright box
    around it, far wider than the text: tilted labels side by side would always 'overlap'. Its
    rotated rectangle has the same centre as that box and the size of the label laid out upright."""
    box = artist.get_window_extent(r)
    angle = artist.get_rotation() if isinstance(artist, Text) else 0.0
    if angle % 180 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    artist.set_rotation(0)
    upright = artist.get_window_extent(r)
    artist.set_rotation(angle)
    w, h, t = upright.width / 2, upright.height / 2, np.deg2rad(angle)
    rot = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]])
    return np.array([[-w, -h], [w, -h], [w, h], [-w, h]]) @ rot.T + [(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2]


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Separating-axis test of two convex quadrilaterals: they overlap (by more than SLACK) unless
    their projections on some edge normal are apart."""
    for poly in (a, b):
        for k in range(4):
            edge = poly[(k + 1) % 4] - poly[k]
            n = np.array([-edge[1], edge[0]]) / (np.hypot(*edge) or 1.0)
            pa, pb = a @ n, b @ n
            if min(pa.max(), pb.max()) - max(pa.min(), pb.min()) <= SLACK:
                return False
    return True


def _desc(name, t) -> str:
    return f"{name} {t.get_text()!r}" if isinstance(t, Text) else name


def _legends_over_data(axes, r) -> list[str]:
    """A legend inside a panel must not hide that panel's points: the vertices of its lines and
    markers and the centres of its scatter points (bands and bars may pass under it)."""
    out = []
    for i, ax in enumerate(axes):
        leg = ax.get_legend()
        if leg is None or not leg.get_visible():
            continue
        box = leg.get_window_extent(r)
        pts = [line.get_transform().transform(line.get_xydata()) for line in ax.lines if line.get_visible()]
        pts += [c.get_offset_transform().transform(c.get_offsets()) for c in ax.collections
                if c.get_visible() and len(c.get_offsets()) > 1]
        xy = np.concatenate([p.reshape(-1, 2) for p in pts]) if pts else np.empty((0, 2))
        hidden = int(((xy[:, 0] > box.x0) & (xy[:, 0] < box.x1) & (xy[:, 1] > box.y0) & (xy[:, 1] < box.y1)).sum())
        if hidden:
            out.append(f"axes {i} legend hides {hidden} data points")
    return out


def layout_problems(fig) -> list[str]:
    """Draw `fig` and list every problem found (empty: readable)."""
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    problems = []
    axes = _all_axes(fig)
    ticks = []  # (axes index, axis-side, text, box)
    for i, ax in enumerate(axes):
        ticks += [(i, side, t, _corners(t, r)) for side, t in _tick_labels(ax)]
    for (i, s, t, b), (j, s2, t2, b2) in combinations(ticks, 2):
        if _overlap(b, b2):
            problems.append(f"tick labels overlap: axes {i} {s} {t.get_text()!r} and axes {j} {s2} {t2.get_text()!r}")
    texts = _named_texts(fig)
    named = [(n, t, _corners(t, r)) for n, t, _ in texts]
    for (n, t, b), (n2, t2, b2) in combinations(named, 2):
        if _overlap(b, b2):
            problems.append(f"overlap: {_desc(n, t)} and {_desc(n2, t2)}")
    for n, t, b in named:
        for i, s, tt, bb in ticks:
            if _overlap(b, bb):
                problems.append(f"overlap: {_desc(n, t)} and tick label axes {i} {s} {tt.get_text()!r}")
    # no text over another panel (a title on the images above it, a tick label on the next plot);
    # its own panel may hold its legend and notes, and so may a twin drawn in the same box
    panels = [(ax, _corners(ax.patch, r)) for ax in axes if ax.get_visible() and ax.axison]
    owned = [(n, t, b, owner) for (n, t, b), (_, _, owner) in zip(named, texts)]
    owned += [(f"tick label axes {i} {s}", t, b, axes[i]) for i, s, t, b in ticks]
    for n, t, b, owner in owned:
        for ax, box in panels:
            if owner is None or not (ax is owner or ax.bbox.bounds == owner.bbox.bounds):
                if _overlap(b, box):
                    problems.append(f"over panel {axes.index(ax)}: {_desc(n, t)}")
    problems += _legends_over_data(axes, r)
    page = fig.bbox
    for n, t, b in named + [(f"tick label axes {i} {s}", t, b) for i, s, t, b in ticks]:
        (x0, y0), (x1, y1) = b.min(axis=0), b.max(axis=0)
        if x0 < page.x0 - SLACK or y0 < page.y0 - SLACK or x1 > page.x1 + SLACK or y1 > page.y1 + SLACK:
            problems.append(f"outside the figure: {_desc(n, t)}")
    for n, t, _ in named + [(f"tick label axes {i} {s}", t, None) for i, s, t, _ in ticks]:
        texts = [t] if isinstance(t, Text) else [*t.get_texts(), t.get_title()]
        for x in texts:
            if _shown(x) and x.get_fontsize() < MIN_POINTS:
                problems.append(f"smaller than {MIN_POINTS:g} pt: {_desc(n, x)} ({x.get_fontsize():g} pt)")
    return problems
