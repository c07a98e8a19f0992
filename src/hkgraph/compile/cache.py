"""What a build remembers for the next one, and loading records fast.

The state lives beside the output folder, in ``.cache/hkgraph-<out>/`` (``dist/`` → ``.cache/hkgraph-dist/``),
and holds:

- every record file's validated record (or its problems), keyed by path and the hash of its content
  (BLAKE2b), so that a rebuild parses only the files whose bytes changed. A file whose metadata (size,
  modification and change time, inode) is what it was is not read again: a write always moves the change
  time, which no program can set back, so a same-size edit with its modification time put back is still
  seen (and hashed);
- what the integrity checks found in each tip, and what that depends on (the entity files and the set of
  tip ids), so that a rebuild that edited tips only checks those tips;
- the layout of the RDF files the build wrote (subjects in order, the byte length of each subject's
  block in each file), so that :mod:`hkgraph.compile.incremental` can rewrite only the subjects that changed;
- a fingerprint of hkgraph's own code and of schema/, and the metadata of every output file as the build
  left it (size, modification and change time, inode): when either differs (a byte of dist/hkgraph.nt
  changed by any program, even one that put the modification time back), the state is ignored and the
  build starts from nothing, so damage is never copied into the next build. Hashing the outputs instead
  read 150 MB at 10,000 tips and 1.5 GB at 100,000 twice per rebuild for the same answer.

The state is a cache: deleting it only makes the next build a full one. It is written in one
transaction after the output folder is in place, and a rebuild writes only the records that changed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import pickle
import sqlite3
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..records.load import load_file
from ..records.problems import Problem
from .fresh import OUTPUT_FILES, cache_dir, file_stamp

STATE_VERSION = 3
PARALLEL_MIN_FILES = 2000  # below this, starting workers costs more than it saves


@dataclass
class CachedRecord:
    """One record file as the last build saw it."""

    digest: bytes  # BLAKE2b of the file's bytes
    size: int
    record: Any | None
    problems: list[Problem]
    subjects: tuple[str, ...] = ()  # the RDF subjects the record wrote triples about
    stamp: str = ""  # size, modification and change time, inode (see file_stamp)


@dataclass
class BuildState:
    root: str
    code: str
    records: dict[str, CachedRecord] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)  # output file → hash of its bytes
    subjects: list[str] = field(default_factory=list)
    blocks: dict[str, array] = field(default_factory=dict)  # fmt → byte length of each subject's block
    triples: int = 0
    shacl_stride: int = 0  # the SHACL sample the outputs were checked on (0: not checked)
    check_context: str = ""  # what the tips' check results depend on besides the tips (see check_context)
    tip_problems: list[Problem] = field(default_factory=list)  # what the checks found in tip files
    version: int = STATE_VERSION


def code_fingerprint(root: Path) -> str:
    """hkgraph's version, its source files and schema/ (their content): what the outputs depend on."""
    h = hashlib.sha256(f"{__version__}\0{STATE_VERSION}".encode())
    package = Path(__file__).resolve().parent.parent
    sources = [package / "__init__.py", *(package / "records").glob("*.py"), *(package / "compile").glob("*.py")]
    for path in sorted([*sources, *(root / "schema").glob("*")]):
        if path.is_file():
            h.update(f"{path.parent.name}/{path.name}\0".encode() + file_digest(path) + b"\n")
    return h.hexdigest()


