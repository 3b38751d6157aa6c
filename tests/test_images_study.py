"""bench/images_study.py, which prints the image study's verdict rows: its contrasts are differences of means
with the Welch standard error (known answers), tagged "higher" / "lower" only beyond two of them, and
diverged trials are left out of every row."""
import importlib.util

import numpy as np
import pandas as pd
import pytest

from conftest import REPO


def _module():
    spec = importlib.util.spec_from_file_location("images_study", REPO / "bench/images_study.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _trials(rows):
    return pd.DataFrame([{"method": m, "trial": t, "fid": f, "modes_covered": 10, "recall": 0.5, "inception_score": 1,
                          "precision": 0.5, "kl_uniform": 0.1, "diverged": d} for m, t, f, d in rows])


def test_welch_difference_and_its_standard_error():
    st = _module()
    d, se = st.welch([1.0, 2.0, 3.0], [4.0, 5.0, 6.0, np.nan])
    assert d == pytest.approx(-3.0) and se == pytest.approx(np.sqrt(1 / 3 + 1 / 3))


def test_contrasts_tag_only_beyond_two_standard_errors_and_skip_diverged_trials():
    st = _module()
    rows = [("alpha_bridge", t, f, False) for t, f in enumerate([10.0, 11.0, 12.0])]
    rows += [("dcgan", t, f, False) for t, f in enumerate([20.0, 21.0, 22.0])]  # 10 lower: ~12 SE
    rows += [("rkl_scratch", t, f, False) for t, f in enumerate([10.0, 14.0, 18.0])]  # +3 +- 2.6: level
    rows += [("rkl_scratch", 3, 1e6, True)]  # a diverged trial: never averaged
    lines = {ln.split(":")[0]: ln for ln in st.contrasts(_trials(rows))}
    assert "fid -10.0 ± 0.8 (lower)" in lines["alpha_bridge - dcgan"]
    assert "fid +3.0 ± 2.4 (within 2 SE)" in lines["rkl_scratch - alpha_bridge"]
    table = "\n".join(st.finals(_trials(rows)))
    assert "| rkl_scratch | 14.0 ± 4.0 (n=3)" in table and "diverged trials: {'rkl_scratch': 1}" in table
