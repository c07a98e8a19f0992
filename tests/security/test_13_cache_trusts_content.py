"""Finding 13: the build cache trusts content, not size and time: a same-size edit with its time put
back is built (and the build is reported stale), and a damaged output is never copied into the next build."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from hkgraph.compile.build import build, is_stale

from conftest import FIXTURES, ROOT, flip_a_byte_keeping_its_times


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "site" / "data", tmp_path / "project" / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "project" / "schema")
    return tmp_path / "project"


def same_size_edit(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    st = path.stat()
    path.write_text(path.read_text().replace(old, new, 1))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


def test_a_same_size_edit_with_its_time_put_back_is_built(project: Path) -> None:
    dist = project / "dist"
    build(project, dist)
    tip = next((project / "data" / "entries").iterdir())
    title_line = next(line for line in tip.read_text().splitlines() if line.startswith("title: "))
    edited_line = "title: " + ("Q" if title_line[7] != "Q" else "Z") + title_line[8:]
    same_size_edit(tip, title_line, edited_line)
    edited = edited_line[7:]
    assert is_stale(project, dist)
    build(project, dist)
    titles = [r[0] for r in sqlite3.connect(dist / "hkgraph.db").execute("SELECT title FROM tips")]
    assert edited in titles
    assert not is_stale(project, dist)


def test_a_damaged_output_is_not_copied_into_the_next_build(project: Path, tmp_path: Path) -> None:
    dist = project / "dist"
    build(project, dist)
    nt = dist / "hkgraph.nt"
    flip_a_byte_keeping_its_times(nt)
    tip = next((project / "data" / "entries").iterdir())
    tip.write_text(tip.read_text().replace("title: ", "title: New ", 1))
    build(project, dist)
    build(project, tmp_path / "fresh", incremental=False)
    assert nt.read_bytes() == (tmp_path / "fresh" / "hkgraph.nt").read_bytes()
