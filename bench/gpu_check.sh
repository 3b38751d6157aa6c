#!/usr/bin/env bash
# Every GPU check of the project in one call, printing one table (docs/gpu-and-cluster.md, "Running on a GPU"):
#   (a) the CUDA-marked tests             (b) paper-scale fig4 on the GPU: wall time, final table vs the CPU's
#   (c) s/iteration of every segment kind at T = 10 and 100, GPU vs this machine's CPU (1 thread = 1 job)
#   (d) image training it/s at MNIST and CIFAR10 size (DCGAN, alpha-Bridge Step II)
#   (g) how many 25-Gaussians jobs should share the card (aggregate it/s of k concurrent jobs)
#   (e) Inception feature throughput, ours vs pytorch-fid's fid_score path (random weights: throughput only)
#   (f) when MNIST's files are here: the paper-scale MNIST section (3 trials) and its table
#
#   bash bench/gpu_check.sh [--quick] [--parts abcdgef]   (parts: letters above; default all)
#
# On the GPU machine (no network, no snakemake/jsonschema/pytorch-fid): first, here,
#   bash bench/gpu_wheels.sh && bash bench/make_mnist_raw.sh
# then carry .whl and the four resources/datasets/raw/MNIST/raw/*.gz files. The whole script keeps
# within GPU_CHECK_BUDGET seconds (default 460: under 8 minutes); a part that would run past it is
# cut short and says so. --quick shrinks every part so the script can be checked end to end on a
# CPU-only machine in a few minutes. Results go to $OUT (the device tool's return folder) or ./gpu_check.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0 PARTS=abcdgef
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --parts) PARTS="$2"; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
START=$(date +%s)
BUDGET=${GPU_CHECK_BUDGET:-460}
RES=${OUT:-$ROOT/gpu_check}
mkdir -p "$RES"
find "$RES" -maxdepth 1 -type f -delete  # only this run's files come back
TABLE="$RES/gpu_check.tsv"
: > "$TABLE"
# kept between calls on a still-warm machine: a second `--parts f` call continues a cut-short MNIST run
WORK=${GPU_CHECK_WORK:-/tmp/gpu_check_work}
mkdir -p "$WORK"
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$TABLE"; echo "[gpu_check] ($1) $2: $3" >&2; }
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
want() { [[ "$PARTS" == *"$1"* ]]; }
cap() { local l; l=$(left); (( l < $1 )) && echo $(( l > 5 ? l : 5 )) || echo "$1"; }  # a part's timeout

# --- environment: the project's venv here; the machine's python3 plus the carried wheels there -------------
PY=${PYTHON:-python3}
[[ -z "${PYTHON:-}" && -x .venv/bin/python ]] && PY=$ROOT/.venv/bin/python
if ! "$PY" -c "import snakemake, jsonschema, pytorch_fid" 2>/dev/null; then
  WHL=${GPU_CHECK_WHEELS:-.whl}  # another folder only to test this path with another Python's bundle
  [[ -d "$WHL" ]] || { echo "snakemake/jsonschema/pytorch-fid missing and no $WHL/: run bash bench/gpu_wheels.sh first" >&2; exit 2; }
  "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/gpu_check_site "$WHL"/*.whl \
    || { echo "installing .whl/ failed" >&2; exit 2; }
  export PYTHONPATH="/tmp/gpu_check_site${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
DEV=$("$PY" -c "from alphabridge.device import cuda_usable; print('cuda' if cuda_usable()[0] else 'cpu')") || exit 2
row env device "$DEV: $("$PY" -c 'from alphabridge.device import cuda_usable; print(cuda_usable()[1])')"
command -v nvidia-smi >/dev/null && row env card "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
row env software "$("$PY" -c 'import platform, torch, snakemake; print(f"python {platform.python_version()}, torch {torch.__version__}, snakemake {snakemake.__version__}")'), $(nproc) cores"
CORES=$(nproc)

# a copy of the workflow, so the runs never touch this checkout's results/
for d in Snakefile workflow config profiles src envs; do rm -rf "${WORK:?}/$d"; cp -rp "$d" "$WORK/"; done

# --- (a) CUDA-marked tests --------------------------------------------------------------------------------
if want a; then
  timeout "$(cap 120)" "$PY" -m pytest -q -m cuda tests/test_cuda.py -p no:cacheprovider > "$WORK/a.log" 2>&1
  row a "pytest -m cuda" "$(grep -E 'passed|failed|skipped|error' "$WORK/a.log" | tail -1)"
fi

# --- (b) paper-scale fig4 -----------------------------------------------------------------------------------
if want b; then
  extra=(); (( QUICK )) && extra=(--configfile config/smoke.yaml)
  t0=$(date +%s)
  (cd "$WORK" && timeout "$(cap 240)" "$PY" -m snakemake --cores "$CORES" --forceall results/figures/fig4.pdf \
     "${extra[@]}" > "$WORK/b.log" 2>&1)
  rc=$?
  row b "fig4 ($([[ $QUICK == 1 ]] && echo smoke || echo paper) scale, --cores $CORES)" \
    "exit $rc, $(( $(date +%s) - t0 )) s wall $(grep -o '[0-9]* of [0-9]* steps ([0-9]*%) done' "$WORK/b.log" | tail -1)"
  if [[ -f "$WORK/results/figures/fig4.png" ]]; then
    cp "$WORK/results/figures/fig4.png" "$RES/"
    "$PY" bench/compare_fig4.py "$WORK"/results/gaussians/*/b1_*/metrics.csv > "$WORK/b_cmp.txt" 2>&1
    cat "$WORK/b_cmp.txt" >&2
    row b "final table vs docs/results.md CPU" "$(tail -1 "$WORK/b_cmp.txt")"
  else
    tail -20 "$WORK/b.log" >&2
  fi
