#!/usr/bin/env bash
# Every GPU check of the project in one device call (at most 9 minutes), printing one table
# (docs/gpu-and-cluster.md, "Running on a GPU"). Most important first, so a cut-short call still answers:
#   (a) the CUDA-marked tests
#   (b) paper-scale fig4 on the GPU: wall time, final table vs the CPU's (bench/compare_fig4.py)
#   (f) the MNIST image study (config/mnist_gpu.yaml's five arms, 3 trials, cut to 10K updates each by
#       bench/mnist_gpu_cut.yaml), given what is left but a
#       reserve for the micro-benchmarks; cut short when it does not fit (a second call continues it)
#   (c) ms/iteration of every segment kind at T = 10 and 100, GPU vs one CPU core of the machine
#   (d) image training it/s at MNIST and CIFAR10 size (DCGAN, alpha-Bridge Step II)
#   (g) how many 25-Gaussians jobs should share the card (aggregate it/s of k concurrent jobs)
#   (e) Inception feature throughput, ours vs pytorch-fid's fid_score path (random weights)
#
#   bash bench/gpu_check.sh [--quick] [--parts abfcdge]   (letters above; default all, run in that order)
#
# Before, on a CPU machine: bash bench/gpu_prepare.sh [--quick]. It makes .whl/ (wheels), .gpu_carry/
# (the MNIST .gz files, already checked there, and the trained MNIST classifier) and prints the device
# tool's carry list: [".whl", ".gpu_carry"]. On the device nothing is downloaded or re-checked.
# Every part runs under its own time cap within GPU_CHECK_BUDGET seconds of work (default 520, leaving
# the rest of a 9-minute call to the machine's start); a part stopped by its cap says so in its row:
# "CUT SHORT after N s". --quick shrinks every part so the whole script runs on a CPU-only machine
# (caps x3, budget 1500 s; bench/gpu_rehearsal.sh does that in a copy of the device's software).
# A SECOND CALL CONTINUES: the work folder (GPU_CHECK_WORK, default /tmp/gpu_check_work) and the
# installed wheels (/tmp/gpu_check_site) stay on a still-warm machine, so e.g. `--parts f` resumes a
# cut-short MNIST run from its checkpoints (Snakemake --rerun-incomplete) and `--parts cdge` runs the
# benchmarks skipped for lack of time. A fresh machine starts from scratch (nothing is lost but time).
# Python: $PYTHON, else .venv/bin/python when present, else python3 (never a bare `python`).
# Results go to $OUT (the device tool's return folder) or ./gpu_check.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
QUICK=0 PARTS=abfcdge
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --parts) PARTS="$2"; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
START=$(date +%s)
# --quick on a CPU: small parts but a slow machine, so every cap is 3x and the budget 25 minutes
SCALE=1; (( QUICK )) && SCALE=3
BUDGET=${GPU_CHECK_BUDGET:-$(( QUICK ? 1500 : 520 ))}
RES=${OUT:-$ROOT/gpu_check}
mkdir -p "$RES"
find "$RES" -maxdepth 1 -type f -delete  # only this run's files come back
TABLE="$RES/gpu_check.tsv"
: > "$TABLE"
WORK=${GPU_CHECK_WORK:-/tmp/gpu_check_work}
SITE=${GPU_CHECK_SITE:-/tmp/gpu_check_site}
mkdir -p "$WORK"
row() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$TABLE"; echo "[gpu_check] ($1) $2: $3" >&2; }
left() { echo $(( BUDGET - ($(date +%s) - START) )); }
want() { [[ "$PARTS" == *"$1"* ]]; }
cap() {  # cap PLANNED [RESERVE]: a part's time limit, PLANNED s or what is left after RESERVE s
  local p=$(( $1 * SCALE )) l=$(( $(left) - ${2:-0} * SCALE ))
  (( l < p )) && echo $(( l > 5 ? l : 5 )) || echo "$p"
}
# timed LIMIT CMD...: run under a time limit; sets RC and SECS, and CUT to "CUT SHORT after N s" or ""
timed() {
  local limit=$1 t0; shift
  t0=$(date +%s)
  timeout -k 15 "$limit" "$@"; RC=$?
  SECS=$(( $(date +%s) - t0 ))
  CUT=""; (( RC == 124 || RC == 137 )) && CUT="CUT SHORT after $SECS s (cap $limit s); "
  return 0
}
progress() { grep -o '[0-9]* of [0-9]* steps ([0-9]*%) done' "$1" | tail -1; }

