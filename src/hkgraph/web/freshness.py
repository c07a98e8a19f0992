"""Serve the new build after a rebuild, without a restart.

``hkgraph build`` replaces ``dist/`` as a whole (the old folder is renamed away, then deleted), so a
server started earlier keeps reading the old, deleted files through the connections it holds. Each
request checks (at most once a second, one ``stat``) whether the served database file was replaced. When
it was, the new build is loaded in the background: a fresh Datasette database for the same name (with
connections of its own) and, when the build has an RDF graph, fresh SPARQL worker processes. Both are
swapped in together once ready; until then, and if loading fails, every page says so in a banner.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasette.database import Database

CHECK_EVERY = 1.0  # seconds between two looks at the database file


def file_identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


_GENERATIONS = iter(range(1, 1 << 62))
_GENERATION_LOCK = threading.Lock()


class FreshDatabase(Database):
    """An immutable Datasette database whose per-thread connections belong to this object alone.

    Datasette keeps one read connection per thread, keyed by the database's name; a database loaded
    after a rebuild has the same name, so it keys its connections by a generation number as well.
    """

    def __init__(self, ds: Any, path: str) -> None:
        super().__init__(ds, path=path, is_mutable=False)
        with _GENERATION_LOCK:
            self.generation = next(_GENERATIONS)

    async def execute_fn(self, fn: Any) -> Any:
        if self.ds.executor is None:
            return await super().execute_fn(fn)
        from datasette.database import connections

        key = f"hkgraph-{self.name}-{self.generation}"

        def in_thread() -> Any:
            conn = getattr(connections, key, None)
            if not conn:
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                setattr(connections, key, conn)
            return fn(conn)

        return await asyncio.get_running_loop().run_in_executor(self.ds.executor, in_thread)


@dataclass
class State:
    database: str
    path: str
    identity: tuple[int, int] | None
    checked: float = 0.0
    loading: bool = False
    failed: str | None = None
    reloaded_at: float | None = None

    def banner(self) -> str | None:
        """What every page says about the data it shows, when it is not the latest build."""
        if self.failed:
            return (f"The data was rebuilt, but this server could not load the new build ({self.failed}): "
                    "pages show the previous build. Restart the server (make serve) to see the new data.")
        if self.loading:
            return "The data was rebuilt: this server is loading the new build; pages show the previous build until then."
        return None


_STATES: dict[int, State] = {}


def state_for(datasette: Any) -> State | None:
    return _STATES.get(id(datasette))


def watch(datasette: Any, database: str) -> None:
    """Start watching the file of a served, immutable database."""
    db = datasette.databases.get(database)
    if db is None or not db.path or db.is_mutable:
        return
    if not isinstance(db, FreshDatabase):
        # Serve it through a database whose connections a reload can leave behind.
        fresh = FreshDatabase(datasette, db.path)
        fresh.name, fresh.route = db.name, db.route
        databases = dict(datasette.databases)
        databases[database] = fresh
        datasette.databases = databases
    _STATES[id(datasette)] = State(database, db.path, file_identity(db.path), time.monotonic())


async def check(datasette: Any, reload_graph: Any) -> None:
    """Called for each request: notice a replaced database file and load the new build once."""
    state = _STATES.get(id(datasette))
    if state is None or state.loading:
        return
    now = time.monotonic()
    if now - state.checked < CHECK_EVERY:
        return
    state.checked = now
    identity = file_identity(state.path)
    if identity is None or identity == state.identity:
        return
    state.loading, state.failed = True, None
    asyncio.get_running_loop().create_task(_reload(datasette, state, identity, reload_graph))


async def _reload(datasette: Any, state: State, identity: tuple[int, int], reload_graph: Any) -> None:
    try:
        await asyncio.sleep(0.2)  # let a build finish moving its folder into place
        fresh = FreshDatabase(datasette, state.path)
        await fresh.execute("SELECT count(*) FROM sqlite_master")  # opens the new file, fails early if broken
        swap_graph = await reload_graph(datasette)
        old = datasette.databases.get(state.database)
        fresh.name = state.database
        fresh.route = old.route if old is not None else state.database
        databases = dict(datasette.databases)
        databases[state.database] = fresh
        datasette.databases = databases
        if swap_graph is not None:
            swap_graph()
        state.identity, state.failed, state.reloaded_at = identity, None, time.time()
    except Exception as exc:  # keep serving the old build, and say so on every page
        state.failed = f"{type(exc).__name__}: {exc}"
        state.identity = identity
    finally:
        state.loading = False
