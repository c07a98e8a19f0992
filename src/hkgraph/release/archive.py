"""Versioned, reproducible, checksummed dataset releases, and the tools to check and open them.

``make_release`` builds the data afresh, compares it with the previous release (data SemVer, see
:mod:`hkgraph.release.changes`), and writes ``dist/release/hkgraph-X.Y.Z/`` with ``hkgraph-X.Y.Z.zip`` and
``hkgraph-X.Y.Z.tar.gz`` beside it. The same sources and the same timestamp give byte-identical
archives: entries are sorted, times are fixed (``SOURCE_DATE_EPOCH``, else the latest commit's
time, else 1980-01-01), owners and permissions are fixed, gzip headers carry no name and a fixed time.

``verify_release`` checks a release folder or archive against its SHA256SUMS and datapackage.json;
``open_release`` unpacks a release into a cached folder that works as a build folder (``dist/``).
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .. import __version__
from ..compile.build import build
from ..compile.schema import drifted
from ..compile.sqlite import ENTITY_TABLES
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
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
_CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
_CHUNK = 1 << 20


class ReleaseError(Exception):
    """A release cannot be made, read or opened; the message says why."""


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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _walk(folder: Path) -> list[str]:
    """Every file under ``folder`` as a POSIX path relative to it, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def file_infos(folder: Path) -> dict[str, d.FileInfo]:
    return {rel: d.FileInfo(rel, (folder / rel).stat().st_size, sha256_file(folder / rel)) for rel in _walk(folder)}


def write_checksums(folder: Path) -> Path:
    """SHA256SUMS over every file in ``folder`` (in the format ``sha256sum -c`` reads)."""
    lines = [f"{sha256_file(folder / rel)}  {rel}\n" for rel in _walk(folder) if rel != "SHA256SUMS"]
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


