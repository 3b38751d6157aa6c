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


def register(add) -> None:
    """`add(name, func, help)` creates a sub-command that takes --config-json."""
    d = add("image-data", _cmd_image_data, "images: prepare a dataset (digits, mnist, cifar10, celeba) -> npz")
    d.add_argument("--dataset", required=True)
    d.add_argument("--out", required=True, type=Path)
    t = add("image-train", _cmd_image_train,
            "images: train one Step of alpha-Bridge (I, II, III) or the DCGAN baseline (step '-')")
    t.add_argument("--dataset", required=True)
    t.add_argument("--data", required=True, type=Path, help="the prepared dataset npz")
    t.add_argument("--method", required=True, choices=["alpha_bridge", "dcgan"])
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
