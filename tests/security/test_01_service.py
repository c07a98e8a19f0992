"""Finding 1: no query, however spelled, makes the engine contact another machine.

A TCP listener on loopback stands for "another machine": every SERVICE spelling (fixed ones that got
past the old regular expressions, and generated ones) goes through every transport of a real `hkgraph
serve` (GET, form POST, application/sparql-query), the embedded ``KnowledgeGraph.sparql`` and
``hkgraph query sparql``; the listener must receive nothing. A second test skips the policy check
altogether and shows the worker processes themselves cannot connect.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hkgraph.query.engine import QueryError
from hkgraph.query.kg import KnowledgeGraph

from conftest import Listener, Served, site_project

pytestmark = pytest.mark.e2e
TARGET = "__TARGET__"  # replaced by the listener's URL


def fixed_spellings() -> list[str]:
    return [
        f"SELECT * WHERE {{ SERVICE <{TARGET}/sparql> {{ ?s ?p ?o }} }}",
        # the three spellings that passed the regular expressions
        f"SELECT * WHERE {{ ?s ?p ?o .SERVICE <{TARGET}/sparql> {{ ?a ?b ?c }} }}",
        f"SELECT * WHERE {{ FILTER(1 < 2) SERVICE <{TARGET}/sparql> {{ ?a ?b ?c }} }}",
        f"PREFIX ex: <http://example.org/> SELECT * WHERE {{ ?s ex:a\\#b ?o SERVICE <{TARGET}/sparql> {{ ?a ?b ?c }} }}",
        f"select * where {{ service silent <{TARGET}/x> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{TARGET}/sparql> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?e {{ <{TARGET}/v> }} SERVICE ?e {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{TARGET}/sub> {{ ?s ?p ?o }} }} }} }}",
        f"ASK {{ OPTIONAL {{ SERVICE <{TARGET}/ask> {{ ?s ?p ?o }} }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{TARGET}/c> {{ ?s ?p ?o }} }}",
        f"SELECT * FROM <{TARGET}/from.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{TARGET}/named.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
        f"LOAD <{TARGET}/load.ttl>",
        f"SELECT * WHERE {{ ?s ?p ?o # comment }}\n SERVICE <{TARGET}/after-comment> {{ ?a ?b ?c }} }}",
    ]


# ---------------------------------------------------------------------------- generated spellings

_KEYWORD = st.lists(st.booleans(), min_size=7, max_size=7).map(
    lambda upper: "".join(c.upper() if u else c for c, u in zip("service", upper, strict=True)))
_ESCAPED = st.sampled_from(["\\u0053ERVICE", "S\\u0045RVICE", "SERVIC\\u0045", "\\U00000053ervice"])
_GAP = st.sampled_from([" ", "\n", "\t", "  ", " #c\n", "\n#}\n", ""])
_BEFORE = st.sampled_from([
    "", "?s ?p ?o .", "?s ?p ?o", "FILTER(1 < 2)", "FILTER(?x > 1)", "BIND(1 AS ?x)", "OPTIONAL { ?s ?p ?o }",
    "?s <http://example.org/a#b> ?o .", "?s ex:a\\#b ?o", "{ ?s ?p ?o }", "MINUS { ?s ?p ?o }",
    "?s ex:p \"SERVICE <http://127.0.0.1:1/>\" .", "VALUES ?v { 1 }",
])
_ENDPOINT = st.sampled_from([f"<{TARGET}/g>", "?e", "ex:remote"])
_SILENT = st.sampled_from(["", "SILENT", "silent"])
_WRAP = st.sampled_from(["{}", "{ {} }", "{ OPTIONAL {} }", "{ ?s ?p ?o {} }", "{ {} UNION { ?s ?p ?o } }"])
_FORM = st.sampled_from(["SELECT * WHERE {}", "ASK {}", "CONSTRUCT { ?s ?p ?o } WHERE {}",
                         "SELECT ?s (COUNT(*) AS ?n) WHERE {} GROUP BY ?s", "DESCRIBE ?s WHERE {}"])


@st.composite
def service_queries(draw: st.DrawFn) -> str:
    """A query holding a SERVICE somewhere, spelled in one of many ways the grammar allows."""
    keyword = draw(st.one_of(_KEYWORD, _ESCAPED))
    service = (f"{draw(_BEFORE)}{draw(_GAP)}{keyword}{draw(_GAP)}{draw(_SILENT)} {draw(_ENDPOINT)}"
               f"{draw(_GAP)}{{ ?a ?b ?c }}")
    if "?e" in service:
        service = f"VALUES ?e {{ <{TARGET}/v> }} " + service
    body = draw(_WRAP).replace("{}", "{ " + service + " }", 1)
    form = draw(_FORM).replace("{}", body, 1)
    return f"PREFIX ex: <{TARGET}/ns#>\n{form}"


def localise(query: str, listener: Listener) -> str:
    return query.replace(TARGET, listener.url)


def nothing_received(listener: Listener, wait: float = 0.3) -> list[bytes]:
    time.sleep(wait)
    return listener.received


# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    found = Listener()
    yield found
    found.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = site_project(tmp_path_factory.mktemp("service"))
    served = Served(["--root", str(root)], root / "serve.log")
    try:
        yield served.wait("/-/sparql?query=ASK%20%7B%7D")
    finally:
        served.stop()


@pytest.fixture(scope="module")
def kg(server: Served) -> Iterator[KnowledgeGraph]:
    graph = KnowledgeGraph.open(Path(server.log_path).parent / "dist")
    yield graph
    graph.close()


def send_everywhere(client: httpx.Client, url: str, query: str) -> list[int]:
    """The query by GET, by form POST and as an application/sparql-query body; the statuses."""
    return [
        client.get(url, params={"query": query}).status_code,
        client.post(url, data={"query": query}).status_code,
        client.post(url, content=query.encode(), headers={"content-type": "application/sparql-query"}).status_code,
    ]


# ----------------------------------------------------------------------------------------- tests


def test_the_listener_hears_an_unconfined_engine(listener: Listener) -> None:
    """The test's premise: pyoxigraph on its own does call a SERVICE."""
    import pyoxigraph as ox

    before = len(listener.received)
    with pytest.raises(OSError):
        list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{listener.url}/premise> {{ ?s ?p ?o }} }}"))
    deadline = time.monotonic() + 5
    while len(listener.received) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(listener.received) > before
    listener.received.clear()


