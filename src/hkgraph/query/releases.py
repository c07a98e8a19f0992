"""Opening and checking release archives: the one code path for ``KnowledgeGraph.open(archive)``,
``hkgraph serve --release``, ``hkgraph verify`` and the release comparison of ``hkgraph release``.

A release archive (``hkgraph-X.Y.Z.zip`` or ``.tar.gz``, written by :mod:`hkgraph.release.archive`) is
unpacked with limits that hold while it is read: plain files and folders only (a link, a device, an
absolute path or ``..`` is refused, loudly), at most :data:`MAX_MEMBERS` members, at most
``max_bytes`` unpacked in all, no member expanding more than :data:`MAX_RATIO` times its compressed
size, and never more than the free disk space less a margin. The unpacked files are checked against
``SHA256SUMS`` (and ``datapackage.json``) before anything reads them; ``hkgraph.nt.gz`` is expanded under
the same limits and loaded into an on-disk pyoxigraph store.

The limits can be changed with the environment variables ``HKGRAPH_MAX_UNPACKED_MB`` (default 8192)
and ``HKGRAPH_MAX_RATIO`` (default 200).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz")
CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")
CHUNK = 1 << 20
MAX_MEMBERS = 10_000
MAX_RATIO = 200  # unpacked bytes per compressed byte of one member (members under 1 MB unpacked are exempt)
RATIO_FLOOR = 1 << 20
DISK_MARGIN = 256 << 20  # free bytes left on the disk after unpacking


class ReleaseError(Exception):
    """A release cannot be made, read or opened; the message says why."""


def max_unpacked() -> int:
    return int(os.environ.get("HKGRAPH_MAX_UNPACKED_MB", "8192")) << 20


def max_ratio() -> int:
    return int(os.environ.get("HKGRAPH_MAX_RATIO", str(MAX_RATIO)))


# --------------------------------------------------------------------------------------- checksums


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


_HASHES: dict[tuple[str, int, int, int], str] = {}


def cached_sha256(path: Path) -> str:
    """:func:`sha256_file`, remembered per file version (path, size, modification time, inode)."""
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns, st.st_ino)
    if key not in _HASHES:
        if len(_HASHES) > 256:
            _HASHES.clear()
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


def walk(folder: Path) -> list[str]:
    """Every file under ``folder`` as a POSIX path relative to it, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def read_checksums(path: Path) -> tuple[dict[str, str], list[int]]:
    """(path → sha256, numbers of lines that are not checksum lines) of a SHA256SUMS file."""
    listed: dict[str, str] = {}
    bad: list[int] = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        match = CHECKSUM_LINE.match(line)
        if match:
            listed[match.group(2)] = match.group(1)
        else:
            bad.append(number)
    return listed, bad


# -------------------------------------------------------------------------------------- unpacking


def safe_member(name: str) -> str:
    """An archive member name that stays inside the extraction folder, else ReleaseError."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts or ":" in posix.parts[0]:
        raise ReleaseError(f"unsafe path in the archive: {name!r}")
    return posix.as_posix()


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES)


class _Budget:
    """Bytes still allowed: the overall limit and the disk's free space, checked as bytes are written."""

    def __init__(self, archive: Path, dest: Path, limit: int | None) -> None:
        self.archive = archive
        self.limit = max_unpacked() if limit is None else limit
        self.used = 0
        try:
            free = shutil.disk_usage(dest).free - DISK_MARGIN
        except OSError:
            free = self.limit
        self.room = min(self.limit, max(free, 0))

    def copy(self, src: IO[bytes], target: Path, member: str, compressed: int | None) -> None:
        ratio = max_ratio()
        written = 0
        with target.open("wb") as out:
            while chunk := src.read(CHUNK):
                written += len(chunk)
                self.used += len(chunk)
                if self.used > self.room:
                    what = "the unpacked size limit" if self.room >= self.limit else "the free disk space"
                    raise ReleaseError(f"{self.archive.name}: unpacking stopped at {member}: the release would "
                                       f"exceed {what} ({self.room >> 20} MB; HKGRAPH_MAX_UNPACKED_MB sets the limit)")
                if compressed is not None and written > RATIO_FLOOR and written > ratio * max(compressed, 1):
                    raise ReleaseError(f"{self.archive.name}: {member} expands more than {ratio} times its "
                                       "compressed size: refused as an archive bomb (HKGRAPH_MAX_RATIO sets the limit)")
                out.write(chunk)


