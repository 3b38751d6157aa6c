"""Image experiments on digits through Snakemake (config/smoke.yaml): the shared Steps train a conv
model, Figs 1/5/6 are drawn from what was saved, and the figure helpers do what they say."""
import numpy as np
import pytest
import torch

from alphabridge.train.loop import saved_keys
from alphabridge.config import load_config_files
from alphabridge.experiments.image_figs import latent_direction
from alphabridge.figures.images import Fig5Run, fig5_columns
from alphabridge.figures.images import image_grid
from conftest import IMAGE_FIGS as FIGS
from conftest import REPO, run_snakemake


@pytest.fixture
def digits_run(smoke):
    return smoke  # the session's one smoke run (conftest.SMOKE_TARGETS)


@pytest.mark.workflow
def test_digits_figures_from_saved_outputs(digits_run):
    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    s = cfg["images"]["runs"]["digits"]
    for f in FIGS:
        assert (digits_run / f.replace(".pdf", ".png")).read_bytes()[:4] == b"\x89PNG"
    data = np.load(digits_run / "resources/datasets/digits.npz")
    assert data["train_images"].shape[1:] == (1, 8, 8) and len(data["train_images"]) + len(data["test_images"]) == 1797
    with np.load(digits_run / "results/images/digits/alpha_bridge/samples.npz") as npz:
        assert saved_keys(npz.files) == [f"it{i}" for i in range(20, 121, 20)] and list(npz["diverged_at"]) == [0, 0]
        x = npz["it120"]
        assert x.shape == (2, s["eval"]["n_samples"], 64) and x.dtype == np.uint8
    with np.load(digits_run / "results/images/digits/fig1/demo.npz") as demo:
        assert np.array_equal(demo["rkl_it0"], demo["bridge_it0"])  # the same ML start
        assert not np.array_equal(demo["rkl_it4"], demo["rkl_it0"])
    with np.load(digits_run / "results/images/digits/fig6/data.npz") as d:
        assert d["generated"].shape == d["reconstructed"].shape == (2, 8, 64)  # every trial; the figure draws trial 0
        assert d["walk"].shape == (2, 8, 7, 64) and str(d["label"]) == "1 -> 7"
        assert not np.array_equal(d["walk"][:, :, 0], d["walk"][:, :, -1])  # the walk moves
    # the DCGAN baseline trained through the same loop with its own (non-saturating) loss
    with np.load(digits_run / "results/images/digits/dcgan/samples.npz") as npz:
        assert npz["it120"].shape == (2, s["eval"]["n_samples"], 64)


def test_latent_direction_is_difference_of_group_means():
    means = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    d = latent_direction(means, positive=np.array([1, 1, 0, 0], bool), negative=np.array([0, 0, 1, 1], bool))
    assert d.tolist() == [2.0, -3.0]
    with pytest.raises(ValueError, match="both groups"):
        latent_direction(means, positive=np.zeros(4, bool), negative=np.ones(4, bool))


def test_image_grid_places_images_row_major():
    imgs = np.stack([np.full(4, k, np.uint8) for k in range(3)])  # three 1x2x2 images
    grid = image_grid(imgs, shape=(1, 2, 2), ncol=2)
    assert grid.shape == (5, 5)
    assert grid[0, 0] == 0 and grid[0, 3] == 1 and grid[3, 0] == 2 and grid[3, 3] == 255 and grid[2, 2] == 255


def test_fig5_columns_pick_nearest_saved_iteration():
    run = Fig5Run(shape=(1, 8, 8), step1_iters=100, step2_iters=200, step3_iters=100)
    cols = fig5_columns(run, saved=[f"it{i}" for i in range(50, 401, 50)])
    assert [k for _, k in cols] == ["it100", "it150", "it200", "it250", "it300", "it400"]


