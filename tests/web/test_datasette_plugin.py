"""The hkgraph Datasette plugin, in process: the SPARQL 1.1 endpoint, its page, and the tip and node pages."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox
import pytest
from datasette.app import Datasette

from hkgraph.web.plugin import endpoint_for

from conftest import make_datasette

module_loop = pytest.mark.asyncio(loop_scope="module")
SPARQL_JSON = "application/sparql-results+json"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
NODES_OF_SAMPLER = "SELECT ?name WHERE { node:wanvideo-sampler rdfs:label ?name }"


def names(response: Any) -> list[str]:
    return [b["name"]["value"] for b in response.json()["results"]["bindings"]]


# -------------------------------------------------------------------------------------- protocol


@module_loop
async def test_get_answers_json_with_cors(ds: Datasette) -> None:
    r = await ds.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER})
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{SPARQL_JSON}; charset=utf-8"
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.json() == {"head": {"vars": ["name"]},
                        "results": {"bindings": [{"name": {"type": "literal", "value": "WanVideo Sampler"}}]}}


@module_loop
async def test_post_form_and_post_query(ds: Datasette) -> None:
    form = await ds.client.post("/-/sparql", data={"query": NODES_OF_SAMPLER}, headers={"accept": SPARQL_JSON})
    assert (form.status_code, names(form)) == (200, ["WanVideo Sampler"])
    direct = await ds.client.post("/-/sparql", content=NODES_OF_SAMPLER.encode(),
                                  headers={"content-type": "application/sparql-query", "accept": SPARQL_JSON})
    assert (direct.status_code, names(direct)) == (200, ["WanVideo Sampler"])


@module_loop
@pytest.mark.parametrize(("accept", "params", "content_type", "marker"), [
    ("application/sparql-results+xml", {}, "application/sparql-results+xml", "<literal>WanVideo Sampler</literal>"),
    ("text/csv", {}, "text/csv; charset=utf-8", "name\r\nWanVideo Sampler\r\n"),
    ("text/tab-separated-values", {}, "text/tab-separated-values; charset=utf-8", '?name\n"WanVideo Sampler"\n'),
    (BROWSER, {"format": "json"}, f"{SPARQL_JSON}; charset=utf-8", '"value":"WanVideo Sampler"'),
    ("", {"format": "csv", "output": "xml"}, "text/csv; charset=utf-8", "WanVideo Sampler"),
])
async def test_result_formats(ds: Datasette, accept: str, params: dict[str, str], content_type: str, marker: str) -> None:
    r = await ds.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER, **params}, headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"] == content_type
    assert marker in r.text


@module_loop
@pytest.mark.parametrize(("accept", "fmt"), [
    ("", ox.RdfFormat.TURTLE), ("text/turtle", ox.RdfFormat.TURTLE), ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", ox.RdfFormat.JSON_LD),
])
async def test_construct_formats(ds: Datasette, accept: str, fmt: ox.RdfFormat) -> None:
    query = "CONSTRUCT { ?n rdfs:label ?l } WHERE { ?n hkv:providedBy repo:comfyui-kjnodes ; rdfs:label ?l }"
    r = await ds.client.get("/-/sparql", params={"query": query}, headers={"accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(fmt.media_type)
    triples = {str(q.triple) for q in ox.parse(r.content, fmt)}
    assert triples == {'<https://w3id.org/hkgraph/node/vaeloader-kj> '
                       '<http://www.w3.org/2000/01/rdf-schema#label> "VAELoader KJ"'}


@module_loop
async def test_ask(ds: Datasette) -> None:
    r = await ds.client.get("/-/sparql", params={"query": "ASK { ?t hkv:certainty 'disputed' }"})
    assert r.json() == {"head": {}, "boolean": False}


@module_loop
async def test_no_query_gives_a_service_description_or_the_page(ds: Datasette) -> None:
    sd = await ds.client.get("/-/sparql", headers={"accept": "text/turtle"})
    assert sd.status_code == 200
    graph = {str(q.triple) for q in ox.parse(sd.content, ox.RdfFormat.TURTLE)}
    assert ("<http://localhost/-/sparql> <http://www.w3.org/ns/sparql-service-description#supportedLanguage> "
            "<http://www.w3.org/ns/sparql-service-description#SPARQL11Query>") in graph
    page = await ds.client.get("/-/sparql", headers={"accept": BROWSER})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<textarea id="hk-query" class="hk-editor-fallback" name="query"' in page.text
    assert "yasqe.min.js" in page.text
    assert page.text.count('class="hk-run"') >= 8


@module_loop
async def test_options_preflight(ds: Datasette) -> None:
    r = await ds.client.options("/-/sparql")
    assert r.status_code == 204
    assert r.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
    assert "Content-Type" in r.headers["access-control-allow-headers"]


@module_loop
@pytest.mark.parametrize(("method", "kwargs", "status", "message"), [
    ("get", {"params": {"query": "SELECT * WHERE { ?s ?p "}}, 400,
     "SPARQL syntax error at line 1, column 24: the query ends too early; expected one of"),
    ("get", {"params": {"query": "  "}}, 400, "the query is empty"),
    ("get", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "give one query, not several"),
    ("get", {"params": {"query": NODES_OF_SAMPLER, "format": "turtle"}}, 400, "format 'turtle' is not available"),
    ("get", {"params": {"update": "CLEAR ALL"}}, 403, "SPARQL Update is refused"),
    ("get", {"params": {"query": "DROP ALL"}}, 403, "SPARQL Update is refused (DROP)"),
    ("post", {"content": b"INSERT DATA { <http://a> <http://b> <http://c> }",
              "headers": {"content-type": "application/sparql-update"}}, 403, "SPARQL Update is refused"),
    ("post", {"content": b"{}", "headers": {"content-type": "application/json"}}, 415, "not application/json"),
    ("put", {"content": b"ASK {}"}, 405, "PUT is not supported here"),
    ("get", {"params": {"format": "csv"}}, 400, "format 'csv' is not available for this query"),
])
async def test_errors_are_readable(ds: Datasette, method: str, kwargs: dict[str, Any], status: int, message: str) -> None:
    r = await getattr(ds.client, method)("/-/sparql", **kwargs)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert message in body["error"]
    assert body["status"] == status


@module_loop
async def test_browser_sees_errors_on_the_page(ds: Datasette) -> None:
    r = await ds.client.get("/-/sparql", params={"query": "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"},
                            headers={"accept": BROWSER})
    assert r.status_code == 403
    assert '<pre class="message-error hk-error" role="alert">SERVICE is refused' in r.text


@module_loop
async def test_page_runs_a_query_and_links_rows(ds: Datasette) -> None:
    query = "SELECT ?node ?name WHERE { ?node hkv:providedBy repo:comfyui-kjnodes ; rdfs:label ?name }"
    r = await ds.client.get("/-/sparql", params={"query": query}, headers={"accept": BROWSER})
    assert r.status_code == 200
    assert "1 row in" in r.text
    assert ('<a href="/node/vaeloader-kj" title="https://w3id.org/hkgraph/node/vaeloader-kj">'
            "node:vaeloader-kj</a>") in r.text


@module_loop
async def test_every_example_link_on_the_page_runs(ds: Datasette) -> None:
    import re
    from html import unescape

    page = await ds.client.get("/-/sparql", headers={"accept": BROWSER})
    links = [unescape(h) for h in re.findall(r'class="hk-run[^"]*" href="([^"]+)"', page.text)]
    assert links
    for link in links:
        r = await ds.client.get(link, headers={"accept": BROWSER})
        assert r.status_code == 200, link
        assert 'class="hk-results"' in r.text and 'class="message-error hk-error"' not in r.text


@module_loop
async def test_menu_links_to_the_sparql_page(ds: Datasette) -> None:
    r = await ds.client.get("/")
    assert '<li><a href="/-/sparql">SPARQL</a></li>' in r.text


# ------------------------------------------------------------------------------------- row pages


@module_loop
async def test_tip_page_shows_summary_and_links(ds: Datasette) -> None:
    r = await ds.client.get("/hkgraph/tips/fp8-quantization-saves-vram")
    assert r.status_code == 200
    html = r.text
    assert "<strong>fp8_e4m3fn</strong>" in html
    assert '<a href="https://github.com/kijai/ComfyUI-WanVideoWrapper" rel="nofollow">the wrapper</a>' in html
    for expected in (
        '<code class="hk-iri-value">https://w3id.org/hkgraph/tip/fp8-quantization-saves-vram</code>',
        '<a href="/tip/fp8-quantization-saves-vram.ttl">Turtle</a>',
        '<a href="/hkgraph/nodes/wanvideo-model-loader">WanVideo Model Loader</a>',
        '<a href="/hkgraph/parameters/wanvideo-model-loader-quantization">quantization</a>',
        '<a href="/hkgraph/parameter_values/wanvideo-model-loader-quantization~3Dfp8_e4m3fn">fp8_e4m3fn</a>',
        '<a href="/hkgraph/models/wan-2-1-t2v-14b">Wan 2.1 T2V 14B</a>',
        '<a href="/hkgraph/hardware/rtx-3090">RTX 3090</a>',
        '<a href="/hkgraph/people/kijai">Kijai</a>',
        "<td>prefer</td><td><code>fp8_e4m3fn</code></td><td>the card has 24 GB or less</td>",
        '<a href="/hkgraph/tips/fp8-e5m2-with-torch-compile-on-ampere">',
        '<a href="https://wanx-troopers.github.io/hidden-knowledge.html#20250304">hidden-knowledge.md § 2025.03.04',
        '<a href="/hkgraph/tips?_tag=vram">vram</a>',
    ):
        assert expected in html, expected
    assert "Links from other tables" not in html and "0 rows" not in html
    assert html.count('href="/hkgraph/tips/fp8-e5m2-with-torch-compile-on-ampere"') == 1  # related once


@module_loop
async def test_node_page_shows_parameters_and_tips(ds: Datasette) -> None:
    r = await ds.client.get("/hkgraph/nodes/wanvideo-model-loader")
    html = r.text
    assert "<h1>WanVideo Model Loader</h1>" in html
    assert '<a href="/hkgraph/parameters/wanvideo-model-loader-quantization">quantization</a>' in html
    assert "COMBO · default disabled · one of disabled, fp8_e4m3fn, fp8_e5m2" in html
    assert '<a href="/hkgraph/tips/sageattention-speeds-up-sampling">SageAttention makes sampling' in html
    assert "<td>prefer</td><td><code>sageattn</code></td>" in html
    assert '<a href="/hkgraph/repos/comfyui-wanvideowrapper">ComfyUI-WanVideoWrapper</a>' in html  # its repo
    assert "Links from other tables" not in html


# ----------------------------------------------------------------------------- limits and safety


@pytest.mark.asyncio(loop_scope="function")
async def test_row_cap_is_configurable(site_dist: Path) -> None:
    small = make_datasette(site_dist / "hkgraph.db", max_rows=3, max_concurrent=1)
    r = await small.client.get("/-/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"})
    assert r.status_code == 200
    assert r.headers["x-sparql-truncated"] == "true"
    assert len(r.json()["results"]["bindings"]) == 3
    endpoint_for(small).pool.close()  # type: ignore[union-attr]


@pytest.mark.asyncio(loop_scope="function")
async def test_time_limit_kills_a_blocking_query_and_the_endpoint_goes_on(site_dist: Path) -> None:
    # 1 s: short enough to stop the cross product early, long enough for a simple query on a loaded machine
    quick = make_datasette(site_dist / "hkgraph.db", time_limit_ms=1000, max_concurrent=1)
    await quick.invoke_startup()
    pool = endpoint_for(quick).pool  # type: ignore[union-attr]
    started = time.monotonic()
    # A count over a three-way cross product: tens of seconds inside one native call.
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    r = await quick.client.get("/-/sparql", params={"query": slow})
    assert r.status_code == 503
    assert r.json()["error"] == "the query ran longer than the time limit of 1000 ms"
    assert time.monotonic() - started < 5
    for _attempt in range(3):  # the first answer may wait for the replacement worker to load the graph
        ok = await quick.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER})
        if ok.status_code == 200:
            break
    assert (ok.status_code, names(ok)) == (200, ["WanVideo Sampler"])
    pool.close()


@module_loop
async def test_a_crashed_worker_is_replaced(ds: Datasette) -> None:
    lane = endpoint_for(ds).pool.lanes["light"]  # type: ignore[union-attr]
    worker = lane.idle.get()
    lane.idle.put(worker)
    os.kill(worker.process.pid, 9)  # what a native abort inside pyoxigraph looks like from outside
    failures = []
    for _ in range(lane.idle.qsize()):  # one of the idle workers is the dead one
        r = await ds.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER})
        if r.status_code != 200:
            failures.append(r.json()["error"])
    assert len(failures) == 1 and failures[0].startswith("the query engine stopped on this query")
    for _ in range(3):
        r = await ds.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER})
        assert r.status_code == 200


@module_loop
async def test_an_engine_abort_does_not_take_the_server_down(ds: Datasette) -> None:
    # pyoxigraph 0.5.13 aborts the process on this ORDER BY (its sort comparator is not a total order).
    query = "SELECT ?a WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?f ?c LIMIT 1"
    r = await ds.client.get("/-/sparql", params={"query": query})
    assert r.status_code in (200, 500)
    again = await ds.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER})
    assert (again.status_code, names(again)) == (200, ["WanVideo Sampler"])


class Listener:
    """A TCP server on a loopback port that records every connection it is offered."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