def extract_release(archive: Path, dest: Path, *, max_bytes: int | None = None) -> Path:
    """Unpack a release archive into ``dest`` under the limits above; returns the release folder in it.

    :raises ReleaseError: for a link, device, absolute path or ``..`` member, and past any limit.
    """
    dest.mkdir(parents=True, exist_ok=True)
    budget = _Budget(archive, dest, max_bytes)
    compressed_total = archive.stat().st_size
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise ReleaseError(f"{archive.name}: {len(infos)} members (at most {MAX_MEMBERS})")
                for info in infos:
                    rel = safe_member(info.filename)
                    kind = stat.S_IFMT(info.external_attr >> 16)
                    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                        raise ReleaseError(f"{archive.name}: {info.filename} is not a plain file (a link or a "
                                           "device): refused")
                    target = dest / rel
                    if info.is_dir():
                        target.mkdir(parents=True, exist_ok=True)
                        continue
                    target.parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src:
                        budget.copy(src, target, info.filename, info.compress_size)
        elif archive.name.endswith((".tar.gz", ".tgz")):
            # a tar.gz is one gzip stream: the ratio is judged on the whole stream
            with tarfile.open(archive, "r:gz") as tar:
                for count, member in enumerate(tar, 1):
                    if count > MAX_MEMBERS:
                        raise ReleaseError(f"{archive.name}: more than {MAX_MEMBERS} members")
                    rel = safe_member(member.name)
                    target = dest / rel
                    if member.isdir():
                        target.mkdir(parents=True, exist_ok=True)
                    elif member.isfile():
                        target.parent.mkdir(parents=True, exist_ok=True)
                        src = tar.extractfile(member)
                        assert src is not None
                        with src:
                            budget.copy(src, target, member.name, None)
                    else:
                        raise ReleaseError(f"{archive.name}: {member.name} is not a plain file (a link or a "
                                           "device): refused")
                    if budget.used > RATIO_FLOOR and budget.used > max_ratio() * compressed_total:
                        raise ReleaseError(f"{archive.name} expands more than {max_ratio()} times its size: "
                                           "refused as an archive bomb (HKGRAPH_MAX_RATIO sets the limit)")
        else:
            raise ReleaseError(f"{archive}: not a release archive (expected .zip or .tar.gz)")
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, gzip.BadGzipFile, OSError, ValueError) as exc:
        raise ReleaseError(f"{archive}: cannot read the archive: {exc}") from exc
    tops = list(dest.iterdir())
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
    links = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_symlink()]
    present = set(walk(folder)) - set(links)
    result.files = len(present)
    bad: dict[str, str] = {rel: "a symbolic link: refused" for rel in links}

    sums = folder / "SHA256SUMS"
    listed: dict[str, str] = {}
    if not sums.is_file() or sums.is_symlink():
        bad["SHA256SUMS"] = "missing"
    else:
        listed, wrong_lines = read_checksums(sums)
        for number in wrong_lines:
            bad[f"SHA256SUMS:{number}"] = "not a checksum line (`<sha256>  <path>`)"
    for rel, expected in sorted(listed.items()):
        if rel not in present:
            bad.setdefault(rel, "missing")
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
    for resource in resources if isinstance(resources, list) else []:
        problem = _check_resource(folder, resource) if isinstance(resource, dict) else (
            "datapackage.json", "a resource is not an object")
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
        target = folder / safe_member(rel)
    except ReleaseError as exc:
        return "datapackage.json", str(exc)
    if not target.is_file() or target.is_symlink():
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
            header = f.readline(1 << 16).rstrip("\r\n").split(",")
        names = [str(f.get("name")) if isinstance(f, dict) else "?" for f in fields]
        if header != names:
            return rel, f"CSV header {header} does not match the Table Schema fields {names}"
    return None


# ----------------------------------------------------------------------------------------- opening


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hkgraph" / "releases"


def open_release(path: Path | str, cache_dir: Path | str | None = None, *, max_bytes: int | None = None) -> Path:
    """A folder usable as a build folder (hkgraph.db, hkgraph.nt, the oxigraph store) for a release.

    ``path`` is a release archive (.zip, .tar.gz) or folder, as ``hkgraph release`` writes them. The
    release is unpacked under the limits of :func:`extract_release`, checked against its SHA256SUMS and
    datapackage.json, and prepared once into the cache (``$XDG_CACHE_HOME/hkgraph/releases`` by
    default, keyed by the archive's SHA-256); later calls return the same folder.

    :raises ReleaseError: when the path is not a release, holds an unsafe member, outgrows a limit, or
        its files do not match their checksums.
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
    if (target / ".complete").is_file():
        return target

    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache))
    try:
        if path.is_dir():
            folder = work / stem
            shutil.copytree(path, folder, symlinks=True)
        else:
            folder = extract_release(path, work / "x", max_bytes=max_bytes)
        checked = verify_folder(folder)
        if not checked.ok:
            raise ReleaseError(f"{path}: the release does not match its checksums:\n" + "\n".join(checked.problems))
        if not (folder / "hkgraph.nt.gz").is_file() or not (folder / "hkgraph.db").is_file():
            raise ReleaseError(f"{path}: not a hkgraph release (no hkgraph.nt.gz or hkgraph.db)")
        budget = _Budget(path, folder, max_bytes)
        with gzip.open(folder / "hkgraph.nt.gz", "rb") as src:
            budget.copy(src, folder / "hkgraph.nt", "hkgraph.nt.gz", (folder / "hkgraph.nt.gz").stat().st_size)
        store = ox.Store(str(folder / "oxigraph"))
        store.bulk_load(path=str(folder / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
        store.flush()
        del store
        (folder / ".complete").write_text("checked against SHA256SUMS\n", encoding="utf-8")
        try:
            folder.rename(target)
        except OSError:
            if not (target / ".complete").is_file():  # not another process that got there first
                raise
    except (OSError, gzip.BadGzipFile, EOFError) as exc:
        if isinstance(exc, ReleaseError):
            raise
        raise ReleaseError(f"{path}: cannot prepare the release: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target