# --- environment: the project's venv here; the machine's python3 plus the carried wheels there ----------
PY=${PYTHON:-python3}
[[ -z "${PYTHON:-}" && -x .venv/bin/python ]] && PY=$ROOT/.venv/bin/python
command -v "$PY" >/dev/null || { echo "no $PY: set PYTHON" >&2; exit 2; }
if ! "$PY" -c "import snakemake, jsonschema, pytorch_fid, torch_fidelity" 2>/dev/null; then
  WHL=${GPU_CHECK_WHEELS:-.whl}  # another folder only to test this path with another Python's bundle
  [[ -d "$WHL" ]] || { echo "wheels missing and no $WHL/: run bash bench/gpu_prepare.sh first" >&2; exit 2; }
  stamp=$(ls "$WHL" | cksum)
  if [[ "$(cat "$SITE/.installed" 2>/dev/null)" != "$stamp" ]]; then  # a second call reuses them
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" \
      "$WHL"/*.whl || { echo "installing $WHL/ failed" >&2; exit 2; }
    echo "$stamp" > "$SITE/.installed"
  fi
  export PYTHONPATH="$SITE${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONPATH="$ROOT/src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
# The workflow's rules say `python`; the device may only have python3: the workflow's shell prefix
# runs them with the interpreter that runs Snakemake, here $PY (workflow/rules/common.smk).
SNAKE=(env PYTHONPATH="$WORK/src${PYTHONPATH#"$ROOT/src"}" "$PY" -m snakemake
       --cores "$(nproc)" --nolock --rerun-incomplete)
DEV=$("$PY" -c "from alphabridge.device import cuda_usable; print('cuda' if cuda_usable()[0] else 'cpu')") || exit 2
row env device "$DEV: $("$PY" -c 'from alphabridge.device import cuda_usable; print(cuda_usable()[1])')"
command -v nvidia-smi >/dev/null \
  && row env card "$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | head -1)"
row env software "$("$PY" -c 'import platform, torch, scipy, numpy, snakemake as s
print(f"python {platform.python_version()}, torch {torch.__version__}, numpy {numpy.__version__}, "
      f"scipy {scipy.__version__}, snakemake {s.__version__}")'), $(nproc) cores"
CORES=$(nproc)

# a copy of the workflow, so the runs never touch this checkout's results/ (-p keeps mtimes: no reruns)
for d in Snakefile workflow config profiles src envs; do rm -rf "${WORK:?}/$d"; cp -rp "$d" "$WORK/"; done

# --- (a) CUDA-marked tests --------------------------------------------------------------------------------
if want a; then
  timed "$(cap 90)" "$PY" -m pytest -q -m cuda tests/test_cuda.py -p no:cacheprovider > "$WORK/a.log" 2>&1
  row a "pytest -m cuda" "$CUT$(grep -E 'passed|failed|skipped|error' "$WORK/a.log" | tail -1)"
fi

