"""The GPU machine's wheel bundle (bench/gpu_wheels.sh) covers what the project imports and declares.

The device has no network and its own package set (GPU_HAS in gpu_wheels.sh); everything else must
travel as a wheel in PINS. A hand-kept list once missed torch-fidelity (imported inside a function of
metrics/fidelity.py), which only the GPU check itself found. So: every `import X` / `from X import`
(anywhere: module level, functions, try blocks) of the library, the Snakefile and its rules, and the
scripts and tests that bench/gpu_check.sh runs, mapped to distributions; plus the declared dependencies
(pyproject.toml: dependencies and the workflow extra) and their hard requirements, transitively. Each
third-party distribution must be in GPU_HAS, in PINS, or in NOT_BUNDLED (with its reason there).
Offline: reads files and this environment's installed metadata only.
"""
from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from functools import lru_cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WHEELS_SH = REPO / "bench" / "gpu_wheels.sh"
CHECK_SH = REPO / "bench" / "gpu_check.sh"
# the device's Python and platform: requirement markers are evaluated for it, not for this machine
DEVICE_ENV = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": "linux",
              "platform_system": "Linux", "os_name": "posix", "platform_machine": "x86_64",
              "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def shell_words(var: str, required: bool = True) -> set[str]:
    """The words of `VAR="..."` in gpu_wheels.sh (a double-quoted, possibly multi-line string)."""
    m = re.search(rf'^{var}="([^"]*)"', WHEELS_SH.read_text(), re.M)
    if m is None and not required:
        return set()
    assert m, f"{var}=\"...\" not found in {WHEELS_SH}"
    return {norm(w) for w in m.group(1).split()}


def pins() -> dict[str, str]:
    """name -> version of the PINS=( ... ) array, and of the SHADOW default."""
    text = WHEELS_SH.read_text()
    body = re.search(r"^PINS=\((.*?)^\)", text, re.M | re.S).group(1)
    lines = [ln.split("#", 1)[0].strip() for ln in body.splitlines()]
    shadow = re.search(r'^SHADOW="\$\{SHADOW-([^}]*)\}"', text, re.M).group(1).split()
    out = {}
    for pin in [ln for ln in lines if ln] + shadow:
        name, _, ver = pin.partition("==")
        assert ver, f"unpinned entry {pin!r} in PINS"
        out[norm(name)] = ver
    return out


def imported_modules_py(path: Path) -> set[str]:
    """Top-level names of every absolute import in a Python file, at any depth of the tree."""
    mods = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mods.add(node.module.split(".")[0])
    return mods


def imported_modules_smk(path: Path) -> set[str]:
    """Snakemake files are not Python to ast; their imports are plain lines (also inside run: blocks)."""
    mods = set()
    for m in re.finditer(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import)", path.read_text(),
                         re.M):
        names = m.group(1).split(",") if m.group(1) else [m.group(2)]
        mods |= {n.strip().split(".")[0] for n in names}
    return mods


def device_sources() -> list[Path]:
    """What runs on the device: the library, the workflow, and what gpu_check.sh calls by path."""
    files = sorted((REPO / "src" / "alphabridge").rglob("*.py"))
    files += [REPO / "Snakefile", *sorted((REPO / "workflow").rglob("*.smk"))]
    called = set(re.findall(r"\b((?:bench|tests)/\w+\.py)\b", CHECK_SH.read_text()))
    assert called, "gpu_check.sh calls no bench/ or tests/ script by path?"
    files += [REPO / c for c in sorted(called)] + [REPO / "tests" / "conftest.py"]  # pytest loads conftest
    return files


@lru_cache
def module_dists() -> dict[str, list[str]]:
    return md.packages_distributions()


def third_party(mod: str) -> bool:
    local = {"alphabridge"} | {p.stem for p in (REPO / "tests").glob("*.py")}  # this repo's own (src/, tests/)
    return mod not in sys.stdlib_module_names and mod not in local and mod != "__future__"


def test_the_wheel_script_parses():
    p = pins()
    assert p["snakemake"] == "9.27.1" and "pytorch-fid" in p and "torch" in shell_words("GPU_HAS")
    assert not set(p) & shell_words("GPU_HAS") - {"typing-extensions"}  # SHADOW is the one overlap


def test_every_import_is_on_the_device_or_bundled():
    has, bundled = shell_words("GPU_HAS"), set(pins())
    missing, unknown = [], []
    for f in device_sources():
        mods = imported_modules_smk(f) if f.suffix in (".smk", "") else imported_modules_py(f)
        for mod in sorted(filter(third_party, mods)):
            dists = module_dists().get(mod)
            if not dists:
                unknown.append(f"{mod} ({f.relative_to(REPO)})")
                continue
            for d in map(norm, dists):
                if d not in has | bundled:
                    missing.append(f"{d} (import {mod} in {f.relative_to(REPO)})")
    assert not unknown, f"imports no installed distribution provides (cannot check): {unknown}"
    assert not missing, ("imported on the GPU machine but neither in GPU_HAS nor in PINS of bench/gpu_wheels.sh: "
                         f"{sorted(set(missing))}")


def declared() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return project["dependencies"] + project["optional-dependencies"]["workflow"]


def test_declared_dependencies_are_covered_transitively():
    """pyproject's dependencies + workflow extra, and their hard requirements (no extras, markers for
    the device's Python), as this environment's metadata states them."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # pip vendors packaging
        from pip._vendor.packaging.requirements import Requirement
    has, bundled, skip = shell_words("GPU_HAS"), pins(), shell_words("NOT_BUNDLED", required=False)
    todo, seen, missing, version_drift = [Requirement(r) for r in declared()], set(), [], []
    for r in todo:  # the declared pins are the bundle's pins
        if (spec := str(r.specifier)).startswith("==") and norm(r.name) in bundled:
            if bundled[norm(r.name)] != spec[2:]:
                version_drift.append(f"{r.name}: pyproject {spec}, PINS =={bundled[norm(r.name)]}")
    while todo:
        r = todo.pop()
        name = norm(r.name)
        if name in seen or name in has or name in skip:
            continue  # the device's own packages bring their own requirements
        seen.add(name)
        if name not in bundled:
            missing.append(name)
        try:
            reqs = md.requires(r.name) or []
        except md.PackageNotFoundError:
            pytest.fail(f"{r.name} is declared but not installed here, so its requirements cannot be walked")
        for line in reqs:
            dep = Requirement(line)
            if dep.marker is None or dep.marker.evaluate(DEVICE_ENV):
                todo.append(dep)
    assert not version_drift, version_drift
    assert not missing, f"declared (or required by a declared package) but not in PINS nor GPU_HAS: {sorted(missing)}"


def test_not_bundled_is_not_imported():
    """NOT_BUNDLED is only for what the device never imports (e.g. the SLURM executor plugin)."""
    skip = shell_words("NOT_BUNDLED", required=False)
    for f in device_sources():
        mods = imported_modules_smk(f) if f.suffix in (".smk", "") else imported_modules_py(f)
        for mod in filter(third_party, mods):
            assert not {norm(d) for d in module_dists().get(mod, [])} & skip, f"{mod} imported in {f}"
