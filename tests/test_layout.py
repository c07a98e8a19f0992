"""The package shows the pipeline: one subpackage per stage, each documented, none importing a later stage."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "src" / "hkgraph"
# What each stage may import besides itself and the package root (hkgraph.__version__).
ALLOWED = {
    "records": set(),
    "compile": {"records"},
    "query": {"records", "compile"},
    "advise": {"records", "compile", "query"},
    "release": {"records", "compile", "query"},
    "web": {"records", "compile", "query", "advise", "release"},
}


def hkgraph_imports(path: Path) -> set[str]:
    """The hkgraph subpackages a module imports (relative or absolute, at any depth of the file)."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    package = module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, *(node.module.split(".") if node.module else [])])
                targets = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            elif node.module:
                targets = [node.module]
        elif isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        for t in targets:
            parts = t.split(".")
            if parts[0] == "hkgraph" and len(parts) > 1 and parts[1] in ALLOWED:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("stage", sorted(ALLOWED))
def test_a_stage_imports_only_earlier_stages(stage):
    wrong = {}
    for path in sorted((PACKAGE / stage).rglob("*.py")):
        bad = hkgraph_imports(path) - ALLOWED[stage] - {stage}
        if bad:
            wrong[str(path.relative_to(ROOT))] = sorted(bad)
    assert not wrong, f"upward imports: {wrong}"


def test_every_stage_says_what_it_owns_and_what_it_may_import():
    for stage in ALLOWED:
        doc = ast.get_docstring(ast.parse((PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")))
        assert doc and "import" in doc, f"{stage}/__init__.py needs a docstring saying what it owns and may import"


def test_the_top_level_holds_only_the_wiring():
    top = sorted(p.name for p in PACKAGE.iterdir() if p.suffix == ".py")
    assert top == ["__init__.py", "__main__.py", "cli.py"]


def test_the_readme_layout_lists_every_stage_once():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    for stage in ALLOWED:
        assert layout.count(f"{stage}/") == 1, f"README layout should list {stage}/ once"


def test_the_cli_knows_every_entity_kind():
    from hkgraph.cli import ENTITY_KIND_NAMES
    from hkgraph.records.model import ENTITY_KINDS

    assert set(ENTITY_KIND_NAMES) == set(ENTITY_KINDS)


DOCS = [ROOT / "README.md", ROOT / "data" / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        *sorted((ROOT / "benchmarks").glob("*.md")), ROOT / "tests" / "fixtures" / "kg" / "README.md"]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_documents_name_files_that_exist(doc):
    """A page that sends the reader to a test or a module names a file that is there (the layout moved
    tests into stage folders once, and three pages kept the old paths)."""
    import re

    named = set(re.findall(r"(?<![\w/.])((?:tests|src/hkgraph|scripts|benchmarks)/[\w/]+\.py)\b", doc.read_text()))
    assert not {p for p in named if not (ROOT / p).is_file()}, doc
