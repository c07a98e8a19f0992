"""Dataset releases: layout, reproducibility, data SemVer and the changelog, verification, opening.

Exact answers come from the small project in tests/fixtures/release/; the real data is released once
per module to check the formats with independent tools (frictionless, rdflib) on stable facts.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli
from hkgraph.release import describe
from hkgraph.release.archive import (
    FIXED_EPOCH,
    ReleaseError,
    make_release,
    open_release,
    release_files,
    source_date_epoch,
    verify_release,
)
from hkgraph.release.changes import (
    Changes,
    VersionError,
    check_version,
    diff_records,
    diff_tables,
    required_version,
)

from conftest import FIXTURES, ROOT, free_port

EPOCH = 1_750_000_000  # 2025-06-15T15:06:40Z
FIXTURE_DATA = FIXTURES / "release" / "data"


def make_project(parent: Path, data: Path = FIXTURE_DATA) -> Path:
    """A temporary copy of a project: data/ and the committed schema/."""
    root = parent / "project"
    shutil.copytree(data, root / "data")
    shutil.copytree(ROOT / "schema", root / "schema")
    return root


def edit_project(root: Path) -> None:
    """The changes between the two test versions: one tip added, one changed, one removed."""
    entries = root / "data" / "entries"
    (entries / "block-swap-moves-blocks.yaml").unlink()
    changed = entries / "cfg-one-with-distill-lora.yaml"
    changed.write_text(changed.read_text().replace("is the value to use.", "is the value to use; more burns."))
    (entries / "teacache-threshold.yaml").write_text(
        "id: teacache-threshold\n"
        "title: A lower TeaCache threshold keeps more detail\n"
        "summary: Lower thresholds skip fewer steps.\n"
        "kind: explanation\n"
        "source:\n"
        "  page: test-page.md\n"
        "  section: Speed\n"
        "  excerpt: lower the teacache threshold for more detail\n"
        "goals:\n"
        "- better-quality\n"
        "tags:\n"
        "- speed\n"
    )


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Two releases of the fixture project: 1.0.0, then the edited data (2.0.0 by the rules)."""
    base = tmp_path_factory.mktemp("releases")
    root = make_project(base)
    first = make_release(root, epoch=EPOCH)
    edit_project(root)
    second = make_release(root, epoch=EPOCH)
    return {"root": root, "out": root / "dist" / "release", "first": first, "second": second}


@pytest.fixture(scope="module")
def real_release(tmp_path_factory: pytest.TempPathFactory):
    """A first release of the current real data, from a temporary copy of the project."""
    root = make_project(tmp_path_factory.mktemp("real"), ROOT / "data")
    return make_release(root, epoch=EPOCH)


# ------------------------------------------------------------------------------------------- layout


def test_first_release_layout(releases):
    first = releases["first"]
    assert first.version == "1.0.0" and first.previous is None
    folder = first.folder
    assert folder == releases["out"] / "hkgraph-1.0.0"
    top = sorted(p.name for p in folder.iterdir())
    assert top == [
        "CHANGELOG.md", "CITATION.cff", "LICENSE", "README.md", "SHA256SUMS", "build-info.json", "csv", "data",
        "datapackage.json", "hkgraph.db", "hkgraph.jsonld", "hkgraph.nt.gz", "hkgraph.ttl", "queries", "schema",
        "void.ttl",
    ]
    tables = describe.data_tables(folder / "hkgraph.db")
    assert sorted(p.stem for p in (folder / "csv").iterdir()) == sorted(tables)
    assert "tips" in tables and not any("_fts" in t for t in tables)
    sources = sorted(p.relative_to(FIXTURE_DATA).as_posix() for p in FIXTURE_DATA.rglob("*.yaml"))
    assert sorted(p.relative_to(folder / "data").as_posix() for p in (folder / "data").rglob("*.yaml")) == sources
    assert sorted(p.name for p in (folder / "schema").iterdir()) == sorted(p.name for p in (ROOT / "schema").iterdir())
    assert sorted(p.name for p in (folder / "queries").iterdir()) == sorted(describe.EXAMPLE_QUERIES)
    # every file but SHA256SUMS is listed in it, in order
    lines = (folder / "SHA256SUMS").read_text().splitlines()
    listed = [line.split("  ", 1)[1] for line in lines]
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert listed == [f for f in files if f != "SHA256SUMS"]


