"""Problems found in the data, reported as ``path:line:col: field.path: message``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem with one place in one file."""

    path: str
    line: int
    col: int
    field: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        field = f" {self.field}:" if self.field else ""
        return f"{self.path}:{self.line}:{self.col}:{field} {prefix}{self.message}"


class DataError(Exception):
    """Raised when the data does not validate; carries every problem found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sorted(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        super().__init__(f"{len(errors)} error(s) in the data:\n" + "\n".join(str(p) for p in errors))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` when a close match exists, else ``""``."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{matches[0]}'?" if matches else ""
