"""The image experiments' commands (sections 5.2-5.3) of `python -m alphabridge`: their functions and
their entries of the command table (alphabridge.cli.COMMANDS takes them as they are)."""
from __future__ import annotations

import json
from pathlib import Path

from alphabridge.cli_common import FIG, PS, P, _csvs, _lib, _npz, _save, _spec, _write


def _image_data(a):
    print(json.dumps(_lib("data.images").prepare(_spec(a, "image_data"), out=a.out)))


def _image_train(a):
    _lib("experiments.images").image_train_step(spec=_spec(a, "image_train"), dataset_npz=a.data, in_ckpt=a.inp,
                                                out_ckpt=a.out, samples_out=a.samples, resume_path=a.resume,
                                                progress=not a.quiet)


def _image_fig1_data(a):
    _lib("experiments.images").image_forgetting_demo(spec=_spec(a, "image_fig1_data"), dataset_npz=a.data,
                                                     step1_ckpt=a.step1, out_npz=a.out)


def _image_fig(a):
    fi, spec = _lib("figures.images"), _spec(a, f"image_{a.figure}")
    arrays = {name: _npz(p) for name, p in zip(a.datasets, a.arrays)}
    draw = {"fig1": lambda: fi.fig1(spec, _npz(a.gaussians_demo), arrays), "fig5": lambda: fi.fig5(spec, arrays)}
    _save(draw.get(a.figure, lambda: fi.plot_fig6(arrays))(), a)


def _image_fig6_data(a):
    _lib("experiments.image_figs").fig6_data(spec=_spec(a, "image_fig6_data"), dataset=a.dataset, ckpt=a.ckpt,
                                             dataset_npz=a.data, out_npz=a.out)


def _image_classifier(a):
    im, spec = _lib("experiments.image_metrics"), _spec(a, "image_classifier")
    header = im.fit_classifier(images_npz=a.data, ccfg=spec.classifier, out=a.out, report=a.report,
                               device=_lib("runtime").setup(spec.runtime), progress=not a.quiet)
    print("domain classifier:", json.dumps(header))


def _image_score(a):
    im, spec = _lib("experiments.image_metrics"), _spec(a, f"image_{a.score}")
    # the reference statistics' spec is the scorer itself; every other scoring spec holds one
    scorer = spec if a.score == "ref_stats" else spec.scorer
    net, device, bs = im.scorer(scorer, kind=a.net, classifier=a.classifier)
    common = dict(net=net, batch_size=bs, device=device)
    if a.score == "ref_stats":
        im.reference_stats(images_npz=a.data, out=a.out, meta={"feature_net": a.net, "split": "test"}, **common)
    elif a.score == "metrics":
        _write(im.metrics_along_training(samples_npz=a.samples, run=spec.run, plan=spec.plan, dataset=a.dataset,
                                         method=a.method, ref_stats=a.ref, **common), a.out)
    elif a.score == "real":
        _write(im.real_scores(spec=spec, images_npz=a.data, ref_stats=a.ref, features_out=a.features_out,
                              samples_out=a.samples_out, **common), a.out)
    else:
        _write(im.final_scores(spec=spec, method=a.method, ckpt=a.ckpt, ref_stats=a.ref, label=a.label,
                               features_out=a.features_out, samples_out=a.samples_out, **common), a.out)


def _image_table(a):
    _spec(a, "image_table")
    finals = _csvs(a.finals)
    _write(finals, a.trials_out)
    _write(_lib("experiments.image_metrics").image_table(finals), a.out)


SAVED = {"features-out": dict(P, help="npz of the features KID and precision/recall compared"),
         "samples-out": dict(P, help="npz of the scored images (uint8, flat), for recomputing any score")}
# name: (function, help, shared flags, own flags {name: argparse kwargs}, fixed defaults), as in cli.COMMANDS
IMAGE_COMMANDS = {
    "image-data": (_image_data, "images: prepare a dataset (digits, mnist, cifar10, celeba) -> npz",
                   ("dataset", "out"), {}, {}),
    "image-train": (_image_train, "images: train one Step of alpha-Bridge (or a generalisation) or the DCGAN baseline",
                    ("dataset", "data", "method", "step", "in", "out", "samples", "resume", "threads", "quiet"), {}, {}),
    "image-fig1-data": (_image_fig1_data, "Fig. 1 data on images, from the Step I checkpoint",
                        ("dataset", "data", "out", "threads"), {"step1": P}, {}),
    "image-fig1": (_image_fig, "Fig. 1: forgetting demo on 25-Gaussians and on image datasets", ("datasets", *FIG),
                   {"gaussians-demo": P, "image-demos": dict(dest="arrays", nargs="*", type=Path, default=[])},
                   {"figure": "fig1"}),
    "image-fig5": (_image_fig, "Fig. 5: alpha-Bridge sample grids along training", ("datasets", *FIG),
                   {"samples": dict(PS, dest="arrays", help="samples.npz per dataset, same order")}, {"figure": "fig5"}),
    "image-fig6-data": (_image_fig6_data, "Fig. 6 data: G(z), G(E(x)) and a latent walk of the final model",
                        ("dataset", "ckpt", "data", "out", "threads"), {}, {}),
    "image-fig6": (_image_fig, "Fig. 6: generation, reconstruction and the latent walk", ("datasets", *FIG),
                   {"data": dict(PS, dest="arrays")}, {"figure": "fig6"}),
    "image-classifier": (_image_classifier, "images: train the domain classifier (digits / MNIST)",
                         ("data", "out", "threads", "quiet"), {"report": dict(P, help="JSON with the test accuracy")},
                         {}),
    "image-ref-stats": (_image_score, "images: feature statistics of the real test images",
                        ("net", "classifier", "data", "out", "threads"), {}, {"score": "ref_stats"}),
    "image-metrics": (_image_score, "images: FID / IS of the samples saved along training",
                      ("net", "classifier", "dataset", "method", "ref", "out", "threads"), {"samples": P},
                      {"score": "metrics"}),
    "image-final": (_image_score, "images: FID, IS, modes, KID and precision/recall of eval.final_samples images of "
                    "each trial's model", ("net", "classifier", "dataset", "method", "ref", "ckpt", "out", "threads"),
                    {**SAVED, "label": dict(default=None, help="the rows' method name (default: --method)")},
                    {"score": "final"}),
    "image-real": (_image_score, "images: the same scores of real train images (each metric's ceiling)",
                   ("net", "classifier", "dataset", "data", "ref", "out", "threads"), SAVED, {"score": "real"}),
    "image-table": (_image_table, "images: the CIFAR10-style table, mean and std over trials per method", ("out",),
                    {"finals": PS, "trials-out": dict(P, help="CSV of every trial's row (the finals stacked)")}, {}),
}
