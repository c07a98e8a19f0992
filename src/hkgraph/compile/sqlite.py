"""Compile a :class:`~hkgraph.records.load.Dataset` into a SQLite database with sqlite-utils.

One table per kind (primary key = id), declared foreign keys, many-to-many link tables for the typed
links of tips, FTS5 over tips (and over entity names and aliases), and views for common questions.
Column descriptions are the pydantic field descriptions (see :func:`column_descriptions`).
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel

from ..records import model as m
from ..records.derive import FIELD_KINDS, Vocabulary, iter_links
from ..records.load import Dataset
from ..records.mentions import normalise, resolver_labels
from ..records.paths import COVERAGE_FILE
from .rdf import parameter_values, section_url, site_url

TIP_INDEXES = ("status", "kind", "certainty", "page", "date")  # faceted and sorted on

# Entity kind → table name, in an order where every referenced table comes first.
ENTITY_TABLES: dict[str, str] = {
    "person": "people",
    "repo": "repos",
    "node": "nodes",
    "parameter": "parameters",
    "model": "models",
    "file": "files",
    "hardware": "hardware",
    "concept": "concepts",
    "page": "pages",
    "workflow": "workflows",
}
KIND_TABLE = {**ENTITY_TABLES, "tip": "tips", "value": "parameter_values"}
# Tip link field → (link table, column of the linked id, the linked table)
LINK_TABLES: dict[str, tuple[str, str, str]] = {
    name: (f"tip_{name}", f"{kind}_id", KIND_TABLE[kind]) for name, kind in FIELD_KINDS.items()
}
# Entity list fields kept in tables of their own: (kind, field) → (table, owner column, target column, target table)
SPLIT_TABLES: dict[tuple[str, str], tuple[str, str, str, str]] = {
    ("concept", "broader"): ("concept_broader", "concept_id", "broader_id", "concepts"),
    ("concept", "related"): ("concept_related", "concept_id", "related_id", "concepts"),
    ("model", "base_models"): ("model_base_models", "model_id", "base_model_id", "models"),
    ("workflow", "pages"): ("workflow_pages", "workflow_id", "page_id", "pages"),
    ("workflow", "nodes"): ("workflow_nodes", "workflow_id", "node_id", "nodes"),
    ("workflow", "files"): ("workflow_files", "workflow_id", "file_id", "files"),
}
# Columns the compiler adds to an entity table: kind → {column: (type, description)}
COMPUTED_COLUMNS: dict[str, dict[str, tuple[type, str]]] = {
    "model": {"family_id": (str, "The family the model belongs to (the nearest family-level ancestor, or itself).")},
    "page": {"url": (str, "The page's address on the source site.")},
}


def _split(kind: str, name: str) -> bool:
    return (kind, name) in SPLIT_TABLES


def _column_type(annotation: Any) -> type:
    base = m.base_type(annotation)
    if base is float:
        return float
    if base is int:
        return int
    return str


def _entity_columns(model_cls: type[m.Entity]) -> dict[str, type]:
    columns = {
        name: _column_type(info.annotation)
        for name, info in model_cls.model_fields.items()
        if not _split(model_cls.kind_name, name)
    }
    columns.update({c: typ for c, (typ, _d) in COMPUTED_COLUMNS.get(model_cls.kind_name, {}).items()})
    return columns


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return json.dumps(value, ensure_ascii=False) if value else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _entity_fks(model_cls: type[m.Entity]) -> list[tuple[str, str, str]]:
    fks = []
    for name, info in model_cls.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("ref") and not _split(model_cls.kind_name, name):
            fks.append((name, ENTITY_TABLES[str(extra["ref"])], "id"))
    return fks


def to_sqlite(dataset: Dataset, db_path: Path, vocab: Vocabulary | None = None) -> None:
    """Write the whole dataset into a new SQLite file at ``db_path``.

    :param vocab: what links derive along; by default the dataset's own (a patch of a few records passes
        the whole dataset's).
    """
    if db_path.exists():
        db_path.unlink()
    conn = sqlite3.connect(str(db_path))
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        _write_entities(db, dataset)
        _write_tips(db, dataset, vocab or Vocabulary.of(dataset))
        write_derived(db, dataset)
        _write_search(db)
        _write_views(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()


def _computed(entity: m.Entity, dataset: Dataset) -> dict[str, Any]:
    if isinstance(entity, m.Model):
        return {"family_id": family_of(entity.id, dataset.entities["model"])}
    if isinstance(entity, m.Page):
        return {"url": site_url(entity.path)}
    return {}


def family_of(ident: str, models: dict[str, Any]) -> str | None:
    """The nearest family-level ancestor of a model (itself when it is one), following parents."""
    seen: set[str] = set()
    current = models.get(ident)
    while current is not None and current.id not in seen:
        if current.level == "family":
            return current.id
        seen.add(current.id)
        current = models.get(current.parent) if current.parent else None
    return None


def _write_entities(db: sqlite_utils.Database, dataset: Dataset) -> None:
    for kind, table in ENTITY_TABLES.items():
        model_cls = m.ENTITY_KINDS[kind]
        columns = _entity_columns(model_cls)
        db[table].create(columns, pk="id", foreign_keys=_entity_fks(model_cls))  # type: ignore[union-attr]
        rows = (
            {**{name: _cell(getattr(e, name)) for name in columns if name in model_cls.model_fields},
             **_computed(e, dataset)}
            for e in sorted(dataset.entities[kind].values(), key=lambda e: e.id)
        )
        db[table].insert_all(rows, batch_size=2000)  # type: ignore[union-attr]
    db["parameters"].create_index(["node"])  # type: ignore[union-attr]  # a node page lists its parameters
    for (kind, name), (table, owner, target, other) in SPLIT_TABLES.items():
        db[table].create(  # type: ignore[union-attr]
            {owner: str, target: str}, pk=(owner, target),
            foreign_keys=[(owner, ENTITY_TABLES[kind], "id"), (target, other, "id")],
        )
        db[table].insert_all(  # type: ignore[union-attr]
            {owner: e.id, target: x} for e in dataset.entities[kind].values() for x in getattr(e, name)
        )
        db[table].create_index([target, owner])  # type: ignore[union-attr]
    db["names"].create(  # type: ignore[union-attr]
        {"kind": str, "entity_id": str, "name": str, "normalized": str, "source": str},
        pk=("kind", "entity_id", "name"),
    )
    db["names"].insert_all(name_rows(dataset), batch_size=5000)  # type: ignore[union-attr]
    db["names"].create_index(["normalized", "kind"])  # type: ignore[union-attr]
    db["parameter_values"].create(  # type: ignore[union-attr]
        {"id": str, "parameter_id": str, "value": str, "position": int, "allowed": int},
        pk="id", foreign_keys=[("parameter_id", "parameters", "id")],
    )


def name_rows(dataset: Dataset) -> Iterator[dict[str, Any]]:
    """One row per way of naming an entity: id, name, aliases, class name, paths, file names."""
    for kind, table in dataset.entities.items():
        for ident, entity in table.items():
            seen: set[str] = set()
            for label, source in resolver_labels(entity):
                if label not in seen:
                    seen.add(label)
                    yield {"kind": kind, "entity_id": ident, "name": label, "normalized": normalise(label),
                           "source": source}


def parameter_value_rows(dataset: Dataset) -> Iterator[dict[str, Any]]:
    """The rows of parameter_values, in order (they derive from several records at once)."""
    for (pid, v), pos in sorted(parameter_values(dataset).items()):
        yield {"id": f"{pid}={v}", "parameter_id": pid, "value": v, "position": pos, "allowed": int(pos is not None)}


def model_ancestor_rows(dataset: Dataset) -> Iterator[dict[str, Any]]:
    """Every model with every model above it (parents, and the base models of LoRAs), with the distance."""
    models = dataset.entities["model"]
    for ident in sorted(models):
        depth = {ident: 0}
        frontier = [ident]
        while frontier:
            nxt = []
            for current in frontier:
                entity = models.get(current)
                if entity is None:
                    continue
                ups = ([entity.parent] if entity.parent else []) + list(entity.base_models)  # type: ignore[attr-defined]
                for up in ups:
                    if up not in depth:
                        depth[up] = depth[current] + 1
                        nxt.append(up)
            frontier = nxt
        for up, d in sorted(depth.items(), key=lambda kv: (kv[1], kv[0])):
            if d:
                yield {"model_id": ident, "ancestor_id": up, "depth": d}


def coverage_rows(root: Path) -> list[dict[str, Any]]:
    """data/coverage.tsv (written by ``hkgraph coverage PAGES --write``), when the project has one."""
    path = root / COVERAGE_FILE
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as f:
        return [
            {"page": r["page"], "content_lines": int(r["content_lines"]), "covered_lines": int(r["covered_lines"]),
             "records": int(r["records"])}
            for r in csv.DictReader(f, delimiter="\t")
        ]


# Tables whose rows follow from several records at once: written whole from the dataset (also by a patch).
def write_derived(db: sqlite_utils.Database, dataset: Dataset) -> None:
    """parameter_values, model_ancestors, coverage, and the tips' status (superseded or current)."""
    conn = db.conn
    for table in ("parameter_values", "model_ancestors", "coverage"):
        if db[table].exists():  # type: ignore[union-attr]
            conn.execute(f"DELETE FROM [{table}]")
    db["parameter_values"].insert_all(parameter_value_rows(dataset))  # type: ignore[union-attr]
    if not db["model_ancestors"].exists():  # type: ignore[union-attr]
        db["model_ancestors"].create(  # type: ignore[union-attr]
            {"model_id": str, "ancestor_id": str, "depth": int}, pk=("model_id", "ancestor_id"),
            foreign_keys=[("model_id", "models", "id"), ("ancestor_id", "models", "id")],
        )
        db["model_ancestors"].create_index(["ancestor_id", "model_id"])  # type: ignore[union-attr]
    db["model_ancestors"].insert_all(model_ancestor_rows(dataset))  # type: ignore[union-attr]
    if not db["coverage"].exists():  # type: ignore[union-attr]
        db["coverage"].create(  # type: ignore[union-attr]
            {"page": str, "page_id": str, "content_lines": int, "covered_lines": int, "records": int},
            pk="page",
        )
    pages = {p.path: pid for pid, p in dataset.entities["page"].items()}  # type: ignore[attr-defined]
    db["coverage"].insert_all(  # type: ignore[union-attr]
        {**row, "page_id": pages.get(row["page"])} for row in coverage_rows(dataset.root)
    )
    conn.execute("UPDATE tips SET status = 'current', superseded_by = NULL")
    conn.execute(
        "UPDATE tips SET status = 'superseded', superseded_by = (SELECT min(r.tip_id) FROM relations r "
        "WHERE r.type = 'supersedes' AND r.other_tip_id = tips.id) "
        "WHERE id IN (SELECT other_tip_id FROM relations WHERE type = 'supersedes')"
    )