def test_csv_rows_match_the_database(releases):
    folder = releases["first"].folder
    import csv

    with (folder / "csv" / "tips.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["id"] for r in rows] == ["block-swap-moves-blocks", "cfg-one-with-distill-lora",
                                        "fp8-quantization-saves-vram"]
    assert json.loads(rows[2]["tags"]) == ["vram", "precision"]
    assert rows[1]["date"] == "" and rows[2]["date"] == "2025-10-01"
    with (folder / "csv" / "hardware.csv").open(encoding="utf-8", newline="") as f:
        assert list(csv.DictReader(f)) == [{
            "id": "rtx-4090", "name": "RTX 4090", "aliases": "", "description": "", "urls": "", "vendor": "NVIDIA",
            "architecture": "Ada Lovelace", "vram_gb": "24.0",
        }]


def test_archives_hold_the_folder_with_fixed_times_and_permissions(releases):
    first = releases["first"]
    folder = first.folder
    expected = sorted(["hkgraph-1.0.0"] + [f"hkgraph-1.0.0/{p.relative_to(folder).as_posix()}"
                                          for p in folder.rglob("*")])
    zip_path, tar_path = first.archives
    assert [zip_path.name, tar_path.name] == ["hkgraph-1.0.0.zip", "hkgraph-1.0.0.tar.gz"]
    with zipfile.ZipFile(zip_path) as zf:
        infos = zf.infolist()
        assert [i.filename.rstrip("/") for i in infos] == expected  # sorted entries
        assert {i.date_time for i in infos} == {time.gmtime(EPOCH)[:6]}
        assert {i.external_attr >> 16 & 0o777 for i in infos if not i.is_dir()} == {0o644}
        assert {i.external_attr >> 16 & 0o777 for i in infos if i.is_dir()} == {0o755}
        assert zf.read("hkgraph-1.0.0/LICENSE") == (folder / "LICENSE").read_bytes()
    raw = tar_path.read_bytes()
    assert int.from_bytes(raw[4:8], "little") == EPOCH  # the gzip header's time
    with tarfile.open(tar_path) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == expected
        assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(EPOCH, 0, 0, "", "")}
        assert {m.mode for m in members if m.isfile()} == {0o644}
        assert {m.mode for m in members if m.isdir()} == {0o755}


def test_same_sources_give_byte_identical_archives(releases, tmp_path):
    """A second release of the same sources, in another folder and another process (another hash
    seed, SOURCE_DATE_EPOCH from the environment), gives the same bytes."""
    root = make_project(tmp_path)
    env = {**os.environ, "SOURCE_DATE_EPOCH": str(EPOCH), "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-m", "hkgraph", "release", "--root", str(root)], env=env, check=True,
                   capture_output=True, timeout=120)
    again = root / "dist" / "release"
    first = releases["first"]
    for archive in first.archives:
        assert (again / archive.name).read_bytes() == archive.read_bytes(), archive.name
    assert (again / "hkgraph-1.0.0" / "hkgraph.db").read_bytes() == (first.folder / "hkgraph.db").read_bytes()


def test_source_date_epoch(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert source_date_epoch(tmp_path) == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ReleaseError, match="SOURCE_DATE_EPOCH must be a whole number"):
        source_date_epoch(tmp_path)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert source_date_epoch(tmp_path) == FIXED_EPOCH  # not a git repository
    if shutil.which("git") is None:
        if os.environ.get("CI"):
            pytest.fail("git is needed to test the commit-time fallback")
        pytest.skip("git is not installed: cannot test the commit-time fallback")
    env = {**os.environ, "GIT_AUTHOR_DATE": "@1600000000 +0000", "GIT_COMMITTER_DATE": "@1600000000 +0000",
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True, env=env)
    assert source_date_epoch(tmp_path) == 1600000000


# ---------------------------------------------------------------------------------- SemVer, CHANGELOG


