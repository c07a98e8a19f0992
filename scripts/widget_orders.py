"""Derive the widget order of WanVideoWrapper nodes from ../shared/reference/wanvideo-params.tsv and check it
against the real workflows in ../shared/corpus/wanx-troopers/workflows/.

A node's widgets are its COMBO, INT, FLOAT, BOOLEAN and STRING inputs, required before optional, in
declaration order; ComfyUI's frontend stores one more value ('control_after_generate') after a seed
input. For every node instance in the corpus the script says whether its widgets_values fit the order
(same count, each value of the input's type) and whether the widget names the workflow declares agree.

Run: .venv/bin/python scripts/widget_orders.py [--write]
  --write  puts the orders into data/entities/nodes/<id>.yaml (`inputs`, `inputs_read_from`) for the nodes
           that at least one corpus workflow confirms and none contradicts by names; run `hkgraph fmt` after.
HKGRAPH_SHARED=/path/to/shared where shared/ is not beside the project.
"""

from __future__ import annotations

import collections
import csv
import json
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from hkgraph.advise.advisor import fits_type  # noqa: E402
from hkgraph.advise.workflow import CONTROL_VALUES, WorkflowError, read_workflow  # noqa: E402

SHARED = Path(os.environ.get("HKGRAPH_SHARED") or ROOT.parent / "shared")
TSV = SHARED / "reference" / "wanvideo-params.tsv"
CORPUS = SHARED / "corpus" / "wanx-troopers" / "workflows"
WIDGET_TYPES = {"COMBO", "INT", "FLOAT", "BOOLEAN", "STRING"}
CURRENT = "088128b22424"
SEED_NAMES = {"seed", "noise_seed"}


def tsv_orders() -> dict[str, tuple[list[tuple[str, str]], str]]:
    """class → ([(input, type)…] in widgets_values order, source)."""
    rows: dict[str, list[dict[str, str]]] = collections.defaultdict(list)
    with TSV.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if CURRENT in row["source"]:
                rows[row["node_class"]].append(row)
    orders = {}
    for cls, items in rows.items():
        order: list[tuple[str, str]] = []
        for section in ("required", "optional"):
            for row in items:
                if row["section"] == section and row["type"] in WIDGET_TYPES:
                    order.append((row["parameter"], row["type"]))
                    if row["type"] == "INT" and row["parameter"] in SEED_NAMES:
                        order.append(("control_after_generate", "CONTROL"))
        orders[cls] = (order, items[0]["source"])
    return orders


def check(order: list[tuple[str, str]], values: list, declared: list[str]) -> tuple[str, str]:
    """('fits'|'differs', detail) for one node instance."""
    names = [n for n, _ in order]
    if len(values) != len(order):
        return "differs", f"{len(values)} values, order has {len(order)}"
    for (name, kind), value in zip(order, values, strict=True):
        if kind == "CONTROL":
            if value not in CONTROL_VALUES:
                return "differs", f"{name}={value!r} is not a control value"
        elif not fits_type(value, kind):
            return "differs", f"{name}={value!r} is not {kind}"
    plain = [n for n in names if n != "control_after_generate"]
    if declared and len(declared) == len(plain):
        if declared != plain:
            return "contradicted", f"declared names {declared}"
        return "fits", "values and declared names agree"
    return "fits", "values fit"


def main() -> int:
    if not TSV.exists() or not CORPUS.is_dir():
        print(f"{SHARED} is absent: nothing to check", file=sys.stderr)
        return 0
    orders = tsv_orders()
    seen: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for path in sorted(CORPUS.rglob("*.json")):
        try:
            wf = read_workflow(path)
        except WorkflowError as exc:  # the one file that is not a workflow
            print(f"skipped: {exc}", file=sys.stderr)
            continue
        for node in wf.nodes:
            if node.type in orders and isinstance(node.widgets, list):
                verdict, detail = check(orders[node.type][0], node.widgets, node.widget_names)
                seen[node.type][verdict] += 1
                print(f"{node.type}\t{verdict}\t{path.relative_to(CORPUS)} {node.where} "
                      f"(ver {node.properties.get('ver')}): {detail}")
    print()
    nodes = {}
    for path in (ROOT / "data" / "entities" / "nodes").glob("*.yaml"):
        nodes[yaml.safe_load(path.read_text(encoding="utf-8"))["class_name"]] = path
    for cls, (order, source) in sorted(orders.items()):
        counts = seen[cls]
        ok = counts["fits"] > 0 and counts["contradicted"] == 0
        print(f"{cls}: {json.dumps([n for n, _ in order])} — {dict(counts)} → {'confirmed' if ok else 'NOT confirmed'}")
        if ok and "--write" in sys.argv and cls in nodes:
            path = nodes[cls]
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            data["inputs"] = [n for n, _ in order]
            data["inputs_read_from"] = (f"ComfyUI-WanVideoWrapper {source}; fits the widgets_values of "
                                        f"{counts['fits']} wanx-troopers workflow nodes")
            path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
            print(f"  wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