def advised_text(s: m.Setting) -> str | None:
    """What a setting advises, in one line: value, values, range, direction, schedule, steps."""
    parts: list[str] = []
    unit = f" {s.unit}" if s.unit else ""
    if s.value is not None:
        parts.append(s.value + unit)
    elif s.values:
        parts.append(", ".join(s.values) + unit)
    elif s.range is not None:
        parts.append(_range_text(s.range) + unit)
    elif s.direction:
        parts.append(s.direction)
    if s.schedule is not None:
        entries = "; ".join(
            f"{e.at}: {e.value if e.value is not None else _range_text(e.range) if e.range else ''}{unit}"
            for e in s.schedule.entries
        )
        parts.append(f"per {s.schedule.per}: {entries}")
    if s.steps is not None:
        parts.append(_steps_text(s.steps))
    return "; ".join(parts) or None


def _steps_text(steps: m.Steps) -> str:
    """`the first 1 step`, `30% to 50% of the steps skipped`, `6 steps in all`."""
    amount = " or ".join(x for x in (_range_text(steps.count), _range_text(steps.fraction, percent=True)) if x)
    if steps.which == "skipped":
        return f"{amount} of the steps skipped" if steps.fraction else f"{amount} steps skipped"
    if steps.which == "total":
        return f"{amount} steps in all" if amount else "all steps"
    return f"the {steps.which} {amount} of the steps" if steps.fraction and not steps.count else \
        f"the {steps.which} {amount} step{'' if amount == '1' else 's'}"


