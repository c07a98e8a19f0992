"""Every example of docs/query.md runs and gives the answer the page shows.

``pycon`` blocks run as one doctest session; ``console`` blocks run each ``$ hkgraph …`` line with
click's CliRunner and compare the output line by line. Both run in a folder holding the test dataset
(tests/fixtures/kg). The page's example endpoint (127.0.0.1:7878) is a real Oxigraph server started on
a free port; its unreachable one (127.0.0.1:9) is a free port nothing listens on.
"""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli
from oxigraph_server import start_oxigraph, stop

from conftest import ROOT, free_port

DOC = ROOT / "docs" / "query.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[tuple[int, str]]:
    text = DOC.read_text(encoding="utf-8")
    return [(text[: m.start()].count("\n") + 2, m.group(2)) for m in FENCE.finditer(text) if m.group(1) == language]


@pytest.fixture(scope="module")
def addresses(kg_dist: Path, tmp_path_factory: pytest.TempPathFactory):
    proc, url = start_oxigraph(kg_dist / "hkgraph.nt", tmp_path_factory.mktemp("docs-oxigraph") / "store")
    try:
        yield {"127.0.0.1:7878": url.split("/")[2], "127.0.0.1:9/": f"127.0.0.1:{free_port()}/"}
    finally:
        stop(proc)


def localise(text: str, addresses: dict[str, str]) -> str:
    for documented, real in addresses.items():
        text = text.replace(documented, real)
    return text


def test_python_examples(kg_dist, addresses, monkeypatch):
    monkeypatch.chdir(kg_dist.parent)
    source = "\n".join(localise(code, addresses) for _line, code in blocks("pycon"))
    test = doctest.DocTestParser().get_doctest(source, {}, "docs/query.md", str(DOC), 0)
    assert len(test.examples) > 20
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} example(s) of docs/query.md failed (see the output above)"


def console_examples() -> list[tuple[int, str, str]]:
    out = []
    for line, code in blocks("console"):
        parts = re.split(r"^\$ ", code, flags=re.MULTILINE)
        for part in parts[1:]:
            command, _, expected = part.partition("\n")
            out.append((line, command, expected))
    return out


@pytest.mark.parametrize(("line", "command", "expected"), console_examples(), ids=[c for _l, c, _e in console_examples()])
def test_shell_examples(kg_dist, addresses, monkeypatch, line, command, expected):
    monkeypatch.chdir(kg_dist.parent)
    args = shlex.split(localise(command, addresses))
    assert args[0] == "hkgraph"
    result = CliRunner().invoke(cli, args[1:])
    got = [x.rstrip() for x in result.output.rstrip("\n").split("\n")]
    want = [x.rstrip() for x in localise(expected, addresses).rstrip("\n").split("\n")]
    assert got == want, f"docs/query.md near line {line}: $ {command}"
    assert "Traceback" not in result.output
    assert result.exit_code == (1 if want[0].startswith("Error:") else 0)
