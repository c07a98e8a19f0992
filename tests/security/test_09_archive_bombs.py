"""Finding 9: a small archive that expands to gigabytes is refused while it is unpacked, by every way
a release is opened (verify, open_release, KnowledgeGraph.open, serve --release)."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from hkgraph.query.engine import QueryError
from hkgraph.query.kg import KnowledgeGraph
from hkgraph.release.archive import ReleaseError, open_release, verify_release

from conftest import repack_release

GIB = 1 << 30


def zeros_zip(path: Path, size: int) -> Path:
    """hkgraph-9.9.9.zip holding one member of ``size`` zero bytes (about a thousandth of it on disk)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("hkgraph-9.9.9/hkgraph.db", "w", force_zip64=True) as out:
        block = bytes(1 << 22)
        for _ in range(size // len(block)):
            out.write(block)
    return path


def gzip_bomb(size: int) -> bytes:
    import io

    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as gz:
        block = bytes(1 << 22)
        for _ in range(size // len(block)):
            gz.write(block)
    return buffer.getvalue()


def used(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return zeros_zip(tmp_path_factory.mktemp("bomb") / "hkgraph-9.9.9.zip", 2 * GIB)


def test_verify_and_open_refuse_a_zip_bomb(bomb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert bomb.stat().st_size < 4 << 20
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    result = verify_release(bomb)
    assert not result.ok and "archive bomb" in result.problems[0]
    with pytest.raises(ReleaseError, match="archive bomb"):
        open_release(bomb, cache_dir=tmp_path / "cache")
    with pytest.raises(QueryError, match="archive bomb"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        KnowledgeGraph.open(bomb)
    assert used(tmp_path) < 600 << 20


def test_a_gzip_bomb_inside_a_consistent_release_is_refused(real_release: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    archive = repack_release(real_release, tmp_path / "hkgraph-1.0.0.zip", {"hkgraph.nt.gz": gzip_bomb(2 * GIB)})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with pytest.raises(QueryError, match="archive bomb"):
        KnowledgeGraph.open(archive)
    assert used(tmp_path) < 600 << 20
    assert not list((tmp_path / "xdg").rglob("hkgraph.nt"))  # nothing half-unpacked left behind


def test_serve_release_refuses_a_bomb(bomb: Path, tmp_path: Path) -> None:
    shutil.copy(bomb, tmp_path / bomb.name)
    done = subprocess.run([sys.executable, "-m", "hkgraph", "serve", "--release", str(tmp_path / bomb.name),
                           "--port", "9"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert done.returncode == 1 and "archive bomb" in done.stderr
    assert used(tmp_path / "xdg") < 600 << 20
