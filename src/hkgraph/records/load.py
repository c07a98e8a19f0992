"""Load data/entries/ and data/entities/ into validated models, collecting every problem.

The result is a :class:`Dataset`; problems carry ``path:line:col: field.path: message``. Files are
parsed with :mod:`hkgraph.records.yamlio` and validated with the pydantic models of :mod:`hkgraph.records.model`.
"""

from __future__ import annotations

import gc
import typing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import model as m
from .problems import Problem, did_you_mean
from .yamlio import FieldPath, Located, format_path, read_yaml

ENTRIES_DIR = Path("data") / "entries"
ENTITIES_DIR = Path("data") / "entities"

_ALL_FIELDS = sorted(
    {name for cls in (m.Tip, m.Source, m.Quote, m.Setting, m.Range, m.Relation, m.Schedule, m.ScheduleEntry, m.Steps,
      *m.ENTITY_MODELS)
     for name in cls.model_fields}
)


@dataclass
class Dataset:
    """Every validated record, by kind and id, and the file each came from."""

    root: Path
    tips: dict[str, m.Tip] = field(default_factory=dict)
    entities: dict[str, dict[str, m.Entity]] = field(
        default_factory=lambda: {kind: {} for kind in m.ENTITY_KINDS}
    )
    files: dict[tuple[str, str], Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    file_count: int = 0

    def __getattr__(self, name: str) -> dict[str, Any]:
        # dataset.nodes, dataset.parameters, … for the entity kinds
        for model_cls in m.ENTITY_MODELS:
            if model_cls.folder == name:
                return self.entities[model_cls.kind_name]
        raise AttributeError(name)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def path_of(self, kind: str, ident: str) -> Path:
        return self.files[(kind, ident)]

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def problem_at(
        self, kind: str, ident: str, path: FieldPath, message: str, *, severity: str = "error", key: bool = False
    ) -> Problem:
        """A problem at a field of a loaded record (the file is parsed again to find the line)."""
        file = self.files[(kind, ident)]
        line, col = _locate(file, path, key)
        return Problem(self.rel(file), line, col, format_path(path), message, severity)  # type: ignore[arg-type]


_LOCATE_CACHE: dict[Path, Located] = {}


def _locate(file: Path, path: FieldPath, key: bool) -> tuple[int, int]:
    located = _LOCATE_CACHE.get(file)
    if located is None:
        located = _LOCATE_CACHE[file] = read_yaml(file)
    return located.locate(path, key=key)


def _name(path: Path) -> str:
    return path.name  # sorting by name: Path objects compare ~10x slower


def iter_record_files(root: Path) -> Iterator[tuple[type[BaseModel], Path]]:
    """Every record file under ``root`` with the model it must satisfy, in a stable order."""
    entries = root / ENTRIES_DIR
    if entries.is_dir():
        for path in sorted(entries.iterdir(), key=_name):
            yield m.Tip, path
    entities = root / ENTITIES_DIR
    if entities.is_dir():
        for folder in sorted(entities.iterdir(), key=_name):
            if folder.name == "README.md" or folder.name.startswith("."):
                continue
            model_cls = m.FOLDER_KINDS.get(folder.name)
            if model_cls is None or not folder.is_dir():
                yield BaseModel, folder  # reported as misplaced
                continue
            for path in sorted(folder.iterdir(), key=_name):
                yield model_cls, path


def _fields_at(model_cls: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the (nested) model at ``loc`` under ``model_cls``; all fields when unknown."""
    current: Any = model_cls
    for part in loc:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if info is None:
            return _ALL_FIELDS
        current = next((a for a in _flatten(info.annotation) if isinstance(a, type) and issubclass(a, BaseModel)),
                       None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return _ALL_FIELDS


def _flatten(annotation: Any) -> list[Any]:
    args = typing.get_args(annotation)
    return [annotation] if not args else [x for a in args for x in _flatten(a)]


def _pydantic_message(err: dict[str, Any], model_cls: type[BaseModel] = BaseModel) -> str:
    kind = err["type"]
    value = err.get("input")
    loc = err["loc"]
    if kind == "extra_forbidden":
        fields = _fields_at(model_cls, tuple(loc[:-1])) if model_cls is not BaseModel else _ALL_FIELDS
        return f"unknown field '{loc[-1]}'{did_you_mean(str(loc[-1]), fields)}"
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        expected = err["ctx"]["expected"].replace("'", "")
        choices = [c.strip() for c in expected.replace(" or ", ", ").split(",")]
        return f"'{value}' is not one of: {', '.join(choices)}{did_you_mean(str(value), choices)}"
    if kind == "string_pattern_mismatch":
        pattern = err["ctx"]["pattern"]
        if pattern == m.SLUG_PATTERN:
            return f"'{value}' is not a kebab-case id (lower-case letters, digits and single hyphens)"
        if pattern == m.VALUE_REF_PATTERN:
            return f"'{value}' is not a value reference of the form <parameter-id>=<value>"
        if "\\n" in pattern:
            return "must be a single line"
        return f"'{value}' does not match {pattern}"
    if kind.startswith("date"):
        return f"'{value}' is not a valid date (write YYYY-MM-DD)"
    if kind in {"string_type", "list_type", "dict_type", "model_type", "float_type", "float_parsing"}:
        expected = {
            "string_type": "text",
            "list_type": "a list",
            "dict_type": "a mapping",
            "model_type": "a mapping",
            "float_type": "a number",
            "float_parsing": "a number",
        }[kind]
        return f"expected {expected}, got {type(value).__name__} {value!r}"[:200]
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {err['ctx']['min_length']} item(s)"
    if kind in {"finite_number"}:
        return f"expected a finite number, got {value!r}"
    return str(err["msg"])


def load_file(model_cls: type[BaseModel], path: Path, root: Path) -> tuple[Any | None, list[Problem]]:
    """Parse and validate one record file."""
    rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
    if model_cls is BaseModel:
        expected = ", ".join(sorted(m.FOLDER_KINDS))
        return None, [Problem(rel, 1, 1, "", f"not an entity folder; entities live in one of: {expected}")]
    outside = _outside_data(path, root)
    if outside:
        return None, [Problem(rel, 1, 1, "", outside)]
    if path.suffix != ".yaml" or not path.is_file():
        if path.name.startswith(".") or path.name == "README.md":
            return None, []
        return None, [Problem(rel, 1, 1, "", "not a record file: records are files named <id>.yaml")]
    try:
        located = read_yaml(path)
    except OSError as exc:
        return None, [Problem(rel, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]
    problems = [Problem(rel, p.line, p.col, format_path(p.field), p.message) for p in located.problems]
    data = located.data
    if problems:
        return None, problems
    if not isinstance(data, dict):
        return None, [Problem(rel, 1, 1, "", f"expected a mapping of fields, got {type(data).__name__}")]
    try:
        record = model_cls.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = tuple(err["loc"])
            line, col = located.locate(loc, key=err["type"] == "extra_forbidden")
            problems.append(Problem(rel, line, col, format_path(loc), _pydantic_message(err, model_cls)))
        return None, problems
    if record.id != path.stem:  # type: ignore[attr-defined]
        line, col = located.locate(("id",))
        problems.append(
            Problem(rel, line, col, "id", f"id '{record.id}' differs from the file name '{path.stem}.yaml'")  # type: ignore[attr-defined]
        )
    return record, problems


def _outside_data(path: Path, root: Path) -> str | None:
    """Why ``path`` (a symbolic link, or under one) may not be read as a record, or None."""
    if not path.is_symlink() and not any(p.is_symlink() for p in path.parents if p.is_relative_to(root)):
        return None
    try:
        target = path.resolve(strict=True)
    except FileNotFoundError:
        return "a symbolic link to nothing (dangling): refused"
    except (RuntimeError, OSError):
        return "a symbolic link that loops: refused"
    data = (root / "data").resolve()
    if not target.is_relative_to(data):
        return f"a symbolic link to {target}, outside data/: refused (records live in data/)"
    return None


LoadFiles = Callable[[list[tuple[type[BaseModel], Path]], Path], Iterable[tuple[Any | None, list[Problem]]]]


def load_dataset(root: Path | str = ".", *, load_files: LoadFiles | None = None) -> Dataset:
    """Load and validate every record under ``root``; problems are collected in ``dataset.problems``.

    :param load_files: parses and validates a list of (model, path) into (record, problems) in the same
        order; the default calls :func:`load_file` on each (the build passes a cached, parallel one).
    """
    root = Path(root).resolve()
    dataset = Dataset(root=root)
    _LOCATE_CACHE.clear()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # validating many small objects: the collector only slows it down
    try:
        files = list(iter_record_files(root))
        results = load_files(files, root) if load_files else (load_file(c, p, root) for c, p in files)
        for (_model_cls, path), (record, problems) in zip(files, results, strict=True):
            dataset.file_count += 1
            dataset.problems.extend(problems)
            if record is None:
                continue
            kind = "tip" if isinstance(record, m.Tip) else record.kind_name
            table = dataset.tips if kind == "tip" else dataset.entities[kind]
            if record.id in table:
                first = dataset.rel(dataset.files[(kind, record.id)])
                dataset.problems.append(
                    Problem(dataset.rel(path), 1, 1, "id", f"duplicate {kind} id '{record.id}' (also in {first})")
                )
                continue
            table[record.id] = record
            dataset.files[(kind, record.id)] = path
    finally:
        if gc_was_enabled:
            gc.enable()
    return dataset
