"""Config input read strictly: a key written twice is an error, in a config file or in `--config`.

PyYAML (and Snakemake's own loader) keep the last of two equal keys without a word, so a config file
that sets `gaussians.trials` twice trains with whichever comes further down. Every config file the
project reads goes through `load_file`; the workflow passes the files Snakemake loaded itself
(`workflow.configfiles`) to `check_config_files`, and the `--config` entries as written (Snakemake's
parser has already dropped a repeated key from what the workflow's `config` holds) to
`check_config_args`. Imports only yaml and the standard library: the workflow layer calls it and stays
free of torch, numpy and pandas."""
from __future__ import annotations

from pathlib import Path

import yaml

from alphabridge.errors import ConfigError

_MERGE = "tag:yaml.org,2002:merge"  # `<<: *base`: keys it brings in may be overridden, that is its purpose


def dotted(path) -> str:
    """a.b[0].c, as config.py names keys."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "<top level>"


def _paths(node, path, out: dict, seen: set) -> None:
    """Each mapping node's dotted path, by id (the constructor sees nodes, not where they sit)."""
    if id(node) in seen:  # an alias: keep the first path (and never loop on a recursive anchor)
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        out[id(node)] = path
        for k, v in node.value:
            _paths(v, (*path, k.value if isinstance(k, yaml.ScalarNode) else "?"), out, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _paths(v, (*path, i), out, seen)


class StrictLoader(yaml.SafeLoader):
    """yaml.SafeLoader whose construct_mapping records every key a mapping names twice (file, line,
    dotted key); `load_file` / `loads` raise ConfigError listing them all."""

    def __init__(self, stream, name: str | None = None, at: tuple = ()):
        super().__init__(stream)
        self.at = at  # where the document sits in the config (a `--config set=a.b=...` value: a, b)
        if name is not None:
            self.name = name  # marks (hence messages) name the file, not "<unicode string>"
        self.duplicates: list[tuple[int, str]] = []  # (line, message)
        self._where: dict = {}

    def construct_document(self, node):
        _paths(node, self.at, self._where, set())
        return super().construct_document(node)

    def construct_mapping(self, node, deep=False):
        first: dict = {}
        for key_node, _ in node.value:  # before the merge keys are flattened in (they may be overridden)
            if key_node.tag == _MERGE:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                continue  # SafeLoader refuses unhashable keys itself, with its own message
            line = key_node.start_mark.line + 1
            if key in first:
                where = dotted((*self._where.get(id(node), ("?",)), key))
                self.duplicates.append((line, f"{self.name}, line {line}: config key '{where}' appears twice "
                                              f"(first at line {first[key]}); YAML would keep only the last value"))
            else:
                first[key] = line
        return super().construct_mapping(node, deep=deep)


def _load(stream, name: str, at: tuple = ()):
    loader = StrictLoader(stream, name, at)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    if loader.duplicates:
        raise ConfigError("duplicate keys:\n  " + "\n  ".join(m for _, m in sorted(loader.duplicates)))
    return data


def loads(text: str, *, name: str = "<text>", at: tuple = ()):
    """YAML text -> Python, refusing duplicate keys (ConfigError naming `name`, the line and the key,
    dotted from `at`); text that is not YAML raises yaml.YAMLError (a `--config` value may be plain text)."""
    return _load(text, name, at)


def load_file(path: str | Path):
    """A YAML file -> Python, refusing duplicate keys (ConfigError naming the file, line and key) and
    text that is not YAML (ConfigError naming the file)."""
    with open(path, encoding="utf-8") as f:
        try:
            return _load(f, str(path))
        except yaml.YAMLError as e:
            raise ConfigError(f"{path}: not valid YAML: {e}") from None


def check_config_files(paths) -> None:
    """Raise ConfigError listing every duplicate key (and YAML error) in these config files: Snakemake
    loads `configfile:` and `--configfile` files with its own loader, which keeps the last value."""
    problems = []
    for p in paths:
        try:
            load_file(p)
        except ConfigError as e:
            problems.append(str(e).removeprefix("duplicate keys:\n  "))
    if problems:
        raise ConfigError("invalid configuration files:\n  " + "\n  ".join(problems))


def _leaves(value, path=()) -> list[tuple]:
    """The key paths a nested override sets (an empty mapping sets nothing)."""
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, str(k)))]
    return [path]


def set_twice(sources: list[tuple[str, dict]]) -> list[str]:
    """Every config key two `--config` entries both set (one value would silently win): `sources` are
    (what the user wrote, its nested override). Snakemake has already kept the last of two equal
    top-level entries (`--config a=1 a=2`) by then: check_config_args sees the entries as written."""
    seen: list[tuple[tuple, int]] = []
    out = []
    for i, (source, nested) in enumerate(sources):
        for leaf in _leaves(nested):
            for other, j in seen:
                if j != i and (leaf[:len(other)] == other or other[:len(leaf)] == leaf):
                    key = ".".join(max(leaf, other, key=len))
                    out.append(f"config key '{key}': set twice, by `{sources[j][0]}` and by `{source}` "
                               "(only one would be used)")
            seen.append((leaf, i))
    return out


def _nested(path: str, value) -> dict:
    for part in reversed(path.strip().split(".")):
        value = {part: value}
    return value


def _value(text: str, name: str, at: tuple):
    try:  # as Snakemake reads it, but strictly: a mapping naming a key twice is refused
        return loads(text, name=name, at=at)
    except yaml.YAMLError:
        return text  # plain text: Snakemake keeps it as a string


def check_config_args(entries) -> None:
    """Raise ConfigError for `--config` entries, as written (Snakemake's config_settings.config_args),
    that set a key twice: the same key in two entries (`a=1 a=2`), a YAML value naming a key twice
    (`gaussians={trials: 2, trials: 3}`), or an entry and a `set=` path that overlap. Snakemake's own
    parser keeps the last of each silently, so cli_overrides, which sees its result, cannot tell."""
    sources = []
    for entry in entries or ():
        key, sep, text = str(entry).partition("=")
        if not sep:
            continue  # Snakemake refuses an entry without '=' itself
        if key != "set":
            sources.append((f"--config {entry}", {key: _value(text, f"--config {entry}", (key,))}))
            continue
        if text.lstrip().startswith("{"):  # set={a.b.c: value, ...}
            value = _value(text, f"--config {entry}", ())
            if isinstance(value, dict):
                sources += [(f"--config set {p}", _nested(str(p), v)) for p, v in value.items()]
        elif "=" in text:  # set=a.b.c=value
            path, _, v = text.partition("=")
            sources.append((f"--config set {path.strip()}",
                            _nested(path, _value(v, f"--config {entry}", tuple(path.strip().split("."))))))
    twice = set_twice(sources)
    sets = [str(e) for e in entries or () if str(e).startswith("set=")]
    if len(sets) > 1 and not all(e[4:].lstrip().startswith("{") for e in sets):
        # Snakemake merges two set={...} mappings but replaces a set=a.b=value text: one entry is lost
        twice.append(f"config key 'set': given {len(sets)} times ({', '.join(sets)}); Snakemake keeps only the "
                     "last of these, so give the keys in one entry: set='{a.b: 1, c.d: 2}'")
    if twice:
        raise ConfigError("invalid --config:\n  " + "\n  ".join(twice))
