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


def _project():
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_pyproject_pins_what_requirements_pin():
    """`pip install .[workflow,test]` installs exactly envs/requirements.txt."""
    project = _project()
    declared = project["dependencies"] + [d for extra in project["optional-dependencies"].values() for d in extra]
    assert sorted(declared) == sorted(_requirements())


def test_every_package_src_imports_is_a_dependency():
    """Each third-party module imported anywhere in src/ (also inside functions) comes from a
    distribution that pyproject.toml's dependencies name."""
    import ast
    import re
    import sys
    from importlib.metadata import packages_distributions

    modules = set()
    for path in (REPO / "src/alphabridge").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module.split(".")[0])
    third_party = sorted(m for m in modules - set(sys.stdlib_module_names) if m != "alphabridge")
    assert "torchvision" in third_party and "sklearn" in third_party and "pytorch_fid" in third_party

    def norm(name):
        return re.sub(r"[-_.]+", "-", name).lower()

    deps = {norm(re.split(r"[<>=!~;\[ ]", d)[0]) for d in _project()["dependencies"]}
    dists = packages_distributions()
    missing = {m: dists.get(m) for m in third_party if not {norm(d) for d in dists.get(m, [])} & deps}
    assert not missing, f"imported by src/ but not in pyproject dependencies: {missing}"
