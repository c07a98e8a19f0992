"""End to end: `hkgraph serve` on a free loopback port, queried with plain HTTP, SPARQLWrapper and Chromium.

The server runs on a copy of tests/fixtures/site (exact answers known). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hkgraph.release.archive import make_release

from conftest import FIXTURES, ROOT, free_port

pytestmark = pytest.mark.e2e
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `hkgraph serve` (it builds the copy first), stopped at the end of the module."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(FIXTURES / "site" / "data", root / "data")
    shutil.copytree(ROOT / "schema", root / "schema")
    shutil.copy(ROOT / "metadata.yml", root / "metadata.yml")
    make_release(root, version="1.0.0", epoch=315532800)  # listed on /-/downloads, served under /downloads/
    port = free_port()
    log = (root / "serve.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hkgraph", "serve", "--root", str(root), "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"hkgraph serve exited with {process.returncode}:\n{(root / 'serve.log').read_text()}")
            try:
                if httpx.get(url + "/-/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"hkgraph serve did not answer within 90 s:\n{(root / 'serve.log').read_text()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


# ------------------------------------------------------------------------------------ plain HTTP


def test_release_files_are_linked_and_served(server: str) -> None:
    page = httpx.get(server + "/-/downloads", timeout=10)
    assert page.status_code == 200
    assert "Release <strong>1.0.0</strong>" in page.text
    assert 'href="/downloads/hkgraph-1.0.0.zip"' in page.text
    archive = httpx.get(server + "/downloads/hkgraph-1.0.0.zip", timeout=10)
    assert archive.status_code == 200 and archive.content[:2] == b"PK"
    assert hashlib.sha256(archive.content).hexdigest() in page.text


def test_table_json_api(server: str) -> None:
    r = httpx.get(f"{server}/hkgraph/nodes.json", params={"_shape": "array", "repo": "comfyui-kjnodes"})
    assert r.status_code == 200
    assert [(n["id"], n["class_name"]) for n in r.json()] == [("vaeloader-kj", "VAELoaderKJ")]


def test_canned_query_over_http(server: str) -> None:
    r = httpx.get(f"{server}/hkgraph/recommended_settings.json",
                  params={"node": "WanVideoBlockSwap", "_shape": "array"})
    assert r.status_code == 200
    assert [(row["parameter"], row["advice"], row["setting"]) for row in r.json()] == [
        ("blocks_to_swap", "use-when", "10 to 40")]


def test_full_text_search_over_http(server: str) -> None:
    r = httpx.get(f"{server}/hkgraph/tips.json", params={"_search": "sageattn", "_shape": "array"})
    assert [row["id"] for row in r.json()] == ["sageattention-speeds-up-sampling"]


# ------------------------------------------------------------------------------------ SPARQLWrapper


def test_sparqlwrapper_select(server: str) -> None:
    from SPARQLWrapper import JSON, SPARQLWrapper

    client = SPARQLWrapper(f"{server}/-/sparql")
    client.setQuery("""
        PREFIX hkv: <https://w3id.org/hkgraph/vocab#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?name ?vram WHERE { ?h a hkv:Hardware ; rdfs:label ?name ; hkv:vramGB ?vram } ORDER BY ?name""")
    client.setReturnFormat(JSON)
    result = client.queryAndConvert()
    assert [(b["name"]["value"], float(b["vram"]["value"])) for b in result["results"]["bindings"]] == [  # type: ignore[index]
        ("RTX 3090", 24.0), ("RTX 5090", 32.0)]


def test_sparqlwrapper_construct(server: str) -> None:
    import rdflib
    from SPARQLWrapper import TURTLE, XML, SPARQLWrapper

    query = """
        PREFIX hkv: <https://w3id.org/hkgraph/vocab#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        CONSTRUCT { ?p rdfs:label ?name } WHERE { ?p hkv:ofNode <https://w3id.org/hkgraph/node/wanvideo-model-loader> ;
                                                     rdfs:label ?name }"""
    expected = {"attention_mode", "quantization"}
    client = SPARQLWrapper(f"{server}/-/sparql")
    client.setQuery(query)
    client.setReturnFormat(TURTLE)
    turtle = client.queryAndConvert()
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    assert {str(o) for o in graph.objects()} == expected
    client.setReturnFormat(XML)  # for CONSTRUCT: RDF/XML, which SPARQLWrapper parses into an rdflib Graph
    parsed = client.queryAndConvert()
    assert isinstance(parsed, rdflib.Graph)
    assert {str(o) for o in parsed.objects()} == expected


