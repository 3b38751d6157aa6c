"""FID Inception activations: pytorch-fid's own path (PNG files -> DataLoader -> InceptionV3([3]))
vs ours (metrics.inception.activations on an in-memory [-1, 1] tensor), same images, same weights.

    .venv/bin/python bench/bench_fid.py [--n 200] [--batch-size 50] [--device cpu] [--threads 1]
        [--num-workers 0] [--repeats 1] [--hub-dir DIR]

With --hub-dir holding checkpoints/pt_inception-2015-12-05-6726825d.pth the real weights are used;
otherwise random weights in pytorch-fid's layout are written to a temp hub folder (timings do not
depend on the weights' values). Both paths must give the same pool3 mean (checked and printed).
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from pytorch_fid import inception as fid_inception
from pytorch_fid.fid_score import calculate_activation_statistics

from alphabridge.metrics.inception import activations, load_inception, weights_path


def write_random_weights(hub_dir: Path) -> None:
    """fid_inception_v3's architecture at its default init, saved where torch hub would cache it: its
    loader is pointed at the freshly built net's own state (there is no file to read yet)."""
    built = []
    make, load = fid_inception._inception_v3, fid_inception.load_state_dict_from_url
    fid_inception._inception_v3 = lambda *a, **k: built.append(make(*a, **k)) or built[-1]
    fid_inception.load_state_dict_from_url = lambda *a, **k: built[-1].state_dict()
    try:
        net = fid_inception.fid_inception_v3()
    finally:
        fid_inception._inception_v3, fid_inception.load_state_dict_from_url = make, load
    path = weights_path(hub_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=200, help="images (random 32x32 RGB PNGs)")
    ap.add_argument("--batch-size", type=int, default=50)
    ap.add_argument("--device", default="cpu", help="cpu or cuda (results come back to the CPU: synced)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--num-workers", type=int, default=0, help="pytorch-fid DataLoader workers")
    ap.add_argument("--repeats", type=int, default=1, help="rounds (order alternates); best time kept")
    ap.add_argument("--channels-last", action="store_true",
                    help="also time ours on a channels_last copy of the tensor (oneDNN NHWC convolutions)")
    ap.add_argument("--hub-dir", type=Path, default=None, help="torch hub folder with the real weights")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory(prefix="bench_fid_") as tmp:  # ~95 MB of weights: never left behind
        run(args, Path(tmp))


def run(args, tmp: Path) -> None:
    hub_dir = args.hub_dir
    if hub_dir is None or not weights_path(hub_dir).is_file():
        hub_dir = tmp / "hub"
        write_random_weights(hub_dir)
        print(f"weights: RANDOM, pytorch-fid layout, in {hub_dir} (timings do not depend on their values)")
    else:
        print(f"weights: {weights_path(hub_dir)}")

    pixels = np.random.default_rng(0).integers(0, 256, size=(args.n, 32, 32, 3), dtype=np.uint8)
    files = []
    for i, img in enumerate(pixels):
        files.append(tmp / f"{i:05d}.png")
        Image.fromarray(img).save(files[-1])

    torch.hub.set_dir(str(hub_dir))  # a script: setting the global for pytorch-fid's model is fine here
    theirs = fid_inception.InceptionV3([3]).eval().to(args.device)
    ours = load_inception(hub_dir=hub_dir, device=args.device, download=False)
    with torch.no_grad():  # warm-up: first-call allocations and kernel selection out of the timings
        warm = torch.rand(args.batch_size, 3, 32, 32, device=args.device)
        theirs(warm)
        ours(warm)

    t = time.perf_counter()
    x = torch.from_numpy(np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files]))
    # contiguous NCHW, like a generator's output (the permuted view would be channels_last, see below)
    x = x.permute(0, 3, 1, 2).contiguous().float() / 127.5 - 1.0
    t_decode = time.perf_counter() - t

    def timed(fn):
        t = time.perf_counter()
        out = fn()
        return time.perf_counter() - t, out

    t_theirs, t_ours, t_last = [], [], []
    for r in range(args.repeats):  # interleaved, order swapped each round: a busy machine's drift hits both
        paths = [("theirs", lambda: calculate_activation_statistics(files, theirs, args.batch_size, 2048,
                                                                    args.device, args.num_workers)),
                 ("ours", lambda: activations(ours, x, batch_size=args.batch_size, device=args.device))]
        if args.channels_last:
            x_last = x.contiguous(memory_format=torch.channels_last)
            paths.append(("last", lambda: activations(ours, x_last, batch_size=args.batch_size, device=args.device)))
        for name, fn in paths[:: 1 if r % 2 == 0 else -1]:
            dt, out = timed(fn)
            if name == "theirs":
                t_theirs.append(dt)
                mu_theirs = out[0]
            elif name == "ours":
                t_ours.append(dt)
                feats = out[0]
            else:
                t_last.append(dt)
                feats_last = out[0]
    print("  times (s), theirs:", " ".join(f"{v:.2f}" for v in t_theirs), " ours:", " ".join(f"{v:.2f}" for v in t_ours),
          *([" channels_last:", " ".join(f"{v:.2f}" for v in t_last)] if t_last else []))
    t_theirs, t_ours = min(t_theirs), min(t_ours)

    err = np.abs(feats.mean(0) - mu_theirs).max() / np.abs(mu_theirs).max()
    print(f"{args.n} images 32x32 RGB, batch {args.batch_size}, torch threads {torch.get_num_threads()}, "
          f"DataLoader workers {args.num_workers}, device {args.device}")
    print(f"pytorch-fid (PNG files, calculate_activation_statistics): {t_theirs:7.2f} s  {args.n / t_theirs:7.2f} img/s")
    print(f"ours (in-memory tensor, activations):                     {t_ours:7.2f} s  {args.n / t_ours:7.2f} img/s")
    if t_last:
        diff = np.abs(feats_last - feats).max() / np.abs(feats).max()
        print(f"ours, channels_last input:                                {min(t_last):7.2f} s  "
              f"{args.n / min(t_last):7.2f} img/s  (max relative feature difference {diff:.1e})")
    print(f"  (decoding the same PNGs to a tensor, not in ours:       {t_decode:7.2f} s)")
    print(f"speed ratio ours / pytorch-fid: {t_theirs / t_ours:.2f}x;  max relative pool3-mean difference {err:.1e}")


if __name__ == "__main__":
    main()
