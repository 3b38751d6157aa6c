"""Every string the training path dispatches on: an unknown value raises ValueError naming it and the
allowed ones, where an `else` used to train something else without a word."""
import dataclasses
import types

import pytest
import torch

from alphabridge import defaults
from alphabridge.choices import AUXES, D_REGS, LOSSES, ON_DIVERGENCE, SEGMENT_KINDS, UPDATE_ORDERS, one_of
from alphabridge.divergence import GAMMA_KINDS, gamma_alpha
from alphabridge.experiments.image_metrics import feature_net
from alphabridge.experiments.images import model_config
from alphabridge.experiments.search import draw
from alphabridge.methods import Method
from alphabridge.models.batched import build_aux
from alphabridge.models.conv import ConvConfig, build_conv_aux
from alphabridge.train import loop
from alphabridge.train.schedule import SCHEDULES, alpha_at
from alphabridge.train.segment import Segment
from alphabridge.typed import GammaConfig


def _refused(value, *allowed):
    """pytest.raises for a message naming the bad value and every allowed one."""
    return pytest.raises(ValueError, match=".*".join([repr(value)] + [repr(a) for a in allowed]))


def test_one_of_names_value_and_choices():
    one_of("x", "a", ("a", "b"))
    with _refused("c", "a", "b"):
        one_of("x", "c", ("a", "b"))


def test_method_loss():
    for loss in LOSSES:
        Method("m", ("gaussians",), False, loss=loss, d_reg="none")
    with _refused("hinge", *LOSSES):
        Method("m", ("gaussians",), False, loss="hinge", d_reg="none")


def test_method_aux():
    for aux in AUXES:
        Method("m", ("gaussians",), True, aux=aux)
    with _refused("marginal", *AUXES):
        Method("m", ("gaussians",), True, aux="marginal")


def test_method_d_reg():
    for d_reg in D_REGS:
        Method("m", ("gaussians",), False, d_reg=d_reg)
    with _refused("wgan", *D_REGS):
        Method("m", ("gaussians",), False, d_reg="wgan")
    with _refused(None, *D_REGS):  # a one-run method must name its regulariser (Steps read the config's)
        Method("m", ("gaussians",), False)


def test_segment_kind():
    for kind in ("rkl", "ns"):
        Segment(name="-", kind=kind, iters=1, train_encoder=False)
    assert set(SEGMENT_KINDS) == {"ml", "bridge", "rkl", "ns"}
    with _refused("kl", *SEGMENT_KINDS):
        Segment(name="-", kind="kl", iters=1, train_encoder=False)


def test_segment_update_order():
    for order in UPDATE_ORDERS:
        defaults.segment("II", update_order=order)
    with _refused("alternating", *UPDATE_ORDERS):
        defaults.segment("II", update_order="alternating")


def test_schedule():
    for kind in SCHEDULES:
        defaults.segment("II", schedule=kind)
        assert 0 < alpha_at(0, 10, kind=kind) < 1
    with _refused("step", *SCHEDULES):
        defaults.segment("II", schedule="step")  # refused when the Segment is built, not at Step II's first alpha
    with pytest.raises(ValueError, match="'step'"):
        alpha_at(0, 10, kind="step")


def test_gamma_kind():
    for kind in GAMMA_KINDS:
        defaults.segment("II", gamma=GammaConfig(kind=kind, c=10.0, d=-5.0))
        gamma_alpha(0.3, kind=kind, c=10.0, d=-5.0)
    with _refused("tanh", *GAMMA_KINDS):
        defaults.segment("II", gamma=GammaConfig(kind="tanh", c=10.0, d=-5.0))
    with pytest.raises(ValueError, match="'tanh'"):
        gamma_alpha(0.3, kind="tanh", c=10.0, d=-5.0)


def test_train_config_d_reg():
    for d_reg in D_REGS:
        defaults.train_config(d_reg=d_reg)
    with _refused("gradient_penalty", *D_REGS):
        defaults.train_config(d_reg="gradient_penalty")


def test_train_config_on_divergence():
    for mode in ON_DIVERGENCE:
        defaults.train_config(on_divergence=mode)
    with _refused("skip", *ON_DIVERGENCE):
        defaults.train_config(on_divergence="skip")


def test_train_config_aux():
    for aux in AUXES:
        defaults.train_config(aux=aux)
    with _refused("latents", *AUXES):
        defaults.train_config(aux="latents")


def _bypass(obj, **fields):
    """A frozen dataclass with fields set past its __post_init__ check: the loop's own branches must
    refuse the value too (a new value added to the choices without a branch)."""
    out = dataclasses.replace(obj)
    for k, v in fields.items():
        object.__setattr__(out, k, v)
    return out


def test_loop_generator_loss_refuses_unknown_kind():
    seg = _bypass(Segment(name="-", kind="rkl", iters=1, train_encoder=False), kind="hinge")
    state = types.SimpleNamespace(gen=None, disc=None, enc=None, opts={})
    with pytest.raises(ValueError, match="'hinge'"):
        loop._generator_and_encoder(state, defaults.train_config(), seg, {}, 0, None, False)
    with pytest.raises(ValueError, match="'hinge'"):
        loop.alpha_gamma(seg, 0)


def test_loop_update_order_refuses_unknown():
    seg = _bypass(defaults.segment("III"), update_order="alternating")
    state = types.SimpleNamespace(gen=None, disc=None, enc=None, opts={})
    with pytest.raises(ValueError, match="'alternating'"):
        loop._generator_and_encoder(state, defaults.train_config(), seg, {}, 0, None, False)


def test_loop_generalised_refuses_unknown_aux():
    cfg = _bypass(defaults.train_config(aux="latent"), aux="marginal")
    state = types.SimpleNamespace(gen=None, disc=None, enc=None, opts={}, aux=None)
    with pytest.raises(ValueError, match="'marginal'"):
        loop._generalised(state, cfg, defaults.segment("III"), dict.fromkeys(("x", "eps", "z_g")), 1.0, 1.0,
                          None, False)


def test_build_aux():
    cfg, gens = defaults.mlp(hidden=4, depth=1), [torch.Generator().manual_seed(0)]
    for kind in ("latent", "joint"):
        build_aux(kind, x_dim=2, cfg=cfg, generators=gens)
    with pytest.raises(ValueError, match="'marginal'"):
        build_aux("marginal", x_dim=2, cfg=cfg, generators=gens)


def test_build_conv_aux():
    with pytest.raises(ValueError, match="'marginal'"):
        build_conv_aux("marginal", cfg=ConvConfig(image_shape=(1, 8, 8), z_dim=4, channels=4),
                       generators=[torch.Generator().manual_seed(0)])


def test_images_model_kind():
    section = defaults.config()["images"]["runs"]["digits"]
    assert isinstance(model_config(section), ConvConfig)
    with pytest.raises(ValueError, match="'resnet'"):
        model_config({**section, "model": {**section["model"], "kind": "resnet"}})


def test_feature_net():
    with _refused("vgg", "classifier", "inception"):
        feature_net(kind="vgg", classifier=None, hub_dir="unused", device="cpu")


def test_search_stabiliser():
    search = defaults.config()["search"]
    assert draw(search, "alpha_bridge", seed=0)  # the shipped choices draw
    search["ranges"]["alpha_bridge"]["stabiliser"] = ["clip"]
    with _refused("clip", "none", "clamp_logw", "self_normalize"):
        draw(search, "alpha_bridge", seed=0)
