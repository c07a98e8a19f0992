"""The SPARQL 1.1 Protocol, without a web framework: policy, execution with limits, result formats.

The Datasette plugin (:mod:`hkgraph.web.plugin`) turns HTTP requests into calls of these functions.
Queries run on pyoxigraph, in confined worker processes (:mod:`hkgraph.web.sparql_pool`). The endpoint is
read-only and never reaches outside the dataset: updates, ``LOAD``, ``SERVICE`` and ``FROM``/``FROM
NAMED`` (or ``default-graph-uri``/``named-graph-uri``) naming a graph the store does not hold are refused
*before* the engine sees the query, decided from a parse of the query (:mod:`hkgraph.query.policy`);
and the workers cannot open network sockets, so a misjudged query still cannot fetch anything.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import pyoxigraph as ox

from ..compile.rdf import PREFIXES
from ..query import policy, sandbox
from .sparql_errors import explain

XSD_STRING = PREFIXES["xsd"] + "string"

# name → media type. SELECT/ASK results first, then RDF formats for CONSTRUCT/DESCRIBE.
RESULT_FORMATS: dict[str, str] = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_FORMATS: dict[str, str] = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}
HTML = "text/html"
# Other spellings clients send, as media types or as `format=`/`output=` values.
_ALIASES: dict[str, str] = {
    "application/json": "json",
    "application/sparql-results+json": "json",
    "sparql-results+json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/sparql-results+xml": "xml",
    "sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",
    "text/n3": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "application/ld+json": "jsonld",
    "json-ld": "jsonld",
    "application/rdf+xml": "rdfxml",
    "rdf": "rdfxml",
    "rdf+xml": "rdfxml",
    "text/html": "html",
    "application/xhtml+xml": "html",
    **{name: name for name in (*RESULT_FORMATS, *GRAPH_FORMATS, "html")},
}
_OX_GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}
_GRAPH_SPELLINGS = {"xml": "rdfxml", "json": "jsonld"}
# A query is SELECT/ASK ("results") or CONSTRUCT/DESCRIBE ("graph"); the service description is a graph.
DEFAULTS = {"results": "json", "graph": "turtle"}


class ProtocolError(Exception):
    """A request the endpoint answers with an error status and a readable message."""

    status = 400

    def __init__(self, message: str, status: int | None = None, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.details = details or {}  # e.g. the line and column of a syntax error, for the JSON answer


class RefusedError(ProtocolError):
    """The query is well-formed but asks for something this read-only endpoint does not do."""

    status = 403


class TimeLimitError(ProtocolError):
    status = 503


@dataclass
class Limits:
    """Per query: wall time, rows (or triples), bytes of the answer, and the worker's address space."""

    time_limit_ms: int = 5000
    max_rows: int = 10_000
    max_bytes: int = 16 * 1024 * 1024
    max_memory_mb: int = 2048


