"""Build dist/ from data/: validate, compile to RDF and SQLite, check SHACL, then swap in atomically.

The build writes into a temporary folder beside the output and replaces the output only when every
step succeeded, so a failed validation or a crash leaves the previous build untouched.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .checks import check_dataset
from .load import ENTITIES_DIR, ENTRIES_DIR, Dataset, load_dataset
from .problems import DataError, Problem
from .rdf import to_triples, write_rdf
from .sqlite import to_sqlite

BUILD_INFO = "build-info.json"
SCHEMA_DIR = Path("schema")


class ShaclError(Exception):
    """The compiled graph does not conform to schema/shapes.ttl."""


@dataclass
class BuildResult:
    out_dir: Path
    dataset: Dataset
    triples: int
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def input_fingerprint(root: Path) -> str:
    """A hash over every input file's path, size and modification time (cheap staleness check)."""
    h = hashlib.sha256(__version__.encode())
    for folder in (root / ENTRIES_DIR, root / ENTITIES_DIR, root / SCHEMA_DIR):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                st = path.stat()
                h.update(f"{path.relative_to(root)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def is_stale(root: Path, out_dir: Path) -> bool:
    info = out_dir / BUILD_INFO
    if not info.exists() or not (out_dir / "hkgraph.db").exists():
        return True
    try:
        return json.loads(info.read_text())["fingerprint"] != input_fingerprint(root)
    except (ValueError, KeyError):
        return True


def check_shacl(nt_path: Path, shapes_path: Path) -> None:
    """Validate the compiled N-Triples against the SHACL shapes with pyshacl."""
    import pyshacl
    import rdflib

    data = rdflib.Graph()
    data.parse(nt_path, format="nt")
    shapes = rdflib.Graph()
    shapes.parse(shapes_path, format="turtle")
    conforms, _graph, text = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
    if not conforms:
        raise ShaclError(f"the graph does not conform to {shapes_path}:\n{text}")


def build(
    root: Path | str = ".",
    out_dir: Path | str = "dist",
    *,
    shacl: bool = True,
    hook: Callable[[str, Path], None] | None = None,
) -> BuildResult:
    """Validate the data under ``root`` and write the compiled files into ``out_dir`` atomically.

    :param shacl: check the graph against schema/shapes.ttl (slow on very large graphs).
    :param hook: called as ``hook(stage, tmp_dir)`` after each stage (used by tests to simulate a crash).
    :raises DataError: when the data does not validate; nothing is written.
    """
    root = Path(root).resolve()
    out_dir = Path(out_dir)
    if not out_dir.is_absolute():
        out_dir = root / out_dir
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    fingerprint = input_fingerprint(root)
    dataset = load_dataset(root)
    timings["load"] = time.perf_counter() - t0

    t = time.perf_counter()
    problems = check_dataset(dataset)
    timings["check"] = time.perf_counter() - t
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise DataError(problems)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        t = time.perf_counter()
        triples = to_triples(dataset)
        timings["rdf"] = time.perf_counter() - t
        t = time.perf_counter()
        write_rdf(triples, tmp)
        timings["serialize"] = time.perf_counter() - t
        _stage(hook, "rdf", tmp)
        if shacl:
            t = time.perf_counter()
            check_shacl(tmp / "hkgraph.nt", root / SCHEMA_DIR / "shapes.ttl")
            timings["shacl"] = time.perf_counter() - t
        t = time.perf_counter()
        to_sqlite(dataset, tmp / "hkgraph.db")
        timings["sqlite"] = time.perf_counter() - t
        _stage(hook, "sqlite", tmp)
        t = time.perf_counter()
        store = ox.Store(str(tmp / "oxigraph"))
        store.bulk_load(path=str(tmp / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store
        timings["store"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - t0
        info = {
            "hkgraph": __version__,
            "fingerprint": fingerprint,
            "tips": len(dataset.tips),
            "entities": {k: len(v) for k, v in dataset.entities.items()},
            "triples": len(triples),
        }
        (tmp / BUILD_INFO).write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
        _stage(hook, "done", tmp)
        _swap(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return BuildResult(out_dir, dataset, len(triples), timings, [p for p in problems if p.severity != "error"])


def _stage(hook: Callable[[str, Path], None] | None, stage: str, tmp: Path) -> None:
    if hook is not None:
        hook(stage, tmp)


# Folders other commands write into the output folder; a rebuild carries them over.
KEEP = ("release",)


def _swap(new: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` with ``new``; the old one is removed only once the new one is in place."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}-old-{time.time_ns()}")
        out_dir.rename(old)
    new.rename(out_dir)
    if old is not None:
        for name in KEEP:
            if (old / name).exists() and not (out_dir / name).exists():
                (old / name).rename(out_dir / name)
        shutil.rmtree(old, ignore_errors=True)


def ensure_built(root: Path | str = ".", out_dir: Path | str = "dist") -> Path:
    """Build when the inputs changed since the last build; returns the output folder."""
    root = Path(root).resolve()
    out = Path(out_dir) if Path(out_dir).is_absolute() else root / out_dir
    if is_stale(root, out):
        build(root, out)
    return out
