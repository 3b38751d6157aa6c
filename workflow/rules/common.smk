# Shared by every rule: config validation (before any job runs), the python that runs the
# CLI, and the package files each rule depends on (so editing them re-runs that rule).
import json
import sys
from pathlib import Path

SRC = Path(workflow.basedir) / "src"
if (
    str(SRC) not in sys.path
):  # the workflow works from a checkout even before `pip install -e .`
    sys.path.insert(0, str(SRC))

from alphabridge.config import ConfigError, load_schema, validate_config  # noqa: E402

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


def pkg(*names):
    """Package files a rule depends on (paths relative to src/alphabridge)."""
    return [f"src/alphabridge/{n}" for n in names]


def cfg_json(*keys):
    """The config slices a rule needs, as compact JSON (a params change re-runs the rule)."""
    return json.dumps(
        {k: config[k] for k in keys}, sort_keys=True, separators=(",", ":")
    )


def _gpu_jobs():
    """1 when training runs on a GPU (so the profile's gpu=1 limit keeps jobs off one card)."""
    import shutil

    if config["device"] == "cpu":
        return 0
    return 1 if config["device"] == "cuda" or shutil.which("nvidia-smi") else 0


GPU = _gpu_jobs()
