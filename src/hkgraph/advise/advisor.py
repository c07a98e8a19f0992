"""The workflow advisor: what the graph knows about the nodes, values and models of a ComfyUI workflow.

:func:`advise` takes a parsed :class:`~hkgraph.advise.workflow.Workflow` and the :class:`Knowledge` read from a
built ``hkgraph.db`` and returns a JSON-ready report; :func:`render_text` prints it for a terminal. The
advice comes from the built database rather than from data/ so that the same code serves the command line
(after ``ensure_built``) and the Datasette page (which has only the database file).

For each node the report gives: the known node it is (class name, then display name or alias), the
pack it comes from (the workflow's ``cnr_id``/``aux_id``, else the committed class-name map
``node_packs.json``), its widget values by input name where the order is established, every structured
setting of the data that applies to one of those values (follows / differs / contradicts), and the tips
about the node and its parameters. Then the models it loads (by file name) and what the workflow implies
(block swap, torch.compile, few steps with cfg above 1, a tiled VAE with a temporal size below the frame
count…), with the tips of the matching concepts or repos where the data has them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .workflow import CONTROL_VALUES, MODES, Workflow, WorkflowNode

SEVERITY_RANK = {"warning": 3, "notice": 2, "info": 1, "ok": 0}
KIND_RANK = {"warning": 0, "troubleshooting": 1, "setting": 2, "comparison": 3}
MODEL_SUFFIXES = (".safetensors", ".gguf", ".ckpt", ".pt", ".pth", ".bin", ".sft", ".onnx")
CONTROL = "control_after_generate"
SEED_NAMES = frozenset({"seed", "noise_seed"})


class AdviseError(Exception):
    """The advice cannot be given (no database, a database that is not an hkgraph build)."""


# ------------------------------------------------------------------------------------------ knowledge


def _list(text: str | None) -> list[str]:
    return json.loads(text) if text else []


@dataclass
class Knowledge:
    """The parts of the built database the advisor uses, indexed for lookups."""

    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_class: dict[str, str] = field(default_factory=dict)  # class name → node id
    by_class_folded: dict[str, str] = field(default_factory=dict)
    by_label: dict[str, str] = field(default_factory=dict)  # folded display name or alias → node id
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_params: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # node → name → parameter
    generic_params: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # folded label → parameters
    repos: dict[str, dict[str, Any]] = field(default_factory=dict)
    repo_by_cnr: dict[str, str] = field(default_factory=dict)
    repo_by_path: dict[str, str] = field(default_factory=dict)
    tips: dict[str, dict[str, Any]] = field(default_factory=dict)
    node_tips: dict[str, list[str]] = field(default_factory=dict)
    param_tips: dict[str, list[str]] = field(default_factory=dict)
    model_tips: dict[str, list[str]] = field(default_factory=dict)
    concept_tips: dict[str, list[str]] = field(default_factory=dict)
    repo_tips: dict[str, list[str]] = field(default_factory=dict)
    settings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # parameter id → settings
    models: dict[str, str] = field(default_factory=dict)  # id → name
    model_by_file: dict[str, str] = field(default_factory=dict)  # folded file name → model id
    concepts: dict[str, dict[str, Any]] = field(default_factory=dict)
    label_entities: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # folded label → (kind, id)


_CACHE: dict[tuple[str, int, int], Knowledge] = {}


def load_knowledge(db_path: Path | str) -> Knowledge:
    """Read the advisor's view of a built ``hkgraph.db`` (cached per file version)."""
    path = Path(db_path)
    try:
        st = path.stat()
    except OSError:
        raise AdviseError(f"{path}: no such database; run `hkgraph build` first")
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _CACHE:
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            conn.row_factory = sqlite3.Row
            try:
                _CACHE.clear()
                _CACHE[key] = _read(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise AdviseError(f"{path}: not an hkgraph database ({exc})")
    return _CACHE[key]


def _read(conn: sqlite3.Connection) -> Knowledge:
    kb = Knowledge()

    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(sql)]

    for r in rows("SELECT id, name, aliases, class_name, repo, inputs, inputs_read_from FROM nodes"):
        r["aliases"], r["inputs"] = _list(r["aliases"]), _list(r["inputs"])
        kb.nodes[r["id"]] = r
        if r["class_name"]:  # an unverified node may have none
            kb.by_class.setdefault(r["class_name"], r["id"])
            kb.by_class_folded.setdefault(r["class_name"].casefold(), r["id"])
        for label in (r["name"], *r["aliases"]):
            kb.by_label.setdefault(label.casefold(), r["id"])
    for r in rows('SELECT id, name, aliases, node, type, allowed_values, "default" FROM parameters'):
        r["aliases"], r["allowed_values"] = _list(r["aliases"]), _list(r["allowed_values"])
        kb.parameters[r["id"]] = r
        if r["node"]:
            kb.node_params.setdefault(r["node"], {})[r["name"]] = r
        else:
            for label in {label.casefold() for label in (r["id"], r["name"], *r["aliases"])}:
                kb.generic_params.setdefault(label, []).append(r)
    for r in rows("SELECT id, name, aliases, url, path, cnr_id FROM repos"):
        r["aliases"] = _list(r["aliases"])
        kb.repos[r["id"]] = r
        if r["cnr_id"]:
            kb.repo_by_cnr[r["cnr_id"].casefold()] = r["id"]
        kb.repo_by_path[(r["path"] or "").casefold()] = r["id"]
        for label in {label.casefold() for label in (r["id"], r["name"], *r["aliases"])}:
            kb.label_entities.setdefault(label, []).append(("repo", r["id"]))
    for r in rows("SELECT id, title, summary, kind, certainty, tags FROM tips"):
        r["tags"] = _list(r["tags"])
        kb.tips[r["id"]] = r
    for table, column, target in (
        ("tip_nodes", "node_id", kb.node_tips), ("tip_parameters", "parameter_id", kb.param_tips),
        ("tip_models", "model_id", kb.model_tips), ("tip_concepts", "concept_id", kb.concept_tips),
        ("tip_repos", "repo_id", kb.repo_tips),
    ):
        for r in rows(f"SELECT tip_id, {column} AS target FROM {table} ORDER BY tip_id"):
            target.setdefault(r["target"], []).append(r["tip_id"])
    for r in rows('SELECT id, tip_id, parameter_id, value, "values", min, max, advice, condition, node_id, '
                  "model_id, hardware_id FROM settings ORDER BY id"):
        r["values"] = _list(r["values"])
        kb.settings.setdefault(r["parameter_id"], []).append(r)
    for r in rows("SELECT id, name FROM models"):
        kb.models[r["id"]] = r["name"]
    for r in rows("SELECT model AS model_id, name FROM files WHERE model IS NOT NULL"):
        kb.model_by_file.setdefault(_basename(r["name"]).casefold(), r["model_id"])
    for r in rows("SELECT id, name, aliases FROM concepts"):
        r["aliases"] = _list(r["aliases"])
        kb.concepts[r["id"]] = r
        for label in {label.casefold() for label in (r["id"], r["name"], *r["aliases"])}:
            kb.label_entities.setdefault(label, []).append(("concept", r["id"]))
    return kb


