"""Describe a build for people and tools: the data dictionary, CSV tables, datapackage.json, VoID,
CITATION.cff, the release README and example queries.

Every description is derived from the pydantic models (field descriptions, docstrings, Literal
choices), from the vocabulary generated from them, or from the built SQLite file itself, so the
dictionary cannot drift from the data. Output is deterministic: the same build gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import sqlite3
import typing
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import sqlite_utils
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from ..compile.rdf import BASE, CLASSES, PREFIXES, SITE, VOCAB, field_predicates
from ..compile.schema import CLASS_MODELS, vocabulary_triples
from ..compile.sqlite import (
    ENTITY_TABLES,
    LINK_TABLES,
    SPLIT_TABLES,
    TABLE_DESCRIPTIONS,
    VIEWS,
    column_descriptions,
)
from ..records import model as m

TITLE = "hkgraph"
DESCRIPTION = (
    "A curated knowledge graph of practical know-how for open video generation in ComfyUI "
    "(Wan 2.1/2.2, Kijai's WanVideoWrapper and KJNodes, samplers, quantization, VRAM, attention "
    "backends, hardware): tips with their verbatim source excerpts, linked to the nodes, parameters, "
    "models, repositories, hardware, people and concepts they name."
)
LICENSE_ID = "CC0-1.0"
LICENSE_TITLE = "Creative Commons Zero v1.0 Universal"
LICENSE_URL = "https://creativecommons.org/publicdomain/zero/1.0/"
SOURCE_TITLE = "Wanx-Troopers knowledge base (wanx-troopers/wanx-troopers.github.io)"
SOURCE_REPO = "https://github.com/wanx-troopers/wanx-troopers.github.io"
DATASET_IRI = BASE + "dataset"
KEYWORDS = ("ComfyUI", "video generation", "Wan", "knowledge graph", "RDF", "SQLite")

MEDIA_TYPES = {
    ".csv": "text/csv",
    ".db": "application/vnd.sqlite3",
    ".ttl": "text/turtle",
    ".nt": "application/n-triples",
    ".gz": "application/gzip",
    ".jsonld": "application/ld+json",
    ".json": "application/json",
    ".yaml": "application/yaml",
    ".md": "text/markdown",
    ".cff": "application/yaml",
    ".sparql": "application/sparql-query",
    ".sql": "application/sql",
    ".zip": "application/zip",
}


def media_type(name: str) -> str:
    if name.endswith(".nt.gz"):
        return "application/n-triples"
    if name.endswith(".tar.gz"):
        return "application/gzip"
    return MEDIA_TYPES.get(Path(name).suffix, "text/plain")


# ------------------------------------------------------------------------------------ data dictionary

def _column_fields() -> dict[str, dict[str, tuple[type[BaseModel], str]]]:
    """The columns that hold the fields of a model: table → column → (model, field name)."""
    out: dict[str, dict[str, tuple[type[BaseModel], str]]] = {}
    for kind, table in ENTITY_TABLES.items():
        cls = m.ENTITY_KINDS[kind]
        out[table] = {name: (cls, name) for name in cls.model_fields}
    out["tips"] = {
        **{n: (m.Tip, n) for n in ("id", "title", "summary", "kind", "certainty", "goals", "tags")},
        **{n: (m.Source, n) for n in ("page", "also_on", "section", "date", "excerpt")},
    }
    out["settings"] = {
        "parameter_id": (m.Setting, "parameter"), "value": (m.Setting, "value"), "values": (m.Setting, "values"),
        "min": (m.Range, "min"), "max": (m.Range, "max"), "unit": (m.Setting, "unit"),
        "direction": (m.Setting, "direction"), "advice": (m.Setting, "advice"), "schedule_per": (m.Schedule, "per"),
        "steps_which": (m.Steps, "which"),
        "condition": (m.Setting, "condition"), "node_id": (m.Setting, "node"), "model_id": (m.Setting, "model"),
        "hardware_id": (m.Setting, "hardware"),
    }
    out["schedule_entries"] = {
        "at": (m.ScheduleEntry, "at"), "value": (m.ScheduleEntry, "value"), "min": (m.Range, "min"),
        "max": (m.Range, "max"), "model_id": (m.ScheduleEntry, "model"),
    }
    out["quotes"] = {"person_id": (m.Quote, "person"), "text": (m.Quote, "text")}
    out["relations"] = {"type": (m.Relation, "type"), "other_tip_id": (m.Relation, "tip")}
    for (kind, name), (table, _owner, target, _other) in SPLIT_TABLES.items():
        out[table] = {target: (m.ENTITY_KINDS[kind], name)}
    for fld, (table, column, _other) in LINK_TABLES.items():
        out[table] = {column: (m.Tip, fld)}
    out["tip_tags"] = {"tag": (m.Tip, "tags")}
    out["tip_goals"] = {"goal": (m.Tip, "goals")}
    return out


COLUMN_FIELDS = _column_fields()

def _is_list(info: FieldInfo) -> bool:
    return typing.get_origin(info.annotation) is list


def _choices(info: FieldInfo) -> list[str]:
    annotation: Any = info.annotation
    for _ in range(4):
        if typing.get_origin(annotation) is typing.Literal:
            return [str(a) for a in typing.get_args(annotation)]
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if not args:
            return []
        annotation = args[0]
    return []


@dataclass
class Column:
    name: str
    type: str  # Table Schema type: string, integer, number, date, array
    description: str
    choices: list[str] = field(default_factory=list)
    foreign_key: tuple[str, str] | None = None  # (table, column)


@dataclass
class Table:
    name: str
    description: str
    columns: list[Column]
    primary_key: list[str]


# Tables with one row per list item: their columns hold single values, not arrays.
LINK_TABLES_AND_TAGS = {table for table, _c, _o in LINK_TABLES.values()} | {
    "tip_tags", "tip_goals", *(table for table, _o, _t, _x in SPLIT_TABLES.values())
}
_SQL_TYPES = {"INTEGER": "integer", "REAL": "number", "FLOAT": "number", "NUMERIC": "number"}


def data_tables(db_path: Path) -> list[str]:
    """The plain tables of a build (full-text index tables left out), in creation order."""
    db = sqlite_utils.Database(db_path)
    try:
        fts = db.table_names(fts5=True) + db.table_names(fts4=True)
        return [t for t in db.table_names() if not any(t == f or t.startswith(f + "_") for f in fts)]
    finally:
        db.close()


def dictionary(db_path: Path) -> list[Table]:
    """Every data table of the build with its columns: type, description, choices, foreign key."""
    described = column_descriptions()
    db = sqlite_utils.Database(db_path)
    tables = []
    try:
        for name in data_tables(db_path):
            t = db.table(name)
            fks = {fk.column: (fk.other_table, fk.other_column) for fk in t.foreign_keys}
            columns = []
            for col in t.columns:
                source = COLUMN_FIELDS.get(name, {}).get(col.name)
                info = source[0].model_fields[source[1]] if source else None
                text = described.get(name, {}).get(col.name) or (info.description if info else "") or ""
                is_array = bool(info and _is_list(info) and name not in LINK_TABLES_AND_TAGS)
                if is_array:
                    kind = "array"
                elif info is not None and m.base_type(info.annotation) is dt.date:
                    kind = "date"
                else:
                    kind = _SQL_TYPES.get(col.type.upper(), "string")
                choices = _choices(info) if info else []
                columns.append(Column(col.name, kind, " ".join(text.split()), choices, fks.get(col.name)))
            doc = " ".join(TABLE_DESCRIPTIONS.get(name, "").split())
            tables.append(Table(name, doc, columns, list(t.pks) if t.pks != ["rowid"] else []))
    finally:
        db.close()
    return tables



# ------------------------------------------------------------------------------------------ CSV files


def write_csv(db_path: Path, table: Table, path: Path) -> int:
    """Write one table as CSV (RFC 4180, header row, rows in primary-key order); returns the row count."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = ", ".join(f'"{c.name}"' for c in table.columns)
        order = ", ".join(f'"{c}"' for c in table.primary_key) or "rowid"
        cursor = conn.execute(f'SELECT {names} FROM "{table.name}" ORDER BY {order}')
        buffer = io.StringIO(newline="")
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow([c.name for c in table.columns])
        count = 0
        for row in cursor:
            writer.writerow(["" if v is None else _csv_value(v) for v in row])
            count += 1
    finally:
        conn.close()
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return count


