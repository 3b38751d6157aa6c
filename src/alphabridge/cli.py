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

    fig2, gamma = _fig2_slices(args.config_json)
    write_csv(run_fig2(fig2=fig2, gamma=gamma), args.out)


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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except ConfigError as e:
        print(f"alphabridge {args.command}: {e}", file=sys.stderr)
        return 2
    return 0
