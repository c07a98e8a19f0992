"""Answer SQL and SPARQL questions from the built files.

SQL runs on dist/hkgraph.db (read-only); SPARQL runs on pyoxigraph, from the store the build writes
(dist/oxigraph) or from dist/hkgraph.nt loaded into memory.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .rdf import PREFIXES

XSD = PREFIXES["xsd"]
_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}


class QueryError(Exception):
    """A query could not be run; the message is the engine's, with the position where it gives one."""


def term_to_python(term: Any) -> Any:
    """A pyoxigraph term as a plain Python value (IRIs as strings, typed literals as numbers/bools)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    if isinstance(term, ox.Literal):
        dtype = term.datatype.value
        try:
            if dtype in _INTEGER_TYPES:
                return int(term.value)
            if dtype in _FLOAT_TYPES:
                return float(term.value)
        except ValueError:
            return term.value
        if dtype == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    return str(term)


def sparql_prologue() -> str:
    """PREFIX declarations for every prefix hkgraph binds, so queries may use them freely."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def run_sparql(store: ox.Store, query: str, *, prefixes: bool = True) -> list[dict[str, Any]] | bool | list[tuple]:
    """SELECT → list of row dicts; ASK → bool; CONSTRUCT/DESCRIBE → list of (s, p, o) strings."""
    text = sparql_prologue() + query if prefixes else query
    try:
        result = store.query(text)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax error: {_shift_position(str(exc), text, query)}") from exc
    except OSError as exc:
        raise QueryError(f"SPARQL error: {exc}") from exc
    if isinstance(result, ox.QueryBoolean | bool):
        return bool(result)
    if isinstance(result, ox.QuerySolutions):
        names = [v.value for v in result.variables]
        return [{n: term_to_python(sol[n]) for n in names} for sol in result]
    return [(term_to_python(t.subject), term_to_python(t.predicate), term_to_python(t.object)) for t in result]


def _shift_position(message: str, full: str, query: str) -> str:
    """Engine positions count the prologue hkgraph adds; report them against the user's query."""
    offset = full.count("\n") - query.count("\n")

    def fix(match: re.Match[str]) -> str:
        return f"line {int(match.group(1)) - offset}, column {match.group(2)}"

    return re.sub(r"(\d+):(\d+)", fix, message, count=1)


def open_store(dist: Path) -> ox.Store:
    """The pyoxigraph store of a build: the on-disk store, else the N-Triples loaded in memory."""
    disk = dist / "oxigraph"
    if disk.is_dir():
        try:
            return ox.Store.read_only(str(disk))
        except OSError:
            pass
    store = ox.Store()
    store.bulk_load(path=str(dist / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
    return store


def run_sql(db_path: Path, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a read-only SQL query; rows as dicts."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        cursor = conn.execute(query, params or {})
        return [dict(row) for row in cursor.fetchall()]
    except sqlite3.Error as exc:
        raise QueryError(f"SQL error: {exc}") from exc
    finally:
        conn.close()
