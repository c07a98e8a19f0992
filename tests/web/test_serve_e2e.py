"""End to end: `hkgraph serve` on a free loopback port, queried with plain HTTP, SPARQLWrapper and Chromium.

The server runs on a copy of tests/fixtures/site (exact answers known). Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import hashlib
import os
import re
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
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def start_server(root: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """`hkgraph serve --root ROOT ARGS` on a free port, once it answers."""
    port = free_port()
    log = (root / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "hkgraph", "serve", "--root", str(root), "--port", str(port), *args],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            pytest.fail(f"hkgraph serve exited with {process.returncode}:\n{(root / f'serve-{port}.log').read_text()}")
        try:
            if httpx.get(url + "/-/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            stop_server(process)
            pytest.fail(f"hkgraph serve did not answer within 90 s:\n{(root / f'serve-{port}.log').read_text()}")
        time.sleep(0.2)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(FIXTURES / "site" / "data", root / "data")
    shutil.copytree(ROOT / "schema", root / "schema")
    shutil.copy(ROOT / "metadata.yml", root / "metadata.yml")
    return root


@pytest.fixture(scope="module")
def server(served_root: Path) -> Iterator[str]:
    """A real `hkgraph serve` (it builds the copy first), stopped at the end of the module."""
    process, url = start_server(served_root)
    try:
        yield url
    finally:
        stop_server(process)


# ------------------------------------------------------------------------------------ plain HTTP


def test_a_release_made_after_start_is_listed_and_served(server: str, served_root: Path) -> None:
    before = httpx.get(server + "/-/downloads", timeout=10)
    assert before.status_code == 200
    assert "No release has been built next to this database yet" in before.text
    # the build's own RDF is offered from the start, with sizes a person reads
    assert 'href="/downloads/build/hkgraph.ttl"' in before.text
    ttl = httpx.get(server + "/downloads/build/hkgraph.ttl", timeout=10)
    assert ttl.status_code == 200 and ttl.content == (served_root / "dist" / "hkgraph.ttl").read_bytes()
    assert re.search(r"<td[^>]*>\d+(\.\d)? KB</td>", before.text)
    make_release(served_root, version="1.0.0", epoch=315532800)
    page = httpx.get(server + "/-/downloads", timeout=10)
    assert "Release <strong>1.0.0</strong>" in page.text
    assert 'href="/downloads/release/hkgraph-1.0.0.zip"' in page.text
    archive = httpx.get(server + "/downloads/release/hkgraph-1.0.0.zip", timeout=10)
    assert archive.status_code == 200 and archive.content[:2] == b"PK"
    assert hashlib.sha256(archive.content).hexdigest() in page.text
    db = httpx.get(server + "/downloads/release/hkgraph-1.0.0/hkgraph.db", timeout=10)
    assert db.status_code == 200 and db.content[:15] == b"SQLite format 3"
    assert httpx.get(server + "/downloads/release/hkgraph-1.0.0/../../metadata.yml", timeout=10).status_code == 404


def test_every_kind_answers_turtle_at_its_path(server: str) -> None:
    """`curl -H 'Accept: text/turtle' http://127.0.0.1:PORT/<kind>/<id>` gives Turtle rdflib reads."""
    import rdflib

    base = "https://w3id.org/hkgraph/"
    rows = httpx.get(server + "/-/sparql", params={
        "query": f"SELECT DISTINCT ?s WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), '{base}')) }} ORDER BY ?s"},
        timeout=10).json()["results"]["bindings"]
    by_kind: dict[str, str] = {}
    for b in rows:
        by_kind.setdefault(b["s"]["value"][len(base):].partition("/")[0], b["s"]["value"])
    assert len(by_kind) >= 11
    curl = shutil.which("curl")
    for kind, iri in by_kind.items():
        url = server + "/" + iri[len(base):]
        if curl:
            body = subprocess.run([curl, "-sf", "-H", "Accept: text/turtle", url], capture_output=True, check=True,
                                  timeout=30).stdout.decode()
        else:
            body = httpx.get(url, headers={"accept": "text/turtle"}, timeout=10).text
        graph = rdflib.Graph().parse(data=body, format="turtle")
        assert (rdflib.URIRef(iri), None, None) in graph, kind


def test_a_rebuild_is_served_without_a_restart(server: str, served_root: Path) -> None:
    tip = served_root / "data" / "entries" / "sageattention-speeds-up-sampling.yaml"
    text = tip.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    tip.write_text(text.replace(title, "title: SageAttention, rebuilt while the server runs"))
    subprocess.run([sys.executable, "-m", "hkgraph", "build", "--root", str(served_root),
                    "--out", str(served_root / "dist")], check=True,
                   capture_output=True, timeout=300)
    query = {"query": "SELECT ?t WHERE { tip:sageattention-speeds-up-sampling dcterms:title ?t }"}
    new = "SageAttention, rebuilt while the server runs"
    deadline = time.monotonic() + 60
    page, titles = "", []
    while time.monotonic() < deadline:  # the pages and the SPARQL workers both move to the new build
        page = httpx.get(server + "/hkgraph/tips/sageattention-speeds-up-sampling", timeout=10).text
        answer = httpx.get(server + "/-/sparql", params=query, timeout=10).json()
        titles = [b["t"]["value"] for b in answer["results"]["bindings"]]
        if new in page and titles == [new]:
            break
        time.sleep(0.3)
    assert f"<h1>{new}</h1>" in page
    assert titles == [new]
    assert "hk-banner" not in httpx.get(server + "/", timeout=10).text


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


def _page(browser, width: int = 1280, height: int = 800):  # type: ignore[no-untyped-def]
    return browser.new_page(viewport={"width": width, "height": height})


def _no_horizontal_overflow(page, selector: str) -> None:  # type: ignore[no-untyped-def]
    sizes = page.evaluate(f"""() => {{ const e = document.querySelector({selector!r});
        return [e.scrollWidth, e.clientWidth, document.documentElement.scrollWidth, window.innerWidth]; }}""")
    assert sizes[0] <= sizes[1] + 1, f"{selector} overflows: {sizes}"
    assert sizes[2] <= sizes[3], f"the page is wider than the window: {sizes}"


def test_home_page_puts_search_first(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "hkgraph: hidden knowledge of ComfyUI video generation"
    box = page.get_by_role("searchbox", name="Search")
    assert box.is_visible() and box.bounding_box()["y"] < 200
    assert page.get_by_role("link", name="Troubleshooting by error text").is_visible()
    assert page.get_by_role("link", name="The workflow advisor").is_visible()
    assert page.locator(".hk-counts").inner_text().startswith("7 tips")
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    box.fill("wanvideo model loader")
    box.press("Enter")
    page.wait_for_url("**/-/search?q=wanvideo+model+loader")
    assert page.locator(".hk-named").get_by_role("link", name="WanVideo Model Loader").is_visible()
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    page.close()


def test_tips_table_shows_the_first_tip_above_the_fold(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser, 1280, 800)
    page.goto(server + "/hkgraph/tips")
    first = page.locator("table.hk-tips tbody tr").first
    box = first.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 800, box
    assert first.locator("td.title a").first.is_visible()
    _no_horizontal_overflow(page, "table.hk-tips")
    facets = page.locator(".hk-tips-side").inner_text()
    assert "kind" in facets and "node pack" in facets and "tags" in facets
    assert page.locator("input[name=date__gte]").is_visible()  # a date range, not a 30-value list
    page.screenshot(path=str(ARTIFACTS / "tips-table.png"))
    page.locator(".facet-info", has_text="node pack").get_by_role("link", name="ComfyUI-KJNodes").click()
    page.wait_for_url("**_pack=comfyui-kjnodes**")
    assert page.locator("table.hk-tips tbody tr").count() == 1
    page.close()


def test_tip_page_reads_as_a_record(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/hkgraph/tips/fp8-quantization-saves-vram")
    assert page.locator("h1").inner_text().startswith("fp8 quantization in the WanVideo Model Loader roughly halves")
    assert page.locator(".hk-iri-value").inner_text() == "https://w3id.org/hkgraph/tip/fp8-quantization-saves-vram"
    assert page.locator("blockquote.hk-excerpt").is_visible()
    assert page.locator("figcaption.hk-cite a").get_attribute("href").startswith("https://wanx-troopers.github.io/")
    assert page.locator("table.hk-settings tbody tr").count() >= 1
    assert page.get_by_text("Links from other tables").count() == 0
    _no_horizontal_overflow(page, "article.hk-record")
    page.screenshot(path=str(ARTIFACTS / "tip.png"), full_page=True)
    page.locator("#hk-tip_nodes").get_by_role("link", name="WanVideo Model Loader").click()
    page.wait_for_url("**/hkgraph/nodes/wanvideo-model-loader")
    assert page.locator("h1").inner_text() == "WanVideo Model Loader"
    assert page.locator(".hk-iri-value").inner_text() == "https://w3id.org/hkgraph/node/wanvideo-model-loader"
    assert page.get_by_role("link", name="quantization", exact=True).first.is_visible()
    assert page.locator("table.hk-facts").get_by_role("link", name="ComfyUI-WanVideoWrapper").is_visible()
    page.screenshot(path=str(ARTIFACTS / "node.png"), full_page=True)
    page.close()


def test_entity_pages_for_every_kind_render(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    for path, heading in [("/hkgraph/models/wan-2-1-t2v-14b", "Wan 2.1 T2V 14B"), ("/hkgraph/people/kijai", "Kijai"),
                          ("/hkgraph/repos/comfyui-kjnodes", "ComfyUI-KJNodes"), ("/hkgraph/hardware/rtx-3090", "RTX 3090"),
                          ("/hkgraph/concepts/sageattention", None),
                          ("/hkgraph/parameters/wanvideo-model-loader-quantization", "quantization")]:
        page.goto(server + path)
        if heading:
            assert page.locator("h1").inner_text() == heading, path
        assert page.locator(".hk-iri-value").inner_text().startswith("https://w3id.org/hkgraph/"), path
        assert page.get_by_text("0 rows").count() == 0, path
    page.screenshot(path=str(ARTIFACTS / "parameter.png"), full_page=True)
    # the IRI's path answers a browser with the same page
    page.goto(server + "/person/kijai")
    assert page.url.endswith("/hkgraph/people/kijai") and page.locator("h1").inner_text() == "Kijai"
    page.close()


def test_sparql_page_has_an_editor_and_example_tabs(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/-/sparql")
    assert page.locator("h1").inner_text() == "SPARQL"
    page.wait_for_selector("#hk-editor[data-loaded=yes] .CodeMirror")
    assert page.locator("textarea#hk-query").is_hidden()
    assert page.locator("#hk-editor .cm-keyword").first.inner_text() == "SELECT"  # highlighted
    assert page.evaluate("window.hkYasqe.getValue()").startswith("SELECT")
    page.screenshot(path=str(ARTIFACTS / "sparql.png"), full_page=True)
    page.get_by_role("tab", name="Nodes of a node pack, most discussed first").click()
    page.wait_for_selector("table.hk-result-table")
    page.wait_for_selector("#hk-editor[data-loaded=yes]")  # the editor's script runs after the table is parsed
    assert page.get_by_role("tab", name="Nodes of a node pack, most discussed first").get_attribute("aria-selected") == "true"
    rows = page.locator("table.hk-result-table tbody tr")
    assert rows.count() == 3
    assert rows.first.locator("td").nth(1).inner_text() == "WanVideo Model Loader"
    assert rows.first.locator("td a").first.get_attribute("href") == "/node/wanvideo-model-loader"
    assert "GROUP BY ?node ?name" in page.evaluate("window.hkYasqe.getValue()")
    page.screenshot(path=str(ARTIFACTS / "sparql-example.png"), full_page=True)
    # Type a query into the editor and run it with Ctrl+Enter.
    page.evaluate("window.hkYasqe.setValue('')")
    page.locator("#hk-editor .CodeMirror textarea").focus()
    page.keyboard.type("SELECT ?name WHERE { ?h a hkv:Hardware ; rdfs:label ?name } ORDER BY ?name")
    page.keyboard.press("Control+Enter")
    page.wait_for_url("**query=SELECT**")
    page.wait_for_selector("table.hk-result-table")
    assert page.locator("table.hk-result-table tbody td").all_inner_texts() == ["RTX 3090", "RTX 5090"]
    # A mistake is explained in words, with its line and column, and marked in the editor.
    page.goto(server + "/-/sparql?query=" + "SELECT%20*%20WHERE%20%7B%20%3Fs%20foo%3Abar%20%3Fo%20%7D")
    error = page.locator("pre.hk-error")
    assert error.inner_text().startswith("SPARQL syntax error at line 1, column 21: the prefix foo: is not declared")
    assert "\\u{" not in error.inner_text()
    page.wait_for_selector("#hk-editor .cm-error")
    page.screenshot(path=str(ARTIFACTS / "sparql-error.png"), full_page=True)
    page.close()


def test_canned_query_page_renders(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/hkgraph/troubleshoot?error=torch.OutOfMemoryError%3A+CUDA+out+of+memory")
    first = page.locator("table.rows-and-columns tbody tr").first
    assert first.locator("td").first.inner_text() == "oom-error-means-swap-more-blocks"
    page.screenshot(path=str(ARTIFACTS / "troubleshoot.png"), full_page=True)
    page.close()


def test_downloads_and_coverage_pages_render(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    page = _page(browser)
    page.goto(server + "/-/downloads")
    assert page.locator("h1").inner_text() == "Downloads"
    assert page.get_by_role("link", name="hkgraph.ttl").first.is_visible()
    page.screenshot(path=str(ARTIFACTS / "downloads.png"), full_page=True)
    page.goto(server + "/-/coverage")
    assert page.locator("h1").inner_text() == "Coverage of the source pages"
    page.screenshot(path=str(ARTIFACTS / "coverage.png"), full_page=True)
    page.goto(server + "/hkgraph/tips/no/such/thing")
    assert page.locator("h1").inner_text() == "Error 404"
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
