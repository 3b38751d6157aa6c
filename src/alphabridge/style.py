"""How each method looks in figures and tables: its label and colour. Kept apart from the methods
registry (alphabridge.methods), which training imports, so a cosmetic change re-draws the figures
and re-runs nothing else."""
from __future__ import annotations

STYLES = {  # name: (label for legends and row labels, matplotlib colour: the same in every figure)
    "alpha_bridge": ("α-Bridge", "tab:red"),
    "alpha_bridge_marginals": ("α-Bridge, both marginals", "tab:purple"),
    "alpha_bridge_joint": ("α-Bridge, both joints", "tab:orange"),
    "rkl_gp": ("RKL-GP", "tab:blue"),
    "rkl_sn": ("RKL-SN", "tab:green"),
    "dcgan": ("DCGAN", "tab:gray"),
    # variants (issue 26's arms), labelled as variants
    "alpha_bridge_gp": ("α-Bridge variant: penalised D", "tab:pink"),
    "alpha_bridge_no_step2": ("Step I then Step III (no Step II)", "tab:brown"),
    "rkl_scratch": ("reverse KL from scratch (no Step I)", "tab:olive"),
}


def label(name: str) -> str:
    return STYLES[name][0] if name in STYLES else name


def color(name: str) -> str | None:
    return STYLES[name][1] if name in STYLES else None