# --- (b) paper-scale fig4 -----------------------------------------------------------------------------------
if want b; then
  extra=(); (( QUICK )) && extra=(--configfile config/smoke.yaml)
  (cd "$WORK" && timed "$(cap 150)" "${SNAKE[@]}" --forceall results/figures/fig4.pdf "${extra[@]}" \
     > "$WORK/b.log" 2>&1; echo "$RC $SECS $CUT" > "$WORK/b.rc")
  read -r RC SECS CUT < "$WORK/b.rc"
  row b "fig4 ($([[ $QUICK == 1 ]] && echo smoke || echo paper) scale, --cores $CORES)" \
    "${CUT:+$CUT }exit $RC, $SECS s wall $(progress "$WORK/b.log")"
  if [[ -f "$WORK/results/figures/fig4.png" ]]; then
    cp "$WORK/results/figures/fig4.png" "$RES/"
    "$PY" bench/compare_fig4.py "$WORK"/results/gaussians/*/b1_*/metrics.csv > "$WORK/b_cmp.txt" 2>&1
    cat "$WORK/b_cmp.txt" >&2
    row b "final table vs docs/results.md CPU" "$(tail -1 "$WORK/b_cmp.txt")"
  else
    tail -20 "$WORK/b.log" >&2
  fi
fi

