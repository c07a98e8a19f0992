"""What the site's record pages show: a tip or an entity as a person reads it, built from the database.

:func:`record_page` gives the template (``row.html`` of the plugin) everything a tip's or an entity's
page shows: its name as the heading, its IRI with links to its RDF, the summary or description, the
excerpt as a quotation with its section link, the settings as a table, what it links to grouped by kind
(named and derived apart when the database has the contract v2 ``via`` column), related tips once, and
what links to it. Sections without rows are left out. Every query is read-only and bounded by the
database's own limits; the tables and columns it uses are looked up, so a database built by an older
or newer contract shows what it has.
"""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from datasette.utils import tilde_encode

from ..compile.rdf import BASE
from .linked_data import FORMAT_LABELS, KIND_TABLES, TABLE_KINDS, iri_of_row, local_href

# Singular, readable names of the tables people see.
TABLE_LABELS: dict[str, tuple[str, str]] = {
    "tips": ("tip", "Tips"), "nodes": ("node", "Nodes"), "parameters": ("parameter", "Parameters"),
    "parameter_values": ("value", "Values"), "repos": ("repo", "Repos"), "models": ("model", "Models"),
    "model_files": ("model file", "Model files"), "files": ("model file", "Model files"),
    "hardware": ("hardware", "Hardware"), "people": ("person", "People"), "concepts": ("concept", "Concepts"),
    "pages": ("source page", "Source pages"), "workflows": ("example workflow", "Example workflows"),
    "settings": ("setting", "Settings"), "quotes": ("quote", "Quotes"),
}
# Columns shown in the heading or the body rather than among the facts.
_SHOWN_ELSEWHERE = {"id", "name", "title", "description", "summary", "excerpt", "quotes_text", "aliases"}
# Tables whose rows reach an entity's page as their own sections, not as "linked from" lists.
_SPECIAL_INCOMING = {"settings", "quotes", "relations", "tip_tags", "tip_goals"}


@dataclass
class Item:
    text: str
    href: str | None = None
    note: str | None = None


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)
    derived: list[Item] = field(default_factory=list)  # "about a part of it" links (contract v2 `via`)
    id: str = ""


@dataclass
class Page:
    kind: str
    kind_label: str
    title: str
    iri: str | None
    formats: list[dict[str, str]]
    json_url: str
    summary: str | None = None
    description: str | None = None
    aliases: list[str] = field(default_factory=list)
    facts: list[tuple[str, Item | list[Item]]] = field(default_factory=list)
    excerpt: str | None = None
    source: Item | None = None
    settings: list[dict[str, Any]] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    notice: str | None = None


class _DB:
    """The few queries a page needs, on one Datasette database."""

    def __init__(self, datasette: Any, database: str) -> None:
        self.datasette = datasette
        self.name = database
        self.db = datasette.get_database(database)
        self._columns: dict[str, list[str]] = {}
        self._fks: dict[str, list[dict[str, Any]]] = {}
        self._tables: set[str] | None = None

    async def tables(self) -> set[str]:
        if self._tables is None:
            self._tables = set(await self.db.table_names()) | set(await self.db.view_names())
        return self._tables

    async def columns(self, table: str) -> list[str]:
        if table not in self._columns:
            self._columns[table] = await self.db.table_columns(table) if table in await self.tables() else []
        return self._columns[table]

    async def fks(self) -> dict[str, list[dict[str, Any]]]:
        """table → its foreign keys (column, other_table, other_column)."""
        if not self._fks:
            for table in await self.db.table_names():
                rows = await self.rows(f"PRAGMA foreign_key_list([{table}])")
                self._fks[table] = [{"column": r["from"], "other_table": r["table"], "other_column": r["to"]}
                                    for r in rows]
        return self._fks

    async def rows(self, sql: str, params: Any = None) -> list[dict[str, Any]]:
        return [dict(r) for r in (await self.db.execute(sql, params or {})).rows]

    def row_url(self, table: str, ident: str) -> str:
        return self.datasette.urls.row(self.name, table, tilde_encode(ident))

    def table_url(self, table: str, **args: str) -> str:
        url = self.datasette.urls.table(self.name, table)
        return url + ("?" + urllib.parse.urlencode(args) if args else "")

    async def label_column(self, table: str) -> str:
        columns = await self.columns(table)
        for name in ("name", "title", "value", "file_name", "path", "text", "file"):
            if name in columns:
                return name
        return "id"