@cache
def node_packs() -> dict[str, Any]:
    """The committed class-name → pack map (see scripts/node_packs.py)."""
    text = resources.files("hkgraph.advise").joinpath("node_packs.json").read_text(encoding="utf-8")
    data = json.loads(text)
    data["compiled"] = [(re.compile(p), url) for p, url in data["patterns"]]
    return data


# ------------------------------------------------------------------------------------ recognition


def recognise(node: WorkflowNode, kb: Knowledge) -> tuple[str | None, str | None]:
    """(node id, how it was matched): by class name, then by display name or alias."""
    if node.type in kb.by_class:
        return kb.by_class[node.type], "class name"
    if node.type.casefold() in kb.by_class_folded:
        return kb.by_class_folded[node.type.casefold()], "class name"
    for label in (node.type, node.properties.get("Node name for S&R")):
        if isinstance(label, str) and label.casefold() in kb.by_label:
            node_id = kb.by_label[label.casefold()]
            how = "display name" if kb.nodes[node_id]["name"].casefold() == label.casefold() else "alias"
            return node_id, how
    return None, None


def is_frontend_only(node: WorkflowNode) -> bool:
    """Notes, reroutes, primitives and Get/Set nodes live in the browser: ComfyUI never runs them."""
    return node.type in node_packs()["frontend"]


