"""Write the RDF files of a build, all at once or by rewriting only the subjects that changed.

Every file is a sequence of per-subject blocks in one order (the subjects' N-Triples lines sorted as
bytes): N-Triples lines, a Turtle statement, a JSON-LD node object on one line. A full build writes
every block and records each block's length (the :class:`Layout`). A rebuild after a few records
changed re-renders only the blocks of the subjects those records wrote triples about (before or
after the change), copies every other block from the previous files, and reports the N-Triples lines
that went and came so the SPARQL store can be patched instead of reloaded.

The graph is the union of the triples each record contributes (:func:`hkgraph.rdf.record_triples`),
so a subject's block depends only on the records that write about it; a rebuild therefore gives the
same bytes as a full build (tests/test_incremental.py checks it).
"""

from __future__ import annotations

import bisect
import itertools
import os
import time
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable
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
    jsonld_line,
    jsonld_nodes,
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


def render(lines: list[bytes], triples: list[Triple]) -> dict[str, bytes]:
    """The blocks of one subject (its triples sorted and unique, with their N-Triples lines)."""
    ttl = ox.serialize(triples, None, ox.RdfFormat.TURTLE, prefixes=PREFIXES)
    ttl_lines = ttl.split(b"\n")
    start = 0
    while start < len(ttl_lines) and ttl_lines[start].startswith(b"@prefix"):
        start += 1
    [node] = jsonld_nodes(triples)
    return {
        "nt": b"".join(line + b"\n" for line in lines),
        "ttl": b"\n".join(ttl_lines[start:]),
        "jsonld": jsonld_line(node),
    }


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


def write_full(
    records: dict[str, Any], out_dir: Path, written: Callable[[str, Layout], None] | None = None
) -> RdfResult:
    """Write the three RDF files for every record in ``records`` (key → validated record).

    :param written: called with the format's name and the layout so far as soon as each file is complete.
    """
    t0 = time.perf_counter()
    keys: list[str] = []
    counts: list[int] = []
    flat: list[Triple] = []
    for key, record in records.items():
        triples = record_triples(record)
        keys.append(key)
        counts.append(len(triples))
        flat.extend(triples)
    lines = _nt_lines(flat)
    record_subjects: dict[str, tuple[bytes, ...]] = {}
    pos = 0
    for key, n in zip(keys, counts, strict=True):
        record_subjects[key] = tuple(sorted({_subject(line) for line in lines[pos:pos + n]}))
        pos += n
    lines, triples = _sorted_unique(lines, flat)
    del flat
    t1 = time.perf_counter()

    layout = Layout(triples=len(lines))
    nt_lengths = array("Q")
    last = None
    for line in lines:
        subject = _subject(line)
        if subject != last:
            layout.subjects.append(subject)
            nt_lengths.append(0)
            last = subject
        nt_lengths[-1] += len(line) + 1
    layout.blocks["nt"] = nt_lengths
    (out_dir / FILES["nt"]).write_bytes(b"\n".join(lines) + b"\n" if lines else b"")
    del lines
    if written:
        written("nt", layout)

    ttl = turtle_bytes(triples)
    head = _ttl_head() if ttl else b""
    if not ttl.startswith(head):  # pragma: no cover - guards the layout assumption
        raise LayoutError("the Turtle file does not start with the prefix lines")
    layout.blocks["ttl"] = _ttl_lengths(ttl[len(head):])
    (out_dir / FILES["ttl"]).write_bytes(ttl)
    del ttl

    jsonld = [jsonld_line(node) for node in jsonld_nodes(triples)]
    layout.blocks["jsonld"] = array("Q", map(len, jsonld))
    (out_dir / FILES["jsonld"]).write_bytes(_assemble("jsonld", jsonld))
    del jsonld
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
