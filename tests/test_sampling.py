"""Sampling is well defined: generators draw with BatchNorm in eval mode, so samples do
not depend on the chunk size, drawing leaves the running statistics alone, and modes are restored."""
import numpy as np
import torch

from alphabridge.models.conv import ConvConfig, build_conv_models
from alphabridge.train.sampling import eval_mode, generate


def _trained_gen():
    """A 2-trial conv G whose BatchNorm running statistics are no longer the initial (0, 1)."""
    g, _, _ = build_conv_models(cfg=ConvConfig(image_shape=(1, 8, 8), z_dim=4, channels=4),
                                generators=[torch.Generator().manual_seed(s) for s in (0, 1)])
    with torch.no_grad():
        for _ in range(5):
            g(torch.randn(2, 32, 4) * 3 + 1)  # train mode: updates the running statistics
    return g


def _bn_state(g):
    return {k: v.clone() for k, v in g.state_dict().items() if "running" in k or "num_batches" in k}


def test_samples_do_not_depend_on_the_chunk_size():
    g, z = _trained_gen(), torch.randn(2, 50, 4, generator=torch.Generator().manual_seed(3))
    whole = generate(g, z, chunk=4096)
    for chunk in (1, 7, 16):
        np.testing.assert_allclose(generate(g, z, chunk=chunk), whole, rtol=0, atol=1e-6)
    assert np.array_equal(generate(g, z, chunk=7, as_uint8=True), generate(g, z, as_uint8=True))
    # the test has teeth: in train mode the same chunks give different samples
    with torch.no_grad():
        by_chunk = torch.cat([g(z[:, i : i + 7]) for i in range(0, 50, 7)], dim=1)
    assert (by_chunk - g(z).detach()).abs().max() > 1e-2


def test_drawing_leaves_running_statistics_and_modes_alone():
    g = _trained_gen()
    before, z = _bn_state(g), torch.randn(2, 20, 4)
    generate(g, z, chunk=6)
    after = _bn_state(g)
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert all(m.training for m in g.modules())  # back in train mode for the next iteration
    g.net[1].eval()  # a mixed state is restored module by module
    with eval_mode(g):
        assert not any(m.training for m in g.modules())
    assert not g.net[1].training and g.net[0].training
