"""Integrity checks across records: references resolve, values are allowed, links are complete.

Each check yields :class:`~hkgraph.records.problems.Problem` objects; :func:`check_dataset` runs them all.
Used by ``hkgraph validate``, by the build and by the tests.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Collection, Iterable, Iterator
from typing import Any

from pydantic import BaseModel

from . import model as m
from .derive import Vocabulary
from .load import Dataset
from .mentions import labels, names_any, normalise, value_labels
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


def _tips(dataset: Dataset, only: Collection[str] | None) -> Iterable[tuple[str, m.Tip]]:
    """The tips a check looks at: all, or those of ``only`` (see :func:`check_dataset`)."""
    if only is None:
        return dataset.tips.items()
    return [(ident, dataset.tips[ident]) for ident in sorted(only) if ident in dataset.tips]


def check_references(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """Every reference names an existing entity (or tip); value references name an allowed value."""
    records: list[tuple[str, str, BaseModel]] = [("tip", k, v) for k, v in _tips(dataset, only)]
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


def _range_problems(rng: m.Range | None, low: float | None = None, high: float | None = None) -> Iterator[str]:
    if rng is None:
        return
    if rng.min is None and rng.max is None:
        yield "a range needs min, max or both"
    if rng.min is not None and rng.max is not None and rng.min > rng.max:
        yield f"min {rng.min:g} is greater than max {rng.max:g}"
    for bound in (rng.min, rng.max):
        if bound is not None and ((low is not None and bound < low) or (high is not None and bound > high)):
            yield f"{bound:g} is outside {low:g}..{high:g}"


def check_settings(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """Setting values are allowed values of their parameter; the parameter is linked from the tip;
    a setting says what is advised (value, values, range, direction, schedule or steps)."""
    for ident, tip in _tips(dataset, only):
        for i, setting in enumerate(tip.settings):
            base = ("settings", i)
            if (setting.value is None and not setting.values and setting.range is None and setting.direction is None
                    and setting.schedule is None and setting.steps is None):
                yield dataset.problem_at(
                    "tip", ident, base,
                    "a setting needs a value, values, a range, a direction, a schedule or steps",
                )
            if setting.value is not None and setting.values:
                yield dataset.problem_at("tip", ident, (*base, "values"), "give either value or values, not both")
            for message in _range_problems(setting.range):
                yield dataset.problem_at("tip", ident, (*base, "range"), message)
            given = [((*base, "value"), setting.value)] if setting.value is not None else []
            given += [((*base, "values", j), v) for j, v in enumerate(setting.values)]
            if setting.schedule is not None:
                for j, entry in enumerate(setting.schedule.entries):
                    at = (*base, "schedule", "entries", j)
                    if entry.value is None and entry.range is None:
                        yield dataset.problem_at("tip", ident, at, "a schedule entry needs a value or a range")
                    if entry.value is not None:
                        given.append(((*at, "value"), entry.value))
                    for message in _range_problems(entry.range):
                        yield dataset.problem_at("tip", ident, (*at, "range"), message)
            if setting.steps is not None:
                at = (*base, "steps")
                if setting.steps.fraction is None and setting.steps.count is None and setting.steps.which != "total":
                    yield dataset.problem_at("tip", ident, at, "steps need a fraction or a count")
                for message in _range_problems(setting.steps.fraction, 0.0, 1.0):
                    yield dataset.problem_at("tip", ident, (*at, "fraction"), message)
                for message in _range_problems(setting.steps.count, 0.0):
                    yield dataset.problem_at("tip", ident, (*at, "count"), message)
            for path, value in given:
                if message := _value_problem(dataset, setting.parameter, value):
                    yield dataset.problem_at("tip", ident, path, message)


def check_lists(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """No id is listed twice in one list."""
    for ident, tip in _tips(dataset, only):
        for name in (*LINK_FIELDS, "goals", "tags"):
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


def check_quotes(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """A quote's words stand in the tip's excerpt; a quoted person is linked from the tip."""
    for ident, tip in _tips(dataset, only):
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


def check_aliases(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
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


LINK_FIELDS = ("nodes", "parameters", "values", "repos", "models", "files", "hardware", "people", "concepts",
               "workflows")


def check_nodes(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """A verified node has a class name, and no two nodes claim one class name."""
    owner: dict[str, str] = {}
    for ident, node in dataset.entities["node"].items():
        if node.class_name_status == "verified" and not node.class_name:  # type: ignore[attr-defined]
            yield dataset.problem_at(
                "node", ident, ("class_name_status",),
                "a node without a class name is unverified: set class_name_status: unverified",
            )
        name = node.class_name  # type: ignore[attr-defined]
        if name:
            other = owner.setdefault(name, ident)
            if other != ident:
                yield dataset.problem_at("node", ident, ("class_name",), f"class name '{name}' is also node '{other}'s")


_LEVEL_RANK = {level: rank for rank, level in enumerate(m.MODEL_LEVELS)}


def check_models(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """Parents sit one level up (family → version → variant → expert) and form no cycle; a purpose is a LoRA's."""
    models = dataset.entities["model"]
    for ident, model in models.items():
        parent = models.get(model.parent) if model.parent else None  # type: ignore[attr-defined]
        if model.level == "family" and model.parent:  # type: ignore[attr-defined]
            yield dataset.problem_at("model", ident, ("parent",), "a family has no parent")
        elif parent is not None and model.level and parent.level:  # type: ignore[attr-defined]
            if _LEVEL_RANK[parent.level] >= _LEVEL_RANK[model.level]:  # type: ignore[attr-defined]
                yield dataset.problem_at(
                    "model", ident, ("parent",),
                    f"a {model.level} cannot belong to a {parent.level} ('{parent.id}'): the parent sits a level up",  # type: ignore[attr-defined]
                )
        seen = {ident}
        current = parent
        while current is not None and current.parent:  # type: ignore[attr-defined]
            if current.parent in seen:  # type: ignore[attr-defined]
                yield dataset.problem_at("model", ident, ("parent",), f"parents form a cycle through '{current.id}'")
                break
            seen.add(current.id)
            current = models.get(current.parent)  # type: ignore[attr-defined]
        if model.purpose and model.role != "lora":  # type: ignore[attr-defined]
            yield dataset.problem_at("model", ident, ("purpose",), "only a LoRA has a purpose (role: lora)")


