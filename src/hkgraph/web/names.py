"""Names → entity ids for the site's search, the way the CLI and the Python API resolve them.

A name is any spelling in the database's ``names`` table (id, display name, alias, node class name, repo
``owner/name``, path, file name), compared after the same normalisation
(:func:`hkgraph.records.mentions.normalise`, which the canned queries use as ``hkgraph_normalise`` in SQL).
An exact id wins over another entity's alias spelled like it. When nothing matches exactly, the site
(unlike the CLI, which stops with suggestions) falls back to the names that contain the words given.
A database built before the ``names`` table existed is read from its entity tables instead.

The troubleshooting query also uses ``hk_words(text)``, the words of a text as a JSON list, which the
hkgraph plugin registers on every connection.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..records.mentions import normalise as normalize


@dataclass
class NameIndex:
    """kind → normalized spelling → ids, and kind → id set (an id matches itself first)."""

    spellings: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(set)))
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def add(self, kind: str, ident: str, spelling: str | None, key: str | None = None) -> None:
        self.ids[kind].add(ident)
        key = key if key is not None else normalize(spelling) if spelling else None
        if key:
            self.spellings[kind][key].add(ident)

    def resolve(self, kind: str, text: str) -> list[str]:
        """The ids of the ``kind`` entities ``text`` names; a partial match when none does exactly."""
        text = (text or "").strip()
        if not text:
            return []
        if text in self.ids.get(kind, ()):
            return [text]
        key = normalize(text)
        if not key:
            return []
        found = self.spellings.get(kind, {}).get(key)
        if found:
            exact = [i for i in found if normalize(i) == key]
            return exact if len(exact) == 1 else sorted(found)
        partial = {i for spelling, owners in self.spellings.get(kind, {}).items() if key in spelling for i in owners}
        return sorted(partial)


# Entity tables and the columns whose values name their rows (v1 databases, without a `names` table).
_NAME_COLUMNS = ("id", "name", "class_name", "path", "file_name", "title")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}


def load_index(conn: sqlite3.Connection) -> NameIndex:
    """Every name of every entity in an hkgraph database."""
    index = NameIndex()
    tables = _tables(conn)
    if "names" in tables:
        for kind, ident, name, key in conn.execute("SELECT kind, entity_id, name, normalized FROM names"):
            index.add(kind, ident, name, key)
        return index
    from ..compile.sqlite import ENTITY_TABLES

    for kind, table in ENTITY_TABLES.items():
        if table not in tables:
            continue
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info([{table}])")}
        for column in [c for c in _NAME_COLUMNS if c in columns]:
            for ident, value in conn.execute(f"SELECT id, [{column}] FROM [{table}]"):
                index.add(kind, ident, value)
        if "aliases" in columns:
            for ident, aliases in conn.execute(f"SELECT id, aliases FROM [{table}] WHERE aliases IS NOT NULL"):
                for alias in json.loads(aliases):
                    index.add(kind, ident, alias)
    return index


_CACHE: dict[tuple[str, int, int], NameIndex] = {}
_LOCK = threading.Lock()


def index_for(path: str | Path) -> NameIndex:
    """The name index of the database file at ``path``, cached until the file is replaced."""
    st = os.stat(path)
    key = (str(path), st.st_ino, st.st_mtime_ns)
    with _LOCK:
        index = _CACHE.get(key)
    if index is None:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            index = load_index(conn)
        finally:
            conn.close()
        with _LOCK:
            _CACHE.clear()  # one database at a time is the common case; a rebuild replaces the file
            _CACHE[key] = index
    return index


_WORD = re.compile(r"\w+", re.UNICODE)


def words(text: str | None) -> list[str]:
    """The distinct words of a text, lower-cased, in order (what the troubleshooting query searches)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall((text or "").casefold()):
        seen.setdefault(word.strip("_"), None)
    return [w for w in seen if w]


def register(conn: sqlite3.Connection) -> None:
    """Add ``hk_words(text)`` to a connection."""
    conn.create_function("hk_words", 1, lambda text: json.dumps(words(text)), deterministic=True)