@module_loop
async def test_no_outbound_request_is_ever_made(ds: Datasette) -> None:
    listener = Listener()
    url = f"http://127.0.0.1:{listener.port}"
    try:
        attempts = [
            {"query": f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"},
            {"query": f"select * where {{ service silent <{url}/sparql> {{ ?s ?p ?o }} }}"},
            {"query": f"SELECT * WHERE {{ \\u0053ERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"},
            {"query": f"SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}"},
            {"query": f"SELECT * FROM NAMED <{url}/data.ttl> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"},
            {"query": f"LOAD <{url}/data.ttl>"},
            {"update": f"LOAD <{url}/data.ttl>"},
            {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "default-graph-uri": f"{url}/g"},
            {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "named-graph-uri": f"{url}/g"},
        ]
        for params in attempts:
            r = await ds.client.get("/-/sparql", params=params)
            assert r.status_code == 403, (params, r.text)
            assert "refused" in r.json()["error"]
        post = await ds.client.post("/-/sparql", data={"update": f"LOAD <{url}/x>"})
        assert post.status_code == 403
        time.sleep(0.5)
        assert listener.connections == 0
        # The listener works: pyoxigraph on its own does call a SERVICE, which is why the endpoint refuses it.
        with pytest.raises(OSError):
            list(ox.Store().query(f"SELECT * WHERE {{ SERVICE <{url}/sparql> {{ ?s ?p ?o }} }}"))
        deadline = time.monotonic() + 5
        while listener.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert listener.connections >= 1
    finally:
        listener.close()


# ---------------------------------------------------------------------------------- configuration


@pytest.mark.asyncio(loop_scope="function")
@pytest.mark.parametrize(("config", "message"), [
    ({"max_row": 3}, "unknown setting 'max_row'"),
    ({"max_rows": "many"}, "max_rows must be a positive integer, not 'many'"),
    ({"time_limit_ms": 0}, "time_limit_ms must be a positive integer, not 0"),
    ({"database": "other"}, "no database named 'other' is served"),
    ({"rdf": "missing.nt"}, "does not exist"),
])
async def test_config_errors_stop_startup(site_dist: Path, config: dict[str, Any], message: str) -> None:
    with pytest.raises(click.ClickException, match="hkgraph plugin config error") as info:
        await make_datasette(site_dist / "hkgraph.db", **config).invoke_startup()
    assert message in info.value.message


@pytest.mark.asyncio(loop_scope="function")
async def test_a_database_without_a_graph_has_no_endpoint(tmp_path: Path, site_dist: Path) -> None:
    shutil.copy(site_dist / "hkgraph.db", tmp_path / "hkgraph.db")
    plain = make_datasette(tmp_path / "hkgraph.db")
    r = await plain.client.get("/-/sparql", params={"query": "ASK {}"})
    assert r.status_code == 404
    assert r.json()["error"] == "no RDF graph was found beside the served database"
    home = await plain.client.get("/")
    assert 'href="/-/sparql"' not in home.text.replace('<a href="/-/sparql">SPARQL</a>.', "")


@pytest.mark.asyncio(loop_scope="function")
async def test_graph_from_an_nt_file_in_the_settings(tmp_path: Path, site_dist: Path) -> None:
    shutil.copy(site_dist / "hkgraph.db", tmp_path / "hkgraph.db")
    shutil.copy(site_dist / "hkgraph.nt", tmp_path / "graph.nt")
    ds_nt = make_datasette(tmp_path / "hkgraph.db", rdf="graph.nt", max_concurrent=1)
    r = await ds_nt.client.get("/-/sparql", params={"query": NODES_OF_SAMPLER})
    assert (r.status_code, names(r)) == (200, ["WanVideo Sampler"])
    endpoint_for(ds_nt).pool.close()  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------- real data


@pytest.mark.asyncio(loop_scope="function")
async def test_real_data_through_the_endpoint(built_dist: Path) -> None:
    real = make_datasette(built_dist / "hkgraph.db", max_concurrent=1)
    query = "SELECT ?class WHERE { node:wanvideo-model-loader hkv:className ?class }"
    r = await real.client.get("/-/sparql", params={"query": query})
    assert r.status_code == 200
    assert [b["class"]["value"] for b in r.json()["results"]["bindings"]] == ["WanVideoModelLoader"]
    page = await real.client.get("/hkgraph/nodes/wanvideo-model-loader")
    assert '<a href="/hkgraph/parameters/wanvideo-model-loader-quantization">quantization</a>' in page.text
    endpoint_for(real).pool.close()  # type: ignore[union-attr]
    assert json.loads((built_dist / "build-info.json").read_text())["triples"] == endpoint_for(real).triples  # type: ignore[union-attr]
