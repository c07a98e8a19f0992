"""The IRIs and prefixes of the graph: plain strings, importing nothing, so that a query can be
written (and a command line answered) without loading the compiler or the models."""

from __future__ import annotations

BASE = "https://w3id.org/hkgraph/"
VOCAB = "https://w3id.org/hkgraph/vocab#"
SITE = "https://wanx-troopers.github.io/"

KIND_PREFIXES: dict[str, str] = {
    kind: f"{BASE}{kind}/"
    for kind in ("tip", "node", "parameter", "repo", "model", "file", "hardware", "person", "concept", "page",
                 "workflow", "quote", "setting")
}
PREFIXES: dict[str, str] = {
    "hk": BASE,
    "hkv": VOCAB,
    **KIND_PREFIXES,
    "dcterms": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

# The class of each kind and the well-known classes its instances also carry.
CLASSES: dict[str, tuple[str, ...]] = {
    "tip": ("hkv:Tip", "schema:CreativeWork"),
    "node": ("hkv:Node",),
    "parameter": ("hkv:Parameter",),
    "value": ("hkv:ParameterValue",),
    "repo": ("hkv:Repo", "schema:SoftwareSourceCode"),
    "model": ("hkv:Model",),
    "file": ("hkv:ModelFile", "schema:MediaObject"),
    "hardware": ("hkv:Hardware",),
    "person": ("hkv:Person", "foaf:Person", "schema:Person"),
    "concept": ("hkv:Concept", "skos:Concept"),
    "page": ("hkv:SourcePage", "schema:WebPage"),
    "workflow": ("hkv:ExampleWorkflow", "schema:CreativeWork"),
    "quote": ("hkv:Quote", "schema:Quotation"),
    "setting": ("hkv:Setting",),
    "schedule": ("hkv:ScheduleEntry",),
}
RELATION_PREDICATES = {
    "supersedes": "hkv:supersedes",
    "contradicts": "hkv:contradicts",
    "see-also": "rdfs:seeAlso",
    "refines": "hkv:refines",
}


def expand(curie: str) -> str:
    prefix, _, local = curie.partition(":")
    return PREFIXES[prefix] + local


__all__ = ["BASE", "CLASSES", "KIND_PREFIXES", "PREFIXES", "RELATION_PREDICATES", "SITE", "VOCAB", "expand"]
