"""The conda env (for --sdm conda) pins exactly what envs/requirements.txt pins."""
import yaml

from conftest import REPO


def _requirements():
    lines = (REPO / "envs/requirements.txt").read_text().splitlines()
    return [ln.split("#")[0].strip() for ln in lines if ln.split("#")[0].strip()]


def test_conda_env_matches_requirements():
    env = yaml.safe_load((REPO / "envs/alphabridge.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert pip == _requirements()
    assert "torch==2.14.1" in pip