def _repo_name(url: str) -> str:
    return "/".join(url.rstrip("/").split("/")[-2:])


def identify_pack(node: WorkflowNode, known: str | None, kb: Knowledge) -> dict[str, Any] | None:
    """Where the node comes from: the workflow's cnr_id or aux_id, the data, else the class-name map."""
    packs = node_packs()
    props = node.properties
    version = props.get("ver") if isinstance(props.get("ver"), str) else None
    cnr_id, aux_id = props.get("cnr_id"), props.get("aux_id")
    pack: dict[str, Any] | None = None
    if isinstance(cnr_id, str) and cnr_id:
        repo = kb.repo_by_cnr.get(cnr_id.casefold())
        url = kb.repos[repo]["url"] if repo else packs["cnr_ids"].get(cnr_id.casefold())
        pack = {"source": "cnr_id", "id": cnr_id, "repo": repo, "url": url}
    elif isinstance(aux_id, str) and "/" in aux_id:
        repo = kb.repo_by_path.get(aux_id.casefold())
        pack = {"source": "aux_id", "id": aux_id, "repo": repo, "url": f"https://github.com/{aux_id}"}
    elif known:
        repo = kb.nodes[known]["repo"]
        pack = {"source": "data", "id": repo, "repo": repo, "url": kb.repos.get(repo, {}).get("url")}
    elif is_frontend_only(node):
        where = packs["frontend"][node.type]
        pack = {"source": "frontend", "id": where if "/" not in where else _repo_name(where), "repo": None,
                "url": where if where.startswith("http") else None}
    elif node.type in packs["classes"]:
        found = packs["classes"][node.type]
        if isinstance(found, list):
            pack = {"source": "class map", "id": None, "repo": None, "url": None, "candidates": found}
        else:
            pack = {"source": "class map", "id": _repo_name(found), "repo": None, "url": found}
    else:
        for pattern, url in packs["compiled"]:
            if pattern.search(node.type):
                pack = {"source": "name pattern", "id": _repo_name(url), "repo": None, "url": url}
                break
    if pack is None:
        return None
    if pack["repo"] is None and pack["url"]:
        pack["repo"] = kb.repo_by_path.get(_repo_name(pack["url"]).casefold())
    if pack["repo"] in kb.repos:
        pack["name"] = kb.repos[pack["repo"]]["name"]
    elif pack["url"]:
        pack["name"] = _repo_name(pack["url"])
    else:
        pack["name"] = pack["id"] or "one of " + ", ".join(_repo_name(u) for u in pack.get("candidates", []))
    pack["version"] = version
    return pack


# --------------------------------------------------------------------------------- widget values


def fits_type(value: Any, kind: str | None) -> bool:
    """Whether a widget value can be a value of an input of ``kind`` (COMBO, INT, FLOAT, BOOLEAN, STRING)."""
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    if kind == "INT":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if kind == "FLOAT":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "STRING":
        return isinstance(value, str)
    if kind == "COMBO":
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    return True


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def map_values(node: WorkflowNode, known: str | None, kb: Knowledge) -> tuple[dict[str, Any], str, str | None]:
    """The node's widget values by input name: (values, source, note).

    Sources: ``api`` (the API format names its inputs), ``named`` (widgets stored as an object),
    ``data`` (the order recorded for the node in the data), ``workflow`` (the widget names the file
    itself declares, when they account for every value), ``none`` (the order is not known: no guessing).
    """
    if node.widgets is None:
        return {k: v for k, v in node.inputs.items() if _scalar(v)}, "api" if node.inputs else "none", None
    if isinstance(node.widgets, dict):
        return {k: v for k, v in node.widgets.items() if _scalar(v)}, "named", None
    values = node.widgets
    if not values:
        return {}, "none", None
    order = kb.nodes[known]["inputs"] if known else []
    if order:
        params = kb.node_params.get(known or "", {})
        read_from = kb.nodes[known or ""]["inputs_read_from"]
        if len(values) == len(order) and all(
            (value in CONTROL_VALUES) if name == CONTROL else fits_type(value, params.get(name, {}).get("type"))
            for name, value in zip(order, values, strict=True)
        ):
            return _named(order, values), "data", None
        return {}, "none", (f"{len(values)} widget values do not fit the known order of {len(order)} "
                            f"({read_from or 'source not recorded'}): another pack version; values not read")
    names = _declared_order(node.widget_names, values)
    if names:
        return _named(names, values), "workflow", None
    return {}, "none", "the order of this node's widget values is not known"