# --- (f) paper-scale MNIST, before the micro-benchmarks ---------------------------------------------------------
if want f; then
  raw=resources/datasets/raw/MNIST/raw
  mode=full; cfg=(config/mnist_gpu.yaml)
  (( QUICK )) && { mode=quick; cfg+=("$ROOT/bench/mnist_gpu_quick.yaml"); } || cfg+=("$ROOT/bench/mnist_gpu_cut.yaml")
  src=.gpu_carry/mnist; [[ -d $src ]] || src=$raw  # carried, or this checkout's own (a local run)
  if [[ $(ls "$src"/*-ubyte.gz 2>/dev/null | wc -l) == 4 ]]; then
    # the .gz files were checked by make_mnist_raw.sh where they were made: only decompress here
    mkdir -p "$WORK/$raw"
    for g in "$src"/*-ubyte.gz; do
      n=$(basename "$g" .gz)
      [[ -s "$WORK/$raw/$n" ]] || { cp -p "$g" "$WORK/$raw/" && gzip -dc "$g" > "$WORK/$raw/$n"; }
    done
    clf=.gpu_carry/classifier/$mode
    if [[ -f $clf/mnist.pt && ! -f $WORK/resources/classifiers/mnist.pt ]]; then
      (cd "$WORK" && "${SNAKE[@]}" resources/datasets/mnist.npz --configfile "${cfg[@]}" > "$WORK/f_data.log" 2>&1)
      digest=$("$PY" bench/npz_digest.py "$WORK/resources/datasets/mnist.npz" 2>/dev/null)
      if [[ -n $digest && $digest == "$(cat "$clf/data.sha256")" ]]; then
        mkdir -p "$WORK/resources/classifiers" "$WORK/results/images/mnist"
        cp "$clf/mnist.pt" "$WORK/resources/classifiers/" && cp "$clf/classifier.json" "$WORK/results/images/mnist/"
        (cd "$WORK" && "${SNAKE[@]}" --touch resources/classifiers/mnist.pt results/images/mnist/classifier.json \
           --configfile "${cfg[@]}" > "$WORK/f_touch.log" 2>&1)
        row f "domain classifier" \
          "carried from the CPU (gpu_prepare.sh, $mode): $(tr -d '\n ' < "$clf/classifier.json")"
      else
        row f "domain classifier" "carried one NOT used: this dataset differs from its data.sha256; trained here"
      fi
    elif [[ ! -f $WORK/resources/classifiers/mnist.pt ]]; then
      row f "domain classifier" "none carried ($clf): trained here, inside the MNIST run's time"
    fi
    reserve=145  # what (c, d, g, e) are planned to take below
    (cd "$WORK" && timed "$(cap 400 $reserve)" "${SNAKE[@]}" results/tables/mnist.csv --configfile "${cfg[@]}" \
       > "$WORK/f.log" 2>&1; echo "$RC $SECS $CUT" > "$WORK/f.rc")
    read -r RC SECS CUT < "$WORK/f.rc"
    row f "MNIST section ($mode: ${cfg[*]##*/})" "${CUT:+$CUT }exit $RC, $SECS s wall $(progress "$WORK/f.log")"
    if [[ -f "$WORK/results/tables/mnist.csv" ]]; then
      cp "$WORK/results/tables/mnist.csv" "$RES/"
      row f "tables/mnist.csv" "$(tail -n +2 "$WORK/results/tables/mnist.csv" | tr '\n' ';')"
    else
      [[ -n $CUT ]] && row f "to continue" \
        "bash bench/gpu_check.sh --parts f$([[ $QUICK == 1 ]] && echo ' --quick') (same warm machine)"
      tail -20 "$WORK/f.log" >&2
    fi
  else
    row f "MNIST section" "skipped: no 4 MNIST .gz files in .gpu_carry/mnist or $raw (bash bench/gpu_prepare.sh)"
  fi
fi

# --- (c, d) seconds per iteration, GPU vs CPU ---------------------------------------------------------------
seg_bench() {  # seg_bench DEVICE ITERS IMAGE_ITERS OUT_JSON CAP TRIALS...
  local dev=$1 iters=$2 img_iters=$3 out=$4 limit=$5; shift 5
  timed "$limit" "$PY" bench/bench_segments.py --device "$dev" --threads 1 --iters "$iters" --warmup 5 \
    --trials "$@" --images --image-iters "$img_iters" --json "$out" > "$out.log" 2>&1
  [[ $RC == 0 ]] || { tail -5 "$out.log" >&2; row cd "bench_segments.py on $dev" "${CUT}exit $RC, $SECS s wall"; }
}
if want c || want d; then
  rm -f "$WORK/seg_dev.json" "$WORK/seg_cpu.json"
  if (( QUICK )); then
    seg_bench "$DEV" 5 1 "$WORK/seg_dev.json" "$(cap 60)" 2 4
    seg_bench cpu 3 1 "$WORK/seg_cpu.json" "$(cap 60)" 2 4
  else
    seg_bench "$DEV" 200 30 "$WORK/seg_dev.json" "$(cap 45 85)" 10 100
    seg_bench cpu 20 2 "$WORK/seg_cpu.json" "$(cap 30 55)" 10 100
  fi
  "$PY" - "$WORK/seg_dev.json" "$WORK/seg_cpu.json" "$TABLE" <<'EOF'
import json, os, sys
load = lambda p: {(r["segment"], r["trials"]): r for r in json.load(open(p))} if os.path.exists(p) else {}
dev, cpu = load(sys.argv[1]), load(sys.argv[2])
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
  timed "$(cap 25 30)" "$PY" bench/bench_gpu_share.py --device "$DEV" --k "${k[@]}" --iters $it > "$WORK/g.log" 2>&1
  row g "concurrent Step II jobs (T=10) on one $DEV" \
    "$CUT$(tail -n +2 "$WORK/g.log" | awk 'NF >= 3 {printf "%s jobs: %s it/s (x%s); ", $1, $2, $3}')"
fi

# --- (e) Inception feature throughput ----------------------------------------------------------------------------
if want e; then
  n=1000; (( QUICK )) && n=20
  timed "$(cap 45)" "$PY" bench/bench_fid.py --n $n --batch-size 100 --device "$DEV" --threads "$CORES" \
    --num-workers $(( CORES < 4 ? CORES : 4 )) > "$WORK/e.log" 2>&1
  failed=""; [[ $RC == 0 || -n $CUT ]] || failed="exit $RC: "
  row e "Inception pool3 features, $n images" "$CUT$failed$(grep -E '^pytorch-fid [(]|^ours [(]in|^speed ratio' \
    "$WORK/e.log" | tr -s ' ' | tr '\n' ' ')"
fi

row env "total wall" "$(( $(date +%s) - START )) s (budget $BUDGET s)"
echo
column -t -s $'\t' "$TABLE" 2>/dev/null || cat "$TABLE"
# one archive: few files come back
tar -czf "$RES/logs.tar.gz" -C "$WORK" $(cd "$WORK" && ls *.log 2>/dev/null) 2>/dev/null; true
