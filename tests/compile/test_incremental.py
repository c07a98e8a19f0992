"""A rebuild from the cache gives exactly what a full build gives, and stays atomic."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sqlite3
from pathlib import Path

import pyoxigraph as ox
import pytest

from hkgraph.compile import shacl
from hkgraph.compile.build import build
from hkgraph.compile.cache import cache_dir
from hkgraph.compile.rdf import to_triples
from hkgraph.records.load import load_dataset
from hkgraph.records.problems import DataError

from conftest import ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("hk_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The hand-written fixture plus 60 synthetic tips, so every kind of record is present."""
    root = _generator().generate(tmp_path / "project", 60, seed=7)
    fixture = ROOT / "tests" / "fixtures" / "kg" / "data"
    for path in fixture.rglob("*.yaml"):
        target = root / "data" / path.relative_to(fixture)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    return root


def sql_content(db: Path) -> dict[str, object]:
    """Everything a reader of the database can see: schema, the rows of every table and view (as
    sorted lists), and which rows each full-text index finds for a few words."""
    conn = sqlite3.connect(db)
    try:
        master = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        content: dict[str, object] = {"schema": master}
        fts = [name for _t, name, sql in master if (sql or "").startswith("CREATE VIRTUAL TABLE")]
        for kind, name, _sql in master:
            if kind in ("table", "view") and name not in fts and not name.startswith(tuple(f"{f}_" for f in fts)):
                content[name] = sorted(conn.execute(f'SELECT * FROM "{name}"').fetchall(), key=repr)
        for name in fts:
            base = name[: -len("_fts")]
            for word in ("wan", "distill", "vram", "precision", "loader", "quality"):
                content[f"{name}:{word}"] = sorted(conn.execute(
                    f'SELECT "{base}".id FROM "{name}" JOIN "{base}" ON "{base}".rowid = "{name}".rowid '
                    f'WHERE "{name}" MATCH ?', (word,)).fetchall())
        return content
    finally:
        conn.close()


def store_lines(folder: Path) -> list[str]:
    store = ox.Store.read_only(str(folder))
    try:
        return sorted(f"{q.subject} {q.predicate} {q.object}" for q in store)
    finally:
        del store


def assert_same_as_full_build(root: Path, dist: Path, tmp_path: Path, warnings: list | None = None) -> None:
    full = build(root, tmp_path / "full", incremental=False, shacl=False)
    if warnings is not None:  # a rebuild checks only the tips that changed, when nothing else did
        assert warnings == full.warnings
    for name in ("hkgraph.nt", "hkgraph.ttl", "hkgraph.jsonld", "build-info.json"):
        assert (dist / name).read_bytes() == (full.out_dir / name).read_bytes(), name
    assert sql_content(dist / "hkgraph.db") == sql_content(full.out_dir / "hkgraph.db")
    assert store_lines(dist / "oxigraph") == store_lines(full.out_dir / "oxigraph")
    shutil.rmtree(full.out_dir)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1))


def entries(root: Path) -> Path:
    return root / "data" / "entries"


def test_the_files_hold_the_graph_of_the_records(project, tmp_path):
    result = build(project, tmp_path / "dist")
    expected = set(to_triples(load_dataset(project)))
    for name, fmt in (("hkgraph.nt", ox.RdfFormat.N_TRIPLES), ("hkgraph.ttl", ox.RdfFormat.TURTLE),
                      ("hkgraph.jsonld", ox.RdfFormat.JSON_LD)):
        parsed = {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(result.out_dir / name), format=fmt)}
        assert parsed == expected, name
    assert result.triples == len(expected)


def edit_tip(root: Path) -> int:
    tip = entries(root) / "cfg-one-with-distill-lora.yaml"
    edit(tip, "anything higher", "anything above")
    edit(tip, "- quality\n", "- quality\n- speed\n")
    return 1


def add_tip(root: Path) -> int:
    text = (entries(root) / "cfg-one-with-distill-lora.yaml").read_text()
    (entries(root) / "cfg-copy.yaml").write_text(text.replace("id: cfg-one-with-distill-lora", "id: cfg-copy"))
    return 1


