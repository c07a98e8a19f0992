"""The RDF files read back with independent parsers and describe the same graph; SHACL holds."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.compare import isomorphic

from hkgraph.compile.build import ShaclError, check_shacl

from conftest import ROOT


@pytest.fixture(scope="module")
def graphs(built_dist):
    nt = rdflib.Graph().parse(built_dist / "hkgraph.nt", format="nt")
    ttl = rdflib.Graph().parse(built_dist / "hkgraph.ttl", format="turtle")
    jsonld = rdflib.Graph().parse(built_dist / "hkgraph.jsonld", format="json-ld")
    return nt, ttl, jsonld


def test_turtle_and_jsonld_describe_the_ntriples_graph(graphs):
    nt, ttl, jsonld = graphs
    assert len(nt) > 1000
    assert len(ttl) == len(nt) and isomorphic(ttl, nt)
    assert len(jsonld) == len(nt) and isomorphic(jsonld, nt)


def test_pyoxigraph_reads_the_ntriples(built_dist, graphs):
    store = ox.Store()
    store.bulk_load(path=str(built_dist / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
    assert len(store) == len(graphs[0])


def test_node_facts_in_the_graph(graphs):
    nt = graphs[0]
    node = rdflib.URIRef("https://w3id.org/hkgraph/node/wanvideo-model-loader")
    hkv = rdflib.Namespace("https://w3id.org/hkgraph/vocab#")
    assert (node, hkv.className, rdflib.Literal("WanVideoModelLoader")) in nt
    assert (node, hkv.providedBy, rdflib.URIRef("https://w3id.org/hkgraph/repo/comfyui-wanvideowrapper")) in nt
    assert (node, rdflib.RDF.type, hkv.Node) in nt


def test_shacl_catches_a_broken_graph(built_dist, tmp_path):
    broken = tmp_path / "broken.nt"
    tip = "<https://w3id.org/hkgraph/tip/x>"
    broken.write_text(
        f'{tip} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/hkgraph/vocab#Tip> .\n'
        f'{tip} <https://w3id.org/hkgraph/vocab#kind> "gossip" .\n'
    )
    with pytest.raises(ShaclError) as exc:
        check_shacl(broken, ROOT / "schema" / "shapes.ttl")
    message = str(exc.value)
    assert "Less than 1 values on <https://w3id.org/hkgraph/tip/x>->dcterms:title" in message
    assert "gossip" in message  # kind outside the closed list


def test_a_value_ending_in_a_dot_keeps_the_turtle_readable():
    """A prompt value ending in "..." made the Turtle writer end a prefixed name in an escaped dot
    (`hk:value\\/prompt\\/…\\.`), which rdflib's Turtle parser rejects: the whole release failed to parse.
    The IRI now ends in %2E, which decodes to the same value."""
    from hkgraph.compile.rdf import turtle_bytes, value_iri

    node = value_iri("prompt", "the camera view suddenly changes ...")
    assert node.value.endswith("changes%20..%2E")
    assert value_iri("cfg", "3.5").value.endswith("/value/cfg/3.5")  # other values keep their IRIs
    triples = [ox.Triple(ox.NamedNode("https://w3id.org/hkgraph/tip/x"),
                         ox.NamedNode("https://w3id.org/hkgraph/vocab#valueRef"), node)]
    graph = rdflib.Graph().parse(data=turtle_bytes(triples), format="turtle")
    assert {str(o) for o in graph.objects()} == {node.value}
