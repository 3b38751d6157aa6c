"""Command line: `python -m alphabridge <command> ...`; each Snakemake rule calls one command. A command
parses the config slice its rule passed with its stage's declaration (alphabridge.stages), calls one
library function and writes the result: nothing here decides a key, a number or a layout. Flags shared
by several commands are declared once, in FLAGS."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from alphabridge import __version__, methods
from alphabridge.cli_common import FIG, PS, P, _csvs, _lib, _npz, _save, _spec, _write
from alphabridge.cli_confirm import CONFIRM_COMMANDS
from alphabridge.cli_images import IMAGE_COMMANDS
from alphabridge.errors import CheckpointError, ConfigError, DatasetUnavailable, TrainingDiverged, WeightsUnavailable

FLAGS = {
    "config-json": dict(default="{}", help="the config slice the command reads, as JSON (the rule passes it: "
                        "exactly the keys its stage declares)"),
    "method": dict(required=True, choices=list(methods.REGISTRY), help="a method of alphabridge.methods"),
    "beta1": dict(required=True, help="Adam beta1, as written in the config (e.g. 0.5)"),
    "step": dict(required=True, choices=["I", "II", "III", "-"],
                 help="alpha-Bridge: I (ML), II (alpha bridge), III (reverse KL); one-run methods: '-' (the whole run)"),
    "dataset": dict(required=True, help="a key of images.runs"),
    "datasets": dict(nargs="*", default=[], help="keys of images.runs, in the order of the files"),
    "in": dict(dest="inp", type=Path, help="checkpoint of the previous Step (Steps II, III)"),
    "out": dict(P, help="the file written"),
    "samples": dict(type=Path, help="samples.npz: it{iteration} -> [trials, n, x_dim]"),
    "resume": dict(type=Path, help="resume-state file, saved every save_every iterations, picked up on a re-run"),
    "data": dict(P, help="the prepared dataset npz (image-data)"),
    "ckpt": dict(P, help="checkpoint"),
    "metrics": dict(PS, help="metrics CSVs"),
    "net": dict(required=True, choices=["classifier", "inception"], help="the FID / IS feature net"),
    "classifier": dict(type=Path, help="the domain classifier (with --net classifier)"),
    "ref": dict(P, help="reference statistics (image-ref-stats)"),
    "pdf": dict(P), "png": dict(P), "threads": dict(type=int, default=1, help="torch CPU threads"),
    "quiet": dict(action="store_true", help="no progress bar"),
}


def _validate(a):
    c = _lib("config")
    c.validate_config(c.load_config_files(a.config), schema=c.load_schema(a.schema))
    print(f"ok: {', '.join(map(str, a.config))} valid against {a.schema}")


def _fig2_data(a):
    fig2, gamma = _spec(a, "fig2_data")
    ex, raw = _lib("experiments.fig2"), json.loads(a.config_json)
    _write(ex.run_fig2(fig2=fig2, gamma=gamma), a.out, config_slice=raw)
    _write(ex.exact_ratios(fig2=fig2, gamma=gamma), a.ratios)


def _fig2_plot(a):
    _save(_lib("figures.fig2").fig2(_spec(a, "fig2_plot"), _csvs([a.csv])), a)


def _gaussians_train(a):
    spec, data = _spec(a, "gaussians_train")
    _lib("experiments.gaussians").train_step(spec=spec, data=data, in_ckpt=a.inp, out_ckpt=a.out,
                                             samples_out=a.samples, resume_path=a.resume, progress=not a.quiet)


def _gaussians_metrics(a):
    spec = _spec(a, "gaussians_metrics")
    table = _lib("experiments.gaussians_metrics").metrics_table(
        samples_npz=a.samples, spec=spec, method=a.method, beta1_label=a.beta1, final_only=a.final_only)
    _write(table, a.out, config_slice=spec.raw, inputs=[a.samples])


def _gaussians_table(a):
    _spec(a, "gaussians_table")
    final_table = _lib("experiments.gaussians_metrics").final_table
    _write(final_table([_csvs([p], dtype={"beta1": str}) for p in a.metrics]), a.out, config_slice={}, inputs=a.metrics)


def _gaussians_fig1_data(a):
    spec, data = _spec(a, "gaussians_fig1_data")
    _lib("experiments.gaussians").forgetting_demo(spec=spec, data=data, step1_ckpt=a.step1, out_npz=a.out)


def _gaussians_fig(a):
    gf, spec = _lib("figures.gaussians"), _spec(a, f"gaussians_{a.figure}")
    if a.figure == "fig3":
        samples = {m: {it: z[f"it{it}"] for it in spec.iterations} for m, z in zip(a.methods, map(_npz, a.samples))}
        _save(gf.fig3(spec, samples, beta1=a.beta1), a)
    elif a.figure == "diagnostics":  # the figure, and the Step II medians the README quotes
        fig, table = _lib("figures.diagnostics").diagnostics(spec, _csvs(a.logs, dtype={"beta1": str}))
        _save(fig, a)
        _write(table, a.out)
    elif a.figure == "fig4":
        _save(gf.fig4(spec, _csvs(a.metrics, dtype={"beta1": str})), a)
    else:
        _save(gf.fig1(spec, _npz(a.demo)), a)


def _reconstruction(a):
    rec, spec = _lib("experiments.reconstruction"), _spec(a, f"{'image' if a.images else 'gaussians'}_reconstruction")
    # image models read no config key here (their held-out x is the npz's test split)
    experiment, heldout = rec.heldout_data(spec=None if a.images else spec, images=a.images)
    _write(rec.reconstruction_rows(experiment=experiment, ckpts=a.ckpt, heldout=heldout), a.out)


def _concat(a):
    _write(_csvs(a.csv, dtype={"beta1": str}), a.out)


def _ablation_table(a):
    success = _spec(a, "ablation_table").success_modes
    cells = json.loads(a.cells_json)["cells"]
    _write(_lib("experiments.ablations").sweep_table(sweep=a.sweep, cells=cells, success_modes=success), a.out)


def _ablation_all(a):
    _spec(a, "ablations_all")
    _write(_csvs(a.tables)[_lib("experiments.ablations").COLUMNS], a.out)


def _ablation_fig(a):
    success = _spec(a, "ablation_figure").success_modes
    _save(_lib("figures.ablations").plot_sweep(_csvs([a.table]), sweep=a.sweep, success_modes=success), a)


def _search_table(a):
    spec = _spec(a, "search_table")
    _write(_lib("experiments.search").search_table(spec, json.loads(a.cells_json)["cells"]), a.out)


def _search_fig(a):
    _spec(a, "search_figure")  # the draws' seeds: each draw's bootstrap is seeded with its own (in the table)
    fig, table = _lib("figures.search"), _csvs([a.table])
    c = fig.curves(table)
    _write(c, a.curves)
    _save(fig.plot_search(table, c=c), a)


# name: (function, help, shared flags, own flags {name: argparse kwargs}, fixed defaults)
COMMANDS = {
    "fig2-data": (_fig2_data, "Fig. 2: sample variances of the twin gradients -> CSV, and their exact variances, "
                  "the paper's combination against the better twin and the best convex combination -> CSV",
                  ("out",), {"ratios": P}, {}),
    "fig2-plot": (_fig2_plot, "Fig. 2: render the variance CSV", FIG, {"csv": P}, {}),
    "gaussians-train": (_gaussians_train, "25-Gaussians: train one Step of alpha-Bridge (or a generalisation) or a "
                        "whole one-run baseline", ("method", "beta1", "step", "in", "out", "samples", "resume",
                                               "threads", "quiet"), {}, {}),
    "gaussians-metrics": (_gaussians_metrics, "25-Gaussians: IS, KDE-LL, modes from samples.npz -> CSV",
                          ("method", "beta1", "out", "threads"),
                          {"samples": P, "final-only": dict(action="store_true", help="the last saved iteration only")},
                          {}),
    "gaussians-table": (_gaussians_table, "25-Gaussians: final mean/std per method and beta1 -> CSV",
                        ("metrics", "out"), {}, {}),
    "gaussians-fig1-data": (_gaussians_fig1_data, "Fig. 1 data: reverse-KL fine-tuning vs alpha-Bridge from the "
                            "Step I checkpoint", ("out", "threads"), {"step1": P}, {}),
    "gaussians-fig1": (_gaussians_fig, "Fig. 1 (25-Gaussians): render the forgetting demo", FIG, {"demo": P},
                       {"figure": "fig1"}),
    "gaussians-fig3": (_gaussians_fig, "Fig. 3: samples of each method at gaussians.fig3.iterations", FIG,
                       {"methods": dict(required=True, nargs="+"), "samples": dict(PS, help="per method, same order"),
                        "beta1": dict(required=True)}, {"figure": "fig3"}),
    "gaussians-fig4": (_gaussians_fig, "Fig. 4: IS and KDE-LL vs iteration, mean +- std over trials",
                       ("metrics", *FIG), {}, {"figure": "fig4"}),
    "gaussians-diagnostics": (_gaussians_fig, "Step diagnostics from logs", ("out", *FIG), {"logs": PS}, {"figure": "diagnostics"}),
    "reconstruction": (_reconstruction, "inference arm: mean |x - G(E(x))|^2 on held-out data and |z - E(G(z))|^2 per "
                       "checkpoint", ("out", "threads"),
                       {"ckpt": PS, "images": dict(type=Path, help="prepared image npz (held-out x: its test images); "
                                                   "without it, the 25-Gaussians test draw")}, {}),
    "concat-csv": (_concat, "stack CSV files with the same columns into one", ("out",), {"csv": PS}, {}),
    "ablation-table": (_ablation_table, "ablations: one row per sweep cell from its final metrics -> CSV", ("out",),
                       {"sweep": dict(required=True), "cells-json": dict(
                           required=True, help='{"cells": [{"setting", "method", "beta1", "lr", "metrics"}, ...]}')},
                       {}),
    "ablation-all": (_ablation_all, "ablations: concatenate the per-sweep tables", ("out",), {"tables": PS}, {}),
    "ablation-fig": (_ablation_fig, "ablations: final KDE-LL / HQ / modes per cell of one sweep", FIG,
                     {"table": P, "sweep": dict(required=True)}, {}),
    "search-table": (_search_table, "random search: one row per draw, method, configuration and trial -> CSV", ("out",),
                     {"cells-json": dict(required=True, help='{"cells": [{"draw", "method", "config", "metrics"}, ...]}')}, {}),
    "search-fig": (_search_fig, "random search: expected best of k configurations, and every configuration's score",
                   FIG, {"table": P, "curves": dict(P, help="CSV of the drawn curves: draw, method, metric, k, "
                                                    "expected_best, low, high")}, {}),
    **CONFIRM_COMMANDS,
    **IMAGE_COMMANDS,
}


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
    v.set_defaults(func=_validate)
    for name, (func, help_, shared, own, fixed) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        for flag, kw in [("config-json", FLAGS["config-json"]), *((f, FLAGS[f]) for f in shared), *own.items()]:
            sp.add_argument(f"--{flag}", **kw)
        sp.set_defaults(func=func, **fixed)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "threads"):
        import torch

        torch.set_num_threads(args.threads)
    try:
        args.func(args)
    except (ConfigError, CheckpointError, TrainingDiverged, DatasetUnavailable, WeightsUnavailable) as e:
        print(f"alphabridge {args.command}: error: {e}", file=sys.stderr)
        return 2
    return 0