def check_pages(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """Every tip's source page is a page entity (by its path); page paths are unique."""
    paths: dict[str, str] = {}
    for ident, page in dataset.entities["page"].items():
        other = paths.setdefault(page.path, ident)  # type: ignore[attr-defined]
        if other != ident:
            yield dataset.problem_at("page", ident, ("path",), f"path '{page.path}' is also page '{other}'s")  # type: ignore[attr-defined]
    for ident, tip in _tips(dataset, only):
        for path, page in [(("source", "page"), tip.source.page),
                           *((("source", "also_on", i), p) for i, p in enumerate(tip.source.also_on))]:
            if page not in paths:
                yield dataset.problem_at(
                    "tip", ident, path,
                    f"no page entity has the path '{page}' (add data/entities/pages/<id>.yaml)"
                    f"{did_you_mean(page, paths)}",
                )
        if tip.source.page in tip.source.also_on:
            yield dataset.problem_at("tip", ident, ("source", "also_on"), "also_on repeats the tip's own page")


def check_named_links(dataset: Dataset, only: Collection[str] | None = None) -> Iterator[Problem]:
    """Warn where a tip links an entity its excerpt does not name under any of its labels.

    A record lists what its excerpt names; the rest is derived by the compiler. A link the excerpt makes
    in other words (an unambiguous reference) is allowed, hence a warning, not an error.
    """
    vocab = Vocabulary.of(dataset)
    for ident, tip in _tips(dataset, only):
        text = normalise(f"{tip.source.section}\n{tip.source.excerpt}")  # the heading is source text too
        quoted = {q.person for q in tip.quotes if q.person}  # the page attributes the quote: that names them
        for field in LINK_FIELDS:
            kind = "person" if field == "people" else "hardware" if field == "hardware" else field[:-1]
            for i, target in enumerate(getattr(tip, field)):
                if kind == "person" and target in quoted:
                    continue
                if kind == "value":
                    _pid, value = m.split_value_ref(target)
                    candidates = value_labels(value)
                else:
                    entity = dataset.entities[kind].get(target)
                    if entity is None:
                        continue
                    candidates = labels(entity)
                if names_any(text, candidates, normalised=True):
                    continue
                others = tip.model_copy(update={field: [x for j, x in enumerate(getattr(tip, field)) if j != i]})
                via = next((v for k, x, v in vocab.derived(others) if (k, x) == (kind, target)), None)
                advice = (
                    f"it is derived from {via} anyway: remove it" if via else
                    "list only what the excerpt names (or add the spelling it uses as an alias)"
                )
                yield dataset.problem_at(
                    "tip", ident, (field, i),
                    f"the excerpt does not name {kind} '{target}' by any of its names; {advice}",
                    severity="warning",
                )


CHECKS: tuple[Any, ...] = (
    check_references, check_settings, check_lists, check_quotes, check_aliases, check_nodes, check_models,
    check_pages, check_named_links,
)


def check_dataset(dataset: Dataset, only: Collection[str] | None = None) -> list[Problem]:
    """Run every check; returns the load problems plus the integrity problems, sorted.

    :param only: check these tips only (the entities are always checked whole). What a check finds in a
        tip depends on that tip, the entities and the set of tip ids, nothing else: a rebuild in which
        neither of the latter two changed checks the edited tips and keeps what the last build found in
        the others (:func:`hkgraph.compile.build.build`).
    """
    problems = list(dataset.problems)
    for check in CHECKS:
        problems.extend(check(dataset, only))
    return sorted(set(problems))
