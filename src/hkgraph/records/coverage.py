"""Which content lines of a source page no record's excerpt covers.

A content line is any line of the page except blank lines, headings, lines made only of images, and
table separator rows. A line is covered when, with surrounding spaces removed, it equals a line of the
excerpt of some record whose ``source.page`` is the page's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .load import Dataset

_IMAGE = r"!\[[^\]]*\]\([^)]*\)"
_IMAGES_ONLY = re.compile(rf"^\s*(?:{_IMAGE}\s*)+$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#") and not _IMAGES_ONLY.match(stripped) \
        and not _TABLE_RULE.match(stripped)


@dataclass
class Coverage:
    page: str
    content: int = 0
    uncovered: list[tuple[int, str]] = field(default_factory=list)

    @property
    def covered(self) -> int:
        return self.content - len(self.uncovered)

    @property
    def fraction(self) -> float:
        return self.covered / self.content if self.content else 1.0


def page_coverage(page_path: Path, dataset: Dataset, page_name: str | None = None) -> Coverage:
    """Coverage of the page at ``page_path`` by the excerpts of records citing ``page_name``."""
    name = page_name or page_path.name
    excerpt_lines: set[str] = set()
    for tip in dataset.tips.values():
        if tip.source.page == name:
            excerpt_lines.update(line.strip() for line in tip.source.excerpt.splitlines())
    result = Coverage(page=name)
    text = page_path.read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), 1):
        if not is_content(line):
            continue
        result.content += 1
        if line.strip() not in excerpt_lines:
            result.uncovered.append((number, line))
    return result
