"""Read ComfyUI workflows: the editor format (with subgraphs) and the API (prompt) format.

The result is a flat list of :class:`WorkflowNode` objects, one per real node: subgraph instances are
not nodes themselves, the nodes inside each subgraph definition are listed once, with the subgraph's name
as their path. Damage that still leaves a readable workflow (a link to a missing node, a node without a
type, a subgraph instance without a definition) becomes a message in ``Workflow.problems``; input that
is not a workflow at all raises :class:`WorkflowError` with a one-line reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MAX_BYTES = 32 * 1024 * 1024
MAX_NODES = 20_000  # nodes in one workflow, subgraphs included (ComfyUI workflows hold hundreds)
MAX_DIGITS = 30  # digits of an integer in the JSON (seeds reach 20)
MAX_ID_LENGTH = 200  # characters of a node or link id
# Values ComfyUI's frontend stores after a seed-like INT widget ("control after generate").
CONTROL_VALUES = frozenset({"fixed", "increment", "decrement", "randomize"})
MODES = {0: "always", 1: "on-event", 2: "muted", 3: "never", 4: "bypassed"}
SUBGRAPH_INPUT_NODE = -10


class WorkflowError(Exception):
    """The input cannot be read as a ComfyUI workflow; the message says why, in one line."""


@dataclass
class WorkflowNode:
    """One node of a workflow, as the file stores it."""

    id: str
    type: str
    title: str | None = None
    path: tuple[str, ...] = ()  # names of the subgraphs that hold it, outermost first
    widgets: list[Any] | dict[str, Any] | None = None  # editor: widgets_values as stored
    inputs: dict[str, Any] = field(default_factory=dict)  # API: literal inputs by name
    widget_names: list[str] = field(default_factory=list)  # editor: widget inputs the node declares
    linked: set[str] = field(default_factory=set)  # inputs whose value comes from another node
    properties: dict[str, Any] = field(default_factory=dict)
    mode: int = 0

    @property
    def where(self) -> str:
        """``#12`` or ``#12 in subgraph 'name'``: how a person finds the node in the editor."""
        inside = " > ".join(self.path)
        return f"#{self.id}" + (f" in subgraph '{inside}'" if inside else "")

    @property
    def active(self) -> bool:
        return self.mode not in (2, 4)


@dataclass
class Workflow:
    """The nodes of one workflow file and what was wrong with it."""

    name: str
    format: Literal["editor", "api"]
    nodes: list[WorkflowNode] = field(default_factory=list)
    subgraphs: dict[str, str] = field(default_factory=dict)  # id → name
    subgraph_instances: int = 0
    problems: list[str] = field(default_factory=list)


def read_bytes(path: Path | str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """A workflow file's bytes, reading at most ``max_bytes`` + 1 of them (a growing file cannot pass)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
            size = os.fstat(f.fileno()).st_size
    except OSError as exc:
        raise WorkflowError(f"{path}: cannot read the file: {exc.strerror or exc}")
    if len(data) > max_bytes:
        raise WorkflowError(f"{path}: the file is {_size(max(size, len(data)))}; the advisor reads workflows up to "
                            f"{_size(max_bytes)} (--max-bytes)")
    return data


def read_workflow(path: Path | str, *, max_bytes: int = MAX_BYTES) -> Workflow:
    """Read and parse a workflow file; raises :class:`WorkflowError` with the file name in the message."""
    return parse_workflow(read_bytes(path, max_bytes=max_bytes), name=str(path), max_bytes=max_bytes)


def parse_workflow(data: bytes | str, *, name: str = "<workflow>", max_bytes: int = MAX_BYTES) -> Workflow:
    """Parse workflow JSON text (editor or API format)."""
    if len(data) > max_bytes:
        raise WorkflowError(f"{name}: the workflow is {_size(len(data))}; the advisor reads workflows up to "
                            f"{_size(max_bytes)}")
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise WorkflowError(f"{name}: not UTF-8 text (byte {exc.start}): a workflow is a JSON file")
    if not data.strip():
        raise WorkflowError(f"{name}: the file is empty")
    try:
        doc = json.loads(data, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"{name}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}")
    except RecursionError:
        raise WorkflowError(f"{name}: the JSON is nested too deeply to be a workflow")
    except _LongNumberError as exc:
        raise WorkflowError(f"{name}: {exc}")
    return from_json(doc, name=name)


class _LongNumberError(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _LongNumberError(f"an integer with {len(text.lstrip('-'))} digits is not a workflow value "
                               f"(at most {MAX_DIGITS})")
    return int(text)


def _valid_id(value: Any) -> bool:
    """A node or link id a workflow may hold: an integer or a short string."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and len(value) <= MAX_ID_LENGTH)


def _shown(value: Any) -> str:
    """A value for a message, short whatever it is."""
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 40 else text[:37] + "…"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n:,} bytes"


