"""Image metrics offline: FID / IS against closed forms and pytorch-fid, the FID Inception loaded from
a hub folder holding random weights in pytorch-fid's layout (compared with pytorch-fid's own
InceptionV3 on the same weights), missing weights failing fast, and the digits classifier."""
import time

import numpy as np
import pytest
import torch
from pytorch_fid import inception as fid_inception
from sklearn.datasets import load_digits

from alphabridge.errors import CheckpointError, WeightsUnavailable
from alphabridge.metrics.classifier import (
    ClassifierArch,
    evaluate_accuracy,
    load_classifier,
    save_classifier,
    train_classifier,
)
from alphabridge.metrics.inception import (
    HUB_DIR_KEY,
    WEIGHTS_FILE,
    activations,
    frechet_distance,
    inception_score,
    load_inception,
    load_stats,
    save_stats,
    statistics,
    weights_path,
)
from alphabridge.train.checkpoint import save_checkpoint

# a URL that refuses at once on any machine, with the real file name (torch hub names the cached file after it)
OFFLINE_URL = f"http://127.0.0.1:9/{WEIGHTS_FILE}"


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def offline(monkeypatch):
    """Any download attempt (ours or pytorch-fid's) goes to a refused local port."""
    monkeypatch.setattr(fid_inception, "FID_WEIGHTS_URL", OFFLINE_URL)


# ---------------------------------------------------------------- FID and IS arithmetic


def _pytorch_fid_frechet(*args):
    """pytorch-fid's calculate_frechet_distance, where it still runs: it passes sqrtm's `disp`, which
    SciPy 1.18 removed (so from then on the comparison is skipped, saying so)."""
    import warnings

    from pytorch_fid.fid_score import calculate_frechet_distance

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            return float(calculate_frechet_distance(*args))
        except TypeError as e:
            pytest.skip(f"pytorch-fid's calculate_frechet_distance fails with this SciPy: {e}")


@pytest.mark.parametrize("n, d", [(600, 12), (400, 64), (8, 12), (50, 200)])  # the last two: rank-deficient
def test_frechet_self_zero_and_same_as_pytorch_fid(n, d):
    rng = np.random.default_rng(d)
    a = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) * 3.0 + 5.0
    b = rng.normal(size=(n + 7, d)) * 2.0
    mu_a, s_a = statistics(a)
    mu_b, s_b = statistics(b)
    np.testing.assert_allclose(mu_a, a.mean(0))
    np.testing.assert_allclose(s_a, np.cov(a, rowvar=False))
    assert abs(frechet_distance(mu_a, s_a, mu_a, s_a)) < 1e-6 * np.trace(s_a)
    assert frechet_distance(mu_a, s_a, mu_b, s_b) > 10
    # measured: 1e-15 well-conditioned, ~1e-9 rank-deficient (where sqrtm is the approximate one)
    assert frechet_distance(mu_a, s_a, mu_b, s_b) == pytest.approx(_pytorch_fid_frechet(mu_a, s_a, mu_b, s_b),
                                                                   rel=1e-6)


def test_frechet_needs_no_sqrtm(monkeypatch):
    """SciPy's sqrtm changed its signature under pytorch-fid once; ours does not call it at all."""
    import scipy.linalg

    monkeypatch.setattr(scipy.linalg, "sqrtm", None)  # any call fails
    s = np.diag([1.0, 4.0])
    assert frechet_distance(np.zeros(2), s, np.ones(2), 4 * s) == pytest.approx(2 + 5 + 20 - 2 * (2 + 8))