@pytest.mark.workflow
def test_digits_metrics_match_an_independent_computation(digits_run):
    import json

    import pandas as pd
    from alphabridge.metrics.classifier import load_classifier

    acc = json.loads((digits_run / "results/images/digits/classifier.json").read_text())["test_accuracy"]
    assert acc >= 0.93  # the domain classifier is a usable feature net on held-out digits
    df = pd.read_csv(digits_run / "results/images/digits/alpha_bridge/metrics.csv")
    assert list(df.columns) == ["method", "dataset", "trial", "iteration", "step", "alpha", "fid", "inception_score",
                                "modes_covered", "kl_uniform", "pixel_distance_step1", "feature_net"]
    # the curves' distance from the end of Step I (iteration 40 here): NaN before, 0 there, > 0 once G moves
    dist = df.set_index(["iteration", "trial"]).pixel_distance_step1
    assert dist[20].isna().all() and (dist[40] == 0).all() and (dist[120] > 0).all()
    assert df.modes_covered.between(1, 10).all() and (df.kl_uniform >= 0).all()
    assert list(df.iteration) == [i for i in range(20, 121, 20) for _ in range(2)] and list(df.trial) == [0, 1] * 6
    assert set(df.feature_net) == {"classifier"} and list(df.step[::2]) == ["I", "I", "II", "II", "III", "III"]
    net, _ = load_classifier(digits_run / "resources/classifiers/digits.pt")
    data = np.load(digits_run / "resources/datasets/digits.npz")

    def feats(u8):
        with torch.no_grad():
            f, logits = net(torch.from_numpy(u8.reshape(-1, 1, 8, 8)).double().float() / 127.5 - 1)
        return f.double().numpy(), logits.double()

    real, _ = feats(data["test_images"])
    with np.load(digits_run / "results/images/digits/alpha_bridge/samples.npz") as npz:
        fake, logits = feats(npz["it120"][1])
    # FID by another route than the library's: Tr (S1 S2)^1/2 from the (real, non-negative) eigenvalues of
    # the non-symmetric product itself, in numpy
    s_f, s_r = np.cov(fake, rowvar=False), np.cov(real, rowvar=False)
    tr_sqrt = np.sqrt(np.clip(np.linalg.eigvals(s_f @ s_r).real, 0, None)).sum()
    fid = np.sum((fake.mean(0) - real.mean(0)) ** 2) + np.trace(s_f) + np.trace(s_r) - 2 * tr_sqrt
    row = df[(df.iteration == 120) & (df.trial == 1)].iloc[0]
    assert row.fid == pytest.approx(fid, rel=1e-4)
    p = torch.softmax(logits, 1)  # IS over 10 splits of 10 samples each
    parts = [p[i * 10 : (i + 1) * 10] for i in range(10)]
    is_ = np.mean([float(torch.exp((q * (q.log() - q.mean(0, keepdim=True).log())).sum(1).mean())) for q in parts])
    assert row.inception_score == pytest.approx(is_, rel=1e-4)
    _final_scores_match_an_independent_computation(digits_run, real)


def _mmd2(x, y):  # the unbiased MMD^2 with KID's kernel (x.y / D + 1)^3
    k = lambda a, b: (a @ b.T / a.shape[1] + 1) ** 3  # noqa: E731
    m = len(x)
    kxx, kyy = k(x, x), k(y, y)
    return ((kxx.sum() - np.trace(kxx)) + (kyy.sum() - np.trace(kyy))) / (m * (m - 1)) - 2 * k(x, y).mean()


def _prc(fake, real, k):
    def radius(a):
        return np.sort(np.linalg.norm(a[:, None] - a[None], axis=-1), axis=1)[:, k]

    d = np.linalg.norm(fake[:, None] - real[None], axis=-1)
    return (d <= radius(real)[None]).any(1).mean(), (d <= radius(fake)[:, None]).any(0).mean()


def _final_scores_match_an_independent_computation(digits_run, real):
    """Per-trial final rows, KID and precision/recall recomputed from the saved features (the real
    ones are the classifier's features of the test digits), and the table's means over trials."""
    import pandas as pd

    from alphabridge.experiments.image_metrics import FINAL_COLUMNS, TABLE_COLUMNS

    sc = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])["images"]["scores"]
    trials = pd.read_csv(digits_run / "results/tables/digits_trials.csv")
    assert list(trials.columns) == FINAL_COLUMNS and list(trials.trial) == [0, 1] * 5 + [0]
    assert list(trials.method.unique()) == ["alpha_bridge", "dcgan", "alpha_bridge_marginals", "alpha_bridge_joint",
                                            "alpha_bridge_step1", "real_data"]
    for method in ("alpha_bridge", "dcgan"):
        with np.load(digits_run / f"results/images/digits/{method}/final_features.npz") as f:
            fake, saved_real = f["fake"].astype(np.float64), f["real"].astype(np.float64)
        assert fake.shape == (2, 200, real.shape[1]) and np.allclose(saved_real, real, atol=1e-4)
        for t in range(2):
            row = trials[(trials.method == method) & (trials.trial == t)].iloc[0]
            assert (row.precision, row.recall) == pytest.approx(_prc(fake[t], saved_real, sc["prc_k"]), abs=1e-6)
            rng, m = np.random.RandomState(sc["seed"]), min(sc["kid_subset_size"], 200, len(real))
            mmds = [_mmd2(fake[t][rng.choice(200, m, replace=False)], saved_real[rng.choice(len(real), m, replace=False)])
                    for _ in range(sc["kid_subsets"])]
            assert row.kid == pytest.approx(np.mean(mmds), rel=1e-4, abs=1e-6)
            assert row.kid_std == pytest.approx(np.std(mmds), rel=1e-3, abs=1e-6)
    table = pd.read_csv(digits_run / "results/tables/digits.csv")
    assert list(table.columns) == TABLE_COLUMNS and list(table.method) == list(trials.method.unique())
    assert (table.n_samples == 200).all() and list(table.n_trials) == [2] * 5 + [1] and (table.n_diverged == 0).all()
    for k in ("fid", "inception_score", "kid", "precision", "recall", "modes_covered", "kl_uniform"):
        means = trials.groupby("method", sort=False)[k].agg(["mean", "std"])
        assert np.allclose(table[f"{k}_mean"], means["mean"])
        assert np.allclose(table[f"{k}_std"], means["std"], equal_nan=True)  # real_data: one trial, no std


