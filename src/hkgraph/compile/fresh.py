"""Is dist/ up to date? Answered from file metadata, importing nothing heavy.

Every command that reads the built files (``query``, ``tips``, ``serve`` …) first asks whether data/
changed since the last build, and ``hkgraph build`` asks whether there is anything to do at all. Both
answers come from here, without loading the compiler, the models or pyoxigraph, so that a command on
an up-to-date build costs little more than the question it asks.

- :func:`input_fingerprint` hashes the path, size, modification time, change time and inode of every
  input file (records, schema/, data/coverage.tsv). An edit whose modification time was put back still
  changes the change time, which no program can set; a file replaced by another gets another inode.
- :func:`up_to_date` adds what a no-op build must also be sure of: hkgraph's own code (its files'
  metadata), the output files (their metadata as the last build left them: a file edited or damaged by
  hand no longer matches), whether SHACL was checked, and that no killed build left anything to clean
  up. When anything differs, the build runs and trusts content hashes (:mod:`hkgraph.compile.cache`).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .. import __version__
from ..records.paths import COVERAGE_FILE, ENTITIES_DIR, ENTRIES_DIR, SCHEMA_DIR

BUILD_INFO = "build-info.json"
CURRENT = "current.json"  # in the cache folder: what the last build left (see :func:`record_build`)
OUTPUT_FILES = ("hkgraph.nt", "hkgraph.ttl", "hkgraph.jsonld", "hkgraph.db")
_PACKAGE = Path(__file__).resolve().parent.parent
CODE_DIRS = ("records", "compile")  # the code the outputs depend on (as in cache.code_fingerprint)


def cache_dir(out_dir: Path) -> Path:
    """Where the build keeps its state: ``dist/`` → ``.cache/hkgraph-dist/`` beside it."""
    return out_dir.parent / ".cache" / f"hkgraph-{out_dir.name}"


def file_stamp(path: str | Path) -> str:
    """Size, modification and change time and inode of a file: equal stamps mean the same bytes, unless
    the file was changed without any write (the change time moves with every write, and no program can
    set it back). Raises OSError."""
    st = os.stat(path)
    return f"{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}"


def _stamp(path: str) -> str:
    try:
        return file_stamp(path)
    except OSError:
        return "unreadable"


def _files(folder: str) -> list[str]:
    """Every file under ``folder`` (symbolic links to folders are not followed, as ``os.walk``)."""
    found: list[str] = []
    stack = [folder]
    while stack:
        top = stack.pop()
        try:
            entries = list(os.scandir(top))
        except OSError:
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                is_dir = False
            if is_dir:
                stack.append(entry.path)
            else:
                found.append(entry.path)
    return found


def input_fingerprint(root: Path) -> str:
    """A hash over every input file's path, size, modification and change time and inode (a cheap
    staleness check). The build itself trusts content hashes (:mod:`hkgraph.compile.cache`)."""
    base = str(root)
    start = len(base) + 1
    files: list[str] = []
    for folder in (ENTRIES_DIR, ENTITIES_DIR, SCHEMA_DIR):
        files.extend(_files(os.path.join(base, folder)))
    coverage = os.path.join(base, COVERAGE_FILE)
    if os.path.isfile(coverage):
        files.append(coverage)
    files.sort()
    lines = [__version__]
    lines += [f"{path[start:]}\0{_stamp(path)}" for path in files]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def code_stamp() -> str:
    """The metadata of hkgraph's source files that the outputs depend on (any edit changes it)."""
    files = [str(_PACKAGE / "__init__.py")]
    for folder in CODE_DIRS:
        files.extend(p for p in _files(str(_PACKAGE / folder)) if p.endswith(".py"))
    files.sort()
    return hashlib.sha256("\n".join(f"{p}\0{_stamp(p)}" for p in files).encode()).hexdigest()


