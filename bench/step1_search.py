"""Which Step I is a maximum-likelihood model worth bridging from? (issue 26, item 1)

Trains Step I alone (the ELBO of the Gaussian-decoder surrogate, with D trained beside it as in the
pipeline) for each named candidate, and scores its eval.final_samples prior samples with the project's
classifier (FID, IS, modes and KL on stacked data) exactly as the pipeline's final_step1.csv does. A
candidate is a set of overrides deep-merged over images.runs.<dataset> of the merged config; the
search runs on its own seed (--seed) so that the study's trials (seed 0) never score the choice.

Resumable: each candidate writes <out>/<dataset>/<name>/{step1.pt, final_step1.csv, samples.npz,
time.json}; a finished candidate is skipped, a killed one resumes from step1.pt.resume.

    python bench/step1_search.py --dataset mnist --configfile config/mnist_cpu.yaml \\
        --candidates bench/step1_candidates.yaml --only sigma015 --out results/step1_search
"""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from alphabridge import stages
from alphabridge.config import deep_merge, load_config_files
from alphabridge.experiments import image_metrics as im
from alphabridge.experiments.images import image_train_step
from alphabridge.yamlio import load_file

SHOWN = ["fid", "inception_score", "modes_covered", "kl_uniform", "precision", "recall"]


def candidate_config(cfg: dict, *, dataset: str, overrides: dict, seed: int) -> dict:
    """The merged config with `overrides` over images.runs.<dataset>, on the search's own seed; every
    saved iteration is skipped but the last (the search reads only the final scores)."""
    section = deep_merge(cfg["images"]["runs"][dataset], overrides)
    section = deep_merge(section, {"seed": seed, "eval": {"every": section["alpha_bridge"]["step1_iters"]}})
    return deep_merge(cfg, {"images": {"runs": {dataset: section}}})


def run_candidate(*, cfg: dict, dataset: str, out: Path, root: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    ckpt, csv = out / "step1.pt", out / "final_step1.csv"
    if not ckpt.exists():
        spec = stages.spec_of("image_train", cfg, dataset=dataset, method="alpha_bridge", step="I")
        t0 = time.process_time()
        image_train_step(spec=spec, dataset_npz=root / f"resources/datasets/{dataset}.npz", in_ckpt=None,
                         out_ckpt=ckpt, samples_out=None, resume_path=Path(f"{ckpt}.resume"))
        (out / "time.json").write_text(json.dumps({"train_cpu_s": time.process_time() - t0}))
    if not csv.exists():
        spec = stages.spec_of("image_final", cfg, dataset=dataset, method="alpha_bridge")
        net, device, bs = im.scorer(spec.scorer, kind="classifier",
                                    classifier=root / f"resources/classifiers/{dataset}.pt")
        df = im.final_scores(spec=spec, method="alpha_bridge", ckpt=ckpt, device=device, net=net, batch_size=bs,
                             ref_stats=root / f"resources/fid_stats/{dataset}_classifier.npz",
                             label="alpha_bridge_step1", features_out=None, samples_out=out / "samples.npz")
        df.to_csv(csv, index=False)
    df = pd.read_csv(csv)
    return {k: (float(df[k].mean()), float(df[k].std(ddof=1)) if len(df) > 1 else float("nan"))
            for k in SHOWN if k in df and not df[k].isna().all()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dataset", required=True, help="an images.runs entry: mnist or stacked_mnist")
    p.add_argument("--candidates", type=Path, required=True, help="YAML: {name: overrides of images.runs.<dataset>}")
    p.add_argument("--only", nargs="*", default=None, help="run these candidates (default: all, in file order)")
    p.add_argument("--configfile", nargs="*", default=[], help="config files over config/config.yaml, as snakemake's")
    p.add_argument("--seed", type=int, default=1000, help="the search's seed (the study's trials use the config's)")
    p.add_argument("--out", type=Path, default=Path("results/step1_search"))
    p.add_argument("--root", type=Path, default=Path("."), help="the workflow directory (resources/ lives there)")
    a = p.parse_args(argv)
    base = load_config_files([a.root / "config/config.yaml", *a.configfile])
    cands = load_file(a.candidates)
    unknown = sorted(set(a.only or []) - set(cands))
    if unknown:
        p.error(f"--only: {unknown} are not in {a.candidates} ({sorted(cands)})")
    for name in a.only or list(cands):
        cfg = candidate_config(base, dataset=a.dataset, overrides=cands[name] or {}, seed=a.seed)
        res = run_candidate(cfg=cfg, dataset=a.dataset, out=a.out / a.dataset / name, root=a.root)
        t = json.loads((a.out / a.dataset / name / "time.json").read_text())["train_cpu_s"]
        shown = ", ".join(f"{k} {m:.3f}" + ("" if np.isnan(s) else f" ± {s:.3f}") for k, (m, s) in res.items())
        print(f"{a.dataset} {name}: {shown}; Step I {t / 60:.1f} CPU-min", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
