"""docs/questions.md: every question's SQL, SPARQL and Python give the answer the page writes down."""

from __future__ import annotations

import re

import pytest

from hkgraph import KnowledgeGraph

from conftest import ROOT

DOC = ROOT / "docs" / "questions.md"
BLOCK = re.compile(r"```(sql|sparql|python|answer)\n(.*?)\n```", re.S)


def questions() -> list[tuple[str, dict[str, str]]]:
    found = []
    for section in DOC.read_text(encoding="utf-8").split("\n## ")[1:]:
        title = section.splitlines()[0]
        blocks = dict(BLOCK.findall(section))
        found.append((title, blocks))
    return found


QUESTIONS = questions()


def test_every_question_has_four_blocks():
    assert len(QUESTIONS) >= 7
    for title, blocks in QUESTIONS:
        assert set(blocks) == {"sql", "sparql", "python", "answer"}, title


def _cells(row: dict) -> list[str]:
    return [str(v) for v in row.values()]


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


@pytest.mark.parametrize(("title", "blocks"), QUESTIONS, ids=[t.split(".")[0] for t, _b in QUESTIONS])
def test_question_is_answered(kg, title, blocks):
    expected = [line.split(" | ") for line in blocks["answer"].splitlines()]
    sql = [_cells(r) for r in kg.sql(blocks["sql"])]
    assert sql == expected, f"SQL of '{title}'"
    sparql = [_cells(r) for r in kg.sparql(blocks["sparql"])]
    first = [row[0] for row in expected]
    assert [row[0] for row in sparql] == first, f"SPARQL of '{title}'"
    answer = eval(blocks["python"], {"kg": kg})  # noqa: S307 - the documented example itself
    if isinstance(answer, int):
        assert [str(answer)] == first, f"Python of '{title}'"
    else:
        assert [str(a) for a in answer] == first, f"Python of '{title}'"
