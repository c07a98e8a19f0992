"""The workflow advisor: what to change first in a ComfyUI workflow, judged against the knowledge graph.

:func:`advise` takes a parsed :class:`~hkgraph.advise.workflow.Workflow` and the :class:`Knowledge` read from
a built ``hkgraph.db`` and returns a JSON-ready report whose centre is a flat, ranked list of
``findings``: each names the node (title, type, full subgraph path, execution id), the input, the current
and the suggested value, a one-line reason in our words and the tip it comes from, with a link to its
source. Findings about the same thing on several nodes are one finding with a count.

How a setting of the data becomes a finding:

- the node's values are read where they live (:mod:`.values`: the node-input table, promoted subgraph
  widgets, tolerant reading); a value not read is counted, and said, never guessed;
- the setting's condition is judged from the graph (:mod:`.conditions`): raised when it holds, dropped
  when it fails, marked "cannot tell" otherwise (shown with ``--verbose``);
- advice about a model family the workflow does not load is dropped (:mod:`.models` recognises the files);
- a bypassed or muted node (at any level of subgraph nesting) gets no warning: its findings are infos.

The wiring is checked as comfy-lint would (:mod:`.lint`). Tips that only describe a node, and settings
that cannot be told, are kept for ``--verbose``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import conditions as cond
from .lint import lint
from .models import ModelFile, ModelIndex, read_model_index, recognise_file, same_family
from .values import CONTROL, Reading, node_spec, read_values
from .workflow import MODES, Workflow, WorkflowNode

SEVERITY_RANK = {"warning": 3, "notice": 2, "info": 1}
MODEL_SUFFIXES = (".safetensors", ".sft", ".gguf", ".ckpt", ".pt", ".pth", ".bin", ".onnx")
SITE = "https://wanx-troopers.github.io/"
# rgthree's organising nodes live in the browser like Notes (ComfyUI never runs them).
VIRTUAL = frozenset({"Label (rgthree)", "Bookmark (rgthree)", "Fast Groups Bypasser (rgthree)",
                     "Fast Groups Muter (rgthree)", "Fast Bypasser (rgthree)", "Fast Muter (rgthree)",
                     "Mute / Bypass Repeater (rgthree)", "Image Comparer (rgthree)"})
LORA_LISTS = ("Power Lora Loader (rgthree)",)


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
    settings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # parameter id → settings
    tip_hardware: dict[str, list[str]] = field(default_factory=dict)  # tip id → hardware names
    models: ModelIndex = field(default_factory=ModelIndex)


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
                kb = _read(conn)
            finally:
                conn.close()
        except sqlite3.DatabaseError as exc:
            raise AdviseError(f"{path}: not an hkgraph database ({exc})")
        _CACHE.clear()
        _CACHE[key] = kb
    return _CACHE[key]


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}


def _read(conn: sqlite3.Connection) -> Knowledge:
    kb = Knowledge()

    def rows(sql: str) -> list[dict[str, Any]]:
        return [dict(r) for r in conn.execute(sql)]

    for r in rows("SELECT id, name, aliases, class_name, repo, inputs FROM nodes"):
        r["aliases"], r["inputs"] = _list(r["aliases"]), _list(r["inputs"])
        kb.nodes[r["id"]] = r
        if r["class_name"]:
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
    tip_cols = _columns(conn, "tips")
    extra = [c for c in ("status", "section_url", "source_url", "page", "section") if c in tip_cols]
    for r in rows(f"SELECT id, title, kind, certainty, tags{''.join(', ' + c for c in extra)} FROM tips"):
        r["tags"] = _list(r["tags"])
        r["url"] = r.get("section_url") or r.get("source_url") or (
            SITE + re.sub(r"\.md$", ".html", r["page"]) if r.get("page") else None)
        kb.tips[r["id"]] = r
    via = "via IS NULL" if "via" in _columns(conn, "tip_nodes") else "1"
    for table, column, target in (("tip_nodes", "node_id", kb.node_tips),
                                  ("tip_parameters", "parameter_id", kb.param_tips)):
        for r in rows(f"SELECT tip_id, {column} AS target FROM {table} WHERE {via} ORDER BY tip_id"):
            target.setdefault(r["target"], []).append(r["tip_id"])
    for r in rows('SELECT id, tip_id, parameter_id, value, "values", min, max, direction, advice, condition, '
                  "node_id, model_id, hardware_id FROM settings ORDER BY id"):
        r["values"] = _list(r["values"])
        if kb.tips.get(r["tip_id"], {}).get("status") == "superseded":
            continue
        kb.settings.setdefault(r["parameter_id"], []).append(r)
    hardware = {r["id"]: r["name"] for r in rows("SELECT id, name FROM hardware")}
    for r in rows("SELECT tip_id, hardware_id FROM tip_hardware"):
        kb.tip_hardware.setdefault(r["tip_id"], []).append(hardware.get(r["hardware_id"], r["hardware_id"]))
    kb.models = read_model_index(conn)
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
    """Notes, reroutes, primitives, Get/Set and rgthree's organising nodes: ComfyUI never runs them."""
    return node.type in node_packs()["frontend"] or node.type in VIRTUAL


