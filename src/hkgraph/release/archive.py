"""Versioned, reproducible, checksummed dataset releases, and the tools to check and open them.

``make_release`` builds the data afresh, compares it with the previous release (data SemVer, see
:mod:`hkgraph.release.changes`), and writes ``dist/release/hkgraph-X.Y.Z/`` with ``hkgraph-X.Y.Z.zip`` and
``hkgraph-X.Y.Z.tar.gz`` beside it. The same sources and the same timestamp give byte-identical
archives: entries are sorted, times are fixed (``SOURCE_DATE_EPOCH``, else the latest commit's
time, else 1980-01-01), owners and permissions are fixed, gzip headers carry no name and a fixed time.

``verify_release`` checks a release folder or archive against its SHA256SUMS and datapackage.json;
``open_release`` unpacks a release into a cached folder that works as a build folder (``dist/``). Both
live in :mod:`hkgraph.query.releases` (with the limits that keep an archive bomb out), the one code path
that ``KnowledgeGraph.open``, ``hkgraph serve --release`` and ``hkgraph verify`` use.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .. import __version__
from ..compile.build import build
from ..compile.schema import drifted
from ..compile.sqlite import ENTITY_TABLES
from ..query.releases import (  # noqa: F401 - the release API, opened in one place for every caller
    ARCHIVE_SUFFIXES,
    CHECKSUM_LINE,
    ReleaseError,
    Verification,
    cached_sha256,
    default_cache_dir,
    extract_release,
    is_archive,
    open_release,
    safe_member,
    sha256_file,
    unpacked,
    verify_folder,
    verify_release,
    walk,
)
from . import describe as d
from .changes import (
    Changes,
    changelog,
    changelog_section,
    check_version,
    diff_records,
    diff_tables,
    parse_version,
    read_records,
    required_version,
    source_files,
)

PREFIX = "hkgraph-"
RELEASE_DIR = Path("dist") / "release"
FIXED_EPOCH = 315532800  # 1980-01-01T00:00:00Z: the earliest time a zip entry can carry
_CHUNK = 1 << 20


@dataclass
class Release:
    version: str
    folder: Path
    archives: list[Path]
    previous: str | None
    changes: Changes
    files: dict[str, d.FileInfo]


# ------------------------------------------------------------------------------------------- time


def source_date_epoch(root: Path) -> int:
    """The release timestamp: SOURCE_DATE_EPOCH, else the latest commit's time, else 1980-01-01."""
    env = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if env:
        if not env.isdigit():
            raise ReleaseError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {env!r}")
        return int(env)
    try:
        out = subprocess.run(
            ["git", "log", "-1", "--format=%ct"], cwd=root, capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
        return int(out)
    except (OSError, ValueError, subprocess.SubprocessError):
        return FIXED_EPOCH


def _utc(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC)


# --------------------------------------------------------------------------------------- checksums


def file_infos(folder: Path) -> dict[str, d.FileInfo]:
    return {rel: d.FileInfo(rel, (folder / rel).stat().st_size, sha256_file(folder / rel)) for rel in walk(folder)}


def write_checksums(folder: Path) -> Path:
    """SHA256SUMS over every file in ``folder`` (in the format ``sha256sum -c`` reads)."""
    lines = [f"{sha256_file(folder / rel)}  {rel}\n" for rel in walk(folder) if rel != "SHA256SUMS"]
    path = folder / "SHA256SUMS"
    path.write_text("".join(lines), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------- archives


def _entries(folder: Path) -> list[tuple[str, bool]]:
    """(relative POSIX path, is a folder) for everything under ``folder``, sorted by path."""
    return sorted((p.relative_to(folder).as_posix(), p.is_dir()) for p in folder.rglob("*"))


def write_tar_gz(folder: Path, dest: Path, epoch: int) -> Path:
    """A reproducible .tar.gz of ``folder`` (its name is the top-level entry)."""
    top = folder.name
    with dest.open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=9) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, is_dir in [("", True), *_entries(folder)]:
            info = tarfile.TarInfo(f"{top}/{rel}".rstrip("/"))
            info.mtime, info.uid, info.gid, info.uname, info.gname = epoch, 0, 0, "", ""
            if is_dir:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            else:
                info.mode, info.size = 0o644, (folder / rel).stat().st_size
                with (folder / rel).open("rb") as f:
                    tar.addfile(info, f)
    return dest


def write_zip(folder: Path, dest: Path, epoch: int) -> Path:
    """A reproducible .zip of ``folder`` (its name is the top-level entry)."""
    top = folder.name
    stamp = time.gmtime(max(epoch, FIXED_EPOCH))[:6]
    with zipfile.ZipFile(dest, "w") as zf:
        for rel, is_dir in [("", True), *_entries(folder)]:
            name = f"{top}/{rel}".rstrip("/") + ("/" if is_dir else "")
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, so that the permissions below are read
            if is_dir:
                info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10
                zf.writestr(info, b"")
            else:
                info.external_attr = (stat.S_IFREG | 0o644) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with (folder / rel).open("rb") as src, zf.open(info, "w") as out:
                    shutil.copyfileobj(src, out, _CHUNK)
    return dest


# ------------------------------------------------------------------------------------- finding them


def release_version(folder: Path) -> str:
    """The version a release folder declares in its datapackage.json."""
    try:
        version = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))["version"]
        parse_version(version)
        return str(version)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseError(f"{folder}: not a hkgraph release (no readable version in datapackage.json)") from exc


