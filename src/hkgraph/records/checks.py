"""Integrity checks across records: references resolve, values are allowed, links are complete.

Each check yields :class:`~hkgraph.records.problems.Problem` objects; :func:`check_dataset` runs them all.
Used by ``hkgraph validate``, by the build and by the tests.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from . import model as m
from .load import Dataset
from .problems import Problem, did_you_mean
from .yamlio import FieldPath


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in typing.get_args(annotation))


_REF_FIELDS: dict[type, list[tuple[str, str | None]]] = {}


def _ref_fields(model_cls: type[BaseModel]) -> list[tuple[str, str | None]]:
    """(field, referenced kind) for the fields of a model that hold references or nested records."""
    found = _REF_FIELDS.get(model_cls)
    if found is None:
        found = []
        for name, info in model_cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            kind = extra.get("ref")
            if kind or _holds_model(info.annotation):
                found.append((name, str(kind) if kind else None))
        _REF_FIELDS[model_cls] = found
    return found


def iter_refs(record: BaseModel, path: FieldPath = ()) -> Iterator[tuple[FieldPath, str, str]]:
    """Every reference in ``record``: (field path, entity kind, id)."""
    for name, kind in _ref_fields(type(record)):
        value = getattr(record, name)
        if value is None:
            continue
        if isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from iter_refs(item, (*path, name, i))
                elif kind:
                    yield (*path, name, i), kind, item
        elif isinstance(value, BaseModel):
            yield from iter_refs(value, (*path, name))
        elif kind:
            yield (*path, name), kind, value


def _value_problem(dataset: Dataset, parameter_id: str, value: str) -> str | None:
    parameter = dataset.entities["parameter"].get(parameter_id)
    if parameter is None:
        return None  # reported as an unknown parameter
    allowed = parameter.allowed_values  # type: ignore[attr-defined]
    if allowed and value not in allowed:
        return (
            f"'{value}' is not an allowed value of parameter '{parameter_id}' "
            f"({', '.join(allowed)}){did_you_mean(value, allowed)}"
        )
    return None


def check_references(dataset: Dataset) -> Iterator[Problem]:
    """Every reference names an existing entity (or tip); value references name an allowed value."""
    records: list[tuple[str, str, BaseModel]] = [("tip", k, v) for k, v in dataset.tips.items()]
    for kind, table in dataset.entities.items():
        records.extend((kind, ident, record) for ident, record in table.items())
    for kind, ident, record in records:
        for path, target_kind, target in iter_refs(record):
            if target_kind == "value":
                parameter_id, value = m.split_value_ref(target)
                if parameter_id not in dataset.entities["parameter"]:
                    hint = did_you_mean(parameter_id, dataset.entities["parameter"])
                    yield dataset.problem_at(kind, ident, path, f"unknown parameter '{parameter_id}'{hint}")
                elif message := _value_problem(dataset, parameter_id, value):
                    yield dataset.problem_at(kind, ident, path, message)
                continue
            table = dataset.tips if target_kind == "tip" else dataset.entities[target_kind]
            if target not in table:
                yield dataset.problem_at(
                    kind, ident, path, f"unknown {target_kind} '{target}'{did_you_mean(target, table)}"
                )
            elif target_kind == kind and target == ident:
                yield dataset.problem_at(kind, ident, path, f"a {kind} cannot refer to itself")


def check_settings(dataset: Dataset) -> Iterator[Problem]:
    """Setting values are allowed values of their parameter; the parameter is linked from the tip."""
    for ident, tip in dataset.tips.items():
        for i, setting in enumerate(tip.settings):
            base = ("settings", i)
            if setting.value is None and not setting.values and setting.range is None and setting.direction is None:
                yield dataset.problem_at("tip", ident, base, "a setting needs a value, values, a range or a direction")
            if setting.value is not None and setting.values:
                yield dataset.problem_at("tip", ident, (*base, "values"), "give either value or values, not both")
            given = [((*base, "value"), setting.value)] if setting.value is not None else []
            given += [((*base, "values", j), v) for j, v in enumerate(setting.values)]
            for path, value in given:
                if message := _value_problem(dataset, setting.parameter, value):
                    yield dataset.problem_at("tip", ident, path, message)
            if setting.parameter not in tip.parameters:
                yield dataset.problem_at(
                    "tip", ident, (*base, "parameter"),
                    f"parameter '{setting.parameter}' is advised on but not listed in the tip's parameters",
                )


def check_lists(dataset: Dataset) -> Iterator[Problem]:
    """No id is listed twice in one list."""
    for ident, tip in dataset.tips.items():
        for name in ("nodes", "parameters", "values", "repos", "models", "hardware", "people", "concepts", "tags"):
            seen: set[str] = set()
            for i, item in enumerate(getattr(tip, name)):
                if item in seen:
                    yield dataset.problem_at("tip", ident, (name, i), f"'{item}' is listed twice")
                seen.add(item)


_QUOTE_MARKER = re.compile(r"^\s*>\s?", flags=re.MULTILINE)


def _normalise(text: str) -> str:
    if ">" in text:
        text = _QUOTE_MARKER.sub("", text)
    return " ".join(text.split())


def check_quotes(dataset: Dataset) -> Iterator[Problem]:
    """A quote's words stand in the tip's excerpt; a quoted person is linked from the tip."""
    for ident, tip in dataset.tips.items():
        excerpt = _normalise(tip.source.excerpt)
        for i, quote in enumerate(tip.quotes):
            if _normalise(quote.text) not in excerpt:
                yield dataset.problem_at(
                    "tip", ident, ("quotes", i, "text"), "quote text does not appear in the excerpt",
                    severity="warning",
                )
            if quote.person and quote.person not in tip.people:
                yield dataset.problem_at(
                    "tip", ident, ("quotes", i, "person"),
                    f"person '{quote.person}' is quoted but not listed in the tip's people",
                )


def check_aliases(dataset: Dataset) -> Iterator[Problem]:
    """Within a kind, no name or alias belongs to two entities (search would be ambiguous)."""
    for kind, table in dataset.entities.items():
        owner: dict[str, str] = {}
        for ident, entity in table.items():
            scope = getattr(entity, "node", None) if kind == "parameter" else None
            for i, label in enumerate([entity.name, *entity.aliases]):
                key = f"{scope}\0{label.casefold()}"
                other = owner.setdefault(key, ident)
                if other != ident:
                    path: FieldPath = ("name",) if i == 0 else ("aliases", i - 1)
                    yield dataset.problem_at(
                        kind, ident, path, f"'{label}' is also a name or alias of {kind} '{other}'",
                        severity="warning",
                    )


CHECKS: tuple[Any, ...] = (check_references, check_settings, check_lists, check_quotes, check_aliases)


def check_dataset(dataset: Dataset) -> list[Problem]:
    """Run every check; returns the load problems plus the integrity problems, sorted."""
    problems = list(dataset.problems)
    for check in CHECKS:
        problems.extend(check(dataset))
    return sorted(set(problems))