def test_fixed_spellings_reach_nobody_through_any_transport(server: Served, listener: Listener) -> None:
    with httpx.Client(timeout=30) as client:
        for template in fixed_spellings():
            query = localise(template, listener)
            statuses = send_everywhere(client, server.url + "/-/sparql", query)
            assert all(s in (400, 403) for s in statuses), (query, statuses)
    assert nothing_received(listener) == []


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=service_queries())
def test_generated_spellings_reach_nobody_over_http(server: Served, listener: Listener, query: str) -> None:
    query = localise(query, listener)
    with httpx.Client(timeout=30) as client:
        statuses = send_everywhere(client, server.url + "/-/sparql", query)
    assert all(s in (400, 403) for s in statuses), (query, statuses)
    assert nothing_received(listener, 0.05) == [], query


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(query=service_queries())
def test_generated_spellings_reach_nobody_from_python(kg: KnowledgeGraph, listener: Listener, query: str) -> None:
    with pytest.raises(QueryError):
        kg.sparql(localise(query, listener))
    assert nothing_received(listener, 0.05) == [], query


def test_fixed_spellings_reach_nobody_from_python_and_the_cli(server: Served, kg: KnowledgeGraph,
                                                              listener: Listener) -> None:
    root = Path(server.log_path).parent
    for template in fixed_spellings():
        with pytest.raises(QueryError):
            kg.sparql(localise(template, listener))
    for template in fixed_spellings()[:4]:
        done = subprocess.run([sys.executable, "-m", "hkgraph", "query", "sparql", "--root", str(root),
                               localise(template, listener)], capture_output=True, text=True, timeout=120)
        assert done.returncode != 0, done.stdout
    assert nothing_received(listener) == []


def test_the_workers_cannot_connect_even_without_the_check(server: Served, listener: Listener) -> None:
    """The second layer: a query that skips the policy check still cannot leave the worker process."""
    from hkgraph.query.sandbox import Worker

    dist = Path(server.log_path).parent / "dist"
    worker = Worker("hkgraph.query.engine:open_store_job", str(dist))
    try:
        _info, layers = worker.wait_ready(60)
        assert any(reason is None for reason in layers.values()), layers  # at least one layer holds here
        query = f"SELECT * WHERE {{ SERVICE <{listener.url}/unchecked> {{ ?s ?p ?o }} }}"
        with pytest.raises(Exception, match=r"(?i)permitted|unreachable|network"):
            worker.call("hkgraph.query.engine:sparql_job", (query,), 30)
    finally:
        worker.kill()
    assert nothing_received(listener) == []


def test_a_page_elsewhere_cannot_drive_a_local_server(server: Served) -> None:
    """DNS rebinding: a request naming another host is refused by a server bound to loopback."""
    with httpx.Client(timeout=10) as client:
        foreign = client.get(server.url + "/-/sparql", params={"query": "ASK {}"},
                             headers={"host": "attacker.example:8001"})
        local = client.get(server.url + "/-/sparql", params={"query": "ASK {}"},
                           headers={"host": f"localhost:{server.port}"})
    assert foreign.status_code == 421
    assert local.status_code == 200
    assert local.headers.get("access-control-allow-credentials") is None
