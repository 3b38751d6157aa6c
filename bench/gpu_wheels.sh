#!/usr/bin/env bash
# Fill .whl/ (repo root, or $WHL_DIR) with the wheels the offline GPU machine needs on top of what it
# already has, so that there `python3 -m snakemake ...` (local execution, no conda), `import jsonschema`,
# `import pytorch_fid` and `import torch_fidelity` work (tests/test_gpu_bundle.py checks PINS against
# every import of the library, the workflow and the checked scripts, and against pyproject's
# dependencies). The GPU machine installs them with
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
#       --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site
#
# What goes in: snakemake==9.27.1, jsonschema (envs/requirements.txt: >=4.20), pytorch-fid==0.3.0,
# torch-fidelity==0.4.0, and the closure of their hard requirements (Requires-Dist without an extra,
# markers evaluated for CPython $PYVER on linux/x86_64), MINUS what the GPU machine already ships
# (GPU_HAS below; one exception, SHADOW: typing-extensions, which must be newer than that machine's
# may be). Every version is pinned here; the list was worked out from the wheels' METADATA, and the
# check at the end re-reads METADATA and fails if a hard requirement is neither bundled nor in GPU_HAS.
#
# Env:
#   WHL_DIR  target folder (default .whl in the repo root; relative paths are taken from the repo root)
#   PYVER    target CPython X.Y (default 3.12 = the GPU machine; 3.11 builds a bundle for testing here)
#   PYTHON   interpreter that runs pip (default python3; any version works, pip targets $PYVER)
#   SHADOW   pins bundled although the GPU machine has the package, because the bundle needs a newer
#            version than that machine may have (default: typing-extensions==4.16.0, see below);
#            SHADOW= (empty) gives the strict "closure minus the GPU machine's packages" set.
#
# Idempotent: a wheel already present (same name, version, and a tag that fits $PYVER) is kept and not
# fetched again; wheels in $WHL_DIR that are not in the list (other versions, another PYVER's binary
# wheels) are removed, so the folder holds exactly the bundle. Needs PyPI only for missing wheels.
set -euo pipefail
cd "$(dirname "$0")/.."

WHL_DIR="${WHL_DIR:-.whl}"
PYVER="${PYVER:-3.12}"
PYTHON="${PYTHON:-python3}"
PV="${PYVER//./}"   # 3.12 -> 312 (CPython wheel tag cp312)
mkdir -p "$WHL_DIR"

# Packages (normalized names) that the GPU machine already has; not bundled (SHADOW aside), so that
# its own versions (torch, numpy, ...) are not shadowed by /tmp/site on PYTHONPATH.
GPU_HAS="absl-py accelerate attrs certifi charset-normalizer click cloudpickle colorama contourpy cycler
filelock fonttools fsspec idna jinja2 joblib kiwisolver markupsafe matplotlib numpy packaging pandas
pillow pip pluggy psutil pygments pyparsing pytest python-dateutil pyyaml requests rich scikit-learn
scipy setuptools six tabulate threadpoolctl torch torchvision tqdm typing-extensions urllib3 wrapt zipp"

# Declared in pyproject.toml but never imported on the GPU machine (reason each); tests/test_gpu_bundle.py
# allows these and only these to be missing from both GPU_HAS and PINS:
#   snakemake-executor-plugin-slurm (and its -jobstep): the check runs Snakemake's local executor, no SLURM
NOT_BUNDLED="snakemake-executor-plugin-slurm snakemake-executor-plugin-slurm-jobstep"

