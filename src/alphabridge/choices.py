"""The string values the training path dispatches on, and the one check that refuses any other.
Every `if kind == ...` chain must end in an error rather than an `else` that quietly picks a default:
a typo in a new method's `loss` or a setting's `d_reg` would otherwise train something else, with
nothing in the log to say so. The schema enums list the same values for the config's own keys."""
from __future__ import annotations

LOSSES = ("rkl", "ns")  # one-run methods' generator loss: reverse KL (eq. 7) | DCGAN's non-saturating
AUXES = ("none", "latent", "joint")  # section 3.3's auxiliary discriminator: none | g(z) | h(x, z)
D_REGS = ("none", "gp", "sn")  # the discriminator's regulariser
SEGMENT_KINDS = ("ml", "bridge", "rkl", "ns")  # what a Segment trains: Step I | Step II | eq. (7) | DCGAN
UPDATE_ORDERS = ("joint", "sequential")  # G and E from the same state | Algorithm 1 literally
ON_DIVERGENCE = ("freeze", "fail")  # a trial whose loss goes non-finite
STABILISERS = ("none", "clamp_logw", "self_normalize")  # the random search's importance-weight stabiliser
FEATURE_NETS = ("classifier", "inception")  # FID / IS features
BN_STATS = ("running", "prior")  # G's BatchNorm statistics at sampling: as training left them | from prior draws


def one_of(what: str, value, allowed: tuple) -> None:
    """Raise ValueError naming `what`, the value and the allowed ones unless value is one of them."""
    if value not in allowed:
        raise ValueError(f"{what}: unknown value {value!r}; expected one of {', '.join(map(repr, allowed))}")
