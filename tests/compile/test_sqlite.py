"""The SQLite database holds the same facts as the RDF graph."""

from __future__ import annotations

import sqlite3

import pyoxigraph as ox
import pytest

from hkgraph.compile.sqlite import ENTITY_TABLES, LINK_TABLES
from hkgraph.query.engine import run_sparql

PREDICATES = {
    "nodes": "aboutNode", "parameters": "aboutParameter", "values": "aboutValue", "repos": "aboutRepo",
    "models": "aboutModel", "files": "aboutFile", "hardware": "aboutHardware", "people": "mentionsPerson",
    "concepts": "aboutConcept", "workflows": "aboutWorkflow",
}
CLASSES = {"person": "Person", "repo": "Repo", "node": "Node", "parameter": "Parameter", "model": "Model",
           "file": "ModelFile", "hardware": "Hardware", "concept": "Concept", "page": "SourcePage",
           "workflow": "ExampleWorkflow"}


@pytest.fixture(scope="module")
def db(built_dist):
    conn = sqlite3.connect(built_dist / "hkgraph.db")
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def store(built_dist):
    s = ox.Store()
    s.bulk_load(path=str(built_dist / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return s


def test_same_tips(db, store):
    sql = {r[0] for r in db.execute("SELECT id FROM tips")}
    rdf = {r["id"] for r in run_sparql(store, "SELECT ?id WHERE { ?t a hkv:Tip ; dcterms:identifier ?id }")}
    assert sql == rdf and sql


@pytest.mark.parametrize("kind,table", list(ENTITY_TABLES.items()))
def test_same_entities(db, store, kind, table):
    sql = {r[0] for r in db.execute(f"SELECT id FROM {table}")}
    rdf = {r["id"] for r in run_sparql(store, f"SELECT ?id WHERE {{ ?e a hkv:{CLASSES[kind]} ; dcterms:identifier ?id }}")}
    assert sql == rdf


@pytest.mark.parametrize("derived", [False, True], ids=["named", "derived"])
@pytest.mark.parametrize("field", list(LINK_TABLES))
def test_same_links(db, store, field, derived):
    """Named links are the field's predicate in RDF, derived ones hkv:derivedAbout to an entity of the kind."""
    table, column, _other = LINK_TABLES[field]
    sql = set(db.execute(f"SELECT tip_id, {column} FROM {table} WHERE via IS {'NOT ' if derived else ''}NULL"))
    predicate = "hkv:derivedAbout" if derived else f"hkv:{PREDICATES[field]}"
    if field == "values":
        query = (f"SELECT ?tip ?p ?v WHERE {{ ?t {predicate} ?val ; dcterms:identifier ?tip . "
                 "?val a hkv:ParameterValue ; hkv:ofParameter/dcterms:identifier ?p ; rdfs:label ?v }")
        rdf = {(r["tip"], f"{r['p']}={r['v']}") for r in run_sparql(store, query)}
    else:
        kind = {"people": "person", "hardware": "hardware"}.get(field, field[:-1])
        query = (f"SELECT ?tip ?id WHERE {{ ?t {predicate} ?e ; dcterms:identifier ?tip . "
                 f"?e a hkv:{CLASSES[kind]} ; dcterms:identifier ?id }}")
        rdf = {(r["tip"], r["id"]) for r in run_sparql(store, query)}
    assert sql == rdf
    if not derived and field in ("nodes", "parameters", "repos", "models"):
        assert sql, f"the real data names {field}"


def test_foreign_keys_hold(db):
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    fks = {(r[2], r[3]) for r in db.execute("PRAGMA foreign_key_list(tip_nodes)")}
    assert fks == {("tips", "tip_id"), ("nodes", "node_id")}


def test_full_text_search_finds_tips(db):
    word = db.execute("SELECT title FROM tips LIMIT 1").fetchone()[0].split()[0]
    hits = db.execute("SELECT count(*) FROM tips_fts WHERE tips_fts MATCH ?", (f'"{word}"',)).fetchone()[0]
    assert hits >= 1


def test_views_run(db):
    for view in ("tip_links", "entities", "advice", "node_overview", "current_tips"):
        db.execute(f"SELECT * FROM {view} LIMIT 5").fetchall()
    row = db.execute("SELECT name, class_name, repo FROM node_overview WHERE id = 'wanvideo-model-loader'").fetchone()
    assert row == ("WanVideo Model Loader", "WanVideoModelLoader", "comfyui-wanvideowrapper")