def list_releases(release_root: Path) -> dict[str, Path]:
    """version → release folder (or archive when no folder exists) under ``release_root``."""
    found: dict[str, Path] = {}
    if not release_root.is_dir():
        return found
    for path in sorted(release_root.iterdir()):
        if not path.name.startswith(PREFIX):
            continue
        stem = path.name[len(PREFIX):]
        for suffix in ARCHIVE_SUFFIXES:
            stem = stem.removesuffix(suffix)
        try:
            parse_version(stem)
        except ValueError:
            continue
        if path.is_dir() or (is_archive(path) and stem not in found):
            found[stem] = path
    return found


def latest_release(release_root: Path | str = RELEASE_DIR, below: str | None = None) -> Path | None:
    """The release with the highest version under ``release_root`` (lower than ``below`` if given)."""
    releases = list_releases(Path(release_root))
    versions = [v for v in releases if below is None or parse_version(v) < parse_version(below)]
    if not versions:
        return None
    return releases[max(versions, key=parse_version)]


# ---------------------------------------------------------------------------------------- building


def _gzip_file(src: Path, dest: Path, epoch: int) -> None:
    with src.open("rb") as f, dest.open("wb") as raw, \
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch, compresslevel=9) as gz:
        shutil.copyfileobj(f, gz, _CHUNK)


def _normalise(folder: Path, epoch: int) -> None:
    """Fixed permissions and times on everything in the folder (the archives fix them anyway)."""
    for path in [*folder.rglob("*"), folder]:
        path.chmod(0o755 if path.is_dir() else 0o644)
        os.utime(path, (epoch, epoch))


