"""Regenerate src/hkgraph/advise/node_packs.json: which node pack a ComfyUI class name comes from.

Reads (only here, never at run time) ComfyUI-Manager's extension-node-map.json and custom-node-list.json
from ../shared/reference/comfyui-manager/, the workflows in ../shared/corpus/wanx-troopers/workflows/ and
the repos in data/entities/repos/. Keeps the class names of every pack the corpus workflows use (so the
file stays small but covers more than the corpus), the name patterns of the packs that declare one, and
the registry ids (cnr_id) the corpus workflows carry.

A class name that several repositories declare (forks copy them) is settled, in this order, by the
repository that claims it in `preemptions`, the repository the corpus workflows name for it (aux_id, or a
cnr_id that the custom-node list, our repos or a repository of the same name ties to a repository), ComfyUI itself; otherwise the candidates are kept as a list.

Run: .venv/bin/python scripts/node_packs.py  (HKGRAPH_SHARED=/path/to/shared where it is not ../shared;
it does nothing but say so when shared/ is absent)
"""

from __future__ import annotations

import collections
import json
import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HKGRAPH_SHARED") or ROOT.parent / "shared")
MANAGER = SHARED / "reference" / "comfyui-manager"
CORPUS = SHARED / "corpus" / "wanx-troopers" / "workflows"
OUT = ROOT / "src" / "hkgraph" / "advise" / "node_packs.json"
CORE = "https://github.com/comfyanonymous/ComfyUI"
SOURCE = ("ComfyUI-Manager extension-node-map.json and custom-node-list.json at Comfy-Org/ComfyUI-Manager "
          "f39cbd56 (2026-08-19); corpus evidence from wanx-troopers workflows at 8a2eec0e")
# Nodes that exist only in the browser: the ComfyUI frontend's own, and pack JavaScript without a Python class.
FRONTEND = {
    "Note": "ComfyUI frontend",
    "MarkdownNote": "ComfyUI frontend",
    "Reroute": "ComfyUI frontend",
    "PrimitiveNode": "ComfyUI frontend",
    "GetNode": "https://github.com/kijai/ComfyUI-KJNodes",
    "SetNode": "https://github.com/kijai/ComfyUI-KJNodes",
}


def norm_url(url: str) -> str:
    return url.rstrip("/").removesuffix(".git")


def corpus_nodes() -> list[dict]:
    nodes = []
    for path in sorted(CORPUS.rglob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
            continue
        graphs = [doc, *((doc.get("definitions") or {}).get("subgraphs") or [])]
        nodes.extend(n for g in graphs for n in g.get("nodes", []) if isinstance(n, dict))
    return nodes


def main() -> int:
    if not MANAGER.is_dir() or not CORPUS.is_dir():
        print(f"{SHARED} is absent: nothing to regenerate", file=sys.stderr)
        return 0
    ext = json.loads((MANAGER / "extension-node-map.json").read_text(encoding="utf-8"))
    listing = json.loads((MANAGER / "custom-node-list.json").read_text(encoding="utf-8"))["custom_nodes"]

    owners: dict[str, set[str]] = collections.defaultdict(set)
    classes_of: dict[str, list[str]] = {}
    preempt: dict[str, str] = {}
    patterns: list[tuple[str, str]] = []
    for url, (names, meta) in ext.items():
        url = norm_url(url)
        classes_of[url] = names
        for name in names:
            owners[name].add(url)
        for name in meta.get("preemptions") or []:
            preempt[name] = url
        if meta.get("nodename_pattern"):
            patterns.append((meta["nodename_pattern"], url))

    cnr: dict[str, str] = {}
    for entry in listing:
        if entry.get("id") and entry.get("reference"):
            cnr[entry["id"].casefold()] = norm_url(entry["reference"])
    for path in sorted((ROOT / "data" / "entities" / "repos").glob("*.yaml")):
        repo = yaml.safe_load(path.read_text(encoding="utf-8"))
        if repo.get("cnr_id") and repo.get("host") == "github":
            cnr[repo["cnr_id"].casefold()] = norm_url(repo["url"])

    nodes = corpus_nodes()
    subgraph_ids = {n["type"] for n in nodes if re.fullmatch(r"[0-9a-f-]{36}", str(n.get("type", "")))}
    corpus_types = {n["type"] for n in nodes if isinstance(n.get("type"), str)} - subgraph_ids

    # A registry id is usually the pack's repository name: tie it to the one repository of that name.
    by_name: dict[str, set[str]] = collections.defaultdict(set)
    for url in classes_of:
        by_name[url.rsplit("/", 1)[-1].casefold()].add(url)
    for n in nodes:
        cid = ((n.get("properties") or {}).get("cnr_id") or "").casefold()
        if cid and cid not in cnr and len(by_name.get(cid, ())) == 1:
            cnr[cid] = next(iter(by_name[cid]))
    # Evidence from the corpus: the repository a node's aux_id or (tied) cnr_id names.
    evidence: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for n in nodes:
        props = n.get("properties") or {}
        aux, cid = props.get("aux_id"), (props.get("cnr_id") or "").casefold()
        if isinstance(aux, str) and "/" in aux:
            evidence[n["type"]][norm_url(f"https://github.com/{aux}")] += 1
        elif cid in cnr:
            evidence[n["type"]][cnr[cid]] += 1

    def settle(name: str) -> str | list[str] | None:
        candidates = owners.get(name, set())
        if not candidates:
            return None
        if name in preempt:
            return preempt[name]
        seen = [u for u, _ in evidence[name].most_common() if u in candidates]
        if seen:
            return seen[0]
        if CORE in candidates:
            return CORE
        return sorted(candidates)[0] if len(candidates) == 1 else sorted(candidates)

    packs = set()
    for name in corpus_types:
        settled = settle(name)
        if isinstance(settled, str):
            packs.add(settled)
    names = set(corpus_types)
    for url in packs:
        names.update(classes_of.get(url, ()))
    classes = {}
    for name in sorted(names):
        settled = settle(name)
        if settled is not None:
            classes[name] = settled
    used_cnr = {((n.get("properties") or {}).get("cnr_id") or "").casefold() for n in nodes}
    out = {
        "source": SOURCE,
        "frontend": FRONTEND,
        "cnr_ids": {k: v for k, v in sorted(cnr.items()) if k in used_cnr},
        "patterns": sorted(patterns),
        "classes": classes,
    }
    OUT.write_text(json.dumps(out, indent=1, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8")
    ambiguous = sum(isinstance(v, list) for v in classes.values())
    print(f"wrote {OUT.relative_to(ROOT)}: {len(classes)} class names ({ambiguous} ambiguous) from {len(packs)} "
          f"packs, {len(out['cnr_ids'])} cnr ids, {len(patterns)} patterns; corpus types {len(corpus_types)}, "
          f"{sum(t in classes or t in FRONTEND for t in corpus_types)} of them mapped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
