"""The advisor run where it cannot hurt its caller: a worker process with a time and a memory limit,
and a report capped in size.

The web page (:mod:`hkgraph.web.advise_page`) and ``hkgraph advise`` both go through :class:`AdvisorRunner`:
the workflow's bytes are parsed and judged in a confined worker (:class:`hkgraph.query.sandbox.Worker`:
no network, ``RLIMIT_AS``), which loads the advisor's view of the database once and is replaced when it
outruns the time limit or dies. The report lists at most :data:`MAX_REPORTED` nodes, models and
problems; the rest is counted (``report["truncated"]``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..query.sandbox import JobError, Worker, WorkerCrashError, WorkerStartError
from .advisor import AdviseError, advise, load_knowledge
from .workflow import MAX_BYTES, WorkflowError, parse_workflow

MAX_REPORTED = 500  # items of each list in one report (nodes, findings, models, problems …)


@dataclass
class AdvisorLimits:
    """How long one workflow may take, how much memory the worker may use, how many bytes it may have."""

    time_limit_s: float = 20.0
    max_memory_mb: int = 2048
    max_bytes: int = MAX_BYTES


def cap_report(report: dict[str, Any], limit: int = MAX_REPORTED) -> dict[str, Any]:
    """The report with every long list (nodes, findings, models, problems …) cut to ``limit`` items;
    ``truncated`` counts what was left out of each."""
    cut: dict[str, int] = {}
    for key, items in list(report.items()):
        if isinstance(items, list) and len(items) > limit:
            cut[key] = len(items) - limit
            report[key] = items[:limit]
        elif isinstance(items, dict) and key not in ("workflow", "summary") and len(items) > limit:
            cut[key] = len(items) - limit
            report[key] = dict(list(items.items())[:limit])
    if cut:
        report["truncated"] = cut
    return report


def open_knowledge(db_path: str) -> tuple[str, None]:
    """Worker setup: load the advisor's view of the database once (it is cached in the worker)."""
    load_knowledge(db_path)
    return db_path, None


def advise_job(db_path: str, data: bytes, name: str, max_bytes: int) -> dict[str, Any]:
    """Worker job: parse, judge and cap."""
    return cap_report(advise(parse_workflow(data, name=name, max_bytes=max_bytes), load_knowledge(db_path)))


class AdvisorRunner:
    """One confined worker per database; :meth:`run` is blocking (call it off the event loop)."""

    def __init__(self, db_path: Path | str, limits: AdvisorLimits | None = None) -> None:
        self.db_path = str(db_path)
        self.limits = limits or AdvisorLimits()
        self._worker: Worker | None = None
        self._lock = threading.Lock()  # one workflow at a time per runner

    def _ready(self) -> Worker:
        if self._worker is None or not self._worker.alive:
            worker = Worker("hkgraph.advise.confined:open_knowledge", self.db_path,
                            memory_bytes=self.limits.max_memory_mb * 1024 * 1024)
            try:
                worker.wait_ready(120)
            except WorkerStartError as exc:
                raise AdviseError(f"the advisor cannot read {self.db_path}: {exc}") from None
            self._worker = worker
        return self._worker

    def run(self, data: bytes, name: str) -> dict[str, Any]:
        """The capped report for a workflow's bytes.

        :raises WorkflowError: the workflow cannot be read, or it exceeded the time or memory limit.
        :raises AdviseError: the database cannot be used.
        """
        if len(data) > self.limits.max_bytes:
            raise WorkflowError(f"{name}: the workflow is {len(data) / 1e6:.1f} MB; the advisor reads "
                                f"workflows up to {self.limits.max_bytes / 1e6:.1f} MB")
        with self._lock:
            worker = self._ready()
            try:
                return worker.call("hkgraph.advise.confined:advise_job",  # type: ignore[no-any-return]
                                   (data, name, self.limits.max_bytes), self.limits.time_limit_s)
            except WorkerCrashError as exc:
                self._worker = None
                if exc.timed_out:
                    raise WorkflowError(f"{name}: the advisor stopped after {self.limits.time_limit_s:g} s "
                                        "(its time limit) on this workflow") from None
                raise WorkflowError(f"{name}: the advisor stopped on this workflow: it needed more than "
                                    f"{self.limits.max_memory_mb} MB of memory, or crashed") from None
            except JobError as exc:
                if exc.kind == "MemoryError":
                    self._worker = None
                    worker.kill()
                    raise WorkflowError(f"{name}: the advisor needed more than {self.limits.max_memory_mb} MB "
                                        "of memory on this workflow") from None
                if exc.kind == "AdviseError":
                    raise AdviseError(str(exc)) from None
                if exc.kind == "WorkflowError":
                    raise WorkflowError(str(exc)) from None
                raise WorkflowError(f"{name}: the advisor could not read this workflow ({exc.kind}: {exc})") from None

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._worker = None