def _repo_name(url: str) -> str:
    return "/".join(url.rstrip("/").split("/")[-2:])


def identify_pack(node: WorkflowNode, known: str | None, kb: Knowledge) -> dict[str, Any] | None:
    """Where the node comes from: the workflow's cnr_id or aux_id, the data, else the class-name map."""
    packs = node_packs()
    props = node.properties
    version = props.get("ver") if isinstance(props.get("ver"), str) else None
    cnr_id, aux_id = props.get("cnr_id"), props.get("aux_id")
    pack: dict[str, Any] | None = None
    spec = node_spec(node.type)
    if isinstance(cnr_id, str) and cnr_id:
        repo = kb.repo_by_cnr.get(cnr_id.casefold())
        url = kb.repos[repo]["url"] if repo else packs["cnr_ids"].get(cnr_id.casefold())
        pack = {"source": "cnr_id", "id": cnr_id, "repo": repo, "url": url}
    elif isinstance(aux_id, str) and "/" in aux_id:
        repo = kb.repo_by_path.get(aux_id.casefold())
        pack = {"source": "aux_id", "id": aux_id, "repo": repo, "url": f"https://github.com/{aux_id}"}
    elif known and kb.nodes[known]["repo"]:
        repo = kb.nodes[known]["repo"]
        pack = {"source": "data", "id": repo, "repo": repo, "url": kb.repos.get(repo, {}).get("url")}
    elif spec is not None:
        from .values import node_inputs

        info = node_inputs()["sources"][spec["pack"]]
        url = f"https://github.com/{info['repo']}"
        pack = {"source": "node table", "id": info["repo"], "repo": None, "url": url}
    elif is_frontend_only(node):
        where = packs["frontend"].get(node.type, "https://github.com/rgthree/rgthree-comfy")
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


# ------------------------------------------------------------------------------------------ models


def _model_values(node: WorkflowNode, reading: Reading) -> list[tuple[str | None, str, float | None, bool]]:
    """(input, file name, strength, enabled) for each model file the node loads."""
    out: list[tuple[str | None, str, float | None, bool]] = []
    if node.type in LORA_LISTS and isinstance(node.widgets, list):
        for item in node.widgets:
            if isinstance(item, dict) and isinstance(item.get("lora"), str) and item["lora"] not in ("", "None"):
                strength = item.get("strength")
                out.append(("lora", item["lora"], strength if isinstance(strength, int | float) else None,
                            item.get("on") is not False))
        return out
    named = reading.values if reading.read else {}
    seen: set[str] = set()
    for name, value in named.items():
        if isinstance(value, str) and value.casefold().endswith(MODEL_SUFFIXES) and len(value) < 400:
            strength = None
            for key in ("strength", "strength_model", "lora_strength"):
                if isinstance(named.get(key), int | float) and not isinstance(named.get(key), bool):
                    strength = float(named[key])
                    break
            out.append((name, value, strength, True))
            seen.add(value)
    raw: Iterable[Any] = (node.widgets.values() if isinstance(node.widgets, dict) else node.widgets or []) \
        if node.widgets is not None else node.inputs.values()
    for value in raw:
        if isinstance(value, str) and value not in seen and value.casefold().endswith(MODEL_SUFFIXES) \
                and len(value) < 400:
            out.append((None, value, None, True))
            seen.add(value)
    return out


# -------------------------------------------------------------------------------------------- checks


def _same(value: Any, advised: Any) -> bool:
    if isinstance(value, bool):
        return str(advised).casefold() == ("true" if value else "false")
    if isinstance(value, int | float):
        try:
            return abs(float(advised) - float(value)) < 1e-6
        except (TypeError, ValueError):
            return False
    return isinstance(value, str) and (value == advised or value.casefold() == str(advised).casefold())


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


def _matches(value: Any, setting: dict[str, Any]) -> bool | None:
    """Whether the value is what the setting names; None when the setting names no value (a direction)."""
    named = setting["value"] is not None or setting["values"] or setting["min"] is not None \
        or setting["max"] is not None
    if not named:
        return None
    if setting["value"] is not None and _same(value, setting["value"]):
        return True
    if any(_same(value, v) for v in setting["values"]):
        return True
    if (setting["min"] is not None or setting["max"] is not None) and isinstance(value, int | float) \
            and not isinstance(value, bool):
        return (setting["min"] is None or value >= setting["min"]) and (
            setting["max"] is None or value <= setting["max"])
    return False