def _csv_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return repr(value)  # 24.0, not 24: the column is a number
    return value


# ----------------------------------------------------------------------------------------- statistics


@dataclass
class GraphStats:
    triples: int = 0
    subjects: int = 0
    objects: int = 0
    entities: int = 0  # distinct subjects in the hkgraph IRI space
    classes: Counter[str] = field(default_factory=Counter)  # class IRI → instances
    properties: Counter[str] = field(default_factory=Counter)  # predicate IRI → triples
    examples: dict[str, str] = field(default_factory=dict)  # class IRI → first instance (sorted)


def graph_stats(nt_path: Path) -> GraphStats:
    """Counts for VoID and the dictionary, read from an N-Triples file (gzip-compressed if it ends in .gz)."""
    if nt_path.suffix == ".gz":
        with gzip.open(nt_path, "rb") as f:
            return _stats(ox.parse(f, format=ox.RdfFormat.N_TRIPLES))
    return _stats(ox.parse(path=str(nt_path), format=ox.RdfFormat.N_TRIPLES))


def _stats(triples: Iterable[ox.Triple]) -> GraphStats:
    stats = GraphStats()
    subjects: set[str] = set()
    objects: set[str] = set()
    rdf_type = PREFIXES["rdf"] + "type"
    for triple in triples:
        stats.triples += 1
        s, p = triple.subject.value, triple.predicate.value
        subjects.add(s)
        objects.add(str(triple.object))
        stats.properties[p] += 1
        if p == rdf_type:
            cls = triple.object.value
            stats.classes[cls] += 1
            if cls not in stats.examples or s < stats.examples[cls]:
                stats.examples[cls] = s
    stats.subjects = len(subjects)
    stats.objects = len(objects)
    stats.entities = sum(1 for s in subjects if s.startswith(BASE))
    return stats