def _range_text(r: m.Range | None, *, percent: bool = False) -> str:
    if r is None:
        return ""

    def f(x: float) -> str:
        return f"{x * 100:g}%" if percent else f"{x:g}"

    if r.min is not None and r.max is not None:
        return f(r.min) if r.min == r.max else f"{f(r.min)} to {f(r.max)}"
    if r.min is not None:
        return f"at least {f(r.min)}"
    return f"at most {f(r.max)}" if r.max is not None else ""


def _write_tips(db: sqlite_utils.Database, dataset: Dataset, vocab: Vocabulary) -> None:
    tips = sorted(dataset.tips.values(), key=lambda t: t.id)
    db["tips"].create(  # type: ignore[union-attr]
        {
            "id": str, "title": str, "summary": str, "kind": str, "certainty": str, "status": str,
            "superseded_by": str, "date": str, "page": str, "page_id": str, "also_on": str, "section": str,
            "section_url": str,
            "excerpt": str, "quotes_text": str, "goals": str, "tags": str, "source_url": str,
        },
        pk="id", foreign_keys=[("page_id", "pages", "id"), ("superseded_by", "tips", "id")],
    )
    db["tips"].insert_all(  # type: ignore[union-attr]
        (
            {
                "id": t.id, "title": t.title, "summary": t.summary, "kind": t.kind, "certainty": t.certainty,
                "status": "current", "superseded_by": None,
                "date": _cell(t.source.date), "page": t.source.page, "page_id": vocab.pages.get(t.source.page),
                "also_on": _cell(list(t.source.also_on)),
                "section": t.source.section, "section_url": section_url(t.source.page, t.source.section),
                "excerpt": t.source.excerpt, "quotes_text": "\n".join(q.text for q in t.quotes) or None,
                "goals": _cell(list(t.goals)), "tags": _cell(list(t.tags)), "source_url": site_url(t.source.page),
            }
            for t in tips
        ),
        batch_size=2000,
    )
    # the columns the tips table is faceted and sorted on: counted and ordered through their indexes
    # (at 100,000 tips a facet or a sort by date over the table's rows takes 100-200 ms, over an index a few)
    for column in TIP_INDEXES:
        db["tips"].create_index([column])  # type: ignore[union-attr]
    links: dict[str, list[dict[str, Any]]] = {name: [] for name in LINK_TABLES}
    for t in tips:
        seen: set[tuple[str, str]] = set()
        for name, target, via in iter_links(t, vocab):
            if (name, target) not in seen:
                seen.add((name, target))
                links[name].append({"tip_id": t.id, LINK_TABLES[name][1]: target, "via": via})
    for field, (table, column, other) in LINK_TABLES.items():
        db[table].create(  # type: ignore[union-attr]
            {"tip_id": str, column: str, "via": str}, pk=("tip_id", column),
            foreign_keys=[("tip_id", "tips", "id"), (column, other, "id")],
        )
        db[table].insert_all(links[field], batch_size=5000)  # type: ignore[union-attr]
        # The primary key serves "what does this tip link"; this index serves "which tips link this entity".
        db[table].create_index([column, "tip_id"])  # type: ignore[union-attr]
    for name, values in (("goals", "goal"), ("tags", "tag")):
        table = f"tip_{name}"
        db[table].create({"tip_id": str, values: str}, pk=("tip_id", values),  # type: ignore[union-attr]
                         foreign_keys=[("tip_id", "tips", "id")])
        db[table].insert_all({"tip_id": t.id, values: v} for t in tips for v in getattr(t, name))  # type: ignore[union-attr]
        db[table].create_index([values, "tip_id"])  # type: ignore[union-attr]
    db["quotes"].create(  # type: ignore[union-attr]
        {"id": str, "tip_id": str, "position": int, "person_id": str, "text": str},
        pk="id", foreign_keys=[("tip_id", "tips", "id"), ("person_id", "people", "id")],
    )
    db["quotes"].insert_all(  # type: ignore[union-attr]
        {"id": f"{t.id}-{i}", "tip_id": t.id, "position": i, "person_id": q.person, "text": q.text}
        for t in tips for i, q in enumerate(t.quotes, 1)
    )
    db["settings"].create(  # type: ignore[union-attr]
        {
            "id": str, "tip_id": str, "parameter_id": str, "advice": str, "advised": str, "value": str,
            "values": str, "min": float, "max": float, "unit": str, "direction": str, "schedule_per": str,
            "steps_which": str, "steps_min_fraction": float, "steps_max_fraction": float, "steps_min_count": float,
            "steps_max_count": float, "condition": str, "node_id": str, "model_id": str, "hardware_id": str,
        },
        pk="id",
        foreign_keys=[
            ("tip_id", "tips", "id"), ("parameter_id", "parameters", "id"), ("node_id", "nodes", "id"),
            ("model_id", "models", "id"), ("hardware_id", "hardware", "id"),
        ],
    )
    db["settings"].insert_all(  # type: ignore[union-attr]
        {
            "id": f"{t.id}-{i}", "tip_id": t.id, "parameter_id": s.parameter, "advice": s.advice,
            "advised": advised_text(s), "value": s.value, "values": _cell(list(s.values)),
            "min": s.range.min if s.range else None, "max": s.range.max if s.range else None, "unit": s.unit,
            "direction": s.direction, "schedule_per": s.schedule.per if s.schedule else None,
            "steps_which": s.steps.which if s.steps else None,
            "steps_min_fraction": s.steps.fraction.min if s.steps and s.steps.fraction else None,
            "steps_max_fraction": s.steps.fraction.max if s.steps and s.steps.fraction else None,
            "steps_min_count": s.steps.count.min if s.steps and s.steps.count else None,
            "steps_max_count": s.steps.count.max if s.steps and s.steps.count else None,
            "condition": s.condition, "node_id": s.node, "model_id": s.model, "hardware_id": s.hardware,
        }
        for t in tips for i, s in enumerate(t.settings, 1)
    )
    # the record pages list a tip's, a node's, a model's or a GPU's settings: each through an index
    for column in ("parameter_id", "tip_id", "node_id", "model_id", "hardware_id"):
        db["settings"].create_index([column])  # type: ignore[union-attr]
    db["schedule_entries"].create(  # type: ignore[union-attr]
        {"id": str, "setting_id": str, "position": int, "at": str, "value": str, "min": float, "max": float,
         "model_id": str},
        pk="id", foreign_keys=[("setting_id", "settings", "id"), ("model_id", "models", "id")],
    )
    db["schedule_entries"].insert_all(  # type: ignore[union-attr]
        {
            "id": f"{t.id}-{i}-{k}", "setting_id": f"{t.id}-{i}", "position": k, "at": e.at, "value": e.value,
            "min": e.range.min if e.range else None, "max": e.range.max if e.range else None, "model_id": e.model,
        }
        for t in tips for i, s in enumerate(t.settings, 1) if s.schedule for k, e in enumerate(s.schedule.entries, 1)
    )
    db["relations"].create(  # type: ignore[union-attr]
        {"tip_id": str, "type": str, "other_tip_id": str}, pk=("tip_id", "type", "other_tip_id"),
        foreign_keys=[("tip_id", "tips", "id"), ("other_tip_id", "tips", "id")],
    )
    db["relations"].insert_all(  # type: ignore[union-attr]
        {"tip_id": t.id, "type": r.type, "other_tip_id": r.tip} for t in tips for r in t.relations
    )
    db["relations"].create_index(["other_tip_id", "type"])  # type: ignore[union-attr]


