"""Run the workflow advisor over a folder of workflows and report what it saw, recognised and checked.

    .venv/bin/python benchmarks/advise_corpus.py [FOLDER] [--db dist/hkgraph.db]

FOLDER defaults to ../shared/corpus/wanx-troopers/workflows (HKGRAPH_SHARED overrides ../shared); without
--db the data under the project is built when stale. Prints Markdown: totals, then what blocks
recognising the rest (node types not in the data by pack, known nodes whose values could not be read).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from hkgraph.advise.advisor import advise, load_knowledge  # noqa: E402
from hkgraph.advise.workflow import WorkflowError, read_workflow  # noqa: E402

SHARED = Path(os.environ.get("HKGRAPH_SHARED") or ROOT.parent / "shared")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("folder", nargs="?", type=Path, default=SHARED / "corpus" / "wanx-troopers" / "workflows")
    parser.add_argument("--db", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    if not args.folder.is_dir():
        print(f"{args.folder} is absent", file=sys.stderr)
        return 1
    if args.db is None:
        from hkgraph.compile.build import ensure_built

        args.db = ensure_built(ROOT) / "hkgraph.db"
    kb = load_knowledge(args.db)
    totals: Counter[str] = Counter()
    by_pack: Counter[str] = Counter()
    types_by_pack: dict[str, Counter[str]] = {}
    unread: Counter[str] = Counter()
    implied: Counter[str] = Counter()
    refused = []
    t0 = time.perf_counter()
    files = sorted(args.folder.rglob("*.json"))
    for path in files:
        try:
            report = advise(read_workflow(path), kb)
        except WorkflowError as exc:
            refused.append(str(exc))
            continue
        totals["workflows"] += 1
        totals.update({k: v for k, v in report["summary"].items() if isinstance(v, int)})
        totals["problems"] += len(report["problems"])
        for group in report["unknown_types"]:
            n = sum(group["types"].values())
            by_pack[group["pack"]] += n
            types_by_pack.setdefault(group["pack"], Counter()).update(group["types"])
        for node in report["nodes"]:
            if node["known"] and node["mapping"]["source"] == "none" and node["mapping"]["note"]:
                reason = "order not known" if "not known" in node["mapping"]["note"] else "other pack version"
                unread[f"{node['type']} ({reason})"] += 1
        implied.update(i["id"] for i in report["implied"])
    elapsed = time.perf_counter() - t0

    seen = totals["nodes_seen"]
    print(f"# Advisor over {args.folder.name}/ ({len(files)} files, {elapsed:.2f} s)\n")
    print(f"- workflows advised: {totals['workflows']}; refused: {len(refused)}")
    for reason in refused:
        print(f"  - {reason}")
    print(f"- nodes seen: {seen} (subgraph instances not counted; nodes inside subgraphs counted once)")
    print(f"- nodes recognised (a node of the data): {totals['nodes_recognised']} ({totals['nodes_recognised'] / seen:.1%})")
    print(f"- browser-only nodes (Note, Reroute, Get/Set…): {totals['nodes_frontend_only']}")
    print(f"- nodes whose pack is identified: {totals['nodes_with_pack']} ({totals['nodes_with_pack'] / seen:.1%})")
    print(f"- nodes whose widget values were read by name: {totals['nodes_values_read']}")
    print(f"- settings checked: {totals['settings_checked']}; not checked (value unknown): "
          f"{totals['settings_not_checked']}")
    print(f"- warnings raised: {totals['warnings']}; notices: {totals['notices']}")
    print(f"- model files loaded: {totals['models_loaded']}; recognised: {totals['models_recognised']}")
    print(f"- implied: {', '.join(f'{k} {v}' for k, v in implied.most_common())}")
    print(f"- problems with files (broken links, unused subgraphs…): {totals['problems']}")
    print("\n## Not in the data, by pack\n")
    for pack, n in by_pack.most_common(args.top):
        top = ", ".join(f"{t} {c}" for t, c in types_by_pack[pack].most_common(5))
        print(f"- {pack}: {n} nodes, {len(types_by_pack[pack])} types (e.g. {top})")
    rest = by_pack.most_common()[args.top:]
    if rest:
        print(f"- {len(rest)} more packs: {sum(n for _, n in rest)} nodes")
    print("\n## Known nodes whose values were not read\n")
    for what, n in unread.most_common(args.top):
        print(f"- {what}: {n}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
