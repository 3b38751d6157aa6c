# Shared by every rule: config validation (before any job runs), the python that runs the CLI,
# each stage's config slice and code inputs (which keys a stage reads: src/alphabridge/keys.py),
# and which rules hold the GPU. Nothing imported here imports torch, torchvision or matplotlib
# (tests/test_workflow_light.py): building the DAG costs about what `import snakemake` costs.
import json
import sys
from pathlib import Path

# The checkout this file is in. Used through `module` (config/README.md), workflow.basedir is
# the calling project's; this file's own place is right either way (same value in a plain run).
ROOT = Path(workflow.current_basedir).parents[1]
SRC = ROOT / "src"
if (
    str(SRC) not in sys.path
):  # the workflow works from a checkout even before `pip install -e .`
    sys.path.insert(0, str(SRC))

from alphabridge import methods  # noqa: E402
from alphabridge.config import (  # noqa: E402
    ConfigError,
    check_image_memory,
    cli_overrides,
    deep_merge,
    load_schema,
    validate_config,
)
from alphabridge.hardware import PLANNED_ENV, planned_device  # noqa: E402
from alphabridge.stages import stage_code, stage_json  # noqa: E402

# A key written twice, in a config file Snakemake loaded (its loader keeps the last value) or in the
# `--config` entries as written (its parser drops all but the last): refused, naming file, line and key.
from alphabridge.yamlio import check_config_args, check_config_files  # noqa: E402

try:
    check_config_files(workflow.configfiles)
    check_config_args(workflow.config_settings.config_args)
except ConfigError as _e:
    raise WorkflowError(str(_e)) from None

# `--config` entries: Snakemake reads nested values as text and refuses dotted keys, so the entries
# are typed again as YAML and `set={a.b.c: value}` is applied here, before validation.
try:
    _over = cli_overrides(workflow.config_settings.config)
except ConfigError as _e:
    raise WorkflowError(str(_e)) from None
config.pop("set", None)
if _over:
    _merged = deep_merge(config, _over)
    config.clear()
    config.update(_merged)

try:
    validate_config(
        config,
        schema=load_schema(ROOT / "workflow/schemas/config.schema.yaml"),
    )
except ConfigError as _e:
    raise WorkflowError(str(_e)) from None


# The rules run `python -m alphabridge` with the checkout's src/ on PYTHONPATH (so no install
# step can go stale). This lives in the shell prefix rather than in each rule's params, so that
# moving the checkout or the venv does not count as a change to every rule.
def _uses_conda():
    try:
        return any(
            "conda" in str(m).lower()
            for m in workflow.deployment_settings.deployment_method
        )
    except AttributeError:
        return False


# The rules call `python`: outside conda it is the interpreter that runs Snakemake, whatever that is
# called (a machine with python3 but no python, a venv), through a shell function.
_PY = "" if _uses_conda() else f'python() {{{{ "{sys.executable}" "$@"; }}}}; '
# the device the jobs run on, decided here without torch (alphabridge.hardware); each job checks it
# against what torch finds and stops, naming both, when they disagree (alphabridge.device.resolve)
PLANNED_DEVICE = planned_device(config["device"])
shell.prefix(
    f'set -euo pipefail; export PYTHONPATH="{SRC}${{{{PYTHONPATH:+:$PYTHONPATH}}}}"; {_PY}'
    f"export {PLANNED_ENV}={PLANNED_DEVICE}; "
)


def io_args(input, output, **flags):
    """The file flags of a training command from the rule's named files (a Step's --in exists
    only after Step I; --samples only where the rule writes samples)."""
    args = {
        "in": input.get("prev"),
        "out": output.ckpt,
        "samples": output.get("samples"),
    }
    args |= {"resume": f"{output.ckpt}.resume", **flags}
    return " ".join(f"--{k} {v}" for k, v in args.items() if v is not None)


# Which rules hold the GPU: PLANNED_DEVICE above (jobs refuse to run where torch disagrees). The
# `gpu` resource counts slots of the one card: its limit comes from the profile (profiles/default: gpu=6). A 25-Gaussians job is launch-bound on a
# GPU, so several share the card (one slot each: all six fig4 training chains at once); an image
# job takes every slot. Without CUDA no rule asks for any.
USES_CUDA = PLANNED_DEVICE == "cuda"
_slots = workflow.global_resources.get("gpu")
GPU_SLOTS = int(getattr(_slots, "value", _slots) or 1)
GPU_SMALL = 1 if USES_CUDA else 0
GPU_FULL = GPU_SLOTS if USES_CUDA else 0


def step1_rows(dataset):
    """The Step I models a table reports: alpha-Bridge's, and the penalised-D arm's (its D differs)."""
    return ["alpha_bridge"] + [
        a for a in ["alpha_bridge_gp"] if a in IMG["runs"][dataset]["arms"]
    ]