def file_digest(path: Path) -> bytes:
    """BLAKE2b of a file's bytes (read in slices)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "blake2b").digest()


def check_context(records: dict[str, CachedRecord], tip_ids: Iterable[str], entities_dir: str) -> str:
    """What a tip's check results depend on besides the tip: every entity file's content and the set of
    tip ids (relations name other tips)."""
    h = hashlib.sha256()
    prefix = entities_dir.rstrip("/") + "/"
    for key in sorted(k for k in records if k.startswith(prefix)):
        h.update(key.encode() + b"\0" + records[key].digest + b"\n")
    h.update("\n".join(sorted(tip_ids)).encode())
    return h.hexdigest()


def output_stats(out_dir: Path) -> dict[str, str]:
    """Output file → its metadata (:func:`file_stamp`; what the next build checks before it reuses the
    outputs: any write since moves the change time)."""
    stats = {}
    for name in OUTPUT_FILES:
        try:
            stats[name] = file_stamp(out_dir / name)
        except OSError:
            continue
    return stats


_META = ("root", "code", "outputs", "subjects", "blocks", "triples", "shacl_stride", "check_context", "tip_problems")


def _connect(out_dir: Path) -> sqlite3.Connection:
    folder = cache_dir(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "state.sqlite", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB)")
    conn.execute("CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, digest BLOB, size INTEGER, data BLOB)")
    return conn


def load_state(out_dir: Path, root: Path) -> BuildState | None:
    """The previous build's state, or None when there is none or it no longer describes the files."""
    if not (cache_dir(out_dir) / "state.sqlite").is_file():
        return None
    try:
        conn = _connect(out_dir)
        try:
            meta = {k: pickle.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}  # noqa: S301
            if meta.get("version") != STATE_VERSION or meta.get("root") != str(root):
                return None
            if meta.get("code") != code_fingerprint(root):
                return None  # hkgraph or schema/ changed: nothing of it can be trusted
            records: dict[str, CachedRecord] = {}
            snapshot = meta.pop("snapshot", None)
            if snapshot:
                with (cache_dir(out_dir) / snapshot).open("rb") as f:
                    records = pickle.load(f)  # noqa: S301 - our own cache
            for key, digest, size, data in conn.execute("SELECT key, digest, size, data FROM records"):
                if data is None:
                    records.pop(key, None)
                else:
                    records[key] = CachedRecord(digest, size, *pickle.loads(data))  # noqa: S301 - our own cache
        finally:
            conn.close()
    except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError,
            KeyError, OSError):
        return None
    return BuildState(records=records, **{k: meta[k] for k in _META if k in meta})  # type: ignore[arg-type]


MAX_UPDATES = 500  # record rows kept beside the snapshot before it is rewritten


def save_state(state: BuildState, out_dir: Path, changed: set[str] | None = None) -> None:
    """Store the state in one transaction (a crash leaves the old state, never half of one).

    Records are stored as one snapshot (fast to read back) plus a row per record changed since; a
    rebuild writes only those rows, and the snapshot (a file beside the database) is rewritten when
    they pile up.

    :param changed: the record keys that differ from the stored state; None rewrites the snapshot.
    """
    conn = _connect(out_dir)
    try:
        conn.execute("BEGIN IMMEDIATE")
        pending = conn.execute("SELECT count(*) FROM records").fetchone()[0]
        if changed is not None and pending + len(changed) > MAX_UPDATES:
            changed = None
        meta: dict[str, Any] = {k: getattr(state, k) for k in _META}
        meta["version"] = state.version
        if changed is None:
            conn.execute("DELETE FROM records")
            meta["snapshot"] = _write_snapshot(state.records, out_dir)
        else:
            rows = []
            for key in changed:
                r = state.records.get(key)
                if r is None:
                    rows.append((key, b"", 0, None))
                else:
                    data = pickle.dumps((r.record, r.problems, r.subjects, r.stamp), protocol=pickle.HIGHEST_PROTOCOL)
                    rows.append((key, r.digest, r.size, data))
            conn.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT OR REPLACE INTO meta VALUES (?, ?)",
            [(k, pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL)) for k, v in meta.items()],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
    current = meta.get("snapshot")
    if current:
        for old in cache_dir(out_dir).glob("records-*.pickle"):
            if old.name != current:
                old.unlink(missing_ok=True)