def _formats(datasette: Any, iri: str | None) -> list[dict[str, str]]:
    if iri is None:
        return []
    return [{"label": label, "href": local_href(datasette, iri, name) or ""} for name, label in FORMAT_LABELS.items()]


def _json_list(text: Any) -> list[str]:
    if not text:
        return []
    if isinstance(text, list):
        return [str(x) for x in text]
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return [str(text)]
    return [str(x) for x in value] if isinstance(value, list) else [str(value)]


async def record_page(datasette: Any, database: str, table: str, row_id: str) -> Page | None:
    """The page of one row of an hkgraph table, or None for a table without a record page."""
    db = _DB(datasette, database)
    if table not in await db.tables() or "id" not in await db.columns(table):
        return None
    found = await db.rows(f"SELECT * FROM [{table}] WHERE id = :id", {"id": row_id})
    if not found:
        return None
    row = found[0]
    if table == "tips":
        return await _tip_page(db, row)
    return await _entity_page(db, table, row)


# ------------------------------------------------------------------------------------------- tips


async def _tip_page(db: _DB, row: dict[str, Any]) -> Page:
    tip_id = row["id"]
    iri = iri_of_row("tips", tip_id)
    page = Page(
        kind="tip", kind_label=f"{row.get('kind') or 'tip'} tip", title=row["title"], iri=iri,
        formats=_formats(db.datasette, iri), json_url=db.row_url("tips", tip_id) + ".json",
        summary=row.get("summary"), excerpt=row.get("excerpt"),
    )
    for key in ("date", "certainty"):
        if row.get(key) and not (key == "certainty" and row[key] == "asserted"):
            page.badges.append(str(row[key]))
    if row.get("status") == "superseded":
        page.badges.append("superseded")
        if row.get("superseded_by"):
            newer = await db.rows("SELECT id, title FROM tips WHERE id = :id", {"id": row["superseded_by"]})
            if newer:
                page.notice = "superseded"
                page.facts.append(("Superseded by", Item(newer[0]["title"], db.row_url("tips", newer[0]["id"]))))
    section_url = row.get("section_url") or row.get("source_url")
    where = " § ".join(x for x in (row.get("page") or row.get("page_id"), row.get("section")) if x)
    if where:
        page.source = Item(where, section_url)
    if row.get("page_id") and "pages" in await db.tables():
        page.facts.append(("Source page", Item(await _name(db, "pages", row["page_id"]),
                                               db.row_url("pages", row["page_id"]))))
    page.settings = await _tip_settings(db, tip_id)
    goals = await _tip_values(db, "tip_goals", "goal", tip_id) if "tip_goals" in await db.tables() else []
    if goals:
        page.facts.append(("Goals", [Item(g, await _goal_url(db, g)) for g in goals]))
    tags = _json_list(row.get("tags"))
    if tags:
        page.facts.append(("Topics", [Item(t, db.table_url("tips", _tag=t)) for t in tags]))
    page.sections += await _tip_links(db, tip_id)
    quotes = await _tip_quotes(db, tip_id)
    if quotes:
        page.sections.append(Section("Quotes", quotes, id="quotes"))
    related = await _related_tips(db, tip_id)
    if related:
        page.sections.append(Section("Related tips", related, id="related"))
    return page


async def _goal_url(db: _DB, goal: str) -> str:
    """The tips table filtered to a goal."""
    return db.table_url("tips", _goal=goal)


async def _tip_values(db: _DB, table: str, column: str, tip_id: str) -> list[str]:
    rows = await db.rows(f"SELECT [{column}] AS v FROM [{table}] WHERE tip_id = :id ORDER BY 1", {"id": tip_id})
    return [r["v"] for r in rows]


async def _tip_settings(db: _DB, tip_id: str) -> list[dict[str, Any]]:
    if "advice" not in await db.tables():
        return []
    rows = await db.rows("SELECT * FROM advice WHERE tip_id = :id ORDER BY id", {"id": tip_id})
    out = []
    for r in rows:
        scope = []
        for column, table in (("node_id", "nodes"), ("model_id", "models"), ("hardware_id", "hardware")):
            if r.get(column):
                scope.append(Item(await _name(db, table, r[column]), db.row_url(table, r[column])))
        out.append({
            "parameter": Item(r.get("parameter") or r["parameter_id"], db.row_url("parameters", r["parameter_id"])),
            "advice": r.get("advice"), "value": r.get("advised"), "condition": r.get("condition"),
            "scope": scope,
        })
    return out