def _write_search(db: sqlite_utils.Database) -> None:
    db["tips"].enable_fts(  # type: ignore[union-attr]
        ["title", "summary", "excerpt", "quotes_text"], fts_version="FTS5", tokenize="porter"
    )
    for table in ENTITY_TABLES.values():
        db[table].enable_fts(["name", "aliases", "description"], fts_version="FTS5")  # type: ignore[union-attr]


_LINK_UNION = "\n    UNION ALL\n".join(
    f"SELECT tip_id, '{field}' AS link, {column} AS entity_id, via FROM {table}"
    for field, (table, column, _other) in LINK_TABLES.items()
)
VIEWS: dict[str, str] = {
    "tip_links": _LINK_UNION,
    "entities": "\n    UNION ALL\n".join(
        f"SELECT '{kind}' AS kind, id, name, aliases, description FROM {table}"
        for kind, table in ENTITY_TABLES.items()
    ),
    "current_tips": "SELECT * FROM tips WHERE status = 'current'",
    "advice": """
SELECT settings.id, settings.tip_id, tips.title AS tip_title, tips.status AS tip_status, settings.parameter_id,
       parameters.name AS parameter, COALESCE(settings.node_id, parameters.node) AS node_id,
       nodes.name AS node, settings.advice, settings.advised,
       settings.value, settings."values", settings.min, settings.max, settings.unit, settings.direction,
       settings.schedule_per, settings.steps_which, settings.condition, settings.model_id, settings.hardware_id
FROM settings
JOIN tips ON tips.id = settings.tip_id
JOIN parameters ON parameters.id = settings.parameter_id
LEFT JOIN nodes ON nodes.id = COALESCE(settings.node_id, parameters.node)""",
    "node_overview": """
SELECT nodes.id, nodes.name, nodes.class_name, nodes.class_name_status, nodes.repo, repos.name AS repo_name,
       (SELECT count(*) FROM tip_nodes WHERE tip_nodes.node_id = nodes.id AND tip_nodes.via IS NULL) AS tips,
       (SELECT count(*) FROM tip_nodes WHERE tip_nodes.node_id = nodes.id) AS tips_about,
       (SELECT count(*) FROM parameters WHERE parameters.node = nodes.id) AS parameters,
       (SELECT count(*) FROM workflow_nodes WHERE workflow_nodes.node_id = nodes.id) AS workflows
FROM nodes LEFT JOIN repos ON repos.id = nodes.repo""",
}


