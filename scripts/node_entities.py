"""Write the vocabulary the curation batches need, from the node-input table (run by ``node_inputs.py --entities``).

For the core ComfyUI and VideoHelperSuite nodes that the wanx-troopers pages and workflows use most
(a class used in at least 3 corpus workflow nodes, or named by class or display name on a page):

- a node entity ``data/entities/nodes/<id>.yaml`` (``name`` = display name, ``class_name``, ``repo``,
  ``inputs`` = the widget order, ``inputs_read_from``) where none has that class yet; an existing node only
  gains ``inputs`` and ``inputs_read_from`` when it has none;
- a parameter entity ``data/entities/parameters/<node-id>-<input-with-hyphens>.yaml`` for each widget input
  (``node``, ``type``, ``allowed_values``, ``default``, ``min``, ``max``, ``read_from``) where none exists.

And a repo entity ``data/entities/repos/<id>.yaml`` for each node pack a page links to that the data lacks
(owner/name and URL from ComfyUI-Manager's custom-node list in ../shared/reference, the pack's registry id
where it has one). Curated fields (aliases, description) of existing files are never touched, and no
description is invented. Run ``hkgraph fmt`` afterwards. ../shared is read here only: the project's code
never reads it.
"""

from __future__ import annotations

import glob
import json
import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

PACK_REPOS = {"comfyui": "comfyui", "videohelpersuite": "comfyui-videohelpersuite"}
FILES = {"comfyui": lambda e: e["file"], "videohelpersuite": lambda e: e["file"]}
MIN_USES = 3


def _slug(text: str) -> str:
    text = re.sub(r"[^\x00-\x7f]", "", text)  # VideoHelperSuite's emoji badge
    if " " not in text.strip():  # a class name standing for its display name: CLIPTextEncode → clip-text-encode
        text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text))
    text = re.sub(r"\(([^)]*)\)", r" \1 ", text)
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _plain_name(display: str) -> str:
    return re.sub(r"\s*[^\x00-\x7f]+\s*$", "", display).strip()


def _load(folder: Path) -> dict[str, dict[str, Any]]:
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        out[path.stem] = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return out


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=False, width=110), encoding="utf-8")


def usage(shared: Path, table: dict[str, Any]) -> Counter[str]:
    """Uses per class: nodes in the corpus workflows, plus mentions on the pages (class or display name)."""
    uses: Counter[str] = Counter()
    for path in sorted((shared / "corpus" / "wanx-troopers" / "workflows").rglob("*.json")):
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        graphs = [doc, *((doc.get("definitions") or {}).get("subgraphs") or [])] if isinstance(doc, dict) else []
        for graph in graphs:
            for node in graph.get("nodes") or [] if isinstance(graph, dict) else []:
                if isinstance(node, dict) and isinstance(node.get("type"), str):
                    uses[node["type"]] += 1
    pages = "\n".join(p.read_text(encoding="utf-8", errors="replace")
                      for p in sorted((shared / "corpus" / "wanx-troopers" / "pages").glob("*.md")))
    for cls, entry in table["nodes"].items():
        if entry["pack"] not in PACK_REPOS:
            continue
        names = {cls, _plain_name(entry["display_name"])}
        for name in names:
            if len(name) >= 6 and re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", pages):
                uses[cls] += MIN_USES
                break
    return uses


def read_from(table: dict[str, Any], entry: dict[str, Any]) -> str:
    info = table["sources"][entry["pack"]]
    version = f", {info['version']}" if info.get("version") else ""
    return f"{info['repo'].split('/')[1]} {entry['file']}@{info['commit'][:12]} ({info['date']}{version})"