def remove_tip(root: Path) -> int:
    (entries(root) / "base-precision-bf16.yaml").unlink()
    return 0


def edit_parameter(root: Path) -> int:  # moves the positions of the allowed values
    edit(root / "data/entities/parameters/wanvideo-vae-loader-precision.yaml", "- bf16\n- fp16\n", "- fp16\n- bf16\n")
    return 1


def edit_node(root: Path) -> int:
    edit(root / "data/entities/nodes/wanvideo-sampler.yaml", "name: WanVideo Sampler", "name: WanVideo Sampler v2")
    return 1


def several(root: Path) -> int:
    edit(entries(root) / "fp8-scaled-quantization-on-blackwell.yaml", "kind: setting", "kind: technique")
    (entries(root) / "sampler-steps-for-wan-2-2.yaml").unlink()
    return edit_parameter(root) + add_tip(root) + 1


def nothing(root: Path) -> int:
    return 0


def link_unnamed(root: Path) -> int:  # a warning comes in the edited tip
    edit(entries(root) / "sampler-steps-for-wan-2-2.yaml", "models:\n- wan2-2-i2v-a14b\n",
         "models:\n- wan2-2-i2v-a14b\n- wan2-1-vae\n")
    return 1


def name_the_sampler(root: Path) -> int:  # a warning goes from the edited tip
    edit(entries(root) / "cfg-one-with-distill-lora.yaml", "excerpt: cfg 1.0 with", "excerpt: cfg 1.0 in WanVideo Sampler with")
    return 1


def alias_names_the_sampler(root: Path) -> int:  # a warning goes from a tip that did not change
    edit(root / "data/entities/nodes/wanvideo-sampler.yaml", "name: WanVideo Sampler\n",
         "name: WanVideo Sampler\naliases:\n- anything higher\n")
    return 1


@pytest.mark.parametrize("change", [edit_tip, add_tip, remove_tip, edit_parameter, edit_node, several, nothing,
                                    link_unnamed, name_the_sampler, alias_names_the_sampler])
def test_a_rebuild_equals_a_full_build(project, tmp_path, change):
    dist = tmp_path / "dist"
    first = build(project, dist)
    assert not first.incremental and first.parsed > 60
    parsed = change(project)
    again = build(project, dist)
    assert again.incremental
    assert again.parsed == parsed
    assert_same_as_full_build(project, dist, tmp_path, again.warnings)
    if change in (link_unnamed, name_the_sampler, alias_names_the_sampler):
        assert again.warnings != first.warnings
    third = build(project, dist)  # and once more, from the rebuild's cache
    assert third.incremental and third.parsed == 0
    assert_same_as_full_build(project, dist, tmp_path, third.warnings)


def test_a_failed_rebuild_leaves_the_previous_build_and_a_usable_cache(project, tmp_path):
    dist = tmp_path / "dist"
    build(project, dist)
    before = {p.name: p.read_bytes() for p in dist.iterdir() if p.is_file()}
    tip = entries(project) / "cfg-one-with-distill-lora.yaml"
    edit(tip, "- wanvideo-sampler\n", "- wanvideo-samplr\n")
    with pytest.raises(DataError, match="unknown node 'wanvideo-samplr'"):
        build(project, dist)
    edit(tip, "- wanvideo-samplr\n", "- wanvideo-sampler\n")
    edit(tip, "anything higher", "anything above")

    def crash(stage: str, tmp: Path) -> None:
        if stage == "sqlite":
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        build(project, dist, hook=crash)
    assert {p.name: p.read_bytes() for p in dist.iterdir() if p.is_file()} == before
    assert not [p for p in dist.parent.iterdir() if p.name.startswith(".dist-")]
    result = build(project, dist)
    assert result.incremental
    assert_same_as_full_build(project, dist, tmp_path)


