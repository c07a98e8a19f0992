"""Check the compiled graph against schema/shapes.ttl with pyshacl: all of it, or a fixed sample.

pyshacl works on an rdflib graph and takes about 50 µs per triple, so checking a graph of 100,000 tips
(~3 million triples) would take minutes. The shapes are derived from the same pydantic models every
record was validated against, so what SHACL can still catch is a compiler bug, and a compiler bug
shows in every record of a kind. hence:

- a graph of up to ``FULL_LIMIT`` triples (the curated data) is checked whole;
- a larger one is checked on a fixed sample of subjects: those whose CRC-32 is a multiple of a
  power of two chosen so that ``SAMPLE_SIZE / 2`` to ``SAMPLE_SIZE`` triples are checked, together with the
  ``rdf:type`` triples of everything the sampled subjects refer to (``sh:class`` needs them; the
  results about those typed-only nodes are ignored).

The sample depends only on the subjects' IRIs and the size of the graph, so a rebuild checks the
sampled subjects it rewrote and trusts the ones it copied (they passed before).
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox

FULL_LIMIT = 20_000
SAMPLE_SIZE = 2_000
_RDF_TYPE = b"<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"


class ShaclError(Exception):
    """The compiled graph does not conform to schema/shapes.ttl."""


def stride(triples: int) -> int:
    """1 to check every subject, else k: check the subjects whose CRC-32 is a multiple of k."""
    if triples <= FULL_LIMIT:
        return 1
    return 2 ** math.ceil(math.log2(triples / SAMPLE_SIZE))


def sampled(subject: bytes, k: int) -> bool:
    return k == 1 or zlib.crc32(subject) % k == 0


def sample_lines(subjects: Iterable[bytes], block_of: Callable[[bytes], bytes | None]) -> bytes:
    """The N-Triples of ``subjects`` and the ``rdf:type`` lines of every IRI they refer to.

    :param block_of: subject → its N-Triples block (None when the graph has no such subject).
    """
    lines: list[bytes] = []
    referenced: set[bytes] = set()
    chosen = set(subjects)
    for subject in sorted(chosen):
        block = block_of(subject)
        if not block:
            continue
        lines.append(block)
        for triple in ox.parse(block, format=ox.RdfFormat.N_TRIPLES):
            if isinstance(triple.object, ox.NamedNode):
                referenced.add(f"<{triple.object.value}>".encode())
    for iri in sorted(referenced - chosen):
        block = block_of(iri)
        if block:
            lines.extend(line + b"\n" for line in block.split(b"\n") if line.split(b" ", 2)[1:2] == [_RDF_TYPE])
    return b"".join(lines)


def check(nt: bytes, shapes_path: Path, focus: Iterable[bytes] | None = None) -> None:
    """Validate N-Triples against the SHACL shapes; :class:`ShaclError` lists what does not conform.

    :param focus: only report results about these subjects (``b"<iri>"``); the other nodes of a sample
        (typed only so that ``sh:class`` can be checked) are incomplete by design.
    """
    import pyshacl
    import rdflib
    from rdflib.namespace import SH

    data = rdflib.Graph()
    if nt:
        data.parse(data=nt, format="nt")
    shapes = rdflib.Graph()
    shapes.parse(shapes_path, format="turtle")
    conforms, results, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    if conforms:
        return
    if focus is None:
        raise ShaclError(f"the graph does not conform to {shapes_path}:\n{text}")
    wanted = {rdflib.URIRef(s.decode()[1:-1]) for s in focus}
    problems = []
    for result in results.subjects(rdflib.RDF.type, SH.ValidationResult):
        node = results.value(result, SH.focusNode)
        if node in wanted:
            path = results.value(result, SH.resultPath)
            message = results.value(result, SH.resultMessage)
            problems.append(f"<{node}> {path}: {message}")
    if problems:
        listed = "\n".join(sorted(problems))
        raise ShaclError(f"the graph does not conform to {shapes_path}:\n{listed}")
