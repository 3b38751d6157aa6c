"""Image-experiment commands of `python -m alphabridge` (registered by cli.build_parser)."""
from __future__ import annotations

from pathlib import Path


def _cfg(args) -> dict:
    from alphabridge.config import parse_json_arg

    return parse_json_arg(args.config_json)


def _cmd_image_data(args) -> None:
    import json

    from alphabridge.config import from_dict
    from alphabridge.data.images import ImageDataConfig, prepare

    section = _cfg(args)["images"]["runs"][args.dataset]
    print(json.dumps(prepare(from_dict(ImageDataConfig, section["data"]), out=args.out)))


def _cmd_image_train(args) -> None:
    import torch

    from alphabridge.experiments.images import image_train_step

    torch.set_num_threads(args.threads)
    image_train_step(cfg=_cfg(args), dataset=args.dataset, dataset_npz=args.data, method=args.method, step=args.step,
                     in_ckpt=args.inp, out_ckpt=args.out, samples_out=args.samples, resume_path=args.resume,
                     progress=not args.quiet)


def _cmd_image_fig1_data(args) -> None:
    import torch

    from alphabridge.experiments.images import image_forgetting_demo

    torch.set_num_threads(args.threads)
    image_forgetting_demo(cfg=_cfg(args), dataset=args.dataset, dataset_npz=args.data, step1_ckpt=args.step1,
                          out_npz=args.out)


def _npz(path) -> dict:
    import numpy as np

    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def _cmd_image_fig1(args) -> None:
    """Fig. 1: the 25-Gaussians demo on top, then one image demo per dataset."""
    import matplotlib.pyplot as plt

    from alphabridge.config import from_dict
    from alphabridge.data.gaussians import GaussiansData, make_splits
    from alphabridge.experiments.gaussians_metrics import mode_scorer
    from alphabridge.experiments.images import image_shape
    from alphabridge.figures.gaussians import plot_fig1
    from alphabridge.figures.images import plot_fig1_images
    from alphabridge.io import save_figure

    cfg = _cfg(args)
    g = cfg["gaussians"]
    scores = mode_scorer(g)
    real = make_splits(from_dict(GaussiansData, g["data"]))["test"][:2000].numpy()
    n = 1 + len(args.datasets)
    width = 1.7 * max([len(g["fig1"]["snapshots"])] + [len(cfg["images"]["runs"][d]["fig1"]["snapshots"])
                                                      for d in args.datasets])
    fig = plt.figure(figsize=(width, 3.6 * n))
    subs = fig.subfigures(n, 1, squeeze=False)[:, 0]
    plot_fig1(_npz(args.gaussians_demo), real=real, snapshots=g["fig1"]["snapshots"],
              start=g["alpha_bridge"]["step1_iters"], scores=scores, fig=subs[0])
    subs[0].suptitle("25-Gaussians", fontsize=8)
    for sub, name, path in zip(subs[1:], args.datasets, args.image_demos):
        s = cfg["images"]["runs"][name]
        plot_fig1_images(_npz(path), shape=image_shape(s), snapshots=s["fig1"]["snapshots"],
                         start=s["alpha_bridge"]["step1_iters"], name=name, fig=sub)
    save_figure(fig, args.pdf, args.png)


def _cmd_image_fig5(args) -> None:
    from alphabridge.experiments.images import fig5_columns, image_shape
    from alphabridge.figures.images import image_grid, plot_fig5
    from alphabridge.io import save_figure

    cfg = _cfg(args)
    rows = {}
    for name, path in zip(args.datasets, args.samples):
        s = cfg["images"]["runs"][name]
        samples = _npz(path)
        rows[name] = [(title, image_grid(samples[key][0][:64], shape=image_shape(s), ncol=8))
                      for title, key in fig5_columns(s, saved=list(samples))]
    save_figure(plot_fig5(rows), args.pdf, args.png)


def _cmd_image_fig6_data(args) -> None:
    import torch

    from alphabridge.experiments.image_figs import fig6_data

    torch.set_num_threads(args.threads)
    fig6_data(cfg=_cfg(args), dataset=args.dataset, ckpt=args.ckpt, dataset_npz=args.data, out_npz=args.out)


