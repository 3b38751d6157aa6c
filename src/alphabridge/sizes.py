"""Generous memory estimates of the image jobs of an `images.runs.<dataset>` section, so that a
config whose jobs cannot fit is refused before any job runs (alphabridge.image_checks).

Three jobs per section: training (one Step or run: models/conv.py or the MLPs of models/batched.py,
train/), scoring (FID / IS of the saved and the final samples, experiments/image_metrics.py) and,
for `feature_net: classifier`, the domain classifier's training (metrics/classifier.py). Each
counts tensors layer by layer and rounds every multiplicity up (below). Nothing here imports
torch, so validation stays cheap; the few constants shared with the models are repeated here and
tests/test_sizes.py keeps them equal.

Calibration (/usr/bin/time -v on a rule's CLI command, CPU, torch 2.14): the digits training jobs
of config/config.yaml peak at 0.94 GB RSS (alpha_bridge_joint, Steps I, II, III alike; 0.57 GB of
it is the interpreter with torch imported), estimated 1.10 GB. With tensors dominating (digits,
trials 8, channels 64, batch 512, n_samples 5000, every 10, generalisations as configured)
alpha_bridge_joint Step II peaks at 1.80 GB, estimated 2.99 GB; the final scores of 50000 samples
of its 8 trials with the classifier (FID, IS, and KID and precision/recall on 10K features) peak at
3.06 GB, estimated 3.45 GB (1.46 GB before precision/recall).
"""
from __future__ import annotations

import math

PROCESS = 2**30  # the interpreter, torch and the libraries (measured 0.57 GB; 0.94 GB at peak in all)
F32 = 4
BASE = {8: 2, 28: 7, 32: 4, 64: 4}  # = models.conv.BASE: spatial size after the last down-sampling
# = data.images.NATIVE_SIZE
NATIVE_SIZE = {"digits": 8, "mnist": 28, "cifar10": 32, "stacked_digits": 8, "stacked_mnist": 28}
COLOUR = ("cifar10", "celeba")  # data.images.image_shape: 3 channels, else 1
DATASET_IMAGES = {"digits": 1797, "mnist": 70_000, "cifar10": 60_000, "celeba": 202_599}  # train + test
OFFICIAL_TRAIN = {"mnist": 60_000, "cifar10": 50_000}  # digits (and CelebA without its partition file) split by test_fraction
DRAW_BLOCK = 64  # = train.draws.BLOCK: iterations of draws made ahead
PRC_BLOCK = 10000  # = metrics.fidelity.PRC_BLOCK (torch-fidelity's prc_batch_size)
GEN_CHUNK = 4096  # = train.sampling.generate's chunk of samples
# Multiplicities, each rounded up: a parameter is held as value, gradient and Adam's two moments, plus
# a restored checkpoint's value and moments while it is copied in, plus the per-trial stack at build
# time (8); up to 4 forward graphs of each network are alive at once (Step II's G on posterior and
# prior codes, D on both, the ELBO's E and G; D on real and fake); every layer keeps its output, its
# batch-norm output and its activation (3, in the layer sums below).
PARAM_COPIES = 8
PASSES = 4
INCEPTION_IMAGE = 24 * 2**20  # bytes per image in a batch: measured 14 MiB (batch 100) to 21 MiB (batch 10)
INCEPTION_DIMS = (2048, 1008)  # pool3 features, logits
CLASSIFIER = dict(channels=(32, 64), pooled=4, n_classes=10)  # = metrics.classifier.ClassifierArch's defaults


def image_shape(section: dict) -> tuple[int, int, int]:
    d = section["data"]
    return (3 if d["name"] in COLOUR or d["stacked"] else 1), d["image_size"], d["image_size"]


def source(data: dict) -> dict:
    """The data config of a stacked dataset's source digits (the config itself otherwise)."""
    return {**data, "name": data["name"].removeprefix("stacked_"), "stacked": None}


def train_images(data: dict, *, capped: bool = True) -> int:
    """The train split's size (an upper bound for CelebA, whose official partition keeps fewer)."""
    if data["stacked"]:
        return data["stacked"]["n_train"]
    total = DATASET_IMAGES[data["name"]]
    n = OFFICIAL_TRAIN.get(data["name"], total - math.ceil(total * data["test_fraction"]))
    return n if data["max_images"] is None or not capped else min(n, data["max_images"])


def held_out_images(data: dict) -> int:
    if data["stacked"]:
        return data["stacked"]["n_test"]
    return DATASET_IMAGES[data["name"]] - train_images(data, capped=False)


def prepared_images(data: dict) -> int:
    """Images in the prepared npz: data.max_images caps the train split before it is written; a
    stacked dataset also keeps its source digits (counted as whole images: generous)."""
    extra = prepared_images(source(data)) if data["stacked"] else 0
    return train_images(data) + held_out_images(data) + extra


