# Image experiments: paths, the datasets each figure shows, the feature-net inputs, and the
# reconstruction tables' inputs (section 3.3: 25-Gaussians and digits) (no rules here).
IMG = config.get("images", {"runs": {}})
IDIR = "results/images"
DATASETS = list(IMG["runs"])


def fits_in_memory(w):
    """No files: refuses a dataset whose jobs would not fit in this machine's memory. An input of
    the dataset's data rule, which every job of the dataset needs, so it is asked while the DAG is
    built (before any job runs) for the datasets the targets need only."""
    try:
        check_image_memory(config, w.dataset)
    except ConfigError as e:
        raise WorkflowError(str(e)) from None
    return []


def image_train_json(dataset, method, step):
    return stage_json("image_train", config, dataset=dataset, method=method, step=step)


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


def figure_json(stage):
    return stage_json(stage, config, datasets=figure_datasets())


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


def reconstruction_inputs():
    """alpha-Bridge and every generalisation configured: 25-Gaussians at each beta1, then digits."""
    gauss = [m for m in G["methods"] if methods.get(m).steps] + G["generalisations"]
    out = expand(f"{GDIR}/{{m}}/b1_{{b1}}/reconstruction.csv", m=gauss, b1=G["beta1s"])
    if "digits" in IMG["runs"]:
        ms = ["alpha_bridge"] + IMG["runs"]["digits"]["generalisations"]
        out += expand(f"{IDIR}/digits/{{m}}/reconstruction.csv", m=ms)
    return out
