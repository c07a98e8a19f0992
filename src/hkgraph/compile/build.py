"""Build dist/ from data/: validate, compile to RDF and SQLite, check SHACL, then swap in atomically.

The build writes into a temporary folder beside the output and replaces the output only when every
step succeeded, so a failed validation or a crash leaves the previous build untouched.

Speed (see benchmarks/): records are parsed by several processes and cached between builds
(:mod:`hkgraph.compile.cache`); a rebuild rewrites only the RDF subjects of the records that changed
(:mod:`hkgraph.compile.incremental`) and patches a copy of the previous SPARQL store; the store is written in a
thread while SQLite is written; SHACL checks a fixed sample of a large graph (:mod:`hkgraph.compile.shacl`).
"""

from __future__ import annotations

import ctypes
import errno
import gc
import itertools
import json
import multiprocessing
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from .. import __version__
from ..records.checks import check_dataset
from ..records.derive import Vocabulary
from ..records.load import Dataset, load_dataset
from ..records.paths import ENTITIES_DIR, ENTRIES_DIR, SCHEMA_DIR
from ..records.problems import DataError, Problem
from .cache import (
    BuildState,
    CachedLoader,
    cache_dir,
    check_context,
    code_fingerprint,
    default_workers,
    load_state,
    output_stats,
    save_state,
)
from .fresh import (
    BUILD_INFO,
    ensure_built,
    forget_build,
    freshness,
    input_fingerprint,
    is_stale,
    record_build,
    resolve,
)
from .incremental import Layout, LayoutError, write_changed, write_full
from .rdf import use_vocabulary
from .shacl import ShaclError, sample_lines
from .shacl import check as shacl_check
from .shacl import sampled as shacl_sampled
from .shacl import stride as shacl_stride
from .sqlite import to_sqlite
from .sqlpatch import PatchError, patch_sqlite

__all__ = ["BUILD_INFO", "BuildError", "BuildResult", "ShaclError", "build", "check_shacl", "ensure_built", "is_stale",
           "recover"]

STORE_SLICE = 32 << 20  # bytes of N-Triples per bulk load into the store


@dataclass
class BuildResult:
    """What a build did. After a build that had nothing to do (``noop``), ``dataset`` and ``warnings`` are
    read back from the cache when first asked for."""

    out_dir: Path
    _dataset: Dataset | None
    triples: int
    timings: dict[str, float] = field(default_factory=dict)
    _warnings: list[Problem] | None = None
    incremental: bool = False  # only the records that changed since the last build were recompiled
    parsed: int = 0  # record files parsed (the others came from the cache)
    noop: bool = False  # nothing had changed since the last build: nothing was written
    root: Path | None = None

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            assert self.root is not None
            state = load_state(self.out_dir, self.root)
            self._dataset = load_dataset(self.root, load_files=CachedLoader(state.records if state else None,
                                                                            default_workers()))
        return self._dataset

    @property
    def warnings(self) -> list[Problem]:
        if self._warnings is None:
            self._warnings = [p for p in check_dataset(self.dataset) if p.severity != "error"]
        return self._warnings


def check_shacl(nt_path: Path, shapes_path: Path) -> None:
    """Validate the compiled N-Triples against the SHACL shapes with pyshacl."""
    shacl_check(nt_path.read_bytes(), shapes_path)


