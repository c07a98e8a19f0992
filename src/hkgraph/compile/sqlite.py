"""Compile a :class:`~hkgraph.records.load.Dataset` into a SQLite database with sqlite-utils.

One table per kind (primary key = id), declared foreign keys, many-to-many link tables for the typed
links of tips, FTS5 over tips (and over entity names and aliases), and views for common questions.
Column descriptions are the pydantic field descriptions (see :func:`column_descriptions`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
from pydantic import BaseModel

from ..records import model as m
from ..records.load import Dataset
from .rdf import page_iri, parameter_values

# Entity kind → table name, in an order where every referenced table comes first.
ENTITY_TABLES: dict[str, str] = {
    "person": "people",
    "repo": "repos",
    "node": "nodes",
    "parameter": "parameters",
    "model": "models",
    "hardware": "hardware",
    "concept": "concepts",
}
KIND_TABLE = {**ENTITY_TABLES, "tip": "tips", "value": "parameter_values"}
# Tip link field → (link table, column of the linked id, the linked table)
LINK_TABLES: dict[str, tuple[str, str, str]] = {
    "nodes": ("tip_nodes", "node_id", "nodes"),
    "parameters": ("tip_parameters", "parameter_id", "parameters"),
    "values": ("tip_values", "value_id", "parameter_values"),
    "repos": ("tip_repos", "repo_id", "repos"),
    "models": ("tip_models", "model_id", "models"),
    "hardware": ("tip_hardware", "hardware_id", "hardware"),
    "people": ("tip_people", "person_id", "people"),
    "concepts": ("tip_concepts", "concept_id", "concepts"),
}
# Entity fields kept in tables of their own rather than as columns.
_SPLIT_FIELDS = {"files", "broader", "related"}


def _column_type(annotation: Any) -> type:
    base = m.base_type(annotation)
    if base is float:
        return float
    if base is int:
        return int
    return str


def _entity_columns(model_cls: type[m.Entity]) -> dict[str, type]:
    return {
        name: _column_type(info.annotation)
        for name, info in model_cls.model_fields.items()
        if name not in _SPLIT_FIELDS
    }


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
        if extra.get("ref") and name not in _SPLIT_FIELDS:
            fks.append((name, ENTITY_TABLES[str(extra["ref"])], "id"))
    return fks


def to_sqlite(dataset: Dataset, db_path: Path) -> None:
    """Write the whole dataset into a new SQLite file at ``db_path``."""
    if db_path.exists():
        db_path.unlink()
    conn = sqlite3.connect(str(db_path))
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    with conn:
        _write_entities(db, dataset)
        _write_tips(db, dataset)
        _write_search(db)
        _write_views(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("VACUUM")
    conn.close()


def _write_entities(db: sqlite_utils.Database, dataset: Dataset) -> None:
    for kind, table in ENTITY_TABLES.items():
        model_cls = m.ENTITY_KINDS[kind]
        columns = _entity_columns(model_cls)
        db[table].create(columns, pk="id", foreign_keys=_entity_fks(model_cls))  # type: ignore[union-attr]
        rows = (
            {name: _cell(getattr(e, name)) for name in columns}
            for e in sorted(dataset.entities[kind].values(), key=lambda e: e.id)
        )
        db[table].insert_all(rows, batch_size=2000)  # type: ignore[union-attr]

    db["model_files"].create(  # type: ignore[union-attr]
        {"id": str, "model_id": str, "name": str, "precision": str, "url": str},
        pk="id", foreign_keys=[("model_id", "models", "id")],
    )
    db["model_files"].insert_all(  # type: ignore[union-attr]
        {"id": f"{mod.id}/{f.name}", "model_id": mod.id, "name": f.name, "precision": f.precision, "url": f.url}
        for mod in dataset.entities["model"].values() for f in mod.files  # type: ignore[attr-defined]
    )
    for rel in ("broader", "related"):
        name = f"concept_{rel}"
        db[name].create(  # type: ignore[union-attr]
            {"concept_id": str, f"{rel}_id": str}, pk=("concept_id", f"{rel}_id"),
            foreign_keys=[("concept_id", "concepts", "id"), (f"{rel}_id", "concepts", "id")],
        )
        db[name].insert_all(  # type: ignore[union-attr]
            {"concept_id": c.id, f"{rel}_id": other}
            for c in dataset.entities["concept"].values() for other in getattr(c, rel)
        )
    db["parameter_values"].create(  # type: ignore[union-attr]
        {"id": str, "parameter_id": str, "value": str, "position": int, "allowed": int},
        pk="id", foreign_keys=[("parameter_id", "parameters", "id")],
    )
    db["parameter_values"].insert_all(parameter_value_rows(dataset))  # type: ignore[union-attr]


def parameter_value_rows(dataset: Dataset) -> Iterator[dict[str, Any]]:
    """The rows of parameter_values, in order (they derive from several records at once)."""
    for (pid, v), pos in sorted(parameter_values(dataset).items()):
        yield {"id": f"{pid}={v}", "parameter_id": pid, "value": v, "position": pos, "allowed": int(pos is not None)}


def _write_tips(db: sqlite_utils.Database, dataset: Dataset) -> None:
    tips = sorted(dataset.tips.values(), key=lambda t: t.id)
    db["tips"].create(  # type: ignore[union-attr]
        {
            "id": str, "title": str, "summary": str, "kind": str, "certainty": str, "date": str,
            "page": str, "section": str, "excerpt": str, "quotes_text": str, "tags": str, "source_url": str,
        },
        pk="id",
    )
    db["tips"].insert_all(  # type: ignore[union-attr]
        (
            {
                "id": t.id, "title": t.title, "summary": t.summary, "kind": t.kind, "certainty": t.certainty,
                "date": _cell(t.source.date), "page": t.source.page, "section": t.source.section,
                "excerpt": t.source.excerpt, "quotes_text": "\n".join(q.text for q in t.quotes) or None,
                "tags": _cell(list(t.tags)), "source_url": page_iri(t.source.page).value,
            }
            for t in tips
        ),
        batch_size=2000,
    )
    for field, (table, column, other) in LINK_TABLES.items():
        db[table].create(  # type: ignore[union-attr]
            {"tip_id": str, column: str}, pk=("tip_id", column),
            foreign_keys=[("tip_id", "tips", "id"), (column, other, "id")],
        )
        db[table].insert_all(  # type: ignore[union-attr]
            ({"tip_id": t.id, column: target} for t in tips for target in getattr(t, field)), batch_size=5000
        )
        # The primary key serves "what does this tip link"; this index serves "which tips link this entity".
        db[table].create_index([column, "tip_id"])  # type: ignore[union-attr]
    db["tip_tags"].create({"tip_id": str, "tag": str}, pk=("tip_id", "tag"),  # type: ignore[union-attr]
                          foreign_keys=[("tip_id", "tips", "id")])
    db["tip_tags"].insert_all({"tip_id": t.id, "tag": tag} for t in tips for tag in t.tags)  # type: ignore[union-attr]
    db["tip_tags"].create_index(["tag", "tip_id"])  # type: ignore[union-attr]
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
            "id": str, "tip_id": str, "parameter_id": str, "value": str, "values": str, "min": float,
            "max": float, "direction": str, "advice": str, "condition": str, "node_id": str, "model_id": str, "hardware_id": str,
        },
        pk="id",
        foreign_keys=[
            ("tip_id", "tips", "id"), ("parameter_id", "parameters", "id"), ("node_id", "nodes", "id"),
            ("model_id", "models", "id"), ("hardware_id", "hardware", "id"),
        ],
    )
    db["settings"].insert_all(  # type: ignore[union-attr]
        {
            "id": f"{t.id}-{i}", "tip_id": t.id, "parameter_id": s.parameter, "value": s.value,
            "values": _cell(list(s.values)), "min": s.range.min if s.range else None,
            "max": s.range.max if s.range else None, "direction": s.direction, "advice": s.advice, "condition": s.condition,
            "node_id": s.node, "model_id": s.model, "hardware_id": s.hardware,
        }
        for t in tips for i, s in enumerate(t.settings, 1)
    )
    db["relations"].create(  # type: ignore[union-attr]
        {"tip_id": str, "type": str, "other_tip_id": str}, pk=("tip_id", "type", "other_tip_id"),
        foreign_keys=[("tip_id", "tips", "id"), ("other_tip_id", "tips", "id")],
    )
    db["relations"].insert_all(  # type: ignore[union-attr]
        {"tip_id": t.id, "type": r.type, "other_tip_id": r.tip} for t in tips for r in t.relations
    )


def _write_search(db: sqlite_utils.Database) -> None:
    db["tips"].enable_fts(  # type: ignore[union-attr]
        ["title", "summary", "excerpt", "quotes_text"], fts_version="FTS5", tokenize="porter"
    )
    for table in ENTITY_TABLES.values():
        db[table].enable_fts(["name", "aliases", "description"], fts_version="FTS5")  # type: ignore[union-attr]


VIEWS: dict[str, str] = {
    "tip_links": "\n    UNION ALL\n".join(
        f"SELECT tip_id, '{field}' AS link, {column} AS entity_id FROM {table}"
        for field, (table, column, _other) in LINK_TABLES.items()
    ),
    "entities": "\n    UNION ALL\n".join(
        f"SELECT '{kind}' AS kind, id, name, aliases, description FROM {table}"
        for kind, table in ENTITY_TABLES.items()
    ),
    "advice": """
