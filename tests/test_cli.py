"""The command line, through click's runner, on a copy of the small valid fixture."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli

from conftest import FIXTURES, ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_every_command_has_help():
    code, out = run("-h")
    assert code == 0
    for name, command in cli.commands.items():
        assert command.help, f"{name} has no help text"
        assert name in out


def test_validate_ok(project):
    assert run("validate", "--root", str(project)) == (0, "2 tips, 6 entities: 0 error(s), 0 warning(s)\n")


def test_build_and_stats(project):
    code, out = run("build", "--root", str(project), "--out", str(project / "dist"))
    assert code == 0 and out.startswith(f"built {project / 'dist'}: 2 tips, ")
    code, out = run("stats", "--root", str(project), "--format", "json")
    counts = {row["what"]: row["count"] for row in json.loads(out)}
    assert counts["tips"] == 2 and counts["nodes"] == 1 and counts["settings"] == 1 and counts["tip links named"] == 5
    assert counts["tip links derived"] == 2  # the loader of the named quantization input, and its pack


def test_query_sql_formats(project):
    sql = "SELECT id, kind FROM tips ORDER BY id"
    code, out = run("query", "sql", sql, "--root", str(project), "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {"id": "unscaled-fp8-e5m2-is-worst", "kind": "warning"},
        {"id": "wrapper-offloads-everything", "kind": "comparison"},
    ]
    code, out = run("query", "sql", sql, "--root", str(project), "--format", "csv")
    assert out.splitlines() == ["id,kind", "unscaled-fp8-e5m2-is-worst,warning", "wrapper-offloads-everything,comparison"]
    code, out = run("query", "sql", sql, "--root", str(project))
    assert out.splitlines()[0].split() == ["id", "kind"]


def test_query_sparql(project):
    query = "SELECT ?title WHERE { ?t hkv:aboutNode|hkv:derivedAbout node:wanvideo-model-loader ; dcterms:title ?title }"
    code, out = run("query", "sparql", query, "--root", str(project), "--format", "json")
    assert code == 0, out
    assert json.loads(out) == [{"title": "Unscaled fp8_e5m2 quantization is the worst choice"}]
    code, out = run("query", "sparql", "ASK { node:wanvideo-model-loader a hkv:Node }", "--root", str(project))
    assert out == "true\n"


def test_bad_queries_give_clear_errors(project):
    code, out = run("query", "sql", "SELECT nope FROM tips", "--root", str(project))
    assert code == 1 and "Error: SQL error: no such column: nope" in out
    code, out = run("query", "sparql", "SELECT ?x WHERE { ?x ", "--root", str(project))
    assert code == 1 and "Error: SPARQL syntax error" in out and "line 1" in out
    code, out = run("query", "sql", "DELETE FROM tips", "--root", str(project))
    assert code == 1 and "readonly" in out


def test_build_refused_on_bad_data(project):
    (project / "data/entries/bad.yaml").write_text("id: bad\n")
    code, out = run("build", "--root", str(project), "--out", str(project / "dist"))
    assert code == 1
    assert "data/entries/bad.yaml:1:1: title: required field is missing" in out
    assert "the previous build is untouched" in out
    assert not (project / "dist").exists()


def test_fmt_check_names_the_fix(project):
    path = project / "data/entities/people/kijai.yaml"
    path.write_text("name: Kijai\nid: kijai\n")
    code, out = run("fmt", "--check", "--root", str(project))
    assert code == 1
    assert "not canonical: data/entities/people/kijai.yaml" in out and "run `hkgraph fmt`" in out


def test_coverage_of_a_page(project, tmp_path):
    page = tmp_path / "hidden-knowledge.md"
    page.write_text(
        "# Hidden Knowledge\n\n## 2025.12.07\n\n"
        '`quantization` of `fp8_e5m2` without `scaled` is "the worst way to use the model".\n\n'
        "![shot](screenshots/x.webp)\n\nAn uncovered line.\n"
    )
    code, out = run("coverage", str(page), "--root", str(project), "--min", "1.0")
    assert code == 1
    assert out.splitlines() == [f"{page}:9: An uncovered line.", "hidden-knowledge.md: 1/2 content lines covered (50.0%)"]