def test_changelog_between_two_versions(releases):
    second = releases["second"]
    assert (second.version, second.previous, second.changes.level) == ("2.0.0", "1.0.0", "major")
    text = (second.folder / "CHANGELOG.md").read_text()
    section = text[text.index("## 2.0.0"):text.index("## 1.0.0")]
    assert section == """## 2.0.0 (2025-06-15)

Since 1.0.0: 1 record(s) removed; 1 record(s) added; 1 record(s) changed (a major change).

### Removed

- tip `block-swap-moves-blocks`: Block swap keeps transformer blocks in RAM until they are needed

### Added

- tip `teacache-threshold`: A lower TeaCache threshold keeps more detail

### Changed

- tip `cfg-one-with-distill-lora`: Keep cfg at 1 with a step-distillation LoRA (summary)

"""
    assert text.endswith(
        "## 1.0.0 (2025-06-15)\n\nFirst release: tips 3, nodes 2, parameters 2, repos 2, models 1, files 1, "
        "hardware 1, people 1, concepts 2, pages 1.\n"
    )
    assert text.startswith("# Changelog of the hkgraph data\n")


def test_version_lower_than_the_rule_requires_is_refused(releases):
    root, out = releases["root"], releases["out"]
    with pytest.raises(VersionError, match=r"version 1\.1\.0 is too low: .* requires a major bump, at least 2\.0\.0"):
        make_release(root, version="1.1.0", previous=out / "hkgraph-1.0.0.zip", out_dir=out, epoch=EPOCH)
    result = CliRunner().invoke(cli, ["release", "--root", str(root), "--version", "1.2.3",
                                      "--previous", str(out / "hkgraph-1.0.0.tar.gz")])
    assert result.exit_code == 1
    assert "release refused: version 1.2.3 is too low" in result.output
    assert not (out / "hkgraph-1.1.0").exists() and not (out / "hkgraph-1.2.3").exists()


def test_existing_version_needs_force(releases):
    with pytest.raises(ReleaseError, match=r"release 2\.0\.0 already exists"):
        make_release(releases["root"], version="2.0.0", previous=releases["first"].folder, epoch=EPOCH)


def test_bump_levels():
    old = {("tip", "a"): {"id": "a", "title": "A"}, ("tip", "b"): {"id": "b", "title": "B", "kind": "x"}}
    added = {**old, ("node", "n"): {"id": "n", "name": "N"}}
    assert diff_records(old, added).level == "minor"
    assert required_version("1.4.2", diff_records(old, added)) == "1.5.0"
    changed = {**old, ("tip", "b"): {"id": "b", "title": "B", "kind": "y"}}
    c = diff_records(old, changed)
    assert (c.level, c.changed) == ("patch", {("tip", "b"): ["kind"]})
    assert required_version("1.4.2", c) == "1.4.3"
    renamed = {("tip", "a"): old[("tip", "a")], ("tip", "c"): {"id": "c", "title": "B", "kind": "x"}}
    c = diff_records(old, renamed)
    assert (c.level, c.renamed, c.removed, c.added) == ("major", [(("tip", "b"), ("tip", "c"))], [], [])
    assert diff_records(old, dict(old)).level == "none"
    assert required_version("1.4.2", Changes()) == "1.4.3"
    assert required_version(None, Changes()) == "1.0.0"
    check_version("3.0.0", "1.4.2", diff_records(old, added))  # higher than needed is fine
    with pytest.raises(VersionError, match=r"at least 1\.4\.3"):
        check_version("1.4.2", "1.4.2", Changes())
    with pytest.raises(VersionError, match="not a version"):
        check_version("v2", "1.4.2", Changes())


def test_table_and_column_changes():
    def package(fields: dict[str, dict[str, str]]) -> dict:
        return {"resources": [{"name": t, "schema": {"fields": [{"name": c, "type": ty} for c, ty in cols.items()]}}
                              for t, cols in fields.items()]}

    old = package({"tips": {"id": "string", "n": "integer"}, "gone": {"id": "string"}})
    new = package({"tips": {"id": "string", "n": "number", "extra": "string"}, "fresh": {"id": "string"}})
    c = Changes()
    diff_tables(c, old, new)
    assert (c.tables_removed, c.tables_added, c.columns_added, c.columns_retyped) == (
        ["gone"], ["fresh"], ["tips.extra"], ["tips.n: integer → number"])
    assert c.level == "major"
    c = Changes()
    diff_tables(c, package({"tips": {"id": "string"}}), package({"tips": {"id": "string", "x": "string"}}))
    assert c.level == "minor"