def _mlp(d_in: int, d_out: int, hidden: int, depth: int) -> tuple[int, int, int]:
    """(parameters, floats kept per sample for backward: each layer's output and activation, widest
    layer's floats per sample) of a BatchedMLP."""
    dims = [d_in] + [hidden] * depth + [d_out]
    return sum(a * b + b for a, b in zip(dims, dims[1:])), d_in + 2 * hidden * depth + d_out, max(dims)


def _widths(size: int, channels: int) -> list[int]:
    return [channels * 2**k for k in range(int(math.log2(size // BASE[size])))]


def _trunk(c: int, size: int, channels: int, d_out: int) -> tuple[int, int, int]:
    """ConvTrunk (D, E, the joint aux's x-net): stride-2 4x4 convs, batch norm, then a linear layer."""
    params, kept, widest, c_in, s = 0, c * size * size, c * size * size, c, size
    for w in _widths(size, channels):
        s //= 2
        params += c_in * w * 16 + w + 5 * w  # weight, bias, batch norm (2 parameters, 3 buffers)
        kept, widest, c_in = kept + 3 * w * s * s, max(widest, w * s * s), w
    fc = _mlp(c_in * s * s, d_out, 0, 0)
    return params + fc[0], kept + fc[1], max(widest, fc[2])


def _generator(c: int, size: int, channels: int, z: int) -> tuple[int, int, int]:
    """ConvGenerator: linear to the base map, then stride-2 4x4 transposed convs up to the image."""
    widths, s = _widths(size, channels)[::-1], BASE[size]
    first = widths[0] * s * s
    params, kept, widest = z * first + first + 5 * widths[0], z + 3 * first, max(z, first)
    for w_in, w_out in zip(widths, widths[1:] + [c]):
        s *= 2
        params += w_in * w_out * 16 + w_out + 5 * w_out
        kept, widest = kept + 3 * w_out * s * s, max(widest, w_out * s * s)
    return params, kept, widest


def networks(section: dict) -> dict[str, tuple[int, int, int]]:
    """{network: (parameters per trial, floats kept per sample per forward pass, widest layer's
    floats per sample)}: G, D, E and the largest auxiliary discriminator among `generalisations`
    (the one a training job may hold)."""
    m, (c, size, _) = section["model"], image_shape(section)
    z, gens = m["z_dim"], section["generalisations"]
    if m["kind"] == "mlp":
        x, h, depth = c * size * size, m["hidden"], m["depth"]
        out = {"G": _mlp(z, x, h, depth), "D": _mlp(x, 1, h, depth), "E": _mlp(x, 2 * z, h, depth)}
        aux = {"alpha_bridge_marginals": _mlp(z, 1, h, depth), "alpha_bridge_joint": _mlp(x + z, 1, h, depth)}
    else:
        ch = m["channels"]
        top = ch * 2 ** (len(_widths(size, ch)) - 1)
        out = {"G": _generator(c, size, ch, z), "D": _trunk(c, size, ch, 1), "E": _trunk(c, size, ch, 2 * z)}
        trunk, head = _trunk(c, size, ch, top), _mlp(top + z, 1, top, 1)
        aux = {"alpha_bridge_marginals": _mlp(z, 1, top, 2),
               "alpha_bridge_joint": (trunk[0] + head[0], trunk[1] + head[1], max(trunk[2], head[2]))}
    if gens:
        out["aux"] = max((aux[g] for g in gens), key=sum)
    return out


def _no_grad(nets: dict) -> int:
    """Floats per sample of G under no_grad (generating samples): a layer's input and its output."""
    return 2 * nets["G"][2]


def saved_sample_sets(section: dict) -> int:
    """Sample sets a job holds at once: every eval.every and each Step's end (Step III carries those
    of Steps I and II), or each iteration of the Fig. 1 demo up to its last snapshot."""
    ab = section["alpha_bridge"]
    longest = max(ab["step1_iters"] + ab["step2_iters"] + ab["step3_iters"], section["dcgan"]["iters"])
    return max(longest // section["eval"]["every"] + 3, max(section["fig1"]["snapshots"]) + 1)


def training_bytes(section: dict) -> dict[str, int]:
    """One training job's estimate, by part (sum them for the total)."""
    nets = networks(section)
    c, h, w = image_shape(section)
    x, z, t = c * h * w, section["model"]["z_dim"], section["trials"]
    b, n = section["optim"]["batch_size"], section["eval"]["n_samples"]
    params, kept = sum(v[0] for v in nets.values()), sum(v[1] for v in nets.values())
    return {
        "models": t * PARAM_COPIES * F32 * params,
        "activations": t * b * PASSES * F32 * kept,
        # a block of draws (int64 indices, 3 noise vectors and the uniform of the penalty) and its batch
        "draws": t * b * (DRAW_BLOCK * (8 + F32 * (3 * z + 2)) + F32 * x),
        # eval noise, the float samples of one evaluation, one no-grad chunk through G
        "evaluation": t * F32 * (n * (z + x) + min(n, GEN_CHUNK) * _no_grad(nets)),
        "samples": 2 * saved_sample_sets(section) * t * n * x,  # uint8, copied once more when saved
        # uint8 train and test images as loaded; the train tensor is a view of them (on CUDA, a GPU copy)
        "data": prepared_images(section["data"]) * x,
    }


def _feature_net(section: dict, classifier: dict) -> tuple[int, int, int]:
    """(features, logits, bytes per image in a batch) of the run's feature net; on stacked data the
    classifier reads each channel (3 digits per image) and joins their classes (1000 logits)."""
    if section["eval"]["feature_net"] == "inception":
        return (*INCEPTION_DIMS, INCEPTION_IMAGE)
    c1, c2 = CLASSIFIER["channels"]
    s, k = section["data"]["image_size"], CLASSIFIER["n_classes"]
    s2 = s // 2 if s > 2 * CLASSIFIER["pooled"] else s
    kept = 2 * c1 * s * s + 3 * c2 * s2 * s2 + 2 * classifier["feature_dim"] + k
    if section["data"]["stacked"]:
        return 3 * classifier["feature_dim"], k**3, F32 * (3 * (s * s + kept) + 2 * k**3)
    return classifier["feature_dim"], k, F32 * (s * s + kept)


def scoring_bytes(section: dict, *, inception_batch: int, classifier: dict, scores: dict) -> dict[str, int]:
    """One scoring job: the final model's eval.final_samples (generated for every trial), or
    eval.n_samples saved ones, or the real test images (reference statistics), through the net."""
    c, h, w = image_shape(section)
    x, z, t = c * h * w, section["model"]["z_dim"], section["trials"]
    e, nets = section["eval"], networks(section)
    n = max(e["final_samples"], e["n_samples"], held_out_images(section["data"]))
    m = min(n, scores["samples"])  # the features KID and precision/recall compare
    d, k, per_image = _feature_net(section, classifier)
    return {
        "models": PARAM_COPIES * F32 * t * sum(v[0] for v in nets.values()),
        # noise, float and uint8 samples of every trial, one no-grad chunk through G; trial 0 as floats
        "generation": t * e["final_samples"] * (F32 * (z + x) + x) + t * F32 * GEN_CHUNK * _no_grad(nets)
                      + F32 * n * x,
        "feature_net": min(inception_batch, n) * per_image,  # images.inception.batch_size batches either net
        "features": 2 * 8 * n * (d + k) + 4 * 8 * d * d,  # float64, gathered and concatenated; covariances
        # precision/recall: a float32 distance block of up to PRC_BLOCK rows (torch-fidelity's batch) against
        # the m fake features, four times (cdist's pieces, their concatenation, cdist's own buffers; measured
        # 1.6 GB at m = 10K), float32 copies of both feature sets; KID: three subset kernels
        "kid_prc": F32 * (4 * min(PRC_BLOCK, m) * m + 2 * n * d + 3 * min(scores["kid_subset_size"], n) ** 2),
        "data": prepared_images(section["data"]) * x,  # the prepared npz, uint8
    }


def classifier_bytes(section: dict, classifier: dict) -> dict[str, int]:
    """The domain classifier's training on this section's dataset (full-batch when batch_size >= n);
    on stacked data it learns the source digits (and is then scored on the stacked test images)."""
    data = section["data"]
    if data["stacked"]:  # plus the stacked test images as floats and their joint logits
        one = classifier_bytes({**section, "data": source(data)}, classifier)
        per_image = 3 * data["image_size"] ** 2 + 3 * CLASSIFIER["n_classes"] ** 3
        return {**one, "stacked_test": F32 * held_out_images(data) * per_image}
    c, h, w = image_shape(section)
    d, k, per_image = _feature_net({**section, "eval": {"feature_net": "classifier"}}, classifier)
    c2 = CLASSIFIER["channels"][1]
    params = 9 * (c * CLASSIFIER["channels"][0] + CLASSIFIER["channels"][0] * c2) + c2 * 16 * d + d * k
    n = prepared_images(section["data"])
    return {"models": PARAM_COPIES * F32 * params, "images": F32 * n * c * h * w,
            "batch": 2 * min(classifier["batch_size"], train_images(section["data"])) * per_image}


def job_bytes(section: dict, images: dict) -> dict[str, int]:
    """{job: estimated peak bytes, the process included} of the jobs a runs.<dataset> section starts;
    `images` is the whole images section (the feature net's batch, the classifier)."""
    cls = images["classifier"]
    out = {"training": sum(training_bytes(section).values()),
           "scoring": sum(scoring_bytes(section, inception_batch=images["inception"]["batch_size"], classifier=cls,
                                        scores=images["scores"]).values())}
    if section["eval"]["feature_net"] == "classifier":
        out["classifier"] = sum(classifier_bytes(section, cls).values())
    return {job: PROCESS + b for job, b in out.items()}
