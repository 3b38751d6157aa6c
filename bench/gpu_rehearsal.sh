#!/usr/bin/env bash
# Rehearse the GPU check on this CPU machine in a copy of the device's software (DESIGN.md section 5/6):
# Python 3.12, torch 2.11.0, torchvision 0.26.0, the newest numpy/scipy and the machine's other packages
# (pandas, matplotlib, scikit-learn, tqdm, pyyaml, pillow, pytest), NOT snakemake, jsonschema,
# pytorch-fid or torch-fidelity; then the wheel bundle installed exactly as the device does
# (--no-index --no-deps --target), the network cut (unshare -n, when allowed), and
#   bash bench/gpu_check.sh --quick
# run with $PYTHON = that venv's python3 and no `python` on PATH. The device's environment is not ours:
# this is where its differences (removed scipy keywords, a missing wheel, a missing `python`) show up
# before they cost device minutes.
#
#   bash bench/gpu_rehearsal.sh [gpu_check.sh arguments; default --quick]
#
# Needs here: a CPython 3.12 (pyenv's /root/.pyenv/versions/3.12.*, or $PY312), PyPI for the first venv
# build (kept in $REHEARSAL_VENV, default /tmp/alphabridge-rehearsal-venv, and reused), and what
# bench/gpu_prepare.sh --quick makes (.whl/, .gpu_carry/). The venv holds torch's CUDA wheels too
# (~5 GB in /tmp): PyPI's torch 2.11.0 does not import without them. Results go to ./gpu_rehearsal
# (or $OUT).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${REHEARSAL_VENV:-/tmp/alphabridge-rehearsal-venv}

find_py312() {
  local c
  for c in "${PY312:-}" /root/.pyenv/versions/3.12.*/bin/python3.12 "$(command -v python3.12 || true)"; do
    [[ -n "$c" && -x "$c" ]] && "$c" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null \
      && { echo "$c"; return; }
  done
  echo "no CPython 3.12 found (set PY312)" >&2; return 1
}

if [[ ! -x "$VENV/bin/python3" ]] || ! "$VENV/bin/python3" -c 'import torch, scipy, sklearn' 2>/dev/null; then
  PY312=$(find_py312)
  echo "[rehearsal] building $VENV from $PY312" >&2
  rm -rf "$VENV"
  "$PY312" -m venv "$VENV"
  pip=("$VENV/bin/python3" -m pip install -q --disable-pip-version-check)
  # torch 2.11.0 from PyPI with its CUDA wheels (~4 GB, one download): with --no-deps it does not even
  # import on a CPU (libcudnn.so.9 missing), and only PyPI is reachable here for a CPU build
  "${pip[@]}" torch==2.11.0 torchvision==0.26.0
  # the device's other packages (GPU_HAS of bench/gpu_wheels.sh), newest: numpy 2.5, scipy 1.18, ...
  has=$(sed -n '/^GPU_HAS="/,/"$/p' bench/gpu_wheels.sh | tr -d '"' | sed 's/^GPU_HAS=//')
  "${pip[@]}" $(printf '%s\n' $has | grep -vxE 'torch|torchvision|pip')
fi
"$VENV/bin/python3" -c 'import platform, torch, torchvision as tv, numpy, scipy
print(f"[rehearsal] python {platform.python_version()}, torch {torch.__version__}, torchvision {tv.__version__},"
      f" numpy {numpy.__version__}, scipy {scipy.__version__}")' >&2

# The device has python3 but maybe no `python`: a PATH holding only python3 (and the tools the
# scripts use) catches any bare `python` call.
BIN=/tmp/alphabridge-rehearsal-bin
rm -rf "$BIN"; mkdir -p "$BIN"
# a wrapper, not a symlink: linked from here the venv's python would not find its pyvenv.cfg
printf '#!/bin/sh\nexec "%s" "$@"\n' "$VENV/bin/python3" > "$BIN/python3" && chmod +x "$BIN/python3"
for t in bash sh env date timeout tee cat cp rm mkdir ls grep sed awk tr tail head wc find tar gzip column \
         sort cut nproc basename dirname printf sleep readlink mv touch md5sum sha256sum xargs uname cksum ln \
         du id stat chmod wc; do
  p=$(command -v "$t" 2>/dev/null) && ln -sf "$p" "$BIN/$t"
done

RES=${OUT:-$ROOT/gpu_rehearsal}
mkdir -p "$RES"
args=("$@"); [[ ${#args[@]} -eq 0 ]] && args=(--quick)
# The device has no .venv: hide ours from gpu_check.sh by pointing PYTHON at the rehearsal venv.
cmd=(env -i HOME="$HOME" PATH="$BIN" PYTHON="$BIN/python3" OUT="$RES" LANG=C.UTF-8
     GPU_CHECK_WORK="${GPU_CHECK_WORK:-/tmp/gpu_rehearsal_work}" GPU_CHECK_SITE=/tmp/gpu_rehearsal_site
     ${GPU_CHECK_BUDGET:+GPU_CHECK_BUDGET=$GPU_CHECK_BUDGET} bash bench/gpu_check.sh "${args[@]}")
if unshare -n true 2>/dev/null; then
  echo "[rehearsal] network cut with unshare -n" >&2
  cmd=(unshare -n "${cmd[@]}")
else
  echo "[rehearsal] unshare -n not allowed here: the network stays on (the bundle is still installed --no-index)" >&2
fi
t0=$(date +%s)
"${cmd[@]}"
echo "[rehearsal] gpu_check.sh ${args[*]}: $(( $(date +%s) - t0 )) s wall; table in $RES/gpu_check.tsv" >&2