def curie(iri: str) -> str:
    for prefix, ns in sorted(PREFIXES.items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and prefix in {"hkv", "dcterms", "foaf", "owl", "prov", "rdf", "rdfs", "schema",
                                             "skos", "xsd"}:
            return f"{prefix}:{iri[len(ns):]}"
    return f"<{iri}>"


# Predicates the compiler writes that no model field or vocabulary comment describes.
OTHER_PROPERTIES = {
    "rdf:type": "The class of the resource.",
    "dcterms:identifier": "The record's id (the file name of its YAML source).",
    "rdfs:label": "The display name of an entity, or a parameter value as spelled.",
    "prov:wasDerivedFrom": "The published source page a tip was made from.",
    "prov:wasAttributedTo": "A person a tip quotes.",
    "rdfs:seeAlso": "Another tip worth reading with this one (relation see-also).",
    "dcterms:source": "The source page (a page entity) a tip was made from.",
    "foaf:page": "The address of a source page on the site.",
}
OTHER_CLASSES = {
    "schema:CreativeWork": "schema.org creative work; every tip is one.",
    "schema:SoftwareSourceCode": "schema.org source code; every repository is one.",
    "schema:MediaObject": "schema.org media object; every model file is one.",
    "schema:Person": "schema.org person; every person is one.",
    "foaf:Person": "FOAF person; every person is one.",
    "skos:Concept": "SKOS concept; every concept is one.",
    "schema:Quotation": "schema.org quotation; every quote is one.",
    "schema:WebPage": "schema.org web page; every source page is one.",
}


def vocabulary_comments() -> dict[str, str]:
    """IRI → description, for the classes and properties the data uses."""
    comments: dict[str, str] = {}
    comment = PREFIXES["rdfs"] + "comment"
    for t in vocabulary_triples():
        if t.predicate.value == comment and t.object.value:
            comments[t.subject.value] = t.object.value
    by_iri: dict[str, dict[str, str]] = {}
    for kind, models in CLASS_MODELS.items():
        for cls in models:
            for name, (pred, _ref) in field_predicates(cls).items():
                iri = PREFIXES[pred.split(":")[0]] + pred.split(":")[1]
                label = "entity" if kind in m.ENTITY_KINDS else kind
                by_iri.setdefault(iri, {}).setdefault(label, cls.model_fields[name].description or "")
    for iri, per_kind in by_iri.items():
        if iri in comments:
            continue
        distinct: dict[str, str] = {}  # description → the first kind it describes
        for kind, text in per_kind.items():
            distinct.setdefault(text, kind)
        if len(distinct) == 1:
            comments[iri] = next(iter(distinct))
        else:  # e.g. dcterms:description: a tip's summary, an entity's description
            comments[iri] = " ".join(f"{kind}: {text}" for text, kind in distinct.items())
    for table in (OTHER_PROPERTIES, OTHER_CLASSES):
        for name, text in table.items():
            prefix, local = name.split(":")
            comments.setdefault(PREFIXES[prefix] + local, text)
    return comments


# ------------------------------------------------------------------------------------ data package


@dataclass
class FileInfo:
    path: str  # relative, with forward slashes
    bytes: int
    sha256: str


def table_schema(table: Table) -> dict[str, Any]:
    """A Frictionless Table Schema for one table."""
    fields = []
    for c in table.columns:
        f: dict[str, Any] = {"name": c.name, "type": c.type}
        if c.description:
            f["description"] = c.description
        if c.choices and c.type == "array":
            f["arrayItem"] = {"type": "string", "constraints": {"enum": c.choices}}
        elif c.choices:
            f["constraints"] = {"enum": c.choices}
        fields.append(f)
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""]}
    if table.primary_key:
        schema["primaryKey"] = table.primary_key
    fks = [
        {"fields": [c.name], "reference": {"resource": c.foreign_key[0], "fields": [c.foreign_key[1]]}}
        for c in table.columns if c.foreign_key
    ]
    if fks:
        schema["foreignKeys"] = fks
    return schema


