"""A build with nothing to do is answered from file metadata, and every kind of change still rebuilds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from hkgraph.compile import fresh
from hkgraph.compile.build import build

from conftest import FIXTURES, ROOT, flip_a_byte_keeping_its_times


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "site" / "data", tmp_path / "project" / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "project" / "schema")
    build(tmp_path / "project", tmp_path / "project" / "dist")
    return tmp_path / "project"


def first_tip(project: Path) -> Path:
    return sorted((project / "data" / "entries").iterdir())[0]


def test_a_second_build_does_nothing_and_still_answers(project: Path) -> None:
    dist = project / "dist"
    assert fresh.up_to_date(project, dist) is not None
    before = {p.name: p.stat().st_mtime_ns for p in dist.iterdir()}
    result = build(project, dist)
    assert result.noop and result.incremental
    assert {p.name: p.stat().st_mtime_ns for p in dist.iterdir()} == before  # nothing was written
    info = json.loads((dist / "build-info.json").read_text())
    assert result.triples == info["triples"]
    assert len(result.dataset.tips) == info["tips"]  # read back from the cache when asked for
    assert all(p.severity != "error" for p in result.warnings)


def same_size_edit(project: Path) -> None:
    tip = first_tip(project)
    st = tip.stat()
    text = tip.read_text()
    line = next(x for x in text.splitlines() if x.startswith("title: "))
    tip.write_text(text.replace(line, "title: " + ("Q" if line[7] != "Q" else "Z") + line[8:], 1))
    os.utime(tip, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert tip.stat().st_size == st.st_size and tip.stat().st_mtime_ns == st.st_mtime_ns


def add_file(project: Path) -> None:
    tip = first_tip(project)
    copy = tip.with_name("zz-copy.yaml")
    copy.write_text(tip.read_text().replace(f"id: {tip.stem}", "id: zz-copy", 1))


def remove_file(project: Path) -> None:
    sorted((project / "data" / "entries").iterdir())[-1].unlink()


def rename_file(project: Path) -> None:
    tip = first_tip(project)
    tip.rename(tip.with_name("renamed-" + tip.name))  # the id no longer matches the name: the build says so


def edit_schema(project: Path) -> None:
    shapes = project / "schema" / "shapes.ttl"
    shapes.write_text(shapes.read_text() + "\n")


def add_coverage(project: Path) -> None:
    (project / "data" / "coverage.tsv").write_text("page\tcontent_lines\tcovered_lines\trecords\n")


def entity_edit(project: Path) -> None:
    entity = sorted((project / "data" / "entities").rglob("*.yaml"))[0]
    entity.write_text(entity.read_text() + "\n")


EDITS: dict[str, Callable[[Path], None]] = {
    "same-size edit, time put back": same_size_edit, "file added": add_file, "file removed": remove_file,
    "file renamed": rename_file, "schema changed": edit_schema, "coverage added": add_coverage,
    "entity touched": entity_edit,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_every_kind_of_input_change_is_seen(project: Path, edit: str) -> None:
    EDITS[edit](project)
    assert fresh.up_to_date(project, project / "dist") is None
    assert fresh.is_stale(project, project / "dist")


def test_a_damaged_output_is_rebuilt(project: Path, tmp_path: Path) -> None:
    dist = project / "dist"
    nt = dist / "hkgraph.nt"
    flip_a_byte_keeping_its_times(nt)
    assert fresh.up_to_date(project, dist) is None
    assert not build(project, dist).noop
    build(project, tmp_path / "fresh", incremental=False)
    assert nt.read_bytes() == (tmp_path / "fresh" / "hkgraph.nt").read_bytes()


def test_leftovers_of_a_killed_build_are_cleaned_up(project: Path) -> None:
    leftover = project / ".dist-killed"
    leftover.mkdir()
    assert fresh.up_to_date(project, project / "dist") is None
    assert not build(project, project / "dist").noop
    assert not leftover.exists()


def test_shacl_asked_after_a_build_without_it(project: Path, tmp_path: Path) -> None:
    dist = tmp_path / "unchecked"
    build(project, dist, shacl=False)
    assert fresh.up_to_date(project, dist, shacl=False) is not None
    assert fresh.up_to_date(project, dist) is None
    assert not build(project, dist).noop
    assert fresh.up_to_date(project, dist) is not None


def test_changed_code_rebuilds(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fresh, "code_stamp", lambda: "another version of hkgraph")
    assert fresh.up_to_date(project, project / "dist") is None


def test_reading_the_build_leaves_it_up_to_date(project: Path) -> None:
    """Opening the store and the database read-only (as the server and KnowledgeGraph do) changes nothing."""
    from hkgraph import KnowledgeGraph

    with KnowledgeGraph.open(project / "dist") as kg:
        assert kg.sparql("ASK { ?s ?p ?o }") is True
        assert kg.sql("SELECT count(*) AS n FROM tips")[0]["n"] > 0
    assert fresh.up_to_date(project, project / "dist") is not None


def test_the_command_line_answers_without_the_compiler(project: Path) -> None:
    script = ("import sys\nfrom click.testing import CliRunner\nfrom hkgraph.cli import cli\n"
              f"r = CliRunner().invoke(cli, ['build', '--root', {str(project)!r}])\n"
              "print(r.exit_code, 'hkgraph.compile.build' in sys.modules, 'pydantic' in sys.modules)\nprint(r.output)")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "0 False False"
    assert "up to date" in done.stdout
