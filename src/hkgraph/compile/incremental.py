"""Write the RDF files of a build, all at once or by rewriting only the subjects that changed.

Every file is a sequence of per-subject blocks in one order (the subjects' N-Triples lines sorted as
bytes): N-Triples lines, a Turtle statement, a JSON-LD node object on one line. A full build writes
every block and records each block's length (the :class:`Layout`). A rebuild after a few records
changed re-renders only the blocks of the subjects those records wrote triples about (before or
after the change), copies every other block from the previous files, and reports the N-Triples lines
that went and came so the SPARQL store can be patched instead of reloaded.

The graph is the union of the triples each record contributes (:func:`hkgraph.compile.rdf.record_triples`),
so a subject's block depends only on the records that write about it; a rebuild therefore gives the
same bytes as a full build (tests/compile/test_incremental.py checks it).
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import multiprocessing
import os
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import pyoxigraph as ox

from .rdf import (
    JSONLD_HEAD,
    JSONLD_SEPARATOR,
    JSONLD_TAIL,
    PREFIXES,
    Triple,
    jsonld_line_from_nt,
    record_triples,
    turtle_bytes,
)

FILES = {"nt": "hkgraph.nt", "ttl": "hkgraph.ttl", "jsonld": "hkgraph.jsonld"}


class LayoutError(Exception):
    """The previous files do not have the layout the state describes (the caller builds in full)."""


@dataclass
class Layout:
    """Where each subject's block stands in each file: subjects in file order, block lengths per format."""

    subjects: list[bytes] = field(default_factory=list)  # N-Triples form, b"<iri>"
    blocks: dict[str, array] = field(default_factory=dict)
    triples: int = 0


@dataclass
class RdfResult:
    layout: Layout
    record_subjects: dict[str, tuple[bytes, ...]]  # record key → subjects it writes about
    removed: list[bytes] = field(default_factory=list)  # N-Triples lines gone (rebuild only)
    added: list[bytes] = field(default_factory=list)  # N-Triples lines new (rebuild only)
    dirty: set[bytes] = field(default_factory=set)  # subjects re-rendered (rebuild only)
    seconds: dict[str, float] = field(default_factory=dict)  # "rdf" (triples), "serialize" (files)


_TTL_HEAD: list[bytes] = []


def _ttl_head() -> bytes:
    """The @prefix lines every (non-empty) Turtle file of the graph starts with."""
    if not _TTL_HEAD:
        probe = Triple(ox.NamedNode(PREFIXES["hk"] + "x"), ox.NamedNode(PREFIXES["hk"] + "y"), ox.Literal("z"))
        lines = turtle_bytes([probe]).split(b"\n")
        _TTL_HEAD.append(b"".join(line + b"\n" for line in lines if line.startswith(b"@prefix")))
    return _TTL_HEAD[0]


def _nt_lines(triples: list[Triple]) -> list[bytes]:
    """One N-Triples line (without the newline) per triple, in order."""
    if not triples:
        return []
    lines = ox.serialize(triples, None, ox.RdfFormat.N_TRIPLES).split(b"\n")
    lines.pop()
    if len(lines) != len(triples):  # pragma: no cover - a literal can never hold a raw newline in N-Triples
        raise LayoutError("N-Triples lines do not match the triples")
    return lines


def _subject(line: bytes) -> bytes:
    return line[: line.index(b" ")]


def _sorted_unique(lines: list[bytes], triples: list[Triple]) -> tuple[list[bytes], list[Triple]]:
    unique = dict(zip(lines, triples, strict=True))  # the first of equal lines wins: they are one triple
    ordered = sorted(unique)
    return ordered, [unique[line] for line in ordered]