fi

# --- (c, d) seconds per iteration, GPU vs CPU ---------------------------------------------------------------
seg_bench() {  # device iters trials... -> json
  local dev=$1 iters=$2 img_iters=$3 out=$4; shift 4
  timeout "$(cap 150)" "$PY" bench/bench_segments.py --device "$dev" --threads 1 --iters "$iters" --warmup 5 \
    --trials "$@" --images --image-iters "$img_iters" --json "$out" > "$out.log" 2>&1 || cat "$out.log" >&2
}
if want c || want d; then
  if (( QUICK )); then seg_bench "$DEV" 5 1 "$WORK/seg_dev.json" 2 4; seg_bench cpu 3 1 "$WORK/seg_cpu.json" 2 4
  else seg_bench "$DEV" 200 30 "$WORK/seg_dev.json" 10 100; seg_bench cpu 20 2 "$WORK/seg_cpu.json" 10 100; fi
  "$PY" - "$WORK/seg_dev.json" "$WORK/seg_cpu.json" "$TABLE" <<'EOF'
import json, sys
dev, cpu = ({(r["segment"], r["trials"]): r for r in json.load(open(p))} for p in sys.argv[1:3])
with open(sys.argv[3], "a") as out:
    for key, r in dev.items():
        c = cpu.get(key)
        part = "d" if key[0].startswith(("mnist", "cifar10")) else "c"
        speed = f", x{c['ms_per_it'] / r['ms_per_it']:.1f} vs 1 CPU core ({c['ms_per_it']:.2f} ms)" if c else ""
        out.write(f"{part}\t{key[0]} T={key[1]}\t{r['device']} {r['ms_per_it']:.3f} ms/it "
                  f"({1e3 / r['ms_per_it']:.0f} it/s){speed}\n")
EOF
  cp "$WORK/seg_dev.json" "$RES/segments_$DEV.json" 2>/dev/null
fi

# --- (g) jobs sharing the card --------------------------------------------------------------------------------
if want g; then
  if (( QUICK )); then k=(1 2); it=50; else k=(1 3 6); it=1500; fi
  timeout "$(cap 120)" "$PY" bench/bench_gpu_share.py --device "$DEV" --k "${k[@]}" --iters $it > "$WORK/g.log" 2>&1
  row g "concurrent Step II jobs (T=10) on one $DEV" "$(tail -n +2 "$WORK/g.log" | awk '{printf "%s jobs: %s it/s (x%s); ", $1, $2, $3}')"
fi

# --- (e) Inception feature throughput ----------------------------------------------------------------------------
if want e; then
  n=1000; (( QUICK )) && n=20
  timeout "$(cap 120)" "$PY" bench/bench_fid.py --n $n --batch-size 100 --device "$DEV" --threads "$CORES" \
    --num-workers $(( CORES < 4 ? CORES : 4 )) > "$WORK/e.log" 2>&1
  row e "Inception pool3 features, $n images" \
    "$(grep -E '^pytorch-fid [(]|^ours [(]in|^speed ratio' "$WORK/e.log" | tr -s ' ' | tr '\n' ' ')"
fi

# --- (f) paper-scale MNIST ---------------------------------------------------------------------------------------
if want f; then
  raw=resources/datasets/raw/MNIST/raw
  if ls $raw/*-ubyte.gz >/dev/null 2>&1 && [[ $(ls $raw/*-ubyte.gz | wc -l) == 4 ]]; then
    bash bench/make_mnist_raw.sh > "$WORK/f_raw.log" 2>&1 || tail -5 "$WORK/f_raw.log" >&2
    mkdir -p "$WORK/$raw" && cp $raw/* "$WORK/$raw/"
    overlay=config/mnist_gpu.yaml
    if (( QUICK )); then
      overlay=$WORK/mnist_quick.yaml
      printf '%s\n' "images:" "  classifier: {epochs: 1}" "  runs:" "    mnist:" "      trials: 2" "      save_every: 10" \
        "      data: {max_images: 600}" "      eval: {every: 10, n_samples: 100, final_samples: 200}" \
        "      alpha_bridge: {step1_iters: 10, step2_iters: 10, step3_iters: 10}" "      dcgan: {iters: 30}" > "$overlay"
    fi
    t0=$(date +%s)
    (cd "$WORK" && timeout "$(cap 400)" "$PY" -m snakemake --cores "$CORES" results/tables/mnist.csv \
       --configfile "$overlay" > "$WORK/f.log" 2>&1)
    rc=$?
    row f "MNIST section ($(basename "$overlay"))" "exit $rc, $(( $(date +%s) - t0 )) s wall $(grep -o '[0-9]* of [0-9]* steps ([0-9]*%) done' "$WORK/f.log" | tail -1)"
    if [[ -f "$WORK/results/tables/mnist.csv" ]]; then
      cp "$WORK/results/tables/mnist.csv" "$RES/"
      row f "tables/mnist.csv" "$(tail -n +2 "$WORK/results/tables/mnist.csv" | tr '\n' ';')"
    else
      tail -20 "$WORK/f.log" >&2
    fi
  else
    row f "MNIST section" "skipped: the 4 MNIST files are not in $raw (bash bench/make_mnist_raw.sh)"
  fi
fi

row env "total wall" "$(( $(date +%s) - START )) s (budget $BUDGET s)"
echo
column -t -s $'\t' "$TABLE" 2>/dev/null || cat "$TABLE"
tar -czf "$RES/logs.tar.gz" -C "$WORK" $(cd "$WORK" && ls *.log 2>/dev/null) 2>/dev/null; true  # few files come back