def _write_views(db: sqlite_utils.Database) -> None:
    for name, sql in VIEWS.items():
        db.create_view(name, sql.strip())


def _field_columns() -> dict[str, dict[str, str]]:
    """Entity tables and tips: column → the pydantic field description."""
    out: dict[str, dict[str, str]] = {}
    for kind, table in ENTITY_TABLES.items():
        model_cls = m.ENTITY_KINDS[kind]
        out[table] = {
            name: info.description or "" for name, info in model_cls.model_fields.items() if not _split(kind, name)
        }
        out[table].update({c: d for c, (_typ, d) in COMPUTED_COLUMNS.get(kind, {}).items()})

    def d(cls: type[BaseModel], name: str) -> str:
        return cls.model_fields[name].description or ""

    out["tips"] = {
        **{n: d(m.Tip, n) for n in ("id", "title", "summary", "kind", "certainty")},
        "status": "current, or superseded when another tip supersedes it (lists and searches show current tips).",
        "superseded_by": "The tip that supersedes this one (a tip id), where one does.",
        **{n: d(m.Source, n) for n in ("date", "page")},
        "page_id": "The source page (a page id).",
        "also_on": d(m.Source, "also_on") + " Stored as a JSON list.",
        "section": d(m.Source, "section"),
        "section_url": "The address of the section on the source site (the page address with the heading's anchor).",
        "excerpt": d(m.Source, "excerpt"),
        "quotes_text": "The text of the tip's quotes, one per line (for full-text search).",
        "goals": d(m.Tip, "goals"),
        "tags": d(m.Tip, "tags"),
        "source_url": "The published address of the source page.",
    }
    return out