def _suggest(setting: dict[str, Any], kb: Knowledge) -> str:
    """The value to change to, in the words of the finding."""
    advice = setting["advice"]
    if advice == "avoid":
        if setting.get("direction") in ("higher", "maximum"):
            return "lower"
        if setting.get("direction") in ("lower", "minimum"):
            return "higher"
        others = [s for s in kb.settings.get(setting["parameter_id"], [])
                  if s["advice"] in ("prefer", "default", "required") and s["value"] is not None
                  and not _same(s["value"], setting["value"])]
        return f"not {_advised(setting)}" + (f" (e.g. {others[0]['value']})" if others else "")
    if setting.get("direction") and setting["value"] is None and not setting["values"]:
        return setting["direction"]
    return _advised(setting)


def _threshold(setting: dict[str, Any], kb: Knowledge) -> float | None:
    """For a direction without a value: the lowest value other settings of the parameter advise."""
    values = []
    for s in kb.settings.get(setting["parameter_id"], []):
        for v in [s["value"], *s["values"], s["max"]]:
            try:
                values.append(float(v))
            except (TypeError, ValueError):
                continue
    return min(values) if values else None


@dataclass
class Context:
    """What the advisor knows about the whole workflow while judging one node."""

    kb: Knowledge
    facts: cond.Facts
    files: list[ModelFile]
    families: set[str]
    # per workflow, so that judging stays linear in its size: model id → _model_loaded's answer
    loaded: dict[str, str] = field(default_factory=dict)


def check_setting(name: str, value: Any, setting: dict[str, Any], node: WorkflowNode, local: cond.Local,
                  ctx: Context) -> dict[str, Any] | None:
    """One setting of the data against one value: a finding, a 'cannot tell' item, or None (does not apply)."""
    kb = ctx.kb
    tip = kb.tips.get(setting["tip_id"], {})
    base = {"input": name, "current": value, "parameter": setting["parameter_id"], "advice": setting["advice"],
            "tip": {"id": setting["tip_id"], "title": tip.get("title"), "url": tip.get("url")},
            "setting": setting["id"], "condition": setting["condition"]}
    # advice about a model the workflow does not load
    if setting["model_id"]:
        verdict_model = _model_loaded(setting["model_id"], ctx)
        if verdict_model == cond.FAILS:
            return None
        if verdict_model == cond.UNKNOWN:
            model = kb.models.models.get(setting["model_id"], {})
            return {**base, "status": "cannot tell", "why": f"whether the model is {model.get('name')}"}
    # generic advice (cfg, precision…) whose value this node's input cannot take
    applicable = _applicable(name, setting, node, kb)
    if applicable == cond.FAILS:
        return None
    if applicable == cond.UNKNOWN:
        return {**base, "status": "cannot tell", "why": f"whether this node's {name} is the one the advice means"}
    hardware = setting["hardware_id"] or ", ".join(kb.tip_hardware.get(setting["tip_id"], []))
    if hardware:
        return {**base, "status": "cannot tell", "why": f"the advice is for {hardware}"}
    # a quantization setting on a loader whose model is a GGUF file does not apply
    if local.gguf and "quantization" in setting["parameter_id"]:
        return None
    verdict, used = cond.judge(setting["condition"], ctx.facts, local)
    if verdict == cond.FAILS:
        return None
    matched = _matches(value, setting)
    advice = setting["advice"]
    if not matched and advice in ("prefer", "use-when", "default") and (
            _follows_other(value, setting, local, ctx) or _overruled(setting, local, ctx)):
        return None
    if matched is None:  # a direction: only "avoid higher/lower" can be judged, against the data's own values
        threshold = _threshold(setting, kb)
        if advice != "avoid" or threshold is None or not isinstance(value, int | float) or isinstance(value, bool):
            return {**base, "status": "cannot tell", "why": f"the advice is a direction ({setting['direction']})"}
        high = setting["direction"] in ("higher", "maximum")
        if (value > threshold) if high else (value < threshold):
            severity = "notice"
        else:
            return None
    elif advice == "avoid":
        severity = "warning" if matched else None
    elif advice == "required":
        severity = None if matched else "warning"
    elif advice == "prefer":
        severity = None if matched else "notice"
    elif advice == "use-when":
        severity = None if matched else ("notice" if verdict == cond.HOLDS and setting["condition"] else None)
        if severity is None and not matched and verdict != cond.HOLDS:
            return {**base, "status": "cannot tell", "why": setting["condition"] or ""}
    else:  # default
        severity = None if matched else "info"
    if severity is None:
        return None
    finding = {**base, "severity": severity, "suggested": _suggest(setting, kb),
               "condition_status": verdict if setting["condition"] else None, "facts": used}
    if verdict == cond.UNKNOWN:
        finding["status"] = "cannot tell"
        finding["why"] = setting["condition"]
        return finding
    if setting["hardware_id"]:
        finding["hardware"] = setting["hardware_id"]
    return finding


def _follows_other(value: Any, setting: dict[str, Any], local: cond.Local, ctx: Context) -> bool:
    """The value is what another setting of the same parameter advises, under a condition that holds."""
    for other in ctx.kb.settings.get(setting["parameter_id"], []):
        if other["id"] == setting["id"] or other["advice"] == "avoid" or not other["condition"]:
            continue
        if _matches(value, other) and cond.judge(other["condition"], ctx.facts, local)[0] == cond.HOLDS:
            return True
    return False


