"""Read-only SQL on a built hkgraph.db (the standard library only: a command that asks SQL loads nothing else)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .errors import QueryError


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
