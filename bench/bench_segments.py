"""Seconds per training iteration of every segment kind, on one device, plus a digest of the final
parameters (two code versions with equal digests trained bitwise-identically).

    .venv/bin/python bench/bench_segments.py [--device cpu|cuda] [--trials 10 100] [--iters 200]
        [--images] [--only KIND ...] [--json out.json]

25-Gaussians kinds use the paper-scale model (width 64, depth 3, batch 128); `--images` adds DCGAN
and alpha-Bridge Step II at MNIST (28x28x1) and CIFAR10 (32x32x3) size with the config's conv
widths (64 channels, z 64 / 100, batch 64) on random uint8 images, as image it/s.
Uses only names that exist in every released version of the library (train.loop's Segment,
TrainConfig, init_state, eval_noise, run_segment), so `PYTHONPATH=<old checkout>/src` times the old
code with the same script: that is how the before/after ratio of docs/performance.md is measured.
On CUDA every timing synchronises before reading the clock, after a warm-up of `--warmup` iterations.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import time

import torch

from alphabridge.train.loop import Segment, TrainConfig, eval_noise, init_state, run_segment
from alphabridge import defaults

GAUSS = {  # name -> (segment kind, train_encoder, d_reg, aux)
    "step1_ml": ("ml", True, "none", "none"),
    "step2_bridge": ("bridge", True, "none", "none"),
    "step3_rkl": ("rkl", True, "none", "none"),
    "rkl_gp": ("rkl", False, "gp", "none"),
    "rkl_sn": ("rkl", False, "sn", "none"),
    "dcgan_ns": ("ns", False, "none", "none"),
    "marginals_step2": ("bridge", True, "none", "latent"),
    "joint_step2": ("bridge", True, "none", "joint"),
}
IMAGES = {  # name -> (segment kind, train_encoder, image shape, z_dim)
    "mnist_dcgan": ("ns", False, (1, 28, 28), 64),
    "mnist_step2": ("bridge", True, (1, 28, 28), 64),
    "cifar10_dcgan": ("ns", False, (3, 32, 32), 100),
    "cifar10_step2": ("bridge", True, (3, 32, 32), 100),
}


def _sync(device) -> None:
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def digest(state) -> str:
    h = hashlib.sha256()
    for mod in (state.gen, state.disc, state.enc):
        for p in mod.parameters():
            h.update(p.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:12]


def timed(cfg: TrainConfig, seg: Segment, train: torch.Tensor, *, x_dim: int, device, warmup: int,
          start_at: float = 0.0) -> tuple[float, str]:
    state = init_state(cfg, x_dim=x_dim, device=device)
    ez = eval_noise(cfg, device=device)[:, :8]
    if warmup:
        run_segment(state, seg=seg, cfg=cfg, train=train, eval_z=ez, progress=False, max_iters=warmup)
        state = init_state(cfg, x_dim=x_dim, device=device)
    _sync(device)
    time.sleep(max(0.0, start_at - time.time()))  # several processes sharing a GPU start timing together
    t = time.perf_counter()
    run_segment(state, seg=seg, cfg=cfg, train=train, eval_z=ez, progress=False)
    _sync(device)
    return (time.perf_counter() - t) / seg.iters, digest(state)


def _segment(name: str, kind: str, iters: int, encoder: bool, **kw) -> Segment:
    """A Step of the config (Steps I-III by kind) or, without the encoder, a one-run segment."""
    if not encoder:
        return Segment(name=name, kind=kind, iters=iters, train_encoder=False)
    step = {"ml": "I", "bridge": "II", "rkl": "III"}[kind]
    return defaults.segment(step, name=name, iters=iters, **kw)


def cases(args):
    g_train = (torch.randn(10_000, 2, generator=torch.Generator().manual_seed(0)) * 2)
    for name, (kind, enc, d_reg, aux) in GAUSS.items():
        for t in args.trials:
            cfg = defaults.train_config(trials=t, batch_size=128, eval_every=10**9, save_every=10**9,
                                        model=defaults.mlp(hidden=64), d_reg=d_reg, aux=aux)
            yield name, t, cfg, _segment(name, kind, args.iters, enc), g_train, 2
    if args.images:
        from alphabridge.models.conv import ConvConfig

        for name, (kind, enc, shape, zd) in IMAGES.items():
            c, h, w = shape
            train = torch.randint(0, 256, (2048, c * h * w), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
            for t in args.image_trials:
                cfg = defaults.train_config(trials=t, batch_size=64, lr=2e-4, eval_every=10**9, save_every=10**9,
                                            model=ConvConfig(image_shape=shape, z_dim=zd, channels=64), sample_uint8=True)
                yield name, t, cfg, _segment(name, kind, args.image_iters, enc, sigma=0.3), train, c * h * w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--trials", type=int, nargs="+", default=[10])
    ap.add_argument("--iters", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--images", action="store_true")
    ap.add_argument("--image-trials", type=int, nargs="+", default=[1])
    ap.add_argument("--image-iters", type=int, default=20)
    ap.add_argument("--only", nargs="+", default=None, help="segment names to run (default: all)")
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--json", default=None, help="also write the rows here")
    ap.add_argument("--start-at", type=float, default=0.0, help="epoch seconds: wait until then to start timing")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(f"device={device} threads={args.threads} torch={torch.__version__}", flush=True)
    print(f"{'segment':<18}{'T':>5}{'ms/it':>10}{'it/s':>10}  digest", flush=True)
    rows = []
    for name, t, cfg, seg, train, x_dim in cases(args):
        if args.only and name not in args.only:
            continue
        sec, dig = timed(cfg, seg, train.to(device), x_dim=x_dim, device=device, warmup=args.warmup,
                         start_at=args.start_at)
        rows.append({"segment": name, "trials": t, "device": str(device), "ms_per_it": 1e3 * sec, "digest": dig})
        print(f"{name:<18}{t:>5}{1e3 * sec:>10.3f}{1 / sec:>10.1f}  {dig}", flush=True)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