def _overruled(setting: dict[str, Any], local: cond.Local, ctx: Context) -> bool:
    """A setting without a condition gives way to one of the same parameter whose condition holds and that
    advises something else (e.g. "prefer fp8 fast" vs "disabled when the file is already scaled fp8")."""
    if setting["condition"]:
        return False
    mine = {str(v).casefold() for v in [setting["value"], *setting["values"]] if v is not None}
    for other in ctx.kb.settings.get(setting["parameter_id"], []):
        if other["id"] == setting["id"] or other["advice"] not in ("required", "prefer", "use-when") \
                or not other["condition"]:
            continue
        theirs = {str(v).casefold() for v in [other["value"], *other["values"]] if v is not None}
        if theirs and not theirs & mine and cond.judge(other["condition"], ctx.facts, local)[0] == cond.HOLDS:
            return True
    return False


def _model_loaded(model_id: str, ctx: Context) -> str:
    """Whether the workflow loads this model of the data: holds, fails (another family), or cannot tell
    (once per model and workflow: the answer depends on the workflow's files only)."""
    if model_id not in ctx.loaded:
        ctx.loaded[model_id] = _judge_model_loaded(model_id, ctx)
    return ctx.loaded[model_id]


def _judge_model_loaded(model_id: str, ctx: Context) -> str:
    index = ctx.kb.models
    if any(model_id in f.families for f in ctx.files if f.active):
        return cond.HOLDS
    model = index.models.get(model_id, {})
    family = index.family_name(model_id)
    if model.get("role") == "lora":  # a LoRA of the data: its name or an alias in a loaded LoRA's file name
        keys = {re.sub(r"[^a-z0-9]", "", n.casefold().removesuffix(" lora"))
                for n in [model.get("name") or "", *_list(model.get("aliases"))] if n}
        loras = [re.sub(r"[^a-z0-9]", "", f.file.casefold()) for f in ctx.files if f.active and f.role == "lora"]
        return cond.HOLDS if any(k and k in lora for k in keys for lora in loras) else cond.UNKNOWN
    if not ctx.families:
        return cond.UNKNOWN
    if family and not any(same_family(family, f) for f in ctx.families):
        return cond.FAILS if model.get("role") != "lora" else cond.UNKNOWN
    # the family is loaded: a family-level model holds; a version, variant or expert must show in a file
    level = model.get("level")
    if level == "family" or (not level and not model.get("version") and not model.get("variant")
                             and model.get("role") != "lora" and same_family(model.get("name"), family)):
        return cond.HOLDS
    tokens = [t for t in re.split(r"[\s_]+", (model.get("name") or "").casefold()) if t and t != "expert"]
    seen_versions = {f.version for f in ctx.files if f.version and same_family(f.family, family)}
    for f in ctx.files:
        if not f.active or not same_family(f.family, family):
            continue
        words = {w for w in (f.family, f.version, f.variant, f.size, f.expert) if w}
        words = {w.casefold() for w in words} | {w.replace("-", "") for w in words}
        plain = re.sub(r"[^a-z0-9.]", "", f.file.casefold())
        if all(t in words or re.sub(r"[^a-z0-9.]", "", t) in plain for t in tokens):
            return cond.HOLDS
    version = model.get("version") or next((t for t in tokens if re.fullmatch(r"\d+(\.\d+)+", t)), None)
    if version and seen_versions and version not in seen_versions:
        return cond.FAILS
    return cond.UNKNOWN


def _applicable(name: str, setting: dict[str, Any], node: WorkflowNode, kb: Knowledge) -> str:
    """Whether a setting can apply to this node's input: its own parameter always; a generic knob only where
    the node-input table shows an input of that name that can take the advised value."""
    param = kb.parameters.get(setting["parameter_id"], {})
    if param.get("node"):
        return cond.HOLDS
    spec = node_spec(node.type)
    item = next((i for i in (spec or {}).get("inputs") or [] if i["name"] == name), None)
    if item is None:
        return cond.UNKNOWN
    advised = [v for v in [setting["value"], *setting["values"]] if v is not None]
    if item["type"] == "COMBO" and item.get("options") and advised:
        options = {str(o).casefold() for o in item["options"]}
        return cond.HOLDS if any(str(v).casefold() in options for v in advised) else cond.FAILS
    if item["type"] in ("INT", "FLOAT") and advised:
        try:
            [float(v) for v in advised]
        except ValueError:
            return cond.FAILS
    if item["type"] == "BOOLEAN" and advised and not all(str(v).casefold() in ("true", "false") for v in advised):
        return cond.FAILS
    return cond.HOLDS


_FILES_OF: dict[int, tuple[list[ModelFile], dict[str, list[ModelFile]]]] = {}