def _safe_member(name: str) -> str:
    """An archive member name that stays inside the extraction folder, else ReleaseError."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or ":" in posix.parts[0]:
        raise ReleaseError(f"unsafe path in the archive: {name!r}")
    return posix.as_posix()


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES)


def extract_release(archive: Path, dest: Path) -> Path:
    """Unpack a release archive into ``dest``; returns the release folder inside it.

    Only plain files and folders are accepted; absolute paths, ``..`` and links are refused.
    """
    dest.mkdir(parents=True, exist_ok=True)
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    rel = _safe_member(info.filename)
                    kind = stat.S_IFMT(info.external_attr >> 16)
                    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                        raise ReleaseError(f"{archive.name}: {info.filename} is not a plain file")
                    target = dest / rel
                    if info.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, target.open("wb") as out:
                        shutil.copyfileobj(src, out, _CHUNK)
        elif archive.name.endswith((".tar.gz", ".tgz")):
            with tarfile.open(archive, "r:gz") as tar:
                for member in tar:
                    rel = _safe_member(member.name)
                    target = dest / rel
                    if member.isdir():
                        target.mkdir(parents=True, exist_ok=True)
                    elif member.isfile():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        src = tar.extractfile(member)
                        assert src is not None
                        with src, target.open("wb") as out:
                            shutil.copyfileobj(src, out, _CHUNK)
                    else:
                        raise ReleaseError(f"{archive.name}: {member.name} is not a plain file")
        else:
            raise ReleaseError(f"{archive}: not a release archive (expected .zip or .tar.gz)")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, OSError) as exc:
        if isinstance(exc, ReleaseError):
            raise
        raise ReleaseError(f"{archive}: cannot read the archive: {exc}") from exc
    tops = [p for p in dest.iterdir()]
    if len(tops) == 1 and tops[0].is_dir():
        return tops[0]
    return dest


@contextmanager
def unpacked(path: Path) -> Iterator[Path]:
    """A release folder for ``path`` (a folder as is, an archive unpacked into a temporary folder)."""
    if path.is_dir():
        yield path
        return
    if not is_archive(path):
        raise ReleaseError(f"{path}: not a release folder or archive (.zip, .tar.gz)")
    with tempfile.TemporaryDirectory(prefix="hkgraph-release-") as tmp:
        yield extract_release(path, Path(tmp))


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


@dataclass
class Verification:
    """The outcome of checking a release: every file that does not match, with the reason."""

    path: Path
    version: str | None = None
    files: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_release(path: Path | str) -> Verification:
    """Check a release folder or archive against its SHA256SUMS and its datapackage.json."""
    path = Path(path)
    try:
        with unpacked(path) as folder:
            result = verify_folder(folder)
    except ReleaseError as exc:
        return Verification(path, problems=[str(exc)])
    result.path = path
    return result


def verify_folder(folder: Path) -> Verification:
    result = Verification(folder)
    present = set(_walk(folder))
    result.files = len(present)
    bad: dict[str, str] = {}

    sums = folder / "SHA256SUMS"
    listed: dict[str, str] = {}
    if not sums.is_file():
        bad["SHA256SUMS"] = "missing"
    else:
        for number, line in enumerate(sums.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            match = _CHECKSUM_LINE.match(line)
            if not match:
                bad[f"SHA256SUMS:{number}"] = "not a checksum line (`<sha256>  <path>`)"
                continue
            listed[match.group(2)] = match.group(1)
    for rel, expected in sorted(listed.items()):
        if rel not in present:
            bad[rel] = "missing"
            continue
        actual = sha256_file(folder / rel)
        if actual != expected:
            bad[rel] = f"SHA-256 does not match SHA256SUMS (expected {expected[:12]}…, got {actual[:12]}…)"
    for rel in sorted(present - listed.keys() - {"SHA256SUMS"}):
        if sums.is_file():
            bad[rel] = "not listed in SHA256SUMS"

    package_path = folder / "datapackage.json"
    try:
        package = json.loads(package_path.read_text(encoding="utf-8"))
        result.version = str(package.get("version"))
        resources = package["resources"]
    except (OSError, ValueError, KeyError, AttributeError) as exc:
        bad.setdefault("datapackage.json", f"not a readable data package: {exc}")
        resources = []
    for resource in resources:
        problem = _check_resource(folder, resource)
        if problem:
            rel, message = problem
            bad.setdefault(rel, message)
    result.problems = [f"{rel}: {message}" for rel, message in sorted(bad.items())]
    return result


def _check_resource(folder: Path, resource: dict[str, Any]) -> tuple[str, str] | None:
    rel = resource.get("path")
    if not isinstance(rel, str):
        return "datapackage.json", f"resource {resource.get('name')!r} has no single path"
    try:
        target = folder / _safe_member(rel)
    except ReleaseError as exc:
        return "datapackage.json", str(exc)
    if not target.is_file():
        return rel, "missing (listed in datapackage.json)"
    size = target.stat().st_size
    if "bytes" in resource and resource["bytes"] != size:
        return rel, f"size does not match datapackage.json (expected {resource['bytes']}, got {size})"
    algorithm, _, digest = str(resource.get("hash", "")).rpartition(":")
    if digest and algorithm == "sha256" and sha256_file(target) != digest:
        return rel, "SHA-256 does not match datapackage.json"
    fields = (resource.get("schema") or {}).get("fields")
    if fields:
        with target.open(encoding="utf-8", newline="") as f:
            header = f.readline().rstrip("\r\n").split(",")
        names = [str(f["name"]) for f in fields]
        if header != names:
            return rel, f"CSV header {header} does not match the Table Schema fields {names}"
    return None


# ----------------------------------------------------------------------------------------- opening


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hkgraph" / "releases"


def open_release(path: Path | str, cache_dir: Path | str | None = None) -> Path:
    """A folder usable as a build folder (hkgraph.db, hkgraph.nt, the oxigraph store) for a release.

    ``path`` is a release archive (.zip, .tar.gz) or folder. The release is checked against its
    SHA256SUMS, unpacked once into the cache (``$XDG_CACHE_HOME/hkgraph/releases`` by default, keyed by
    the archive's SHA-256), and the same folder is returned on later calls.

    :raises ReleaseError: when the path is not a release or its files do not match their checksums.
    """
    import pyoxigraph as ox

    path = Path(path).resolve()
    if path.is_dir():
        sums = path / "SHA256SUMS"
        if not sums.is_file():
            raise ReleaseError(f"{path}: not a hkgraph release (no SHA256SUMS)")
        key = hashlib.sha256(str(path).encode() + b"\0" + sums.read_bytes()).hexdigest()
    elif is_archive(path):
        key = sha256_file(path)
    else:
        raise ReleaseError(f"{path}: no such release folder or archive (.zip, .tar.gz)")
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    stem = path.name
    for suffix in ARCHIVE_SUFFIXES:
        stem = stem.removesuffix(suffix)
    target = cache / f"{stem}-{key[:16]}"
    if (target / "hkgraph.nt").is_file() and (target / "hkgraph.db").is_file():
        return target

    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache))
    try:
        if path.is_dir():
            folder = work / stem
            shutil.copytree(path, folder)
        else:
            folder = extract_release(path, work / "x")
        checked = verify_folder(folder)
        if not checked.ok:
            raise ReleaseError(f"{path}: the release does not match its checksums:\n" + "\n".join(checked.problems))
        with gzip.open(folder / "hkgraph.nt.gz", "rb") as src, (folder / "hkgraph.nt").open("wb") as out:
            shutil.copyfileobj(src, out, _CHUNK)
        store = ox.Store(str(folder / "oxigraph"))
        store.bulk_load(path=str(folder / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store
        try:
            folder.rename(target)
        except OSError:
            if not (target / "hkgraph.nt").is_file():  # not another process that got there first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


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
            match = _CHECKSUM_LINE.match(line)
            if match:
                listed[match.group(2)] = match.group(1)
    out: list[dict[str, Any]] = []
    for suffix in ("zip", "tar.gz"):
        archive = folder.parent / f"{name}.{suffix}"
        if archive.is_file():
            out.append(_download(archive.name, DOWNLOADS[suffix], archive, sha256_file(archive), base_url))
    for rel, text in DOWNLOADS.items():
        path = folder / rel
        if rel in ("zip", "tar.gz") or not path.is_file():
            continue
        digest = listed.get(rel) or sha256_file(path)
        out.append(_download(f"{name}/{rel}", text, path, digest, base_url))
    return out


def _download(rel: str, text: str, path: Path, digest: str, base_url: str) -> dict[str, Any]:
    return {
        "name": PurePosixPath(rel).name, "description": text, "bytes": path.stat().st_size, "sha256": digest,
        "media_type": d.media_type(path.name), "url": base_url + rel,
    }