async def _name(db: _DB, table: str, ident: str) -> str:
    label = await db.label_column(table)
    rows = await db.rows(f"SELECT [{label}] AS label FROM [{table}] WHERE id = :id", {"id": ident})
    return str(rows[0]["label"]) if rows and rows[0]["label"] is not None else ident


async def _tip_links(db: _DB, tip_id: str) -> list[Section]:
    """One section per kind of entity the tip links to; named links first, derived ones apart."""
    sections = []
    fks = await db.fks()
    for table in sorted(t for t in await db.tables() if t.startswith("tip_") and t in fks):
        targets = [fk for fk in fks[table] if fk["other_table"] != "tips"]
        if len(targets) != 1 or not any(fk["other_table"] == "tips" for fk in fks[table]):
            continue
        column, other = targets[0]["column"], targets[0]["other_table"]
        label = await db.label_column(other)
        has_via = "via" in await db.columns(table)
        via = f"{table}.via" if has_via else "NULL"
        rows = await db.rows(
            f"SELECT [{other}].id AS id, [{other}].[{label}] AS label, {via} AS via FROM [{table}] "
            f"JOIN [{other}] ON [{other}].id = [{table}].[{column}] WHERE [{table}].tip_id = :id "
            f"ORDER BY [{other}].[{label}], [{other}].id", {"id": tip_id},
        )
        if not rows:
            continue
        section = Section(TABLE_LABELS.get(other, (other, other.replace("_", " ").capitalize()))[1], id=table)
        for r in rows:
            note = None
            if other == "parameter_values":  # a value: say whose (the parameter's name)
                note = "of " + await _name(db, "parameters", r["id"].partition("=")[0])
            item = Item(str(r["label"] if r["label"] is not None else r["id"]), db.row_url(other, r["id"]), note)
            if r["via"]:
                kind, _, ident = str(r["via"]).partition(":")
                item.note = f"through {kind} {await _name(db, KIND_TABLES.get(kind, kind), ident)}"
                section.derived.append(item)
            else:
                section.items.append(item)
        sections.append(section)
    return sections


async def _tip_quotes(db: _DB, tip_id: str) -> list[Item]:
    if "quotes" not in await db.tables():
        return []
    rows = await db.rows(
        "SELECT quotes.text, people.id, people.name FROM quotes LEFT JOIN people ON people.id = quotes.person_id "
        "WHERE quotes.tip_id = :id ORDER BY quotes.position", {"id": tip_id},
    )
    return [Item(r["name"] or "unattributed", db.row_url("people", r["id"]) if r["id"] else None, f"“{r['text']}”")
            for r in rows]


# relation type → (what this tip does to the other, what the other does to this tip)
_RELATION_WORDS = {
    "supersedes": ("this tip supersedes it", "supersedes this tip"),
    "contradicts": ("this tip contradicts it", "contradicts this tip"),
    "see-also": ("see also", "see also"),
    "refines": ("this tip refines it", "refines this tip"),
}


async def _related_tips(db: _DB, tip_id: str) -> list[Item]:
    """Each related tip once, with how it relates (both directions of a see-also say the same)."""
    if "relations" not in await db.tables():
        return []
    rows = await db.rows(
        "SELECT 0 AS back, relations.type, other_tip_id AS id, tips.title FROM relations "
        "JOIN tips ON tips.id = other_tip_id WHERE relations.tip_id = :id "
        "UNION ALL SELECT 1, relations.type, relations.tip_id, tips.title FROM relations "
        "JOIN tips ON tips.id = relations.tip_id WHERE other_tip_id = :id ORDER BY 1, 4", {"id": tip_id},
    )
    seen: dict[str, Item] = {}
    for r in rows:
        forward, backward = _RELATION_WORDS.get(r["type"], (f"this tip {r['type']} it", f"{r['type']} this tip"))
        how = backward if r["back"] else forward
        item = seen.get(r["id"])
        if item is None:
            seen[r["id"]] = Item(r["title"], db.row_url("tips", r["id"]), how)
        elif item.note and how not in item.note:
            item.note += f"; {how}"
    return list(seen.values())


# --------------------------------------------------------------------------------------- entities