def test_frechet_closed_form_for_commuting_covariances():
    rng = np.random.default_rng(1)
    d = 10
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    v1, v2 = rng.uniform(0.1, 4.0, size=d), rng.uniform(0.1, 4.0, size=d)
    exact = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert frechet_distance(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(exact, rel=1e-9)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))  # same rotation of both: commuting, not diagonal
    s1, s2 = q @ np.diag(v1) @ q.T, q @ np.diag(v2) @ q.T
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(exact, rel=1e-8)
    v1[: d // 2] = 0.0  # rank-deficient: half the directions have no variance
    exact = np.sum((mu1 - mu2) ** 2) + np.sum(v1 + v2 - 2 * np.sqrt(v1 * v2))
    assert frechet_distance(mu1, q @ np.diag(v1) @ q.T, mu2, s2) == pytest.approx(exact, rel=1e-8)


def test_stats_round_trip_and_pytorch_fid_format(tmp_path):
    rng = np.random.default_rng(2)
    mu, sigma = statistics(rng.normal(size=(50, 6)))
    save_stats(tmp_path / "ref.npz", mu=mu, sigma=sigma, meta={"dataset": "digits", "n": 50})
    mu2, sigma2, meta = load_stats(tmp_path / "ref.npz")
    assert np.array_equal(mu, mu2) and np.array_equal(sigma, sigma2) and meta == {"dataset": "digits", "n": 50}
    assert [p.name for p in tmp_path.iterdir()] == ["ref.npz"]  # no temp file left behind
    np.savez_compressed(tmp_path / "theirs.npz", mu=mu, sigma=sigma)  # as pytorch-fid --save-stats writes
    mu3, sigma3, meta3 = load_stats(tmp_path / "theirs.npz")
    assert np.array_equal(mu, mu3) and np.array_equal(sigma, sigma3) and meta3 == {}


def _reference_is(probs: np.ndarray, splits: int) -> tuple[float, float]:
    """The original (Salimans et al.) numpy code, on probabilities."""
    scores = []
    n = len(probs)
    for i in range(splits):
        part = probs[i * n // splits : (i + 1) * n // splits]
        kl = part * (np.log(part) - np.log(np.mean(part, 0, keepdims=True)))
        scores.append(np.exp(np.mean(np.sum(kl, 1))))
    return float(np.mean(scores)), float(np.std(scores))


def test_inception_score_known_answers():
    assert inception_score(np.zeros((100, 1008))) == pytest.approx((1.0, 0.0), abs=1e-12)
    k, per_class_per_split = 7, 5
    labels = np.arange(k * per_class_per_split * 10) % k  # every contiguous split holds each class equally
    confident = 60.0 * np.eye(k)[labels]  # p(true class) = 1 - 6e-26
    mean, std = inception_score(confident, splits=10)
    assert mean == pytest.approx(k, rel=1e-9) and std < 1e-9
    assert inception_score(torch.from_numpy(confident), splits=5)[0] == pytest.approx(k, rel=1e-9)
    logits = np.random.default_rng(3).normal(size=(300, 20)) * 2.0
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(inception_score(logits, splits=10), _reference_is(probs, 10), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError):
        inception_score(np.zeros((5, 10)), splits=10)


# ---------------------------------------------------------------- FID Inception from a hub folder


def _random_fid_inception() -> torch.nn.Module:
    """pytorch-fid's FID Inception architecture (fid_inception_v3) with random weights: its loader is
    pointed at the freshly built net's own state, then every tensor is redrawn at a scale that keeps
    activations O(1) through the 90-odd layers (the default init shrinks them to ~1e-8)."""
    built = []
    make = fid_inception._inception_v3
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fid_inception, "_inception_v3", lambda *a, **k: built.append(make(*a, **k)) or built[-1])
        mp.setattr(fid_inception, "load_state_dict_from_url", lambda *a, **k: built[-1].state_dict())
        net = fid_inception.fid_inception_v3()
    gen = torch.Generator().manual_seed(0)
    state = {}
    for name, v in net.state_dict().items():
        if not v.is_floating_point():
            state[name] = v
        elif v.ndim > 1:  # conv / fc weights: He-normal
            state[name] = torch.randn(v.shape, generator=gen) * (2.0 / v[0].numel()) ** 0.5
        elif name.endswith(("running_var", ".weight")):
            state[name] = 0.5 + torch.rand(v.shape, generator=gen)
        else:
            state[name] = 0.1 * torch.randn(v.shape, generator=gen)
    net.load_state_dict(state)
    return net.eval()


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory):
    """A TORCH_HOME whose hub/checkpoints/ holds random FID Inception weights, as pytorch-fid saves them."""
    home = tmp_path_factory.mktemp("torch_home")
    path = weights_path(home / "hub")
    path.parent.mkdir(parents=True)
    torch.save(_random_fid_inception().state_dict(), path)
    return home


@pytest.fixture(scope="module")
def images():
    return torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(4)) * 2 - 1


def test_inception_matches_pytorch_fid(torch_home, images, offline, monkeypatch):
    hub_before = torch.hub.get_dir()
    net = load_inception(hub_dir=torch_home / "hub")  # the file is there: no network (downloads would fail)
    assert torch.hub.get_dir() == hub_before  # the hub folder was set for the load only
    feats, logits = activations(net, images, batch_size=4)
    assert feats.shape == (4, 2048) and logits.shape == (4, 1008) and feats.dtype == np.float64
    assert feats.std(0).mean() > 1e-3 * np.abs(feats).mean()  # the random net does tell images apart

    # pytorch-fid's own model, reading the same file through torch hub's default folder $TORCH_HOME/hub
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    raw = fid_inception.InceptionV3([3], normalize_input=False).eval()  # takes [-1, 1] as we do
    with torch.no_grad():
        ref = raw(images)[0].flatten(1)
        assert np.array_equal(feats, ref.double().numpy())  # same layers, same input: identical
        # its default path takes [0, 1] and rescales after resizing: equal up to float rounding
        ref01 = fid_inception.InceptionV3([3]).eval()((images + 1) / 2)[0].flatten(1)
        np.testing.assert_allclose(feats, ref01.double().numpy(), rtol=1e-4, atol=1e-5 * np.abs(feats).max())
        fc = torch.load(weights_path(torch_home / "hub"), weights_only=True)
        np.testing.assert_allclose(logits, (ref @ fc["fc.weight"].T + fc["fc.bias"]).double().numpy(),
                                   rtol=1e-5, atol=1e-5 * np.abs(logits).max())

    grey = images[:, :1]
    feats_grey, _ = activations(net, grey, batch_size=4)
    assert np.array_equal(feats_grey, activations(net, grey.expand(-1, 3, -1, -1), batch_size=4)[0])


