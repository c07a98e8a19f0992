"""Read ComfyUI workflows: the editor format (with nested subgraphs) and the API (prompt) format.

The result is a flat list of :class:`WorkflowNode` objects, one per node that runs: a subgraph instance is
expanded into the nodes of its definition, once per instance, so that each copy carries the instance's
promoted widget values, its bypass or mute (mode 4 or 2, inherited at every level of nesting) and its
path (``Sampler stage > KSampler``), and gets ComfyUI's execution id (``12:5`` for node 5 inside instance
12). Definitions no instance uses are read once, marked unused. The links of every graph are kept with
their types for the wiring checks (:mod:`hkgraph.advise.lint`).

Damage that still leaves a readable workflow (a link to a missing node, a node without a type, a subgraph
instance without a definition) becomes a message in ``Workflow.problems``; input that is not a workflow
at all raises :class:`WorkflowError` with a one-line reason.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

MAX_BYTES = 32 * 1024 * 1024
MAX_NODES = 20_000  # nodes in one workflow, subgraphs included (ComfyUI workflows hold hundreds)
MAX_EXPANDED = 50_000  # nodes once every subgraph instance is expanded
MAX_DIGITS = 30  # digits of an integer in the JSON (seeds reach 20)
MAX_ID_LENGTH = 200  # characters of a node or link id
# Values ComfyUI's frontend stores after a seed-like INT widget ("control after generate").
CONTROL_VALUES = frozenset({"fixed", "increment", "decrement", "randomize"})
MODES = {0: "always", 1: "on-event", 2: "muted", 3: "never", 4: "bypassed"}
SUBGRAPH_INPUT_NODE = -10
SUBGRAPH_OUTPUT_NODE = -20
MAX_DEPTH = 16  # nesting of subgraph instances (a definition that contains itself stops here)


class WorkflowError(Exception):
    """The input cannot be read as a ComfyUI workflow; the message says why, in one line."""


@dataclass
class Slot:
    """One input slot of an editor node: its name, type, link id and the widget it stands for."""

    name: str
    type: str | None
    link: int | None
    widget: str | None


@dataclass
class Link:
    """One link of a graph: origin node and slot → target node and slot, with the type it carries."""

    id: int
    origin: Any
    origin_slot: Any
    target: Any
    target_slot: Any
    type: Any


@dataclass
class WorkflowNode:
    """One node of a workflow, as the file stores it (one copy per subgraph instance)."""

    id: str  # the id in its own graph
    type: str
    title: str | None = None
    path: tuple[str, ...] = ()  # the subgraph instances that hold it, outermost first
    widgets: list[Any] | dict[str, Any] | None = None  # editor: widgets_values as stored
    inputs: dict[str, Any] = field(default_factory=dict)  # API: literal inputs by name
    widget_names: list[str] = field(default_factory=list)  # editor: widget inputs the node declares
    linked: set[str] = field(default_factory=set)  # inputs whose value comes from another node
    properties: dict[str, Any] = field(default_factory=dict)
    mode: int = 0  # its own mode
    inherited: int = 0  # the mode of the outermost bypassed or muted instance holding it, else 0
    exec_id: str = ""  # ComfyUI's execution id: instance ids and its own, joined by ':'
    graph: str = "root"  # the graph (root or subgraph definition id) whose links it uses
    scope: str = ""  # exec id prefix of that graph's copy
    slots: list[Slot] = field(default_factory=list)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    overrides: dict[str, Any] = field(default_factory=dict)  # widget values promoted to an instance
    unused_definition: bool = False
    api_links: dict[str, tuple[str, int]] = field(default_factory=dict)  # API: input → (node id, output)

    @property
    def where(self) -> str:
        """``#12`` or ``#12 in 'Outer > Inner'``: how a person finds the node in the editor."""
        inside = " > ".join(self.path)
        return f"#{self.id}" + (f" in '{inside}'" if inside else "")

    @property
    def effective_mode(self) -> int:
        return self.inherited or self.mode

    @property
    def active(self) -> bool:
        return self.effective_mode not in (2, 4)

    @property
    def label(self) -> str:
        return self.title or self.type