SELECT settings.id, settings.tip_id, tips.title AS tip_title, settings.parameter_id,
       parameters.name AS parameter, COALESCE(settings.node_id, parameters.node) AS node_id,
       nodes.name AS node, settings.advice,
       COALESCE(settings.value,
                (SELECT group_concat(j.value, ', ') FROM json_each(settings."values") AS j),
                CASE WHEN settings.min IS NOT NULL AND settings.max IS NOT NULL
                          THEN printf('%g to %g', settings.min, settings.max)
                     WHEN settings.min IS NOT NULL THEN printf('at least %g', settings.min)
                     WHEN settings.max IS NOT NULL THEN printf('at most %g', settings.max) END,
                settings.direction) AS advised,
       settings.value, settings."values", settings.min, settings.max, settings.direction,
       settings.condition, settings.model_id, settings.hardware_id
FROM settings
JOIN tips ON tips.id = settings.tip_id
JOIN parameters ON parameters.id = settings.parameter_id
LEFT JOIN nodes ON nodes.id = COALESCE(settings.node_id, parameters.node)""",
    "node_overview": """
SELECT nodes.id, nodes.name, nodes.class_name, nodes.repo, repos.name AS repo_name,
       (SELECT count(*) FROM tip_nodes WHERE tip_nodes.node_id = nodes.id) AS tips,
       (SELECT count(*) FROM parameters WHERE parameters.node = nodes.id) AS parameters
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
            name: info.description or "" for name, info in model_cls.model_fields.items() if name not in _SPLIT_FIELDS
        }

    def d(cls: type[BaseModel], name: str) -> str:
        return cls.model_fields[name].description or ""

    out["tips"] = {
        **{n: d(m.Tip, n) for n in ("id", "title", "summary", "kind", "certainty", "tags")},
        **{n: d(m.Source, n) for n in ("page", "section", "date", "excerpt")},
        "quotes_text": "The text of the tip's quotes, one per line (for full-text search).",
        "source_url": "The published address of the source page.",
    }
    return out