# ------------------------------------------------------------------------------------ Chromium


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: `make system-deps` installs it")
        pytest.skip("/usr/bin/chromium is not installed (run `make system-deps` as root)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser, width: int = 1280):  # type: ignore[no-untyped-def]
    return browser.new_page(viewport={"width": width, "height": 900})


def test_home_page_renders(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "hkgraph: hidden knowledge of ComfyUI video generation"
    assert page.get_by_role("link", name="CC0 1.0 (data; the source site is CC0 1.0 too)").first.is_visible()
    page.locator("details.nav-menu summary").click()
    assert page.locator("details.nav-menu").get_by_role("link", name="SPARQL").is_visible()
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    page.close()


def test_tip_page_renders(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/hkgraph/tips/fp8-quantization-saves-vram")
    summary = page.locator(".hk-tip")
    assert "keeps the 14B model within a 24 GB card" in summary.inner_text()
    assert summary.locator("div strong").inner_text() == "fp8_e4m3fn"  # the Markdown, rendered
    related = page.locator("table.hk-related")
    assert related.get_by_role("link", name="WanVideo Model Loader").get_attribute("href") == \
        "/hkgraph/nodes/wanvideo-model-loader"
    page.screenshot(path=str(ARTIFACTS / "tip.png"), full_page=True)
    related.get_by_role("link", name="WanVideo Model Loader").click()
    page.wait_for_url("**/hkgraph/nodes/wanvideo-model-loader")
    assert page.locator("table.hk-related").get_by_role("link", name="quantization", exact=True).is_visible()
    page.screenshot(path=str(ARTIFACTS / "node.png"), full_page=True)
    page.close()


def test_sparql_page_runs_an_example(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/-/sparql")
    assert page.locator("h1").inner_text() == "SPARQL"
    assert page.locator("textarea#hk-query").input_value().startswith("SELECT")
    page.screenshot(path=str(ARTIFACTS / "sparql.png"), full_page=True)
    page.get_by_role("link", name="Nodes of a node pack, most discussed first").click()
    page.wait_for_selector("table.hk-result-table")
    rows = page.locator("table.hk-result-table tbody tr")
    assert rows.count() == 3
    assert rows.first.locator("td").nth(1).inner_text() == "WanVideo Model Loader"
    assert "GROUP BY ?node ?name" in page.locator("textarea#hk-query").input_value()
    page.screenshot(path=str(ARTIFACTS / "sparql-example.png"), full_page=True)
    # Edit the query in the box and run it with the button.
    page.locator("textarea#hk-query").fill("SELECT ?name WHERE { ?h a hkv:Hardware ; rdfs:label ?name } ORDER BY ?name")
    page.get_by_role("button", name="Run query").click()
    page.wait_for_selector("table.hk-result-table")
    cells = page.locator("table.hk-result-table tbody td").all_inner_texts()
    assert cells == ["RTX 3090", "RTX 5090"]
    page.close()


def test_canned_query_page_renders(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/hkgraph/troubleshoot?error=torch.OutOfMemoryError%3A+CUDA+out+of+memory")
    first = page.locator("table.rows-and-columns tbody tr").first
    assert first.locator("td").first.inner_text() == "oom-error-means-swap-more-blocks"
    page.screenshot(path=str(ARTIFACTS / "troubleshoot.png"), full_page=True)
    page.close()


def test_docs_python_example_runs(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    import re

    doc = (ROOT / "docs" / "datasette.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"^```python\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)
    exec(compile(code.replace("http://127.0.0.1:8001", server), "docs/datasette.md", "exec"), {})  # noqa: S102
    assert capsys.readouterr().out.splitlines() == [
        "attention_mode prefer sageattn",
        "cfg default 1.0",
        "quantization avoid fp8_e4m3fn",
        "quantization prefer fp8_e4m3fn",
        "quantization use-when fp8_e5m2",
    ]