@dataclass
class Workflow:
    """The nodes of one workflow file and what was wrong with it."""

    name: str
    format: Literal["editor", "api"]
    nodes: list[WorkflowNode] = field(default_factory=list)
    subgraphs: dict[str, str] = field(default_factory=dict)  # id → name
    subgraph_instances: int = 0
    links: dict[str, dict[int, Link]] = field(default_factory=dict)  # graph → link id → link
    problems: list[str] = field(default_factory=list)
    dangling: dict[str, list[str]] = field(default_factory=dict)  # graph label → broken link descriptions
    instances: list[dict[str, Any]] = field(default_factory=list)  # subgraph instances, for the report


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
        wn = WorkflowNode(id=str(key), type=node["class_type"], title=title, exec_id=str(key))
        for input_name, value in (raw or {}).items():
            if is_api_link(value) and _valid_id(value[0]):
                wn.linked.add(input_name)
                wn.api_links[input_name] = (str(value[0]), value[1])
                if str(value[0]) not in doc:
                    wf.dangling.setdefault("workflow", []).append(
                        f"node '{key}' ({wn.type}): input '{input_name}' is linked to node '{value[0]}', which is "
                        "not in the workflow")
            else:
                wn.inputs[input_name] = value
        wf.nodes.append(wn)
    return wf


def is_api_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str | int)
            and not isinstance(value[0], bool) and isinstance(value[1], int) and not isinstance(value[1], bool))


# --------------------------------------------------------------------------------------- editor format


@dataclass
class _Ctx:
    wf: Workflow
    defs: dict[str, dict[str, Any]]
    used: set[str] = field(default_factory=set)
    checked: set[str] = field(default_factory=set)  # graphs whose links were checked


def _editor(doc: dict[str, Any], name: str) -> Workflow:
    wf = Workflow(name=name, format="editor")
    definitions = doc.get("definitions")
    defs: dict[str, dict[str, Any]] = {}
    if isinstance(definitions, dict):
        raw = definitions.get("subgraphs")
        if isinstance(raw, list):
            for i, sg in enumerate(raw):
                if isinstance(sg, dict) and isinstance(sg.get("id"), str) and isinstance(sg.get("nodes"), list):
                    defs[sg["id"]] = sg
                else:
                    wf.problems.append(f"subgraph definition {i} has no id or no node list; skipped")
        elif raw is not None:
            wf.problems.append("definitions.subgraphs is not a list; subgraphs ignored")
    elif definitions is not None:
        wf.problems.append("definitions is not an object; subgraphs ignored")
    wf.subgraphs = {sg_id: str(sg.get("name") or sg_id) for sg_id, sg in defs.items()}
    ctx = _Ctx(wf, defs)
    _graph(ctx, doc, "root", (), "", 0, {}, 0)
    for sg_id, sg in defs.items():
        if sg_id not in ctx.used:
            wf.problems.append(f"subgraph '{wf.subgraphs[sg_id]}' is defined but no node uses it")
            before = len(wf.nodes)
            _graph(ctx, sg, sg_id, (wf.subgraphs[sg_id],), f"{sg_id}:", 0, {}, 1)
            for wn in wf.nodes[before:]:
                wn.unused_definition = True
    return wf


def _link_table(graph: dict[str, Any], key: str, where: str, wf: Workflow) -> dict[int, Link]:
    if key in wf.links:
        return wf.links[key]
    links: dict[int, Link] = {}
    raw = graph.get("links")
    if raw is not None and not isinstance(raw, list):
        wf.problems.append(f"{where}: links is not a list; links ignored")
        raw = None
    for link in raw or []:
        if isinstance(link, list) and len(link) >= 5 and isinstance(link[0], int) and not (
                _valid_id(link[1]) and _valid_id(link[3])):
            wf.problems.append(f"{where}: link {link[0]} has an end that is not a node id; ignored")
        elif isinstance(link, dict) and isinstance(link.get("id"), int) and not (
                _valid_id(link.get("origin_id")) and _valid_id(link.get("target_id"))):
            wf.problems.append(f"{where}: link {link['id']} has an end that is not a node id; ignored")
        elif isinstance(link, list) and len(link) >= 5 and isinstance(link[0], int):
            links[link[0]] = Link(link[0], link[1], link[2], link[3], link[4], link[5] if len(link) > 5 else None)
        elif isinstance(link, dict) and isinstance(link.get("id"), int):
            links[link["id"]] = Link(link["id"], link.get("origin_id"), link.get("origin_slot"),
                                     link.get("target_id"), link.get("target_slot"), link.get("type"))
        else:
            wf.problems.append(f"{where}: a link is neither [id, origin, slot, target, slot, type] nor an object; "
                               "ignored")
    wf.links[key] = links
    return links


