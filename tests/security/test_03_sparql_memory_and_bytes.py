"""Finding 3: a SPARQL query is bounded in memory (the worker's address space) and in answer bytes, not
only in time and rows."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e
# A cross product sorted by a string built per row: memory grows with the rows the sort must hold.
HUNGRY = ("SELECT ?k WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i BIND(CONCAT(STR(?c), STR(?f), STR(?i), STR(?a)) AS ?k) } "
          "ORDER BY ?k LIMIT 1")
WIDE = "SELECT * WHERE { ?s ?p ?o . ?s2 ?p2 ?o2 } LIMIT 10000"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("memory"), max_memory_mb=900, time_limit_ms=60000,
                        max_bytes=200_000)
    yield served
    served.stop()


def test_a_query_that_needs_gigabytes_is_stopped_by_the_memory_limit(server: Served) -> None:
    start = time.monotonic()
    r = httpx.get(server.url + "/-/sparql", params={"query": HUNGRY}, timeout=120)
    elapsed = time.monotonic() - start
    assert r.status_code in (500, 503), r.text[:300]
    assert "memory" in r.json()["error"]
    assert elapsed < 60  # stopped by memory, well before the time limit
    again = httpx.get(server.url + "/-/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=60)
    assert again.status_code == 200 and again.json()["boolean"] is True


@pytest.mark.parametrize("fmt", ["json", "xml", "csv", "tsv"])
def test_an_answer_is_cut_at_the_byte_limit(server: Served, fmt: str) -> None:
    r = httpx.get(server.url + "/-/sparql", params={"query": WIDE, "format": fmt}, timeout=120)
    assert r.status_code == 200
    assert r.headers["x-sparql-truncated"] == "true"
    assert len(r.content) <= 2 * 200_000
    html = httpx.get(server.url + "/-/sparql", params={"query": WIDE}, headers={"accept": "text/html"}, timeout=120)
    assert html.status_code == 200 and len(html.content) < 4 * 200_000 + 100_000