def _files_of(files: list[ModelFile]) -> dict[str, list[ModelFile]]:
    """The files by the node that loads them (indexed once per list: lookups per node stay linear)."""
    cached = _FILES_OF.get(id(files))
    if cached is None or cached[0] is not files:
        by_node: dict[str, list[ModelFile]] = {}
        for f in files:
            by_node.setdefault(f.node, []).append(f)
        _FILES_OF.clear()
        _FILES_OF[id(files)] = cached = (files, by_node)
    return cached[1]


def _upstream_files(node: WorkflowNode, files: list[ModelFile], by_exec: dict[str, WorkflowNode],
                    links: dict[str, dict[int, Any]]) -> list[ModelFile] | None:
    """The model files that feed a node's model input, following model links upstream (within its graph)."""
    seen: set[str] = set()
    current = node
    for _ in range(12):
        slot = next((s for s in current.slots if s.link is not None and (
            s.name == "model" or (s.type or "").endswith("MODEL"))), None)
        if slot is None:
            return None
        link = links.get(current.graph, {}).get(slot.link)
        if link is None or not isinstance(link.origin, int) or link.origin < 0:
            return None
        upstream = by_exec.get(f"{current.scope}{link.origin}")
        if upstream is None or upstream.exec_id in seen:
            return None
        seen.add(upstream.exec_id)
        own = [f for f in _files_of(files).get(upstream.exec_id, []) if f.role == "diffusion"]
        if own:
            return own
        current = upstream
    return None


def _settings_for(known: str | None, names: Iterable[str], kb: Knowledge) -> list[tuple[str, dict[str, Any]]]:
    """(input name, setting) for every setting about an input of this node (its own or a generic knob)."""
    found: list[tuple[str, dict[str, Any]]] = []
    own = kb.node_params.get(known or "", {})
    names = list(names)
    for name, param in own.items():
        found.extend((name, s) for s in kb.settings.get(param["id"], []))
    for name in names:
        # a generic knob (cfg, steps) applies whether or not the node's own input is an entity of its own
        for param in kb.generic_params.get(name.casefold(), []):
            found.extend((name, s) for s in kb.settings.get(param["id"], []) if s["node_id"] in (None, known))
    return found


def _option_settings(known: str | None, reading: Reading, kb: Knowledge) -> list[tuple[str, Any, dict]]:
    """Settings about options inside a key=value text (ClownOptions extra_options)."""
    out = []
    if not known:
        return out
    for options in reading.options.values():
        for key, value in options.items():
            param_id = f"{known}-{key.replace('_', '-')}"
            for s in kb.settings.get(param_id, []):
                out.append((key, value if value != "" else True, s))
    return out


# -------------------------------------------------------------------------------------------- advise


@dataclass
class Seen:
    node: WorkflowNode
    known: str | None
    reading: Reading
    pack: dict[str, Any] | None


def _facts(seen: list[Seen], files: list[ModelFile]) -> cond.Facts:
    facts = cond.Facts()
    for s in seen:
        if not s.node.active or s.node.unused_definition:
            continue
        t = s.node.type.casefold()
        values = s.reading.values
        facts.compile |= "torchcompile" in t or "compilemodel" in t or t.startswith("torch_compile")
        facts.nag |= "nag" in re.findall(r"[a-z]+|nag", s.node.type.replace("NAG", " nag ").casefold())
        facts.skimmed |= "skimmed" in t
        facts.easycache |= "easycache" in t
        mode = values.get("attention_mode", values.get("sage_attention"))
        # every SageAttention mode counts: sageattn, sageattn_3, sageattn_compiled, sageattn_ultravico,
        # radial_sage_attention; and the patch nodes (PathchSageAttentionKJ, …)
        facts.sage |= (isinstance(mode, str) and "sage" in mode.casefold()) or "sageattention" in t
        blocks = values.get("blocks_to_swap")
        facts.block_swap |= ("blockswap" in t and blocks != 0) or (
            isinstance(blocks, int | float) and not isinstance(blocks, bool) and blocks > 0)
        steps = values.get("steps")
        if isinstance(steps, int | float) and not isinstance(steps, bool) and "sampler" in t:
            facts.steps.append(float(steps))
    for f in files:
        if not f.active:
            continue
        facts.gguf |= f.format == "gguf"
        facts.scaled_fp8 |= f.scaled_fp8
        facts.distill_lora |= f.distill
        if f.expert:
            facts.experts.add(f.expert)
        if f.family and f.role in ("diffusion", "lora"):
            facts.families.add(f.family)
        facts.models_read = True
    if not facts.families:  # no diffusion file names its family: the VAE's family stands for it
        facts.families.update(f.family for f in files if f.active and f.role == "vae" and f.family)
    return facts


