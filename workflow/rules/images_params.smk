# Image experiments: paths, code inputs and the config slice each rule receives (no rules here).
IMG = config.get("images", {"runs": {}})
IDIR = "results/images"
DATASETS = list(IMG["runs"])

IMAGE_TRAIN_CODE = TRAIN_CODE + pkg(
    "data/images.py", "experiments/images.py", "cli_images.py"
)


def _image_shared(s):
    return {
        k: s[k]
        for k in ("data", "trials", "seed", "beta1", "save_every", "model", "optim")
    } | {"eval": {k: s["eval"][k] for k in ("every", "n_samples")}}


def image_data_json(dataset):
    return _dump(
        {"images": {"runs": {dataset: {"data": IMG["runs"][dataset]["data"]}}}}
    )


def image_step_json(dataset, step):
    """Like step_json: each Step's rule gets the keys it reads, so a later Step's change never
    re-runs an earlier one; 'dcgan' for the baseline, 'fig1' for the forgetting demo."""
    s = IMG["runs"][dataset]
    sec = _image_shared(s)
    if step == "dcgan":
        sec["dcgan"] = s["dcgan"]
    else:
        keys = AB_KEYS["I"] if step == "fig1" else AB_KEYS[step]
        sec["alpha_bridge"] = {k: s["alpha_bridge"][k] for k in keys}
    out = {**runtime_keys(config), "images": {"runs": {dataset: sec}}}
    if step in ("II", "fig1"):
        out["gamma"] = config["gamma"]
        sec["alpha_bridge"] |= {k: s["alpha_bridge"][k] for k in AB_KEYS["II"]}
    if step == "fig1":
        sec["fig1"] = s["fig1"]
    return _dump(out)


def figure_datasets():
    """Digits always (offline); MNIST and CelebA where their data is on disk (Fig. 5/6 panels)."""
    out = [d for d in ("digits",) if d in IMG["runs"]]
    for d in ("mnist", "celeba"):
        s = IMG["runs"].get(d)
        if s is None:
            continue
        present = (
            Path(s["data"]["root"], "MNIST/raw").is_dir()
            if d == "mnist"
            else bool(s["data"]["celeba_dir"])
            and Path(s["data"]["celeba_dir"]).is_dir()
        )
        out += [d] if present else []
    return out


def image_fig_json(datasets):
    return _dump(
        {
            **runtime_keys(config),
            "gaussians": G,
            "images": {"runs": {d: IMG["runs"][d] for d in datasets}},
        }
    )


# final scores restore a trained model and sample from it: the training code is theirs too
IMAGE_METRIC_CODE = IMAGE_TRAIN_CODE + pkg(
    "metrics/inception.py",
    "metrics/classifier.py",
    "experiments/image_metrics.py",
)


def image_metric_json(dataset):
    return _dump(
        {
            **runtime_keys(config),
            "images": {
                "inception": IMG["inception"],
                "runs": {dataset: IMG["runs"][dataset]},
            },
        }
    )


def feature_net_inputs(w):
    """The classifier file when the dataset's metrics use it (nothing for Inception: its weights
    are outside the workflow, found or reported by the metrics code)."""
    net = IMG["runs"][w.dataset]["eval"]["feature_net"]
    return (
        {"classifier": f"resources/classifiers/{w.dataset}.pt"}
        if net == "classifier"
        else {}
    )


def net_args(w, input):
    net = IMG["runs"][w.dataset]["eval"]["feature_net"]
    extra = f" --classifier {input.classifier}" if net == "classifier" else ""
    return f"--net {net}{extra}"


def ref_stats(w):
    return f"resources/fid_stats/{w.dataset}_{IMG['runs'][w.dataset]['eval']['feature_net']}.npz"
