"""The record contract: pydantic models for tips (data/entries/) and entities (data/entities/).

These models are the single source of truth. The JSON Schema files in schema/, the RDF vocabulary and
SHACL shapes, the SQLite column descriptions and the Datasette metadata are all derived from them.

Field metadata used by the compilers lives in ``json_schema_extra``:

- ``ref``: the entity kind a field refers to (checked by :mod:`hkgraph.records.checks`, linked in RDF and SQLite);
- ``rdf``: the predicate (CURIE) the field is written as in the graph.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=120)]
# A reference to one value of a parameter: "<parameter-id>=<value>".
VALUE_REF_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*=\S(?:.*\S)?$"
ValueRef = Annotated[str, StringConstraints(pattern=VALUE_REF_PATTERN, max_length=300)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
Line = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=r"^[^\n]+$")]


def _scalar_to_str(value: Any) -> Any:
    """Widget values are text: accept YAML numbers and booleans and keep their spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return value


WidgetValue = Annotated[Line, BeforeValidator(_scalar_to_str)]

TipKind = Literal[
    "setting",
    "explanation",
    "warning",
    "comparison",
    "troubleshooting",
    "resource",
    "definition",
    "technique",
    "news",
]
TIP_KINDS: tuple[str, ...] = TipKind.__args__  # type: ignore[attr-defined]

Tag = Literal[
    "vram",
    "speed",
    "quality",
    "compatibility",
    "install",
    "troubleshooting",
    "precision",
    "hardware",
    "prompting",
    "lora",
    "workflow",
    "sampling",
    "conditioning",
    "upscaling",
    "audio",
    "training",
    "news",
]
TAGS: tuple[str, ...] = Tag.__args__  # type: ignore[attr-defined]

Advice = Literal["prefer", "avoid", "default", "use-when", "required"]
Direction = Literal["higher", "lower", "maximum", "minimum"]
RelationType = Literal["supersedes", "contradicts", "see-also", "refines"]
Certainty = Literal["asserted", "uncertain", "disputed"]


def ref(kind: str, rdf: str, description: str, **kw: Any) -> Any:
    """A list of references to entities of ``kind``."""
    return Field(
        default_factory=list, description=description, json_schema_extra={"ref": kind, "rdf": rdf}, **kw
    )