def _cmd_image_fig6(args) -> None:
    from alphabridge.figures.images import plot_fig6
    from alphabridge.io import save_figure

    save_figure(plot_fig6({name: _npz(p) for name, p in zip(args.datasets, args.data)}), args.pdf, args.png)


def _net(args, cfg):
    from alphabridge.device import setup
    from alphabridge.experiments.image_metrics import feature_net

    device, _ = setup(cfg)
    net = feature_net(kind=args.net, classifier=args.classifier, hub_dir=cfg["images"]["inception"]["hub_dir"],
                      device=device)
    return net, device, cfg["images"]["inception"]["batch_size"]


def _cmd_image_classifier(args) -> None:
    import json

    import torch

    from alphabridge.experiments.image_metrics import fit_classifier
    from alphabridge.io import atomic_path

    from alphabridge.device import setup

    torch.set_num_threads(args.threads)
    cfg = _cfg(args)
    device, _ = setup(cfg)
    header = fit_classifier(images_npz=args.data, ccfg=cfg["images"]["classifier"], out=args.out, device=device)
    print(f"domain classifier test accuracy: {header['test_accuracy']:.4f}")
    with atomic_path(args.report, suffix=".json") as tmp:
        Path(tmp).write_text(json.dumps(header, indent=1))


def _cmd_image_ref_stats(args) -> None:
    import torch

    from alphabridge.experiments.image_metrics import reference_stats

    torch.set_num_threads(args.threads)
    cfg = _cfg(args)
    net, device, bs = _net(args, cfg)
    reference_stats(images_npz=args.data, net=net, out=args.out, meta={"feature_net": args.net, "split": "test"},
                    batch_size=bs, device=device)


def _cmd_image_metrics(args) -> None:
    import torch

    from alphabridge.experiments.image_metrics import metrics_along_training
    from alphabridge.io import write_csv

    torch.set_num_threads(args.threads)
    cfg = _cfg(args)
    net, device, bs = _net(args, cfg)
    df = metrics_along_training(samples_npz=args.samples, section=cfg["images"]["runs"][args.dataset],
                                dataset=args.dataset, method=args.method, net=net, ref_stats=args.ref, batch_size=bs,
                                device=device)
    write_csv(df, args.out)


def _cmd_image_final(args) -> None:
    import pandas as pd
    import torch

    from alphabridge.experiments.image_metrics import final_scores
    from alphabridge.io import write_csv

    torch.set_num_threads(args.threads)
    cfg = _cfg(args)
    net, device, bs = _net(args, cfg)
    n = cfg["images"]["runs"][args.dataset]["eval"]["final_samples"]
    row = final_scores(cfg=cfg, dataset=args.dataset, method=args.method, ckpt=args.ckpt, n_samples=n, net=net,
                       ref_stats=args.ref, batch_size=bs, device=device)
    write_csv(pd.DataFrame([row]), args.out)


def _cmd_image_table(args) -> None:
    import pandas as pd

    from alphabridge.io import write_csv

    write_csv(pd.concat([pd.read_csv(p) for p in args.finals])[["method", "inception_score", "fid", "n_samples"]],
              args.out)