# The bundle: one pinned version per package. (*) = binary wheel, specific to CPython $PYVER.
PINS=(
  # --- the top-level packages
  snakemake==9.27.1
  jsonschema==4.26.0                       # envs/requirements.txt: jsonschema>=4.20
  pytorch-fid==0.3.0                       # its deps (numpy pillow scipy torch torchvision) are on the GPU machine
  torch-fidelity==0.4.0                    # metrics/fidelity.py; its deps (numpy pillow torch torchvision
                                           # tqdm) are on the GPU machine
  # --- jsonschema's closure (attrs is on the GPU machine)
  jsonschema-specifications==2025.9.1
  referencing==0.37.0
  rpds-py==2026.9.1                        # (*)
  # --- snakemake's hard requirements and their closure
  conda-inject==1.3.2                      # a hard requirement even without conda (pure python, tiny)
  configargparse==1.9.0
  connection-pool==0.0.3                   # sdist only on PyPI: built into a py3-none-any wheel below
  docutils==0.22.4
  dpath==2.2.0
  gitpython==3.2.1
  gitdb==4.0.12
  smmap==5.0.3
  humanfriendly==10.0
  immutables==0.21                         # (*)
  nbformat==5.11.1
  fastjsonschema==2.22.3
  jupyter-core==5.9.1
  traitlets==5.16.1
  platformdirs==4.14.9
  pulp==3.3.2                              # hard requirement (ILP scheduler); ships CBC binaries, the largest wheel
  smart-open==7.7.1
  sqlmodel==0.0.37
  sqlalchemy==2.0.58                       # (*)
  greenlet==3.5.6                          # (*) sqlalchemy's, for x86_64 and python<3.14
  pydantic==2.14.4
  pydantic-core==2.50.5                    # (*)
  annotated-types==0.8.0
  typing-inspection==0.4.5
  tenacity==9.2.1
  throttler==1.2.3
  yte==1.9.4
  argparse-dataclass==2.0.0
  snakemake-interface-common==1.23.0
  snakemake-interface-executor-plugins==9.4.0
  snakemake-interface-logger-plugins==2.1.0
  snakemake-interface-report-plugins==1.3.0
  snakemake-interface-scheduler-plugins==2.0.2
  snakemake-interface-storage-plugins==4.4.1
)
# typing-extensions: pydantic 2.14.4 / pydantic-core 2.50.5 need >=4.16.0 (they import
# typing_extensions.Sentinel, new in 4.14) and snakemake imports them (sqlmodel, in persistence) on
# every run; torch 2.11 only asks for >=4.10, so the GPU machine's copy may be too old (checked here:
# with 4.12.2 on the path `snakemake -n` fails with "cannot import name 'Sentinel'"). It is a 44 KiB
# backport module that only ever adds names, so shadowing the machine's copy is harmless to torch.
SHADOW="${SHADOW-typing-extensions==4.16.0}"
read -r -a shadow_pins <<< "$SHADOW"
PINS+=("${shadow_pins[@]}")

# Published as an sdist only (no wheel on PyPI for this version): built locally, pure python.
SDIST_ONLY="connection-pool"

PIP_DL=(--no-deps --only-binary=:all: --python-version "$PYVER" --implementation cp
        --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
        --platform manylinux2014_x86_64 --platform manylinux1_x86_64)

# pip's chatter about local extra index folders that don't have a package is noise here.
quiet_pip() { "$PYTHON" -m pip "$@" 2> >(grep -v "is ignored: it is neither" >&2); }

# Wheel file name prefix of a package: PEP 427 escapes runs of -_. to _, and we compare lower-cased.
wheel_stem() { echo "$1" | tr 'A-Z' 'a-z' | sed -E 's/[-_.]+/_/g'; }

