"""Policy decisions are remembered by query text, and a remembered decision is the same decision."""

from __future__ import annotations

import pytest

from hkgraph.query import policy
from hkgraph.query.policy import PolicyError, check_query, verdict_cache_info

SERVICE = "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"
DEEP = "SELECT * WHERE { BIND(" + "STR(" * 2000 + "1" + ")" * 2000 + " AS ?x) }"


def decide(query: str, graphs: tuple[str, ...] = ()) -> tuple[int, str] | None:
    try:
        check_query(query, graphs)
    except PolicyError as exc:
        return exc.status, str(exc)
    return None


@pytest.mark.parametrize("query", [SERVICE, "LOAD <http://127.0.0.1:9/x>", DEEP, "SELECT ?s WHERE { ?s ?p }",
                                   "INSERT DATA { <a:b> <a:c> <a:d> }"])
def test_a_refusal_is_refused_again_from_the_cache(query: str) -> None:
    first = decide(query)
    hits = verdict_cache_info().hits
    assert first is not None
    assert decide(query) == first
    assert decide(query) == first
    if len(query) <= policy.CACHED_LENGTH:
        assert verdict_cache_info().hits >= hits + 2  # answered from the cache, and still refused


def test_from_graphs_are_checked_against_the_store_on_every_call() -> None:
    query = "SELECT * FROM <https://example.org/g> WHERE { ?s ?p ?o }"
    assert decide(query, ("https://example.org/g",)) is None
    refused = decide(query, ())
    assert refused is not None and refused[0] == 403 and "FROM <https://example.org/g>" in refused[1]
    assert decide(query, ("https://example.org/g",)) is None


def test_a_plain_query_passes_and_the_cache_is_bounded() -> None:
    assert decide("SELECT * WHERE { ?s ?p ?o } LIMIT 1") is None
    assert verdict_cache_info().maxsize == policy.CACHED
    long_query = "SELECT * WHERE { ?s ?p ?o } " + "#" * (policy.CACHED_LENGTH + 10) + "\n"
    size = verdict_cache_info().currsize
    assert decide(long_query) is None
    assert verdict_cache_info().currsize == size  # longer texts are decided without being kept
    service_in_long = "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } } " + "#" * policy.CACHED_LENGTH + "\n"
    assert decide(service_in_long) is not None
