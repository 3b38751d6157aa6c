#!/usr/bin/env bash
# Everything the GPU check needs that a CPU can make, made here, so that device minutes go to GPU work:
#   .whl/                            the wheel bundle (bench/gpu_wheels.sh; CPython 3.12)
#   .gpu_carry/mnist/*.gz            the four MNIST files (bench/make_mnist_raw.sh checks them here, once)
#   .gpu_carry/classifier/<mode>/    the trained MNIST domain classifier (mnist.pt, classifier.json) and
#                                    the digest of the dataset it was trained on (data.sha256)
# then prints the `carry` list for the device tool and the total size (the limit is 64 MiB).
#
#   bash bench/gpu_prepare.sh [--quick] [--classifier | --no-classifier]
#
# <mode> is full (config/config.yaml + config/mnist_gpu.yaml: 30 epochs on 54K images) or quick
# (+ bench/mnist_gpu_quick.yaml, what gpu_check.sh --quick uses). The classifier is trained by default
# only for --quick (about 2 minutes): the full one took ~2 batches/s on a busy 2-core CPU, 1-2 hours
# (14,070 batches), to save the GPU about a minute (an estimate: not measured), so it is opt-in (--classifier) and without
# it the device trains its own as part (f)'s first job. On the device
# gpu_check.sh rebuilds resources/datasets/mnist.npz from the .gz files (seconds), compares its digest
# with data.sha256 and, when equal, puts the classifier in place and marks it up to date
# (`snakemake --touch`), so Snakemake does not retrain it; otherwise the device trains its own.
# The classifier then comes from this CPU: its accuracy is in classifier.json and in the check's row.
# Env: PYTHON (default .venv/bin/python, else python3), PREP_WORK (default /tmp/gpu_prepare_work).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=full CLASSIFIER=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) MODE=quick ;;
    --classifier) CLASSIFIER=1 ;;
    --no-classifier) CLASSIFIER=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ -z $CLASSIFIER ]] && { [[ $MODE == quick ]] && CLASSIFIER=1 || CLASSIFIER=0; }
PY=${PYTHON:-python3}
[[ -z "${PYTHON:-}" && -x .venv/bin/python ]] && PY=$ROOT/.venv/bin/python
CARRY=.gpu_carry
RAW=resources/datasets/raw/MNIST/raw

bash bench/gpu_wheels.sh
bash bench/make_mnist_raw.sh   # md5-free but checks labels and pixel statistics (see its header)
mkdir -p "$CARRY/mnist"
cp -p "$RAW"/*-ubyte.gz "$CARRY/mnist/"

if (( CLASSIFIER )); then
  W=${PREP_WORK:-/tmp/gpu_prepare_work}
  mkdir -p "$W/$RAW"
  for d in Snakefile workflow config profiles src envs; do rm -rf "${W:?}/$d"; cp -rp "$d" "$W/"; done
  cp -p "$RAW"/* "$W/$RAW/"
  cfg=(config/mnist_gpu.yaml); [[ $MODE == quick ]] && cfg+=("$ROOT/bench/mnist_gpu_quick.yaml")
  t0=$(date +%s)
  # the rules call `python`: give them this interpreter whatever PATH has
  mkdir -p "$W/bin"; rm -f "$W/bin/python"  # rm: never write through an older symlink
  printf '#!/bin/sh\nexec "%s" "$@"\n' "$(command -v "$PY")" > "$W/bin/python"
  chmod +x "$W/bin/python"  # a wrapper: a symlinked venv python would lose its venv
  (cd "$W" && PATH="$W/bin:$PATH" PYTHONPATH="$W/src" "$PY" -m snakemake --cores "$(nproc)" --nolock \
     resources/classifiers/mnist.pt results/images/mnist/classifier.json --configfile "${cfg[@]}")
  out="$CARRY/classifier/$MODE"
  mkdir -p "$out"
  cp -p "$W/resources/classifiers/mnist.pt" "$W/results/images/mnist/classifier.json" "$out/"
  "$PY" bench/npz_digest.py "$W/resources/datasets/mnist.npz" > "$out/data.sha256"
  echo "[prepare] classifier ($MODE) in $(( $(date +%s) - t0 )) s: $(cat "$out/classifier.json")" >&2
fi

carry='[".whl", ".gpu_carry"]'
size=$(du -cb .whl "$CARRY" | tail -1 | cut -f1)
echo "[prepare] carry: $carry  ($(( size / 1048576 )) MiB, plus the tracked tree; the limit is 64 MiB in all)"
