# Shared by every rule: config validation (before any job runs), the python that runs the CLI,
# each stage's config slice and code inputs (alphabridge.stages: declared once, in the library),
# and which rules hold the GPU.
import json
import sys
from pathlib import Path

SRC = Path(workflow.basedir) / "src"
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
from alphabridge.stages import stage_code, stage_json  # noqa: E402

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
        schema=load_schema(
            Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
        ),
    )
except ConfigError as _e:
    raise WorkflowError(str(_e)) from None


# The rules run `python -m alphabridge` with the checkout's src/ on PYTHONPATH (so no install
# step can go stale) and, unless --sdm conda provides the env, the python that runs snakemake
# (the project's .venv) first on PATH. This lives in the shell prefix rather than in each rule's
# params, so that moving the checkout or the venv does not count as a change to every rule.
def _uses_conda():
    try:
        return any(
            "conda" in str(m).lower()
            for m in workflow.deployment_settings.deployment_method
        )
    except AttributeError:
        return False


_PATH = "" if _uses_conda() else f'export PATH="{Path(sys.executable).parent}:$PATH"; '
shell.prefix(
    f'set -euo pipefail; export PYTHONPATH="{SRC}${{{{PYTHONPATH:+:$PYTHONPATH}}}}"; {_PATH}'
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


# Which rules hold the GPU, decided by the library's own detection (alphabridge.device), so the
# Snakefile and the jobs cannot disagree. The `gpu` resource counts slots of the one card: its
# limit comes from the profile (profiles/default: gpu=6). A 25-Gaussians job is launch-bound on a
# GPU, so several share the card (one slot each: all six fig4 training chains at once); an image
# job takes every slot. Without CUDA no rule asks for any.
from alphabridge.device import uses_cuda  # noqa: E402

USES_CUDA = uses_cuda(config["device"])
_slots = workflow.global_resources.get("gpu")
GPU_SLOTS = int(getattr(_slots, "value", _slots) or 1)
GPU_SMALL = 1 if USES_CUDA else 0
GPU_FULL = GPU_SLOTS if USES_CUDA else 0