# ------------------------------------------------------------------------------------- refusals


def test_release_refused_while_validate_reports_an_error(tmp_path):
    root = make_project(tmp_path)
    tip = root / "data" / "entries" / "cfg-one-with-distill-lora.yaml"
    tip.write_text(tip.read_text().replace("- cfg\nsettings", "- cfgg\nsettings"))
    result = CliRunner().invoke(cli, ["release", "--root", str(root)])
    assert result.exit_code == 1
    assert "data/entries/cfg-one-with-distill-lora.yaml:10:3: parameters[0]: unknown parameter 'cfgg'; did you mean 'cfg'?" in result.output
    assert "release refused: `hkgraph validate` reports 1 error(s)" in result.output
    assert not (root / "dist" / "release" / "hkgraph-1.0.0").exists()


def test_release_refused_when_schema_is_stale(tmp_path):
    root = make_project(tmp_path)
    (root / "schema" / "tip.schema.json").write_text("{}\n")
    with pytest.raises(ReleaseError, match=r"schema/ is out of date \(tip.schema.json\): run `hkgraph schema`"):
        make_release(root, epoch=EPOCH)


# -------------------------------------------------------------------------------------- verifying


def test_verify_accepts_every_form_of_a_release(releases):
    first = releases["first"]
    for path in (first.folder, *first.archives):
        result = CliRunner().invoke(cli, ["verify", str(path)])
        assert result.exit_code == 0, result.output
        assert "release 1.0.0" in result.output and "checksums and data package match" in result.output