def write_entities(table: dict[str, Any], root: Path) -> None:
    shared = Path(os.environ.get("HKGRAPH_SHARED") or root.parent / "shared")
    if not (shared / "corpus").is_dir():
        raise SystemExit(f"{shared} is absent: the entities are chosen by their use in its corpus")
    nodes_dir = root / "data" / "entities" / "nodes"
    params_dir = root / "data" / "entities" / "parameters"
    nodes = _load(nodes_dir)
    by_class = {n.get("class_name"): nid for nid, n in nodes.items() if n.get("class_name")}
    uses = usage(shared, table)
    created = updated = params = 0
    skipped: list[str] = []
    for cls, entry in sorted(table["nodes"].items()):
        if entry["pack"] not in PACK_REPOS or uses[cls] < MIN_USES:
            continue  # a node whose inputs are not static still gets its entity, without inputs
        widgets = entry.get("widgets") or []
        source = read_from(table, entry)
        node_id = by_class.get(cls)
        if node_id is None:
            node_id = _slug(_plain_name(entry["display_name"])) or _slug(cls)
            if node_id in nodes:
                skipped.append(f"{cls}: id {node_id} belongs to {nodes[node_id].get('class_name')}")
                continue
            data: dict[str, Any] = {"id": node_id, "name": entry["display_name"]}
            plain = _plain_name(entry["display_name"])
            if plain != entry["display_name"]:
                data["aliases"] = [plain]
            data.update({"class_name": cls, "repo": PACK_REPOS[entry["pack"]]})
            if widgets:
                data.update({"inputs": widgets, "inputs_read_from": source})
            _dump(nodes_dir / f"{node_id}.yaml", data)
            nodes[node_id] = data
            created += 1
        elif widgets and not nodes[node_id].get("inputs"):
            data = nodes[node_id]
            data["inputs"], data["inputs_read_from"] = widgets, source
            _dump(nodes_dir / f"{node_id}.yaml", data)
            updated += 1
        for item in entry.get("inputs") or []:
            if not item.get("widget"):
                continue
            param_id = f"{node_id}-{item['name'].replace('_', '-')}"
            path = params_dir / f"{param_id}.yaml"
            if path.exists() or not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", param_id):
                continue
            param: dict[str, Any] = {"id": param_id, "name": item["name"], "node": node_id, "type": item["type"]}
            if item.get("options"):
                param["allowed_values"] = [str(o) for o in item["options"]]
            if item.get("default") not in (None, ""):
                param["default"] = str(item["default"]).lower() if isinstance(item["default"], bool) \
                    else str(item["default"])
            for key in ("min", "max"):
                value = item.get(key)
                if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < 1e15:
                    param[key] = float(value)
            param["read_from"] = source
            _dump(path, param)
            params += 1
    repos = write_repos(root, shared)
    print(f"entities: {created} nodes created, {updated} given their widget order, {params} parameters, "
          f"{repos} repos")
    for line in skipped:
        print(f"  skipped {line}")


def write_repos(root: Path, shared: Path) -> int:
    """Repo entities for the node packs the pages link to that the data lacks."""
    repos_dir = root / "data" / "entities" / "repos"
    have = _load(repos_dir)
    paths = {str(r.get("path", "")).casefold() for r in have.values()}
    listed = json.loads((shared / "reference" / "comfyui-manager" / "custom-node-list.json").read_text())
    packs: dict[str, dict[str, Any]] = {}
    for entry in listed["custom_nodes"]:
        m = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?", entry.get("reference", ""))
        if m:
            packs.setdefault(m.group(1).casefold(), {**entry, "path": m.group(1)})
    linked: Counter[str] = Counter()
    for page in sorted(glob.glob(str(shared / "corpus" / "wanx-troopers" / "pages" / "*.md"))):
        for m in re.findall(r"github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)", Path(page).read_text(encoding="utf-8")):
            linked[m.rstrip(".").removesuffix(".git").casefold()] += 1
    written = 0
    for key in sorted(linked):
        if key not in packs or key in paths:
            continue
        pack = packs[key]
        owner, name = pack["path"].split("/")
        repo_id = _slug(name)
        if repo_id in have:
            repo_id = _slug(f"{owner}-{name}")
        if repo_id in have:
            continue
        data: dict[str, Any] = {"id": repo_id, "name": name}
        title = (pack.get("title") or "").strip()
        if title and title.casefold() != name.casefold() and len(title) < 80:
            data["aliases"] = [title]
        data.update({"host": "github", "path": pack["path"], "url": f"https://github.com/{pack['path']}",
                     "repo_type": "node-pack"})
        if pack.get("id"):
            data["cnr_id"] = pack["id"]
        _dump(repos_dir / f"{repo_id}.yaml", data)
        have[repo_id] = data
        written += 1
    return written
