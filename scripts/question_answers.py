"""Rewrite the answer blocks of docs/questions.md from the SQL of each question on the built data.

The test (tests/query/test_docs_questions.py) checks that SQL, SPARQL and Python agree and that the
page shows today's answers; after the data grows, run this and read the diff of the page.

Run: .venv/bin/python scripts/question_answers.py [--dist dist]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from hkgraph.query.engine import run_sql  # noqa: E402

DOC = ROOT / "docs" / "questions.md"
SECTION = re.compile(r"(```sql\n(?P<sql>.*?)\n```.*?```answer\n)(?P<answer>.*?)(\n```)", re.S)


def answer_text(db: Path, sql: str) -> str:
    return "\n".join(" | ".join(str(v) for v in row.values()) for row in run_sql(db, sql))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    db = parser.parse_args().dist / "hkgraph.db"
    text = DOC.read_text(encoding="utf-8")
    new = SECTION.sub(lambda m: m.group(1) + answer_text(db, m.group("sql")) + m.group(4), text)
    if new != text:
        DOC.write_text(new, encoding="utf-8")
        print(f"rewrote the answers of {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