def test_verify_names_every_file_that_does_not_match(releases, tmp_path):
    folder = shutil.copytree(releases["first"].folder, tmp_path / "hkgraph-1.0.0")
    (folder / "LICENSE").unlink()
    with (folder / "csv" / "tips.csv").open("a") as f:
        f.write("extra,row\r\n")
    (folder / "notes.txt").write_text("not part of the release")
    result = CliRunner().invoke(cli, ["verify", str(folder)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == "LICENSE: missing"
    assert lines[1].startswith("csv/tips.csv: SHA-256 does not match SHA256SUMS (expected ")
    assert lines[2:] == ["notes.txt: not listed in SHA256SUMS", f"{folder}: 3 problem(s)"]


def test_verify_checks_the_data_package_too(releases, tmp_path):
    """A file changed together with SHA256SUMS still differs from datapackage.json."""
    folder = shutil.copytree(releases["first"].folder, tmp_path / "hkgraph-1.0.0")
    db = folder / "hkgraph.db"
    db.write_bytes(db.read_bytes() + b"\0")
    from hkgraph.release.archive import write_checksums

    write_checksums(folder)
    result = verify_release(folder)
    assert result.problems == [
        f"hkgraph.db: size does not match datapackage.json (expected {db.stat().st_size - 1}, got {db.stat().st_size})"
    ]


def _rewrite_zip(src: Path, dest: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, change.get(info.filename, zin.read(info.filename)))


def test_verify_tampered_archive(releases, tmp_path):
    bad = tmp_path / "hkgraph-1.0.0.zip"
    _rewrite_zip(releases["first"].archives[0], bad, {"hkgraph-1.0.0/hkgraph.ttl": b"# nothing\n"})
    result = CliRunner().invoke(cli, ["verify", str(bad)])
    assert result.exit_code == 1
    assert result.output.startswith("hkgraph.ttl: SHA-256 does not match SHA256SUMS")
    with pytest.raises(ReleaseError, match=r"does not match its checksums:\nhkgraph\.ttl: SHA-256"):
        open_release(bad, cache_dir=tmp_path / "cache")


def test_unsafe_archive_is_refused(tmp_path):
    evil = tmp_path / "hkgraph-9.9.9.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("hkgraph-9.9.9/SHA256SUMS", "")
        zf.writestr("../escape.txt", "x")
    result = verify_release(evil)
    assert result.problems == ["unsafe path in the archive: '../escape.txt'"]
    assert not (tmp_path.parent / "escape.txt").exists()
    tgz = tmp_path / "hkgraph-9.9.9.tar.gz"
    with tarfile.open(tgz, "w:gz") as tar:
        info = tarfile.TarInfo("hkgraph-9.9.9/link")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)
    assert verify_release(tgz).problems == [f"{tgz.name}: hkgraph-9.9.9/link is not a plain file (a link or a device): refused"]


# ----------------------------------------------------------------------------------------- opening


def test_open_release_from_an_archive_without_the_source_tree(releases, tmp_path, monkeypatch):
    from hkgraph.query.engine import open_store, run_sparql, run_sql
    from hkgraph.release import archive as release_module

    monkeypatch.chdir(tmp_path)  # no data/ or schema/ anywhere near
    cache = tmp_path / "cache"
    opened = []
    for archive in releases["second"].archives:
        dist = open_release(archive, cache_dir=cache)
        opened.append(dist)
        assert dist.parent == cache and dist.name.startswith("hkgraph-2.0.0-")
        assert run_sql(dist / "hkgraph.db", "SELECT id FROM tips ORDER BY id") == [
            {"id": "cfg-one-with-distill-lora"}, {"id": "fp8-quantization-saves-vram"}, {"id": "teacache-threshold"}]
        rows = run_sparql(open_store(dist), "SELECT ?c WHERE { node:wanvideo-model-loader hkv:className ?c }")
        assert rows == [{"c": "WanVideoModelLoader"}]
        assert json.loads((dist / "build-info.json").read_text())["version"] == "2.0.0"
    assert sorted(p.name for p in cache.iterdir()) == sorted(p.name for p in opened)  # no leftovers
    # later calls reuse the cached folders without unpacking again
    monkeypatch.setattr(release_module, "extract_release", lambda *a: pytest.fail("unpacked twice"))
    assert [open_release(a, cache_dir=cache) for a in releases["second"].archives] == opened


def test_open_release_refuses_what_is_not_a_release(tmp_path):
    with pytest.raises(ReleaseError, match="no SHA256SUMS"):
        open_release(tmp_path, cache_dir=tmp_path / "cache")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ReleaseError, match="no such release folder or archive"):
        open_release(tmp_path / "notes.txt", cache_dir=tmp_path / "cache")