# Descriptions of every table, view and column (Datasette metadata and release data dictionary).
TABLE_DESCRIPTIONS: dict[str, str] = {
    "tips": m.Tip.__doc__ or "",
    **{table: m.ENTITY_KINDS[kind].__doc__ or "" for kind, table in ENTITY_TABLES.items()},
    "model_files": m.ModelFile.__doc__ or "",
    "concept_broader": "Concepts and their more general concepts (SKOS broader).",
    "concept_related": "Pairs of related concepts (SKOS related).",
    "parameter_values": (
        "Every value of a parameter the data names: the allowed values of closed lists (with their "
        "position) and the values tips and settings talk about."
    ),
    **{table: f"Links from tips to the {other} they name ({field})." for field, (table, _c, other)
       in LINK_TABLES.items()},
    "tip_tags": "The user concerns each tip speaks to, one row per tip and tag.",
    "quotes": m.Quote.__doc__ or "",
    "settings": m.Setting.__doc__ or "",
    "relations": m.Relation.__doc__ or "",
    "tip_links": "Every typed link of every tip in one list (a view over the tip_* tables).",
    "entities": "Every entity of the vocabulary in one list, whatever its kind (a view).",
    "advice": "Settings with their tip, parameter and node names resolved (a view).",
    "node_overview": "Nodes with their pack and the number of tips and parameters about them (a view).",
}