def output_stamps(out_dir: Path) -> dict[str, str]:
    """The metadata of the files a build writes (and of the store's folder), and of the cache it leaves
    (a damaged cache means the next build starts from nothing, as it would after a change)."""
    stamps = {name: _stamp(str(out_dir / name)) for name in (*OUTPUT_FILES, BUILD_INFO, "oxigraph")}
    cache = cache_dir(out_dir)
    try:
        names = sorted(n for n in os.listdir(cache) if n.startswith(("state.sqlite", "records-")))
    except OSError:
        names = []
    stamps.update({f"cache/{name}": _stamp(str(cache / name)) for name in names})
    return stamps


def build_info(out_dir: Path) -> dict[str, Any] | None:
    try:
        info = json.loads((out_dir / BUILD_INFO).read_text())
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) else None


def is_stale(root: Path, out_dir: Path) -> bool:
    """True when the inputs changed since the build in ``out_dir`` (or there is none)."""
    info = build_info(out_dir)
    if info is None or not (out_dir / "hkgraph.db").exists():
        return True
    return info.get("fingerprint") != input_fingerprint(root)


def record_build(root: Path, out_dir: Path, fingerprint: str, shacl: bool) -> None:
    """After a build: remember what :func:`up_to_date` compares with (in the cache folder)."""
    state = {"root": str(root), "inputs": fingerprint, "code": code_stamp(), "outputs": output_stamps(out_dir),
             "shacl": shacl}
    path = cache_dir(out_dir) / CURRENT
    tmp = path.with_name(f".{CURRENT}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(state))
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)  # without it, the next build only does its work again


def forget_build(out_dir: Path) -> None:
    """Before a build changes ``out_dir``: no no-op until it has finished."""
    (cache_dir(out_dir) / CURRENT).unlink(missing_ok=True)


def up_to_date(root: Path, out_dir: Path, *, shacl: bool = True) -> dict[str, Any] | None:
    """The build-info of ``out_dir`` when a build would change nothing, else None.

    Nothing to do means: the same inputs, the same hkgraph code, the outputs as the last build left
    them, SHACL checked when asked for, and no leftovers of a killed build to clean up.
    """
    return freshness(root, out_dir, shacl=shacl)[0]


def freshness(root: Path, out_dir: Path, *, shacl: bool = True) -> tuple[dict[str, Any] | None, str | None]:
    """:func:`up_to_date`, and the input fingerprint when it had to compute one (a build that follows
    takes it instead of hashing every file's metadata again)."""
    info = _up_to_date(root, out_dir, shacl)
    if isinstance(info, str):
        return None, info
    return info, None


def _up_to_date(root: Path, out_dir: Path, shacl: bool) -> dict[str, Any] | str | None:
    try:
        state = json.loads((cache_dir(out_dir) / CURRENT).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(state, dict) or state.get("root") != str(root):
        return None
    if shacl and not state.get("shacl"):
        return None
    info = build_info(out_dir)
    if info is None or info.get("fingerprint") != state.get("inputs"):
        return None
    if state.get("outputs") != output_stamps(out_dir) or state.get("code") != code_stamp():
        return None
    try:
        names = os.listdir(out_dir.parent)
    except OSError:
        return None
    if any(n.startswith((f".{out_dir.name}-", ".hkgraph-sql-")) for n in names):
        return None  # recover() has something to do
    fingerprint = input_fingerprint(root)
    if fingerprint != state["inputs"]:
        return fingerprint
    return info


def resolve(root: Path | str, out_dir: Path | str) -> tuple[Path, Path]:
    """(root, out_dir) as the build takes them: absolute, ``out_dir`` relative to ``root``."""
    root = Path(root).resolve()
    out = Path(out_dir)
    return root, out if out.is_absolute() else root / out


def ensure_built(root: Path | str = ".", out_dir: Path | str = "dist") -> Path:
    """Build when the inputs changed since the last build; returns the output folder."""
    root, out = resolve(root, out_dir)
    if is_stale(root, out):
        from .build import build

        build(root, out)
    return out