def test_serve_release_runs_datasette_on_the_unpacked_release(releases, tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(os, "execv", lambda exe, args: calls.append(args))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    archive = releases["first"].archives[0]
    result = CliRunner().invoke(cli, ["serve", "--release", str(archive), "--port", "8123"])
    assert result.exit_code == 0, result.output
    (args,) = calls
    db = Path(args[args.index("-i") + 1])
    assert db.name == "hkgraph.db" and db.parent.parent == tmp_path / "xdg" / "hkgraph" / "releases"
    assert args[args.index("--port") + 1] == "8123" and "--static" not in args


def test_a_rebuild_keeps_the_releases(tmp_path):
    from hkgraph.compile.build import build

    root = make_project(tmp_path)
    release = make_release(root, epoch=EPOCH)
    build(root)  # replaces dist/ atomically
    build(root)
    assert verify_release(release.folder).ok and all(a.is_file() for a in release.archives)


def test_serve_leaves_downloads_to_the_plugin(releases, monkeypatch):
    # /downloads/ is the plugin's route, which finds the release per request (one made after start too)
    calls = []
    monkeypatch.setattr(os, "execv", lambda exe, args: calls.append(args))
    monkeypatch.setenv("HKGRAPH_RELEASE", "/left/over")
    result = CliRunner().invoke(cli, ["serve", "--root", str(releases["root"])])
    assert result.exit_code == 0, result.output
    assert "--static" not in calls[0]
    assert "HKGRAPH_RELEASE" not in os.environ


@pytest.mark.e2e
def test_serve_release_e2e(releases, tmp_path):
    import importlib.util

    import httpx

    if importlib.util.find_spec("hkgraph.web.plugin") is None:
        pytest.skip("hkgraph.web.plugin (the Datasette entry point) is not on this branch yet")
    port = free_port()
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hkgraph", "serve", "--release", str(releases["second"].archives[1]),
         "--port", str(port)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/hkgraph/tips.json?_shape=array", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail(f"datasette did not start: {proc.stdout.read().decode() if proc.stdout else ''}")
                time.sleep(0.2)
        assert r.status_code == 200
        assert sorted(t["id"] for t in r.json()) == ["cfg-one-with-distill-lora", "fp8-quantization-saves-vram",
                                                     "teacache-threshold"]
        # the downloads page lists the release the server was started with, and serves its files
        archive = releases["second"].archives[1]
        page = httpx.get(f"http://127.0.0.1:{port}/-/downloads", timeout=10).text
        assert f'href="/downloads/release/{archive.name}"' in page
        assert hashlib.sha256(archive.read_bytes()).hexdigest() in page
        got = httpx.get(f"http://127.0.0.1:{port}/downloads/release/{archive.name}", timeout=10)
        assert got.status_code == 200 and got.content == archive.read_bytes()
        assert "hkgraph.db</a>" in page
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


# ------------------------------------------------------------------------------------ download list


def test_release_files_for_a_download_page(releases):
    first = releases["first"]
    files = release_files(first.folder, base_url="/downloads/")
    names = [f["name"] for f in files]
    assert names[:6] == ["hkgraph-1.0.0.zip", "hkgraph-1.0.0.tar.gz", "hkgraph.db", "hkgraph.ttl", "hkgraph.nt.gz",
                         "hkgraph.jsonld"]
    assert {"datapackage.json", "void.ttl", "CHANGELOG.md", "CITATION.cff", "LICENSE", "SHA256SUMS"} <= set(names)
    zip_entry, db_entry = files[0], files[2]
    assert zip_entry["url"] == "/downloads/hkgraph-1.0.0.zip"
    assert zip_entry["bytes"] == first.archives[0].stat().st_size and zip_entry["media_type"] == "application/zip"
    assert db_entry["url"] == "/downloads/hkgraph-1.0.0/hkgraph.db"
    assert db_entry["sha256"] == first.files["hkgraph.db"].sha256


# ----------------------------------------------------------------------- the real data, checked by others


def test_real_release_data_package_validates_with_frictionless(real_release):
    import frictionless

    report = frictionless.validate(real_release.folder / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "type", "note"])
    package = json.loads((real_release.folder / "datapackage.json").read_text())
    assert package["licenses"][0]["name"] == "CC0-1.0"
    tables = {r["name"]: r for r in package["resources"] if r.get("schema")}
    assert tables["tips"]["schema"]["primaryKey"] == ["id"]
    assert {"fields": ["node_id"], "reference": {"resource": "nodes", "fields": ["id"]}} in \
        tables["tip_nodes"]["schema"]["foreignKeys"]
    for resource in package["resources"]:
        assert resource["hash"].startswith("sha256:") and resource["bytes"] > 0 and resource["mediatype"]


def test_fixture_data_package_validates_with_frictionless(releases):
    import frictionless

    report = frictionless.validate(releases["second"].folder / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "type", "note"])


def test_csv_dialect_is_declared_not_guessed(tmp_path):
    # A quote whose lines end in semicolons and that holds a "quoted" phrase (loras/part-02.md has one) made
    # frictionless sniff ';' as the delimiter of quotes.csv while the descriptor left the dialect to guessing.
    import frictionless

    root = make_project(tmp_path)
    (root / "data" / "entries" / "block-swap-moves-blocks.yaml").unlink()  # only the quote below in quotes.csv
    tip = root / "data" / "entries" / "cfg-one-with-distill-lora.yaml"
    said = ['I ran it for ten seconds; "make it look like clay";', "not perfect, but I did not try much;",
            "the native workflow worked better for me;"]
    excerpt = "".join(f"    > {line}\n" for line in said)
    quote = "".join(f"    {line}\n" for line in said)
    tip.write_text(tip.read_text().replace("  excerpt: with the distill lora use cfg 1\n",
                                           f"  excerpt: |-\n{excerpt}quotes:\n- text: |-\n{quote}"))
    release = make_release(root, epoch=EPOCH)
    report = frictionless.validate(release.folder / "datapackage.json")
    assert report.valid, report.flatten(["taskName", "type", "note"])
    package = json.loads((release.folder / "datapackage.json").read_text())
    for resource in package["resources"]:
        if resource.get("schema"):
            assert resource["dialect"] == describe.CSV_DIALECT, resource["name"]


