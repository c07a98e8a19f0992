"""Compile a :class:`~hkgraph.records.load.Dataset` into RDF triples and write Turtle, N-Triples and JSON-LD.

Triples are pyoxigraph terms, built without an rdflib Graph in between (rdflib's per-triple overhead
and its Turtle writer do not scale, see DESIGN.md). Output is sorted, so the same data always gives
byte-identical files.

The mapping from model fields to predicates is read off the models (``json_schema_extra["rdf"]``);
the few nested structures (source, quotes, settings, relations, model files) are mapped here.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox
from pydantic import BaseModel

from ..records import model as m
from ..records.derive import Vocabulary
from ..records.load import Dataset
from .iris import BASE, CLASSES, KIND_PREFIXES, PREFIXES, RELATION_PREDICATES, SITE, VOCAB, expand  # noqa: F401

_NN: dict[str, ox.NamedNode] = {}


def nn(curie_or_iri: str) -> ox.NamedNode:
    """A NamedNode for a CURIE (``hkv:Tip``) or a full IRI, cached."""
    node = _NN.get(curie_or_iri)
    if node is None:
        iri = curie_or_iri if "://" in curie_or_iri else expand(curie_or_iri)
        node = _NN[curie_or_iri] = ox.NamedNode(iri)
    return node


_IRIS: dict[tuple[str, str], ox.NamedNode] = {}


def iri(kind: str, ident: str) -> ox.NamedNode:
    """The IRI of a record (memoised: the same entities are referred to again and again)."""
    node = _IRIS.get((kind, ident))
    if node is None:
        node = ox.NamedNode(f"{BASE}{kind}/{ident}")
        if len(_IRIS) < 2_000_000:
            _IRIS[(kind, ident)] = node
    return node


def value_segment(value: str) -> str:
    """The last path segment of a parameter value's IRI: the value percent-encoded, a final ``.`` too.

    A value ending in a dot (a prompt ending in ``...``) would end the IRI in ``.``; Turtle writers then
    escape it as ``\\.`` in the prefixed name, which rdflib's Turtle parser rejects. ``%2E`` decodes to the
    same value, and no other value's IRI changes.
    """
    segment = quote(value, safe="")
    return segment[:-1] + "%2E" if segment.endswith(".") else segment


def value_iri(parameter_id: str, value: str) -> ox.NamedNode:
    node = _IRIS.get((parameter_id, "=" + value))
    if node is None:
        node = ox.NamedNode(f"{BASE}value/{parameter_id}/{value_segment(value)}")
        if len(_IRIS) < 2_000_000:
            _IRIS[(parameter_id, "=" + value)] = node
    return node


def site_url(page: str) -> str:
    """The published address of a source page (Jekyll turns `x.md` into `x.html`)."""
    path = page[:-3] + ".html" if page.endswith(".md") else page
    return SITE + quote(path)


_NOT_ANCHOR = re.compile(r"[^\w\- ]")


def section_anchor(section: str) -> str:
    """The id GitHub Pages gives a heading (kramdown's GFM ids): lower case, punctuation dropped, spaces → -."""
    return _NOT_ANCHOR.sub("", section.strip().lower()).replace(" ", "-")


def section_url(page: str, section: str) -> str:
    return f"{site_url(page)}#{quote(section_anchor(section), safe='-_')}"


# The vocabulary tips are compiled against: derived links and source pages (set by the build).
_VOCAB: list[Vocabulary] = [Vocabulary()]


def use_vocabulary(vocab: Vocabulary) -> None:
    """Compile tips against ``vocab`` from now on (forked workers inherit it)."""
    _VOCAB[0] = vocab


XSD_DATE = nn("xsd:date")
XSD_DECIMAL = nn("xsd:decimal")
XSD_INTEGER = nn("xsd:integer")
RDF_TYPE = nn("rdf:type")
XSD_STRING = expand("xsd:string")


def literal(value: Any) -> ox.Literal:
    if type(value) is str:
        return ox.Literal(value)
    if isinstance(value, dt.date):
        return ox.Literal(value.isoformat(), datatype=XSD_DATE)
    if isinstance(value, bool):
        return ox.Literal("true" if value else "false", datatype=nn("xsd:boolean"))
    if isinstance(value, int):
        return ox.Literal(str(value), datatype=XSD_INTEGER)
    if isinstance(value, float):
        return ox.Literal(repr(value), datatype=XSD_DECIMAL)
    return ox.Literal(str(value))


def field_predicates(model_cls: type[BaseModel]) -> dict[str, tuple[str, str | None]]:
    """field name → (predicate CURIE, referenced kind or None), for the fields that map directly."""
    out: dict[str, tuple[str, str | None]] = {}
    for name, info in model_cls.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "rdf" in extra:
            out[name] = (str(extra["rdf"]), extra.get("ref"))  # type: ignore[arg-type]
    return out


_PREDICATES: dict[type[BaseModel], dict[str, tuple[str, str | None]]] = {}


def _predicates(model_cls: type[BaseModel]) -> dict[str, tuple[str, str | None]]:
    found = _PREDICATES.get(model_cls)
    if found is None:
        found = _PREDICATES[model_cls] = field_predicates(model_cls)
    return found


Triple = ox.Triple


_FIELD_PLANS: dict[type[BaseModel], list[tuple[str, ox.NamedNode, str | None]]] = {}


def _fields(subject: ox.NamedNode, record: BaseModel) -> Iterator[Triple]:
    """Triples for the directly mapped fields of a record."""
    plan = _FIELD_PLANS.get(type(record))
    if plan is None:
        plan = [(name, nn(curie), ref) for name, (curie, ref) in _predicates(type(record)).items()]
        _FIELD_PLANS[type(record)] = plan
    for name, predicate, ref_kind in plan:
        value = getattr(record, name)
        if value is None:
            continue
        for item in value if type(value) is list else (value,):
            if ref_kind is None:
                obj: ox.NamedNode | ox.Literal = literal(item)
            elif ref_kind == "value":
                obj = value_iri(*m.split_value_ref(item))
            else:
                obj = iri(ref_kind, item)
            yield Triple(subject, predicate, obj)


def _types(subject: ox.NamedNode, kind: str) -> Iterator[Triple]:
    for cls in CLASSES[kind]:
        yield Triple(subject, RDF_TYPE, nn(cls))


def tip_triples(tip: m.Tip) -> Iterator[Triple]:
    s = iri("tip", tip.id)
    yield from _types(s, "tip")
    yield Triple(s, nn("dcterms:identifier"), literal(tip.id))
    yield from _fields(s, tip)
    yield from _fields(s, tip.source)
    vocab = _VOCAB[0]
    yield Triple(s, nn("prov:wasDerivedFrom"), ox.NamedNode(site_url(tip.source.page)))
    yield Triple(s, nn("hkv:sectionURL"), ox.NamedNode(section_url(tip.source.page, tip.source.section)))
    page = vocab.pages.get(tip.source.page)
    if page:
        yield Triple(s, nn("dcterms:source"), iri("page", page))
    for kind, target, _via in vocab.derived(tip):
        obj = value_iri(*m.split_value_ref(target)) if kind == "value" else iri(kind, target)
        yield Triple(s, nn("hkv:derivedAbout"), obj)
    for i, q in enumerate(tip.quotes, 1):
        qs = iri("quote", f"{tip.id}-{i}")
        yield from _types(qs, "quote")
        yield Triple(s, nn("hkv:hasQuote"), qs)
        yield Triple(qs, nn("hkv:inTip"), s)
        yield from _fields(qs, q)
        if q.person:
            yield Triple(s, nn("prov:wasAttributedTo"), iri("person", q.person))
    for i, st in enumerate(tip.settings, 1):
        ss = iri("setting", f"{tip.id}-{i}")
        yield from _types(ss, "setting")
        yield Triple(s, nn("hkv:hasSetting"), ss)
        yield Triple(ss, nn("hkv:inTip"), s)
        yield from _fields(ss, st)
        for v in [st.value] if st.value is not None else st.values:
            yield Triple(ss, nn("hkv:valueRef"), value_iri(st.parameter, v))
        yield from _range(ss, st.range, "hkv:minValue", "hkv:maxValue")
        if st.schedule is not None:
            yield Triple(ss, nn("hkv:schedulePer"), literal(st.schedule.per))
            for k, entry in enumerate(st.schedule.entries, 1):
                es = iri("schedule", f"{tip.id}-{i}-{k}")
                yield from _types(es, "schedule")
                yield Triple(ss, nn("hkv:scheduleEntry"), es)
                yield Triple(es, nn("hkv:position"), literal(k))
                yield from _fields(es, entry)
                yield from _range(es, entry.range, "hkv:minValue", "hkv:maxValue")
        if st.steps is not None:
            yield Triple(ss, nn("hkv:whichSteps"), literal(st.steps.which))
            yield from _range(ss, st.steps.fraction, "hkv:minStepFraction", "hkv:maxStepFraction")
            yield from _range(ss, st.steps.count, "hkv:minStepCount", "hkv:maxStepCount")
    for rel in tip.relations:
        yield Triple(s, nn(RELATION_PREDICATES[rel.type]), iri("tip", rel.tip))
        if rel.type == "supersedes":
            yield Triple(iri("tip", rel.tip), nn("hkv:supersededBy"), s)


def _range(s: ox.NamedNode, rng: m.Range | None, low: str, high: str) -> Iterator[Triple]:
    if rng is not None:
        if rng.min is not None:
            yield Triple(s, nn(low), literal(rng.min))
        if rng.max is not None:
            yield Triple(s, nn(high), literal(rng.max))


def entity_triples(entity: m.Entity) -> Iterator[Triple]:
    kind = entity.kind_name
    s = iri(kind, entity.id)
    yield from _types(s, kind)
    yield Triple(s, nn("dcterms:identifier"), literal(entity.id))
    yield Triple(s, nn("rdfs:label"), literal(entity.name))
    yield from _fields(s, entity)
    if isinstance(entity, m.Parameter):
        if entity.node:
            yield Triple(iri("node", entity.node), nn("hkv:hasParameter"), s)
        for bound, predicate in ((entity.min, "hkv:minValue"), (entity.max, "hkv:maxValue")):
            if bound is not None:
                yield Triple(s, nn(predicate), literal(bound))
    elif isinstance(entity, m.File):
        if entity.model:
            yield Triple(iri("model", entity.model), nn("hkv:hasFile"), s)
    elif isinstance(entity, m.Page):
        yield Triple(s, nn("foaf:page"), ox.NamedNode(site_url(entity.path)))


def parameter_values(dataset: Dataset) -> dict[tuple[str, str], int | None]:
    """Every (parameter, value) the data names: allowed values (with their position) and values used."""
    values: dict[tuple[str, str], int | None] = {}
    for pid, parameter in dataset.entities["parameter"].items():
        for i, v in enumerate(parameter.allowed_values):  # type: ignore[attr-defined]
            values[(pid, v)] = i
    for tip in dataset.tips.values():
        for ref_ in tip.values:
            values.setdefault(m.split_value_ref(ref_), None)
        for st in tip.settings:
            for v in [st.value] if st.value is not None else st.values:
                values.setdefault((st.parameter, v), None)
    return values


def value_triples(dataset: Dataset) -> Iterator[Triple]:
    for (pid, v), position in parameter_values(dataset).items():
        yield from _value_triples(pid, v, position)


def _value_triples(pid: str, v: str, position: int | None) -> Iterator[Triple]:
    s = value_iri(pid, v)
    yield from _types(s, "value")
    yield Triple(s, nn("rdfs:label"), literal(v))
    yield Triple(s, nn("hkv:ofParameter"), iri("parameter", pid))
    if position is not None:
        yield Triple(s, nn("hkv:position"), literal(position))


def value_refs(record: BaseModel) -> dict[tuple[str, str], int | None]:
    """The parameter values one record names: a parameter's allowed values (with their position),
    the values a tip names or advises on (without). :func:`parameter_values` is their union."""
    if isinstance(record, m.Parameter):
        return {(record.id, v): i for i, v in enumerate(record.allowed_values)}
    values: dict[tuple[str, str], int | None] = {}
    if isinstance(record, m.Tip):
        for ref_ in record.values:
            values.setdefault(m.split_value_ref(ref_), None)
        for st in record.settings:
            for v in [st.value] if st.value is not None else st.values:
                values.setdefault((st.parameter, v), None)
    return values


def record_triples(record: BaseModel) -> list[Triple]:
    """Every triple one record contributes; the graph is the union over all records."""
    triples = list(tip_triples(record) if isinstance(record, m.Tip) else entity_triples(record))  # type: ignore[arg-type]
    for (pid, v), position in value_refs(record).items():
        triples.extend(_value_triples(pid, v, position))
    return triples


def to_triples(dataset: Dataset) -> list[Triple]:
    """All triples of the dataset, sorted (subject, predicate, object)."""
    use_vocabulary(Vocabulary.of(dataset))
    triples: list[Triple] = []
    for tip in dataset.tips.values():
        triples.extend(record_triples(tip))
    for table in dataset.entities.values():
        for entity in table.values():
            triples.extend(record_triples(entity))
    triples = list(dict.fromkeys(triples))
    triples.sort(key=lambda t: (t.subject.value, t.predicate.value, str(t.object)))
    return triples


def turtle_bytes(triples: Iterable[Triple]) -> bytes:
    """Turtle with the hkgraph prefixes, the @prefix lines sorted (pyoxigraph does not order them)."""
    text = ox.serialize(triples, None, ox.RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    lines = text.split(b"\n")
    n = 0
    while n < len(lines) and lines[n].startswith(b"@prefix"):
        n += 1
    return b"\n".join(sorted(lines[:n]) + lines[n:])


_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_CURIES: dict[str, str] = {}


def _curie(iri_: str) -> str:
    """The shortest CURIE for an IRI where its local part is plain, else the IRI (memoised)."""
    found = _CURIES.get(iri_)
    if found is None:
        found = iri_
        for prefix, ns in _BY_LENGTH:
            if iri_.startswith(ns):
                local = iri_[len(ns):]
                letters = local.replace("-", "").replace("_", "").replace(".", "")
                if letters.isalnum() if letters else local:  # only letters, digits, - _ and .
                    found = f"{prefix}:{local}"
                    break
        if len(_CURIES) < 1_000_000:
            _CURIES[iri_] = found
    return found


def jsonld_nodes(triples: Iterable[Triple]) -> Iterator[dict[str, Any]]:
    """One compact JSON-LD node object per subject, from triples sorted by subject."""
    current: dict[str, Any] | None = None
    subject = None
    rdf_type = RDF_TYPE.value
    named, curie = ox.NamedNode, _curie
    for t in triples:
        s, p, obj = t.subject.value, t.predicate.value, t.object
        if s != subject:
            if current is not None:
                yield current
            subject = s
            current = {"@id": curie(s)}
        if p == rdf_type:
            current.setdefault("@type", []).append(curie(obj.value))  # type: ignore[union-attr]
            continue
        if type(obj) is named:
            value: Any = {"@id": curie(obj.value)}
        else:
            datatype = obj.datatype.value  # type: ignore[union-attr]
            value = obj.value if datatype == XSD_STRING else {"@value": obj.value, "@type": curie(datatype)}
        key = curie(p)
        if key in current:
            current[key].append(value)
        else:
            current[key] = [value]
    if current is not None:
        yield current


_JSON_CURIES: dict[bytes, bytes] = {}
_UNSAFE = re.compile(rb'[\x00-\x1f]|\\U')  # what N-Triples may hold that a JSON string may not


def _json_curie(iri_: bytes) -> bytes:
    """The CURIE (or IRI) of an IRI as a JSON string, e.g. b'"hkv:Tip"' (memoised)."""
    found = _JSON_CURIES.get(iri_)
    if found is None:
        found = _ENCODE(_curie(iri_.decode())).encode()
        if len(_JSON_CURIES) < 1_000_000:
            _JSON_CURIES[iri_] = found
    return found


def jsonld_line_from_nt(block: bytes) -> bytes:
    """The compact JSON-LD node object (one line) of one subject's N-Triples block (lines sorted).

    N-Triples string literals are valid JSON strings as pyoxigraph writes them (it escapes quotes,
    backslashes and control characters the way JSON does), so they are copied, not re-encoded.
    """
    out: list[bytes] = []
    key: bytes | None = None
    rdf_type = b"<" + RDF_TYPE.value.encode() + b">"
    for line in block.split(b"\n"):
        if not line:
            continue
        subject, predicate, obj = line.split(b" ", 2)
        obj = obj[:-2]  # " ."
        if not out:
            out.append(b'{"@id": ' + _json_curie(subject[1:-1]))
        if predicate == rdf_type:
            name, value = b'"@type"', _json_curie(obj[1:-1])
        else:
            name = _json_curie(predicate[1:-1])
            if obj[:1] == b"<":
                value = b'{"@id": ' + _json_curie(obj[1:-1]) + b"}"
            elif obj[:2] == b"_:":
                value = b'{"@id": ' + _ENCODE(obj.decode()).encode() + b"}"
            else:
                end = obj.rindex(b'"')
                text, suffix = obj[: end + 1], obj[end + 1:]
                if _UNSAFE.search(text):
                    [parsed] = ox.parse(line + b"\n", format=ox.RdfFormat.N_TRIPLES)
                    text = _ENCODE(parsed.object.value).encode()
                if not suffix:
                    value = text
                elif suffix[:2] == b"^^":
                    value = b'{"@value": ' + text + b', "@type": ' + _json_curie(suffix[3:-1]) + b"}"
                else:
                    value = b'{"@value": ' + text + b', "@language": ' + _ENCODE(suffix[1:].decode()).encode() + b"}"
        if name == key:
            out.append(b", " + value)
        else:
            out.append((b"], " if key is not None else b", ") + name + b": [" + value)
            key = name
    return b"".join(out) + (b"]}" if key is not None else b"}")


def jsonld_document(triples: list[Triple]) -> dict[str, Any]:
    """Compact JSON-LD: a context of the prefixes and one node object per subject, in sorted order."""
    return {"@context": dict(sorted(PREFIXES.items())), "@graph": list(jsonld_nodes(triples))}


# hkgraph.jsonld is written one node object per line: JSONLD_HEAD, the lines joined by
# JSONLD_SEPARATOR, JSONLD_TAIL (a diff of two builds then shows the subjects that changed).
JSONLD_HEAD = (
    '{"@context": ' + json.dumps(dict(sorted(PREFIXES.items())), indent=1) + ',\n"@graph": [\n'
).encode()
JSONLD_SEPARATOR = b",\n"
JSONLD_TAIL = b"\n]}\n"


_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # one encoder: json.dumps(…, ensure_ascii=False) makes one per call


def jsonld_line(node: dict[str, Any]) -> bytes:
    return _ENCODE(node).encode()


def _serialize(triples: list[Triple], fmt: str, path: Path) -> None:
    if fmt == "ttl":
        path.write_bytes(turtle_bytes(triples))
    elif fmt == "nt":
        with path.open("wb") as out:
            ox.serialize(triples, out, ox.RdfFormat.N_TRIPLES)
    else:
        lines = JSONLD_SEPARATOR.join(jsonld_line(node) for node in jsonld_nodes(triples))
        path.write_bytes(JSONLD_HEAD + lines + JSONLD_TAIL)


def write_rdf(triples: list[Triple], out_dir: Path, stem: str = "hkgraph") -> dict[str, Path]:
    """Write Turtle, N-Triples and JSON-LD files; returns format → path."""
    paths = {
        "ttl": out_dir / f"{stem}.ttl",
        "nt": out_dir / f"{stem}.nt",
        "jsonld": out_dir / f"{stem}.jsonld",
    }
    for fmt, path in paths.items():
        _serialize(triples, fmt, path)
    return paths