async def _entity_page(db: _DB, table: str, row: dict[str, Any]) -> Page:
    ident = row["id"]
    kind = TABLE_KINDS.get(table, table)
    label_column = await db.label_column(table)
    iri = iri_of_row(table, ident)
    kind_label = TABLE_LABELS.get(table, (kind, table))[0]
    page = Page(
        kind=kind, kind_label=kind_label, title=str(row.get(label_column) or ident), iri=iri,
        formats=_formats(db.datasette, iri), json_url=db.row_url(table, ident) + ".json",
        description=row.get("description") or row.get("text"), aliases=_json_list(row.get("aliases")),
    )
    fks = await db.fks()
    outgoing = {fk["column"]: fk for fk in fks.get(table, [])}
    for column in await db.columns(table):
        value = row.get(column)
        if column in _SHOWN_ELSEWHERE or value in (None, "", "[]") or column == label_column:
            continue
        title = column.replace("_id", "").replace("_", " ").capitalize()
        fk = outgoing.get(column)
        if fk is not None:
            page.facts.append((title, Item(await _name(db, fk["other_table"], value), db.row_url(fk["other_table"], value))))
        elif isinstance(value, str) and value.startswith("["):
            page.facts.append((title, [Item(v) for v in _json_list(value)]))
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            page.facts.append((title, Item(value, value)))
        else:
            page.facts.append((title, Item(str(value))))
    page.sections += await _incoming(db, table, ident)
    if table == "nodes" or table == "parameters":
        column = "node_id" if table == "nodes" else "parameter_id"
        page.settings = await _entity_settings(db, column, ident)
    if table == "pages" and "coverage" in await db.tables():
        cov = await db.rows("SELECT * FROM coverage WHERE page_id = :id", {"id": ident})
        if cov and cov[0].get("content_lines"):
            c = cov[0]
            page.facts.append(("Coverage", Item(
                f"{c['covered_lines']} of {c['content_lines']} content lines covered "
                f"({100 * c['covered_lines'] / c['content_lines']:.0f} %) by {c['records']} records",
                db.datasette.urls.path("/-/coverage"))))
    return page


async def _entity_settings(db: _DB, column: str, ident: str) -> list[dict[str, Any]]:
    if "advice" not in await db.tables():
        return []
    if column == "node_id":  # the view's node is COALESCE(setting's node, parameter's node): no index serves it
        rows = await db.rows(
            "SELECT * FROM advice WHERE id IN (SELECT id FROM settings WHERE node_id = :id UNION "
            "SELECT settings.id FROM parameters CROSS JOIN settings ON settings.parameter_id = parameters.id "
            "WHERE settings.node_id IS NULL AND parameters.node = :id) ORDER BY parameter, id", {"id": ident})
    else:
        rows = await db.rows(f"SELECT * FROM advice WHERE [{column}] = :id ORDER BY parameter, id", {"id": ident})
    return [{
        "parameter": Item(r.get("parameter") or r["parameter_id"], db.row_url("parameters", r["parameter_id"])),
        "advice": r.get("advice"), "value": r.get("advised"), "condition": r.get("condition"),
        "scope": [Item(r["tip_title"], db.row_url("tips", r["tip_id"]))],
    } for r in rows]


async def _incoming(db: _DB, table: str, ident: str) -> list[Section]:
    """What links to an entity: tips about it (named, then derived), and rows of other tables that point at it."""
    fks = await db.fks()
    sections: list[Section] = []
    tips_section: Section | None = None
    for other, keys in sorted(fks.items()):
        for fk in keys:
            if fk["other_table"] != table or other in _SPECIAL_INCOMING:
                continue
            others = [k for k in keys if k is not fk]
            if other.startswith("tip_") and any(k["other_table"] == "tips" for k in others):
                tips_section = await _tips_about(db, other, fk["column"], ident)
                continue
            if len(others) == 1 and len(keys) == 2 and "id" not in await db.columns(other):
                # a pair table (concept_broader): show the row at the other end
                target = others[0]
                label = await db.label_column(target["other_table"])
                rows = await db.rows(
                    f"SELECT t.id, t.[{label}] AS label FROM [{other}] JOIN [{target['other_table']}] AS t "
                    f"ON t.id = [{other}].[{target['column']}] WHERE [{other}].[{fk['column']}] = :id ORDER BY 2",
                    {"id": ident},
                )
                title = _pair_title(other, fk["column"], target["column"]) or TABLE_LABELS.get(
                    target["other_table"], (target["other_table"], target["other_table"].replace("_", " ").capitalize()))[1]
                items = [Item(str(r["label"]), db.row_url(target["other_table"], r["id"])) for r in rows]
            else:
                if "id" not in await db.columns(other):
                    continue
                label = await db.label_column(other)
                rows = await db.rows(
                    f"SELECT id, [{label}] AS label FROM [{other}] WHERE [{fk['column']}] = :id ORDER BY 2, 1 LIMIT 500",
                    {"id": ident},
                )
                title = TABLE_LABELS.get(other, (other, other.replace("_", " ").capitalize()))[1]
                if sum(1 for k in fks.get(other, []) if k["other_table"] == table) > 1:
                    title += f" ({fk['column'].replace('_id', '').replace('_', ' ')})"
                notes = await _notes(db, other, [r["id"] for r in rows])
                items = [Item(str(r["label"] if r["label"] is not None else r["id"]), db.row_url(other, r["id"]),
                              notes.get(r["id"])) for r in rows]
            if items:
                sections.append(Section(title, items, id=f"{other}-{fk['column']}"))
    if tips_section is not None:
        sections.insert(0, tips_section)
    return sections