def test_real_release_rdf_parses_with_rdflib(real_release):
    import rdflib

    folder = real_release.folder
    graphs = {
        "ttl": rdflib.Graph().parse(folder / "hkgraph.ttl", format="turtle"),
        "nt": rdflib.Graph().parse(data=gzip.decompress((folder / "hkgraph.nt.gz").read_bytes()).decode(),
                                   format="nt"),
        "jsonld": rdflib.Graph().parse(folder / "hkgraph.jsonld", format="json-ld"),
    }
    assert len(graphs["ttl"]) == len(graphs["nt"]) == len(graphs["jsonld"]) > 0
    node = rdflib.URIRef("https://w3id.org/hkgraph/node/wanvideo-model-loader")
    vocab = rdflib.Namespace("https://w3id.org/hkgraph/vocab#")
    for g in graphs.values():
        assert (node, vocab.className, rdflib.Literal("WanVideoModelLoader")) in g
    void = rdflib.Graph().parse(folder / "void.ttl", format="turtle", publicID=folder.as_uri() + "/")
    v = rdflib.Namespace("http://rdfs.org/ns/void#")
    dataset = rdflib.URIRef(describe.DATASET_IRI)
    assert void.value(dataset, v.triples).toPython() == len(graphs["nt"])
    dumps = sorted(str(o) for o in void.objects(dataset, v.dataDump))
    assert dumps == sorted((folder / n).as_uri() for n in ("hkgraph.jsonld", "hkgraph.nt.gz", "hkgraph.ttl"))
    classes = {str(void.value(p, v["class"])): void.value(p, v.entities).toPython()
               for p in void.objects(dataset, v.classPartition)}
    assert classes[str(vocab.Node)] == len(set(graphs["nt"].subjects(rdflib.RDF.type, vocab.Node)))
    examples = list(void.objects(dataset, v.exampleResource))
    assert (examples[0], rdflib.RDF.type, None) in graphs["nt"]
    assert all((e, rdflib.RDF.type, None) in graphs["nt"] for e in examples)
    for name in ("hkgraph.ttl", "shapes.ttl"):
        assert len(rdflib.Graph().parse(folder / "schema" / name, format="turtle")) > 0


def test_real_release_example_queries_run(real_release):
    import rdflib

    folder = real_release.folder
    graph = rdflib.Graph().parse(folder / "hkgraph.ttl", format="turtle")
    conn = sqlite3.connect(folder / "hkgraph.db")
    try:
        for path in sorted((folder / "queries").iterdir()):
            text = path.read_text()
            rows = list(graph.query(text)) if path.suffix == ".sparql" else conn.execute(text).fetchall()
            if path.name in ("instances-by-class.sparql", "tips-per-node.sql"):
                assert rows, path.name
    finally:
        conn.close()


def test_real_release_data_dictionary_is_complete(real_release):
    """Every table, column, class and property of the build is described in README.md."""
    folder = real_release.folder
    readme = (folder / "README.md").read_text()
    missing = []
    for table in describe.dictionary(folder / "hkgraph.db"):
        if not table.description:
            missing.append(f"table {table.name}")
        missing += [f"column {table.name}.{c.name}" for c in table.columns if not c.description]
        assert f"#### `{table.name}`" in readme
    views = sqlite3.connect(folder / "hkgraph.db").execute("SELECT name FROM sqlite_master WHERE type = 'view'")
    missing += [f"view {name}" for (name,) in views if not describe.TABLE_DESCRIPTIONS.get(name)]
    stats = describe.graph_stats(folder / "hkgraph.nt.gz")
    comments = describe.vocabulary_comments()
    missing += [f"class {c}" for c in stats.classes if not comments.get(c)]
    missing += [f"property {p}" for p in stats.properties if not comments.get(p)]
    assert missing == []
    for iri in [*stats.classes, *stats.properties]:
        assert f"| `{describe.curie(iri)}` |" in readme


