"""The contract between a rule and its command, for every pipeline stage.

Each stage's config keys, implementing module and parse function are declared once, in
alphabridge.keys. The Snakemake rules slice the config with `stage_json` (so a rule's params are
exactly its stage's keys: changing any other key re-runs nothing) and depend on `stage_code` (the
package files the implementing module imports, found by reading their source: nothing is imported);
the CLI parses the slice it receives with `parse`, which imports the implementing module.

Standard library only (torch is imported by `parse` alone): the Snakefile builds the DAG from it."""
from __future__ import annotations

import ast
import importlib
import json
from functools import lru_cache
from pathlib import Path

from alphabridge.errors import ConfigError
from alphabridge.keys import STAGES, Stage


def select(cfg: dict, paths) -> dict:
    """The nested sub-dict of `cfg` holding exactly `paths` ('a.b.c' keeps cfg['a']['b']['c'])."""
    out: dict = {}
    for path in paths:
        src, dst, parts = cfg, out, path.split(".")
        for i, part in enumerate(parts):
            if not isinstance(src, dict) or part not in src:
                raise ConfigError(f"config key '{'.'.join(parts[: i + 1])}': missing")
            src = src[part]
            if i == len(parts) - 1:
                dst[part] = src
            else:
                dst = dst.setdefault(part, {})
    return out


def dump(obj) -> str:
    """Canonical JSON: the same slice always gives the same text (so Snakemake's params compare)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def registry() -> dict[str, Stage]:
    return STAGES


def get(name: str) -> Stage:
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; declared: {sorted(STAGES)}")
    return STAGES[name]


def stage_slice(name: str, cfg: dict, **wildcards) -> dict:
    return select(cfg, get(name).keys(**wildcards))


def stage_json(name: str, cfg: dict, **wildcards) -> str:
    """What a rule passes to its command: the stage's config slice as canonical JSON."""
    return dump(stage_slice(name, cfg, **wildcards))


def parse(name: str, text: str, **wildcards):
    """The CLI side: JSON text -> the stage's typed spec. The text must hold exactly the stage's
    keys, so a rule and its command cannot drift apart."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"--config-json is not valid JSON: {e}") from e
    if not isinstance(value, dict):
        raise ConfigError("--config-json must be a JSON object")
    stage = get(name)
    expected = select(value, stage.keys(**wildcards))
    if expected != value:
        raise ConfigError(f"--config-json holds keys stage {name!r} does not read: "
                          f"{sorted(set(value) - set(expected)) or 'nested ones'}; it reads {stage.keys(**wildcards)}")
    if stage.parse is None:
        return value
    return getattr(importlib.import_module(stage.module), stage.parse)(value, **wildcards)


# --- code dependencies -------------------------------------------------------------------------

PACKAGE = Path(__file__).resolve().parent


def _module_file(module: str) -> Path | None:
    parts = module.split(".")[1:]
    if not parts:
        return PACKAGE / "__init__.py"
    rel = Path(*parts)
    for cand in (PACKAGE / rel.with_suffix(".py"), PACKAGE / rel / "__init__.py"):
        if cand.exists():
            return cand
    return None


def _imports(path: Path) -> set[str]:
    """alphabridge modules imported anywhere in the file (also inside functions: lazy imports run too)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("alphabridge.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("alphabridge"):
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}  # `from alphabridge import device`
    return out


@lru_cache(maxsize=None)
def module_files(module: str) -> tuple[str, ...]:
    """Every package file `module` imports, transitively (itself included), relative to the package."""
    seen, todo = set(), [module]
    while todo:
        path = _module_file(todo.pop())
        if path is None or path in seen:
            continue
        seen.add(path)
        todo.extend(_imports(path))
    return tuple(sorted(str(p.relative_to(PACKAGE)) for p in seen))


def stage_code(name: str) -> list[str]:
    """A rule's code inputs: the implementing module's files (editing one re-runs the rule).

    Relative (`src/alphabridge/...`) when the working directory is the checkout, as in a plain
    run, so the paths every finished job recorded stay the same; absolute otherwise (the workflow
    used as another project's Snakemake module, whose working directory has no src/)."""
    files = module_files(get(name).module)
    if (Path.cwd() / "src" / "alphabridge").resolve() == PACKAGE:
        return [f"src/alphabridge/{f}" for f in files]
    return [str(PACKAGE / f) for f in files]


def spec_of(name: str, cfg: dict, **wildcards):
    """A full config -> the stage's typed spec, exactly as its rule slices and its command parses
    (for tests, notebooks and scripts that call the library directly)."""
    return parse(name, stage_json(name, cfg, **wildcards), **wildcards)
