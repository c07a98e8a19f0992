"""Measuring whole processes: wall time, CPU time of the process tree, and the tree's memory (PSS).

Used by :mod:`compare` (``make bench``). Every figure is of a whole process as a user starts it, not of a
function inside an already warm interpreter: Python's start-up and imports are part of what a user waits
for.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def children_of(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from /proc/<pid>/task/*/children)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as f:
                    kids = [int(x) for x in f.read().split()]
            except OSError:
                continue
            found.extend(kids)
            stack.extend(kids)
    return found


def tree_memory(pid: int) -> tuple[int, int]:
    """(PSS, USS) in bytes of ``pid`` and its descendants: shared pages counted once (PSS splits them
    between the processes that share them; USS counts only pages no other process maps)."""
    pss = uss = 0
    for p in [pid, *children_of(pid)]:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                    elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                        uss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return pss, uss


@dataclass
class Run:
    wall: float
    cpu: float  # user + system of the process and every descendant it waited for
    returncode: int
    peak_pss: int = 0
    peak_uss: int = 0
    stdout: str = ""
    stderr: str = ""


def run(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, memory: bool = False,
        timeout: float = 3600) -> Run:
    """Run ``cmd`` to its end; with ``memory``, sample the tree's PSS every 20 ms."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd)
    peaks = [0, 0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            pss, uss = tree_memory(proc.pid)
            peaks[0], peaks[1] = max(peaks[0], pss), max(peaks[1], uss)
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    if memory:
        sampler.start()
    out_chunks: list[bytes] = []
    err_chunks: list[bytes] = []
    readers = [threading.Thread(target=lambda s=s, c=c: c.append(s.read()), daemon=True)
               for s, c in ((proc.stdout, out_chunks), (proc.stderr, err_chunks))]
    for r in readers:
        r.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    stop.set()
    for r in readers:
        r.join(timeout)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(wall, usage.ru_utime + usage.ru_stime, proc.returncode, peaks[0], peaks[1],
               b"".join(out_chunks).decode(errors="replace"), b"".join(err_chunks).decode(errors="replace"))


@dataclass
class Series:
    """Repeated runs of one command: medians of wall and CPU time, the load average before and after."""

    name: str
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    failures: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls) if self.walls else float("nan")

    @property
    def cpu(self) -> float:
        return statistics.median(self.cpus) if self.cpus else float("nan")


def interleaved(commands: dict[str, Callable[[], Run]], rounds: int, *, seed: int = 0,
                check: bool = True) -> tuple[dict[str, Series], tuple[float, float]]:
    """Run every command once per round, in a new random order each round; returns the series and the
    1-minute load average before and after."""
    rng = random.Random(seed)  # noqa: S311 - an order, not a secret
    series = {name: Series(name) for name in commands}
    load_before = os.getloadavg()[0]
    for _ in range(rounds):
        names = list(commands)
        rng.shuffle(names)
        for name in names:
            result = commands[name]()
            if result.returncode != 0:
                series[name].failures += 1
                if check:
                    raise RuntimeError(f"{name} failed ({result.returncode}):\n{result.stderr[-3000:]}")
                continue
            series[name].walls.append(result.wall)
            series[name].cpus.append(result.cpu)
    return series, (load_before, os.getloadavg()[0])


def ms(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "–"
    if seconds >= 10:
        return f"{seconds:.1f} s"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.1f} ms"


def mb(nbytes: float) -> str:
    return f"{nbytes / 1e6:,.0f} MB"
