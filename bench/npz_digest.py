"""sha256 over an npz's arrays (names, dtypes, shapes, bytes), not over the file: np.savez stamps each
zip entry with the write time, so two identical datasets written a minute apart differ as files.
bench/gpu_prepare.sh records the digest of the MNIST dataset its classifier was trained on, and
bench/gpu_check.sh reuses the carried classifier only when the device's rebuilt dataset has the same.

    python3 bench/npz_digest.py resources/datasets/mnist.npz
"""
import hashlib
import sys

import numpy as np


def digest(path: str) -> str:
    h = hashlib.sha256()
    with np.load(path, allow_pickle=False) as f:
        for name in sorted(f.files):
            a = np.ascontiguousarray(f[name])
            h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
            h.update(a.tobytes())
    return h.hexdigest()


if __name__ == "__main__":
    print(digest(sys.argv[1]))
