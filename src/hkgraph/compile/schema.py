"""Generate schema/ from the models: JSON Schema, the RDF vocabulary, SHACL shapes and a JSON-LD context.

``hkgraph schema`` writes these files; a test fails when the committed ones drift from the models.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from pydantic import BaseModel

from ..records import model as m
from .rdf import CLASSES, PREFIXES, VOCAB, Triple, literal, nn, turtle_bytes

SCHEMA_ID = "https://w3id.org/hkgraph/schema/"

# Model of each RDF class whose fields carry `rdf` predicates.
CLASS_MODELS: dict[str, tuple[type[BaseModel], ...]] = {
    "tip": (m.Tip, m.Source),
    "node": (m.Node,),
    "parameter": (m.Parameter,),
    "repo": (m.Repo,),
    "model": (m.Model,),
    "file": (m.File,),
    "hardware": (m.Hardware,),
    "person": (m.Person,),
    "concept": (m.Concept,),
    "page": (m.Page,),
    "workflow": (m.Workflow,),
    "quote": (m.Quote,),
    "setting": (m.Setting,),
    "schedule": (m.ScheduleEntry,),
}

ANY_RESOURCE = "*"  # an object property whose objects are of any kind
# Predicates the compiler writes that no model field names directly: (curie, label, comment, domain, range).
EXTRA_PROPERTIES: tuple[tuple[str, str, str, str, str], ...] = (
    ("hkv:hasQuote", "has quote", "A statement quoted in the tip.", "tip", "quote"),
    ("hkv:hasSetting", "has setting", "Structured advice the tip gives.", "tip", "setting"),
    ("hkv:inTip", "in tip", "The tip a quote or setting belongs to.", "", "tip"),
    ("hkv:valueRef", "value reference", "The parameter value a setting is about, as a resource.", "setting", "value"),
    ("hkv:minValue", "minimum value", "Lowest advised or accepted value.", "", ""),
    ("hkv:maxValue", "maximum value", "Highest advised or accepted value.", "", ""),
    ("hkv:hasParameter", "has parameter", "An input of the node.", "node", "parameter"),
    ("hkv:hasFile", "has file", "A downloadable file of the model.", "model", "file"),
    ("hkv:derivedAbout", "derived about",
     "The tip is about this entity without naming it: it follows from what the tip names along the "
     "vocabulary (value → parameter → node → repo, file → model → family, LoRA → base model) or from what "
     "a setting is about.", "tip", ANY_RESOURCE),
    ("hkv:sectionURL", "section URL", "The address of the source section the tip comes from.", "tip", ANY_RESOURCE),
    ("hkv:supersededBy", "superseded by", "A newer tip that makes this one redundant.", "tip", "tip"),
    ("hkv:schedulePer", "schedule per", "What a setting's schedule varies over: step, stage, expert, window, pass.",
     "setting", ""),
    ("hkv:scheduleEntry", "schedule entry", "One part of a setting's schedule.", "setting", "schedule"),
    ("hkv:whichSteps", "which steps", "The part of the sampling steps a setting is about: first, last, skipped, total.",
     "setting", ""),
    ("hkv:minStepFraction", "minimum step fraction", "Lowest fraction of the steps the advice is about.", "setting", ""),
    ("hkv:maxStepFraction", "maximum step fraction", "Highest fraction of the steps the advice is about.", "setting", ""),
    ("hkv:minStepCount", "minimum step count", "Lowest number of steps the advice is about.", "setting", ""),
    ("hkv:maxStepCount", "maximum step count", "Highest number of steps the advice is about.", "setting", ""),
    ("hkv:ofParameter", "of parameter", "The parameter a value belongs to.", "value", "parameter"),
    ("hkv:position", "position",
     "Position in an ordered list: of an allowed value in the node's list (from 0), of a schedule entry (from 1).",
     "", ""),
    ("hkv:supersedes", "supersedes", "This tip makes the other one redundant.", "tip", "tip"),
    ("hkv:contradicts", "contradicts", "This tip says the opposite of the other one.", "tip", "tip"),
    ("hkv:refines", "refines", "This tip adds detail to the other one.", "tip", "tip"),
)
SUPER_PROPERTIES: dict[str, str] = {
    "hkv:aboutNode": "dcterms:subject",
    "hkv:aboutParameter": "dcterms:subject",
    "hkv:aboutValue": "dcterms:subject",
    "hkv:aboutRepo": "dcterms:subject",
    "hkv:aboutModel": "dcterms:subject",
    "hkv:aboutFile": "dcterms:subject",
    "hkv:aboutWorkflow": "dcterms:subject",
    "hkv:aboutHardware": "dcterms:subject",
    "hkv:aboutConcept": "dcterms:subject",
    "hkv:mentionsPerson": "dcterms:subject",
    "hkv:saidBy": "prov:wasAttributedTo",
    "hkv:supersedes": "dcterms:replaces",
    "hkv:refines": "skos:related",
    "hkv:excerpt": "dcterms:bibliographicCitation",
    "hkv:providedBy": "schema:isPartOf",
    "hkv:ofNode": "schema:isPartOf",
    "hkv:publishedIn": "schema:isPartOf",
    "hkv:quoteText": "schema:text",
}
CLASS_COMMENTS = {
    "value": "One value of a parameter: an allowed value of a closed list, or a value a tip names.",
}
CLASS_MODEL_DOC: dict[str, type[BaseModel]] = {
    "tip": m.Tip, "node": m.Node, "parameter": m.Parameter, "repo": m.Repo, "model": m.Model,
    "hardware": m.Hardware, "person": m.Person, "concept": m.Concept, "quote": m.Quote, "setting": m.Setting,
    "file": m.File, "page": m.Page, "workflow": m.Workflow, "schedule": m.ScheduleEntry,
}


# ------------------------------------------------------------------------------------- JSON Schema


def json_schemas() -> dict[str, dict[str, Any]]:
    """file name → JSON Schema, one per record kind."""
    out: dict[str, dict[str, Any]] = {}
    for kind, model_cls in [("tip", m.Tip), *m.ENTITY_KINDS.items()]:
        schema = model_cls.model_json_schema()
        schema["$id"] = f"{SCHEMA_ID}{kind}.schema.json"
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[f"{kind}.schema.json"] = schema
    return out


# ---------------------------------------------------------------------------------- RDF vocabulary


def _literal_choices(annotation: Any) -> tuple[str, ...] | None:
    base = annotation
    for _ in range(4):
        origin = typing.get_origin(base)
        if origin is typing.Literal:
            return tuple(str(a) for a in typing.get_args(base))
        args = [a for a in typing.get_args(base) if a is not type(None)]
        if not args:
            return None
        base = args[0]
    return None


def _properties() -> dict[str, dict[str, Any]]:
    """hkv predicate → {label, comment, domains, range kind, datatype, choices} from the models."""
    props: dict[str, dict[str, Any]] = {}
    for kind, models in CLASS_MODELS.items():
        for name, info, curie, extra in _rdf_fields(models):
            entry = props.setdefault(curie, {"label": name.replace("_", " "), "comment": info.description,
                                             "domains": set(), "ref": extra.get("ref"), "field": info})
            entry["domains"].add(kind)
    return props


def _rdf_fields(models: tuple[type[BaseModel], ...]) -> Iterator[tuple[str, Any, str, dict[str, Any]]]:
    """(field name, field info, predicate CURIE, extra metadata) for the fields the models write to RDF."""
    for model_cls in models:
        for name, info in model_cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if extra.get("rdf"):
                yield name, info, str(extra["rdf"]), extra


def vocabulary_triples() -> list[Triple]:
    t: list[Triple] = []
    a, label, comment = nn("rdf:type"), nn("rdfs:label"), nn("rdfs:comment")
    vocab = ox.NamedNode(VOCAB)
    t += [
        Triple(vocab, a, nn("owl:Ontology")),
        Triple(vocab, nn("dcterms:title"), literal("hkgraph vocabulary")),
        Triple(vocab, nn("dcterms:description"), literal(
            "Classes and properties of the hkgraph knowledge graph of ComfyUI video-generation know-how. "
            "Generated from the pydantic models by `hkgraph schema`.")),
        Triple(vocab, nn("dcterms:license"), ox.NamedNode("https://creativecommons.org/publicdomain/zero/1.0/")),
    ]
    for kind, classes in CLASSES.items():
        cls = nn(classes[0])
        t.append(Triple(cls, a, nn("owl:Class")))
        t.append(Triple(cls, label, literal(kind.replace("-", " "))))
        doc = CLASS_COMMENTS.get(kind) or (CLASS_MODEL_DOC[kind].__doc__ or "").strip()
        t.append(Triple(cls, comment, literal(doc)))
        t.append(Triple(cls, nn("rdfs:isDefinedBy"), vocab))
        t += [Triple(cls, nn("rdfs:subClassOf"), nn(other)) for other in classes[1:]]
    for curie, info in _properties().items():
        if not curie.startswith("hkv:"):
            continue
        p = nn(curie)
        t.append(Triple(p, a, nn("owl:ObjectProperty" if info["ref"] else "owl:DatatypeProperty")))
        t.append(Triple(p, label, literal(info["label"])))
        t.append(Triple(p, comment, literal(info["comment"] or "")))
        t.append(Triple(p, nn("rdfs:isDefinedBy"), vocab))
        if len(info["domains"]) == 1:
            t.append(Triple(p, nn("rdfs:domain"), nn(CLASSES[next(iter(info["domains"]))][0])))
        if info["ref"]:
            t.append(Triple(p, nn("rdfs:range"), nn(CLASSES[info["ref"]][0])))
    for curie, lab, com, domain, rng in EXTRA_PROPERTIES:
        p = nn(curie)
        t.append(Triple(p, a, nn("owl:ObjectProperty" if rng else "owl:DatatypeProperty")))
        t += [Triple(p, label, literal(lab)), Triple(p, comment, literal(com)),
              Triple(p, nn("rdfs:isDefinedBy"), vocab)]
        if domain:
            t.append(Triple(p, nn("rdfs:domain"), nn(CLASSES[domain][0])))
        if rng and rng != ANY_RESOURCE:
            t.append(Triple(p, nn("rdfs:range"), nn(CLASSES[rng][0])))
    for curie, parent in SUPER_PROPERTIES.items():
        t.append(Triple(nn(curie), nn("rdfs:subPropertyOf"), nn(parent)))
    return sorted(set(t), key=lambda x: (x.subject.value, x.predicate.value, str(x.object)))


# -------------------------------------------------------------------------------------- SHACL shapes


def _datatype(annotation: Any) -> str:
    base = m.base_type(annotation)
    return {dt.date: "xsd:date", float: "xsd:decimal", int: "xsd:integer"}.get(base, "xsd:string")


def shape_triples() -> list[Triple]:
    t: list[Triple] = []
    a = nn("rdf:type")
    for kind, models in CLASS_MODELS.items():
        cls = CLASSES[kind][0]
        shape = nn(f"hkv:{cls.split(':')[1]}Shape")
        t += [Triple(shape, a, nn("sh:NodeShape")), Triple(shape, nn("sh:targetClass"), nn(cls))]
        # A predicate that some list field of the class writes may repeat.
        repeatable = {curie for _n, info, curie, _e in _rdf_fields(models) if typing.get_origin(info.annotation) is list}
        for name, info, curie, extra in _rdf_fields(models):
            ps = ox.NamedNode(f"{VOCAB}{cls.split(':')[1]}Shape-{name}")
            t += [Triple(shape, nn("sh:property"), ps), Triple(ps, nn("sh:path"), nn(curie)),
                  Triple(ps, nn("sh:name"), literal(name))]
            is_list = typing.get_origin(info.annotation) is list or curie in repeatable
            if info.is_required():
                t.append(Triple(ps, nn("sh:minCount"), literal(1)))
            if not is_list:
                t.append(Triple(ps, nn("sh:maxCount"), literal(1)))
            ref_kind = extra.get("ref")
            if ref_kind:
                t.append(Triple(ps, nn("sh:class"), nn(CLASSES[str(ref_kind)][0])))
                continue
            t.append(Triple(ps, nn("sh:datatype"), nn(_datatype(info.annotation))))
            choices = _literal_choices(info.annotation)
            if choices:
                head = _rdf_list(t, ps, choices)
                t.append(Triple(ps, nn("sh:in"), head))
    # A value resource belongs to exactly one parameter.
    shape = nn("hkv:ParameterValueShape")
    ps = ox.NamedNode(f"{VOCAB}ParameterValueShape-ofParameter")
    t += [Triple(shape, a, nn("sh:NodeShape")), Triple(shape, nn("sh:targetClass"), nn("hkv:ParameterValue")),
          Triple(shape, nn("sh:property"), ps), Triple(ps, nn("sh:path"), nn("hkv:ofParameter")),
          Triple(ps, nn("sh:minCount"), literal(1)), Triple(ps, nn("sh:maxCount"), literal(1)),
          Triple(ps, nn("sh:class"), nn("hkv:Parameter"))]
    return sorted(set(t), key=lambda x: (x.subject.value, x.predicate.value, str(x.object)))


def _rdf_list(t: list[Triple], owner: ox.NamedNode, items: tuple[str, ...]) -> ox.NamedNode:
    """An RDF list with named (deterministic) cells."""
    nil = nn("rdf:nil")
    head: ox.NamedNode = nil
    for i in range(len(items) - 1, -1, -1):
        cell = ox.NamedNode(f"{owner.value}-in-{i}")
        t += [Triple(cell, nn("rdf:first"), literal(items[i])), Triple(cell, nn("rdf:rest"), head)]
        head = cell
    return head


def jsonld_context() -> dict[str, Any]:
    """A JSON-LD context naming the prefixes and the record fields' predicates."""
    ctx: dict[str, Any] = dict(sorted(PREFIXES.items()))
    for curie, info in sorted(_properties().items()):
        term = curie.split(":")[1]
        entry: dict[str, Any] = {"@id": curie}
        if info["ref"]:
            entry["@type"] = "@id"
        elif _datatype(info["field"].annotation) != "xsd:string":
            entry["@type"] = _datatype(info["field"].annotation)
        ctx.setdefault(term, entry)
    return {"@context": ctx}


# ------------------------------------------------------------------------------------------ writing




def generated_files() -> dict[str, bytes]:
    """Relative path under schema/ → content."""
    files: dict[str, bytes] = {}
    for name, schema in json_schemas().items():
        files[name] = (json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n").encode()
    files["hkgraph.ttl"] = turtle_bytes(vocabulary_triples())
    files["shapes.ttl"] = turtle_bytes(shape_triples())
    files["context.jsonld"] = (json.dumps(jsonld_context(), indent=2) + "\n").encode()
    return files


def write_schema(schema_dir: Path) -> list[Path]:
    """Write every generated schema file; returns the files whose content changed."""
    schema_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, content in generated_files().items():
        path = schema_dir / name
        if not path.exists() or path.read_bytes() != content:
            path.write_bytes(content)
            changed.append(path)
    return changed


def drifted(schema_dir: Path) -> list[str]:
    """Names of generated files that are missing or differ from what the models give."""
    return [
        name for name, content in generated_files().items()
        if not (schema_dir / name).exists() or (schema_dir / name).read_bytes() != content
    ]

