"""The build is atomic and deterministic."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hkgraph.compile.build import build, is_stale
from hkgraph.records.problems import DataError

from conftest import FIXTURES, ROOT

OUTPUTS = ("hkgraph.db", "hkgraph.jsonld", "hkgraph.nt", "hkgraph.ttl", "build-info.json")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "valid", tmp_path / "project")
    shutil.copytree(ROOT / "schema", tmp_path / "project" / "schema")
    return tmp_path / "project"


def snapshot(dist: Path) -> dict[str, bytes]:
    return {name: (dist / name).read_bytes() for name in OUTPUTS}


def test_build_twice_gives_byte_identical_rdf(project: Path, tmp_path: Path):
    build(project, tmp_path / "one")
    build(project, tmp_path / "two")
    for name in ("hkgraph.ttl", "hkgraph.nt", "hkgraph.jsonld"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name


def test_failed_validation_leaves_previous_build_untouched(project: Path):
    dist = project / "dist"
    build(project, dist)
    before = snapshot(dist)
    (project / "data/entries/broken.yaml").write_text("id: broken\ntitle: [unclosed\n")
    with pytest.raises(DataError) as exc:
        build(project, dist)
    assert "data/entries/broken.yaml:3:1: YAML syntax error" in str(exc.value)
    assert snapshot(dist) == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".dist")) == []


@pytest.mark.parametrize("stage", ["rdf", "sqlite", "done"])
def test_crash_mid_build_leaves_previous_build_untouched(project: Path, stage: str):
    dist = project / "dist"
    build(project, dist)
    before = snapshot(dist)
    (project / "data/entries/unscaled-fp8-e5m2-is-worst.yaml").write_text(
        (project / "data/entries/unscaled-fp8-e5m2-is-worst.yaml").read_text().replace("worst choice", "poor pick")
    )

    def crash(current: str, _tmp: Path) -> None:
        if current == stage:
            raise RuntimeError(f"simulated crash after {stage}")

    with pytest.raises(RuntimeError, match="simulated crash"):
        build(project, dist, hook=crash)
    assert snapshot(dist) == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".dist")] == []
    build(project, dist)
    assert b"poor pick" in (dist / "hkgraph.nt").read_bytes()


def test_staleness_follows_the_inputs(project: Path):
    dist = project / "dist"
    assert is_stale(project, dist)
    build(project, dist)
    assert not is_stale(project, dist)
    path = project / "data/entities/concepts/vram.yaml"
    path.write_text(path.read_text() + "description: Memory on the graphics card.\n")
    assert is_stale(project, dist)
