"""Worker processes that run someone else's query (or workflow) and cannot take the caller down.

A :class:`Worker` is a child process (``spawn``: no inherited threads or event loop) that sets itself
up once, then answers one job at a time over a pipe. Before it reads anything it confines itself:

- **no network**: two independent layers, each applied when this machine allows it (see
  :func:`drop_network`): a seccomp filter that lets ``socket()`` create only Unix-domain sockets, and a
  network namespace of its own (``unshare``), where no interface but a down loopback exists. The
  pyoxigraph engine sends HTTP requests for SPARQL ``SERVICE``; in a worker it cannot, even if the
  policy check (:mod:`hkgraph.query.policy`) were wrong.
- **bounded memory**: ``RLIMIT_AS`` (address space), so a query that builds gigabytes fails in the
  worker, which is then replaced.

The caller gives each job a time limit; a worker that outruns it is killed (native code cannot be
interrupted otherwise), and a worker that dies (a crash in the engine, the memory limit) is reported
as :class:`WorkerCrashError` and never takes the caller with it.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import platform
import resource
import socket
import struct
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from typing import Any


class WorkerCrashError(Exception):
    """The worker died or was killed while running a job (``code`` is its exit code, or None)."""

    def __init__(self, message: str, code: int | None = None, timed_out: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.timed_out = timed_out


class WorkerStartError(Exception):
    """The worker could not set itself up (the message is the reason it sent)."""


# ---------------------------------------------------------------------------------- confinement

# seccomp: an allow-list for socket(): only AF_UNIX (the pipe to the parent is a Unix socket made before)
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_EPERM = 1
_PR_SET_NO_NEW_PRIVS = 38
_AF_UNIX = 1
# machine → (audit arch, seccomp syscall, socket, io_uring_setup): io_uring could open sockets too
_ARCH = {
    "x86_64": (0xC000003E, 317, 41, 425),
    "aarch64": (0xC00000B7, 277, 198, 425),
}
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _bpf(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _seccomp() -> str | None:
    """Install the socket filter; None when it works, else why not."""
    machine = platform.machine()
    if machine not in _ARCH or os.uname().sysname != "Linux":
        return f"seccomp filter not available on {os.uname().sysname} {machine}"
    arch, nr_seccomp, nr_socket, nr_uring = _ARCH[machine]
    program = b"".join([
        _bpf(0x20, 0, 0, 4),
        _bpf(0x15, 1, 0, arch),
        _bpf(0x06, 0, 0, _SECCOMP_RET_ERRNO | _EPERM),
        _bpf(0x20, 0, 0, 0),
        _bpf(0x35, 5, 0, 0x40000000),   # x32 → 10 (deny)
        _bpf(0x15, 4, 0, nr_uring),     # io_uring_setup → 10 (deny)
        _bpf(0x15, 1, 0, nr_socket),    # socket → 8
        _bpf(0x06, 0, 0, _SECCOMP_RET_ALLOW),
        _bpf(0x20, 0, 0, 16),           # family
        _bpf(0x15, 1, 0, _AF_UNIX),     # AF_UNIX → 11 (allow), else → 10 (deny)
        _bpf(0x06, 0, 0, _SECCOMP_RET_ERRNO | _EPERM),
        _bpf(0x06, 0, 0, _SECCOMP_RET_ALLOW),
    ])
    libc = ctypes.CDLL(None, use_errno=True)
    buffer = ctypes.create_string_buffer(program, len(program))
    prog = struct.pack("HxxxxxxP", len(program) // 8, ctypes.addressof(buffer))
    prog_buffer = ctypes.create_string_buffer(prog, len(prog))
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        return f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}"
    result = libc.syscall(ctypes.c_long(nr_seccomp), ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC), ctypes.c_void_p(ctypes.addressof(prog_buffer)))
    if result != 0:
        return f"seccomp filter refused: {os.strerror(ctypes.get_errno())}"
    return None


def _network_namespace() -> str | None:
    """Move this process into a network namespace of its own; None when it works, else why not."""
    if os.uname().sysname != "Linux":
        return "network namespaces are Linux-only"
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(_CLONE_NEWNET) == 0:
        return None
    first = os.strerror(ctypes.get_errno())
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:  # unprivileged: through a user namespace
        return None
    return f"unshare refused ({first}; with a user namespace: {os.strerror(ctypes.get_errno())})"


def drop_network() -> dict[str, str | None]:
    """Make this process unable to open network connections, with every layer the system allows.

    Returns layer → None when active, else the reason it is not. Call it early, while the process has
    one thread (a namespace applies to the calling thread and the threads it starts afterwards).
    """
    return {"netns": _network_namespace(), "seccomp": _seccomp()}


def limit_memory(max_bytes: int | None) -> None:
    """Cap this process's address space (``RLIMIT_AS``); allocations beyond it fail."""
    if not max_bytes:
        return
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        max_bytes = min(max_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, hard))


_CONFINED = False


def confine(memory_bytes: int | None) -> dict[str, str | None]:
    global _CONFINED
    layers = drop_network()
    limit_memory(memory_bytes)
    _CONFINED = any(reason is None for reason in layers.values())
    return layers