@dataclass
class Outcome:
    """What a query gave: ``kind`` is "results" (SELECT/ASK) or "graph" (CONSTRUCT/DESCRIBE)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)  # pyoxigraph terms or None
    boolean: bool | None = None
    triples: list[ox.Triple] = field(default_factory=list)
    truncated: bool = False
    elapsed_ms: float = 0.0


# ------------------------------------------------------------------------------------- policy

def check_query(query: str, graphs: Iterable[str] = ()) -> None:
    """Refuse what a read-only endpoint over one dataset must not run (decided from a parse of the query:
    :func:`hkgraph.query.policy.check_query`); do nothing for a plain query.

    :raises RefusedError: for updates, LOAD, SERVICE and FROM/FROM NAMED outside the dataset.
    :raises ProtocolError: (400) for a query the parser cannot read or that nests too deeply.
    """
    try:
        policy.check_query(query, graphs)
    except policy.PolicyError as exc:
        if exc.status == 403:
            raise RefusedError(str(exc)) from None
        if exc.syntax:
            # In words a person reads (:mod:`.sparql_errors`): the engine's own account where the engine
            # cannot reach out (a confined worker), else the parser's position with the line shown.
            engine = _engine_syntax_error(query) if sandbox.confined() else None
            if engine is None and exc.line is not None:
                engine = f"error at {exc.line}:{exc.column}: {str(exc).split(': ', 1)[-1]}"
            if engine is not None:
                problem = explain(query, engine, PREFIXES)
                raise ProtocolError(problem.text(), details={"line": problem.line, "column": problem.column}) from None
        raise ProtocolError(str(exc), status=exc.status) from None


def _engine_syntax_error(query: str) -> str | None:
    """pyoxigraph's syntax error for a query the policy parser refused, or None when pyoxigraph reads it
    (the policy's refusal stands). Only called in a confined worker: the empty store is never iterated,
    and nothing there can reach the network."""
    try:
        result = ox.Store().query(query, prefixes=PREFIXES)
    except SyntaxError as exc:
        return str(exc)
    except (OSError, ValueError, RuntimeError):
        return None
    del result
    return None


def check_dataset_params(default_graphs: Sequence[str], named_graphs: Sequence[str], graphs: Iterable[str]) -> None:
    """``default-graph-uri`` / ``named-graph-uri`` protocol parameters follow the same rule as FROM."""
    known = set(graphs)
    for name, values in (("default-graph-uri", default_graphs), ("named-graph-uri", named_graphs)):
        for value in values:
            if value not in known:
                raise RefusedError(f"{name}={value} is refused: this endpoint queries its own dataset only")


# ------------------------------------------------------------------------------------ execution


def run_query(store: ox.Store, query: str, limits: Limits, *, deadline: float | None = None) -> Outcome:
    """Check and run one query, stopping at ``limits`` (rows are cut, time raises :class:`TimeLimitError`).

    ``deadline`` is a ``time.monotonic()`` value; by default now + the time limit.
    """
    start = time.monotonic()
    if deadline is None:
        deadline = start + limits.time_limit_ms / 1000
    graphs = [g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)]
    check_query(query, graphs)
    if time.monotonic() > deadline:
        raise TimeLimitError(_time_message(limits))
    try:
        result = store.query(query, prefixes=PREFIXES)
    except SyntaxError as exc:
        problem = explain(query, str(exc), PREFIXES)
        raise ProtocolError(problem.text(), details={"line": problem.line, "column": problem.column}) from None
    try:
        outcome = _collect(result, limits, deadline)
    except OSError as exc:
        raise ProtocolError(f"SPARQL evaluation error: {exc}", status=500) from None
    outcome.elapsed_ms = (time.monotonic() - start) * 1000
    return outcome


@dataclass
class Answer:
    """A query's answer in the negotiated format: ``body`` holds the bytes, except for ``html``, where
    ``outcome`` keeps the rows for the page (otherwise it keeps only the counts and flags)."""

    format: str
    body: bytes | None
    outcome: Outcome


def answer(
    store: ox.Store, query: str, limits: Limits, accept: str, requested: str | None, *, deadline: float | None = None
) -> Answer:
    """Run a query and serialize its result in the format the request asks for."""
    outcome = run_query(store, query, limits, deadline=deadline)
    name = negotiate(outcome.kind, accept, requested)
    if name == "html":
        return Answer(name, None, outcome)
    if outcome.kind == "results":
        body = serialize_results(outcome, name)
    else:
        body = serialize_graph(outcome.triples, name)
    outcome.rows, outcome.triples = [], []
    return Answer(name, body, outcome)


def _term_bytes(term: Any) -> int:
    """About how many bytes a term takes in an answer (its text plus the markup around it)."""
    if term is None:
        return 0
    if isinstance(term, ox.Triple):
        return _term_bytes(term.subject) + _term_bytes(term.predicate) + _term_bytes(term.object)
    if isinstance(term, ox.Literal):
        return len(term.value.encode()) + len(term.datatype.value) + 48
    return len(term.value.encode()) + 40


def _collect(result: Any, limits: Limits, deadline: float) -> Outcome:
    """Read the engine's answer up to the row and byte limits (the rest is cut and flagged)."""
    if isinstance(result, ox.QueryBoolean):
        return Outcome("results", boolean=bool(result))
    size = 0
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        outcome = Outcome("results", variables=names)
        for i, solution in enumerate(result):
            if i >= limits.max_rows:
                outcome.truncated = True
                break
            if i % 256 == 0 and time.monotonic() > deadline:
                raise TimeLimitError(_time_message(limits))
            row = [solution[n] for n in names]
            size += sum(_term_bytes(t) for t in row) + 16
            if size > limits.max_bytes:
                outcome.truncated = True
                break
            outcome.rows.append(row)
        if time.monotonic() > deadline:
            raise TimeLimitError(_time_message(limits))
        return outcome
    outcome = Outcome("graph")
    for i, triple in enumerate(result):
        if i >= limits.max_rows:
            outcome.truncated = True
            break
        if i % 256 == 0 and time.monotonic() > deadline:
            raise TimeLimitError(_time_message(limits))
        size += _term_bytes(triple) + 8
        if size > limits.max_bytes:
            outcome.truncated = True
            break
        outcome.triples.append(triple)
    if time.monotonic() > deadline:
        raise TimeLimitError(_time_message(limits))
    return outcome


def _time_message(limits: Limits) -> str:
    return f"the query ran longer than the time limit of {limits.time_limit_ms} ms"


# ---------------------------------------------------------------------------------- negotiation


def format_name(value: str) -> str | None:
    """A format name for a `format=` value or a media type, or None when unknown."""
    return _ALIASES.get(value.strip().lower().split(";")[0].strip())


def _accept_entries(accept: str) -> list[tuple[float, int, str]]:
    entries = []
    for position, part in enumerate(accept.split(",")):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        entries.append((q, position, pieces[0].lower()))
    entries.sort(key=lambda e: (-e[0], e[1]))
    return entries


def negotiate(kind: str, accept: str | None, requested: str | None = None, *, html: bool = True) -> str:
    """The format name to answer with, for a query ``kind`` ("results" or "graph").

    An explicit ``format=``/``output=`` value wins; otherwise the Accept header in q order; otherwise the
    kind's default. ``html`` says whether an HTML page may be chosen.
    """
    allowed = set(RESULT_FORMATS if kind == "results" else GRAPH_FORMATS)
    if html:
        allowed.add("html")
    if requested:
        name = format_name(requested)
        if kind == "graph" and name in _GRAPH_SPELLINGS:
            name = _GRAPH_SPELLINGS[name]  # clients ask a CONSTRUCT for "xml" or "json" too
        if name is None or name not in allowed:
            choices = ", ".join(sorted(allowed - {"html"}))
            raise ProtocolError(f"format {requested!r} is not available for this query; choose one of {choices}")
        return name
    for q, _pos, media in _accept_entries(accept or ""):
        if q <= 0:
            continue
        if media in ("*/*", "application/*", "text/*"):
            return DEFAULTS[kind]
        name = format_name(media)
        if name in allowed:
            return name  # type: ignore[return-value]
    return DEFAULTS[kind]


def media_type(name: str) -> str:
    if name == "html":
        return HTML
    return RESULT_FORMATS.get(name) or GRAPH_FORMATS[name]


# -------------------------------------------------------------------------------- serialization


def term_json(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {
            "type": "triple",
            "value": {"subject": term_json(term.subject), "predicate": term_json(term.predicate),
                      "object": term_json(term.object)},
        }
    raise TypeError(f"not an RDF term: {term!r}")


def _term_xml(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return f"<literal datatype={quoteattr(term.datatype.value)}>{escape(term.value)}</literal>"
        return f"<literal>{escape(term.value)}</literal>"
    return (f"<triple><subject>{_term_xml(term.subject)}</subject><predicate>{_term_xml(term.predicate)}"
            f"</predicate><object>{_term_xml(term.object)}</object></triple>")


def _term_csv(term: Any) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.NamedNode | ox.Literal):
        return term.value
    return str(term)


def serialize_results(outcome: Outcome, name: str) -> bytes:
    """SELECT or ASK results in the SPARQL 1.1 results formats (JSON, XML, CSV, TSV)."""
    if name == "json":
        if outcome.boolean is not None:
            doc: dict[str, Any] = {"head": {}, "boolean": outcome.boolean}
        else:
            bindings = [
                {var: term_json(term) for var, term in zip(outcome.variables, row, strict=True) if term is not None}
                for row in outcome.rows
            ]
            doc = {"head": {"vars": outcome.variables}, "results": {"bindings": bindings}}
            if outcome.truncated:  # said in the body too, for clients that never look at headers
                doc["truncated"] = True
                doc["rows"] = len(outcome.rows)
        return json.dumps(doc, ensure_ascii=False).encode()
    if name == "xml":
        parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        parts += [f"<variable name={quoteattr(v)}/>" for v in outcome.variables]
        parts.append("</head>\n")
        if outcome.boolean is not None:
            parts.append(f"<boolean>{'true' if outcome.boolean else 'false'}</boolean>\n")
        else:
            parts.append("<results>\n")
            for row in outcome.rows:
                cells = "".join(
                    f"<binding name={quoteattr(var)}>{_term_xml(term)}</binding>"
                    for var, term in zip(outcome.variables, row, strict=True) if term is not None
                )
                parts.append(f"<result>{cells}</result>\n")
            parts.append("</results>\n")
        parts.append("</sparql>\n")
        return "".join(parts).encode()
    if outcome.boolean is not None:
        # CSV and TSV have no boolean form; answer with one column, as common endpoints do.
        return f"boolean\r\n{'true' if outcome.boolean else 'false'}\r\n".encode()
    if name == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(outcome.variables)
        writer.writerows([_term_csv(t) for t in row] for row in outcome.rows)
        return out.getvalue().encode()
    if name == "tsv":
        lines = ["\t".join(f"?{v}" for v in outcome.variables)]
        lines += ["\t".join("" if t is None else str(t) for t in row) for row in outcome.rows]
        return ("\n".join(lines) + "\n").encode()
    raise ValueError(f"not a results format: {name}")


def serialize_graph(triples: Sequence[ox.Triple], name: str) -> bytes:
    """CONSTRUCT or DESCRIBE results (and the service description) as Turtle, N-Triples, JSON-LD or RDF/XML."""
    fmt = _OX_GRAPH_FORMATS[name]
    prefixes = PREFIXES if name in ("turtle", "rdfxml") else None
    return ox.serialize(triples, None, fmt, prefixes=prefixes) or b""


# --------------------------------------------------------------------------- service description

SD = "http://www.w3.org/ns/sparql-service-description#"
FORMATS_NS = "http://www.w3.org/ns/formats/"
_SD_RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "JSON-LD", "RDF_XML",
)


def service_description(endpoint: str, triples: int | None = None) -> list[ox.Triple]:
    """A SPARQL 1.1 Service Description of the endpoint at ``endpoint``."""
    rdf_type = ox.NamedNode(PREFIXES["rdf"] + "type")
    service = ox.NamedNode(endpoint)
    dataset = ox.BlankNode("dataset")
    graph = ox.BlankNode("default")

    def sd(local: str) -> ox.NamedNode:
        return ox.NamedNode(SD + local)

    out = [
        ox.Triple(service, rdf_type, sd("Service")),
        ox.Triple(service, sd("endpoint"), service),
        ox.Triple(service, sd("supportedLanguage"), sd("SPARQL11Query")),
        ox.Triple(service, sd("defaultDataset"), dataset),
        ox.Triple(dataset, rdf_type, sd("Dataset")),
        ox.Triple(dataset, sd("defaultGraph"), graph),
        ox.Triple(graph, rdf_type, sd("Graph")),
        ox.Triple(service, ox.NamedNode(PREFIXES["dcterms"] + "title"), ox.Literal("hkgraph SPARQL endpoint")),
    ]
    out += [ox.Triple(service, sd("resultFormat"), ox.NamedNode(FORMATS_NS + f)) for f in _SD_RESULT_FORMATS]
    if triples is not None:
        out.append(ox.Triple(graph, ox.NamedNode("http://rdfs.org/ns/void#triples"),
                             ox.Literal(str(triples), datatype=ox.NamedNode(PREFIXES["xsd"] + "integer"))))
    return out


# ------------------------------------------------------------------------------------- examples

EXAMPLES_DIR = Path(__file__).resolve().parent / "sparql_examples"
_FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass
class Example:
    """An example query: ``sparql_examples/<name>.md`` with a title, a description, the query and the
    rows it gives on the test fixture (tests/fixtures/site)."""

    name: str
    title: str
    description: str
    query: str
    expected: Any = None


def parse_example(name: str, text: str) -> Example:
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"{name}: an example starts with a '# Title' line")
    blocks = {lang: body for lang, body in _FENCE.findall(text)}
    if "sparql" not in blocks:
        raise ValueError(f"{name}: no ```sparql block")
    first_fence = text.index("```")
    description = " ".join(text[len(lines[0]):first_fence].split())
    expected = json.loads(blocks["json"]) if "json" in blocks else None
    return Example(name, lines[0][2:].strip(), description, blocks["sparql"].strip() + "\n", expected)


def load_examples(folder: Path | None = None) -> list[Example]:
    """Every example, in file-name order."""
    folder = EXAMPLES_DIR if folder is None else folder
    return [parse_example(p.stem, p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.md"))]