def build(
    root: Path | str = ".",
    out_dir: Path | str = "dist",
    *,
    shacl: bool = True,
    hook: Callable[[str, Path], None] | None = None,
    incremental: bool = True,
    workers: int | None = None,
    fingerprint: str | None = None,
) -> BuildResult:
    """Validate the data under ``root`` and write the compiled files into ``out_dir`` atomically.

    :param shacl: check the graph against schema/shapes.ttl (whole up to 20,000 triples, else a fixed
        sample: see :mod:`hkgraph.compile.shacl`).
    :param hook: called as ``hook(stage, tmp_dir)`` after each stage (used by tests to simulate a crash).
    :param incremental: reuse what the last build into ``out_dir`` left in its cache (see
        :mod:`hkgraph.compile.cache`): unchanged records are not parsed again and only the RDF subjects
        and store triples of changed records are rewritten. The output is the same either way.
    :param workers: processes that parse records (default: one per CPU); 1 parses here only.
    :param fingerprint: the inputs' fingerprint from :func:`hkgraph.compile.fresh.freshness` when the caller
        has just found the build stale (the check is not made again).
    :raises DataError: when the data does not validate; nothing is written.
    """
    root, out_dir = resolve(root, out_dir)
    if incremental and fingerprint is None:
        info, fingerprint = freshness(root, out_dir, shacl=shacl)
        if info is not None:  # nothing changed since the last build (see hkgraph.compile.fresh)
            return BuildResult(out_dir, None, int(info.get("triples", 0)), {}, incremental=True, noop=True,
                               root=root)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small objects, no cycles worth collecting: the collector only slows it down
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        with _build_lock(out_dir):
            recover(out_dir)
            return _build(root, out_dir, shacl, hook, incremental, workers or default_workers(), fingerprint)
    except OSError as exc:
        raise BuildError(_os_message(exc, out_dir)) from exc
    finally:
        if gc_was_enabled:
            gc.enable()


class BuildError(Exception):
    """The build could not write its output (disk full, permissions …); the previous build is intact."""


def _os_message(exc: OSError, out_dir: Path) -> str:
    where = exc.filename or out_dir.parent
    if exc.errno == errno.ENOSPC:
        return (f"the disk holding {out_dir.parent} is full (writing {where}); the previous build in {out_dir} "
                "is untouched. Free some space and build again")
    return (f"cannot write the build ({exc.strerror or exc}: {where}); the previous build in {out_dir} is "
            "untouched")


@contextmanager
def _build_lock(out_dir: Path) -> Iterator[None]:
    """One build at a time per output folder (a lock file in its cache folder; released when the process
    dies)."""
    lock = cache_dir(out_dir) / "build.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with lock.open("a") as f:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not on POSIX
            yield
            return
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def recover(out_dir: Path) -> list[Path]:
    """Put back what a build killed mid-swap left, and remove the leftovers of killed builds.

    Called under the build lock (no other build is running). A missing ``out_dir`` with an
    ``.<out>-old-*`` folder beside it (a swap cut between its two renames, where RENAME_EXCHANGE is not
    available) gets that folder back. Temporary build folders (``.<out>-*``) and SQLite work folders
    (``.hkgraph-sql-*``) are removed. Returns what was removed.
    """
    parent = out_dir.parent
    olds = sorted(parent.glob(f".{out_dir.name}-old-*"), key=lambda p: p.name)
    if not out_dir.exists() and olds:
        olds[-1].rename(out_dir)
    removed = []
    for leftover in [*parent.glob(f".{out_dir.name}-*"), *parent.glob(".hkgraph-sql-*")]:
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover)
    return removed