def _write_snapshot(records: dict[str, CachedRecord], out_dir: Path) -> str:
    """Every record in a file of its own (pickled as a stream: no copy of it all in memory)."""
    name = f"records-{os.getpid()}-{time.time_ns()}.pickle"
    tmp = cache_dir(out_dir) / f".{name}.tmp"
    with tmp.open("wb") as f:
        pickle.dump(records, f, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(cache_dir(out_dir) / name)
    return name


def _load_chunk(files: list[tuple[Any, Path]], root: Path) -> list[tuple[Any, list[Problem]]]:
    return [load_file(model_cls, path, root) for model_cls, path in files]


def _load_chunk_job(args: tuple[list[tuple[Any, Path]], Path]) -> list[tuple[Any, list[Problem]]]:
    return _load_chunk(*args)


def parse_in_parallel(files: list[tuple[Any, Path]], root: Path, workers: int) -> list[tuple[Any, list[Problem]]]:
    """:func:`hkgraph.records.load.load_file` on every file, split over ``workers`` processes (this one included).

    Uses fork where the platform has it (the workers inherit the loaded code for free); elsewhere, or
    with few files, everything runs here.
    """
    if workers < 2 or len(files) < PARALLEL_MIN_FILES or "fork" not in multiprocessing.get_all_start_methods():
        return _load_chunk(files, root)
    size = -(-len(files) // workers)
    chunks = [files[i:i + size] for i in range(0, len(files), size)]
    with multiprocessing.get_context("fork").Pool(len(chunks) - 1) as pool:
        pending = pool.map_async(_load_chunk_job, [(chunk, root) for chunk in chunks[1:]])
        results = _load_chunk(chunks[0], root)
        for part in pending.get():
            results.extend(part)
    return results


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def _digest_bounded(path: Path) -> bytes:
    """The content hash of a record file; files past the loader's size limit are not read (they are
    parsed, and refused, every time)."""
    from ..records.yamlio import MAX_FILE_BYTES

    if not path.is_file() or os.stat(path).st_size > MAX_FILE_BYTES:
        return b""
    return file_digest(path)


class CachedLoader:
    """A ``load_files`` for :func:`hkgraph.records.load.load_dataset` that reuses unchanged records.

    After loading, ``records`` holds every file's entry (for the next state) and ``changed`` the paths
    that were added, edited or removed since ``previous``.
    """

    def __init__(self, previous: dict[str, CachedRecord] | None, workers: int):
        self.previous = previous or {}
        self.workers = workers
        self.records: dict[str, CachedRecord] = {}
        self.changed: set[str] = set()
        self.restamped: set[str] = set()  # unchanged records whose file metadata moved (stored again)
        self.parsed = 0

    def __call__(self, files: list[tuple[Any, Path]], root: Path) -> list[tuple[Any, list[Problem]]]:
        keys, stats, misses = [], [], []
        start = len(str(root)) + 1
        for i, (_model_cls, path) in enumerate(files):
            key = str(path)[start:]  # path is under root; Path.relative_to is ~10x slower
            old = self.previous.get(key)
            try:
                stamp = file_stamp(path)
                if old is not None and old.stamp == stamp and old.digest:
                    stat = (old.digest, old.size, stamp)  # not written since: the same bytes
                else:
                    stat = (_digest_bounded(path), os.stat(path).st_size, stamp)
            except OSError:
                stat = (b"", -1, "")  # unreadable, a folder or a dangling link: the loader reports it
            keys.append(key)
            stats.append(stat)
            if old is None or (old.digest, old.size) != stat[:2] or not stat[0]:
                misses.append(i)
        parsed = parse_in_parallel([files[i] for i in misses], root, self.workers)
        self.parsed = len(misses)
        fresh = dict(zip(misses, parsed, strict=True))
        results = []
        for i, key in enumerate(keys):
            digest, size, stamp = stats[i]
            if i in fresh:
                record, problems = fresh[i]
                self.records[key] = CachedRecord(digest, size, record, problems, stamp=stamp)
                self.changed.add(key)
            else:
                old = self.previous[key]
                if old.stamp != stamp:  # the same bytes, written again (touched, copied back)
                    old.stamp = stamp
                    self.restamped.add(key)
                self.records[key] = old
                record, problems = old.record, old.problems
            results.append((record, problems))
        self.changed.update(set(self.previous) - set(self.records))  # removed files
        return results
