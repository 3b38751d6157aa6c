"""What every command of alphabridge.cli and alphabridge.cli_images shares: the flag types, importing a
library module when its command runs, parsing the stage's config slice, and writing CSVs and figures."""
from __future__ import annotations

import importlib
from pathlib import Path

P, PS = dict(type=Path, required=True), dict(type=Path, required=True, nargs="+")
FIG = ("pdf", "png")
WILDCARDS = ("method", "beta1", "step", "dataset", "datasets")  # what a stage's keys may depend on


def _lib(module: str):
    """A library module, imported when its command runs (so `--help` stays fast)."""
    return importlib.import_module(f"alphabridge.{module}")


def _spec(a, stage: str):
    return _lib("stages").parse(stage, a.config_json, **{k: getattr(a, k) for k in WILDCARDS if hasattr(a, k)})


def _npz(path) -> dict:
    with importlib.import_module("numpy").load(path) as z:
        return {k: z[k] for k in z.files}


def _csvs(paths, **kw):
    pd = importlib.import_module("pandas")
    return pd.concat([pd.read_csv(p, **kw) for p in paths])


def _write(df, out, **sidecar) -> None:
    _lib("io").write_csv(df, out)
    if sidecar:
        _lib("provenance").write_sidecar(out, device="cpu", **sidecar)


def _save(fig, a) -> None:
    _lib("io").save_figure(fig, a.pdf, a.png)
