"""docs/datasette.md: its queries run, and its tables name every canned query and plugin setting."""

from __future__ import annotations

import re

import pytest
from datasette.app import Datasette

from hkgraph.web.metadata import CANNED_QUERIES
from hkgraph.web.plugin import CONFIG_TYPES

from conftest import ROOT

DOC = (ROOT / "docs" / "datasette.md").read_text(encoding="utf-8")
module_loop = pytest.mark.asyncio(loop_scope="module")


def blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", DOC, re.MULTILINE | re.DOTALL)


def table_names(heading: str) -> list[str]:
    """The first column (`code`) of the Markdown table whose header row starts with ``| heading |``."""
    start = DOC.index(f"| {heading} |")
    rows = DOC[start:].split("\n\n", 1)[0].splitlines()[2:]
    return [re.match(r"\| `([^`]+)`", row).group(1) for row in rows]  # type: ignore[union-attr]


def test_every_canned_query_is_documented() -> None:
    assert sorted(table_names("query")) == sorted(CANNED_QUERIES)


def test_every_plugin_setting_is_documented() -> None:
    assert sorted(table_names("setting")) == sorted(CONFIG_TYPES)


@module_loop
async def test_sparql_block_answers(ds: Datasette) -> None:
    (query,) = blocks("sparql")
    r = await ds.client.get("/-/sparql", params={"query": query, "format": "json"})
    assert r.status_code == 200
    rows = [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]
    assert rows == [{"node": "https://w3id.org/hkgraph/node/vaeloader-kj", "name": "VAELoader KJ", "tips": "1"}]


@module_loop
async def test_curl_example_answers(ds: Datasette) -> None:
    (command,) = blocks("sh")
    query = re.search(r"--data-urlencode 'query=(.*?)'", command).group(1)  # type: ignore[union-attr]
    accept = re.search(r"-H 'Accept: (.*?)'", command).group(1)  # type: ignore[union-attr]
    r = await ds.client.get("/-/sparql", params={"query": query}, headers={"accept": accept})
    assert r.status_code == 200
    assert r.text == "name\r\nWanVideo Sampler\r\n"


@module_loop
async def test_troubleshoot_example(ds: Datasette) -> None:
    path = re.search(r"`(/hkgraph/troubleshoot\?error=[^`]+)`", DOC).group(1)  # type: ignore[union-attr]
    name, _, error = path.partition("?error=")
    r = await ds.client.get(name + ".json", params={"error": error, "_shape": "array"})
    assert r.json()[0]["tip_id"] == "oom-error-means-swap-more-blocks"


@module_loop
async def test_syntax_error_example(ds: Datasette) -> None:
    (example,) = blocks("text")
    first, query_line, caret = example.rstrip("\n").split("\n")
    r = await ds.client.get("/-/sparql", params={"query": query_line.strip()})
    message = r.json()["error"].split("\n")
    assert message[0].startswith(first.removesuffix("…)").rstrip())
    assert message[1:] == [query_line, caret]