async def _notes(db: _DB, table: str, ids: list[str]) -> dict[str, str]:
    """A short note beside rows listed on another record's page (a parameter's type, default and values)."""
    if table != "parameters" or not ids:
        return {}
    marks = ", ".join(f":p{i}" for i in range(len(ids)))
    rows = await db.rows(f'SELECT id, type, "default", allowed_values FROM parameters WHERE id IN ({marks})',
                         {f"p{i}": ident for i, ident in enumerate(ids)})
    out = {}
    for r in rows:
        allowed = _json_list(r["allowed_values"])
        parts = [r["type"], f"default {r['default']}" if r["default"] not in (None, "") else None,
                 "one of " + ", ".join(allowed) if allowed else None]
        out[r["id"]] = " · ".join(p for p in parts if p)
    return out


def _pair_title(table: str, own: str, other: str) -> str:
    if table == "concept_broader":
        return "Broader concepts" if own == "concept_id" else "Narrower concepts"
    if table == "concept_related":
        return "Related concepts"
    if table == "model_base_models":
        return "Base models" if own == "model_id" else "LoRAs for it"
    return ""


async def _tips_about(db: _DB, link_table: str, column: str, ident: str) -> Section | None:
    has_via = "via" in await db.columns(link_table)
    via = f"{link_table}.via" if has_via else "NULL"
    rows = await db.rows(
        f"SELECT DISTINCT tips.id, tips.title, tips.kind, tips.date, {via} AS via FROM [{link_table}] "
        f"JOIN tips ON tips.id = [{link_table}].tip_id WHERE [{link_table}].[{column}] = :id "
        "ORDER BY tips.date DESC, tips.id LIMIT 1000", {"id": ident},
    )
    if not rows:
        return None
    section = Section("Tips", id="tips")
    named = set()
    for r in rows:
        if not r["via"]:
            named.add(r["id"])
    for r in rows:
        note = " · ".join(x for x in (r["kind"], r["date"]) if x)
        item = Item(r["title"], db.row_url("tips", r["id"]), note or None)
        if r["via"]:
            if r["id"] in named or any(i.href == item.href for i in section.derived):
                continue
            section.derived.append(item)
        else:
            section.items.append(item)
    return section


def iri_kinds() -> list[str]:
    return sorted(KIND_TABLES)


__all__ = ["BASE", "Item", "Page", "Section", "iri_kinds", "record_page"]


# ------------------------------------------------------------------------------------------- home

# Entry points by kind: (table, heading, the column that groups it, that column's table).
ENTRY_POINTS: list[tuple[str, str, str | None, str | None]] = [
    ("nodes", "Nodes by node pack", "repo", "repos"),
    ("models", "Models by family", "family", None),
    ("parameters", "Parameters", None, None),
    ("people", "People", None, None),
    ("pages", "Pages of the source site", None, None),
    ("workflows", "Example workflows", None, None),
    ("files", "Model files", None, None),
    ("concepts", "Concepts", None, None),
    ("hardware", "Hardware", None, None),
    ("repos", "Repos", None, None),
]