def _named(order: list[str], values: list[Any]) -> dict[str, Any]:
    return {name: value for name, value in zip(order, values, strict=True) if name != CONTROL and _scalar(value)}


def _declared_order(names: list[str], values: list[Any]) -> list[str] | None:
    """The declared widget names, with a control slot after each seed whose next value is a control value."""
    if not names or len(set(names)) != len(names):
        return None
    order: list[str] = []
    i = 0
    for name in names:
        order.append(name)
        i += 1
        if name in SEED_NAMES and i < len(values) and values[i] in CONTROL_VALUES and len(values) > len(names):
            order.append(CONTROL)
            i += 1
    return order if len(order) == len(values) else None


# ------------------------------------------------------------------------------------------- checks


def _same(value: Any, advised: str) -> bool:
    if isinstance(value, bool):
        return advised.casefold() == ("true" if value else "false")
    if isinstance(value, int | float):
        try:
            return float(advised) == float(value)
        except ValueError:
            return False
    return isinstance(value, str) and (value == advised or value.casefold() == advised.casefold())


def _advised(setting: dict[str, Any]) -> str:
    if setting["value"] is not None:
        return setting["value"]
    if setting["values"]:
        return " / ".join(setting["values"])
    low, high = setting["min"], setting["max"]
    if low is not None and high is not None:
        return f"{low:g}–{high:g}"
    if low is not None:
        return f"≥ {low:g}"
    if high is not None:
        return f"≤ {high:g}"
    return setting.get("direction") or ""


def _matches(value: Any, setting: dict[str, Any]) -> bool:
    if setting["value"] is not None and _same(value, setting["value"]):
        return True
    if any(_same(value, v) for v in setting["values"]):
        return True
    if (setting["min"] is not None or setting["max"] is not None) and isinstance(value, int | float) \
            and not isinstance(value, bool):
        return (setting["min"] is None or value >= setting["min"]) and (
            setting["max"] is None or value <= setting["max"])
    return False


VERDICTS = {  # advice → (severity, verdict) when the value matches / does not match
    "avoid": (("warning", "contradicts"), ("ok", "follows")),
    "required": (("ok", "follows"), ("warning", "contradicts")),
    "prefer": (("ok", "follows"), ("notice", "differs")),
    "default": (("ok", "follows"), ("info", "differs")),
    "use-when": (("info", "follows"), ("info", "differs")),
}
_LOWER = {"warning": "notice", "notice": "info", "info": "info", "ok": "ok"}


def check_setting(name: str, value: Any, setting: dict[str, Any], *, loaded_models: set[str], active: bool,
                  kb: Knowledge) -> dict[str, Any]:
    """Compare one workflow value with one setting of the data."""
    matched = _matches(value, setting)
    severity, verdict = VERDICTS[setting["advice"]][0 if matched else 1]
    notes = []
    if setting["model_id"] and setting["model_id"] not in loaded_models:
        severity = _LOWER[severity]
        notes.append(f"the advice is about {kb.models.get(setting['model_id'], setting['model_id'])}, which the "
                     "workflow does not load by a known file name")
    if setting["condition"] and severity != "ok":
        # The workflow cannot show whether the condition holds: say so, one step milder.
        severity = _LOWER[severity]
        notes.append(f"applies when: {setting['condition']}")
    if setting["hardware_id"]:
        notes.append(f"the advice is for {setting['hardware_id']}")
    if not active:
        severity = "info" if severity != "ok" else "ok"
        notes.append("the node is bypassed or muted")
    tip = kb.tips.get(setting["tip_id"], {})
    return {
        "severity": severity, "verdict": verdict, "input": name, "parameter": setting["parameter_id"], "value": value,
        "advice": setting["advice"], "advised": _advised(setting), "condition": setting["condition"],
        "tip": setting["tip_id"], "tip_title": tip.get("title"), "notes": notes,
    }


