"""The w3id.org rules (w3id/.htaccess) send every kind of IRI to the site path that answers for it."""

from __future__ import annotations

import re

import pytest
import rdflib
from datasette.app import Datasette

from hkgraph.compile.rdf import BASE
from hkgraph.web.linked_data import KIND_TABLES

from conftest import ROOT

HTACCESS = (ROOT / "w3id" / ".htaccess").read_text(encoding="utf-8")
module_loop = pytest.mark.asyncio(loop_scope="module")


def rules() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for line in HTACCESS.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] == "RewriteRule" and parts[2] != "-":
            out.append((re.compile(parts[1]), parts[2]))
    return out


def _expand(target: str, groups: tuple[str | None, ...]) -> str:
    return re.sub(r"\$(\d)", lambda m: groups[int(m.group(1)) - 1] or "", target)


def redirect(path: str) -> str | None:
    """Where w3id.org sends https://w3id.org/hkgraph/<path>, with the site as ``SITE``."""
    for pattern, target in rules():
        match = pattern.match(path)
        if match:
            return _expand(target, match.groups()).replace("%{ENV:HKGRAPH_SITE}", "SITE")
    return None


def test_every_kind_of_iri_is_redirected_to_its_own_path() -> None:
    kinds = set(re.search(r"\^\(\(([a-z|-]+)\)/\.\+\)\$", HTACCESS).group(1).split("|"))  # type: ignore[union-attr]
    assert kinds == set(KIND_TABLES) | {"file", "page", "workflow"}
    for kind in sorted(kinds):
        assert redirect(f"{kind}/some-id") == f"SITE/{kind}/some-id"
        assert redirect(f"{kind}/some-id.ttl") == f"SITE/{kind}/some-id.ttl"
    assert redirect("value/cfg/1.0") == "SITE/value/cfg/1.0"
    assert redirect("vocab") == "SITE/vocab"
    assert redirect("") == "SITE/"
    assert redirect("unknown/x") is None
    assert "[R=303,NE,L]" in HTACCESS


def test_the_namespace_is_documented() -> None:
    doc = (ROOT / "docs" / "namespace.md").read_text(encoding="utf-8")
    assert "w3id/.htaccess" in doc and BASE in doc


@module_loop
async def test_vocabulary_and_shapes_answer_as_turtle(ds: Datasette) -> None:
    vocab = await ds.client.get("/vocab")
    assert vocab.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = rdflib.Graph().parse(data=vocab.text, format="turtle")
    assert (rdflib.URIRef(BASE + "vocab#Tip"), None, None) in graph
    assert vocab.content == (ROOT / "schema" / "hkgraph.ttl").read_bytes()
    shapes = await ds.client.get("/shapes.ttl")
    assert shapes.content == (ROOT / "schema" / "shapes.ttl").read_bytes()


@module_loop
async def test_the_documented_curl_example(ds: Datasette) -> None:
    doc = (ROOT / "docs" / "namespace.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"^curl -H 'Accept: ([^']+)' http://127\.0\.0\.1:8001(/\S+)$", doc, re.MULTILINE)
    accept, path = command
    r = await ds.client.get(path, headers={"accept": accept})
    graph = rdflib.Graph().parse(data=r.text, format="turtle")
    assert (rdflib.URIRef(BASE + path.lstrip("/")), rdflib.RDFS.label, rdflib.Literal("WanVideo Model Loader")) in graph
