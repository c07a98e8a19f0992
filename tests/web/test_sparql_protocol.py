"""The SPARQL protocol core: read-only policy, limits, content negotiation, result formats, examples."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyoxigraph as ox
import pytest

from hkgraph.query.engine import open_store, term_to_python
from hkgraph.web import sparql_protocol as sp

from conftest import FIXTURES

FIXTURE_GRAPH = FIXTURES / "site"


@pytest.fixture(scope="module")
def store(site_dist: Path) -> ox.Store:
    return open_store(site_dist)


# ---------------------------------------------------------------------------------------- policy

REFUSED = [
    ("INSERT DATA { <http://a> <http://b> <http://c> }", "SPARQL Update is refused (INSERT DATA)"),
    ("DELETE WHERE { ?s ?p ?o }", "SPARQL Update is refused (DELETE WHERE)"),
    ("LOAD <http://127.0.0.1:9/data.ttl>", "SPARQL Update is refused (LOAD)"),
    ("clear all", "SPARQL Update is refused (CLEAR)"),
    ("DROP GRAPH <http://a>", "SPARQL Update is refused (DROP)"),
    ("WITH <http://a> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "SPARQL Update is refused"),
    ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", "SERVICE is refused"),
    ("select * where { service silent <http://x/> { ?s ?p ?o } }", "SERVICE is refused"),
    ("SELECT * WHERE { \\u0053ERVICE <http://x/> { ?s ?p ?o } }", "SERVICE is refused"),
    ("SELECT * WHERE { # a comment\n SERVICE <http://x/> { ?s ?p ?o } }", "SERVICE is refused"),
    ("SELECT * FROM <http://127.0.0.1:9/g> WHERE { ?s ?p ?o }", "FROM <http://127.0.0.1:9/g> is refused"),
    ("SELECT * FROM NAMED <http://x/g> WHERE { GRAPH ?g { ?s ?p ?o } }", "FROM NAMED <http://x/g> is refused"),
    ("PREFIX ex: <http://x/> SELECT * FROM ex:g WHERE { ?s ?p ?o }", "FROM <http://x/g> is refused"),
    ("SELECT * FROM<http://x/g>WHERE { ?s ?p ?o }", "FROM <http://x/g> is refused"),
    ("SELECT * from named<http://x/g> WHERE { ?s ?p ?o }", "FROM NAMED <http://x/g> is refused"),
    ("SELECT * WHERE { SERVICE<http://x/>{ ?s ?p ?o } }", "SERVICE is refused"),
    ("SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }", "SERVICE is refused"),
]


@pytest.mark.parametrize(("query", "message"), REFUSED)
def test_refused(query: str, message: str) -> None:
    with pytest.raises(sp.RefusedError) as info:
        sp.check_query(query)
    assert message in str(info.value)
    assert info.value.status == 403


ALLOWED = [
    "SELECT ?service ?from ?load WHERE { ?service ?from ?load }",  # variables named like keywords
    'SELECT * WHERE { ?s ?p "SERVICE <http://x/> FROM <http://y/> INSERT" }',  # inside a string
    "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",  # inside an IRI
    "PREFIX load: <http://x/> SELECT * WHERE { ?s load:from ?o }",  # prefixed names
    "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://x/> in a comment",
    '''SELECT * WHERE { ?s ?p """a long string with
    DELETE and SERVICE""" }''',
]


@pytest.mark.parametrize("query", ALLOWED)
def test_allowed(query: str) -> None:
    sp.check_query(query)


def test_from_a_graph_the_store_holds_is_allowed() -> None:
    sp.check_query("SELECT * FROM <http://x/g> WHERE { ?s ?p ?o }", graphs=["http://x/g"])


def test_dataset_parameters_outside_the_dataset_are_refused() -> None:
    with pytest.raises(sp.RefusedError, match="default-graph-uri=http://x/g is refused"):
        sp.check_dataset_params(["http://x/g"], [], [])
    with pytest.raises(sp.RefusedError, match="named-graph-uri=http://y/ is refused"):
        sp.check_dataset_params([], ["http://y/"], [])
    sp.check_dataset_params(["http://x/g"], [], ["http://x/g"])


# ------------------------------------------------------------------------------------- execution


def test_select_rows_and_variables(store: ox.Store) -> None:
    outcome = sp.run_query(store, "SELECT ?name WHERE { node:wanvideo-sampler rdfs:label ?name }", sp.Limits())
    assert outcome.kind == "results"
    assert outcome.variables == ["name"]
    assert [[t.value for t in row] for row in outcome.rows] == [["WanVideo Sampler"]]
    assert outcome.truncated is False


def test_row_cap_cuts_and_flags(store: ox.Store) -> None:
    outcome = sp.run_query(store, "SELECT * WHERE { ?s ?p ?o }", sp.Limits(max_rows=5))
    assert len(outcome.rows) == 5
    assert outcome.truncated is True
    graph = sp.run_query(store, "CONSTRUCT WHERE { ?s ?p ?o }", sp.Limits(max_rows=7))
    assert (len(graph.triples), graph.truncated) == (7, True)


def test_time_limit_stops_a_streaming_query(store: ox.Store) -> None:
    started = time.monotonic()
    with pytest.raises(sp.TimeLimitError, match="time limit of 100 ms"):
        sp.run_query(store, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
                     sp.Limits(time_limit_ms=100, max_rows=10**9))
    assert time.monotonic() - started < 5


def test_syntax_error_is_a_readable_400(store: ox.Store, monkeypatch: pytest.MonkeyPatch) -> None:
    # as in the endpoint's workers, which cannot reach the network: the engine words the error
    monkeypatch.setattr("hkgraph.query.sandbox._CONFINED", True)
    with pytest.raises(sp.ProtocolError) as info:
        sp.run_query(store, "SELECT * WHERE { ?s ?p ", sp.Limits())
    assert info.value.status == 400
    assert str(info.value).startswith("SPARQL syntax error at line 1, column 24: the query ends too early")
    assert info.value.details == {"line": 1, "column": 24}


# ----------------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("kind", "accept", "requested", "expected"),
    [
        ("results", "", None, "json"),
        ("results", "*/*", None, "json"),
        ("results", "application/sparql-results+xml", None, "xml"),
        ("results", "text/csv;q=0.5, text/tab-separated-values", None, "tsv"),
        ("results", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, "html"),
        ("results", "application/sparql-results+json", "csv", "csv"),
        ("results", "", "application/sparql-results+xml", "xml"),
        ("graph", "", None, "turtle"),
        ("graph", "application/n-triples", None, "ntriples"),
        ("graph", "application/ld+json", None, "jsonld"),
        ("graph", "application/sparql-results+json, text/turtle;q=0.1", None, "turtle"),
        ("graph", "", "json-ld", "jsonld"),
        ("graph", "", "xml", "rdfxml"),
        ("graph", "", "json", "jsonld"),
        ("results", "application/unknown", None, "json"),
    ],
)
def test_negotiate(kind: str, accept: str, requested: str | None, expected: str) -> None:
    assert sp.negotiate(kind, accept, requested) == expected


def test_negotiate_rejects_a_format_the_query_kind_has_not() -> None:
    with pytest.raises(sp.ProtocolError, match="format 'turtle' is not available for this query"):
        sp.negotiate("results", "", "turtle")


# --------------------------------------------------------------------------------- serialization

MIXED = """
SELECT ?s ?label ?n ?missing WHERE {
  { BIND(node:wanvideo-sampler AS ?s) BIND("Sampler, \\"quoted\\"\\nnext line"@en AS ?label) BIND(3 AS ?n) }
  UNION
  { BIND(BNODE() AS ?s) BIND("plain" AS ?label) }
  OPTIONAL { ?s hkv:nothing ?missing }
}"""


@pytest.mark.parametrize(("name", "fmt"), [
    ("json", ox.QueryResultsFormat.JSON), ("xml", ox.QueryResultsFormat.XML), ("tsv", ox.QueryResultsFormat.TSV),
])
def test_results_formats_parse_back(store: ox.Store, name: str, fmt: ox.QueryResultsFormat) -> None:
    outcome = sp.run_query(store, MIXED, sp.Limits())
    parsed = ox.parse_query_results(sp.serialize_results(outcome, name), fmt)
    assert [v.value for v in parsed.variables] == ["s", "label", "n", "missing"]
    rows = [[sol[v] for v in ("s", "label", "n", "missing")] for sol in parsed]
    assert rows[0] == outcome.rows[0]
    assert isinstance(rows[1][0], ox.BlankNode)
    assert rows[1][1:] == outcome.rows[1][1:]


def test_csv_keeps_lexical_values_and_quotes_fields(store: ox.Store) -> None:
    import csv
    import io

    body = sp.serialize_results(sp.run_query(store, MIXED, sp.Limits()), "csv").decode()
    rows = list(csv.reader(io.StringIO(body, newline="")))
    assert rows[0] == ["s", "label", "n", "missing"]
    assert rows[1] == [PREFIX_NODE + "wanvideo-sampler", 'Sampler, "quoted"\nnext line', "3", ""]
    assert rows[2][0].startswith("_:") and rows[2][1:] == ["plain", "", ""]
    assert body.endswith("\r\n")


PREFIX_NODE = "https://w3id.org/hkgraph/node/"


@pytest.mark.parametrize("name", ["json", "xml", "csv", "tsv"])
def test_ask_in_every_results_format(store: ox.Store, name: str) -> None:
    outcome = sp.run_query(store, "ASK { node:wanvideo-sampler ?p ?o }", sp.Limits())
    body = sp.serialize_results(outcome, name).decode()
    assert "true" in body
    if name in ("json", "xml"):
        fmt = ox.QueryResultsFormat.JSON if name == "json" else ox.QueryResultsFormat.XML
        assert bool(ox.parse_query_results(body.encode(), fmt)) is True


@pytest.mark.parametrize(("name", "fmt"), [
    ("turtle", ox.RdfFormat.TURTLE), ("ntriples", ox.RdfFormat.N_TRIPLES), ("jsonld", ox.RdfFormat.JSON_LD),
    ("rdfxml", ox.RdfFormat.RDF_XML),
])
def test_graph_formats_parse_back(store: ox.Store, name: str, fmt: ox.RdfFormat) -> None:
    outcome = sp.run_query(store, "DESCRIBE node:wanvideo-sampler", sp.Limits())
    assert outcome.kind == "graph" and outcome.triples
    parsed = {q.triple for q in ox.parse(sp.serialize_graph(outcome.triples, name), fmt)}
    assert parsed == set(outcome.triples)


def test_service_description_names_the_endpoint() -> None:
    triples = sp.service_description("http://127.0.0.1:1/-/sparql", 42)
    text = sp.serialize_graph(triples, "ntriples").decode()
    assert "<http://127.0.0.1:1/-/sparql> <http://www.w3.org/ns/sparql-service-description#endpoint>" in text
    assert '"42"^^<http://www.w3.org/2001/XMLSchema#integer>' in text


# -------------------------------------------------------------------------------------- examples


def _plain(outcome: sp.Outcome) -> object:
    if outcome.boolean is not None:
        return outcome.boolean
    if outcome.kind == "results":
        return [{v: term_to_python(t) for v, t in zip(outcome.variables, row, strict=True) if t is not None}
                for row in outcome.rows]
    return sorted([term_to_python(t.subject), term_to_python(t.predicate), term_to_python(t.object)]
                  for t in outcome.triples)


EXAMPLES = sp.load_examples()


def test_there_are_examples_of_every_query_form() -> None:
    queries = " ".join(ex.query.split()[0] for ex in EXAMPLES)
    assert len(EXAMPLES) >= 8
    assert {"SELECT", "ASK", "CONSTRUCT"} <= set(queries.split())


@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.name for ex in EXAMPLES])
def test_example_gives_its_documented_answer(store: ox.Store, example: sp.Example) -> None:
    assert example.expected is not None, f"{example.name}.md has no ```json block with the expected answer"
    assert _plain(sp.run_query(store, example.query, sp.Limits())) == example.expected


@pytest.mark.parametrize("example", EXAMPLES, ids=[ex.name for ex in EXAMPLES])
def test_example_runs_on_the_real_data(built_dist: Path, example: sp.Example) -> None:
    outcome = sp.run_query(open_store(built_dist), example.query, sp.Limits())
    assert outcome.kind in ("results", "graph")


def test_parse_example_reports_a_missing_query() -> None:
    with pytest.raises(ValueError, match="x: no ```sparql block"):
        sp.parse_example("x", "# Title\n\ntext\n")
    ex = sp.parse_example("y", "# T\n\nSome `words`.\n\n```sparql\nASK {}\n```\n\n```json\ntrue\n```\n")
    assert (ex.title, ex.description, ex.query, ex.expected) == ("T", "Some `words`.", "ASK {}\n", True)
    assert json.dumps(ex.expected) == "true"