# The wheel in $WHL_DIR for NAME VERSION that fits CPython $PYVER, if any (pure, cpXY or abi3 tags).
find_wheel() {
  local stem="$1" ver="$2" f base
  for f in "$WHL_DIR"/*.whl; do
    [[ -e "$f" ]] || continue
    base="$(basename "$f" | tr 'A-Z' 'a-z')"
    [[ "$base" == "${stem}-${ver}-"* ]] || continue
    if [[ "$base" == *-none-any.whl || "$base" == *"-cp${PV}-"* || "$base" == *-abi3-* ]]; then
      echo "$f"; return 0
    fi
  done
  return 1
}

keep=()   # the wheel files that make up the bundle
for pin in "${PINS[@]}"; do
  name="${pin%%==*}"; ver="${pin##*==}"; stem="$(wheel_stem "$name")"
  if ! f="$(find_wheel "$stem" "$ver")"; then
    if [[ " $SDIST_ONLY " == *" $name "* ]]; then
      echo "[wheels] building $pin from its sdist" >&2
      quiet_pip wheel -q --no-deps --no-binary "$name" -w "$WHL_DIR" "$pin"
    else
      echo "[wheels] downloading $pin for cp$PV" >&2
      quiet_pip download -q "${PIP_DL[@]}" -d "$WHL_DIR" "$pin"
    fi
    f="$(find_wheel "$stem" "$ver")" || { echo "[wheels] no wheel for $pin (cp$PV) in $WHL_DIR" >&2; exit 1; }
  fi
  keep+=("$f")
done

# Exactly the bundle: drop wheels from earlier runs that are not in it (old pins, another PYVER).
for f in "$WHL_DIR"/*.whl; do
  [[ " ${keep[*]} " == *" $f "* ]] || { echo "[wheels] removing stale $(basename "$f")" >&2; rm -f "$f"; }
done

# Closure check: re-read every wheel's METADATA; each hard requirement (no extra; marker true for
# CPython $PYVER on linux x86_64) must be bundled in a version that satisfies it, or be in GPU_HAS
# (those specifiers are printed: the GPU machine's versions must satisfy them).
# It also fails on a bundled wheel that nothing needs (not reachable from the roots or SHADOW).
"$PYTHON" - "$WHL_DIR" "$PYVER" "$GPU_HAS" "snakemake jsonschema pytorch-fid torch-fidelity ${SHADOW%%==*}" <<'EOF'
import sys, zipfile, re, glob, os
try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pip vendors packaging
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name
whl_dir, pyver, gpu_has = sys.argv[1], sys.argv[2], set(sys.argv[3].split())
roots = [canonicalize_name(r.split("==")[0]) for r in sys.argv[4].split()]
env = {"python_version": pyver, "python_full_version": pyver + ".0", "sys_platform": "linux",
       "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
       "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
meta = {}
for w in sorted(glob.glob(os.path.join(whl_dir, "*.whl"))):
    with zipfile.ZipFile(w) as z:
        m = z.read(next(n for n in z.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    hdr = m.split("\n\n", 1)[0]
    name = re.search(r"^Name: (.+)$", hdr, re.M).group(1).strip()
    ver = re.search(r"^Version: (.+)$", hdr, re.M).group(1).strip()
    meta[canonicalize_name(name)] = (ver, re.findall(r"^Requires-Dist: (.+)$", hdr, re.M))
bad, gpu_specs, needs = [], {}, {}
for pkg, (ver, reqs) in meta.items():
    for line in reqs:
        r = Requirement(line)
        if r.marker is not None and not r.marker.evaluate(env):
            continue  # an extra, or not for this python/platform
        dep = canonicalize_name(r.name)
        needs.setdefault(pkg, set()).add(dep)
        if dep in meta:
            if r.specifier and not r.specifier.contains(meta[dep][0], prereleases=True):
                bad.append(f"{pkg} needs {r}, bundled {dep} {meta[dep][0]}")
        elif dep in gpu_has:
            if str(r.specifier):
                gpu_specs.setdefault(dep, set()).add(f"{r.specifier} ({pkg})")
        else:
            bad.append(f"{pkg} needs {r}: neither bundled nor on the GPU machine")
seen, todo = set(), [r for r in roots if r in meta]
while todo:
    p = todo.pop()
    if p not in seen:
        seen.add(p)
        todo += [d for d in needs.get(p, ()) if d in meta]
bad += [f"{p} is bundled but nothing needs it" for p in sorted(set(meta) - seen)]
bad += [f"root {r} is not bundled" for r in roots if r not in meta]
for dep, s in sorted(gpu_specs.items()):
    print(f"[wheels] GPU machine's {dep} must satisfy: " + "; ".join(sorted(s)), file=sys.stderr)
if bad:
    print("[wheels] closure check FAILED:\n  " + "\n  ".join(bad), file=sys.stderr)
    sys.exit(1)
print(f"[wheels] closure check ok: {len(meta)} wheels for CPython {pyver}", file=sys.stderr)
EOF

# The bundle, largest first, and its total size.
ls -lS "$WHL_DIR"/*.whl | awk '{printf "%8.1f KiB  %s\n", $5/1024, $NF}'
total=$(cat "$WHL_DIR"/*.whl | wc -c)
awk -v b="$total" -v n="${#keep[@]}" -v d="$WHL_DIR" -v p="$PYVER" \
  'BEGIN { printf "[wheels] %d wheels for CPython %s in %s: %.2f MiB total\n", n, p, d, b/1048576 }'
