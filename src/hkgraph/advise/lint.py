"""Check a workflow's wiring offline, with the rules comfy-lint applies against a live server.

comfy-lint (PyPI) checks an API-format prompt against ComfyUI's ``/object_info``. Here the same rules run
on saved editor workflows, subgraphs included, against the node-input table, with no ComfyUI running:

- ``unknown-node``: a class the table does not know; the pack that provides it (the workflow's cnr_id or
  aux_id, else ComfyUI-Manager's class map) is named, since offline nothing says what is installed;
- ``missing-required``: a required input that is neither a widget nor linked;
- ``invalid-enum``: a value outside a COMBO's choices (where the source spells them out), saying which
  version of the pack the choices were read from;
- ``out-of-range``: a number below ``min`` or above ``max``;
- ``dangling-link``: a link to a node or slot that does not exist (one line per graph, however many);
- ``type-mismatch``: a link whose output type the input does not accept.

Bypassed and muted nodes are not checked (ComfyUI does not run them), nor nodes of unused subgraphs.
"""

from __future__ import annotations

from typing import Any

from .values import CONTROL, Reading, clean_float, node_inputs, node_spec
from .workflow import SUBGRAPH_INPUT_NODE, SUBGRAPH_OUTPUT_NODE, Workflow, WorkflowNode

WILDCARD = "*"
COMPATIBLE = {("INT", "FLOAT"), ("INT", "NUMBER"), ("FLOAT", "NUMBER")}


def _accepts(expected: str, produced: str) -> bool:
    if not expected or not produced:
        return True
    if WILDCARD in (expected, produced) or expected == produced or (produced, expected) in COMPATIBLE:
        return True
    if expected.startswith("COMFY_") or produced.startswith("COMFY_") or "COMBO" in (expected, produced):
        return True
    return bool(set(expected.split(",")) & set(produced.split(",")))


def _finding(rule: str, severity: str, node: WorkflowNode | None, message: str, **extra: Any) -> dict[str, Any]:
    out = {"rule": rule, "severity": severity, "message": message}
    if node is not None:
        out["node"] = {"id": node.exec_id or node.id, "type": node.type, "title": node.title,
                       "path": list(node.path), "where": node.where}
    out.update(extra)
    return out


def pack_version(pack: str) -> str:
    info = node_inputs()["sources"].get(pack, {})
    version = f" {info['version']}" if info.get("version") else ""
    return f"{info.get('repo', pack)}{version} @{(info.get('commit') or '?')[:7]} ({info.get('date') or '?'})"


def lint(workflow: Workflow, readings: dict[str, Reading], packs: dict[str, dict[str, Any] | None],
         frontend: set[str]) -> list[dict[str, Any]]:
    """Every wiring finding of the workflow (see the module docstring)."""
    out: list[dict[str, Any]] = []
    unknown: dict[str, dict[str, Any]] = {}
    by_exec = {n.exec_id: n for n in workflow.nodes}
    # cg-use-everywhere's nodes ("Anything Everywhere", "Prompts Everywhere"…) connect inputs when the
    # prompt is queued, without links in the file: unconnected inputs cannot be judged then
    broadcast = [n for n in workflow.nodes if n.active and "Everywhere" in n.type]
    if broadcast:
        out.append(_finding("missing-required", "info", None,
                            f"{broadcast[0].type} connects inputs when the workflow is queued: unconnected "
                            "inputs not checked", count=0))
    for node in workflow.nodes:
        if not node.active or node.unused_definition or node.type in frontend:
            continue
        spec = node_spec(node.type)
        if spec is None:
            pack = packs.get(node.exec_id)
            name = pack["name"] if pack else "an unknown pack"
            group = unknown.setdefault(name, {"types": {}, "pack": pack})
            group["types"][node.type] = group["types"].get(node.type, 0) + 1
            continue
        if not spec.get("static"):
            continue
        reading = readings.get(node.exec_id)
        out.extend(_values(node, spec, reading))
        if not broadcast:
            out.extend(_required(node, spec, workflow))
        out.extend(_types(node, spec, workflow, by_exec))
    for name, group in sorted(unknown.items(), key=lambda kv: (-sum(kv[1]["types"].values()), kv[0])):
        types = ", ".join(sorted(group["types"]))
        count = sum(group["types"].values())
        out.append(_finding("unknown-node", "info", None,
                            f"{count} node(s) of {len(group['types'])} type(s) the node table does not know, from "
                            f"{name}: {types}", pack=name, types=group["types"],
                            url=(group["pack"] or {}).get("url")))
    for graph, items in workflow.dangling.items():
        shown = "; ".join(items[:2]) + (f"; and {len(items) - 2} more" if len(items) > 2 else "")
        out.append(_finding("dangling-link", "info", None, f"{graph}: {len(items)} broken link(s): {shown}",
                            count=len(items)))
    return out


