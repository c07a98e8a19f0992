"""Run SPARQL queries in confined worker processes that can be killed, in two lanes.

pyoxigraph evaluates a query in native code that cannot be interrupted, and some queries abort the
whole process (pyoxigraph 0.5.13 panics and aborts on ``ORDER BY`` over some mixes of term types, and
overflows its stack on deeply nested queries). So the endpoint never queries the store in the web
server's own process: each worker (:class:`hkgraph.query.sandbox.Worker`) opens the graph once, cannot
open network sockets, has a capped address space, and answers one query at a time over a pipe. A worker
that outruns the time limit is killed (its CPU is freed at once) and a worker that dies is replaced;
the server itself keeps answering.

Fairness: queries wait for a worker in the event loop (no thread is held while waiting, so static files
and Datasette pages never queue behind SPARQL), and there are two lanes. A query runs first in the
*light* lane; a query that took longer than ``light_ms`` there (or hit a limit) is remembered by its
text, and from then on runs in the *heavy* lane, whose workers are separate. Ten clients looping slow
queries fill the heavy lane and wait for it; quick queries keep the light lane to themselves.
"""

from __future__ import annotations

import asyncio
import hashlib
import queue
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..query.sandbox import JobError, Worker, WorkerCrashError, WorkerStartError
from . import sparql_protocol as sp


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


def open_graph(source: str) -> tuple[Any, tuple[int, list[str]]]:
    """Worker setup: the store, and (triples, named graphs) for the parent."""
    store = load_store(Path(source))
    graphs = sorted(g.value for g in store.named_graphs() if hasattr(g, "value"))
    return store, (len(store), graphs)


def answer_job(store: Any, query: str, limits: sp.Limits, accept: str, requested: str | None,
               seconds_left: float) -> sp.Answer:
    """Worker job: check, run and serialize one query."""
    return sp.answer(store, query, limits, accept, requested, deadline=time.monotonic() + seconds_left)


# How long a query waits for a free worker (workers are busy, or one is restarting after a kill).
QUEUE_WAIT = 10.0
MAX_WAITING = 64  # queries waiting for a lane at once; more are answered 503 at once
_ERRORS = {"ProtocolError": sp.ProtocolError, "RefusedError": sp.RefusedError, "TimeLimitError": sp.TimeLimitError}
_REMEMBERED = 4096  # heavy query texts remembered


class _Lane:
    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self.size = size
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"hkgraph-sparql-{name}")
        self._slots: asyncio.Semaphore | None = None
        self.waiting = 0

    @property
    def slots(self) -> asyncio.Semaphore:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.size)
        return self._slots