def _settings_for(node_id: str | None, names: Iterable[str], kb: Knowledge) -> list[tuple[str, dict[str, Any]]]:
    """(input name, setting) for every setting about an input of this node (its own or a generic knob)."""
    found: list[tuple[str, dict[str, Any]]] = []
    own = kb.node_params.get(node_id or "", {})
    for name, param in own.items():
        found.extend((name, s) for s in kb.settings.get(param["id"], []))
    for name in names:
        if name in own:
            continue
        for param in kb.generic_params.get(name.casefold(), []):
            found.extend((name, s) for s in kb.settings.get(param["id"], [])
                         if s["node_id"] in (None, node_id))
    return found


def _tip_refs(tip_ids: Iterable[str], kb: Knowledge, via: str) -> list[dict[str, Any]]:
    out = []
    for tip_id in tip_ids:
        tip = kb.tips.get(tip_id)
        if tip:
            out.append({"id": tip_id, "title": tip["title"], "kind": tip["kind"], "certainty": tip["certainty"],
                        "via": via})
    return out


def _basename(name: str) -> str:
    return re.split(r"[\\/]", name)[-1]


def _model_files(node: WorkflowNode) -> list[str]:
    raw: Iterable[Any]
    if isinstance(node.widgets, dict):
        raw = node.widgets.values()
    elif isinstance(node.widgets, list):
        raw = node.widgets
    else:
        raw = node.inputs.values()
    return [v for v in raw if isinstance(v, str) and v.casefold().endswith(MODEL_SUFFIXES) and len(v) < 400]


# -------------------------------------------------------------------------------------- inferences


@dataclass
class Seen:
    """One node with what the advisor read from it, for the inference rules."""

    node: WorkflowNode
    values: dict[str, Any]


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _block_swap(seen: list[Seen]) -> list[str]:
    out = []
    for s in seen:
        blocks = _num(s.values.get("blocks_to_swap"))
        if s.node.type in ("WanVideoBlockSwap", "WanVideoSetBlockSwap") or blocks is not None:
            if blocks == 0:
                continue
            out.append(f"{s.node.where} {s.node.type}" + (f" swaps {blocks:g} blocks" if blocks else ""))
    return out


def _torch_compile(seen: list[Seen]) -> list[str]:
    return [f"{s.node.where} {s.node.type}" for s in seen if "torchcompile" in s.node.type.casefold()]


def _few_steps_cfg(seen: list[Seen]) -> list[str]:
    out = []
    for s in seen:
        steps, cfg = _num(s.values.get("steps")), _num(s.values.get("cfg"))
        if steps is not None and cfg is not None and steps <= 10 and cfg > 1:
            out.append(f"{s.node.where} {s.node.type}: {steps:g} steps at cfg {cfg:g}")
    return out


def _tiled_vae(seen: list[Seen]) -> list[str]:
    frames = [n for s in seen for k in ("num_frames", "length", "frame_count", "frames")
              if (n := _num(s.values.get(k))) is not None and n > 1]
    if not frames:
        return []
    most = max(frames)
    out = []
    for s in seen:
        temporal = _num(s.values.get("temporal_size"))
        if temporal is not None and temporal < most:
            out.append(f"{s.node.where} {s.node.type}: temporal_size {temporal:g} below {most:g} frames")
    return out


def _sage(seen: list[Seen]) -> list[str]:
    out = []
    for s in seen:
        mode = s.values.get("attention_mode", s.values.get("sage_attention"))
        if isinstance(mode, str) and mode.casefold().startswith("sage"):
            out.append(f"{s.node.where} {s.node.type}: {mode}")
    return out


def _gguf(seen: list[Seen]) -> list[str]:
    return [f"{s.node.where} {s.node.type}" for s in seen
            if "gguf" in s.node.type.casefold() or any(f.casefold().endswith(".gguf") for f in _model_files(s.node))]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    labels: tuple[str, ...]  # concept or repo ids, names or aliases that carry the tips
    detect: Callable[[list[Seen]], list[str]]
    parameters: tuple[str, ...] = ()  # generic parameters whose tips apply too