def from_json(doc: Any, *, name: str = "<workflow>") -> Workflow:
    """A workflow from already-decoded JSON."""
    if isinstance(doc, dict) and isinstance(doc.get("nodes"), list):
        _count_nodes(doc, name)
        return _editor(doc, name)
    if isinstance(doc, dict) and isinstance(doc.get("prompt"), dict) and _is_api(doc["prompt"]):
        return _api(doc["prompt"], name)
    if isinstance(doc, dict) and doc and _is_api(doc):
        return _api(doc, name)
    raise WorkflowError(f"{name}: not a ComfyUI workflow: {_describe(doc)}; expected an editor workflow "
                        "(an object with a 'nodes' list) or an API prompt ({id: {class_type, inputs}})")


def _count_nodes(doc: dict[str, Any], name: str) -> None:
    total = len(doc["nodes"])
    definitions = doc.get("definitions")
    if isinstance(definitions, dict) and isinstance(definitions.get("subgraphs"), list):
        total += sum(len(sg["nodes"]) for sg in definitions["subgraphs"]
                     if isinstance(sg, dict) and isinstance(sg.get("nodes"), list))
    if total > MAX_NODES:
        raise WorkflowError(f"{name}: the workflow has {total:,} nodes; the advisor reads workflows of up to "
                            f"{MAX_NODES:,} nodes")


def _describe(doc: Any) -> str:
    if isinstance(doc, dict):
        keys = ", ".join(str(k) for k in list(doc)[:6])
        return f"found an object with keys {keys}" + (", …" if len(doc) > 6 else "") if doc else "found an empty object"
    return f"found {type(doc).__name__ if doc is not None else 'null'}"


def _is_api(doc: dict[str, Any]) -> bool:
    values = list(doc.values())
    typed = [v for v in values if isinstance(v, dict) and isinstance(v.get("class_type"), str)]
    return bool(typed) and len(typed) >= len(values) / 2


# ------------------------------------------------------------------------------------------ API format


def _api(doc: dict[str, Any], name: str) -> Workflow:
    if len(doc) > MAX_NODES:
        raise WorkflowError(f"{name}: the workflow has {len(doc):,} nodes; the advisor reads workflows of up to "
                            f"{MAX_NODES:,} nodes")
    wf = Workflow(name=name, format="api")
    for key, node in doc.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            wf.problems.append(f"entry '{key}' is not a node (no class_type); skipped")
            continue
        raw = node.get("inputs")
        if raw is not None and not isinstance(raw, dict):
            wf.problems.append(f"node '{key}' ({node['class_type']}): inputs is not an object; ignored")
            raw = None
        meta = node.get("_meta")
        title = meta.get("title") if isinstance(meta, dict) and isinstance(meta.get("title"), str) else None
        wn = WorkflowNode(id=str(key), type=node["class_type"], title=title)
        for input_name, value in (raw or {}).items():
            if _is_api_link(value) and _valid_id(value[0]):
                wn.linked.add(input_name)
                if str(value[0]) not in doc:
                    wf.problems.append(f"node '{key}' ({wn.type}): input '{input_name}' is linked to node "
                                       f"'{value[0]}', which is not in the workflow")
            else:
                wn.inputs[input_name] = value
        wf.nodes.append(wn)
    return wf


def _is_api_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int)
            and not isinstance(value[0], bool) and isinstance(value[1], int) and not isinstance(value[1], bool))


# --------------------------------------------------------------------------------------- editor format


def _editor(doc: dict[str, Any], name: str) -> Workflow:
    wf = Workflow(name=name, format="editor")
    definitions = doc.get("definitions")
    subgraphs: list[dict[str, Any]] = []
    if isinstance(definitions, dict):
        raw = definitions.get("subgraphs")
        if isinstance(raw, list):
            for i, sg in enumerate(raw):
                if isinstance(sg, dict) and isinstance(sg.get("id"), str) and isinstance(sg.get("nodes"), list):
                    subgraphs.append(sg)
                else:
                    wf.problems.append(f"subgraph definition {i} has no id or no node list; skipped")
        elif raw is not None:
            wf.problems.append("definitions.subgraphs is not a list; subgraphs ignored")
    elif definitions is not None:
        wf.problems.append("definitions is not an object; subgraphs ignored")
    wf.subgraphs = {sg["id"]: str(sg.get("name") or sg["id"]) for sg in subgraphs}

    used: set[str] = set()
    _graph(wf, doc, (), used)
    for sg in subgraphs:
        _graph(wf, sg, (wf.subgraphs[sg["id"]],), used)
    for sg_id, sg_name in wf.subgraphs.items():
        if sg_id not in used:
            wf.problems.append(f"subgraph '{sg_name}' is defined but no node uses it")
    return wf


