"""Command line: `python -m alphabridge <command> ...`.

Each Snakemake rule calls exactly one command. The CLI only maps paths and a validated config
slice (passed as JSON by the rule) onto library calls; all logic lives in the library.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from alphabridge import __version__
from alphabridge.config import ConfigError
from alphabridge.errors import CheckpointError, DatasetUnavailable, TrainingDiverged, WeightsUnavailable


def _cmd_validate(args) -> None:
    from alphabridge.config import load_config_files, load_schema, validate_config

    cfg = load_config_files(args.config)
    validate_config(cfg, schema=load_schema(args.schema))
    print(f"ok: {', '.join(map(str, args.config))} valid against {args.schema}")


def _fig2_slices(text: str):
    from alphabridge.config import Fig2Config, GammaConfig, from_dict, parse_json_arg

    cfg = parse_json_arg(text)
    return from_dict(Fig2Config, cfg["fig2"]), from_dict(GammaConfig, cfg["gamma"])


def _cmd_fig2_data(args) -> None:
    from alphabridge.experiments.fig2 import run_fig2
    from alphabridge.io import write_csv

    from alphabridge.config import parse_json_arg
    from alphabridge.provenance import write_sidecar

    fig2, gamma = _fig2_slices(args.config_json)
    write_csv(run_fig2(fig2=fig2, gamma=gamma), args.out)
    write_sidecar(args.out, config_slice=parse_json_arg(args.config_json), device="cpu")


def _cmd_fig2_plot(args) -> None:
    import pandas as pd

    from alphabridge.experiments.fig2 import exact_variances
    from alphabridge.figures.fig2 import plot_fig2
    from alphabridge.io import save_figure

    fig2, gamma = _fig2_slices(args.config_json)
    table = pd.read_csv(args.csv)
    title = (
        f"p = N({fig2.mu}, {fig2.sigma}²), q = N(0, 1); {int(table.n_trials.iloc[0])} one-sample trials per α; "
        f"γ: {gamma.kind}" + (f" (c={gamma.c}, d={gamma.d})" if gamma.kind == "sigmoid" else "")
        + "; dotted: exact variance"
    )
    fig = plot_fig2(table, exact=exact_variances(fig2=fig2, gamma=gamma), title=title)
    save_figure(fig, args.pdf, args.png)


def _gcfg(args) -> dict:
    from alphabridge.config import parse_json_arg

    return parse_json_arg(args.config_json)


def _cmd_gaussians_train(args) -> None:
    import torch

    from alphabridge.experiments.gaussians import train_step

    torch.set_num_threads(args.threads)
    train_step(cfg=_gcfg(args), method=args.method, beta1=float(args.beta1), step=args.step, in_ckpt=args.inp,
               out_ckpt=args.out, samples_out=args.samples, resume_path=args.resume, progress=not args.quiet)


def _cmd_gaussians_metrics(args) -> None:
    import torch

    from alphabridge.experiments.gaussians_metrics import metrics_table
    from alphabridge.io import write_csv

    from alphabridge.provenance import write_sidecar

    torch.set_num_threads(args.threads)
    cfg = _gcfg(args)
    write_csv(metrics_table(samples_npz=args.samples, cfg=cfg, method=args.method, beta1_label=args.beta1,
                            final_only=args.final_only), args.out)
    write_sidecar(args.out, config_slice=cfg, device="cpu", inputs=[args.samples])


def _cmd_gaussians_table(args) -> None:
    import pandas as pd

    from alphabridge.experiments.gaussians_metrics import final_table
    from alphabridge.io import write_csv

    from alphabridge.provenance import write_sidecar

    write_csv(final_table([pd.read_csv(p, dtype={"beta1": str}) for p in args.metrics]), args.out)
    write_sidecar(args.out, config_slice={}, device="cpu", inputs=args.metrics)


def _cmd_reconstruction(args) -> None:
    """Held-out x: the 25-Gaussians test draw (gaussians.data in the config slice) or an image npz's
    test images scaled to [-1, 1], as the models see them."""
    import numpy as np
    import torch

    from alphabridge.experiments.reconstruction import reconstruction_rows
    from alphabridge.io import write_csv

    torch.set_num_threads(args.threads)
    if args.images is not None:
        from alphabridge.data.images import load_prepared

        imgs = load_prepared(args.images)["test_images"]
        heldout = torch.from_numpy(imgs.reshape(len(imgs), -1).astype(np.float32) / 127.5 - 1)
        experiment = args.images.stem
    else:
        from alphabridge.config import from_dict
        from alphabridge.data.gaussians import GaussiansData, make_splits

        heldout = make_splits(from_dict(GaussiansData, _gcfg(args)["gaussians"]["data"]))["test"]
        experiment = "gaussians"
    write_csv(reconstruction_rows(experiment=experiment, ckpts=args.ckpt, heldout=heldout), args.out)


def _cmd_concat(args) -> None:
    import pandas as pd

    from alphabridge.io import write_csv

    write_csv(pd.concat([pd.read_csv(p, dtype={"beta1": str}) for p in args.csv]), args.out)


def _real_points(cfg: dict, n: int = 2000):
    from alphabridge.config import from_dict
    from alphabridge.data.gaussians import GaussiansData, make_splits

    return make_splits(from_dict(GaussiansData, cfg["gaussians"]["data"]))["test"][:n].numpy()


def _cmd_gaussians_fig3(args) -> None:
    import numpy as np

    from alphabridge.experiments.gaussians import step_and_alpha
    from alphabridge.figures.gaussians import plot_fig3
    from alphabridge.io import save_figure

    cfg = _gcfg(args)
    g = cfg["gaussians"]
    samples = {}
    for method, path in zip(args.methods, args.samples):
        with np.load(path) as npz:
            samples[method] = {it: npz[f"it{it}"] for it in g["fig3"]["iterations"]}
    fig = plot_fig3(samples, real=_real_points(cfg), iterations=g["fig3"]["iterations"], beta1=args.beta1,
                    step_of=lambda m, it: step_and_alpha(it, g, method=m)[0])
    save_figure(fig, args.pdf, args.png)


def _cmd_gaussians_fig4(args) -> None:
    import pandas as pd

    from alphabridge.figures.gaussians import plot_fig4
    from alphabridge.io import save_figure

    g = _gcfg(args)["gaussians"]
    metrics = pd.concat([pd.read_csv(p, dtype={"beta1": str}) for p in args.metrics])
    ab = g["alpha_bridge"]
    bounds = (ab["step1_iters"], ab["step1_iters"] + ab["step2_iters"]) if "alpha_bridge" in g["methods"] else ()
    save_figure(plot_fig4(metrics, beta1s=[str(b) for b in g["beta1s"]], boundaries=bounds), args.pdf, args.png)


def _cmd_gaussians_fig1_data(args) -> None:
    import torch

    from alphabridge.experiments.gaussians import forgetting_demo

    torch.set_num_threads(args.threads)
    forgetting_demo(cfg=_gcfg(args), step1_ckpt=args.step1, out_npz=args.out)


def _cmd_gaussians_fig1(args) -> None:
    import numpy as np

    from alphabridge.experiments.gaussians_metrics import mode_scorer
    from alphabridge.figures.gaussians import plot_fig1
    from alphabridge.io import save_figure

    cfg = _gcfg(args)
    g = cfg["gaussians"]
    scores = mode_scorer(g)
    with np.load(args.demo) as npz:
        demo = {k: npz[k] for k in npz.files}
    fig = plot_fig1(demo, real=_real_points(cfg), snapshots=g["fig1"]["snapshots"],
                    start=g["alpha_bridge"]["step1_iters"], scores=scores)
    save_figure(fig, args.pdf, args.png)


def _cmd_ablation_table(args) -> None:
    from alphabridge.config import parse_json_arg
    from alphabridge.experiments.ablations import sweep_table
    from alphabridge.io import write_csv

    cells = parse_json_arg(args.cells_json)["cells"]
    write_csv(sweep_table(sweep=args.sweep, cells=cells, success_modes=args.success_modes), args.out)


def _cmd_ablation_all(args) -> None:
    import pandas as pd

    from alphabridge.experiments.ablations import COLUMNS
    from alphabridge.io import write_csv

    write_csv(pd.concat([pd.read_csv(p) for p in args.tables])[COLUMNS], args.out)


def _cmd_ablation_fig(args) -> None:
    import pandas as pd

    from alphabridge.figures.ablations import plot_sweep
    from alphabridge.io import save_figure

    fig = plot_sweep(pd.read_csv(args.table), sweep=args.sweep, success_modes=args.success_modes,
                     robustness=args.robustness)
    save_figure(fig, args.pdf, args.png)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m alphabridge",
        description="alpha-Bridge (Zhao et al., AAAI 2020): library commands called by the Snakemake rules. "
        "Run the whole pipeline with `snakemake --cores N <target>`; these commands are its steps.",
    )
    p.add_argument("--version", action="version", version=f"alphabridge {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="command")

    v = sub.add_parser("validate", help="validate config file(s) against the workflow schema")
    v.add_argument("--config", nargs="+", required=True, type=Path, help="config files, later ones override")
    v.add_argument("--schema", type=Path, default=Path("workflow/schemas/config.schema.yaml"))
    v.set_defaults(func=_cmd_validate)

    cj = dict(required=True, help="config as JSON with keys 'fig2' and 'gamma' (the rule passes it)")
    d = sub.add_parser("fig2-data", help="Fig. 2: sample variances of the twin gradients -> CSV")
    d.add_argument("--config-json", **cj)
    d.add_argument("--out", required=True, type=Path, help="CSV: alpha,param,estimator,mean,var,true_grad,n_trials")
    d.set_defaults(func=_cmd_fig2_data)

    f = sub.add_parser("fig2-plot", help="Fig. 2: render the variance CSV to PDF + PNG")
    f.add_argument("--config-json", **cj)
    f.add_argument("--csv", required=True, type=Path)
    f.add_argument("--pdf", required=True, type=Path)
    f.add_argument("--png", required=True, type=Path)
    f.set_defaults(func=_cmd_fig2_plot)

    gj = dict(required=True, help="the config slice the command reads, as JSON (the rule passes it)")

    def add(name, func, help_):
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--config-json", **gj)
        sp.set_defaults(func=func)
        return sp

    t = add("gaussians-train", _cmd_gaussians_train,
            "25-Gaussians: train one Step of alpha-Bridge (I, II, III) or a whole baseline run (step '-')")
    t.add_argument("--method", required=True,
                   choices=["alpha_bridge", "alpha_bridge_marginals", "alpha_bridge_joint", "rkl_gp", "rkl_sn"],
                   help="alpha_bridge or a section 3.3 generalisation (three Steps), or a reverse-KL baseline (one run)")
    t.add_argument("--beta1", required=True, help="Adam beta1, as written in the config (e.g. 0.5)")
    t.add_argument("--step", required=True, choices=["I", "II", "III", "-"],
                   help="alpha_bridge: I (ML), II (alpha bridge), III (reverse KL); baselines: '-' (the whole run)")
    t.add_argument("--in", dest="inp", type=Path, help="checkpoint of the previous Step (Steps II, III)")
    t.add_argument("--out", required=True, type=Path, help="checkpoint written at the end of this Step")
    t.add_argument("--samples", type=Path, help="write samples.npz (it{iteration} -> [trials, n, 2]) too")
    t.add_argument("--resume", type=Path, help="resume-state file, saved every gaussians.save_every iterations")
    t.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    t.add_argument("--quiet", action="store_true", help="no progress bar")

    m = add("gaussians-metrics", _cmd_gaussians_metrics, "25-Gaussians: IS, KDE-LL, modes from samples.npz -> CSV")
    m.add_argument("--method", required=True)
    m.add_argument("--beta1", required=True)
    m.add_argument("--samples", required=True, type=Path)
    m.add_argument("--out", required=True, type=Path)
    m.add_argument("--final-only", action="store_true", help="only the last saved iteration (ablation tables)")
    m.add_argument("--threads", type=int, default=1)

    tb = sub.add_parser("gaussians-table", help="25-Gaussians: final mean/std per method and beta1 -> CSV")
    tb.add_argument("--metrics", required=True, nargs="+", type=Path)
    tb.add_argument("--out", required=True, type=Path)
    tb.set_defaults(func=_cmd_gaussians_table)

    rc = add("reconstruction", _cmd_reconstruction,
             "inference arm: mean |x - G(E(x))|^2 on held-out data and |z - E(G(z))|^2, z ~ p(z), per checkpoint")
    rc.add_argument("--ckpt", required=True, nargs="+", type=Path, help="checkpoints (alpha_bridge and its variants)")
    rc.add_argument("--images", type=Path, help="prepared image npz (its test_images are the held-out x); "
                    "without it, the 25-Gaussians test draw of gaussians.data")
    rc.add_argument("--out", required=True, type=Path)
    rc.add_argument("--threads", type=int, default=1)
    cc = sub.add_parser("concat-csv", help="stack CSV files with the same columns into one")
    cc.add_argument("--csv", required=True, nargs="+", type=Path)
    cc.add_argument("--out", required=True, type=Path)
    cc.set_defaults(func=_cmd_concat)

    f3 = add("gaussians-fig3", _cmd_gaussians_fig3, "Fig. 3: samples of each method at gaussians.fig3.iterations")
    f3.add_argument("--methods", required=True, nargs="+")
    f3.add_argument("--samples", required=True, nargs="+", type=Path, help="samples.npz per method, same order")
    f3.add_argument("--beta1", required=True)
    f4 = add("gaussians-fig4", _cmd_gaussians_fig4, "Fig. 4: IS and KDE-LL vs iteration, mean +- std over trials")
    f4.add_argument("--metrics", required=True, nargs="+", type=Path)
    fd = add("gaussians-fig1-data", _cmd_gaussians_fig1_data,
             "Fig. 1 data: reverse-KL fine-tuning vs alpha-Bridge from the Step I checkpoint")
    fd.add_argument("--step1", required=True, type=Path)
    fd.add_argument("--out", required=True, type=Path)
    fd.add_argument("--threads", type=int, default=1)
    f1 = add("gaussians-fig1", _cmd_gaussians_fig1, "Fig. 1 (25-Gaussians): render the forgetting demo")
    f1.add_argument("--demo", required=True, type=Path)

    at = sub.add_parser("ablation-table", help="ablations: one row per sweep cell from its final metrics -> CSV")
    at.add_argument("--sweep", required=True)
    at.add_argument("--cells-json", required=True,
                    help='{"cells": [{"setting", "method", "beta1", "lr", "metrics": path}, ...]} (the rule passes it)')
    at.add_argument("--success-modes", type=int, default=24, help="a trial succeeds with at least this many modes")
    at.add_argument("--out", required=True, type=Path)
    at.set_defaults(func=_cmd_ablation_table)
    aa = sub.add_parser("ablation-all", help="ablations: concatenate the per-sweep tables -> ablations.csv")
    aa.add_argument("--tables", required=True, nargs="+", type=Path)
    aa.add_argument("--out", required=True, type=Path)
    aa.set_defaults(func=_cmd_ablation_all)
    af = sub.add_parser("ablation-fig", help="ablations: final KDE-LL / HQ / modes per cell of one sweep")
    af.add_argument("--table", required=True, type=Path)
    af.add_argument("--sweep", required=True)
    af.add_argument("--success-modes", type=int, default=24)
    af.add_argument("--robustness", action="store_true", help="add the fraction-of-settings panel")
    af.set_defaults(func=_cmd_ablation_fig)
    from alphabridge import cli_images

    cli_images.register(add)
    for sp in (f3, f4, f1, af):
        sp.add_argument("--pdf", required=True, type=Path)
        sp.add_argument("--png", required=True, type=Path)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ConfigError, CheckpointError, TrainingDiverged, DatasetUnavailable, WeightsUnavailable) as e:
        print(f"alphabridge {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0