def test_missing_weights_fail_fast(tmp_path, offline):
    hub = tmp_path / "empty_hub"
    for download in (True, False):
        start = time.perf_counter()
        with pytest.raises(WeightsUnavailable) as err:
            load_inception(hub_dir=hub, download=download, timeout_s=5)
        assert time.perf_counter() - start < 5
        msg = str(err.value)
        for part in (WEIGHTS_FILE, str(weights_path(hub)), HUB_DIR_KEY, OFFLINE_URL):
            assert part in msg
    assert not hub.exists()  # nothing half-downloaded left behind


def test_corrupt_weights_named(tmp_path, offline):
    path = weights_path(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a torch file")
    with pytest.raises(WeightsUnavailable, match="not a usable copy"):
        load_inception(hub_dir=tmp_path)


# ---------------------------------------------------------------- digits classifier


@pytest.fixture(scope="module")
def digits():
    d = load_digits()
    x = torch.tensor(d.images / 8.0 - 1.0, dtype=torch.float32)[:, None]  # 0..16 -> [-1, 1], [N, 1, 8, 8]
    y = torch.tensor(d.target)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    n_train = 3 * len(x) // 4
    return x[perm[:n_train]], y[perm[:n_train]], x[perm[n_train:]], y[perm[n_train:]]


@pytest.fixture(scope="module")
def classifier(digits):
    x, y, _, _ = digits
    start = time.perf_counter()
    net = train_classifier(x, y, epochs=8, lr=3e-3, batch_size=64, seed=0)
    print(f"classifier trained on {len(x)} digits in {time.perf_counter() - start:.1f} s")
    return net


def test_classifier_accuracy_and_metrics(classifier, digits):
    x, y, x_test, y_test = digits
    acc = evaluate_accuracy(classifier, x_test, y_test)
    print(f"held-out digits accuracy {acc:.4f} ({len(x_test)} images)")
    assert acc >= 0.95
    feats, logits = activations(classifier, x_test, batch_size=1000)
    assert feats.shape == (len(x_test), 128) and logits.shape == (len(x_test), 10)
    np.testing.assert_allclose(activations(classifier, x_test, batch_size=7)[0], feats, rtol=1e-5, atol=1e-6)
    # the same interface as Inception: FID train vs test digits is small next to digits vs noise
    mu_tr, s_tr = statistics(activations(classifier, x)[0])
    noise = torch.rand(len(x_test), 1, 8, 8, generator=torch.Generator().manual_seed(5)) * 2 - 1
    fid_real = frechet_distance(mu_tr, s_tr, *statistics(feats))
    fid_noise = frechet_distance(mu_tr, s_tr, *statistics(activations(classifier, noise)[0]))
    assert fid_real < 0.1 * fid_noise
    assert inception_score(logits, splits=5)[0] > 8.0  # confident and spread over the 10 classes


def test_classifier_shapes_28x28_and_seeded(digits):
    x, y, _, _ = digits
    arch = ClassifierArch(feature_dim=32, channels=(8, 16))
    net = train_classifier(x[:128], y[:128], epochs=1, seed=3, arch=arch)
    again = train_classifier(x[:128], y[:128], epochs=1, seed=3, arch=arch)
    assert all(torch.equal(a, b) for a, b in zip(net.state_dict().values(), again.state_dict().values()))
    feats, logits = net(torch.rand(5, 1, 28, 28) * 2 - 1)
    assert feats.shape == (5, 32) and logits.shape == (5, 10)
    with pytest.raises(ValueError):
        train_classifier(x[:8], y[:7], epochs=1)


def test_classifier_save_load_round_trip(classifier, digits, tmp_path):
    _, _, x_test, _ = digits
    save_classifier(classifier, tmp_path / "clf.pt", header={"data": "sklearn digits", "accuracy": 0.97})
    net, header = load_classifier(tmp_path / "clf.pt")
    assert header == {"data": "sklearn digits", "accuracy": 0.97}
    with torch.no_grad():
        for a, b in zip(classifier(x_test), net(x_test)):
            assert torch.equal(a, b)
    save_checkpoint({"kind": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="not a digit-classifier"):
        load_classifier(tmp_path / "other.pt")