def _link_table(graph: dict[str, Any], where: str, wf: Workflow) -> dict[int, tuple[Any, Any]]:
    """link id → (origin node id, target node id), from the array or the object form of links."""
    links: dict[int, tuple[Any, Any]] = {}
    raw = graph.get("links")
    if raw is None:
        return links
    if not isinstance(raw, list):
        wf.problems.append(f"{where}: links is not a list; links ignored")
        return links
    for link in raw:
        if isinstance(link, list) and len(link) >= 4 and _valid_id(link[0]) and isinstance(link[0], int):
            ends = (link[1], link[3])
        elif isinstance(link, dict) and _valid_id(link.get("id")) and isinstance(link.get("id"), int):
            ends = (link.get("origin_id"), link.get("target_id"))
        else:
            ends = None
        if ends is not None and all(_valid_id(end) for end in ends):
            links[link[0] if isinstance(link, list) else link["id"]] = ends
        elif ends is not None:
            wf.problems.append(f"{where}: link {_shown(link[0] if isinstance(link, list) else link['id'])} has an end "
                               "that is not a node id; ignored")
        else:
            wf.problems.append(f"{where}: a link is neither [id, origin, slot, target, slot, type] nor an object; "
                               "ignored")
    return links


def _graph(wf: Workflow, graph: dict[str, Any], path: tuple[str, ...], used: set[str]) -> None:
    where = f"subgraph '{path[-1]}'" if path else "workflow"
    links = _link_table(graph, where, wf)
    node_ids: set[Any] = set()
    for node in graph.get("nodes") or []:
        if isinstance(node, dict) and _valid_id(node.get("id")):
            node_ids.add(node["id"])
    if path:
        node_ids.update({SUBGRAPH_INPUT_NODE, -20})  # the subgraph's own input and output nodes
    for origin, target in links.values():
        for end, label in ((origin, "from"), (target, "to")):
            if end not in node_ids:
                wf.problems.append(f"{where}: a link goes {label} node {end}, which does not exist")
    for i, node in enumerate(graph.get("nodes") or []):
        if not isinstance(node, dict):
            wf.problems.append(f"{where}: node entry {i} is not an object; skipped")
            continue
        node_type = node.get("type")
        node_id = node.get("id", f"?{i}")
        if not _valid_id(node_id):
            wf.problems.append(f"{where}: node entry {i} has an id that is neither a number nor a short text "
                               f"({_shown(node_id)}); skipped")
            continue
        if not isinstance(node_type, str) or not node_type:
            wf.problems.append(f"{where}: node {node_id} has no type; skipped")
            continue
        if node_type in wf.subgraphs:
            used.add(node_type)
            wf.subgraph_instances += 1
            continue
        if _looks_like_uuid(node_type):
            wf.problems.append(f"{where}: node {node_id} uses subgraph {node_type}, which is not defined in the "
                               "file; its nodes cannot be read")
            continue
        wn = WorkflowNode(id=str(node_id), type=node_type, path=path)
        if isinstance(node.get("title"), str):
            wn.title = node["title"]
        if isinstance(node.get("properties"), dict):
            wn.properties = node["properties"]
        if isinstance(node.get("mode"), int):
            wn.mode = node["mode"]
        values = node.get("widgets_values")
        if isinstance(values, list | dict):
            wn.widgets = values
        elif values is not None:
            wf.problems.append(f"{where}: node {node_id} ({node_type}): widgets_values is neither a list nor an "
                               "object; ignored")
        slots = node.get("inputs")
        if slots is not None and not isinstance(slots, list):
            wf.problems.append(f"{where}: node {node_id} ({node_type}): inputs is not a list; ignored")
            slots = None
        for slot in slots or []:
            if not isinstance(slot, dict):
                continue
            widget = slot.get("widget")
            input_name = slot.get("name") if isinstance(slot.get("name"), str) else None
            widget_name = widget.get("name") if isinstance(widget, dict) else None
            if isinstance(widget_name, str):
                wn.widget_names.append(widget_name)
            link = slot.get("link")
            if link is not None and not (_valid_id(link) and isinstance(link, int)):
                wf.problems.append(f"{where}: node {node_id} ({node_type}): input '{input_name}' has a link that is "
                                   f"not a link id ({_shown(link)}); ignored")
                link = None
            if link is not None:
                if isinstance(widget_name, str):
                    wn.linked.add(widget_name)
                elif isinstance(input_name, str):
                    wn.linked.add(input_name)
                if link not in links:
                    wf.problems.append(f"{where}: node {node_id} ({node_type}): input '{input_name}' refers to "
                                       f"link {link}, which does not exist")
        wf.nodes.append(wn)


def _looks_like_uuid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in "0123456789abcdefABCDEF-" for c in text)