def test_real_release_citation_and_license(real_release):
    import yaml

    folder = real_release.folder
    cff = yaml.safe_load((folder / "CITATION.cff").read_text())
    assert (cff["cff-version"], cff["type"], cff["version"], cff["license"]) == ("1.2.0", "dataset", "1.0.0",
                                                                                 "CC0-1.0")
    assert cff["date-released"] == "2025-06-15" and cff["authors"]
    license_text = (folder / "LICENSE").read_text()
    assert "CC0-1.0" in license_text and "https://creativecommons.org/publicdomain/zero/1.0/legalcode" in license_text


def test_real_release_sqlite_has_full_text_search(real_release):
    conn = sqlite3.connect(real_release.folder / "hkgraph.db")
    try:
        hits = conn.execute(
            "SELECT nodes.id FROM nodes_fts JOIN nodes ON nodes.rowid = nodes_fts.rowid "
            "WHERE nodes_fts MATCH '\"WanVideo Model Loader\"'"
        ).fetchall()
    finally:
        conn.close()
    assert ("wanvideo-model-loader",) in hits


def test_graph_stats_reads_plain_and_gzip_n_triples(releases, tmp_path):
    folder = releases["first"].folder
    plain = tmp_path / "g.nt"
    plain.write_bytes(gzip.decompress((folder / "hkgraph.nt.gz").read_bytes()))
    stats = describe.graph_stats(folder / "hkgraph.nt.gz")
    assert stats == describe.graph_stats(plain)
    assert stats.triples == len(plain.read_text().splitlines())
    assert stats.classes["https://w3id.org/hkgraph/vocab#Tip"] == 3


def test_readme_describes_the_release(releases):
    readme = (releases["first"].folder / "README.md").read_text()
    assert readme.startswith("# hkgraph 1.0.0\n")
    assert ("Records: tips 3, nodes 2, parameters 2, repos 2, models 1, files 1, hardware 1, people 1, concepts 2, "
            "pages 1." in readme)
    db_size = (releases["first"].folder / "hkgraph.db").stat().st_size
    assert f"| `hkgraph.db` | SQLite database: every table below, FTS5 full-text indexes, views | {db_size / 1024:.1f} KiB |" in readme
    assert "| `vram_gb` | number | Memory in GB. |" in readme
    assert "| `advice` | string | prefer: use this;" in readme and "One of: `prefer`, `avoid`," in readme


# -------------------------------------------------------------------------------------------- docs


def test_documented_examples_run(tmp_path, monkeypatch):
    """docs/release.md, in order: each `$ hkgraph …` line runs (serve aside) and prints the lines shown
    under it (a shown `Error:` means it must fail); each Python block runs. A block preceded by
    `<!-- test: edit data -->` runs after the test edits the data as in the text."""
    parts = (ROOT / "docs" / "release.md").read_text().split("```")
    root = make_project(tmp_path)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    runner = CliRunner()
    ran = 0
    for prose, block in zip(parts[0::2], parts[1::2], strict=False):
        lang, _, body = block.partition("\n")
        if "<!-- test: edit data -->" in prose:
            edit_project(root)
        if lang == "python":
            exec(compile(body, "docs/release.md", "exec"), {})  # noqa: S102 - the documented example, on purpose
            ran += 1
        if lang != "console":
            continue
        commands: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                commands.append((line[2:], []))
            elif commands:
                commands[-1][1].append(line)
        for command, shown in commands:
            assert command.startswith("hkgraph ") and not command.startswith("hkgraph serve"), command
            result = runner.invoke(cli, command.split()[1:])
            failing = any(line.startswith("Error:") for line in shown)
            assert (result.exit_code != 0) == failing, (command, result.output)
            for line in shown:
                assert line in result.output.splitlines(), (command, line, result.output)
            ran += 1
    assert ran == 7