def make_release(
    root: Path | str = ".",
    *,
    version: str | None = None,
    previous: Path | str | None = None,
    out_dir: Path | str | None = None,
    epoch: int | None = None,
    force: bool = False,
) -> Release:
    """Build a release of the data under ``root``.

    :param version: X.Y.Z; default: the lowest version data SemVer allows (1.0.0 for a first release).
    :param previous: the release to compare with (folder or archive); default: the latest in ``out_dir``.
    :param out_dir: where releases live (default ``root``/dist/release).
    :param epoch: the timestamp of every file (default :func:`source_date_epoch`).
    :param force: replace a release of the same version.
    :raises DataError: when the data does not validate (nothing is written).
    :raises ReleaseError, VersionError: with the reason.
    """
    root = Path(root).resolve()
    out = Path(out_dir) if out_dir is not None else root / RELEASE_DIR
    out = out if out.is_absolute() else root / out
    if version is not None:
        parse_version(version)
    stale = drifted(root / "schema")
    if stale:
        raise ReleaseError(f"schema/ is out of date ({', '.join(stale)}): run `hkgraph schema` first")
    epoch = source_date_epoch(root) if epoch is None else epoch
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".release-", dir=out) as tmp_name:
        tmp = Path(tmp_name)
        result = build(root, tmp / "build")  # validates: raises DataError while any record has an error
        db = tmp / "build" / "hkgraph.db"
        tables = d.dictionary(db)
        new_tables = {"resources": [{"name": t.name, "schema": d.table_schema(t)} for t in tables]}

        prev_path = Path(previous) if previous is not None else latest_release(out, below=version)
        prev_version, changes, prev_changelog = None, Changes(), None
        if prev_path is not None:
            with unpacked(prev_path) as prev:
                prev_version = release_version(prev)
                changes = diff_records(read_records(prev), read_records(root))
                diff_tables(changes, json.loads((prev / "datapackage.json").read_text(encoding="utf-8")), new_tables)
                if (prev / "CHANGELOG.md").is_file():
                    prev_changelog = (prev / "CHANGELOG.md").read_text(encoding="utf-8")
        if version is None:
            version = required_version(prev_version, changes)
        check_version(version, prev_version, changes)

        name = f"{PREFIX}{version}"
        final = out / name
        archives = [out / f"{name}.zip", out / f"{name}.tar.gz"]
        existing = [p for p in (final, *archives) if p.exists()]
        if existing and not force:
            raise ReleaseError(f"release {version} already exists ({existing[0]}); pick another version or use --force")

        stage = tmp / name
        files = _assemble(stage, root, tmp / "build", tables, version, epoch, prev_version, changes, prev_changelog,
                          result.triples, result.dataset)
        _normalise(stage, epoch)
        built = []
        for archive in archives:
            part = tmp / archive.name
            (write_zip if archive.name.endswith(".zip") else write_tar_gz)(stage, part, epoch)
            built.append(part)
        if final.exists():
            shutil.rmtree(final)
        stage.rename(final)
        for part, archive in zip(built, archives, strict=True):
            os.replace(part, archive)
    return Release(version, final, archives, prev_version, changes, files)