def test_changed_outputs_or_a_broken_cache_mean_a_full_build(project, tmp_path):
    dist = tmp_path / "dist"
    build(project, dist)
    ttl = dist / "hkgraph.ttl"
    data = ttl.read_bytes()
    ttl.write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])  # someone (or the disk) changed a byte
    os.utime(ttl, ns=(1, 1))
    edit(entries(project) / "cfg-one-with-distill-lora.yaml", "anything higher", "anything above")
    result = build(project, dist)
    assert not result.incremental and result.parsed == 1  # records still come from the cache
    assert_same_as_full_build(project, dist, tmp_path)
    (cache_dir(dist) / "state.sqlite").write_bytes(b"not a database")
    result = build(project, dist)
    assert not result.incremental and result.parsed > 60
    assert_same_as_full_build(project, dist, tmp_path)


def test_shacl_sample_is_fixed_and_checks_what_it_must(monkeypatch, project, tmp_path):
    assert shacl.stride(20_000) == 1
    assert shacl.stride(20_001) == 16
    assert shacl.stride(3_000_000) == 2048
    monkeypatch.setattr(shacl, "FULL_LIMIT", 100)
    monkeypatch.setattr(shacl, "SAMPLE_SIZE", 500)
    dist = tmp_path / "dist"
    build(project, dist)
    edit(entries(project) / "cfg-one-with-distill-lora.yaml", "anything higher", "anything above")
    assert build(project, dist).incremental
    assert_same_as_full_build(project, dist, tmp_path)
    hardware = b'<https://w3id.org/hkgraph/hardware/x> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/hkgraph/vocab#Hardware> .\n'
    shapes = ROOT / "schema" / "shapes.ttl"
    with pytest.raises(shacl.ShaclError, match="hardware/x"):
        shacl.check(hardware, shapes)
    with pytest.raises(shacl.ShaclError, match="hardware/x"):
        shacl.check(hardware, shapes, [b"<https://w3id.org/hkgraph/hardware/x>"])
    shacl.check(hardware, shapes, [b"<https://w3id.org/hkgraph/hardware/y>"])  # typed only: not judged


def test_a_rebuild_without_in_kernel_copies(monkeypatch, project, tmp_path):
    dist = tmp_path / "dist"
    build(project, dist)
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    edit_tip(project)
    assert build(project, dist).incremental
    assert_same_as_full_build(project, dist, tmp_path)


def test_the_state_folds_record_updates_into_its_snapshot(monkeypatch, project, tmp_path):
    from hkgraph.compile import cache as buildcache

    monkeypatch.setattr(buildcache, "MAX_UPDATES", 2)
    dist = tmp_path / "dist"
    build(project, dist)
    tip = entries(project) / "cfg-one-with-distill-lora.yaml"
    for i in range(4):
        edit(tip, "title: ", f"title: {i} ")
        result = build(project, dist)
        assert result.incremental and result.parsed == 1
        state = buildcache.load_state(dist, project.resolve())
        assert state is not None and state.records["data/entries/cfg-one-with-distill-lora.yaml"].record.title.startswith(f"{i} ")
    remove_tip(project)
    assert build(project, dist).incremental
    assert "data/entries/base-precision-bf16.yaml" not in buildcache.load_state(dist, project.resolve()).records
    assert_same_as_full_build(project, dist, tmp_path)


def test_a_graph_that_breaks_the_shapes_fails_the_build(project, tmp_path):
    dist = tmp_path / "dist"
    build(project, dist)
    before = (dist / "hkgraph.nt").read_bytes()
    shapes = project / "schema" / "shapes.ttl"
    shapes.write_text(shapes.read_text() + "\nhkv:HardwareShape sh:property [ sh:path hkv:nope ; sh:minCount 1 ] .\n")
    with pytest.raises(shacl.ShaclError, match="hardware/rtx-3090"):
        build(project, dist)  # schema/ changed: a full build, checked in a forked process
    assert (dist / "hkgraph.nt").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".dist-")]


def test_cli_build_says_how_it_built(project, tmp_path):
    from click.testing import CliRunner

    from hkgraph.cli import cli

    args = ["build", "--root", str(project), "--out", str(tmp_path / "dist")]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0 and "rebuilt from the cache" not in first.output
    edit_tip(project)
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "(rebuilt from the cache, 1 file(s) parsed;" in again.output
    full = CliRunner().invoke(cli, [*args, "--full"])
    assert full.exit_code == 0 and "rebuilt from the cache" not in full.output
