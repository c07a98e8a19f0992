"""Which content lines of the source pages the records' excerpts cover.

A content line is any line of a page except blank lines, headings, lines made only of images, table
separator rows, and navigation: a list item or line that is only a link to another page of the site, and
the list of a "Table Of Contents" section (its list items; the first other line, such as a paragraph or a
table that shares the heading, ends the contents and is content again). A line is covered when, with surrounding spaces removed, it equals a line of the excerpt of some
record whose ``source.page`` (or ``source.also_on``) is the page's name (its path relative to the site
root).

:func:`page_coverage` judges one page, :func:`folder_coverage` every page under a folder (a copy of the
site), and :func:`write_table` writes the per-page figures as the TSV (data/coverage.tsv) the build
turns into the ``coverage`` table, so the web site can show progress without the pages themselves.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .load import Dataset

_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
_IMAGES_ONLY = re.compile(rf"^\s*(?:{_IMAGE}\s*)+$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_NAVIGATION = re.compile(r"^\s*(?:[*-]\s*)?\[[^\]]+\]\((?![a-z]+:)[^)\s]*\.md(?:#[^)]*)?\)\s*$")
# Files of the site that hold no know-how to curate.
NOT_CONTENT_PAGES = frozenset({"LICENSE.md"})
TABLE_COLUMNS = ("page", "content_lines", "covered_lines", "records")


def is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and not _IMAGES_ONLY.match(stripped) \
        and not _TABLE_RULE.match(stripped) and not _NAVIGATION.match(stripped)


@dataclass
class Coverage:
    page: str
    content: int = 0
    uncovered: list[tuple[int, str]] = field(default_factory=list)
    records: int = 0

    @property
    def covered(self) -> int:
        return self.content - len(self.uncovered)

    @property
    def fraction(self) -> float:
        return self.covered / self.content if self.content else 1.0

    def as_row(self) -> dict[str, object]:
        return {"page": self.page, "content_lines": self.content, "covered_lines": self.covered,
                "records": self.records, "covered_fraction": round(self.fraction, 4)}


def _excerpt_lines(dataset: Dataset) -> tuple[dict[str, set[str]], Counter[str]]:
    lines: dict[str, set[str]] = {}
    records: Counter[str] = Counter()
    for tip in dataset.tips.values():
        records[tip.source.page] += 1
        excerpt = {line.strip() for line in tip.source.excerpt.splitlines()}
        for page in (tip.source.page, *tip.source.also_on):
            lines.setdefault(page, set()).update(excerpt)
    return lines, records


_CONTENTS_HEADING = re.compile(r"^#+\s.*\btable of contents\b", re.IGNORECASE)
_LIST_ITEM = re.compile(r"^\s*(?:[*+-]|\d+[.)])\s")


def _judge(text: str, name: str, covered_lines: set[str], records: int) -> Coverage:
    result = Coverage(page=name, records=records)
    in_contents = False
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            in_contents = bool(_CONTENTS_HEADING.match(line))
        elif in_contents and line.strip() and not _LIST_ITEM.match(line):
            in_contents = False  # the list is over: what follows under the same heading is content
        if in_contents or not is_content(line):
            continue
        result.content += 1
        if line.strip() not in covered_lines:
            result.uncovered.append((number, line))
    return result


def page_coverage(page_path: Path, dataset: Dataset, page_name: str | None = None) -> Coverage:
    """Coverage of the page at ``page_path`` by the excerpts of records citing ``page_name``."""
    name = page_name or page_path.name
    lines, records = _excerpt_lines(dataset)
    return _judge(page_path.read_text(encoding="utf-8-sig"), name, lines.get(name, set()), records[name])


def site_pages(folder: Path) -> list[tuple[str, Path]]:
    """(path relative to the site, file) for every Markdown page under ``folder``, sorted."""
    return sorted(
        (path.relative_to(folder).as_posix(), path)
        for path in folder.rglob("*.md")
        if path.is_file() and path.relative_to(folder).as_posix() not in NOT_CONTENT_PAGES
    )


def folder_coverage(folder: Path, dataset: Dataset) -> list[Coverage]:
    """Coverage of every page under ``folder``, named by its path relative to the folder."""
    lines, records = _excerpt_lines(dataset)
    return [
        _judge(path.read_text(encoding="utf-8-sig"), name, lines.get(name, set()), records[name])
        for name, path in site_pages(folder)
    ]


def total(results: list[Coverage]) -> Coverage:
    out = Coverage(page="total", records=sum(r.records for r in results))
    out.content = sum(r.content for r in results)
    out.uncovered = [(0, "") for r in results for _ in r.uncovered]
    return out


def table_text(results: list[Coverage]) -> str:
    """The TSV of data/coverage.tsv: one row per page, sorted by page."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(TABLE_COLUMNS)
    for r in sorted(results, key=lambda r: r.page):
        writer.writerow([r.page, r.content, r.covered, r.records])
    return buffer.getvalue()


def write_table(results: list[Coverage], path: Path) -> bool:
    """Write the TSV at ``path``; returns whether its content changed."""
    text = table_text(results)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return True