def _assemble(
    stage: Path, root: Path, build_dir: Path, tables: list[d.Table], version: str, epoch: int,
    prev_version: str | None, changes: Changes, prev_changelog: str | None, triples: int, dataset: Any,
) -> dict[str, d.FileInfo]:
    """Write every file of the release into ``stage``; returns the file list (with SHA256SUMS)."""
    date = _utc(epoch).date().isoformat()
    created = _utc(epoch).strftime("%Y-%m-%dT%H:%M:%SZ")
    stage.mkdir()
    for name in ("hkgraph.db", "hkgraph.ttl", "hkgraph.jsonld"):
        shutil.copyfile(build_dir / name, stage / name)
    _gzip_file(build_dir / "hkgraph.nt", stage / "hkgraph.nt.gz", epoch)
    (stage / "csv").mkdir()
    rows = {t.name: d.write_csv(build_dir / "hkgraph.db", t, stage / "csv" / f"{t.name}.csv") for t in tables}
    for rel in source_files(root):
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(root / rel, stage / rel)
    (stage / "schema").mkdir()
    for path in sorted((root / "schema").iterdir()):
        if path.is_file():
            shutil.copyfile(path, stage / "schema" / path.name)
    (stage / "queries").mkdir()
    for name, text in d.EXAMPLE_QUERIES.items():
        (stage / "queries" / name).write_text(text, encoding="utf-8")
    if (root / "metadata.yml").is_file():  # lets `hkgraph serve --release` show the descriptions
        shutil.copyfile(root / "metadata.yml", stage / "metadata.yml")

    counts = {"tips": len(dataset.tips)}
    counts.update({ENTITY_TABLES[kind]: len(v) for kind, v in dataset.entities.items()})
    info = {
        "hkgraph": __version__, "version": version, "tips": len(dataset.tips),
        "entities": {k: len(v) for k, v in dataset.entities.items()}, "triples": triples,
    }
    (stage / "build-info.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    stats = d.graph_stats(build_dir / "hkgraph.nt")
    (stage / "LICENSE").write_text(d.license_text(), encoding="utf-8")
    (stage / "CITATION.cff").write_text(d.citation_cff(version, date), encoding="utf-8")
    (stage / "void.ttl").write_text(
        d.void_turtle(version, date, stats, ["hkgraph.ttl", "hkgraph.nt.gz", "hkgraph.jsonld"]), encoding="utf-8"
    )
    section = changelog_section(version, date, prev_version, changes, counts)
    (stage / "CHANGELOG.md").write_text(changelog(section, prev_changelog), encoding="utf-8")
    files = file_infos(stage)
    package = d.datapackage(version, created, tables, files, stats)
    (stage / "datapackage.json").write_text(
        json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    files = file_infos(stage)
    (stage / "README.md").write_text(d.readme(version, date, tables, stats, files, counts, rows), encoding="utf-8")
    write_checksums(stage)
    return file_infos(stage)


# ---------------------------------------------------------------------------------------- verifying


# ------------------------------------------------------------------------------------ download list

DOWNLOADS = {
    "zip": "the whole release as a zip archive",
    "tar.gz": "the whole release as a gzip-compressed tar archive",
    "hkgraph.db": "SQLite database with full-text search",
    "hkgraph.ttl": "RDF graph (Turtle)",
    "hkgraph.nt.gz": "RDF graph (N-Triples, gzip)",
    "hkgraph.jsonld": "RDF graph (JSON-LD)",
    "datapackage.json": "Frictionless Data Package descriptor",
    "void.ttl": "VoID description of the graph",
    "README.md": "what the release holds, with the data dictionary",
    "CHANGELOG.md": "what changed since the previous release",
    "CITATION.cff": "how to cite the dataset",
    "LICENSE": "the data licence (CC0 1.0)",
    "SHA256SUMS": "SHA-256 of every file",
}


def release_files(folder: Path | str, base_url: str = "") -> list[dict[str, Any]]:
    """The files a download page links for a release folder: its archives and its main files.

    Each entry has ``name``, ``description``, ``bytes``, ``sha256``, ``media_type`` and ``url``
    (``base_url`` + the path relative to the folder holding the release, e.g. with ``base_url``
    ``"/downloads/"``: ``/downloads/hkgraph-1.0.0.zip`` and ``/downloads/hkgraph-1.0.0/hkgraph.db``).
    """
    folder = Path(folder)
    name = folder.name
    listed: dict[str, str] = {}
    sums = folder / "SHA256SUMS"
    if sums.is_file():
        for line in sums.read_text(encoding="utf-8").splitlines():
            match = CHECKSUM_LINE.match(line)
            if match:
                listed[match.group(2)] = match.group(1)
    out: list[dict[str, Any]] = []
    for suffix in ("zip", "tar.gz"):
        archive = folder.parent / f"{name}.{suffix}"
        if archive.is_file():
            out.append(_download(archive.name, DOWNLOADS[suffix], archive, cached_sha256(archive), base_url))
    for rel, text in DOWNLOADS.items():
        path = folder / rel
        if rel in ("zip", "tar.gz") or not path.is_file():
            continue
        digest = listed.get(rel) or cached_sha256(path)
        out.append(_download(f"{name}/{rel}", text, path, digest, base_url))
    return out


def _download(rel: str, text: str, path: Path, digest: str, base_url: str) -> dict[str, Any]:
    return {
        "name": PurePosixPath(rel).name, "description": text, "bytes": path.stat().st_size, "sha256": digest,
        "media_type": d.media_type(path.name), "url": base_url + rel,
    }