def _graph(ctx: _Ctx, graph: dict[str, Any], key: str, path: tuple[str, ...], scope: str, inherited: int,
           promoted: dict[str, dict[str, Any]], depth: int) -> None:
    """Read one graph (the root or one copy of a subgraph) and expand the instances it holds."""
    wf = ctx.wf
    where = "workflow" if key == "root" else f"subgraph '{wf.subgraphs.get(key, key)}'"
    links = _link_table(graph, key, where, wf)
    first = key not in ctx.checked
    ctx.checked.add(key)
    raw_nodes = graph.get("nodes") or []
    if first:
        node_ids = {n["id"] for n in raw_nodes if isinstance(n, dict) and _valid_id(n.get("id"))}
        if key != "root":
            node_ids.update({SUBGRAPH_INPUT_NODE, SUBGRAPH_OUTPUT_NODE})
        for link in links.values():
            for end, label in ((link.origin, "from"), (link.target, "to")):
                if end not in node_ids:
                    wf.dangling.setdefault(where, []).append(f"link {link.id} goes {label} node {end}, which does "
                                                             "not exist")
    for i, node in enumerate(raw_nodes):
        if not isinstance(node, dict):
            if first:
                wf.problems.append(f"{where}: node entry {i} is not an object; skipped")
            continue
        node_type = node.get("type")
        node_id = node.get("id", f"?{i}")
        if not _valid_id(node_id):
            wf.problems.append(f"{where}: node entry {i} has an id that is neither a number nor a short text "
                               f"({_shown(node_id)}); skipped")
            continue
        if not isinstance(node_type, str) or not node_type:
            if first:
                wf.problems.append(f"{where}: node {node_id} has no type; skipped")
            continue
        mode = node.get("mode") if isinstance(node.get("mode"), int) else 0
        title = node.get("title") if isinstance(node.get("title"), str) else None
        if node_type in ctx.defs:
            ctx.used.add(node_type)
            wf.subgraph_instances += 1
            label = title or wf.subgraphs[node_type]
            inner_inherited = inherited or (mode if mode in (2, 4) else 0)
            wf.instances.append({"id": f"{scope}{node_id}", "name": wf.subgraphs[node_type], "title": title,
                                 "path": list(path), "mode": MODES.get(mode, str(mode))})
            if depth >= MAX_DEPTH:
                wf.problems.append(f"{where}: subgraph instance {node_id} is nested more than {MAX_DEPTH} deep; "
                                   "not expanded")
                continue
            values = _promoted(ctx, node, ctx.defs[node_type], where)
            _graph(ctx, ctx.defs[node_type], node_type, (*path, f"{label} #{node_id}"), f"{scope}{node_id}:",
                   inner_inherited, values, depth + 1)
            continue
        if _looks_like_uuid(node_type):
            if first:
                wf.problems.append(f"{where}: node {node_id} uses subgraph {node_type}, which is not defined in "
                                   "the file; its nodes cannot be read")
            continue
        wn = WorkflowNode(id=str(node_id), type=node_type, title=title, path=path, mode=mode, inherited=inherited,
                          exec_id=f"{scope}{node_id}", graph=key, scope=scope)
        if isinstance(node.get("properties"), dict):
            wn.properties = node["properties"]
        values = node.get("widgets_values")
        if isinstance(values, list | dict):
            wn.widgets = values
        elif values is not None and first:
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
            input_name = slot.get("name") if isinstance(slot.get("name"), str) else ""
            widget_name = widget.get("name") if isinstance(widget, dict) else None
            widget_name = widget_name if isinstance(widget_name, str) else None
            link = slot.get("link") if isinstance(slot.get("link"), int) else None
            slot_type = slot.get("type") if isinstance(slot.get("type"), str) else None
            wn.slots.append(Slot(input_name, slot_type, link, widget_name))
            if widget_name:
                wn.widget_names.append(widget_name)
            if link is not None:
                target = links.get(link)
                if target is None:
                    if first:
                        wf.dangling.setdefault(where, []).append(
                            f"node {node_id} ({node_type}): input '{input_name}' refers to link {link}, which "
                            "does not exist")
                    continue
                if key != "root" and target.origin == SUBGRAPH_INPUT_NODE:
                    # fed by the subgraph's own input: a promoted value stands in when the instance gave one
                    if widget_name and widget_name in promoted.get(str(node_id), {}):
                        continue
                wn.linked.add(widget_name or input_name)
        for out in node.get("outputs") or []:
            if isinstance(out, dict):
                wn.outputs.append({"name": out.get("name"), "type": out.get("type"),
                                   "links": out.get("links") if isinstance(out.get("links"), list) else []})
        wn.overrides = dict(promoted.get(str(node_id), {}))
        if len(wf.nodes) >= MAX_EXPANDED:
            raise WorkflowError(f"{wf.name}: the workflow expands to more than {MAX_EXPANDED:,} nodes (its subgraph "
                                "instances included); the advisor reads smaller ones")
        wf.nodes.append(wn)