async def home(datasette: Any, database: str) -> dict[str, Any]:
    """Counts, the canned questions and the entry points by kind, for the home page."""
    db = _DB(datasette, database)
    tables = await db.tables()
    counts = []
    current = "status" in await db.columns("tips")  # contract v2: lists show current tips
    for table in ["tips", *[t for t, *_ in ENTRY_POINTS]]:
        if table in tables:
            where = " WHERE status = 'current'" if table == "tips" and current else ""
            n = (await db.rows(f"SELECT count(*) AS n FROM [{table}]{where}"))[0]["n"]
            href = db.table_url(table, status="current") if where else db.table_url(table)
            counts.append({"table": table, "label": TABLE_LABELS.get(table, (table, table))[1], "count": n,
                           "href": href})
    entries = []
    for table, heading, group, group_table in ENTRY_POINTS:
        if table not in tables:
            continue
        items: list[Item] = []
        if group and group in await db.columns(table):
            if group_table and group_table in tables:
                rows = await db.rows(
                    f"SELECT g.id AS value, g.name AS label, count(*) AS n FROM [{table}] JOIN [{group_table}] AS g "
                    f"ON g.id = [{table}].[{group}] GROUP BY g.id ORDER BY n DESC, label LIMIT 8")
            else:
                rows = await db.rows(
                    f"SELECT [{group}] AS value, [{group}] AS label, count(*) AS n FROM [{table}] "
                    f"WHERE [{group}] IS NOT NULL GROUP BY 1 ORDER BY n DESC, label LIMIT 8")
            items = [Item(str(r["label"]), db.table_url(table, **{group: r["value"]}), f"{r['n']}") for r in rows]
        else:
            label = await db.label_column(table)
            order = "tips DESC, label" if table in ("parameters", "people", "concepts") else "label"
            link = {"parameters": "tip_parameters", "people": "tip_people", "concepts": "tip_concepts"}.get(table)
            if link and link in tables:
                column = {"parameters": "parameter_id", "people": "person_id", "concepts": "concept_id"}[table]
                rows = await db.rows(
                    f"SELECT t.id, t.[{label}] AS label, (SELECT count(*) FROM [{link}] WHERE [{link}].[{column}] = t.id) "
                    f"AS tips FROM [{table}] AS t ORDER BY {order} LIMIT 8")
            else:
                rows = await db.rows(f"SELECT id, [{label}] AS label FROM [{table}] ORDER BY label LIMIT 8")
            items = [Item(str(r["label"] if r["label"] is not None else r["id"]), db.row_url(table, r["id"]),
                          _tips(r["tips"]) if r.get("tips") else None) for r in rows]
        if items:
            entries.append({"title": heading, "items": items, "all": db.table_url(table)})
    queries = []
    for name, query in (await datasette.get_canned_queries(database, None)).items():
        queries.append({"title": query.get("title") or name, "description": query.get("description") or "",
                        "href": datasette.urls.database(database) + "/" + urllib.parse.quote(name),
                        "params": query.get("params") or []})
    recent = await db.rows("SELECT id, title, kind, date FROM tips"
                           + (" WHERE status = 'current'" if current else "") + " ORDER BY date DESC, id LIMIT 5")
    return {
        "counts": counts,
        "entries": entries,
        "queries": queries,
        "recent": [Item(r["title"], db.row_url("tips", r["id"]), " · ".join(x for x in (r["kind"], r["date"]) if x))
                   for r in recent],
    }


# ----------------------------------------------------------------------------------------- search

_SEARCH_TABLES = ["nodes", "parameters", "models", "files", "repos", "people", "concepts", "hardware", "pages",
                  "workflows"]


def fts_query(text: str, mode: str = "AND") -> str | None:
    """An FTS5 query over the words of ``text``: each a quoted prefix term (no FTS syntax leaks in)."""
    from .names import words

    terms = [f'"{w}"*' for w in words(text)][:32]
    return f" {mode} ".join(terms) if terms else None


def _tips(n: int) -> str:
    return f"{n} tip" if n == 1 else f"{n} tips"


