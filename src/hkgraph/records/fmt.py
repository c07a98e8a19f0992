"""Canonical form of records: ``hkgraph fmt`` writes it, ``hkgraph fmt --check`` and a test check it.

Canonical means: keys in the model's field order, defaults and empty lists left out, multi-line text
as literal blocks with no trailing spaces on any line, 2-space indentation, lines wrapped at 100.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .load import iter_record_files, load_file
from .problems import Problem
from .yamlio import dump_yaml


def _tidy(value: Any) -> Any:
    if isinstance(value, str) and "\n" in value:
        return "\n".join(line.rstrip() for line in value.rstrip("\n").split("\n"))
    if isinstance(value, dict):
        return {k: _tidy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tidy(v) for v in value]
    return value


def canonical_text(record: BaseModel) -> str:
    """The canonical YAML text of a validated record."""
    data = record.model_dump(mode="python", exclude_defaults=True)
    return dump_yaml(_tidy(data))


def format_tree(root: Path, *, check: bool) -> tuple[list[Path], list[Problem]]:
    """Rewrite (or with ``check`` only list) every record file that is not canonical.

    Files that do not validate are left alone and their problems returned.
    """
    changed: list[Path] = []
    problems: list[Problem] = []
    for model_cls, path in iter_record_files(root):
        record, found = load_file(model_cls, path, root)
        problems.extend(p for p in found if p.severity == "error")
        if record is None:
            continue
        text = canonical_text(record)
        if path.read_text(encoding="utf-8") != text:
            changed.append(path)
            if not check:
                tmp = path.with_name(f".{path.name}.tmp")
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
    return changed, problems