class Strict(BaseModel):
    """Base: unknown keys are errors, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False, validate_default=False, allow_inf_nan=False)


# --------------------------------------------------------------------------------------------- tips


class Source(Strict):
    """Where a tip comes from: the page, the section and the verbatim text."""

    page: Line = Field(
        description="Path of the source page relative to the site root, e.g. `hidden-knowledge.md`.",
        json_schema_extra={"rdf": "hkv:sourcePage"},
    )
    section: Line = Field(
        description="The section heading exactly as written on the page (without the leading #).",
        json_schema_extra={"rdf": "hkv:sourceSection"},
    )
    date: dt.date | None = Field(
        default=None,
        description="The date the tip was recorded, where the section heading gives one (YYYY-MM-DD).",
        json_schema_extra={"rdf": "dcterms:created"},
    )
    excerpt: Text = Field(
        description=(
            "The verbatim source text the record was made from (trailing spaces of lines removed). "
            "A reader checks the claim against it; the coverage tool matches it against the page."
        ),
        json_schema_extra={"rdf": "hkv:excerpt"},
    )


class Quote(Strict):
    """A statement the source attributes to someone (or quotes without attribution)."""

    text: Text = Field(description="The quoted words, verbatim.", json_schema_extra={"rdf": "hkv:quoteText"})
    person: Slug | None = Field(
        default=None,
        description="Who said it (a person id), where the source says so; absent when unattributed.",
        json_schema_extra={"ref": "person", "rdf": "hkv:saidBy"},
    )


class Range(Strict):
    """A numeric range of advised values; either end may be open."""

    min: float | None = Field(default=None, description="Lowest advised value (inclusive).")
    max: float | None = Field(default=None, description="Highest advised value (inclusive).")


class Setting(Strict):
    """Structured advice: what a parameter should (or should not) be set to, and when."""

    parameter: Slug = Field(
        description="The parameter the advice is about (a parameter id).",
        json_schema_extra={"ref": "parameter", "rdf": "hkv:parameter"},
    )
    value: WidgetValue | None = Field(
        default=None,
        description="The one value the advice is about, spelled as the node shows it.",
        json_schema_extra={"rdf": "hkv:value"},
    )
    values: list[WidgetValue] = Field(
        default_factory=list,
        description="Several values the advice is about (e.g. resolutions to try).",
        json_schema_extra={"rdf": "hkv:value"},
    )
    range: Range | None = Field(default=None, description="A numeric range of advised values.")
    direction: Direction | None = Field(
        default=None,
        description=(
            "Which way to move the parameter where the advice names no value: higher, lower, "
            "maximum (as high as it goes), minimum (as low as it goes)."
        ),
        json_schema_extra={"rdf": "hkv:direction"},
    )
    advice: Advice = Field(
        description=(
            "prefer: use this; avoid: do not use this; default: the value to start from; "
            "use-when: use this under the condition; required: nothing else works."
        ),
        json_schema_extra={"rdf": "hkv:advice"},
    )
    condition: Line | None = Field(
        default=None,
        description="When the advice holds, in our own words (e.g. 'torch.compile is off').",
        json_schema_extra={"rdf": "hkv:condition"},
    )
    node: Slug | None = Field(
        default=None,
        description="The node the advice applies to, where the parameter is generic (a node id).",
        json_schema_extra={"ref": "node", "rdf": "hkv:appliesToNode"},
    )
    model: Slug | None = Field(
        default=None,
        description="The model the advice applies to (a model id).",
        json_schema_extra={"ref": "model", "rdf": "hkv:appliesToModel"},
    )
    hardware: Slug | None = Field(
        default=None,
        description="The hardware the advice applies to (a hardware id).",
        json_schema_extra={"ref": "hardware", "rdf": "hkv:appliesToHardware"},
    )


class Relation(Strict):
    """A link from this tip to another one that the source implies."""

    type: RelationType = Field(
        description="supersedes (makes the other redundant), contradicts, see-also, refines (adds detail)."
    )
    tip: Slug = Field(description="The other tip's id.", json_schema_extra={"ref": "tip"})


class Tip(Strict):
    """One self-contained piece of know-how, from one paragraph, quote block or table row."""

    kind_name: ClassVar[str] = "tip"

    id: Slug = Field(description="Kebab-case id, equal to the file name; stable once released.")
    title: Line = Field(description="One line, in our own words.", json_schema_extra={"rdf": "dcterms:title"})
    summary: Text = Field(
        description="One to three sentences in our own words (Markdown allowed).",
        json_schema_extra={"rdf": "dcterms:description"},
    )
    kind: TipKind = Field(description="What sort of know-how this is.", json_schema_extra={"rdf": "hkv:kind"})
    certainty: Certainty = Field(
        default="asserted",
        description="asserted: the source states it; uncertain: the source hedges; disputed: sources disagree.",
        json_schema_extra={"rdf": "hkv:certainty"},
    )
    source: Source = Field(description="Where the tip comes from.")
    quotes: list[Quote] = Field(default_factory=list, description="Attributed or quoted statements.")
    nodes: list[Slug] = ref("node", "hkv:aboutNode", "ComfyUI nodes the tip names.")
    parameters: list[Slug] = ref("parameter", "hkv:aboutParameter", "Node inputs or generic knobs it names.")
    values: list[ValueRef] = ref(
        "value", "hkv:aboutValue", "Parameter values it names, as `<parameter-id>=<value>`."
    )
    repos: list[Slug] = ref("repo", "hkv:aboutRepo", "Repositories (node packs, model hubs, tools) it names.")
    models: list[Slug] = ref("model", "hkv:aboutModel", "Models it names.")
    hardware: list[Slug] = ref("hardware", "hkv:aboutHardware", "Hardware it names.")
    people: list[Slug] = ref("person", "hkv:mentionsPerson", "People it names or quotes.")
    concepts: list[Slug] = ref("concept", "hkv:aboutConcept", "Concepts and techniques it names.")
    settings: list[Setting] = Field(default_factory=list, description="Structured advice on parameter values.")
    relations: list[Relation] = Field(default_factory=list, description="Links to other tips.")
    tags: list[Tag] = Field(
        default_factory=list, description="User concerns the tip speaks to.", json_schema_extra={"rdf": "hkv:tag"}
    )


# ----------------------------------------------------------------------------------------- entities


class Entity(Strict):
    """Fields every entity of the vocabulary has."""

    kind_name: ClassVar[str] = "entity"
    folder: ClassVar[str] = ""

    id: Slug = Field(description="Kebab-case id, equal to the file name; unique within its kind.")
    name: Line = Field(description="The display name.", json_schema_extra={"rdf": "skos:prefLabel"})
    aliases: list[Line] = Field(
        default_factory=list,
        description="Every other spelling seen in the sources, typos included, so that search finds them.",
        json_schema_extra={"rdf": "skos:altLabel"},
    )
    description: Text | None = Field(
        default=None, description="What it is, in our own words.", json_schema_extra={"rdf": "dcterms:description"}
    )
    urls: list[Line] = Field(
        default_factory=list, description="Links to the thing itself.", json_schema_extra={"rdf": "schema:url"}
    )


class Node(Entity):
    """A ComfyUI node type."""

    kind_name: ClassVar[str] = "node"
    folder: ClassVar[str] = "nodes"

    class_name: Line = Field(
        description="The node's class name as ComfyUI registers it (what workflows store as `type`).",
        json_schema_extra={"rdf": "hkv:className"},
    )
    repo: Slug = Field(
        description="The repository that provides it (`comfyui` for core nodes).",
        json_schema_extra={"ref": "repo", "rdf": "hkv:providedBy"},
    )
    inputs: list[Line] = Field(
        default_factory=list,
        description="Widget inputs in the order the node stores them in `widgets_values`, where known.",
        json_schema_extra={"rdf": "hkv:widgetOrder"},
    )
    inputs_read_from: Line | None = Field(
        default=None,
        description="The pack version or commit the input order was read from.",
        json_schema_extra={"rdf": "hkv:readFrom"},
    )


class Parameter(Entity):
    """A node input, or a generic knob many nodes or models share (cfg, steps, resolution…)."""

    kind_name: ClassVar[str] = "parameter"
    folder: ClassVar[str] = "parameters"

    node: Slug | None = Field(
        default=None,
        description="The node this is an input of; absent for a generic knob.",
        json_schema_extra={"ref": "node", "rdf": "hkv:ofNode"},
    )
    type: Line | None = Field(
        default=None,
        description="The input type as the node declares it (COMBO, INT, FLOAT, BOOLEAN, STRING, …).",
        json_schema_extra={"rdf": "hkv:dataType"},
    )
    allowed_values: list[Line] = Field(
        default_factory=list,
        description="The closed list of values, in the node's order; empty when open.",
        json_schema_extra={"rdf": "hkv:allowedValue"},
    )
    default: Line | None = Field(
        default=None, description="The default value.", json_schema_extra={"rdf": "hkv:defaultValue"}
    )
    min: float | None = Field(default=None, description="Lowest value the input accepts.")
    max: float | None = Field(default=None, description="Highest value the input accepts.")
    read_from: Line | None = Field(
        default=None,
        description="The pack version or commit the values and default were read from.",
        json_schema_extra={"rdf": "hkv:readFrom"},
    )


RepoType = Literal["node-pack", "model-hub", "library", "tool", "app", "site", "other"]


class Repo(Entity):
    """A repository: a node pack, a model hub, a library or a tool."""

    kind_name: ClassVar[str] = "repo"
    folder: ClassVar[str] = "repos"

    host: Literal["github", "huggingface", "civitai", "other"] = Field(
        description="Where it is hosted.", json_schema_extra={"rdf": "hkv:host"}
    )
    path: Line = Field(description="`owner/name` on the host.", json_schema_extra={"rdf": "hkv:repoPath"})
    url: Line = Field(description="The repository's address.", json_schema_extra={"rdf": "schema:codeRepository"})
    repo_type: RepoType = Field(description="What it is.", json_schema_extra={"rdf": "hkv:repoType"})
    maintainer: Slug | None = Field(
        default=None,
        description="The person who owns it, where known (a person id).",
        json_schema_extra={"ref": "person", "rdf": "schema:maintainer"},
    )
    cnr_id: Line | None = Field(
        default=None,
        description="The id ComfyUI workflows store as `cnr_id` for nodes of this pack.",
        json_schema_extra={"rdf": "hkv:cnrId"},
    )


ModelRole = Literal[
    "diffusion", "text-encoder", "vae", "lora", "clip-vision", "upscaler", "audio-encoder", "detector", "other"
]


class ModelFile(Strict):
    """One downloadable file of a model."""

    name: Line = Field(description="The file name, e.g. `umt5-xxl-fp16.safetensors`.")
    precision: Line | None = Field(default=None, description="fp32, bf16, fp16, fp8_e4m3fn, Q5_K_M, …")
    url: Line | None = Field(default=None, description="Where to download it.")


class Model(Entity):
    """A model: a diffusion model, text encoder, VAE, LoRA, …"""

    kind_name: ClassVar[str] = "model"
    folder: ClassVar[str] = "models"

    family: Line = Field(description="Model family, e.g. Wan, LTX, Qwen-Image.", json_schema_extra={"rdf": "hkv:family"})
    version: Line | None = Field(default=None, description="e.g. 2.1, 2.2.", json_schema_extra={"rdf": "hkv:version"})
    variant: Line | None = Field(
        default=None, description="e.g. T2V, I2V, 5B, 14B.", json_schema_extra={"rdf": "hkv:variant"}
    )
    role: ModelRole = Field(description="What part it plays in a workflow.", json_schema_extra={"rdf": "hkv:role"})
    publisher: Line | None = Field(default=None, description="Who publishes it.", json_schema_extra={"rdf": "dcterms:publisher"})
    repo: Slug | None = Field(
        default=None,
        description="The hub repository it is published in (a repo id).",
        json_schema_extra={"ref": "repo", "rdf": "hkv:publishedIn"},
    )
    files: list[ModelFile] = Field(default_factory=list, description="Known files of the model.")


class Hardware(Entity):
    """A GPU, a GPU family or another piece of hardware."""

    kind_name: ClassVar[str] = "hardware"
    folder: ClassVar[str] = "hardware"

    vendor: Line = Field(description="e.g. NVIDIA, AMD, Apple.", json_schema_extra={"rdf": "hkv:vendor"})
    architecture: Line | None = Field(
        default=None, description="e.g. Blackwell, Ada Lovelace.", json_schema_extra={"rdf": "hkv:architecture"}
    )
    vram_gb: float | None = Field(default=None, description="Memory in GB.", json_schema_extra={"rdf": "hkv:vramGB"})


class Person(Entity):
    """A member of the community, quoted or credited by the sources."""

    kind_name: ClassVar[str] = "person"
    folder: ClassVar[str] = "people"

    handles: list[Line] = Field(
        default_factory=list,
        description="Handles on GitHub, Hugging Face, Discord, … as `site:handle`.",
        json_schema_extra={"rdf": "foaf:nick"},
    )


class Concept(Entity):
    """An idea, technique, format or piece of software without a repository of its own."""

    kind_name: ClassVar[str] = "concept"
    folder: ClassVar[str] = "concepts"

    broader: list[Slug] = Field(
        default_factory=list,
        description="More general concepts (SKOS broader).",
        json_schema_extra={"ref": "concept", "rdf": "skos:broader"},
    )
    related: list[Slug] = Field(
        default_factory=list,
        description="Related concepts (SKOS related).",
        json_schema_extra={"ref": "concept", "rdf": "skos:related"},
    )


ENTITY_MODELS: tuple[type[Entity], ...] = (Node, Parameter, Repo, Model, Hardware, Person, Concept)
ENTITY_KINDS: dict[str, type[Entity]] = {m.kind_name: m for m in ENTITY_MODELS}
FOLDER_KINDS: dict[str, type[Entity]] = {m.folder: m for m in ENTITY_MODELS}


def base_type(annotation: Any) -> Any:
    """The plain type under Optional/Annotated wrappers: ``Annotated[str, …] | None`` → ``str``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return base_type(args[0])
    if origin is typing.Annotated:
        return base_type(typing.get_args(annotation)[0])
    return annotation


def split_value_ref(value_ref: str) -> tuple[str, str]:
    """``"param-id=value"`` → ``("param-id", "value")``."""
    parameter, _, value = value_ref.partition("=")
    return parameter, value
