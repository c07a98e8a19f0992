"""Update a copy of the previous hkgraph.db for a few changed records instead of writing it anew.

The rows a record owns are found by compiling the record alone: :func:`hkgraph.compile.sqlite.to_sqlite` runs
on a dataset of the changed records as they were, and on one of them as they are now. Rows that were
and are no more are deleted (by primary key), the others are upserted (an edited row keeps its
rowid). Tables that derive from several records at once (``parameter_values``, ``model_ancestors``,
``coverage``, the tips' status) are rewritten whole; the full-text indexes are rebuilt from their tables.
Links derive along the whole dataset's vocabulary, which must be the one the previous build used (the
build checks that before it patches). The result holds the same rows in every table and answers every
query as a full build does; only the file's page layout (and the rowids of added rows) differ.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import sqlite_utils

from ..records import model as m
from ..records.derive import Vocabulary
from ..records.load import Dataset
from .sqlite import to_sqlite, write_derived

# Tables whose rows derive from several records: rewritten whole from the full dataset.
DERIVED = {"parameter_values", "model_ancestors", "coverage"}


class PatchError(Exception):
    """The database cannot be patched (the caller writes it anew)."""


def _dataset(root: Path, records: Iterable[Any]) -> Dataset:
    dataset = Dataset(root=root)
    for record in records:
        if isinstance(record, m.Tip):
            dataset.tips[record.id] = record
        else:
            dataset.entities[record.kind_name][record.id] = record
    return dataset


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def patch_sqlite(old_db: Path, new_db: Path, before: list[Any], after: list[Any], dataset: Dataset, work: Path) -> None:
    """Write ``new_db``: ``old_db`` with the rows of ``before`` records replaced by those of ``after``.

    :param dataset: every current record (for the derived tables).
    :param work: a folder for the two small databases of the changed records.
    """
    vocab = Vocabulary.of(dataset)
    to_sqlite(_dataset(dataset.root, before), work / "before.db", vocab)
    to_sqlite(_dataset(dataset.root, after), work / "after.db", vocab)
    shutil.copyfile(old_db, new_db)
    conn = sqlite3.connect(new_db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("ATTACH DATABASE ? AS before", (str(work / "before.db"),))
        conn.execute("ATTACH DATABASE ? AS after", (str(work / "after.db"),))
        conn.execute("BEGIN")
        fts, tables = _tables(conn)
        for table in tables:
            if table in DERIVED:
                continue
            columns = [(r[1], r[5]) for r in conn.execute(f"PRAGMA main.table_info({_q(table)})")]
            pk = [name for name, position in sorted(columns, key=lambda c: c[1]) if position]
            if not pk:
                raise PatchError(f"table {table} has no primary key")
            keys = ", ".join(_q(c) for c in pk)
            names = ", ".join(_q(c) for c, _p in columns)
            conn.execute(
                f"DELETE FROM main.{_q(table)} WHERE ({keys}) IN "
                f"(SELECT {keys} FROM before.{_q(table)} EXCEPT SELECT {keys} FROM after.{_q(table)})"
            )
            others = [c for c, position in columns if not position]
            update = (
                "DO UPDATE SET " + ", ".join(f"{_q(c)} = excluded.{_q(c)}" for c in others) if others else "DO NOTHING"
            )
            conn.execute(
                f"INSERT INTO main.{_q(table)} ({names}) SELECT {names} FROM after.{_q(table)} WHERE true "
                f"ON CONFLICT ({keys}) {update}"
            )
        write_derived(sqlite_utils.Database(conn), dataset)
        for name in fts:
            conn.execute(f"INSERT INTO main.{_q(name)}({_q(name)}) VALUES ('rebuild')")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE before")
        conn.execute("DETACH DATABASE after")
        conn.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as exc:
        raise PatchError(str(exc)) from exc
    finally:
        conn.close()


def _tables(conn: sqlite3.Connection) -> tuple[list[str], list[str]]:
    """(full-text tables, ordinary tables) of the main database."""
    rows = conn.execute("SELECT name, sql FROM main.sqlite_master WHERE type = 'table' ORDER BY name").fetchall()
    fts = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL TABLE")]
    shadows = tuple(f"{name}_" for name in fts)
    tables = [name for name, _sql in rows if name not in fts and not name.startswith(shadows)
              and not name.startswith("sqlite_")]
    return fts, tables