FILE_RESOURCES = {
    "hkgraph.db": ("hkgraph-sqlite", "The whole dataset as SQLite, with FTS5 full-text indexes and views."),
    "hkgraph.ttl": ("hkgraph-turtle", "The RDF graph as Turtle."),
    "hkgraph.nt.gz": ("hkgraph-ntriples", "The RDF graph as gzip-compressed N-Triples, for bulk loading."),
    "hkgraph.jsonld": ("hkgraph-jsonld", "The RDF graph as JSON-LD."),
}


# How write_csv writes every table, declared so that readers do not guess it from a sample (a sample of
# quotes full of semicolons made frictionless read ';' as the delimiter).
CSV_DIALECT: dict[str, Any] = {
    "delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "doubleQuote": True, "header": True,
}


def datapackage(
    version: str, created: str, tables: list[Table], files: dict[str, FileInfo], stats: GraphStats
) -> dict[str, Any]:
    """The Frictionless Data Package descriptor: one resource per CSV table and per data file."""
    resources: list[dict[str, Any]] = []
    for name, (res_name, text) in FILE_RESOURCES.items():
        info = files[name]
        res: dict[str, Any] = {
            "name": res_name, "type": "file", "path": info.path, "title": name, "description": text,
            "mediatype": media_type(name), "bytes": info.bytes, "hash": f"sha256:{info.sha256}",
        }
        if name.endswith(".gz"):
            res["compression"] = "gz"
        resources.append(res)
    for table in tables:
        info = files[f"csv/{table.name}.csv"]
        resources.append({
            "name": table.name, "type": "table", "path": info.path, "title": table.name,
            "description": table.description, "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "dialect": dict(CSV_DIALECT), "bytes": info.bytes, "hash": f"sha256:{info.sha256}",
            "schema": table_schema(table),
        })
    return {
        "name": "hkgraph",
        "title": f"{TITLE}: ComfyUI video-generation know-how",
        "description": DESCRIPTION,
        "version": version,
        "created": created,
        "homepage": SITE,
        "keywords": list(KEYWORDS),
        "licenses": [{"name": LICENSE_ID, "path": LICENSE_URL, "title": LICENSE_TITLE}],
        "sources": [{"title": SOURCE_TITLE, "path": SITE}],
        "contributors": [{"title": "hkgraph contributors", "role": "author"}],
        "hkgraph": {"triples": stats.triples},
        "resources": resources,
    }


# -------------------------------------------------------------------------------------------- VoID


def _lit(text: str) -> str:
    """A Turtle string literal (JSON's escapes are valid Turtle escapes)."""
    return json.dumps(text, ensure_ascii=False)


