"""The downloads page and the files it links: the latest release and the current build's RDF.

Everything is looked up when a request comes, so a release written after the server started is listed
and served at once. What is offered:

- ``hkgraph serve``: the latest release under ``dist/release/`` (its archives and main files, each with
  its SHA-256), served under ``/downloads/release/…``;
- ``hkgraph serve --release PATH``: that release, as the server was started with it (``HKGRAPH_RELEASE``
  names it): the archive or folder itself and the files of the unpacked release;
- always: the served build's Turtle, N-Triples and JSON-LD (``/downloads/build/hkgraph.ttl`` …).

Only files the listing names are served; any other path under ``/downloads/`` is a 404.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasette.utils.asgi import AsgiFileDownload, Response

from ..release.archive import (
    DOWNLOADS,
    ReleaseError,
    cached_sha256,
    latest_release,
    release_files,
    release_version,
)
from ..release.describe import media_type

PATH = "/-/downloads"
FILES = "/downloads/"
RELEASE_ENV = "HKGRAPH_RELEASE"  # set by `hkgraph serve --release PATH` for the plugin
BUILD_FILES = {
    "hkgraph.ttl": "RDF graph of the served build (Turtle)",
    "hkgraph.nt": "RDF graph of the served build (N-Triples)",
    "hkgraph.jsonld": "RDF graph of the served build (JSON-LD)",
}


def human_size(size: int) -> str:
    """``1536`` → ``1.5 KB``: decimal units, as file managers and download pages show them."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value):,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


@dataclass
class Offer:
    """What the page lists: the release (version, files) and the build's files; name → path to serve."""

    version: str | None
    release: list[dict[str, Any]]
    build: list[dict[str, Any]]
    paths: dict[str, Path]
    origin: str | None = None  # where the release came from (serve --release)


def _served_folder(datasette: Any, database: str | None) -> Path | None:
    db = datasette.databases.get(database) if database else None
    return Path(db.path).resolve().parent if db is not None and db.path else None


def _release_source() -> Path | None:
    value = os.environ.get(RELEASE_ENV)
    return Path(value) if value else None


def _release_paths(folder: Path, archives: Path) -> dict[str, Path]:
    """URL path under /downloads/ → file, for a release folder and the folder holding its archives."""
    paths: dict[str, Path] = {}
    for suffix in ("zip", "tar.gz"):
        archive = archives / f"{folder.name}.{suffix}"
        if archive.is_file():
            paths[f"release/{archive.name}"] = archive
    for rel in DOWNLOADS:
        if (folder / rel).is_file():
            paths[f"release/{folder.name}/{rel}"] = folder / rel
    return paths


def offer(datasette: Any, database: str | None, *, listing: bool = True) -> Offer:
    """The files to offer now. Blocking (it reads the disk; the listing hashes archives): run it in a thread.

    With ``listing=False`` only the paths are looked up (to serve a file), nothing is hashed.
    """
    folder = _served_folder(datasette, database)
    base = datasette.urls.path(FILES)
    paths: dict[str, Path] = {}
    release: list[dict[str, Any]] = []
    version = origin = None
    source = _release_source()
    if source is not None and folder is not None:
        # serve --release PATH: the served folder is that release, unpacked and checked
        origin = str(source)
        if source.is_file():
            paths[f"release/{source.name}"] = source
        paths.update({f"release/{folder.name}/{rel}": folder / rel for rel in DOWNLOADS if (folder / rel).is_file()})
        if listing:
            version = _version(folder)
            if source.is_file():
                release.append({"name": source.name, "description": "the release archive this server was started with",
                                "bytes": source.stat().st_size, "sha256": cached_sha256(source),
                                "media_type": media_type(source.name), "url": f"{base}release/{source.name}"})
            release += [e for e in release_files(folder, base_url=f"{base}release/")
                        if e["url"][len(base):] in paths]
    elif folder is not None and (folder / "release").is_dir():
        latest = latest_release(folder / "release")
        if latest is not None and latest.is_dir():
            paths.update(_release_paths(latest, latest.parent))
            if listing:
                version = _version(latest)
                release = release_files(latest, base_url=f"{base}release/")
    build: list[dict[str, Any]] = []
    if folder is not None:
        for name, text in BUILD_FILES.items():
            path = folder / name
            if path.is_file():
                paths[f"build/{name}"] = path
                if listing:
                    build.append({"name": name, "description": text, "bytes": path.stat().st_size,
                                  "media_type": media_type(name), "url": f"{base}build/{name}"})
    for entry in [*release, *build]:
        entry["size"] = human_size(entry["bytes"])
    return Offer(version, release, build, paths, origin)


def latest_version(datasette: Any, database: str | None) -> str | None:
    """The version of the release the downloads page offers (cheap: nothing is hashed)."""
    folder = _served_folder(datasette, database)
    if folder is None:
        return None
    if _release_source() is not None:
        return _version(folder)
    latest = latest_release(folder / "release") if (folder / "release").is_dir() else None
    return _version(latest) if latest is not None and latest.is_dir() else None


def _version(folder: Path) -> str | None:
    try:
        return release_version(folder)
    except ReleaseError:
        return None


async def file_view(datasette: Any, request: Any) -> Response:
    """``/downloads/<path>``: a file the downloads page lists, or 404."""
    import asyncio

    from .plugin import served_database

    wanted = request.url_vars["path"]
    listed = await asyncio.get_running_loop().run_in_executor(
        None, lambda: offer(datasette, served_database(datasette), listing=False).paths)
    path = listed.get(wanted)
    if path is None or not path.is_file():
        return Response.text(f"no such download: {wanted}\n", status=404)
    return AsgiFileDownload(str(path), filename=path.name, content_type=media_type(path.name))  # type: ignore[return-value]