def advise(workflow: Workflow, kb: Knowledge) -> dict[str, Any]:
    """The advice for one workflow, as a JSON-ready report (see the module docstring)."""
    seen: list[Seen] = []
    for node in workflow.nodes:
        known, _how = recognise(node, kb)
        seen.append(Seen(node, known, read_values(node), identify_pack(node, known, kb)))
    files: list[ModelFile] = []
    for s in seen:
        if s.node.unused_definition:
            continue
        for input_name, name, strength, enabled in _model_values(s.node, s.reading):
            mf = recognise_file(name, s.node.exec_id, s.node.type, input_name, kb.models)
            mf.strength = strength
            mf.active = enabled and s.node.active and strength != 0
            files.append(mf)
    facts = _facts(seen, files)
    ctx = Context(kb, facts, files, set(facts.families))
    by_exec = {s.node.exec_id: s.node for s in seen}

    raw_findings: list[dict[str, Any]] = []
    cannot_tell: list[dict[str, Any]] = []
    not_read: list[dict[str, Any]] = []
    tips_by_node: dict[str, set[str]] = {}
    for s in seen:
        node = s.node
        if node.unused_definition or is_frontend_only(node):
            continue
        if s.reading.expected and not s.reading.read:
            not_read.append({"node": _node_ref(node), "reason": s.reading.note})
        if s.known:
            tips_by_node.setdefault(s.known, set()).update(kb.node_tips.get(s.known, []))
        own_files = _files_of(files).get(node.exec_id, [])
        steps = s.reading.values.get("steps")
        feeding = _upstream_files(node, files, by_exec, workflow.links) if "sampler" in node.type.casefold() \
            else None
        local = cond.Local(
            experts={f.expert for f in feeding if f.expert} if feeding else None,
            steps=float(steps) if isinstance(steps, int | float) and not isinstance(steps, bool) else None,
            scaled_fp8=any(f.scaled_fp8 for f in own_files) if own_files else None,
            gguf=any(f.format == "gguf" for f in own_files) if own_files else None)
        names = list(dict.fromkeys([*s.reading.values, *node.widget_names,
                                    *[i["name"] for i in (node_spec(node.type) or {}).get("inputs") or []]]))
        checks = [(n, s.reading.values.get(n), st, n in s.reading.values)
                  for n, st in _settings_for(s.known, [n for n in names if n != CONTROL], kb)]
        checks += [(k, v, st, True) for k, v, st in _option_settings(s.known, s.reading, kb)]
        for name, value, setting, has in checks:
            if not has:
                reason = "set by a link from another node" if name in node.linked else (
                    s.reading.note or "no value stored")
                cannot_tell.append({"node": _node_ref(node), "input": name, "tip": setting["tip_id"],
                                    "why": reason, "status": "not read"})
                continue
            found = check_setting(name, value, setting, node, local, ctx)
            if found is None:
                continue
            found["node"] = _node_ref(node)
            found["active"] = node.active
            if not node.active and found.get("severity"):
                found["severity"] = "info"
                found["note"] = f"the node is {MODES.get(node.effective_mode, 'inactive')}"
            if found.get("status") == "cannot tell":
                cannot_tell.append(found)
            else:
                found["kind"] = "setting"
                raw_findings.append(found)
    readings = {s.node.exec_id: s.reading for s in seen}
    packs = {s.node.exec_id: s.pack for s in seen}
    frontend = {s.node.type for s in seen if is_frontend_only(s.node)}
    wiring = lint(workflow, readings, packs, frontend)
    for w in wiring:
        if w["rule"] in ("unknown-node", "dangling-link") or "node" not in w:
            continue
        raw_findings.append({"kind": "wiring", "severity": w["severity"], "node": w["node"], "input": w.get("input"),
                             "current": w.get("value"), "suggested": None, "reason": w["message"],
                             "rule": w["rule"], "active": True, "tip": None})
    findings = _collapse(raw_findings)
    cannot = _collapse_cannot(cannot_tell)
    expected = [s for s in seen if s.reading.expected and not s.node.unused_definition
                and not is_frontend_only(s.node)]
    counts = Counter(f["severity"] for f in findings)
    generic = _generic_tips(tips_by_node, {f["tip"]["id"] for f in findings if f.get("tip")}, kb)
    summary = {
        "nodes": len([s for s in seen if not s.node.unused_definition]),
        "nodes_inactive": sum(1 for s in seen if not s.node.active and not s.node.unused_definition),
        "nodes_recognised": sum(1 for s in seen if s.known),
        "nodes_with_values": len(expected),
        "values_read": sum(1 for s in expected if s.reading.read),
        "values_not_read": sum(1 for s in expected if not s.reading.read),
        "findings": len(findings), "warnings": counts["warning"], "notices": counts["notice"],
        "infos": counts["info"], "cannot_tell": len(cannot),
        "models_loaded": len(files), "models_in_data": sum(1 for f in files if f.model),
        "models_described": sum(1 for f in files if f.family or f.precision or f.purpose),
        "wiring": sum(1 for w in wiring if w["severity"] in ("warning", "notice")),
        "tips": len(generic),
    }
    return {
        "workflow": {"name": workflow.name, "format": workflow.format, "nodes": summary["nodes"],
                     "subgraphs": len(workflow.subgraphs), "subgraph_instances": workflow.subgraph_instances},
        "summary": summary,
        "findings": findings,
        "models": [f.as_dict() for f in files],
        "facts": cond.describe(facts),
        "wiring": wiring,
        "cannot_tell": cannot,
        "not_read": _collapse_not_read(not_read),
        "tips": generic,
        "nodes": [_node_entry(s) for s in seen if not s.node.unused_definition],
        "problems": workflow.problems,
    }