def void_turtle(version: str, date: str, stats: GraphStats, dumps: list[str]) -> str:
    """A VoID description of the graph; dumps are written as IRIs relative to void.ttl."""
    out = [
        "@prefix dcterms: <http://purl.org/dc/terms/> .",
        "@prefix foaf: <http://xmlns.com/foaf/0.1/> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix void: <http://rdfs.org/ns/void#> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
        f"<{DATASET_IRI}> a void:Dataset ;",
        f"    dcterms:title {_lit(TITLE)} ;",
        f"    dcterms:description {_lit(DESCRIPTION)} ;",
        f"    dcterms:license <{LICENSE_URL}> ;",
        f"    dcterms:source <{SITE}> ;",
        f"    dcterms:modified \"{date}\"^^xsd:date ;",
        f"    owl:versionInfo {_lit(version)} ;",
        f"    foaf:homepage <{SITE}> ;",
        f"    void:uriSpace {_lit(BASE)} ;",
        *[f"    void:vocabulary <{ns}> ;" for ns in _vocabularies(stats)],
        "    void:feature <http://www.w3.org/ns/formats/Turtle>, <http://www.w3.org/ns/formats/N-Triples>,",
        "        <http://www.w3.org/ns/formats/JSON-LD> ;",
        *[f"    void:dataDump <{d}> ;" for d in dumps],
        *[f"    void:exampleResource <{iri}> ;" for _cls, iri in sorted(_examples(stats).items())],
        f"    void:triples {stats.triples} ;",
        f"    void:entities {stats.entities} ;",
        f"    void:distinctSubjects {stats.subjects} ;",
        f"    void:distinctObjects {stats.objects} ;",
        f"    void:properties {len(stats.properties)} ;",
        f"    void:classes {len(stats.classes)} ;",
    ]
    for cls, n in sorted(stats.classes.items()):
        out.append(f"    void:classPartition [ void:class <{cls}> ; void:entities {n} ] ;")
    for prop, n in sorted(stats.properties.items()):
        out.append(f"    void:propertyPartition [ void:property <{prop}> ; void:triples {n} ] ;")
    out[-1] = out[-1][:-2] + " ."
    return "\n".join(out) + "\n"


def _vocabularies(stats: GraphStats) -> list[str]:
    used = set()
    for iri in list(stats.properties) + list(stats.classes):
        for ns in (VOCAB, *(PREFIXES[p] for p in ("dcterms", "foaf", "prov", "rdfs", "schema", "skos"))):
            if iri.startswith(ns):
                used.add(ns)
    return sorted(used)


def _examples(stats: GraphStats) -> dict[str, str]:
    wanted = {VOCAB + c.split(":")[1] for kind in ("tip", "node", "parameter", "model", "repo")
              for c in CLASSES[kind][:1]}
    return {cls: iri for cls, iri in stats.examples.items() if cls in wanted}


# ------------------------------------------------------------------------------------- CITATION.cff