def register(add) -> None:
    """`add(name, func, help)` creates a sub-command that takes --config-json."""
    d = add("image-data", _cmd_image_data, "images: prepare a dataset (digits, mnist, cifar10, celeba) -> npz")
    d.add_argument("--dataset", required=True)
    d.add_argument("--out", required=True, type=Path)
    t = add("image-train", _cmd_image_train,
            "images: train one Step of alpha-Bridge (I, II, III) or the DCGAN baseline (step '-')")
    t.add_argument("--dataset", required=True)
    t.add_argument("--data", required=True, type=Path, help="the prepared dataset npz")
    t.add_argument("--method", required=True, choices=["alpha_bridge", "alpha_bridge_marginals", "alpha_bridge_joint", "dcgan"])
    t.add_argument("--step", required=True, choices=["I", "II", "III", "-"])
    t.add_argument("--in", dest="inp", type=Path, help="checkpoint of the previous Step")
    t.add_argument("--out", required=True, type=Path)
    t.add_argument("--samples", type=Path, help="write the samples saved along training (uint8) here")
    t.add_argument("--resume", type=Path, help="periodic training state, picked up if the job is re-run")
    t.add_argument("--threads", type=int, default=1)
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    f = add("image-fig1-data", _cmd_image_fig1_data,
            "Fig. 1 data on images: reverse-KL fine-tuning vs alpha-Bridge from the Step I checkpoint")
    f.add_argument("--dataset", required=True)
    f.add_argument("--data", required=True, type=Path)
    f.add_argument("--step1", required=True, type=Path)
    f.add_argument("--out", required=True, type=Path)
    f.add_argument("--threads", type=int, default=1)
    f1 = add("image-fig1", _cmd_image_fig1, "Fig. 1: forgetting demo on 25-Gaussians and on image datasets")
    f1.add_argument("--gaussians-demo", required=True, type=Path)
    f1.add_argument("--datasets", nargs="*", default=[])
    f1.add_argument("--image-demos", nargs="*", type=Path, default=[], help="demo.npz per dataset, same order")
    f5 = add("image-fig5", _cmd_image_fig5, "Fig. 5: alpha-Bridge sample grids along training, one row per dataset")
    f5.add_argument("--datasets", nargs="+", required=True)
    f5.add_argument("--samples", nargs="+", required=True, type=Path, help="samples.npz per dataset, same order")
    f6d = add("image-fig6-data", _cmd_image_fig6_data,
              "Fig. 6 data: G(z), G(E(x)) and a latent walk from the final alpha-Bridge model")
    f6d.add_argument("--dataset", required=True)
    f6d.add_argument("--ckpt", required=True, type=Path)
    f6d.add_argument("--data", required=True, type=Path)
    f6d.add_argument("--out", required=True, type=Path)
    f6d.add_argument("--threads", type=int, default=1)
    f6 = add("image-fig6", _cmd_image_fig6, "Fig. 6: render generation, reconstruction and the latent walk")
    f6.add_argument("--datasets", nargs="+", required=True)
    f6.add_argument("--data", nargs="+", required=True, type=Path)
    c = add("image-classifier", _cmd_image_classifier,
            "images: train the domain classifier (digits / MNIST) whose features replace Inception's")
    c.add_argument("--data", required=True, type=Path)
    c.add_argument("--out", required=True, type=Path)
    c.add_argument("--report", required=True, type=Path, help="JSON with the test accuracy")
    rs = add("image-ref-stats", _cmd_image_ref_stats, "images: feature statistics of the real test images")
    im = add("image-metrics", _cmd_image_metrics, "images: FID / IS of the saved samples along training -> CSV")
    fi = add("image-final", _cmd_image_final, "images: FID / IS of eval.final_samples images of the final model")
    for sp in (rs, im, fi):
        sp.add_argument("--net", required=True, choices=["classifier", "inception"])
        sp.add_argument("--classifier", type=Path, help="the domain classifier (with --net classifier)")
        sp.add_argument("--out", required=True, type=Path)
    rs.add_argument("--data", required=True, type=Path)
    for sp in (im, fi):
        sp.add_argument("--dataset", required=True)
        sp.add_argument("--method", required=True, choices=["alpha_bridge", "alpha_bridge_marginals", "alpha_bridge_joint", "dcgan"])
        sp.add_argument("--ref", required=True, type=Path, help="reference statistics (image-ref-stats)")
    im.add_argument("--samples", required=True, type=Path)
    fi.add_argument("--ckpt", required=True, type=Path)
    for sp in (c, rs, im, fi):
        sp.add_argument("--threads", type=int, default=1)
    t = add("image-table", _cmd_image_table, "images: the CIFAR10-style table method, inception_score, fid, n_samples")
    t.add_argument("--finals", nargs="+", required=True, type=Path)
    t.add_argument("--out", required=True, type=Path)
    for sp in (f1, f5, f6):
        sp.add_argument("--pdf", required=True, type=Path)
        sp.add_argument("--png", required=True, type=Path)
