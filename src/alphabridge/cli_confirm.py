"""The held-out confirmation's commands of `python -m alphabridge` (alphabridge.cli.COMMANDS takes
them as they are)."""
from __future__ import annotations

import json

from alphabridge.cli_common import FIG, P, _lib, _save, _spec, _write


def _confirm_table(a):
    spec, cf = _spec(a, "confirm_table"), _lib("experiments.confirm")
    trials = cf.trial_table(json.loads(a.cells_json)["cells"])
    _write(trials, a.trials)
    _write(cf.arm_table(trials, baselines=list(spec.baselines)), a.out)
    _write(cf.contrast_table(trials, contrasts=[list(c) for c in spec.contrasts]), a.contrasts)


def _confirm_fig(a):
    pd = _lib("experiments.confirm").pd
    _save(_lib("figures.confirm").plot_confirm(pd.read_csv(a.trials), pd.read_csv(a.contrasts),
                                               spec=_spec(a, "confirm_figure")), a)


CONFIRM_COMMANDS = {
    "confirm-table": (_confirm_table, "held-out confirmation: per arm and beta1 the final scores, the difference "
                      "to the best baseline and the contrasts, with 95%% intervals -> CSVs", ("out",),
                      {"cells-json": dict(required=True, help='{"cells": [{"arm", "method", "beta1", "metrics"}, ...]}'),
                       "trials": dict(P, help="CSV written: one row per arm, beta1 and trial"),
                       "contrasts": dict(P, help="CSV written: one row per contrast, beta1 and metric")}, {}),
    "confirm-fig": (_confirm_fig, "held-out confirmation: every arm's trials, and the contrasts' intervals", FIG,
                    {"trials": dict(P, help="the table's per-trial CSV"), "contrasts": dict(P, help="the contrasts CSV")},
                    {}),
}
