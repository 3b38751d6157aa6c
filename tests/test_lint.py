"""The workflow passes `snakemake --lint` and `snakefmt --check`."""
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SNAKEMAKE

pytestmark = pytest.mark.workflow


def test_snakemake_lint_is_clean():
    proc = subprocess.run(SNAKEMAKE + ["--lint"], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_snakefmt_check():
    snakefmt = Path(sys.executable).with_name("snakefmt")
    proc = subprocess.run([str(snakefmt), "--check", "Snakefile", "workflow/"], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