def _build(
    root: Path, out_dir: Path, shacl: bool, hook: Callable[[str, Path], None] | None, incremental: bool,
    workers: int, fingerprint: str | None = None,
) -> BuildResult:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fingerprint = fingerprint or input_fingerprint(root)
    state = load_state(out_dir, root) if incremental else None
    loader = CachedLoader(state.records if state else None, workers)
    dataset = load_dataset(root, load_files=loader)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    context = check_context(loader.records, dataset.tips, ENTITIES_DIR.as_posix())
    problems, tip_problems = _check(dataset, state, context, loader.changed)
    timings["check"] = time.perf_counter() - t
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(problems)
    records = {key: cached.record for key, cached in loader.records.items() if cached.record is not None}
    vocab = Vocabulary.of(dataset)
    use_vocabulary(vocab)
    patch = (
        state is not None and bool(state.subjects) and state.outputs == output_stats(out_dir)
        and (out_dir / "oxigraph").is_dir() and _previous_vocabulary(out_dir) == vocab.fingerprint()
    )

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    store = _StoreWriter(tmp, out_dir if patch else None)
    shacl_job: _ShaclJob | None = None
    shapes = root / SCHEMA_DIR / "shapes.ttl"
    try:
        t = time.perf_counter()
        rdf = None
        if patch:
            assert state is not None
            previous = Layout(state.subjects, state.blocks, state.triples)
            subjects = {key: cached.subjects for key, cached in state.records.items()}
            try:
                rdf = write_changed(records, previous, subjects, loader.changed, out_dir, tmp)
            except LayoutError:
                rdf = None
        if rdf is None:
            patch = False
            store = _StoreWriter(tmp, None)

            def nt_written(fmt: str, layout: Layout) -> None:
                # SHACL (in a process) and the store (in a thread) take the N-Triples file while
                # Turtle, JSON-LD and SQLite are written
                nonlocal shacl_job
                if shacl:
                    shacl_job = _ShaclJob(tmp, layout, shacl_stride(layout.triples), None, shapes)
                store.start()

            rdf = write_full(records, tmp, nt_written, workers)
        else:
            if shacl:
                k = shacl_stride(rdf.layout.triples)
                again = rdf.dirty if state is not None and state.shacl_stride == k else None
                shacl_job = _ShaclJob(tmp, rdf.layout, k, again, shapes, fork=False)
            store.start(rdf.added, rdf.removed)
        timings.update(rdf.seconds or {"rdf": time.perf_counter() - t})
        _release_memory()
        _stage(hook, "rdf", tmp)

        t = time.perf_counter()
        _write_sqlite(dataset, tmp, out_dir if patch else None, state, loader)
        timings["sqlite"] = time.perf_counter() - t
        _stage(hook, "sqlite", tmp)
        checked_stride = 0
        if shacl_job is not None:
            shacl_job.finish()
            checked_stride = shacl_job.stride
            timings["shacl"] = shacl_job.seconds  # of which the build waited shacl_job.waited
            timings["shacl_wait"] = shacl_job.waited
        store.finish()
        timings["store"] = store.seconds
        timings["total"] = time.perf_counter() - t0
        info = {
            "hkgraph": __version__,
            "fingerprint": fingerprint,
            "tips": len(dataset.tips),
            "entities": {k: len(v) for k, v in dataset.entities.items()},
            "triples": rdf.layout.triples,
            "vocabulary": vocab.fingerprint(),
        }
        (tmp / BUILD_INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        _stage(hook, "done", tmp)
        forget_build(out_dir)
        _swap(tmp, out_dir)
    except BaseException:
        if shacl_job is not None:
            shacl_job.cancel()
        store.wait()  # it writes into tmp: let it finish before tmp goes
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for key, cached in loader.records.items():
        if key in rdf.record_subjects:
            cached.subjects = rdf.record_subjects[key]
    new_state = BuildState(
        root=str(root), code=code_fingerprint(root), records=loader.records, outputs=output_stats(out_dir),
        subjects=rdf.layout.subjects, blocks=rdf.layout.blocks, triples=rdf.layout.triples,
        shacl_stride=checked_stride,  # every sampled subject of these files passed SHACL
        check_context=context, tip_problems=tip_problems,
    )
    try:
        save_state(new_state, out_dir, loader.changed | loader.restamped if patch else None)
    except (OSError, sqlite3.Error):
        pass  # a cache that cannot be written only makes the next build a full one
    else:
        record_build(root, out_dir, fingerprint, shacl)
    return BuildResult(
        out_dir, dataset, rdf.layout.triples, timings, [p for p in problems if p.severity != "error"],
        incremental=patch, parsed=loader.parsed,
    )


def _check(dataset: Dataset, state: BuildState | None, context: str, changed: set[str]
           ) -> tuple[list[Problem], list[Problem]]:
    """The integrity checks, and what they found in tip files (for the next build).

    When the entity files and the set of tip ids are what the last build checked against, what a check
    finds in a tip depends on that tip alone: only the tips whose files changed are checked, and the
    last build's findings in the others are kept (the entities are checked whole every time)."""
    tips_dir = ENTRIES_DIR.as_posix() + "/"
    if state is not None and state.check_context == context:
        start = len(str(dataset.root)) + 1  # the cache's keys: paths under root (relative_to is ~10x slower)
        edited = {ident for (kind, ident), path in dataset.files.items() if kind == "tip" and str(path)[start:] in changed}
        kept = [p for p in state.tip_problems if p.path not in changed]
        problems = sorted({*check_dataset(dataset, only=edited), *kept})
    else:
        problems = check_dataset(dataset)
    return problems, [p for p in problems if p.path.startswith(tips_dir)]


def _previous_vocabulary(out_dir: Path) -> str | None:
    """The vocabulary fingerprint of the build in ``out_dir``: links derive along it, so a rebuild that
    changes it compiles every tip anew."""
    try:
        return json.loads((out_dir / BUILD_INFO).read_text())["vocabulary"]
    except (OSError, ValueError, KeyError):
        return None


def _release_memory() -> None:
    """Hand freed memory back to the system (glibc keeps it otherwise: ~1 GB after the RDF of 100k tips)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def _write_sqlite(
    dataset: Dataset, tmp: Path, previous: Path | None, state: BuildState | None, loader: CachedLoader
) -> None:
    """hkgraph.db: written anew, or the previous one patched for the records that changed."""
    if previous is not None and state is not None:
        before = [state.records[k].record for k in sorted(loader.changed) if k in state.records]
        after = [loader.records[k].record for k in sorted(loader.changed) if k in loader.records]
        with tempfile.TemporaryDirectory(prefix=".hkgraph-sql-", dir=tmp.parent) as work:
            try:
                patch_sqlite(previous / "hkgraph.db", tmp / "hkgraph.db",
                             [r for r in before if r is not None], [r for r in after if r is not None],
                             dataset, Path(work))
                return
            except PatchError:
                pass
    to_sqlite(dataset, tmp / "hkgraph.db")


def _shacl_sample(tmp: Path, layout: Layout, k: int, only: set[bytes] | None) -> tuple[bytes, list[bytes]] | None:
    """The N-Triples SHACL checks and the subjects it judges; None when no sampled subject changed."""
    index = {s: i for i, s in enumerate(layout.subjects)}
    starts = list(itertools.accumulate(layout.blocks["nt"], initial=0))
    candidates = layout.subjects if only is None else sorted(s for s in only if s in index)
    chosen = [s for s in candidates if shacl_sampled(s, k)]
    if not chosen and only is not None:
        return None
    with (tmp / "hkgraph.nt").open("rb") as nt:

        def block_of(subject: bytes) -> bytes | None:
            i = index.get(subject)
            if i is None:
                return None
            nt.seek(starts[i])
            return nt.read(starts[i + 1] - starts[i])

        return sample_lines(chosen, block_of), chosen


def _timed_check(*args: Any) -> float:
    t = time.perf_counter()
    shacl_check(*args)
    return time.perf_counter() - t


class _ShaclJob:
    """SHACL on the sample, in a forked process where there is one (pyshacl is pure Python: a second
    core checks while this one writes Turtle, JSON-LD and SQLite)."""

    def __init__(self, tmp: Path, layout: Layout, k: int, only: set[bytes] | None, shapes: Path, *, fork: bool = True):
        t = time.perf_counter()
        self.stride = k
        self.seconds = 0.0
        self.waited = 0.0
        self._pool = None
        self._pending: Any = None
        sample = _shacl_sample(tmp, layout, k, only)
        self._args = None if sample is None else (sample[0], shapes, None if k == 1 and only is None else sample[1])
        if self._args is not None and fork and "fork" in multiprocessing.get_all_start_methods():
            self._pool = multiprocessing.get_context("fork").Pool(1)
            self._pending = self._pool.apply_async(_timed_check, self._args)
        self.seconds = time.perf_counter() - t

    def finish(self) -> None:
        """Wait for the check (raises :class:`ShaclError`); ``seconds`` is then the time it took."""
        t = time.perf_counter()
        try:
            if self._pending is not None:
                self.seconds += self._pending.get()
            elif self._args is not None:
                self.seconds += _timed_check(*self._args)
        finally:
            self.cancel()
        self.waited = time.perf_counter() - t

    def cancel(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None


class _StoreWriter:
    """Writes dist/oxigraph in a thread while the build goes on (pyoxigraph releases the GIL).

    A full build bulk-loads the new N-Triples; a rebuild copies the previous store and applies the
    lines that went and came.
    """

    def __init__(self, tmp: Path, previous: Path | None):
        self.tmp, self.previous = tmp, previous
        self.added: list[bytes] = []
        self.removed: list[bytes] = []
        self.error: BaseException | None = None
        self.seconds = 0.0
        self.thread = threading.Thread(target=self._run, name="hkgraph-store", daemon=True)

    def start(self, added: list[bytes] | None = None, removed: list[bytes] | None = None) -> None:
        self.added, self.removed = added or [], removed or []
        self.thread.start()

    def _run(self) -> None:
        t = time.perf_counter()
        try:
            path = self.tmp / "oxigraph"
            if self.previous is None:
                self._bulk_load(path)
            else:
                try:
                    shutil.copytree(self.previous / "oxigraph", path)
                    store = ox.Store(str(path))
                    if self.removed:
                        for quad in ox.parse(b"\n".join(self.removed) + b"\n", format=ox.RdfFormat.N_TRIPLES):
                            store.remove(quad)
                    if self.added:
                        store.extend(ox.parse(b"\n".join(self.added) + b"\n", format=ox.RdfFormat.N_TRIPLES))
                    store.flush()
                    del store
                except (OSError, RuntimeError, SyntaxError, ValueError, shutil.Error):
                    # the previous store is damaged: write it anew from this build's N-Triples
                    shutil.rmtree(path, ignore_errors=True)
                    self._bulk_load(path)
        except BaseException as exc:  # re-raised in the building thread
            self.error = exc
        self.seconds = time.perf_counter() - t

    def _bulk_load(self, path: Path) -> None:
        store = ox.Store(str(path))
        with (self.tmp / "hkgraph.nt").open("rb") as nt:
            # in slices: one bulk load of the whole file holds it all in memory (1.5 GB at 100k tips)
            while chunk := nt.read(STORE_SLICE):
                chunk += nt.readline()
                store.bulk_load(chunk, format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store

    def wait(self) -> None:
        if self.thread.ident is not None:
            self.thread.join()

    def finish(self) -> None:
        if self.thread.ident is None:
            raise RuntimeError("the store was never written")
        self.thread.join()
        if self.error is not None:
            raise self.error


def _stage(hook: Callable[[str, Path], None] | None, stage: str, tmp: Path) -> None:
    if hook is not None:
        hook(stage, tmp)


# Folders other commands write into the output folder; a rebuild carries them over.
KEEP = ("release",)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2 RENAME_EXCHANGE); False where that is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False  # a file system or kernel without it
    raise OSError(code, os.strerror(code), str(b))


def _swap(new: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``new`` so that ``out_dir`` is never missing.

    Folders other commands wrote into the output (``release/``) move into ``new`` first; then one
    ``renameat2(RENAME_EXCHANGE)`` swaps the two folders, and the old build (now at ``new``'s path) is
    removed. Where the exchange is not available, two renames are used, and a crash between them is
    repaired by the next build (:func:`recover`).
    """
    if not out_dir.exists():
        new.rename(out_dir)
        return
    for name in KEEP:
        if (out_dir / name).exists() and not (new / name).exists():
            (out_dir / name).rename(new / name)
    if _exchange(new, out_dir):
        shutil.rmtree(new, ignore_errors=True)
        return
    old = out_dir.with_name(f".{out_dir.name}-old-{time.time_ns()}")
    out_dir.rename(old)
    new.rename(out_dir)
    shutil.rmtree(old, ignore_errors=True)