RULES: tuple[Rule, ...] = (
    Rule("block-swap", "block swap moves transformer blocks to the CPU",
         ("block-swap", "block swap", "blockswap", "block swapping"), _block_swap),
    Rule("torch-compile", "torch.compile is used", ("torch-compile", "torch.compile", "torch compile"), _torch_compile),
    Rule("few-steps-high-cfg", "few steps (10 or fewer) with cfg above 1",
         ("step-distillation", "step distillation", "cfg distillation", "distill lora", "lightning lora"),
         _few_steps_cfg, ("cfg", "steps")),
    Rule("tiled-vae-temporal", "a tiled VAE with a temporal size below the frame count",
         ("tiled-vae", "tiled vae", "vae tiling", "temporal tiling"), _tiled_vae),
    Rule("sage-attention", "SageAttention is used", ("sageattention", "sage attention", "sageattn"), _sage),
    Rule("gguf", "GGUF-quantized models are loaded", ("gguf",), _gguf),
)


def _infer(seen: list[Seen], kb: Knowledge) -> list[dict[str, Any]]:
    out = []
    for rule in RULES:
        evidence = rule.detect(seen)
        if not evidence:
            continue
        entities: list[tuple[str, str]] = []
        for label in rule.labels:
            for ref in kb.label_entities.get(label.casefold(), []):
                if ref not in entities:
                    entities.append(ref)
        tips: list[dict[str, Any]] = []
        for kind, ident in entities:
            source = kb.concept_tips if kind == "concept" else kb.repo_tips
            tips.extend(_tip_refs(source.get(ident, []), kb, f"{kind}:{ident}"))
        for name in rule.parameters:
            for param in kb.generic_params.get(name, []):
                tips.extend(_tip_refs(kb.param_tips.get(param["id"], []), kb, f"parameter:{param['id']}"))
        names = {"concept": kb.concepts, "repo": kb.repos}
        out.append({
            "id": rule.id, "summary": rule.summary, "evidence": evidence,
            "entities": [{"kind": k, "id": i, "name": names[k][i]["name"]} for k, i in entities],
            "tips": _dedupe(tips),
            "note": None if entities or tips else "the data has no concept or repo for this yet",
        })
    return out


