"""Does it matter which BatchNorm statistics G samples with? (issue 26, item 3)

While alpha-Bridge trains, the generator's running statistics average train-mode passes of posterior-z
batches (the ELBO, Step II's weighted term) and prior-z batches (D's fakes); samples are drawn in eval
mode from the prior. For each checkpoint this scores the same eval.final_samples prior draws twice, with
the statistics as training left them (`running`) and re-estimated from the scored
prior draws alone (`prior`: alphabridge.train.sampling.prior_batchnorm_stats), whatever the config's
eval.bn_stats says, and prints per trial and
as mean ± std: FID (classifier features), IS, modes and KL (stacked data), and the paired difference.
Nothing is trained: it reads the pipeline's checkpoints, classifier and reference statistics.

    python bench/bn_stats.py --dataset stacked_digits \\
        --ckpts results/images/stacked_digits/alpha_bridge/step1.pt results/images/stacked_digits/alpha_bridge/step3.pt
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from alphabridge import stages
from alphabridge.config import load_config_files
from alphabridge.experiments import image_metrics as im

SCORES = ["fid", "inception_score", "modes_covered", "kl_uniform"]


def compare(*, dataset: str, method: str, ckpt: Path, cfg: dict, root: Path) -> list[str]:
    # as image_final's rule slices the config and its command parses it (the method comes from the command line)
    spec = stages.parse("image_final", stages.stage_json("image_final", cfg, dataset=dataset), dataset=dataset,
                        method=method)
    net, device, bs = im.scorer(spec.scorer, kind="classifier", classifier=root / f"resources/classifiers/{dataset}.pt")
    kw = dict(spec=spec, method=method, ckpt=ckpt, device=device, net=net, batch_size=bs,
              ref_stats=root / f"resources/fid_stats/{dataset}_classifier.npz")
    rows = {mode: im.final_scores(**{**kw, "spec": dataclasses.replace(spec, train=dataclasses.replace(
        spec.train, bn_stats=mode))}) for mode in ("running", "prior")}
    out = [f"{ckpt} ({spec.run.final_samples} samples per trial, {spec.train.trials} trials)"]
    for k in SCORES:
        run, pri = (rows[m][k].to_numpy(float) for m in ("running", "prior"))
        if np.isnan(run).all():
            continue
        d = pri - run
        sd = f" ± {d.std(ddof=1):.3f}" if len(d) > 1 else ""
        out.append(f"  {k:16s} running {run.mean():9.3f} ± {run.std(ddof=1):.3f} | prior {pri.mean():9.3f} ± "
                   f"{pri.std(ddof=1):.3f} | prior - running {d.mean():+.3f}{sd} (per trial {np.round(d, 3).tolist()})")
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, help="an images.runs entry, e.g. digits or stacked_digits")
    p.add_argument("--method", default="alpha_bridge", help="the run's method (alpha_bridge or dcgan)")
    p.add_argument("--ckpts", nargs="+", type=Path, required=True, help="checkpoints (step1.pt, step3.pt, dcgan.pt)")
    p.add_argument("--configfile", nargs="*", default=[], help="config files over config/config.yaml, as snakemake's")
    p.add_argument("--root", type=Path, default=Path("."), help="the workflow directory (resources/ lives there)")
    a = p.parse_args(argv)
    cfg = load_config_files([a.root / "config/config.yaml", *a.configfile])
    for ckpt in a.ckpts:
        print("\n".join(compare(dataset=a.dataset, method=a.method, ckpt=ckpt, cfg=cfg, root=a.root)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