def _promoted(ctx: _Ctx, instance: dict[str, Any], definition: dict[str, Any], where: str) -> dict[str, dict]:
    """inner node id → {widget name: value} for the values an instance holds for its subgraph's widgets.

    An instance stores values for the subgraph inputs that feed widgets inside (``proxyWidgets`` entries
    ``["-1", name]``, or, in older files, the widget-typed inputs of the definition in order); each is
    passed to the inner widgets its input is linked to. Entries naming an inner node (``["12", "seed"]``)
    only show that node's own value: nothing to pass.
    """
    values = instance.get("widgets_values")
    if not isinstance(values, list) or not values:
        return {}
    props = instance.get("properties") if isinstance(instance.get("properties"), dict) else {}
    sg_inputs = [i for i in definition.get("inputs") or [] if isinstance(i, dict)]
    proxies = props.get("proxyWidgets")
    names: list[str]
    if isinstance(proxies, list) and proxies:
        names = [str(p[1]) for p in proxies if isinstance(p, list) and len(p) == 2 and str(p[0]) == "-1"]
    else:
        names = [str(i.get("name")) for i in sg_inputs if i.get("type") in ("INT", "FLOAT", "STRING", "BOOLEAN",
                                                                              "COMBO")]
    if len(names) != len(values):
        ctx.wf.problems.append(f"{where}: subgraph instance {instance.get('id')} holds {len(values)} promoted "
                               f"values for {len(names)} promoted widgets; not read")
        return {}
    links = {link["id"] if isinstance(link, dict) else link[0]: link
             for link in definition.get("links") or [] if isinstance(link, dict | list) and link}
    inner = {str(n.get("id")): n for n in definition.get("nodes") or [] if isinstance(n, dict)}
    out: dict[str, dict[str, Any]] = {}
    by_name = {str(i.get("name")): i for i in sg_inputs}
    for name, value in zip(names, values, strict=True):
        sg_input = by_name.get(name)
        if sg_input is None:
            continue
        for link_id in sg_input.get("linkIds") or []:
            link = links.get(link_id)
            if link is None:
                continue
            target, slot = (link.get("target_id"), link.get("target_slot")) if isinstance(link, dict) else (
                link[3], link[4]) if len(link) >= 5 else (None, None)
            node = inner.get(str(target))
            if node is None or not isinstance(slot, int):
                continue
            slots = node.get("inputs") or []
            if 0 <= slot < len(slots) and isinstance(slots[slot], dict):
                widget = slots[slot].get("widget")
                widget_name = widget.get("name") if isinstance(widget, dict) else None
                if isinstance(widget_name, str):
                    out.setdefault(str(target), {})[widget_name] = value
    return out


def _looks_like_uuid(text: str) -> bool:
    parts = text.split("-")
    return [len(p) for p in parts] == [8, 4, 4, 4, 12] and all(c in "0123456789abcdefABCDEF-" for c in text)
