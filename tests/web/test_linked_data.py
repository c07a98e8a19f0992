"""Linked Data: every kind of IRI answers at /<kind>/<id> with RDF rdflib reads, or the page for a browser."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
import rdflib
from datasette.app import Datasette
from datasette.utils import tilde_encode

from hkgraph.compile.rdf import BASE
from hkgraph.web.linked_data import KIND_TABLES, iri_of_row, row_of_iri

module_loop = pytest.mark.asyncio(loop_scope="module")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FORMATS = {"text/turtle": "turtle", "application/n-triples": "nt", "application/ld+json": "json-ld"}


async def iris_by_kind(ds: Datasette) -> dict[str, str]:
    """One subject IRI of each kind the fixture's graph holds."""
    r = await ds.client.get("/-/sparql", params={
        "query": f"SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), '{BASE}')) }} ORDER BY ?s"})
    found: dict[str, str] = {}
    for b in r.json()["results"]["bindings"]:
        iri = b["s"]["value"]
        kind = iri[len(BASE):].partition("/")[0]
        found.setdefault(kind, iri)
    return found


@module_loop
async def test_every_kind_in_the_graph_has_a_route(ds: Datasette) -> None:
    kinds = set(await iris_by_kind(ds))
    assert kinds >= {"tip", "node", "parameter", "value", "repo", "model", "hardware", "person", "concept",
                     "setting", "quote"}
    assert kinds <= set(KIND_TABLES)


@module_loop
@pytest.mark.parametrize(("accept", "fmt"), list(FORMATS.items()))
async def test_each_kind_as_rdf_by_accept(ds: Datasette, accept: str, fmt: str) -> None:
    for kind, iri in (await iris_by_kind(ds)).items():
        path = "/" + iri[len(BASE):]
        r = await ds.client.get(path, headers={"accept": accept})
        assert r.status_code == 200, (kind, path, r.text)
        assert r.headers["content-type"].startswith(accept)
        assert "Accept" in r.headers["vary"]
        graph = rdflib.Graph().parse(data=r.text, format=fmt)
        subject = rdflib.URIRef(iri)
        assert (subject, None, None) in graph, kind
        # only this record's triples, plus labels and titles of what it points to
        others = {s for s in graph.subjects() if s != subject}
        label = {rdflib.RDFS.label, rdflib.DCTERMS.title}
        assert all(set(graph.predicates(o)) <= label for o in others), kind


@module_loop
async def test_extension_chooses_the_format(ds: Datasette) -> None:
    base = "/node/wanvideo-model-loader"
    turtle = await ds.client.get(base + ".ttl", headers={"accept": BROWSER})
    assert turtle.headers["content-type"] == "text/turtle; charset=utf-8"
    nt = await ds.client.get(base + ".nt")
    assert nt.headers["content-type"].startswith("application/n-triples")
    jsonld = await ds.client.get(base + ".jsonld")
    assert jsonld.headers["content-type"] == "application/ld+json"
    graphs = [rdflib.Graph().parse(data=r.text, format=f) for r, f in ((turtle, "turtle"), (nt, "nt"), (jsonld, "json-ld"))]
    assert len(graphs[0]) == len(graphs[1]) == len(graphs[2]) > 5
    node = rdflib.URIRef(BASE + "node/wanvideo-model-loader")
    g = graphs[0]
    assert str(g.value(node, rdflib.RDFS.label)) == "WanVideo Model Loader"
    repo = g.value(node, rdflib.URIRef("https://w3id.org/hkgraph/vocab#providedBy"))
    assert str(g.value(repo, rdflib.RDFS.label)) == "ComfyUI-WanVideoWrapper"  # the label of what it points to
    assert '<https://w3id.org/hkgraph/node/wanvideo-model-loader.ttl>; rel="alternate"' not in turtle.headers["link"]
    assert '</node/wanvideo-model-loader.ttl>; rel="alternate"; type="text/turtle"' in turtle.headers["link"]


@module_loop
async def test_a_browser_is_sent_to_the_page(ds: Datasette) -> None:
    found = await iris_by_kind(ds)
    for kind, iri in found.items():
        r = await ds.client.get("/" + iri[len(BASE):], headers={"accept": BROWSER})
        assert r.status_code == 303, kind
        table, row_id = row_of_iri(iri)  # type: ignore[misc]
        page = await ds.client.get(r.headers["location"])
        assert page.status_code == 200, (kind, r.headers["location"])
        assert iri_of_row(table, row_id) == iri


@module_loop
async def test_a_value_with_reserved_characters(ds: Datasette) -> None:
    r = await ds.client.get("/-/sparql", params={
        "query": "SELECT ?v WHERE { ?v a hkv:ParameterValue } ORDER BY ?v"})
    encoded = [b["v"]["value"] for b in r.json()["results"]["bindings"] if "%" in b["v"]["value"]]
    for iri in encoded[:3]:
        turtle = await ds.client.get("/" + iri[len(BASE):], headers={"accept": "text/turtle"})
        assert turtle.status_code == 200
        assert (rdflib.URIRef(iri), None, None) in rdflib.Graph().parse(data=turtle.text, format="turtle")


@module_loop
@pytest.mark.parametrize(("path", "accept"), [
    ("/node/no-such-node", "text/turtle"),
    ("/node/no-such-node", BROWSER),
    ("/tip/a%20b", "text/turtle"),
    ("/node/<x>", "text/turtle"),
])
async def test_unknown_records_are_404(ds: Datasette, path: str, accept: str) -> None:
    r = await ds.client.get(path, headers={"accept": accept})
    assert r.status_code == 404


@module_loop
async def test_pages_show_their_iri_and_link_its_rdf(ds: Datasette) -> None:
    seen: dict[str, Any] = defaultdict(int)
    for kind, iri in (await iris_by_kind(ds)).items():
        if kind in ("setting", "quote"):
            continue
        table, row_id = row_of_iri(iri)  # type: ignore[misc]
        page = await ds.client.get(ds.urls.row("hkgraph", table, tilde_encode(row_id)))
        assert f'<code class="hk-iri-value">{iri}</code>' in page.text, kind
        assert f'href="/{iri[len(BASE):]}.jsonld">JSON-LD</a>' in page.text, kind
        seen[kind] += 1
    assert len(seen) >= 9


def test_a_value_ending_in_a_dot_round_trips() -> None:
    """The web side mints the same IRI as the graph for a value ending in a dot, and reads it back."""
    from hkgraph.compile.rdf import value_iri

    iri = iri_of_row("parameter_values", "prompt=the camera view suddenly changes ...")
    assert iri == value_iri("prompt", "the camera view suddenly changes ...").value
    assert row_of_iri(iri) == ("parameter_values", "prompt=the camera view suddenly changes ...")
