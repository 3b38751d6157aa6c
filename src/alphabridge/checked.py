"""Checked reads of a stage's config slice, for the parse functions that build its typed spec: the
value at a dotted key, checked against the type the spec's field declares, or a ConfigError naming
that key. The schema checks the whole config before any job runs; these checks catch a slice that
reaches a command another way (a hand-written --config-json, a notebook's dict), where a string "8"
for an integer would otherwise fail far from its key, or draw something else without failing.

Values are returned as given (an int stays an int where a float is declared: the numbers a table
or figure shows stay those of the config); only lists become tuples. Kept apart from
alphabridge.typed, which every training job imports: editing this file re-runs no training."""
from __future__ import annotations

import dataclasses
import types
import typing

from alphabridge.errors import ConfigError


def at(raw: dict, path: str):
    """The value at dotted `path` of the slice."""
    node = raw
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(f"config key '{path}': missing")
        node = node[part]
    return node


def _fail(path: str, what: str, value):
    raise ConfigError(f"config key '{path}': expected {what}, got {value!r}")


def check(path: str, value, hint):
    """`value` if it has type `hint` (int, float, str, bool, dict, tuple[X, ...], tuple[X, Y], X | None,
    a dataclass), lists as tuples and mappings as dataclasses; else a ConfigError naming `path`."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]  # the specs' unions are all `X | None`
        return check(path, value, inner)
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            _fail(path, "a list", value)
        each = args[:1] * len(value) if args[-1:] == (Ellipsis,) else args
        if len(each) != len(value):
            _fail(path, f"a list of {len(each)}", value)
        return tuple(check(f"{path}[{i}]", v, h) for i, (v, h) in enumerate(zip(value, each)))
    if dataclasses.is_dataclass(hint):
        return build(hint, value, path=path)
    ok = {int: lambda v: isinstance(v, int) and not isinstance(v, bool),  # JSON true is no integer
          float: lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
          str: lambda v: isinstance(v, str), bool: lambda v: isinstance(v, bool),
          dict: lambda v: isinstance(v, dict)}.get(origin or hint)
    if ok is None:
        raise TypeError(f"checked.check: no check for type {hint!r} (of {path})")
    if not ok(value):
        _fail(path, {int: "an integer", float: "a number", str: "a string", bool: "true or false",
                     dict: "a mapping"}[origin or hint], value)
    return value


def value(raw: dict, path: str, hint):
    """The value at `path`, checked against `hint`."""
    return check(path, at(raw, path), hint)


def build(cls, data, *, path: str):
    """Dataclass `cls` from the mapping `data` (found at `path`): exactly its fields, each checked
    against its annotation."""
    if not isinstance(data, dict):
        _fail(path, f"a mapping of {cls.__name__}'s fields", data)
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    if set(data) != set(names):
        raise ConfigError(f"config key '{path}': expected the keys {sorted(names)}, got {sorted(data)}")
    return cls(**{n: check(f"{path}.{n}", data[n], hints[n]) for n in names})


def section(raw: dict, path: str, cls):
    """Dataclass `cls` from the config section at `path`."""
    return build(cls, at(raw, path), path=path)


def mapping(raw: dict, path: str, **hints) -> dict:
    """The keys `hints` names of the section at `path`, each checked: for the functions that read a
    plain mapping (train.schedule.step_and_alpha reads the Step plan as one)."""
    return {k: value(raw, f"{path}.{k}", h) for k, h in hints.items()}
