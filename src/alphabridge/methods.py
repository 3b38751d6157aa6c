"""The one registry of methods: name, label, colour, which experiments train it, and how it trains.
Everything that lists methods (CLI choices, rule wildcards, figures, schema checks) reads it here."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Method:
    name: str
    label: str  # figure legends and row labels
    color: str  # matplotlib colour, the same in every figure
    experiments: tuple[str, ...]  # "gaussians", "images"
    steps: bool  # True: alpha-Bridge's Steps I-III from the alpha_bridge section; False: one run
    aux: str = "none"  # section 3.3: none | latent (both marginals, g(z)) | joint (both joints, h(x, z))
    loss: str = "rkl"  # one-run methods: rkl (eq. 7) | ns (DCGAN's non-saturating loss)
    d_reg: str | None = None  # one-run methods: the discriminator regulariser (Steps: alpha_bridge.d_reg)


REGISTRY: dict[str, Method] = {m.name: m for m in (
    Method("alpha_bridge", "α-Bridge", "tab:red", ("gaussians", "images"), True),
    Method("alpha_bridge_marginals", "α-Bridge, both marginals", "tab:purple", ("gaussians", "images"), True,
           aux="latent"),
    Method("alpha_bridge_joint", "α-Bridge, both joints", "tab:orange", ("gaussians", "images"), True, aux="joint"),
    Method("rkl_gp", "RKL-GP", "tab:blue", ("gaussians",), False, d_reg="gp"),
    Method("rkl_sn", "RKL-SN", "tab:green", ("gaussians",), False, d_reg="sn"),
    Method("dcgan", "DCGAN", "tab:gray", ("images",), False, loss="ns", d_reg="none"),
)}

AB_METHODS = tuple(n for n, m in REGISTRY.items() if m.steps)
ONE_RUN_METHODS = tuple(n for n, m in REGISTRY.items() if not m.steps)


def of(experiment: str, *, steps: bool | None = None) -> tuple[str, ...]:
    """The methods `experiment` trains (only the Step-wise or one-run ones when `steps` is given)."""
    return tuple(n for n, m in REGISTRY.items()
                 if experiment in m.experiments and (steps is None or m.steps == steps))


def get(name: str) -> Method:
    if name not in REGISTRY:
        raise ValueError(f"unknown method {name!r}; expected one of {list(REGISTRY)}")
    return REGISTRY[name]


def label(name: str) -> str:
    return REGISTRY[name].label if name in REGISTRY else name


def color(name: str) -> str | None:
    return REGISTRY[name].color if name in REGISTRY else None
