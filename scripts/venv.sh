#!/usr/bin/env bash
# Create (or refresh) the project's virtual environment at .venv in the repo root.
# Idempotent: re-installs only when envs/requirements.txt or pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
stamp=.venv/.alphabridge-installed
want="$(cat envs/requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  exit 0
fi
if [[ ! -x .venv/bin/python ]]; then
  echo "[venv] creating .venv with $($PYTHON --version)" >&2
  "$PYTHON" -m venv .venv
fi
echo "[venv] installing envs/requirements.txt and the alphabridge package (first time: a few minutes)" >&2
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install --quiet -r envs/requirements.txt 2> >(grep -v "is ignored: it is neither" >&2)
.venv/bin/python -m pip install --quiet --no-deps -e . 2> >(grep -v "is ignored: it is neither" >&2)
echo "$want" > "$stamp"
echo "[venv] ready: $(.venv/bin/python -c 'import torch, snakemake; print("torch", torch.__version__, "| snakemake", snakemake.__version__)')" >&2
