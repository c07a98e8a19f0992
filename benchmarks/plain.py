"""The same build through the plain path, as the ratio to beat.

The plain path is what one writes first: PyYAML's pure-Python ``yaml.safe_load`` on every file,
pydantic validation, the integrity checks, an rdflib ``Graph`` filled with ``Graph.add`` and written by
rdflib's own Turtle, N-Triples and JSON-LD serializers, and the same SQLite compiler. It skips SHACL and
the SPARQL store (the hkgraph build does both), so the ratio it gives is a lower bound.
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path

import rdflib
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hkgraph.compile.rdf import PREFIXES, record_triples  # noqa: E402
from hkgraph.compile.sqlite import to_sqlite  # noqa: E402
from hkgraph.records import model as m  # noqa: E402
from hkgraph.records.checks import check_dataset  # noqa: E402
from hkgraph.records.load import Dataset, iter_record_files  # noqa: E402


def _term(term):  # type: ignore[no-untyped-def]
    import pyoxigraph as ox

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def plain_build(root: Path, out: Path) -> dict[str, float]:
    """Build ``root`` the plain way into ``out``; seconds per stage."""
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    gc.enable()
    t0 = time.perf_counter()
    files = list(iter_record_files(root))
    data = []
    for model_cls, path in files:
        if path.suffix == ".yaml":
            data.append((model_cls, yaml.safe_load(path.read_text(encoding="utf-8"))))  # the pure-Python loader
    timings["parse"] = time.perf_counter() - t0

    t = time.perf_counter()
    dataset = Dataset(root=root)
    for model_cls, raw in data:
        record = model_cls.model_validate(raw)
        if isinstance(record, m.Tip):
            dataset.tips[record.id] = record
        else:
            dataset.entities[record.kind_name][record.id] = record
    timings["validate"] = time.perf_counter() - t

    t = time.perf_counter()
    check_dataset(dataset)
    timings["check"] = time.perf_counter() - t

    t = time.perf_counter()
    graph = rdflib.Graph()
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri)
    for record in [*dataset.tips.values(), *(e for table in dataset.entities.values() for e in table.values())]:
        for triple in record_triples(record):
            graph.add((_term(triple.subject), _term(triple.predicate), _term(triple.object)))
    timings["rdf"] = time.perf_counter() - t

    t = time.perf_counter()
    graph.serialize(out / "hkgraph.ttl", format="turtle")
    graph.serialize(out / "hkgraph.nt", format="nt", encoding="utf-8")
    graph.serialize(out / "hkgraph.jsonld", format="json-ld")
    timings["serialize"] = time.perf_counter() - t

    t = time.perf_counter()
    to_sqlite(dataset, out / "hkgraph.db")
    timings["sqlite"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return timings