class WorkerPool:
    """Worker processes over the graph at ``source``: ``light`` in the light lane, ``size`` in the heavy
    one; :meth:`run` answers one query."""

    def __init__(self, source: Path, size: int, limits: sp.Limits, *, light: int = 1, light_ms: int = 500,
                 start_timeout: float = 600.0) -> None:
        self.source = source
        self.limits = limits
        self.light_ms = light_ms
        self.start_timeout = start_timeout
        self.triples = 0
        self.graphs: list[str] = []
        self.layers: dict[str, str | None] = {}
        self._heavy_queries: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self._all: set[Worker] = set()
        self._closed = False
        self.lanes = {"light": _Lane("light", light), "heavy": _Lane("heavy", size)}
        started = [(lane, self._spawn()) for lane in self.lanes.values() for _ in range(lane.size)]
        for lane, worker in started:
            try:
                (self.triples, self.graphs), self.layers = worker.wait_ready(start_timeout)
            except WorkerStartError as exc:
                self.close()
                raise RuntimeError(str(exc)) from None
            lane.idle.put(worker)

    @property
    def network_isolated(self) -> bool:
        """True when at least one layer keeps the workers off the network."""
        return any(reason is None for reason in self.layers.values())

    def _spawn(self) -> Worker:
        worker = Worker("hkgraph.web.sparql_pool:open_graph", str(self.source),
                        memory_bytes=self.limits.max_memory_mb * 1024 * 1024)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, lane: _Lane, worker: Worker) -> None:
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
            except WorkerStartError:
                with self._lock:
                    self._all.discard(fresh)
                return
            lane.idle.put(fresh)

        threading.Thread(target=start, daemon=True, name="hkgraph-sparql-respawn").start()

    # ------------------------------------------------------------------------------------ routing

    @staticmethod
    def _key(query: str) -> str:
        return hashlib.sha256(" ".join(query.split()).encode()).hexdigest()

    def _is_heavy(self, key: str) -> bool:
        with self._lock:
            if key in self._heavy_queries:
                self._heavy_queries.move_to_end(key)
                return True
            return False

    def _remember_heavy(self, key: str) -> None:
        with self._lock:
            self._heavy_queries[key] = None
            self._heavy_queries.move_to_end(key)
            while len(self._heavy_queries) > _REMEMBERED:
                self._heavy_queries.popitem(last=False)

    # ---------------------------------------------------------------------------------- running

    def _blocking(self, lane: _Lane, query: str, accept: str, requested: str | None) -> tuple[sp.Answer, float]:
        limit = self.limits.time_limit_ms / 1000
        try:
            worker = lane.idle.get(timeout=QUEUE_WAIT)  # a replacement may still be starting
        except queue.Empty:
            busy = sp.TimeLimitError(f"no query worker was free for {QUEUE_WAIT:.0f} s; try again later")
            busy.ran = False  # type: ignore[attr-defined]
            raise busy from None
        start = time.monotonic()
        try:
            result = worker.call("hkgraph.web.sparql_pool:answer_job",
                                 (query, self.limits, accept, requested, limit), limit + 0.25)
        except WorkerCrashError as exc:
            self._replace(lane, worker)
            if exc.timed_out:
                raise sp.TimeLimitError(sp._time_message(self.limits)) from None
            raise sp.ProtocolError(
                f"the query engine stopped on this query (worker exit code {exc.code}): it needed more memory "
                f"than the limit of {self.limits.max_memory_mb} MB, or the engine crashed; the endpoint has "
                "restarted it. Rewriting the query (fewer rows before ORDER BY or GROUP BY, no ORDER BY over "
                "mixed kinds of values) may help",
                status=500,
            ) from None
        except JobError as exc:
            lane.idle.put(worker)
            if exc.kind == "MemoryError":
                raise sp.ProtocolError(f"the query needed more memory than the limit of "
                                       f"{self.limits.max_memory_mb} MB", status=503) from None
            raise _ERRORS.get(exc.kind, sp.ProtocolError)(str(exc), status=exc.status or 500,
                                                          details=exc.details) from None
        lane.idle.put(worker)
        return result, time.monotonic() - start

    async def _slot(self, key: str) -> _Lane:
        """Wait for a worker of the query's lane; a query learned to be heavy while it waited in the light
        lane moves to the heavy one (so a burst of one slow query does not fill the light lane)."""
        lane = self.lanes["heavy" if self._is_heavy(key) else "light"]
        deadline = time.monotonic() + QUEUE_WAIT
        while True:
            if lane.waiting >= MAX_WAITING:
                raise sp.TimeLimitError("too many SPARQL queries are waiting; try again later")
            lane.waiting += 1
            try:
                await asyncio.wait_for(lane.slots.acquire(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise sp.TimeLimitError(
                    f"every query worker stayed busy for {QUEUE_WAIT:.0f} s; try again later") from None
            finally:
                lane.waiting -= 1
            if lane.name == "light" and self._is_heavy(key):
                lane.slots.release()
                lane = self.lanes["heavy"]
                continue
            return lane

    async def run(self, query: str, accept: str = "", requested: str | None = None) -> sp.Answer:
        """Run ``query`` in a worker and serialize its answer in the negotiated format."""
        key = self._key(query)
        lane = await self._slot(key)
        try:
            loop = asyncio.get_running_loop()
            result, seconds = await loop.run_in_executor(lane.executor, self._blocking, lane, query, accept,
                                                         requested)
        except sp.ProtocolError as exc:
            # the query itself was slow or too big (not: no worker was free)
            if lane.name == "light" and exc.status in (500, 503) and getattr(exc, "ran", True):
                self._remember_heavy(key)
            raise
        finally:
            lane.slots.release()
        if lane.name == "light" and seconds > self.light_ms / 1000:
            self._remember_heavy(key)
        return result

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
        for lane in self.lanes.values():
            lane.executor.shutdown(wait=False, cancel_futures=True)