_LINK_NOTE = (
    "One row per entity the tip is about: `via` is empty where the tip's excerpt names it, else it says the "
    "named entity (`kind:id`) or setting (`setting:id`) the link was derived from."
)
# Descriptions of every table, view and column (Datasette metadata and release data dictionary).
TABLE_DESCRIPTIONS: dict[str, str] = {
    "tips": m.Tip.__doc__ or "",
    **{table: m.ENTITY_KINDS[kind].__doc__ or "" for kind, table in ENTITY_TABLES.items()},
    "concept_broader": "Concepts and their more general concepts (SKOS broader).",
    "concept_related": "Pairs of related concepts (SKOS related).",
    "model_base_models": "The models a LoRA (or another add-on) is made for.",
    "workflow_pages": "The pages of the site that link to each example workflow.",
    "workflow_nodes": "The nodes of the vocabulary each example workflow uses.",
    "workflow_files": "The model files of the vocabulary each example workflow loads.",
    "model_ancestors": "Every model with each model above it (parents up to the family, and a LoRA's base models).",
    "names": (
        "Every way to name an entity (id, display name, alias, node class name, repo owner/name, path, file "
        "name): the resolver behind the command line, the Python API, the canned queries and the pages."
    ),
    "coverage": "How much of each source page the records cover (from data/coverage.tsv).",
    "parameter_values": (
        "Every value of a parameter the data names: the allowed values of closed lists (with their "
        "position) and the values tips and settings talk about."
    ),
    **{table: f"Links from tips to the {other} they are about ({field}). {_LINK_NOTE}"
       for field, (table, _c, other) in LINK_TABLES.items()},
    "tip_goals": "What a user reading each tip wants to achieve, one row per tip and goal.",
    "tip_tags": "The topics each tip is about, one row per tip and tag.",
    "quotes": m.Quote.__doc__ or "",
    "settings": m.Setting.__doc__ or "",
    "schedule_entries": m.ScheduleEntry.__doc__ or "",
    "relations": m.Relation.__doc__ or "",
    "tip_links": "Every link of every tip in one list, named and derived (a view over the tip_* tables).",
    "entities": "Every entity of the vocabulary in one list, whatever its kind (a view).",
    "current_tips": "The tips no other tip supersedes (a view).",
    "advice": "Settings with their tip, parameter and node names resolved (a view).",
    "node_overview": "Nodes with their pack and the number of tips, parameters and example workflows (a view).",
}


