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

Goal = Literal[
    "lower-vram",
    "lower-ram",
    "faster",
    "better-quality",
    "fix-error",
    "make-compatible",
    "set-up",
    "more-control",
    "understand",
    "follow-news",
]
GOALS: tuple[str, ...] = Goal.__args__  # type: ignore[attr-defined]

Advice = Literal["prefer", "avoid", "default", "use-when", "required"]
Direction = Literal["higher", "lower", "maximum", "minimum"]
RelationType = Literal["supersedes", "contradicts", "see-also", "refines"]
Certainty = Literal["asserted", "uncertain", "disputed"]
SchedulePer = Literal["step", "stage", "expert", "window", "pass"]
StepsWhich = Literal["first", "last", "skipped", "total"]


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
    also_on: list[Line] = Field(
        default_factory=list,
        description=(
            "Other pages (paths) that carry the same lines verbatim; `page` is the one that owns the tip "
            "(see data/README.md). Coverage counts the excerpt for them too."
        ),
        json_schema_extra={"rdf": "hkv:alsoOnPage"},
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


class ScheduleEntry(Strict):
    """One part of a schedule: where it applies and the value (or range) there."""

    at: Line = Field(
        description=(
            "Which step, stage, expert, window or pass, as the source puts it: `1`, `2-`, `1-3`, `high-noise`, "
            "`first pass`."
        ),
        json_schema_extra={"rdf": "hkv:at"},
    )
    value: WidgetValue | None = Field(
        default=None, description="The value there, spelled as the node shows it.", json_schema_extra={"rdf": "hkv:value"}
    )
    range: Range | None = Field(default=None, description="A numeric range of values there.")
    model: Slug | None = Field(
        default=None,
        description="The model (e.g. the expert) this part applies to, where the source names one (a model id).",
        json_schema_extra={"ref": "model", "rdf": "hkv:appliesToModel"},
    )


class Schedule(Strict):
    """Different values at different points: per step, per stage, per expert, per window or per pass."""

    per: SchedulePer = Field(description="What the schedule varies over.", json_schema_extra={"rdf": "hkv:per"})
    entries: list[ScheduleEntry] = Field(min_length=1, description="The parts, in order.")


class Steps(Strict):
    """The part of the sampling steps the advice is about: a count or a fraction of them."""

    which: StepsWhich = Field(
        description="first / last: the opening or closing steps; skipped: steps left out; total: all steps.",
        json_schema_extra={"rdf": "hkv:whichSteps"},
    )
    fraction: Range | None = Field(default=None, description="A fraction of the steps, between 0 and 1.")
    count: Range | None = Field(default=None, description="A number of steps.")


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
    schedule: Schedule | None = Field(
        default=None, description="Values that change over steps, stages, experts, windows or passes."
    )
    steps: Steps | None = Field(
        default=None, description="The count or fraction of sampling steps the advice is about."
    )
    unit: Line | None = Field(
        default=None,
        description="The unit of the value or range where it has one (GB, W, px, frames, s, %).",
        json_schema_extra={"rdf": "hkv:unit"},
    )
    advice: Advice = Field(
        description=(
            "prefer: use this; avoid: do not use this; default: the value to start from; "
            "use-when: use this under the condition; required: the source says it must be so."
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
    files: list[Slug] = ref("file", "hkv:aboutFile", "Model files it names.")
    hardware: list[Slug] = ref("hardware", "hkv:aboutHardware", "Hardware it names.")
    people: list[Slug] = ref("person", "hkv:mentionsPerson", "People it names or quotes.")
    concepts: list[Slug] = ref("concept", "hkv:aboutConcept", "Concepts and techniques it names.")
    workflows: list[Slug] = ref("workflow", "hkv:aboutWorkflow", "Example workflows of the site it points to.")
    settings: list[Setting] = Field(default_factory=list, description="Structured advice on parameter values.")
    relations: list[Relation] = Field(default_factory=list, description="Links to other tips.")
    goals: list[Goal] = Field(
        min_length=1,
        description=(
            "What a user reading the tip wants to achieve: lower-vram, lower-ram, faster, better-quality, "
            "fix-error, make-compatible, set-up, more-control, understand, follow-news."
        ),
        json_schema_extra={"rdf": "hkv:goal"},
    )
    tags: list[Tag] = Field(
        default_factory=list, description="Topics the tip is about.", json_schema_extra={"rdf": "hkv:tag"}
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

    class_name: Line | None = Field(
        default=None,
        description=(
            "The node's class name as ComfyUI registers it (what workflows store as `type`); absent when "
            "no source shows it."
        ),
        json_schema_extra={"rdf": "hkv:className"},
    )
    class_name_status: Literal["verified", "unverified"] = Field(
        default="verified",
        description=(
            "verified: the class name was checked against the pack's source or a real workflow; unverified: "
            "the page names the node but its class name could not be checked."
        ),
        json_schema_extra={"rdf": "hkv:classNameStatus"},
    )
    class_name_read_from: Line | None = Field(
        default=None,
        description=(
            "Where the class (and display) name was read when neither ComfyUI-Manager's map nor the node-input "
            "table has it: the pack's source at a commit (`owner/repo file@commit (date)`)."
        ),
        json_schema_extra={"rdf": "hkv:classNameReadFrom"},
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


RepoType = Literal["node-pack", "model-repo", "library", "app", "site", "other"]


class Repo(Entity):
    """A repository: a node pack, a model hub, a library or a tool."""

    kind_name: ClassVar[str] = "repo"
    folder: ClassVar[str] = "repos"

    host: Literal["github", "huggingface", "civitai", "other"] = Field(
        description="Where it is hosted.", json_schema_extra={"rdf": "hkv:host"}
    )
    path: Line = Field(description="`owner/name` on the host.", json_schema_extra={"rdf": "hkv:repoPath"})
    url: Line = Field(description="The repository's address.", json_schema_extra={"rdf": "schema:codeRepository"})
    repo_type: RepoType = Field(
        description=(
            "What it is: node-pack (ComfyUI custom nodes), model-repo (model weights), library (code others "
            "import), app (a program or tool people run), site, other."
        ),
        json_schema_extra={"rdf": "hkv:repoType"},
    )
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


ModelLevel = Literal["family", "version", "variant", "expert"]
LoraPurpose = Literal["speed", "distill", "style", "control", "character", "motion", "camera", "quality", "other"]
FileFormat = Literal["safetensors", "gguf", "pt", "ckpt", "bin", "onnx", "other"]
MODEL_LEVELS: tuple[str, ...] = ModelLevel.__args__  # type: ignore[attr-defined]


class Model(Entity):
    """A model: a diffusion model, text encoder, VAE, LoRA, … placed in its family where it has one."""

    kind_name: ClassVar[str] = "model"
    folder: ClassVar[str] = "models"

    level: ModelLevel | None = Field(
        default=None,
        description=(
            "Where it sits in its family: family (Wan), version (Wan 2.2), variant (Wan 2.2 I2V A14B), expert "
            "(its low-noise expert); absent for a model outside such a hierarchy (most LoRAs, detectors)."
        ),
        json_schema_extra={"rdf": "hkv:level"},
    )
    parent: Slug | None = Field(
        default=None,
        description="The model one level up: an expert's variant, a variant's version, a version's family.",
        json_schema_extra={"ref": "model", "rdf": "hkv:partOfModel"},
    )
    role: ModelRole = Field(description="What part it plays in a workflow.", json_schema_extra={"rdf": "hkv:role"})
    base_models: list[Slug] = Field(
        default_factory=list,
        description="For a LoRA (or another add-on): the models it is made for (model ids).",
        json_schema_extra={"ref": "model", "rdf": "hkv:baseModel"},
    )
    purpose: LoraPurpose | None = Field(
        default=None,
        description=(
            "For a LoRA: what it is for: distill (fewer steps or no cfg: lightx2v, Lightning), speed (other "
            "speed-ups), style, control, character, motion, camera, quality, other."
        ),
        json_schema_extra={"rdf": "hkv:purpose"},
    )
    publisher: Line | None = Field(default=None, description="Who publishes it.", json_schema_extra={"rdf": "dcterms:publisher"})
    repo: Slug | None = Field(
        default=None,
        description="The hub repository it is published in (a repo id).",
        json_schema_extra={"ref": "repo", "rdf": "hkv:publishedIn"},
    )


class File(Entity):
    """A downloadable model file: its name is the exact file name."""

    kind_name: ClassVar[str] = "file"
    folder: ClassVar[str] = "files"

    model: Slug | None = Field(
        default=None,
        description="The model the file holds (a model id), where known.",
        json_schema_extra={"ref": "model", "rdf": "hkv:fileOf"},
    )
    format: FileFormat = Field(
        description="The file format: safetensors, gguf, pt, ckpt, bin, onnx, other.",
        json_schema_extra={"rdf": "hkv:format"},
    )
    precision: Line | None = Field(
        default=None,
        description=(
            "Precision or quantization as the file name spells it: bf16, fp16, fp32, fp8_e4m3fn, fp8_e5m2, "
            "fp8_e4m3fn_scaled, nvfp4, mxfp8, int8, Q4_K_M, Q5_K_M, Q8_0, …"
        ),
        json_schema_extra={"rdf": "hkv:precision"},
    )
    repack_by: Slug | None = Field(
        default=None,
        description="Who converted or repacked the original weights into this file (a person id).",
        json_schema_extra={"ref": "person", "rdf": "hkv:repackedBy"},
    )
    repo: Slug | None = Field(
        default=None,
        description="The repository that hosts the file (a repo id).",
        json_schema_extra={"ref": "repo", "rdf": "hkv:hostedIn"},
    )


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


class Page(Entity):
    """A page of the source site; its name is the page's title."""

    kind_name: ClassVar[str] = "page"
    folder: ClassVar[str] = "pages"

    path: Line = Field(
        description="Path relative to the site root, as tips give it in `source.page` (e.g. `loras/part-01.md`).",
        json_schema_extra={"rdf": "hkv:pagePath"},
    )
    snapshot: Line = Field(
        description="The commit of the site's repository the page was read at.",
        json_schema_extra={"rdf": "hkv:snapshotCommit"},
    )
    snapshot_date: dt.date = Field(
        description="The date of that commit.", json_schema_extra={"rdf": "hkv:snapshotDate"}
    )


class Workflow(Entity):
    """An example ComfyUI workflow published on the source site (generated by scripts/workflows.py)."""

    kind_name: ClassVar[str] = "workflow"
    folder: ClassVar[str] = "workflows"

    path: Line = Field(
        description="Path of the workflow file relative to the site root (e.g. `workflows/svi/x.json`).",
        json_schema_extra={"rdf": "hkv:workflowPath"},
    )
    pages: list[Slug] = Field(
        default_factory=list,
        description="The pages of the site that link to it (page ids).",
        json_schema_extra={"ref": "page", "rdf": "hkv:linkedFrom"},
    )
    nodes: list[Slug] = Field(
        default_factory=list,
        description="The nodes it uses that the vocabulary holds (node ids).",
        json_schema_extra={"ref": "node", "rdf": "hkv:usesNode"},
    )
    node_classes: list[Line] = Field(
        default_factory=list,
        description="Every node class it uses, as the workflow stores it, known to the vocabulary or not.",
        json_schema_extra={"rdf": "hkv:usesNodeClass"},
    )
    files: list[Slug] = Field(
        default_factory=list,
        description="The model files it loads that the vocabulary holds (file ids).",
        json_schema_extra={"ref": "file", "rdf": "hkv:usesFile"},
    )
    file_names: list[Line] = Field(
        default_factory=list,
        description="Every model file name its loaders hold, known to the vocabulary or not.",
        json_schema_extra={"rdf": "hkv:usesFileName"},
    )


ENTITY_MODELS: tuple[type[Entity], ...] = (
    Node, Parameter, Repo, Model, File, Hardware, Person, Concept, Page, Workflow,
)
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
