"""Finding 10: `KnowledgeGraph.open("hkgraph-X.Y.Z.zip")` opens what `hkgraph release` writes (with
hkgraph.nt.gz), checks it against its checksums, and refuses unsafe members loudly; `serve --release`
goes through the same code."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from hkgraph.query.engine import QueryError
from hkgraph.query.kg import KnowledgeGraph

from conftest import repack_release


def test_a_real_release_opens(real_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    with zipfile.ZipFile(real_release) as zf:
        assert "hkgraph-1.0.0/hkgraph.nt.gz" in zf.namelist()
    with KnowledgeGraph.open(real_release) as kg:
        assert kg.sparql("ASK { ?tip a hkv:Tip }") is True
        assert kg.tips()
        assert kg.sql("SELECT count(*) AS n FROM tips")[0]["n"] > 0


def test_a_tampered_release_is_refused(real_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    bad = tmp_path / "hkgraph-1.0.0.zip"
    with zipfile.ZipFile(real_release) as zin, zipfile.ZipFile(bad, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("/hkgraph.db"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            zout.writestr(info, data)
    with pytest.raises(QueryError, match=r"does not match its checksums:\nhkgraph\.db: SHA-256"):
        KnowledgeGraph.open(bad)
    done = subprocess.run([sys.executable, "-m", "hkgraph", "serve", "--release", str(bad), "--port", "9"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")})
    assert done.returncode == 1 and "hkgraph.db: SHA-256 does not match SHA256SUMS" in done.stderr


def test_unsafe_members_are_refused_loudly(real_release: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    escape = repack_release(real_release, tmp_path / "hkgraph-1.0.0.zip", {"../../escape.txt": b"x"})
    with pytest.raises(QueryError, match="unsafe path in the archive"):
        KnowledgeGraph.open(escape)
    assert not (tmp_path / "escape.txt").exists()
    linked = tmp_path / "hkgraph-1.0.1.tar.gz"
    with zipfile.ZipFile(real_release) as zin, tarfile.open(linked, "w:gz") as tar:
        for info in zin.infolist():
            if info.is_dir():
                continue
            member = tarfile.TarInfo(info.filename.replace("1.0.0", "1.0.1"))
            data = zin.read(info.filename)
            member.size = len(data)
            import io

            tar.addfile(member, io.BytesIO(data))
        link = tarfile.TarInfo("hkgraph-1.0.1/passwd")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    with pytest.raises(QueryError, match="passwd is not a plain file"):
        KnowledgeGraph.open(linked)