def _d(cls: type[BaseModel], name: str) -> str:
    return cls.model_fields[name].description or ""


def column_descriptions() -> dict[str, dict[str, str]]:
    """table or view → column → description, for every table and view hkgraph.db holds."""
    out = _field_columns()
    tip = "The tip (a tip id)."
    out["model_files"] = {
        "id": "`<model id>/<file name>`.",
        "model_id": "The model the file belongs to (a model id).",
        **{n: _d(m.ModelFile, n) for n in ("name", "precision", "url")},
    }
    for rel in ("broader", "related"):
        out[f"concept_{rel}"] = {"concept_id": "The concept (a concept id).", f"{rel}_id": _d(m.Concept, rel)}
    out["parameter_values"] = {
        "id": "`<parameter id>=<value>`, the form tips use in `values`.",
        "parameter_id": "The parameter (a parameter id).",
        "value": "The value, spelled as the node shows it.",
        "position": "Its position in the parameter's closed list of values (from 0); empty when not on one.",
        "allowed": "1 when the value is on the parameter's closed list, 0 when only tips name it.",
    }
    for field, (table, column, _other) in LINK_TABLES.items():
        out[table] = {"tip_id": tip, column: _d(m.Tip, field)}
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
        "value": _d(m.Setting, "value"),
        "values": _d(m.Setting, "values") + " Stored as a JSON list.",
        "min": _d(m.Range, "min"),
        "max": _d(m.Range, "max"),
        "direction": _d(m.Setting, "direction"),
        "advice": _d(m.Setting, "advice"),
        "condition": _d(m.Setting, "condition"),
        "node_id": _d(m.Setting, "node"),
        "model_id": _d(m.Setting, "model"),
        "hardware_id": _d(m.Setting, "hardware"),
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
    }
    out["entities"] = {
        "kind": "The entity's kind: " + ", ".join(ENTITY_TABLES) + ".",
        "id": _d(m.Entity, "id"),
        "name": _d(m.Entity, "name"),
        "aliases": _d(m.Entity, "aliases") + " Stored as a JSON list.",
        "description": _d(m.Entity, "description"),
    }
    out["advice"] = {
        **{k: out["settings"][k] for k in ("id", "tip_id", "parameter_id", "advice", "value", "values", "min",
                                           "max", "direction", "condition", "model_id", "hardware_id")},
        "advised": "What the advice is about, in one text: the value, the values, the range or the direction.",
        "tip_title": _d(m.Tip, "title"),
        "parameter": "The parameter's name as the node shows it.",
        "node_id": "The node the advice is about: the setting's own node, else the parameter's node.",
        "node": "That node's display name.",
    }
    out["node_overview"] = {
        **{k: out["nodes"][k] for k in ("id", "name", "class_name", "repo")},
        "repo_name": "The name of the repository that provides the node.",
        "tips": "How many tips name the node.",
        "parameters": "How many parameters the node has in the data.",
    }
    for columns in out.values():
        for name in [n for n in columns if n in ("aliases", "urls", "handles", "inputs", "allowed_values", "tags")]:
            if "JSON list" not in columns[name]:
                columns[name] += " Stored as a JSON list."
    return out