@pytest.mark.workflow
def test_offline_targets_fail_fast_with_what_to_put_where(repo_copy):
    import yaml

    proc = run_snakemake(["--cores", "1", "resources/datasets/mnist.npz"], cwd=repo_copy, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "resources/datasets/raw/MNIST/raw" in out and "train-images-idx3-ubyte.gz" in out and "md5" in out
    # Inception-based metrics without the weights name the file and the config key; digits data still builds
    over = repo_copy / "inception.yaml"
    over.write_text(yaml.safe_dump({"images": {"runs": {"digits": {"eval": {"feature_net": "inception"}}}}}))
    proc = run_snakemake(["--cores", "1", "resources/fid_stats/digits_inception.npz", "--configfile", str(over)],
                         cwd=repo_copy, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "pt_inception-2015-12-05-6726825d.pth" in out and "images.inception.hub_dir" in out
    assert "resources/torch_hub/checkpoints" in out
    assert (repo_copy / "resources/datasets/digits.npz").exists()


@pytest.mark.workflow
def test_mnist_and_celeba_panels_join_when_their_data_is_on_disk(repo_copy, tmp_path):
    import yaml

    base = run_snakemake(["-n", "results/figures/fig5.pdf"], cwd=repo_copy).stdout
    assert "results/images/digits/alpha_bridge/samples.npz" in base and "images/mnist" not in base
    (repo_copy / "resources/datasets/raw/MNIST/raw").mkdir(parents=True)
    celeba = tmp_path / "celeba"
    celeba.mkdir()
    over = repo_copy / "celeba.yaml"
    over.write_text(yaml.safe_dump({"images": {"runs": {"celeba": {"data": {"celeba_dir": str(celeba)}}}}}))
    out = run_snakemake(["-n", "results/figures/fig5.pdf", "--configfile", str(over)], cwd=repo_copy).stdout
    for d in ("digits", "mnist", "celeba"):
        assert f"results/images/{d}/alpha_bridge/samples.npz" in out, d


def test_mlp_model_kind_trains_on_flattened_pixels(tmp_path):
    from alphabridge import defaults
    from alphabridge.data.images import prepare
    from alphabridge.experiments.images import image_train_step
    from alphabridge.stages import spec_of
    from alphabridge.train.checkpoint import load_checkpoint

    cfg = load_config_files([REPO / "config/config.yaml", REPO / "config/smoke.yaml"])
    s = cfg["images"]["runs"]["digits"]
    s["model"] = {"kind": "mlp", "z_dim": 8, "hidden": 32, "depth": 2, "leaky_slope": 0.2}
    s["alpha_bridge"].update(step1_iters=5)
    s["trials"] = 2
    data = tmp_path / "digits.npz"
    prepare(defaults.image_data("digits", root=str(tmp_path), image_size=8, test_fraction=0.2), out=data)
    spec = spec_of("image_train", cfg, dataset="digits", method="alpha_bridge", step="I")
    image_train_step(spec=spec, dataset_npz=data, in_ckpt=None, out_ckpt=tmp_path / "s1.pt", samples_out=None,
                     resume_path=None, progress=False)
    ck = load_checkpoint(tmp_path / "s1.pt")
    assert ck["iteration"] == 5 and ck["models"]["gen"]["layers.0.weight"].shape == (2, 8, 32)
    assert ck["samples"][5].shape == (2, s["eval"]["n_samples"], 64) and ck["samples"][5].dtype == np.uint8