def _turtle_body(triples: list[Any]) -> bytes:
    """pyoxigraph's Turtle for ``triples`` without the @prefix lines it starts with."""
    text = ox.serialize(triples, None, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    at = 0
    while text.startswith(b"@prefix", at):
        at = text.index(b"\n", at) + 1
    return text[at:]


def render(lines: list[bytes], triples: list[Triple]) -> dict[str, bytes]:
    """The blocks of one subject (its triples sorted and unique, with their N-Triples lines)."""
    nt = b"".join(line + b"\n" for line in lines)
    return {"nt": nt, "ttl": _turtle_body(triples), "jsonld": jsonld_line_from_nt(nt)}


def _ttl_lengths(body: bytes) -> array:
    """Byte length of each statement of pyoxigraph's Turtle (a statement's next lines start with a tab)."""
    lengths = array("Q")
    for line in body.split(b"\n")[:-1]:
        if line.startswith(b"\t"):
            lengths[-1] += len(line) + 1
        else:
            lengths.append(len(line) + 1)
    return lengths


def _assemble(fmt: str, blocks: Iterable[bytes]) -> bytes:
    if fmt == "nt":
        return b"".join(blocks)
    if fmt == "ttl":
        body = b"".join(blocks)
        return _ttl_head() + body if body else b""
    return JSONLD_HEAD + JSONLD_SEPARATOR.join(blocks) + JSONLD_TAIL


def _head(fmt: str, blocks: int) -> int:
    return {"nt": 0, "ttl": len(_ttl_head()) if blocks else 0, "jsonld": len(JSONLD_HEAD)}[fmt]


def _separator(fmt: str) -> int:
    return len(JSONLD_SEPARATOR) if fmt == "jsonld" else 0


def _write_parts(old: Path, new: Path, fmt: str, parts: list[tuple[int, int] | bytes]) -> None:
    """Write a file of ``parts``: byte ranges of ``old`` (copied in the kernel where it can) or bytes."""
    head = {"nt": b"", "ttl": _ttl_head() if parts else b"", "jsonld": JSONLD_HEAD}[fmt]
    sep = JSONLD_SEPARATOR if fmt == "jsonld" else b""
    with old.open("rb") as src, new.open("wb", buffering=0) as dst:  # unbuffered: copies go to the fd
        dst.write(head)
        for n, part in enumerate(parts):
            if n and sep:
                dst.write(sep)
            if isinstance(part, bytes):
                dst.write(part)
                continue
            offset, size = part
            _copy_range(src, dst, offset, size)
        if fmt == "jsonld":
            dst.write(JSONLD_TAIL)


def _copy_range(src: BinaryIO, dst: BinaryIO, offset: int, size: int) -> None:
    copy = getattr(os, "copy_file_range", None)
    while size > 0:
        done = 0
        if copy is not None:
            try:
                done = copy(src.fileno(), dst.fileno(), size, offset)
            except OSError:
                copy = None
        if not done:  # no in-kernel copy here: through memory
            src.seek(offset)
            chunk = src.read(min(size, 1 << 24))
            if not chunk:
                raise LayoutError("the previous file is shorter than the cache says")
            dst.write(chunk)
            done = len(chunk)
        offset += done
        size -= done


BATCH = 2000  # records compiled at a time (by one worker)
CHUNK = 20_000  # subjects turned into Turtle and JSON-LD at a time (by one worker)
_JOB: dict[str, Any] = {}  # what forked workers read (they inherit it; nothing is pickled to them)


def _merge(parts: list[bytes]) -> bytes:
    """One subject's block from the blocks several records wrote about it."""
    lines = {line for part in parts for line in part.split(b"\n")[:-1]}
    return b"".join(line + b"\n" for line in sorted(lines))


def _compile_batch(span: tuple[int, int]) -> tuple[list[tuple[str, tuple[bytes, ...]]], list[tuple[bytes, bytes]]]:
    """Records ``span`` of the job: (record key, its subjects) and (subject, N-Triples block) pairs."""
    batch = _JOB["items"][span[0]:span[1]]
    per_record = [record_triples(record) for _key, record in batch]
    lines = _nt_lines([t for triples in per_record for t in triples])
    subjects_of: list[tuple[str, tuple[bytes, ...]]] = []
    blocks: list[tuple[bytes, bytes]] = []
    pos = 0
    for (key, _record), triples in zip(batch, per_record, strict=True):
        own = sorted(set(lines[pos:pos + len(triples)]))  # a subject's lines are now together
        pos += len(triples)
        subjects: list[bytes] = []
        first = 0
        for i in range(1, len(own) + 1):
            if i == len(own) or not own[i].startswith(own[first][: own[first].index(b" ") + 1]):
                subject = own[first][: own[first].index(b" ")]
                subjects.append(subject)
                blocks.append((subject, b"\n".join(own[first:i]) + b"\n"))
                first = i
        subjects_of.append((key, tuple(subjects)))
    return subjects_of, blocks


def _render_chunk(span: tuple[int, int]) -> tuple[bytes, array, bytes, array]:
    """Subjects ``span`` of the job as (Turtle, statement lengths, JSON-LD lines, line lengths)."""
    starts: list[int] = _JOB["starts"]
    with open(_JOB["nt"], "rb") as f:
        f.seek(starts[span[0]])
        data = f.read(starts[span[1]] - starts[span[0]])
    ttl = _turtle_body(list(ox.parse(data, format=ox.RdfFormat.N_TRIPLES)))
    base = starts[span[0]]
    nodes = [jsonld_line_from_nt(data[starts[i] - base:starts[i + 1] - base]) for i in range(span[0], span[1])]
    return ttl, _ttl_lengths(ttl), JSONLD_SEPARATOR.join(nodes), array("Q", map(len, nodes))


@contextlib.contextmanager
def _workers(count: int, jobs: int) -> Iterator[Callable[[Callable[[Any], Any], list[Any]], Iterator[Any]]]:
    """An ordered ``map`` over ``count`` forked processes (forked on entry), or the built-in one."""
    if count < 2 or jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield map
        return
    pool = multiprocessing.get_context("fork").Pool(min(count, jobs))
    try:
        yield pool.imap
    finally:
        pool.terminate()
        pool.join()


def write_full(
    records: dict[str, Any], out_dir: Path, written: Callable[[str, Layout], None] | None = None, workers: int = 1
) -> RdfResult:
    """Write the three RDF files for every record in ``records`` (key → validated record).

    Records are compiled a batch at a time into per-subject blocks of N-Triples lines, and Turtle and
    JSON-LD are made a chunk of subjects at a time, by ``workers`` forked processes; memory stays near
    the size of the N-Triples file.

    :param written: called with the format's name and the layout so far as soon as each file is complete
        (after the last fork: a thread started then runs alone in this process).
    """
    t0 = time.perf_counter()
    blocks: dict[bytes, Any] = {}  # subject → its block (bytes), or the blocks of several records (list)
    record_subjects: dict[str, tuple[bytes, ...]] = {}
    _JOB["items"] = list(records.items())
    spans = [(i, i + BATCH) for i in range(0, len(_JOB["items"]), BATCH)]
    try:
        with _workers(workers, len(spans)) as fork_map:
            for subjects_of, batch_blocks in fork_map(_compile_batch, spans):
                record_subjects.update(subjects_of)
                for subject, block in batch_blocks:
                    previous = blocks.get(subject)
                    if previous is None:
                        blocks[subject] = block
                    elif type(previous) is list:
                        previous.append(block)
                    else:
                        blocks[subject] = [previous, block]
    finally:
        _JOB.clear()
    layout = Layout(subjects=sorted(blocks))
    t1 = time.perf_counter()

    nt_lengths = array("Q")
    with (out_dir / FILES["nt"]).open("wb") as nt:
        for subject in layout.subjects:
            block = blocks.pop(subject)
            if type(block) is list:
                block = _merge(block)
            nt.write(block)
            nt_lengths.append(len(block))
            layout.triples += block.count(b"\n")
    layout.blocks["nt"] = nt_lengths
    del blocks

    _JOB.update(nt=out_dir / FILES["nt"], starts=list(itertools.accumulate(nt_lengths, initial=0)))
    spans = [(i, min(i + CHUNK, len(layout.subjects))) for i in range(0, len(layout.subjects), CHUNK)]
    try:
        with _workers(workers, len(spans)) as fork_map:
            rendered = fork_map(_render_chunk, spans)
            if written:  # the workers are forked: a thread started now runs alone in this process
                written("nt", layout)
            ttl_lengths, jsonld_lengths = array("Q"), array("Q")
            with (out_dir / FILES["ttl"]).open("wb") as ttl, (out_dir / FILES["jsonld"]).open("wb") as jsonld:
                if layout.subjects:
                    ttl.write(_ttl_head())
                jsonld.write(JSONLD_HEAD)
                for n, part in enumerate(rendered):
                    ttl.write(part[0])
                    ttl_lengths.extend(part[1])
                    if n:
                        jsonld.write(JSONLD_SEPARATOR)
                    jsonld.write(part[2])
                    jsonld_lengths.extend(part[3])
                jsonld.write(JSONLD_TAIL)
    finally:
        _JOB.clear()
    layout.blocks["ttl"], layout.blocks["jsonld"] = ttl_lengths, jsonld_lengths
    for fmt, lengths in layout.blocks.items():
        if len(lengths) != len(layout.subjects):  # pragma: no cover - guards the layout assumption
            raise LayoutError(f"{fmt}: {len(lengths)} blocks for {len(layout.subjects)} subjects")
    return RdfResult(layout, record_subjects, seconds={"rdf": t1 - t0, "serialize": time.perf_counter() - t1})


def write_changed(
    records: dict[str, Any],
    previous: Layout,
    previous_subjects: dict[str, tuple[bytes, ...]],
    changed: set[str],
    old_dir: Path,
    out_dir: Path,
) -> RdfResult:
    """Write the RDF files after the records in ``changed`` were added, edited or removed.

    :param records: every current record (key → validated record).
    :param previous_subjects: for every record of the previous build, the subjects it wrote about.
    :raises LayoutError: when the previous files are not what ``previous`` describes.
    """
    record_subjects = {k: v for k, v in previous_subjects.items() if k not in changed}
    fresh: dict[str, tuple[list[bytes], list[Triple]]] = {}
    for key in changed:
        if key in records:
            triples = record_triples(records[key])
            lines = _nt_lines(triples)
            fresh[key] = (lines, triples)
            record_subjects[key] = tuple(sorted({_subject(line) for line in lines}))
    dirty: set[bytes] = set()
    for key in changed:
        dirty.update(previous_subjects.get(key, ()))
        dirty.update(record_subjects.get(key, ()))
    contributors: dict[bytes, list[str]] = defaultdict(list)
    for key, subjects in record_subjects.items():
        for subject in subjects:
            if subject in dirty:
                contributors[subject].append(key)

    def contribution(key: str) -> tuple[list[bytes], list[Triple]]:
        if key not in fresh:
            triples = record_triples(records[key])
            fresh[key] = (_nt_lines(triples), triples)
        return fresh[key]

    new_blocks: dict[bytes, dict[str, bytes] | None] = {}
    new_lines: dict[bytes, list[bytes]] = {}
    for subject in dirty:
        lines: list[bytes] = []
        triples: list[Triple] = []
        for key in contributors.get(subject, ()):
            for line, triple in zip(*contribution(key), strict=True):
                if line.startswith(subject + b" "):
                    lines.append(line)
                    triples.append(triple)
        lines, triples = _sorted_unique(lines, triples)
        new_lines[subject] = lines
        new_blocks[subject] = render(lines, triples) if lines else None

    offsets: dict[str, list[int]] = {}
    for fmt, lengths in previous.blocks.items():
        sep = _separator(fmt)
        starts = list(itertools.accumulate((n + sep for n in lengths), initial=_head(fmt, len(lengths))))
        size = starts[-1] - (sep if lengths else 0) + (len(JSONLD_TAIL) if fmt == "jsonld" else 0)
        try:
            actual = (old_dir / FILES[fmt]).stat().st_size
        except OSError:
            actual = -1
        if len(lengths) != len(previous.subjects) or actual != size:
            raise LayoutError(f"{FILES[fmt]} is not the file the cache describes")
        offsets[fmt] = starts

    result = RdfResult(Layout(), record_subjects, dirty=dirty)
    index = {s: i for i, s in enumerate(previous.subjects)}
    with (old_dir / FILES["nt"]).open("rb") as nt:
        for subject in sorted(dirty):
            old_lines: set[bytes] = set()
            if subject in index:
                i = index[subject]
                nt.seek(offsets["nt"][i])
                old_lines = set(nt.read(previous.blocks["nt"][i]).split(b"\n")[:-1])
            now = set(new_lines[subject])
            result.removed.extend(sorted(old_lines - now))
            result.added.extend(sorted(now - old_lines))

    subjects = [s for s in previous.subjects if s not in dirty]
    for subject in sorted(s for s in dirty if new_blocks[s] is not None):
        subjects.insert(bisect.bisect_left(subjects, subject), subject)
    # the new files as pieces: runs of consecutive old blocks (copied from the old file) and new blocks
    pieces: list[tuple[int, int] | bytes] = []  # (first, last) old block indexes, or a new subject
    for subject in subjects:
        i = index[subject] if subject not in new_blocks else -1
        if i >= 0 and pieces and isinstance(pieces[-1], tuple) and pieces[-1][1] == i - 1:
            pieces[-1] = (pieces[-1][0], i)
        else:
            pieces.append((i, i) if i >= 0 else subject)
    layout = result.layout
    layout.subjects = subjects
    for fmt in FILES:
        starts, lengths = offsets[fmt], previous.blocks[fmt]
        parts: list[tuple[int, int] | bytes] = []  # (offset, size) in the old file, or bytes
        new_lengths = array("Q")
        for piece in pieces:
            if isinstance(piece, tuple):
                first, last = piece
                parts.append((starts[first], starts[last] + lengths[last] - starts[first]))
                new_lengths.extend(lengths[first:last + 1])
            else:
                block = new_blocks[piece][fmt]  # type: ignore[index]
                parts.append(block)
                new_lengths.append(len(block))
        layout.blocks[fmt] = new_lengths
        _write_parts(old_dir / FILES[fmt], out_dir / FILES[fmt], fmt, parts)
    layout.triples = previous.triples - len(result.removed) + len(result.added)
    return result