def _dedupe(tips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out = []
    for tip in sorted(tips, key=lambda t: (KIND_RANK.get(t["kind"], 9), t["id"])):
        if tip["id"] not in seen:
            seen.add(tip["id"])
            out.append(tip)
    return out


# -------------------------------------------------------------------------------------------- advise


def advise(workflow: Workflow, kb: Knowledge) -> dict[str, Any]:
    """The advice for one workflow, as a JSON-ready report."""
    loaded: dict[str, str] = {}  # folded file name → model id
    files: list[tuple[WorkflowNode, str]] = []
    for node in workflow.nodes:
        for name in _model_files(node):
            files.append((node, name))
            model = kb.model_by_file.get(_basename(name).casefold())
            if model:
                loaded[name] = model
    loaded_models = set(loaded.values())

    reports, seen = [], []
    for node in workflow.nodes:
        report, values = _node_report(node, kb, loaded_models)
        reports.append(report)
        seen.append(Seen(node, values))
    models = []
    for node, name in files:
        model = loaded.get(name)
        models.append({
            "file": name, "node": node.id, "where": node.where, "type": node.type,
            "model": {"id": model, "name": kb.models[model]} if model else None,
            "tips": _dedupe(_tip_refs(kb.model_tips.get(model, []), kb, f"model:{model}")) if model else [],
        })
    checks = [c for r in reports for c in r["checks"]]
    severities = Counter(c["severity"] for c in checks)
    frontend = sum(1 for r in reports if r["frontend_only"])
    return {
        "workflow": {"name": workflow.name, "format": workflow.format, "nodes": len(workflow.nodes),
                     "subgraphs": len(workflow.subgraphs), "subgraph_instances": workflow.subgraph_instances},
        "summary": {
            "nodes_seen": len(reports),
            "nodes_recognised": sum(1 for r in reports if r["known"]),
            "nodes_frontend_only": frontend,
            "nodes_with_pack": sum(1 for r in reports if r["pack"] and r["pack"].get("id")),
            "nodes_values_read": sum(1 for r in reports if r["mapping"]["source"] != "none"),
            "settings_checked": len(checks),
            "settings_not_checked": sum(len(r["unchecked"]) for r in reports),
            "warnings": severities["warning"], "notices": severities["notice"],
            "tips": len({t["id"] for r in reports for t in r["tips"]}),
            "models_loaded": len(models), "models_recognised": sum(1 for m in models if m["model"]),
        },
        "nodes": sorted(reports, key=_node_order),
        "models": models,
        "implied": _infer(seen, kb),
        "unknown_types": _unknown_types(reports),
        "frontend_only": dict(Counter(r["type"] for r in reports if r["frontend_only"])),
        "problems": workflow.problems,
    }


def _node_order(report: dict[str, Any]) -> tuple[Any, ...]:
    return (-SEVERITY_RANK[report["severity"]], -len(report["checks"]) - len(report["tips"]),
            report["path"], _int_or_text(report["id"]))


def _int_or_text(text: str) -> tuple[int, Any]:
    return (0, int(text)) if text.lstrip("-").isdigit() else (1, text)


def _node_report(node: WorkflowNode, kb: Knowledge, loaded_models: set[str]) -> tuple[dict[str, Any], dict]:
    known, how = recognise(node, kb)
    pack = identify_pack(node, known, kb)
    values, source, note = map_values(node, known, kb)
    linked = {name for name in node.linked if name in values or name in kb.node_params.get(known or "", {})}
    for name in linked:
        values.pop(name, None)
    checks, unchecked = [], []
    names = [*values, *(kb.nodes[known]["inputs"] if known else []), *node.widget_names]
    for name, setting in _settings_for(known, dict.fromkeys(n for n in names if n != CONTROL), kb):
        if setting.get("direction") and setting["value"] is None and not setting["values"] \
                and setting["min"] is None and setting["max"] is None:
            unchecked.append({"parameter": setting["parameter_id"], "input": name, "tip": setting["tip_id"],
                              "reason": f"the advice is a direction ({setting['direction']}), not a value"})
        elif name in values:
            checks.append(check_setting(name, values[name], setting, loaded_models=loaded_models, active=node.active,
                                        kb=kb))
        else:
            reason = "set by a link from another node" if name in linked else (note or "no value stored")
            unchecked.append({"parameter": setting["parameter_id"], "input": name, "tip": setting["tip_id"],
                              "reason": reason})
    checks.sort(key=lambda c: (-SEVERITY_RANK[c["severity"]], c["parameter"], c["tip"]))
    tips = _tip_refs(kb.node_tips.get(known, []), kb, "node") if known else []
    for name, param in kb.node_params.get(known or "", {}).items():
        tips.extend(_tip_refs(kb.param_tips.get(param["id"], []), kb, f"parameter:{name}"))
    report = {
        "id": node.id, "where": node.where, "path": list(node.path), "type": node.type, "title": node.title,
        "mode": MODES.get(node.mode, str(node.mode)),
        "frontend_only": is_frontend_only(node),
        "known": {"id": known, "name": kb.nodes[known]["name"], "matched_by": how} if known else None,
        "pack": pack,
        "values": values,
        "mapping": {"source": source, "note": note},
        "checks": checks, "unchecked": unchecked, "tips": _dedupe(tips),
        "severity": max((c["severity"] for c in checks), key=SEVERITY_RANK.__getitem__, default="ok"),
    }
    return report, values


def _unknown_types(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Node types not in the data, grouped by the pack they come from, with a count each."""
    counts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in reports:
        if r["known"] or r["frontend_only"]:
            continue
        pack = r["pack"]
        key = (pack["name"], pack["source"]) if pack else ("unknown pack", "none")
        counts[key][r["type"]] += 1
    return [
        {"pack": name, "source": source, "types": dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))}
        for (name, source), c in sorted(counts.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    ]


# -------------------------------------------------------------------------------------------- text


def _fmt_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _pack_label(pack: dict[str, Any] | None) -> str:
    if not pack:
        return "pack unknown"
    label = pack["name"]
    if pack["source"] in ("cnr_id", "aux_id"):
        label += f" [{pack['source']} {pack['id']}]" if pack["id"] != pack["name"] else f" [{pack['source']}]"
    elif pack["source"] == "frontend":
        label += " [runs in the browser only]"
    if pack.get("version"):
        label += f" ver {pack['version']}"
    return label


def render_text(report: dict[str, Any]) -> str:
    """The report as text for a terminal: grouped by node, strongest warnings first."""
    wf, s = report["workflow"], report["summary"]
    lines = [
        f"{wf['name']}: {wf['format']} workflow, {s['nodes_seen']} nodes"
        + (f" ({wf['subgraphs']} subgraphs)" if wf["subgraphs"] else ""),
        f"recognised {s['nodes_recognised']} of {s['nodes_seen']} nodes; {s['settings_checked']} settings checked: "
        f"{s['warnings']} warning(s), {s['notices']} notice(s); {s['tips']} tips",
    ]
    detailed = [n for n in report["nodes"] if n["checks"] or n["tips"] or n["unchecked"]]
    for n in detailed:
        title = n["known"]["name"] if n["known"] else n["type"]
        lines += ["", f"{title} ({n['type']}) {n['where']} — {_pack_label(n['pack'])}"
                  + ("" if n["mode"] == "always" else f" [{n['mode']}]")]
        for c in n["checks"]:
            lines.append(f"  {c['severity'].upper():<8} {c['input']} = {_fmt_value(c['value'])}: {c['verdict']} "
                         f"'{c['advice']} {c['advised']}' [{c['tip']}] {c['tip_title']}")
            if c["condition"]:
                lines.append(f"           when: {c['condition']}")
            lines.extend(f"           note: {note}" for note in c["notes"])
        for u in n["unchecked"]:
            lines.append(f"  {'-':<8} {u['input']} not checked [{u['tip']}]: {u['reason']}")
        shown = {c["tip"] for c in n["checks"]} | {u["tip"] for u in n["unchecked"]}
        for t in n["tips"]:
            if t["id"] not in shown:
                lines.append(f"  tip      [{t['id']}] {t['title']}")
    if report["models"]:
        lines += ["", "Models loaded:"]
        for m in report["models"]:
            what = f"{m['model']['name']} [{m['model']['id']}]" if m["model"] else "not in the data"
            lines.append(f"  {m['file']} ({m['type']} {m['where']}): {what}")
            lines.extend(f"    tip  [{t['id']}] {t['title']}" for t in m["tips"])
    if report["implied"]:
        lines += ["", "What the workflow implies:"]
        for imp in report["implied"]:
            lines.append(f"  {imp['summary']}: {'; '.join(imp['evidence'][:3])}"
                         + (f" (+{len(imp['evidence']) - 3} more)" if len(imp["evidence"]) > 3 else ""))
            if imp["note"]:
                lines.append(f"    {imp['note']}")
            lines.extend(f"    tip  [{t['id']}] {t['title']}" for t in imp["tips"])
    quiet = Counter(n["type"] for n in report["nodes"] if n["known"] and n not in detailed)
    if quiet:
        lines += ["", "Recognised, no advice yet: " + ", ".join(_counted(quiet))]
    if report["unknown_types"]:
        lines += ["", "Not in the data (by pack):"]
        for group in report["unknown_types"]:
            lines.append(f"  {group['pack']}: " + ", ".join(_counted(group["types"])))
    if report["frontend_only"]:
        lines += ["", "Browser-only nodes (nothing to advise): " + ", ".join(_counted(report["frontend_only"]))]
    if report["problems"]:
        lines += ["", "Problems with the file:"]
        lines.extend(f"  {p}" for p in report["problems"])
    return "\n".join(lines)


def _counted(counts: dict[str, int] | Counter[str]) -> list[str]:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [name if n == 1 else f"{name} ×{n}" for name, n in items]


def advise_file(path: Path | str, db_path: Path | str, *, max_bytes: int | None = None) -> dict[str, Any]:
    """Read a workflow file and advise on it (raises WorkflowError or AdviseError with a clear message)."""
    from .workflow import MAX_BYTES, read_workflow

    return advise(read_workflow(path, max_bytes=max_bytes or MAX_BYTES), load_knowledge(db_path))
