"""Run the workflow advisor over folders of real workflows and measure what it read, found and printed.

    .venv/bin/python benchmarks/advise_corpus.py [FOLDER ...] [--db dist/hkgraph.db] [--src SRC] [--top N]

Without FOLDER: the wanx-troopers workflows in ../shared (HKGRAPH_SHARED overrides ../shared) and the
official ComfyUI templates (the installed ``comfyui-workflow-templates-json`` package). Without --db the
data under the project is built when stale. ``--src`` runs another checkout's advisor (e.g. the code
before a change, from ``git archive <commit> src | tar -x -C /tmp/before``) on the same files and
database, so before → after can be measured the same way.

Per folder it prints: files advised and refused, crashes, nodes holding widget values and how many of
them were read, findings per file (what the default output shows: warnings and notices), lines of
default output per file (median, mean, max), time; then the node classes whose values were not read.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("HKGRAPH_SHARED") or ROOT.parent / "shared")


def default_folders() -> list[Path]:
    folders = [SHARED / "corpus" / "wanx-troopers" / "workflows"]
    spec = importlib.util.find_spec("comfyui_workflow_templates_json")
    if spec and spec.submodule_search_locations:
        folders.append(Path(next(iter(spec.submodule_search_locations))) / "templates")
    return [f for f in folders if f.is_dir()]


def measure(folder: Path, kb, advisor, workflow, top: int) -> None:
    files = sorted(p for p in folder.rglob("*.json") if not p.name.startswith(("index", "fuse_options")))
    lines, findings, refused, crashes = [], [], 0, 0
    holding = read = 0
    unread: Counter[str] = Counter()
    t0 = time.perf_counter()
    for path in files:
        try:
            wf = workflow.read_workflow(path)
        except workflow.WorkflowError:
            refused += 1
            continue
        try:
            report = advisor.advise(wf, kb)
            text = advisor.render_text(report)
        except Exception:
            crashes += 1
            traceback.print_exc()
            continue
        lines.append(len(text.splitlines()))
        s = report["summary"]
        findings.append(s["warnings"] + s["notices"])
        if "values_read" in s:  # the advisor v2 report
            holding += s["nodes_with_values"]
            read += s["values_read"]
            for item in report["not_read"]:
                unread[item["node"]["type"]] += item["count"]
        else:  # the first advisor: nodes with stored values, and those it read by name
            for node in report["nodes"]:
                if node["frontend_only"]:
                    continue
                wn = next((n for n in wf.nodes if n.id == node["id"] and list(n.path) == node["path"]), None)
                if wn is not None and (wn.widgets or wn.inputs):
                    holding += 1
                    if node["mapping"]["source"] != "none" and node["values"]:
                        read += 1
                    else:
                        unread[node["type"]] += 1
    elapsed = time.perf_counter() - t0
    print(f"## {folder.name}/ ({len(files)} files, {elapsed:.1f} s)\n")
    print(f"- advised {len(lines)}, refused {refused} (not workflows), crashes {crashes}")
    print(f"- nodes holding widget values: {holding}; values read on {read} ({read / max(holding, 1):.1%})")
    print(f"- findings per file (warnings + notices): median {statistics.median(findings):g}, "
          f"mean {statistics.mean(findings):.2f}, files with any {sum(1 for f in findings if f)}")
    print(f"- lines of default output per file: median {statistics.median(lines):g}, "
          f"mean {statistics.mean(lines):.1f}, max {max(lines)}")
    print("\nNot read, by class: " + ", ".join(f"{t} {n}" for t, n in unread.most_common(top)) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--src", type=Path, help="import hkgraph from this src/ folder instead of the project's")
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    sys.path.insert(0, str(args.src or ROOT / "src"))
    advisor = importlib.import_module("hkgraph.advise.advisor")
    workflow = importlib.import_module("hkgraph.advise.workflow")
    if args.db is None:
        from hkgraph.compile.build import ensure_built

        args.db = ensure_built(ROOT) / "hkgraph.db"
    kb = advisor.load_knowledge(args.db)
    folders = args.folders or default_folders()
    if not folders:
        print("no workflow folders found (../shared absent, templates package not installed)", file=sys.stderr)
        return 1
    print(f"# Advisor over {len(folders)} folder(s) (code: {args.src or 'this checkout'})\n")
    for folder in folders:
        measure(folder, kb, advisor, workflow, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