def _d(cls: type[BaseModel], name: str) -> str:
    return cls.model_fields[name].description or ""


def column_descriptions() -> dict[str, dict[str, str]]:
    """table or view → column → description, for every table and view hkgraph.db holds."""
    out = _field_columns()
    tip = "The tip (a tip id)."
    for (kind, name), (table, owner, target, _other) in SPLIT_TABLES.items():
        out[table] = {owner: f"The {kind} (a {kind} id).", target: _d(m.ENTITY_KINDS[kind], name)}
    out["model_ancestors"] = {
        "model_id": "The model (a model id).",
        "ancestor_id": "A model above it (a model id).",
        "depth": "How many steps up: 1 for the parent or a base model.",
    }
    out["names"] = {
        "kind": "The entity's kind.",
        "entity_id": "The entity's id.",
        "name": "One way to name it, as written.",
        "normalized": "The name in lower case with punctuation and spaces made single spaces (what is matched).",
        "source": "Where the name comes from: id, name, alias, class_name, path.",
    }
    out["coverage"] = {
        "page": "The page's path on the site.",
        "page_id": "The page (a page id), where the vocabulary has it.",
        "content_lines": "Lines of the page that carry content (not blank, not headings, not image-only).",
        "covered_lines": "Content lines that some record's excerpt holds.",
        "records": "Records that cite the page.",
    }
    out["parameter_values"] = {
        "id": "`<parameter id>=<value>`, the form tips use in `values`.",
        "parameter_id": "The parameter (a parameter id).",
        "value": "The value, spelled as the node shows it.",
        "position": "Its position in the parameter's closed list of values (from 0); empty when not on one.",
        "allowed": "1 when the value is on the parameter's closed list, 0 when only tips name it.",
    }
    via = "Empty when the excerpt names the entity; else the named entity (`kind:id`) or setting (`setting:id`) it derives from."
    for field, (table, column, _other) in LINK_TABLES.items():
        out[table] = {"tip_id": tip, column: _d(m.Tip, field), "via": via}
    out["tip_goals"] = {"tip_id": tip, "goal": _d(m.Tip, "goals")}
    out["tip_tags"] = {"tip_id": tip, "tag": _d(m.Tip, "tags")}
    out["quotes"] = {
        "id": "`<tip id>-<position>`.",
        "tip_id": tip,
        "position": "Order of the quote within its tip, from 1.",
        "person_id": _d(m.Quote, "person"),
        "text": _d(m.Quote, "text"),
    }
    out["settings"] = {
        "id": "`<tip id>-<position>`.",
        "tip_id": "The tip the advice comes from (a tip id).",
        "parameter_id": _d(m.Setting, "parameter"),
        "advice": _d(m.Setting, "advice"),
        "advised": "What the advice is about, in one text: value, values, range, direction, schedule, steps.",
        "value": _d(m.Setting, "value"),
        "values": _d(m.Setting, "values") + " Stored as a JSON list.",
        "min": _d(m.Range, "min"),
        "max": _d(m.Range, "max"),
        "unit": _d(m.Setting, "unit"),
        "direction": _d(m.Setting, "direction"),
        "schedule_per": _d(m.Schedule, "per") + " (the entries are in schedule_entries)",
        "steps_which": _d(m.Steps, "which"),
        "steps_min_fraction": "Lowest fraction of the steps the advice is about.",
        "steps_max_fraction": "Highest fraction of the steps the advice is about.",
        "steps_min_count": "Lowest number of steps the advice is about.",
        "steps_max_count": "Highest number of steps the advice is about.",
        "condition": _d(m.Setting, "condition"),
        "node_id": _d(m.Setting, "node"),
        "model_id": _d(m.Setting, "model"),
        "hardware_id": _d(m.Setting, "hardware"),
    }
    out["schedule_entries"] = {
        "id": "`<setting id>-<position>`.",
        "setting_id": "The setting (a setting id).",
        "position": "Order within the schedule, from 1.",
        "at": _d(m.ScheduleEntry, "at"),
        "value": _d(m.ScheduleEntry, "value"),
        "min": _d(m.Range, "min"),
        "max": _d(m.Range, "max"),
        "model_id": _d(m.ScheduleEntry, "model"),
    }
    out["relations"] = {
        "tip_id": "The tip the relation starts from (a tip id).",
        "type": _d(m.Relation, "type"),
        "other_tip_id": _d(m.Relation, "tip"),
    }
    out["tip_links"] = {
        "tip_id": tip,
        "link": "Which typed link: " + ", ".join(LINK_TABLES) + ".",
        "entity_id": "The linked entity's id (a parameter value's id is `<parameter id>=<value>`).",
        "via": via,
    }
    out["entities"] = {
        "kind": "The entity's kind: " + ", ".join(ENTITY_TABLES) + ".",
        "id": _d(m.Entity, "id"),
        "name": _d(m.Entity, "name"),
        "aliases": _d(m.Entity, "aliases") + " Stored as a JSON list.",
        "description": _d(m.Entity, "description"),
    }
    out["current_tips"] = dict(out["tips"])
    out["advice"] = {
        **{k: out["settings"][k] for k in ("id", "tip_id", "parameter_id", "advice", "advised", "value", "values",
                                           "min", "max", "unit", "direction", "schedule_per", "steps_which",
                                           "condition", "model_id", "hardware_id")},
        "tip_title": _d(m.Tip, "title"),
        "tip_status": out["tips"]["status"],
        "parameter": "The parameter's name as the node shows it.",
        "node_id": "The node the advice is about: the setting's own node, else the parameter's node.",
        "node": "That node's display name.",
    }
    out["node_overview"] = {
        **{k: out["nodes"][k] for k in ("id", "name", "class_name", "class_name_status", "repo")},
        "repo_name": "The name of the repository that provides the node.",
        "tips": "How many tips name the node.",
        "tips_about": "How many tips are about the node, named or derived (through its parameters and values).",
        "parameters": "How many parameters the node has in the data.",
        "workflows": "How many example workflows of the site use the node.",
    }
    for columns in out.values():
        for name in [n for n in columns if n in ("aliases", "urls", "handles", "inputs", "allowed_values", "tags",
                                                  "goals", "node_classes", "file_names")]:
            if "JSON list" not in columns[name]:
                columns[name] += " Stored as a JSON list."
    return out
