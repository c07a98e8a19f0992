"""Print rows (lists of dicts) as a table, JSON or CSV for the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

FORMATS = ("table", "json", "csv")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def render(rows: Sequence[dict[str, Any]], fmt: str, *, max_width: int = 60) -> str:
    """Rows as text in ``fmt`` (table, json or csv)."""
    if fmt == "json":
        return json.dumps(list(rows), indent=2, ensure_ascii=False, default=str)
    columns: list[str] = []
    for row in rows:
        columns.extend(k for k in row if k not in columns)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: _text(v) for k, v in row.items()} for row in rows)
        return buf.getvalue().rstrip("\n")
    if not rows:
        return "(no rows)"

    def cell(value: Any) -> str:
        text = _text(value).replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    widths = {c: max(len(c), *(len(cell(r.get(c))) for r in rows)) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns), "  ".join("-" * widths[c] for c in columns)]
    lines += ["  ".join(cell(r.get(c)).ljust(widths[c]) for c in columns).rstrip() for r in rows]
    return "\n".join(lines)
