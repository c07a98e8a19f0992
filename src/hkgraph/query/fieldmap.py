"""The record fields as the graph holds them, read without the models.

:class:`~hkgraph.query.kg.KnowledgeGraph` turns the triples of a tip, an entity or a setting back into a
record. For the typed records it validates them with the pydantic models; for the flat rows the command
line prints (``hkgraph tips``, ``entity``, ``settings``) it needs only which predicate holds which field,
whether the field is a list, its default, and the closed lists (kinds, tags, goals, advice). Importing
the models costs more than answering the question, so those facts are derived from the models once and
kept in ``record_fields.json`` beside this module; ``hkgraph schema`` rewrites it and ``hkgraph schema
--check`` (like a test) fails when it no longer matches the models.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

MAP_FILE = Path(__file__).resolve().parent / "record_fields.json"
# the nested structures a tip or setting is read back with, besides the entity kinds
NESTED = {"tip": "Tip", "source": "Source", "quote": "Quote", "setting": "Setting", "schedule_entry": "ScheduleEntry"}


def generate() -> dict[str, Any]:
    """The map, from the models (imports them)."""
    import typing

    from pydantic_core import to_jsonable_python

    from ..compile.iris import expand
    from ..compile.rdf import field_predicates
    from ..records import model as m

    classes: dict[str, Any] = {name: getattr(m, cls) for name, cls in NESTED.items()}
    classes.update(m.ENTITY_KINDS)
    models: dict[str, list[list[Any]]] = {}
    for name, cls in classes.items():
        predicates = field_predicates(cls)
        fields = []
        for field, info in cls.model_fields.items():
            curie, ref = predicates.get(field, (None, None))
            default = None if info.is_required() else to_jsonable_python(info.get_default(call_default_factory=True))
            fields.append([field, expand(curie) if curie else None, ref,
                           typing.get_origin(info.annotation) is list, info.is_required(), default])
        models[name] = fields
    return {
        "note": "generated from hkgraph.records.model by `hkgraph schema`; do not edit",
        "entity_kinds": list(m.ENTITY_KINDS),
        "tip_kinds": list(m.TIP_KINDS),
        "tags": list(m.TAGS),
        "goals": list(m.GOALS),
        "advice": list(m.Advice.__args__),  # type: ignore[attr-defined]
        "models": models,
    }


def render() -> str:
    """The map as text: one line per list and per field (diffs show what changed)."""
    data = generate()

    def dumps(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in data.items():
        if key != "models":
            lines.append(f" {dumps(key)}: {dumps(value)},")
    lines.append(' "models": {')
    models = list(data["models"].items())
    for i, (name, fields) in enumerate(models):
        lines.append(f"  {dumps(name)}: [")
        lines += [f"   {dumps(f)}{',' if j < len(fields) - 1 else ''}" for j, f in enumerate(fields)]
        lines.append("  ]" + ("," if i < len(models) - 1 else ""))
    lines += [" }", "}"]
    return "\n".join(lines) + "\n"


def write() -> Path:
    MAP_FILE.write_text(render(), encoding="utf-8")
    return MAP_FILE


def drifted() -> bool:
    try:
        return MAP_FILE.read_text(encoding="utf-8") != render()
    except OSError:
        return True


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    return json.loads(MAP_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


class Field:
    """One field of a record: its name, predicate IRI (or None), referenced kind, list or not, default."""

    __slots__ = ("default", "is_list", "name", "predicate", "ref", "required")

    def __init__(self, name: str, predicate: str | None, ref: str | None, is_list: bool, required: bool,
                 default: Any) -> None:
        self.name, self.predicate, self.ref = name, predicate, ref
        self.is_list, self.required, self.default = is_list, required, default


@cache
def fields(model: str) -> tuple[Field, ...]:
    """The fields of ``model`` (an entity kind, or one of :data:`NESTED`), in the model's order."""
    return tuple(Field(*f) for f in load()["models"][model])


@cache
def by_predicate(model: str) -> dict[str, Field]:
    """predicate IRI → field, for the fields of ``model`` that map directly to a predicate."""
    return {f.predicate: f for f in fields(model) if f.predicate}


def vocabulary(name: str) -> tuple[str, ...]:
    """A closed list: ``entity_kinds``, ``tip_kinds``, ``tags``, ``goals`` or ``advice``."""
    return tuple(load()[name])
