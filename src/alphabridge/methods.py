"""The one registry of methods: name, which experiments train it, and how it trains. Everything that
lists methods (CLI choices, rule wildcards, figures, schema checks) reads it here; how a method looks
(label, colour) is in alphabridge.style, so a cosmetic change never re-runs training."""
from __future__ import annotations

import dataclasses

from alphabridge.choices import AUXES, D_REGS, LOSSES, one_of


@dataclasses.dataclass(frozen=True)
class Method:
    name: str
    experiments: tuple[str, ...]  # "gaussians", "images"
    steps: bool  # True: alpha-Bridge's Steps I-III from the alpha_bridge section; False: one run
    aux: str = "none"  # section 3.3: none | latent (both marginals, g(z)) | joint (both joints, h(x, z))
    loss: str = "rkl"  # one-run methods: rkl (eq. 7) | ns (DCGAN's non-saturating loss)
    # one-run methods: the discriminator regulariser; Step-wise: None takes alpha_bridge.d_reg, a value replaces it
    d_reg: str | None = None
    fold_step2: bool = False  # Step-wise: no Step II; Step III runs step2_iters + step3_iters (the same G updates)
    length: str = "own"  # one-run: own (<method>.iters) | steps (alpha_bridge step1 + step2 + step3 iters)

    def __post_init__(self):  # a typo here would train another method silently (the loop dispatches on these)
        one_of(f"method {self.name!r}: aux", self.aux, AUXES)
        one_of(f"method {self.name!r}: loss", self.loss, LOSSES)
        one_of(f"method {self.name!r}: length", self.length, ("own", "steps"))
        if not self.steps or self.d_reg is not None:
            one_of(f"method {self.name!r}: d_reg", self.d_reg, D_REGS)
        if self.fold_step2 and not self.steps:
            raise ValueError(f"method {self.name!r}: fold_step2 needs a Step-wise method")


REGISTRY: dict[str, Method] = {m.name: m for m in (
    Method("alpha_bridge", ("gaussians", "images"), True),
    Method("alpha_bridge_marginals", ("gaussians", "images"), True,
           aux="latent"),
    Method("alpha_bridge_joint", ("gaussians", "images"), True, aux="joint"),
    Method("rkl_gp", ("gaussians",), False, d_reg="gp"),
    Method("rkl_sn", ("gaussians",), False, d_reg="sn"),
    Method("dcgan", ("images",), False, loss="ns", d_reg="none"),
    # the image arms that isolate the bridge (issue 26; images.runs.<d>.arms lists those a table reports):
    Method("alpha_bridge_gp", ("images",), True, d_reg="gp"),  # the Steps with a penalised D (alpha_bridge.gp_weight)
    Method("alpha_bridge_no_step2", ("images",), True, fold_step2=True),  # Step I then Step III: does II add anything?
    Method("rkl_scratch", ("images",), False, d_reg="none", length="steps"),  # Step III's loss alone: the ML start?
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
