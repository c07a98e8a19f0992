"""`make serve` needs the runtime dependencies only: no test tool is a dependency or imported by the package."""

from __future__ import annotations

import ast
import re
import tomllib

from conftest import ROOT

TEST_TOOLS = {"pytest", "pytest_asyncio", "ruff", "SPARQLWrapper", "oxigraph", "frictionless", "playwright", "rich"}


def test_serve_installs_the_runtime_only() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    serve = re.search(r"^serve: (\S+)", makefile, re.MULTILINE).group(1)  # type: ignore[union-attr]
    assert serve == "runtime"
    assert "pip install --quiet -e .\n" in makefile
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {re.split(r"[<>=\[ ]", d, maxsplit=1)[0].lower() for d in project["dependencies"]}
    assert not runtime & {t.lower() for t in TEST_TOOLS}


def test_the_package_imports_no_test_tool() -> None:
    found = []
    for path in sorted((ROOT / "src" / "hkgraph").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in TEST_TOOLS]
    assert found == []
