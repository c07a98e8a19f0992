"""Run SPARQL queries in worker processes that can be killed.

pyoxigraph evaluates a query in native code that cannot be interrupted, and some queries abort the
whole process (pyoxigraph 0.5.13 panics and aborts on ``ORDER BY`` over some mixes of term types). So the
endpoint never queries the store in the web server's own process: each worker process opens the graph
once and answers one query at a time over a pipe. A worker that outruns the time limit is killed (its
CPU is freed at once) and a worker that dies is replaced; the server itself keeps answering.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import queue
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import sparql_protocol as sp

_CONTEXT = multiprocessing.get_context("spawn")  # never fork a process that runs threads and an event loop


def load_store(path: Path) -> Any:
    """A store folder is opened read-only; an RDF file is loaded into memory."""
    import pyoxigraph as ox

    if path.is_dir():
        return ox.Store.read_only(str(path))
    fmt = ox.RdfFormat.from_extension(path.suffix.lstrip("."))
    if fmt is None:
        raise ValueError(f"cannot tell the RDF format of {path} from its extension")
    store = ox.Store()
    store.bulk_load(path=str(path), format=fmt)
    return store


def _worker_main(conn: Connection, source: str) -> None:
    """The worker process: open the graph, say how many triples it has, then answer queries until EOF."""
    try:
        store = load_store(Path(source))
        graphs = sorted(g.value for g in store.named_graphs() if hasattr(g, "value"))
        conn.send(("ready", (len(store), graphs)))
    except Exception as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            query, limits, accept, requested, seconds_left = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = sp.answer(store, query, limits, accept, requested, deadline=time.monotonic() + seconds_left)
            conn.send(("ok", result))
        except sp.ProtocolError as exc:
            conn.send(("error", (type(exc).__name__, str(exc), exc.status, exc.details)))


class Worker:
    def __init__(self, source: Path) -> None:
        self.conn, child = _CONTEXT.Pipe()
        self.process = _CONTEXT.Process(
            target=_worker_main, args=(child, str(source)), daemon=True, name="hkgraph-sparql-worker"
        )
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> tuple[int, list[str]]:
        """Block until the graph is open; returns its number of triples and its named graphs."""
        if not self.conn.poll(timeout):
            self.kill()
            raise RuntimeError(f"the SPARQL worker did not open the graph within {timeout:.0f} s")
        try:
            status, value = self.conn.recv()
        except EOFError:
            self.kill()
            raise RuntimeError(f"the SPARQL worker died while opening the graph (exit code {self.process.exitcode})")
        if status != "ready":
            self.kill()
            raise RuntimeError(f"the SPARQL worker cannot open the graph: {value}")
        return value  # type: ignore[no-any-return]

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


# How long a query waits for a free worker (workers are busy, or one is restarting after a kill).
QUEUE_WAIT = 10.0
_ERRORS = {"ProtocolError": sp.ProtocolError, "RefusedError": sp.RefusedError, "TimeLimitError": sp.TimeLimitError}


class WorkerPool:
    """``size`` worker processes over the graph at ``source``; :meth:`run` answers one query."""

    def __init__(self, source: Path, size: int, limits: sp.Limits, *, start_timeout: float = 600.0) -> None:
        self.source = source
        self.limits = limits
        self.start_timeout = start_timeout
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.triples = 0
        self.graphs: list[str] = []
        self._lock = threading.Lock()
        self._all: set[Worker] = set()
        self._closed = False
        workers = [self._spawn() for _ in range(size)]
        for worker in workers:
            self.triples, self.graphs = worker.wait_ready(start_timeout)
            self.idle.put(worker)

    def _spawn(self) -> Worker:
        worker = Worker(self.source)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: Worker) -> None:
        """Kill a worker and start another in the background."""
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            if self._closed:
                return

        def start() -> None:
            fresh = self._spawn()
            try:
                fresh.wait_ready(self.start_timeout)
            except RuntimeError:
                with self._lock:
                    self._all.discard(fresh)
                return
            self.idle.put(fresh)

        threading.Thread(target=start, daemon=True, name="hkgraph-sparql-respawn").start()

    def run_blocking(self, query: str, accept: str = "", requested: str | None = None) -> sp.Answer:
        """Run ``query`` on the next free worker; the time limit counts from when a worker takes it."""
        limit = self.limits.time_limit_ms / 1000
        wait = max(limit, QUEUE_WAIT)
        try:
            worker = self.idle.get(timeout=wait)
        except queue.Empty:
            raise sp.TimeLimitError(f"every query worker stayed busy for {wait:.0f} s; try again later") from None
        left = limit
        try:
            worker.conn.send((query, self.limits, accept, requested, left))
            answered = worker.conn.poll(max(left, 0) + 0.05)
            if not answered:
                self._replace(worker)
                raise sp.TimeLimitError(f"the query ran longer than the time limit of {self.limits.time_limit_ms} ms")
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=2)
            code = worker.process.exitcode
            self._replace(worker)
            raise sp.ProtocolError(
                f"the query engine crashed on this query (worker exit code {code}); the endpoint has restarted "
                "it. Rewriting the query (for example without ORDER BY over mixed kinds of values) may help",
                status=500,
            ) from None
        self.idle.put(worker)
        if status == "ok":
            return value  # type: ignore[no-any-return]
        name, message, code, details = value
        raise _ERRORS.get(name, sp.ProtocolError)(message, status=code, details=details)

    async def run(self, query: str, accept: str = "", requested: str | None = None) -> sp.Answer:
        """Run ``query`` and serialize its answer in the negotiated format, both in a worker."""
        return await asyncio.get_running_loop().run_in_executor(None, self.run_blocking, query, accept, requested)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
