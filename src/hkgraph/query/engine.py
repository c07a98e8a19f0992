"""Answer SQL and SPARQL questions from the built files.

SQL runs on dist/hkgraph.db (read-only); SPARQL runs on pyoxigraph, from the store the build writes
(dist/oxigraph) or from dist/hkgraph.nt loaded into memory.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ..compile.rdf import PREFIXES

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


_PROLOGUE = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in PREFIXES.items())


def sparql_prologue() -> str:
    """PREFIX declarations for every prefix hkgraph binds, so queries may use them freely."""
    return _PROLOGUE


def run_sparql(store: Any, query: str, *, prefixes: bool = True) -> list[dict[str, Any]] | bool | list[tuple]:
    """SELECT → list of row dicts; ASK → bool; CONSTRUCT/DESCRIBE → list of (s, p, o) values.

    ``store`` is anything with a ``query(text)`` method that answers with pyoxigraph objects: a
    ``pyoxigraph.Store`` or a :class:`hkgraph.query.remote.RemoteSparql` endpoint.
    """
    text = sparql_prologue() + query if prefixes else query
    try:
        result = store.query(text)
    except SyntaxError as exc:
        raise QueryError(f"SPARQL syntax {_shift_position(str(exc), text, query)}") from exc
    except QueryError as exc:
        raise type(exc)(_shift_position(str(exc), text, query)) from exc
    except OSError as exc:
        raise QueryError(f"SPARQL error: {exc}") from exc
    return sparql_result(result)


def sparql_result(result: Any) -> list[dict[str, Any]] | bool | list[tuple]:
    """pyoxigraph query results as plain Python values (see :func:`term_to_python`)."""
    if isinstance(result, bool | ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QuerySolutions) or hasattr(result, "variables"):
        names = [v.value for v in result.variables]
        return [dict(zip(names, map(term_to_python, solution), strict=True)) for solution in result]
    return [(term_to_python(t.subject), term_to_python(t.predicate), term_to_python(t.object)) for t in result]


_POSITION = re.compile(r"\b(?:error )?at (\d+):(\d+)")


def _shift_position(message: str, full: str, query: str) -> str:
    """Engine positions count the prologue hkgraph adds; report them against the user's query."""
    offset = full.count("\n") - query.count("\n")

    def fix(match: re.Match[str]) -> str:
        line = max(1, int(match.group(1)) - offset)
        return f"error at line {line}, column {match.group(2)}"

    return _POSITION.sub(fix, message, count=1)


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


def open_store_job(dist: str) -> tuple[ox.Store, None]:
    """Worker setup (:class:`hkgraph.query.sandbox.Worker`): the store of the build at ``dist``."""
    return open_store(Path(dist)), None


def sparql_job(store: ox.Store, query: str) -> Any:
    """Worker job: one query's answer as plain Python values (see :func:`run_sparql`)."""
    return run_sparql(store, query)


def connect_sql(db_path: Path) -> sqlite3.Connection:
    """A read-only connection to a built hkgraph.db."""
    if not Path(db_path).is_file():
        raise QueryError(f"no SQLite database at {db_path}")
    return sqlite3.connect(f"{Path(db_path).resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)


def sql_rows(conn: sqlite3.Connection, query: str, params: Any = None) -> list[dict[str, Any]]:
    """Run one SQL statement on ``conn``; rows as dicts (column name → value)."""
    try:
        cursor = conn.execute(query, params if params is not None else {})
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.Error as exc:
        raise QueryError(f"SQL error: {exc}") from exc


def run_sql(db_path: Path, query: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run a read-only SQL query; rows as dicts."""
    conn = connect_sql(db_path)
    try:
        return sql_rows(conn, query, params)
    finally:
        conn.close()


def dataset_stats(dist: Path) -> list[dict[str, Any]]:
    """Counts of tips (current and all), entities by kind, settings, links (named and derived), triples."""
    from ..compile.sqlite import ENTITY_TABLES, LINK_TABLES

    db = dist / "hkgraph.db"

    def count(sql: str) -> int:
        return int(run_sql(db, sql)[0]["n"])

    rows = [
        {"what": "tips", "count": count("SELECT count(*) AS n FROM tips")},
        {"what": "current tips", "count": count("SELECT count(*) AS n FROM tips WHERE status = 'current'")},
    ]
    rows += [{"what": table, "count": count(f"SELECT count(*) AS n FROM {table}")} for table in ENTITY_TABLES.values()]
    for extra in ("parameter_values", "settings", "quotes", "relations"):
        rows.append({"what": extra, "count": count(f"SELECT count(*) AS n FROM {extra}")})
    named = sum(count(f"SELECT count(*) AS n FROM {t} WHERE via IS NULL") for t, _c, _o in LINK_TABLES.values())
    total = sum(count(f"SELECT count(*) AS n FROM {t}") for t, _c, _o in LINK_TABLES.values())
    rows += [{"what": "tip links named", "count": named}, {"what": "tip links derived", "count": total - named}]
    info = json.loads((dist / "build-info.json").read_text())
    rows.append({"what": "triples", "count": info["triples"]})
    return rows
