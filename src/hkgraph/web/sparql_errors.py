"""SPARQL syntax errors as a person reads them: what is wrong, at which line and column, and where.

pyoxigraph's parser reports ``error at L:C: expected one of …`` followed by every token the grammar would
accept there, Unicode ranges of the name characters included (some 700 characters of them for an
undeclared prefix). :func:`explain` keeps the position, says in words what went wrong for the common
cases (an undeclared prefix, a bad IRI, a query that stops early, an unclosed string), lists only the
keywords and punctuation that may come next, and points at the spot in the query's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_POSITION = re.compile(r"^error at (\d+):(\d+):\s*(.*)$", re.DOTALL)
_PREFIXED = re.compile(r"([A-Za-z][\w.\-]*)?:[\w.\-%]*$")
_MAX_CHOICES = 12


@dataclass
class SyntaxProblem:
    message: str  # one line: "line 1, column 21: the prefix foo: is not declared"
    line: int | None
    column: int | None
    context: str | None  # the query's line and a caret under the column

    def text(self) -> str:
        return self.message + (f"\n{self.context}" if self.context else "")


def _choices(expected: str) -> list[str]:
    """The tokens of an "expected one of …" list, without the character classes."""
    out: list[str] = []
    depth = 0
    token = ""
    for ch in expected:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            token = ""
            continue
        if depth:
            continue
        if ch == ",":
            if token.strip():
                out.append(token.strip())
            token = ""
        else:
            token += ch
    if token.strip():
        out.append(token.strip())
    return [t for t in out if t and t not in ("Prefix not found", "IRI parsing failed")]


def _context(query: str, line: int, column: int) -> str | None:
    lines = query.split("\n")
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1].rstrip("\r")
    start = max(0, column - 60)
    shown = text[start:start + 100]
    return f"  {shown}\n  {' ' * max(0, column - 1 - start)}^"


def explain(query: str, engine_message: str, prefixes: dict[str, str] | None = None) -> SyntaxProblem:
    """A readable account of a syntax error the engine reported for ``query``."""
    match = _POSITION.match(engine_message.strip())
    if not match:
        first = engine_message.strip().splitlines()[0] if engine_message.strip() else "the query cannot be parsed"
        return SyntaxProblem(f"SPARQL syntax error: {first}", None, None, None)
    line, column, rest = int(match.group(1)), int(match.group(2)), " ".join(match.group(3).split())
    lines = query.split("\n")
    before = lines[line - 1][: column - 1] if 1 <= line <= len(lines) else ""
    at_end = line >= len(lines) and not "".join(lines[line - 1:])[column - 1:].strip() if lines else True
    where = f"line {line}, column {column}"
    if "Prefix not found" in rest:
        found = _PREFIXED.search(before)
        prefix = (found.group(1) or "") if found else ""
        start = column - len(found.group(0)) if found else column
        declared = ", ".join(f"{p}:" for p in sorted(prefixes or {}) if p != "hk")
        what = f"the prefix {prefix}: is not declared"
        hint = f" (declared for you: {declared}; or add PREFIX {prefix}: <…>)" if declared else f" (add PREFIX {prefix}: <…>)"
        return SyntaxProblem(f"SPARQL syntax error at line {line}, column {start}: {what}{hint}",
                             line, start, _context(query, line, start))
    if "IRI parsing failed" in rest:
        opened = before.rfind("<")
        start = opened + 1 if opened >= 0 else column
        return SyntaxProblem(f"SPARQL syntax error at line {line}, column {start}: this IRI is not valid "
                             "(IRIs are written <https://…> without spaces or quotes)",
                             line, start, _context(query, line, start))
    choices = _choices(rest.removeprefix("expected one of ").removeprefix("expected "))
    if rest.startswith("expected") and choices and all(c.startswith(('"\\', '[_]')) for c in choices):
        return SyntaxProblem(f"SPARQL syntax error at line {line}, column {column}: a string is not closed",
                             line, column, _context(query, line, column))
    shown = ", ".join(choices[:_MAX_CHOICES]) + (" …" if len(choices) > _MAX_CHOICES else "")
    lead = "the query ends too early" if at_end else "unexpected text here"
    message = f"SPARQL syntax error at {where}: {lead}"
    if shown:
        message += f"; expected {'one of ' if len(choices) > 1 else ''}{shown}"
    return SyntaxProblem(message, line, column, _context(query, line, column))