def citation_cff(version: str, date: str) -> str:
    """CITATION.cff (Citation File Format 1.2.0) for the dataset."""
    lines = [
        "cff-version: 1.2.0",
        "message: If you use this dataset, please cite it as below.",
        "type: dataset",
        f"title: {json.dumps(TITLE + ': ComfyUI video-generation know-how')}",
        f"version: {json.dumps(version)}",
        f"date-released: {json.dumps(date)}",
        f"license: {LICENSE_ID}",
        f"url: {json.dumps(SITE)}",
        f"abstract: {json.dumps(DESCRIPTION, ensure_ascii=False)}",
        "authors:",
        "  - name: hkgraph contributors",
        "keywords:",
        *[f"  - {json.dumps(k)}" for k in KEYWORDS],
        "references:",
        "  - type: website",
        f"    title: {json.dumps(SOURCE_TITLE)}",
        f"    url: {json.dumps(SITE)}",
        f"    repository: {json.dumps(SOURCE_REPO)}",
        "    authors:",
        "      - name: Wanx-Troopers contributors",
        f"    license: {LICENSE_ID}",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------- LICENSE


def license_text() -> str:
    return f"""The hkgraph data

To the extent possible under law, the hkgraph contributors have waived all copyright and related or
neighbouring rights to this dataset (the files of this release) under the {LICENSE_TITLE}
public domain dedication ({LICENSE_ID}). You may copy, modify and redistribute it, also commercially,
without asking permission.

The full legal code: {LICENSE_URL}legalcode

The records are made from the Wanx-Troopers knowledge base ({SITE}, repository
{SOURCE_REPO}), which is itself dedicated to the public domain under CC0 1.0.
Statements quoted from third parties and the external resources the records link to (models,
repositories, videos) keep whatever terms their own owners apply.
"""


# -------------------------------------------------------------------------------- example queries

EXAMPLE_QUERIES: dict[str, str] = {
    "tips-by-node.sparql": """# Tips that name a ComfyUI node, with the node's display name.
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX hkv: <https://w3id.org/hkgraph/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

SELECT ?tip ?title ?node ?name
WHERE {
  ?tip a hkv:Tip ;
       dcterms:title ?title ;
       hkv:aboutNode ?node .
  ?node skos:prefLabel ?name .
}
ORDER BY ?name ?tip
LIMIT 100
""",
    "advice-by-parameter.sparql": """# Structured advice: which value of which parameter to prefer or avoid, and when.
PREFIX hkv: <https://w3id.org/hkgraph/vocab#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>

SELECT ?parameter ?name ?advice ?value ?condition ?tip
WHERE {
  ?setting a hkv:Setting ;
           hkv:inTip ?tip ;
           hkv:parameter ?parameter ;
           hkv:advice ?advice .
  ?parameter skos:prefLabel ?name .
  OPTIONAL { ?setting hkv:value ?value }
  OPTIONAL { ?setting hkv:condition ?condition }
}
ORDER BY ?parameter ?tip
""",
    "instances-by-class.sparql": """# How many resources of each class the graph holds.
SELECT ?class (COUNT(?s) AS ?instances)
WHERE { ?s a ?class }
GROUP BY ?class
ORDER BY DESC(?instances) ?class
""",
    "search-tips.sql": """-- Full-text search over tip titles, summaries, excerpts and quotes (FTS5, best match first).
SELECT tips.id, tips.title, tips.source_url
FROM tips_fts
JOIN tips ON tips.rowid = tips_fts.rowid
WHERE tips_fts MATCH 'vae'
ORDER BY tips_fts.rank
LIMIT 20;
""",
    "tips-per-node.sql": """-- Nodes ordered by how many tips name them.
SELECT nodes.id, nodes.name, count(tip_nodes.tip_id) AS tips
FROM nodes
LEFT JOIN tip_nodes ON tip_nodes.node_id = nodes.id
GROUP BY nodes.id
ORDER BY tips DESC, nodes.id
LIMIT 20;
""",
    "advice.sql": """-- Every piece of structured advice with the parameter and node it concerns.
SELECT parameter_id, node, advice, value, "values", min, max, condition, tip_id
FROM advice
ORDER BY parameter_id, tip_id;
""",
}


# -------------------------------------------------------------------------------------------- README


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def readme(
    version: str, date: str, tables: list[Table], stats: GraphStats, files: dict[str, FileInfo],
    counts: dict[str, int], rows: dict[str, int],
) -> str:
    """README.md of a release: what it holds, how to use and check it, and the data dictionary."""
    comments = vocabulary_comments()
    n_yaml = sum(1 for p in files if p.startswith("data/"))
    record_counts = ", ".join(f"{kind} {n}" for kind, n in counts.items() if n)
    lines = [
        f"# {TITLE} {version}",
        "",
        DESCRIPTION,
        "",
        f"Released {date}. Records: {record_counts}. {stats.triples} RDF triples; "
        f"{len(tables)} tables. Data licence: {LICENSE_ID} (see LICENSE). Source: {SITE}.",
        "",
        "## Files",
        "",
        "| file | what | size |",
        "|---|---|---|",
    ]
    main = [
        ("hkgraph.db", "SQLite database: every table below, FTS5 full-text indexes, views"),
        ("hkgraph.ttl", "the RDF graph as Turtle"),
        ("hkgraph.nt.gz", "the RDF graph as N-Triples (gzip), for bulk loading into a SPARQL store"),
        ("hkgraph.jsonld", "the RDF graph as JSON-LD"),
        ("datapackage.json", "Frictionless Data Package: every data file with media type, size, SHA-256, "
                             "and a Table Schema per CSV"),
        ("void.ttl", "VoID description of the graph: counts, class and property partitions, dumps"),
        ("CHANGELOG.md", "records added, changed and removed, release by release"),
        ("CITATION.cff", "how to cite this dataset"),
        ("LICENSE", "the data licence"),
        ("SHA256SUMS", "SHA-256 of every other file (`sha256sum -c SHA256SUMS`)"),
    ]
    for name, what in main:
        size = _size(files[name].bytes) if name in files else ""
        lines.append(f"| `{name}` | {what} | {size} |")
    groups = [
        ("csv/", f"one CSV file per table ({len(tables)} files, UTF-8, RFC 4180, header row)"),
        ("data/", f"the YAML sources the release was compiled from ({n_yaml} files)"),
        ("schema/", "JSON Schema of every record kind, the RDF vocabulary (hkgraph.ttl), the SHACL shapes "
                    "(shapes.ttl) and a JSON-LD context"),
        ("queries/", "example SPARQL and SQL queries"),
    ]
    for prefix, what in groups:
        size = sum(f.bytes for p, f in files.items() if p.startswith(prefix))
        lines.append(f"| `{prefix}` | {what} | {_size(size)} |")
    lines += [
        "",
        "## Using it",
        "",
        "- SQL: `sqlite3 hkgraph.db`, or browse it with `datasette hkgraph.db`. Full-text search: "
        "`SELECT * FROM tips_fts WHERE tips_fts MATCH 'vae'`.",
        "- SPARQL: load `hkgraph.ttl` (or `hkgraph.nt.gz`) into any RDF store, e.g. with pyoxigraph or rdflib, "
        "or into a SPARQL server (Oxigraph, Fuseki, QLever) for large graphs.",
        "- Tables: read `csv/*.csv` with any CSV reader; `datapackage.json` gives each column's type, "
        "description, allowed values and foreign keys (Frictionless tools read it directly).",
        "- With hkgraph installed: `hkgraph serve --release hkgraph-" + version + ".zip` serves it with "
        "Datasette, and `hkgraph verify` checks it.",
        "",
        "Example queries are in `queries/`:",
        "",
        *[f"- `queries/{name}`: {text.splitlines()[0].lstrip('#- ').strip()}" for name, text in
          sorted(EXAMPLE_QUERIES.items())],
        "",
        "## Checking it",
        "",
        "`sha256sum -c SHA256SUMS` checks every file. `hkgraph verify PATH` (PATH = this folder or the "
        "archive) checks the checksums and the data package and names every file that does not match.",
        "",
        "## Citing it",
        "",
        f"See CITATION.cff. Cite the version: hkgraph {version} ({date}).",
        "",
        "## Data dictionary",
        "",
        "### Tables",
        "",
        "Columns marked *array* hold a JSON array as text; empty cells in the CSV files are missing values "
        "(NULL in SQLite).",
        "",
    ]
    for table in tables:
        key = ", ".join(table.primary_key)
        lines += [f"#### `{table.name}`", "", f"{table.description} Primary key: `{key}`. "
                  f"{rows.get(table.name, 0)} rows.", "", "| column | type | description |", "|---|---|---|"]
        for c in table.columns:
            extra = []
            if c.foreign_key:
                extra.append(f"References `{c.foreign_key[0]}.{c.foreign_key[1]}`.")
            if c.choices:
                extra.append("One of: " + ", ".join(f"`{v}`" for v in c.choices) + ".")
            lines.append(f"| `{c.name}` | {c.type} | {_cell(' '.join([c.description, *extra]).strip())} |")
        lines.append("")
    lines += ["### Views", "", "| view | what |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(TABLE_DESCRIPTIONS.get(name, ''))} |" for name in VIEWS]
    lines += [
        "",
        "### Classes",
        "",
        f"IRIs: `{BASE}<kind>/<id>`; vocabulary `{VOCAB}` (schema/hkgraph.ttl).",
        "",
        "| class | instances | description |",
        "|---|---|---|",
    ]
    for cls, n in sorted(stats.classes.items(), key=lambda kv: curie(kv[0])):
        lines.append(f"| `{curie(cls)}` | {n} | {_cell(comments.get(cls, ''))} |")
    lines += ["", "### Properties", "", "| property | triples | description |", "|---|---|---|"]
    for prop, n in sorted(stats.properties.items(), key=lambda kv: curie(kv[0])):
        lines.append(f"| `{curie(prop)}` | {n} | {_cell(comments.get(prop, ''))} |")
    return "\n".join(lines) + "\n"