def _values(node: WorkflowNode, spec: dict[str, Any], reading: Reading | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if reading is None or not reading.read:
        return out
    for item in spec.get("inputs") or []:
        if not item.get("widget") or item["name"] not in reading.values:
            continue
        value = reading.values[item["name"]]
        options = item.get("options")
        if item["type"] == "COMBO" and options and value is not None:
            if value not in options and str(value) not in [str(o) for o in options]:
                out.append(_finding(
                    "invalid-enum", "notice", node,
                    f"{item['name']} = {value!r} is not one of the choices of {pack_version(spec['pack'])}: "
                    f"{_summary(options)}", input=item["name"], value=value,
                    source=pack_version(spec["pack"])))
        if item["type"] in ("INT", "FLOAT") and isinstance(value, int | float) and not isinstance(value, bool):
            low, high = item.get("min"), item.get("max")
            number = clean_float(value)
            if (low is not None and number < low) or (high is not None and number > high):
                out.append(_finding("out-of-range", "notice", node,
                                    f"{item['name']} = {value} is outside {low}…{high}", input=item["name"],
                                    value=value, min=low, max=high))
    return out


def _summary(options: list[Any], limit: int = 6) -> str:
    shown = ", ".join(str(o) for o in options[:limit])
    return shown + (f", … ({len(options) - limit} more)" if len(options) > limit else "")


def _required(node: WorkflowNode, spec: dict[str, Any], workflow: Workflow) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if workflow.format == "api":
        given = set(node.inputs) | set(node.linked)
        for item in spec.get("inputs") or []:
            if item.get("required") and item["name"] not in given and not item.get("autogrow"):
                out.append(_finding("missing-required", "warning", node,
                                    f"required input '{item['name']}' ({item['type']}) is missing",
                                    input=item["name"]))
        return out
    if not node.slots and not node.widgets:
        return out
    if spec.get("outputs") and not any(o.get("links") for o in node.outputs):
        return out  # nothing uses what the node makes: ComfyUI does not run it
    linked = {s.name for s in node.slots if s.link is not None} | {s.widget for s in node.slots
                                                                    if s.link is not None and s.widget}
    for item in spec.get("inputs") or []:
        if not item.get("required") or item.get("widget") or item.get("autogrow") or item["name"] in linked:
            continue
        out.append(_finding("missing-required", "warning", node,
                            f"required input '{item['name']}' ({item['type']}) is not connected",
                            input=item["name"]))
    return out


def _types(node: WorkflowNode, spec: dict[str, Any], workflow: Workflow,
           by_exec: dict[str, WorkflowNode]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    expected = {i["name"]: i["type"] for i in spec.get("inputs") or []}
    if workflow.format == "api":
        for name, (origin, slot) in node.api_links.items():
            upstream = by_exec.get(origin)
            if _slot_missing(upstream, slot):
                out.append(_no_slot(node, name, upstream, slot))
                continue
            produced = _output_type(upstream, slot)
            if produced and name in expected and not _accepts(expected[name], produced):
                out.append(_mismatch(node, name, expected[name], upstream, produced))
        return out
    links = workflow.links.get(node.graph, {})
    for s in node.slots:
        if s.link is None or s.link not in links:
            continue
        link = links[s.link]
        if link.origin in (SUBGRAPH_INPUT_NODE, SUBGRAPH_OUTPUT_NODE):
            continue
        upstream = by_exec.get(f"{node.scope}{link.origin}")
        if upstream is None or not isinstance(link.origin_slot, int):
            continue
        name = s.widget or s.name
        if _slot_missing(upstream, link.origin_slot):
            out.append(_no_slot(node, name, upstream, link.origin_slot))
            continue
        produced = _output_type(upstream, link.origin_slot)
        if produced and name in expected and not _accepts(expected[name], produced):
            out.append(_mismatch(node, name, expected[name], upstream, produced))
    return out


def _slot_missing(node: WorkflowNode | None, slot: int) -> bool:
    spec = node_spec(node.type) if node is not None else None
    outputs = (spec or {}).get("outputs")
    return outputs is not None and not 0 <= slot < len(outputs)


def _no_slot(node: WorkflowNode, name: str, upstream: WorkflowNode | None, slot: int) -> dict[str, Any]:
    count = len((node_spec(upstream.type) or {}).get("outputs") or []) if upstream else 0
    return _finding("dangling-link", "warning", node,
                    f"'{name}' is linked to output #{slot} of {upstream.label if upstream else '?'}, which has "
                    f"{count} output(s)", input=name, count=1)


def _output_type(node: WorkflowNode | None, slot: int) -> str | None:
    if node is None:
        return None
    spec = node_spec(node.type)
    if spec is None or not spec.get("outputs"):
        return None
    outputs = spec["outputs"]
    return outputs[slot]["type"] if 0 <= slot < len(outputs) else None


def _mismatch(node: WorkflowNode, name: str, expected: str, upstream: WorkflowNode, produced: str) -> dict:
    return _finding("type-mismatch", "warning", node,
                    f"'{name}' expects {expected} but {upstream.label} {upstream.where} gives {produced}",
                    input=name)


__all__ = ["CONTROL", "lint"]
