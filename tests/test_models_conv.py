"""DCGAN-style trial-batched conv models: shapes for every image size, and trial k of a T-trial
model equals a 1-trial model with the same seed (forward and gradients)."""
import pytest
import torch

from alphabridge.models.conv import ConvConfig, build_conv_models


def _models(seeds, cfg):
    return build_conv_models(cfg=cfg, generators=[torch.Generator().manual_seed(s) for s in seeds])


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_shapes(shape):
    cfg = ConvConfig(image_shape=shape, z_dim=5, channels=4)
    g, d, e = _models([0, 1], cfg)
    x = g(torch.randn(2, 3, 5))
    assert x.shape == (2, 3, shape[0] * shape[1] * shape[2]) and x.abs().max() <= 1
    assert d(x).shape == (2, 3, 1)
    mean, logvar = e(x)
    assert mean.shape == logvar.shape == (2, 3, 5)


def test_trial_k_equals_single_model():
    cfg = ConvConfig(image_shape=(1, 28, 28), z_dim=3, channels=4)
    torch.manual_seed(0)
    z = torch.randn(3, 6, 3)
    x = torch.rand(3, 6, 784) * 2 - 1
    multi = _models([10, 11, 12], cfg)
    out = [multi[0](z), multi[1](x), multi[2](x)[0]]
    loss = sum(o.square().sum() for o in out)
    loss.backward()
    for k, seed in enumerate([10, 11, 12]):
        single = _models([seed], cfg)
        ref = [single[0](z[k : k + 1]), single[1](x[k : k + 1]), single[2](x[k : k + 1])[0]]
        for a, b in zip(out, ref):
            torch.testing.assert_close(a[k : k + 1], b, rtol=1e-5, atol=1e-6)
        sum(o.square().sum() for o in ref).backward()
        gm, gs = multi[0].net[0].weight.grad, single[0].net[0].weight.grad
        n = gs.shape[0]
        torch.testing.assert_close(gm[k * n : (k + 1) * n], gs, rtol=1e-3, atol=1e-5)


def test_bad_size_and_sn_are_named():
    with pytest.raises(ValueError, match="image_shape"):
        ConvConfig(image_shape=(1, 30, 30), z_dim=4, channels=4).n_up
    with pytest.raises(ValueError, match="spectral norm"):
        build_conv_models(cfg=ConvConfig(image_shape=(1, 8, 8), z_dim=4, channels=4), generators=[torch.Generator()], d_spectral_norm=True)
