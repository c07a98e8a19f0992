"""Reading YAML safely, with line numbers, and writing it in canonical form.

Reading uses libyaml's C parser (``CSafeLoader``) to compose a node tree, then builds plain Python
values from it while remembering where every value stands. On the way it refuses what PyYAML would
accept silently or dangerously: duplicate keys (PyYAML keeps the last one), tags that construct
objects, anchors and aliases (the road to an alias bomb), non-UTF-8 bytes and absurd sizes.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is ~8x faster than the pure-Python parser
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 32
_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}

FieldPath = tuple[str | int, ...]


@dataclass
class YamlProblem:
    line: int
    col: int
    field: FieldPath
    message: str


@dataclass
class Located:
    """A parsed document and where each of its values (and mapping keys) stands, 1-based."""

    data: Any = None
    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    problems: list[YamlProblem] = field(default_factory=list)

    def locate(self, path: FieldPath, *, key: bool = False) -> tuple[int, int]:
        """The position of ``path`` (its key when ``key``), else of its nearest located parent."""
        path = tuple(path)
        if key and path in self.keys:
            return self.keys[path]
        while path:
            if path in self.values:
                return self.values[path]
            path = path[:-1]
        return self.values.get((), (1, 1))


def format_path(path: FieldPath) -> str:
    """``("settings", 0, "value")`` → ``settings[0].value``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _pos(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


def parse_yaml(raw: bytes) -> Located:
    """Parse one YAML document from bytes; problems are collected, never raised."""
    out = Located()
    if len(raw) > MAX_FILE_BYTES:
        out.problems.append(
            YamlProblem(1, 1, (), f"file is {len(raw):,} bytes; a record may be at most {MAX_FILE_BYTES:,} bytes")
        )
        return out
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        out.problems.append(
            YamlProblem(line, col, (), f"not valid UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded")
        )
        return out
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark) if mark else (1, 1)
        message = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        out.problems.append(YamlProblem(line, col, (), f"YAML syntax error: {message}"))
        return out
    except yaml.YAMLError as exc:
        out.problems.append(YamlProblem(1, 1, (), f"YAML error: {exc}"))
        return out
    finally:
        loader.dispose()
    if node is None:
        out.problems.append(YamlProblem(1, 1, (), "the file is empty"))
        return out
    builder = _Builder(loader, out)
    out.data = builder.build(node, (), 0)
    if builder.alias_paths:
        _report_aliases(text, builder.alias_paths, out)
    return out


def _report_aliases(text: str, paths: list[FieldPath], out: Located) -> None:
    """Report each alias at its own position: the composed tree only knows where the anchor stands.

    The builder meets aliases in document order, as the parser emits AliasEvents, so the two lists pair up.
    """
    marks = [e.start_mark for e in yaml.parse(text, Loader=_Loader) if isinstance(e, yaml.AliasEvent)]
    for path, mark in zip(paths, marks, strict=False):
        line, col = _pos(mark)
        out.problems.append(YamlProblem(line, col, path, "YAML aliases (*name) are not allowed; write the value out"))


class _Builder:
    def __init__(self, loader: Any, out: Located):
        self.loader = loader
        self.out = out
        self.seen: set[int] = set()
        self.alias_paths: list[FieldPath] = []

    def problem(self, node: Any, path: FieldPath, message: str) -> None:
        line, col = _pos(node.start_mark)
        self.out.problems.append(YamlProblem(line, col, path, message))

    def build(self, node: Any, path: FieldPath, depth: int) -> Any:
        self.out.values[path] = _pos(node.start_mark)
        if id(node) in self.seen:
            self.alias_paths.append(path)  # reported with the alias's own position afterwards
            return None
        self.seen.add(id(node))
        if node.tag not in _STANDARD_TAGS:
            self.problem(node, path, f"YAML tag '{node.tag}' is not allowed; records hold plain data only")
            return None
        if depth > MAX_DEPTH:
            self.problem(node, path, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            first: dict[Any, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag not in _STANDARD_TAGS:
                    self.problem(key_node, path, "mapping keys must be plain strings")
                    continue
                key = key_node.value
                if key == "<<":
                    self.problem(key_node, path, "YAML merge keys (<<) are not allowed")
                    continue
                if key in first:
                    self.problem(
                        key_node, (*path, key), f"duplicate key '{key}' (first given at line {first[key]})"
                    )
                    continue
                first[key] = key_node.start_mark.line + 1
                self.out.keys[(*path, key)] = _pos(key_node.start_mark)
                result[key] = self.build(value_node, (*path, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        constructor = self.loader.yaml_constructors[node.tag]
        try:
            return constructor(self.loader, node)
        except (yaml.YAMLError, ValueError) as exc:
            self.problem(node, path, f"cannot read value {node.value!r}: {exc}")
            return None


def read_yaml(path: Path) -> Located:
    """Parse a YAML file; see :func:`parse_yaml`. At most one byte past the size limit is read, so a
    huge (or endless) file is refused without being read whole."""
    with path.open("rb") as f:
        raw = f.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            size = max(os.fstat(f.fileno()).st_size, len(raw))
            return Located(problems=[YamlProblem(1, 1, (), f"file is {size:,} bytes; a record may be at most "
                                                           f"{MAX_FILE_BYTES:,} bytes")])
    return parse_yaml(raw)


# ------------------------------------------------------------------------------------------ writing


class _CanonicalDumper(_Dumper):  # type: ignore[misc,valid-type]
    pass


def _str_representer(dumper: Any, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CanonicalDumper.add_representer(str, _str_representer)
_CanonicalDumper.add_representer(dt.date, _CanonicalDumper.represent_date)


def dump_yaml(data: Any) -> str:
    """Canonical YAML: keys in model order, block style, multi-line text as literal blocks."""
    return yaml.dump(
        data,
        Dumper=_CanonicalDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
        indent=2,
    )