def _node_ref(node: WorkflowNode) -> dict[str, Any]:
    return {"id": node.exec_id or node.id, "type": node.type, "title": node.title, "path": list(node.path),
            "where": node.where, "mode": MODES.get(node.effective_mode, str(node.effective_mode))}


def _node_entry(s: Seen) -> dict[str, Any]:
    return {**_node_ref(s.node), "known": s.known, "pack": (s.pack or {}).get("name"),
            "frontend_only": is_frontend_only(s.node), "values": s.reading.values,
            "read": {"source": s.reading.source, "note": s.reading.note}}


def _rank(f: dict[str, Any]) -> tuple[Any, ...]:
    return (-SEVERITY_RANK[f["severity"]], not f.get("active", True), f["kind"] != "setting",
            -f["count"], f["node"]["where"] if f.get("node") else "")


def _collapse(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding per (tip or rule, node type, input, current value, suggestion), with the nodes it covers."""
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for f in items:
        key = (f.get("setting") or f.get("rule"), f["node"]["type"] if f.get("node") else None, f.get("input"),
               json.dumps(f.get("current")), f.get("suggested"), f["severity"],
               f.get("reason") if f["kind"] == "wiring" else None)
        if key in groups:
            groups[key]["nodes"].append(f["node"])
            groups[key]["count"] += 1
            groups[key]["active"] = groups[key]["active"] or f.get("active", True)
        else:
            groups[key] = {**f, "nodes": [f["node"]], "count": 1}
    out = sorted(groups.values(), key=_rank)
    seen_tip: set[tuple[Any, ...]] = set()
    ranked = []
    for f in out:
        if f["kind"] == "setting":
            # the same advice on the same node once, however many settings of one tip say it
            mark = (f["tip"]["id"], f["node"]["id"], f["input"])
            if mark in seen_tip:
                continue
            seen_tip.add(mark)
            f["reason"] = f["tip"]["title"]
        f["rank"] = len(ranked) + 1
        ranked.append(f)
    return ranked


def _collapse_cannot(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[Any, ...], dict[str, Any]] = {}
    for c in items:
        key = (c["tip"] if isinstance(c["tip"], str) else c["tip"]["id"], c["node"]["type"], c["input"], c["why"])
        if key in groups:
            groups[key]["count"] += 1
        else:
            groups[key] = {**c, "count": 1}
    return list(groups.values())


def _collapse_not_read(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for item in items:
        key = (item["node"]["type"], item["reason"] or "")
        if key in groups:
            groups[key]["count"] += 1
        else:
            groups[key] = {**item, "count": 1}
    return list(groups.values())


def _generic_tips(tips_by_node: dict[str, set[str]], used: set[str], kb: Knowledge) -> list[dict[str, Any]]:
    out = []
    for node_id in sorted(tips_by_node):
        for tip_id in sorted(tips_by_node[node_id] - used):
            tip = kb.tips.get(tip_id)
            if tip and tip.get("status") != "superseded":
                out.append({"id": tip_id, "title": tip["title"], "url": tip["url"], "node": kb.nodes[node_id]["name"]})
    return out


# -------------------------------------------------------------------------------------------- text


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "…"
    return str(value)


def _who(f: dict[str, Any]) -> str:
    node = f["node"]
    label = node["title"] or node["type"]
    if f["count"] > 1:
        label = f"{f['count']} × {label}"
        where = ", ".join(n["where"] for n in f["nodes"][:3]) + (", …" if f["count"] > 3 else "")
        return f"{label} ({where})"
    return f"{label} {node['where']}"


def _model_line(f: dict[str, Any]) -> str:
    parts = [f.get("family"), f.get("version"), f.get("variant"), f.get("size"),
             f.get("expert"), f.get("precision"), f.get("format")]
    what = " ".join(p for p in parts if p)
    if f.get("role") == "lora":
        what = f"LoRA{' (' + f['purpose'] + ')' if f.get('purpose') == 'distill' else ''} " + what
    elif f.get("role") in ("vae", "text-encoder", "clip-vision", "upscaler", "controlnet"):
        what = f"{f['role']} {what}"
    if f.get("model"):
        what += f" = {f['model']['name']}"
    return what.strip()


def render_text(report: dict[str, Any], *, verbose: bool = False) -> str:
    """The report for a terminal: what to change first, then (with verbose) everything else."""
    wf, s = report["workflow"], report["summary"]
    head = f"{wf['name']}: {wf['format']} workflow, {s['nodes']} nodes"
    if wf["subgraph_instances"]:
        head += f" ({wf['subgraphs']} subgraphs, {wf['subgraph_instances']} instances)"
    if s["nodes_inactive"]:
        head += f", {s['nodes_inactive']} bypassed or muted"
    lines = [head]
    values = f"values read on {s['values_read']} of {s['nodes_with_values']} nodes that hold them"
    if s["values_not_read"]:
        values += f" ({s['values_not_read']} could not be read: what was not read was not checked)"
    lines.append(values)
    loaded = [m for m in report["models"] if m.get("active", True)]
    if loaded:
        kinds = Counter(_model_line(m) for m in loaded)
        shown = "; ".join(f"{k}{' ×' + str(n) if n > 1 else ''}" for k, n in kinds.most_common(4) if k)
        lines.append(f"models: {len(loaded)} file(s){': ' + shown if shown else ''}"
                     + (f"; +{len(kinds) - 4} more" if len(kinds) > 4 else ""))
    shown_findings = [f for f in report["findings"] if verbose or f["severity"] in ("warning", "notice")]
    if shown_findings:
        lines += ["", "What to change first:"]
        for f in shown_findings:
            change = ""
            if f.get("input"):
                change = f" {f['input']}"
                if f.get("current") is not None:
                    change += f" = {_fmt(f['current'])}"
                if f.get("suggested"):
                    change += f" → {f['suggested']}"
            lines.append(f"{f['rank']:>3}. {f['severity'].upper():<7} {_who(f)}:{change}")
            reason = f.get("reason") or ""
            if f.get("condition") and f.get("condition_status") == cond.HOLDS:
                reason += f" (applies: {f['condition']})"
            if f.get("note"):
                reason += f" [{f['note']}]"
            tip = f.get("tip")
            lines.append(f"     {reason}" + (f" [{tip['id']}]" if tip else ""))
            if tip and tip.get("url") and verbose:
                lines.append(f"     {tip['url']}")
    else:
        lines += ["", "Nothing to change that the data can judge from this workflow"
                  + (" (some values could not be read)." if s["values_not_read"] else ".")]
    needs = [w for w in report["wiring"] if w["rule"] == "unknown-node"]
    if needs:
        lines.append("needs: " + "; ".join(f"{w['pack']} ({sum(w['types'].values())})" for w in needs[:5])
                     + (f"; +{len(needs) - 5} more packs" if len(needs) > 5 else ""))
    broken = [w for w in report["wiring"] if w["rule"] == "dangling-link"]
    if broken:
        lines.append(f"broken links: {sum(w.get('count', 1) for w in broken)} (--verbose lists them)")
    hidden = (s["infos"] if not verbose else 0, s["cannot_tell"], len(report["tips"]))
    if not verbose and any(hidden):
        lines.append(f"--verbose: {hidden[0]} minor findings, {hidden[1]} pieces of advice the graph cannot "
                     f"confirm or rule out, {hidden[2]} tips about these nodes")
    if verbose:
        if report["cannot_tell"]:
            lines += ["", "Cannot tell from the workflow (advice that may apply):"]
            for c in report["cannot_tell"]:
                tip = c["tip"] if isinstance(c["tip"], str) else c["tip"]["id"]
                n = f" ×{c['count']}" if c["count"] > 1 else ""
                lines.append(f"  {c['node']['title'] or c['node']['type']}{n} {c['input']}: {c['why']} [{tip}]")
        if report["not_read"]:
            lines += ["", "Values not read:"]
            for item in report["not_read"]:
                n = f" ×{item['count']}" if item["count"] > 1 else ""
                lines.append(f"  {item['node']['type']}{n}: {item['reason']}")
        if report["models"]:
            lines += ["", "Models:"]
            for m in report["models"]:
                state = "" if m.get("active", True) else " [off]"
                lines.append(f"  {m['file']} ({m['loader']} #{m['node']}){state}: {_model_line(m) or '?'}")
        if report["tips"]:
            lines += ["", "Tips about these nodes:"]
            lines.extend(f"  [{t['id']}] {t['title']} ({t['node']})" for t in report["tips"])
        if report["wiring"]:
            lines += ["", "Wiring:"]
            lines.extend(f"  {w['severity']}: {w['message']}" for w in report["wiring"])
        if report["problems"]:
            lines += ["", "Problems with the file:"]
            lines.extend(f"  {p}" for p in report["problems"])
    return "\n".join(lines)


def advise_file(path: Path | str, db_path: Path | str, *, max_bytes: int | None = None) -> dict[str, Any]:
    """Read a workflow file and advise on it (raises WorkflowError or AdviseError with a clear message)."""
    from .workflow import MAX_BYTES, read_workflow

    return advise(read_workflow(path, max_bytes=max_bytes or MAX_BYTES), load_knowledge(db_path))