async def search(datasette: Any, database: str, text: str) -> dict[str, Any]:
    """Entities the text names, then tips and entities ranked by bm25 over their words."""
    from .names import index_for, normalize

    db = _DB(datasette, database)
    tables = await db.tables()
    result: dict[str, Any] = {"q": text, "named": [], "tips": [], "groups": [], "searched": bool(text.strip())}
    if not text.strip():
        return result
    path = datasette.databases[database].path
    index = await asyncio.get_running_loop().run_in_executor(None, index_for, path)  # reads the file once
    for kind in sorted(index.spellings):
        table = KIND_TABLES.get(kind)
        if table is None or table not in tables:
            continue
        key = normalize(text)
        for ident in sorted(index.spellings[kind].get(key, ())):
            result["named"].append(Item(await _name(db, table, ident), db.row_url(table, ident),
                                        TABLE_LABELS.get(table, (kind, table))[0]))
    for mode in ("AND", "OR"):
        match = fts_query(text, mode)
        if match is None:
            return result
        if "tips_fts" in tables:
            rows = await db.rows(
                "SELECT tips.id, tips.title, tips.kind, tips.date, "
                "snippet(tips_fts, -1, '[', ']', '…', 14) AS snippet FROM tips_fts "
                "JOIN tips ON tips.rowid = tips_fts.rowid WHERE tips_fts MATCH :q "
                + ("AND tips.status = 'current' " if "status" in await db.columns("tips") else "") +
                "ORDER BY bm25(tips_fts, 4.0, 2.0, 1.0, 1.0), tips.id LIMIT 20", {"q": match})
            result["tips"] = [{"item": Item(r["title"], db.row_url("tips", r["id"]),
                                            " · ".join(x for x in (r["kind"], r["date"]) if x)),
                               "snippet": r["snippet"]} for r in rows]
        groups = []
        for table in _SEARCH_TABLES:
            if f"{table}_fts" not in tables:
                continue
            label = await db.label_column(table)
            rows = await db.rows(
                f"SELECT t.id, t.[{label}] AS label, t.description FROM [{table}_fts] "
                f"JOIN [{table}] AS t ON t.rowid = [{table}_fts].rowid WHERE [{table}_fts] MATCH :q "
                f"ORDER BY bm25([{table}_fts], 4.0, 3.0, 1.0), t.id LIMIT 10", {"q": match})
            if rows:
                groups.append({"title": TABLE_LABELS.get(table, (table, table))[1],
                               "items": [Item(str(r["label"]), db.row_url(table, r["id"]), r["description"])
                                         for r in rows],
                               "more": db.table_url(table, _search=text)})
        result["groups"] = groups
        result["mode"] = mode
        if result["tips"] or groups:
            break
    return result


# ------------------------------------------------------------------------------------ tips table


async def tips_table(datasette: Any, database: str, request: Any) -> dict[str, Any]:
    """What the tips table page adds: the date range of the data and of the current filter."""
    db = _DB(datasette, database)
    rows = await db.rows("SELECT min(date) AS first, max(date) AS last FROM tips WHERE date IS NOT NULL")
    first, last = (rows[0]["first"], rows[0]["last"]) if rows else (None, None)
    return {"first_date": first, "last_date": last,
            "date_from": request.args.get("date__gte", ""), "date_to": request.args.get("date__lte", "")}


# -------------------------------------------------------------------------------------- coverage


async def coverage(datasette: Any, database: str | None) -> dict[str, Any]:
    """The ``coverage`` table (contract v2) per source page, with totals; empty when it is absent."""
    if database is None:
        return {"rows": [], "present": False}
    db = _DB(datasette, database)
    if "coverage" not in await db.tables():
        return {"rows": [], "present": False}
    has_pages = "pages" in await db.tables()
    title = f"pages.[{await db.label_column('pages')}]" if has_pages else "NULL"
    join = "LEFT JOIN pages ON pages.id = coverage.page_id" if has_pages else ""
    rows = await db.rows(
        f"SELECT coverage.page_id, {title} AS title, coverage.content_lines, coverage.covered_lines, "
        f"coverage.records FROM coverage {join} ORDER BY coverage.page_id")
    out = []
    for r in rows:
        share = r["covered_lines"] / r["content_lines"] if r["content_lines"] else None
        out.append({**r, "share": share, "href": db.row_url("pages", r["page_id"]) if has_pages else None,
                    "tips": db.table_url("tips", page_id=r["page_id"]) if "page_id" in await db.columns("tips")
                    else db.table_url("tips", page=r["page_id"])})
    content = sum(r["content_lines"] or 0 for r in rows)
    covered = sum(r["covered_lines"] or 0 for r in rows)
    totals = {"content_lines": content, "covered_lines": covered, "records": sum(r["records"] or 0 for r in rows),
              "share": covered / content if content else None, "pages": len(rows),
              "complete": sum(1 for r in out if r["share"] is not None and r["share"] >= 1)}
    return {"rows": out, "present": True, "totals": totals}
