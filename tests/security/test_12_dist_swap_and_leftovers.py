"""Finding 12: the output folder is never missing (even if the build dies during the swap), leftovers
of killed builds are cleaned up, and a full disk, a bad symbolic link or a damaged store give a clear
message or are repaired, not a traceback or a build that is stuck until --full."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli
from hkgraph.compile import build as build_module
from hkgraph.compile.build import build

from conftest import FIXTURES, ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "site" / "data", tmp_path / "project" / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "project" / "schema")
    return tmp_path / "project"


class Killed(BaseException):
    """The process dying at this point (nothing after it runs)."""


def test_a_build_killed_during_the_swap_leaves_an_output_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = project / "dist"
    build(project, dist)
    original = Path.rename

    def rename(self: Path, target: Path | str) -> Path:
        if Path(target) == dist:  # the moment the new build would take the output's name
            raise Killed
        return original(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    (project / "data" / "entries" / next(p.name for p in (project / "data" / "entries").iterdir())).touch()
    try:
        build(project, dist, incremental=False)
    except Killed:
        pass
    monkeypatch.undo()
    assert (dist / "hkgraph.db").is_file() and (dist / "hkgraph.nt").is_file()


def test_the_next_build_repairs_and_cleans_up(project: Path) -> None:
    dist = project / "dist"
    build(project, dist)
    dist.rename(project / ".dist-old-1")  # a two-rename swap cut in the middle
    for leftover in (".dist-k1ll3d", ".hkgraph-sql-k1ll3d"):
        (project / leftover / "x").mkdir(parents=True)
    result = CliRunner().invoke(cli, ["build", "--root", str(project)])
    assert result.exit_code == 0, result.output
    assert (dist / "hkgraph.db").is_file()
    assert sorted(p.name for p in project.iterdir() if p.name.startswith((".dist", ".hkgraph-sql"))) == []


def test_a_full_disk_is_a_message(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = project / "dist"
    build(project, dist)
    before = (dist / "hkgraph.db").read_bytes()

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(project / ".dist-x" / "hkgraph.db"))

    monkeypatch.setattr(build_module, "to_sqlite", full)
    result = CliRunner().invoke(cli, ["build", "--root", str(project), "--full"])
    assert (result.exit_code == 1 and result.exception is None) or isinstance(result.exception, SystemExit)
    assert "disk holding" in result.output and "is full" in result.output and "Traceback" not in result.output
    assert (dist / "hkgraph.db").read_bytes() == before


def test_bad_symbolic_links_are_problems(project: Path) -> None:
    nodes = project / "data" / "entities" / "nodes"
    (nodes / "dangling.yaml").symlink_to(project / "nowhere.yaml")
    (nodes / "loop-a.yaml").symlink_to(nodes / "loop-b.yaml")
    (nodes / "loop-b.yaml").symlink_to(nodes / "loop-a.yaml")
    for command in ("validate", "build"):
        result = CliRunner().invoke(cli, [command, "--root", str(project)])
        assert result.exit_code == 1 and not isinstance(result.exception, OSError | RuntimeError), result.output
        assert "data/entities/nodes/dangling.yaml:1:1" in result.output
        assert "data/entities/nodes/loop-a.yaml:1:1" in result.output


def test_a_damaged_store_does_not_block_incremental_builds(project: Path) -> None:
    dist = project / "dist"
    build(project, dist)
    for path in (dist / "oxigraph").iterdir():
        if path.is_file():
            path.write_bytes(b"\0" * 64)
    tip = next((project / "data" / "entries").iterdir())
    tip.write_text(tip.read_text().replace("title: ", "title: Edited ", 1))
    result = build(project, dist)
    import pyoxigraph as ox

    store = ox.Store.read_only(str(dist / "oxigraph"))
    titles = [str(s["t"].value) for s in store.query(
        "SELECT ?t WHERE { ?tip <http://purl.org/dc/terms/title> ?t FILTER(STRSTARTS(?t, 'Edited ')) }")]
    assert titles, "the store was not rewritten"
    assert result.triples == len(store)
    conn = sqlite3.connect(dist / "hkgraph.db")
    assert conn.execute("SELECT count(*) FROM tips WHERE title LIKE 'Edited %'").fetchone() == (1,)
    os.sync()
