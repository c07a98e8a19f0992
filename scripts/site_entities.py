"""Write the source site's pages and example workflows as entities of the vocabulary.

Reads a copy of the wanx-troopers site (../shared/corpus/wanx-troopers/ by default: SOURCE.md, pages/,
workflows/) and writes, in the project's data/:

- data/entities/pages/<id>.yaml: one per page (title from its first heading, path, snapshot commit and
  date from SOURCE.md); aliases and a description added by hand are kept;
- data/entities/workflows/<id>.yaml: one per workflow file, read with hkgraph's workflow reader: the
  pages that link to it, every node class it uses (and the node entities the vocabulary has for them),
  every model file name its loaders hold (and the file entities the vocabulary has for them). A file that
  is not a workflow is reported and skipped.

The project never reads the site at build or test time: these files are generated data, committed.
Run it again after the vocabulary grows (new node or file entities) and then `hkgraph fmt`.

Run: .venv/bin/python scripts/site_entities.py [--site PATH] [--check]
  --check  write nothing; exit 1 when a generated field differs from the committed files.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from urllib.parse import unquote

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from hkgraph.advise.workflow import WorkflowError, read_workflow  # noqa: E402
from hkgraph.records.coverage import site_pages  # noqa: E402

SITE = Path(os.environ.get("HKGRAPH_SHARED") or ROOT.parent / "shared") / "corpus" / "wanx-troopers"
ENTITIES = ROOT / "data" / "entities"
MODEL_SUFFIXES = (".safetensors", ".gguf", ".pt", ".pth", ".ckpt", ".bin", ".onnx", ".sft")
LINK = re.compile(r"\]\(([^)]+?\.json)\)")  # Markdown links to a .json file (the target may hold spaces)
# Generated fields; any other field of an existing file (aliases, description, urls) is kept.
PAGE_FIELDS = ("name", "path", "snapshot", "snapshot_date")
WORKFLOW_FIELDS = ("name", "path", "pages", "nodes", "node_classes", "files", "file_names")


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def snapshot(site: Path) -> tuple[str, str]:
    """(commit, date) of the copy, from SOURCE.md."""
    text = (site / "SOURCE.md").read_text(encoding="utf-8")
    commit = re.search(r"commit `([0-9a-f]{40})`", text)
    date = re.search(r"committed (\d{4}-\d{2}-\d{2})", text)
    if not commit or not date:
        raise SystemExit(f"{site / 'SOURCE.md'}: no snapshot commit and date found")
    return commit[1], date[1]


def title_of(page: Path) -> str:
    for line in page.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return page.stem


def page_records(site: Path) -> dict[str, dict]:
    commit, date = snapshot(site)
    return {
        slug(name.removesuffix(".md")): {"name": title_of(path), "path": name, "snapshot": commit,
                                         "snapshot_date": date}
        for name, path in site_pages(site / "pages")
    }


def links_to_workflows(site: Path, page_ids: dict[str, str]) -> dict[str, set[str]]:
    """workflow path (relative to the site) → ids of the pages that link to it."""
    out: dict[str, set[str]] = {}
    for name, path in site_pages(site / "pages"):
        base = Path(name).parent
        for target in LINK.findall(path.read_text(encoding="utf-8-sig")):
            if "://" in target:
                continue
            resolved = os.path.normpath((base / unquote(target.split("#")[0])).as_posix())
            out.setdefault(Path(resolved).as_posix(), set()).add(page_ids[name])
    return out


def vocabulary(folder: str, key: str) -> dict[str, str]:
    """A field of the committed entities of a folder → entity id (node class names, file names)."""
    found: dict[str, str] = {}
    for path in sorted((ENTITIES / folder).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        values = [data.get(key)] + (data.get("aliases", []) if key == "name" else [])
        for value in values:
            if value:
                found.setdefault(value.casefold() if key == "name" else value, data["id"])
    return found


def workflow_records(site: Path, pages: dict[str, dict]) -> dict[str, dict]:
    page_ids = {record["path"]: ident for ident, record in pages.items()}
    linked = links_to_workflows(site, page_ids)
    classes = vocabulary("nodes", "class_name")
    files = vocabulary("files", "name")
    out: dict[str, dict] = {}
    for path in sorted((site / "workflows").rglob("*.json")):
        rel = path.relative_to(site).as_posix()
        try:
            wf = read_workflow(path)
        except WorkflowError as exc:
            print(f"skipped: {exc}", file=sys.stderr)
            continue
        node_classes = sorted({n.type for n in wf.nodes if n.type})
        names = sorted({
            os.path.basename(str(v).replace("\\", "/"))
            for n in wf.nodes
            for v in (n.widgets.values() if isinstance(n.widgets, dict) else n.widgets or [])
            if isinstance(v, str) and "\n" not in v and len(v) < 300 and v.casefold().endswith(MODEL_SUFFIXES)
        })
        out[slug(rel.removeprefix("workflows/").removesuffix(".json"))] = {
            "name": path.name,
            "path": rel,
            "pages": sorted(linked.get(rel, ())),
            "nodes": sorted({classes[c] for c in node_classes if c in classes}),
            "node_classes": node_classes,
            "files": sorted({files[n.casefold()] for n in names if n.casefold() in files}),
            "file_names": names,
        }
    return out


def merge(folder: Path, records: dict[str, dict], generated: tuple[str, ...], check: bool) -> list[str]:
    """Write (or compare) the generated fields, keeping hand-written ones; returns the files that differ."""
    differ = []
    for ident, fields in records.items():
        path = folder / f"{ident}.yaml"
        current = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {"id": ident}
        wanted = {"id": ident, **{k: v for k, v in current.items() if k not in generated and k != "id"}}
        wanted.update({k: v for k, v in fields.items() if v not in ([], None, "")})
        comparable = {k: (str(v) if k == "snapshot_date" else v) for k, v in current.items()}
        if comparable != wanted:
            differ.append(str(path.relative_to(ROOT)))
            if not check:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(yaml.safe_dump(wanted, sort_keys=False, allow_unicode=True, width=100),
                                encoding="utf-8")
    return differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=SITE)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    pages = page_records(args.site)
    differ = merge(ENTITIES / "pages", pages, PAGE_FIELDS, args.check)
    differ += merge(ENTITIES / "workflows", workflow_records(args.site, pages), WORKFLOW_FIELDS, args.check)
    for path in differ:
        print(("differs: " if args.check else "wrote: ") + path)
    if args.check and differ:
        sys.exit(1)
    if not args.check:
        print("now run: .venv/bin/hkgraph fmt", file=sys.stderr)


if __name__ == "__main__":
    main()