def confined() -> bool:
    """True in a worker that at least one layer keeps off the network."""
    return _CONFINED


def network_layers() -> dict[str, str | None]:
    """Which layers a worker gets on this machine (tried in a throwaway worker)."""
    worker = Worker("hkgraph.query.sandbox:_nothing", None, memory_bytes=None)
    try:
        return worker.wait_ready(60)[1]
    finally:
        worker.kill()


def _nothing(_arg: Any) -> tuple[None, None]:
    return None, None


# ------------------------------------------------------------------------------------------ workers


def _resolve(name: str) -> Any:
    module, _, attr = name.partition(":")
    return getattr(importlib.import_module(module), attr)


def _worker_main(conn: Connection, setup: str, arg: Any, memory_bytes: int | None) -> None:
    """The worker: confine, set up, say ready, then run jobs until the pipe closes."""
    try:
        layers = confine(memory_bytes)
        state, info = _resolve(setup)(arg)
        conn.send(("ready", (info, layers)))
    except BaseException as exc:
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
        return
    while True:
        try:
            job, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            value = _resolve(job)(state, *args)
            conn.send(("ok", value))
        except MemoryError:
            conn.send(("error", ("MemoryError", "the job needed more memory than the worker's limit", None, None)))
        except Exception as exc:
            conn.send(("error", (type(exc).__name__, str(exc), getattr(exc, "status", None),
                                 getattr(exc, "details", None))))


class _Process:
    """The worker's process (a fresh interpreter: never a fork of a process with threads and an event
    loop, and, unlike multiprocessing's spawn, never a re-run of the caller's ``__main__`` script)."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        self.pid = popen.pid

    def is_alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()

    def join(self, timeout: float | None = None) -> None:
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            pass

    @property
    def exitcode(self) -> int | None:
        return self.popen.poll()


class Worker:
    """A confined child process: ``setup(arg)`` once (in the child), then ``job(state, *args)`` per call.

    ``setup`` and ``job`` are ``"module:function"`` names, imported in the child; ``setup`` returns
    ``(state, info)``: the state stays in the child, ``info`` (small) is sent to the parent.
    """

    def __init__(self, setup: str, arg: Any, *, memory_bytes: int | None = None) -> None:
        parent, child = socket.socketpair()
        try:
            popen = subprocess.Popen(
                [sys.executable, "-m", "hkgraph.query.sandbox", str(child.fileno())],
                pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, start_new_session=True,
            )
        finally:
            child.close()
        self.process = _Process(popen)
        self.conn = Connection(parent.detach())
        self.conn.send((setup, arg, memory_bytes))
        self.info: Any = None
        self.layers: dict[str, str | None] = {}

    def wait_ready(self, timeout: float) -> tuple[Any, dict[str, str | None]]:
        """Block until set up; returns (the ``info`` setup returned, the network layers)."""
        if not self.conn.poll(timeout):
            self.kill()
            raise WorkerStartError(f"the worker was not ready within {timeout:.0f} s")
        try:
            status, value = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(timeout=2)
            code = self.process.exitcode
            self.kill()
            raise WorkerStartError(f"the worker died while starting (exit code {code})")
        if status != "ready":
            self.kill()
            raise WorkerStartError(str(value))
        self.info, self.layers = value
        return value  # type: ignore[no-any-return]

    def call(self, job: str, args: tuple[Any, ...], timeout: float | None) -> Any:
        """Run one job; returns its value, re-raises its error as :class:`JobError`.

        :raises WorkerCrashError: the worker died, or outran ``timeout`` seconds and was killed.
        """
        try:
            self.conn.send((job, args))
            if not self.conn.poll(timeout):
                self.kill()
                raise WorkerCrashError(f"the job ran longer than {timeout:.1f} s", timed_out=True)
            status, value = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(timeout=2)
            code = self.process.exitcode
            self.kill()
            raise WorkerCrashError(f"the worker died (exit code {code})", code=code) from None
        if status == "ok":
            return value
        raise JobError(*value)

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        self.process.kill()
        self.process.join(timeout=5)
        self.conn.close()


class JobError(Exception):
    """The job raised: ``kind`` is the exception's class name, ``status`` its ``status`` attribute if any."""

    def __init__(self, kind: str, message: str, status: int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.details = details


def wait_until(deadline: float) -> float:
    """Seconds left until ``deadline`` (a ``time.monotonic()`` value), never negative."""
    return max(0.0, deadline - time.monotonic())


def _child(fd: int) -> None:
    """The worker process's entry point (``python -m hkgraph.query.sandbox FD``)."""
    conn = Connection(fd)
    try:
        setup, arg, memory_bytes = conn.recv()
    except (EOFError, OSError):
        return
    _worker_main(conn, setup, arg, memory_bytes)


if __name__ == "__main__":
    # run the imported module's copy, so that its state (``confined()``) is the one the jobs see
    from hkgraph.query.sandbox import _child as child

    child(int(sys.argv[1]))
