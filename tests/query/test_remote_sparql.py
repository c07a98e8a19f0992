"""KnowledgeGraph on a remote SPARQL 1.1 endpoint: a real Oxigraph server on a loopback port."""

from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph import KnowledgeGraph
from hkgraph.cli import cli
from hkgraph.query.engine import QueryError
from hkgraph.query.remote import EndpointError
from oxigraph_server import start_oxigraph, stop

from conftest import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def endpoint(kg_dist: Path, tmp_path_factory: pytest.TempPathFactory):
    proc, url = start_oxigraph(kg_dist / "hkgraph.nt", tmp_path_factory.mktemp("oxigraph-server") / "store")
    try:
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def remote(endpoint: str):
    with KnowledgeGraph.open(endpoint) as kg:
        yield kg


@pytest.fixture(scope="module")
def local(kg_dist: Path):
    with KnowledgeGraph.open(kg_dist) as kg:
        yield kg


SAME_ANSWERS = [
    ("tips", {}),
    ("tips", {"node": "WanVideo Model Loader"}),
    ("tips", {"node": "WanVideo VAE Loader", "parameter": "precision"}),
    ("tips", {"value": "base_precision=fp32"}),
    ("tips", {"repo": "KJNodes"}),
    ("tips", {"concept": "quantization", "tag": "vram"}),
    ("tips", {"text": "distill lora", "kind": "setting"}),
    ("tips", {"person": "KJ", "hardware": "5090"}),
    ("tips", {"model": "Wan 2.2 I2V", "limit": 1}),
    ("entity", {"name": "WanVideoModelLoader"}),
    ("entity", {"name": "Wan VAE"}),
    ("entity", {"name": "wanvideo-model-loader-base-precision"}),
    ("entity", {"name": "FP8"}),
    ("settings", {}),
    ("settings", {"node": "WanVideo Sampler"}),
    ("settings", {"hardware": "RTX 3090", "advice": "use-when"}),
    ("sparql", {"query": "SELECT ?n (COUNT(?t) AS ?tips) WHERE { ?t hkv:aboutNode ?n } GROUP BY ?n ORDER BY ?n"}),
    ("sparql", {"query": "ASK { ?s hkv:tag 'vram' }"}),
    ("sparql", {"query": "CONSTRUCT { ?s skos:prefLabel ?l } WHERE { ?s a hkv:Hardware ; skos:prefLabel ?l } ORDER BY ?s"}),
]


@pytest.mark.parametrize(("method", "kwargs"), SAME_ANSWERS, ids=[f"{m}-{i}" for i, (m, _k) in enumerate(SAME_ANSWERS)])
def test_the_same_calls_give_the_same_answers(local, remote, method, kwargs):
    expected = getattr(local, method)(**kwargs)
    assert expected not in ([], None)
    assert getattr(remote, method)(**kwargs) == expected


def test_unknown_names_fail_the_same_way(remote):
    with pytest.raises(QueryError, match="unknown node 'WanVideo Model Lodaer'; did you mean 'WanVideo Model Loader'"):
        remote.tips(node="WanVideo Model Lodaer")


def test_malformed_query_gives_the_engines_message_with_the_users_line(remote):
    with pytest.raises(QueryError) as info:
        remote.sparql("SELECT ?s\nWHERE { ?s ?p }")
    message = str(info.value)
    assert "HTTP 400" in message and "error at line 2, column" in message


def test_sql_is_refused_with_a_reason(remote):
    with pytest.raises(QueryError, match="SQL needs the built files"):
        remote.sql("SELECT 1")


def test_unreachable_endpoint_gives_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}/query"
    with KnowledgeGraph.open(url) as kg, pytest.raises(EndpointError, match=f"cannot reach the SPARQL endpoint {url}"):
        kg.tips()


def test_an_endpoint_that_never_answers_times_out():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/sparql"
        with KnowledgeGraph.open(url, timeout=0.5) as kg, pytest.raises(EndpointError, match="did not answer in time"):
            kg.sparql("ASK {}")


def test_a_wrong_address_is_named(endpoint):
    home = endpoint.rsplit("/", 1)[0] + "/"
    with KnowledgeGraph.open(home) as kg, pytest.raises(EndpointError, match=f"{home} answered HTTP 404"):
        kg.sparql("ASK {}")


def test_a_page_that_is_not_an_endpoint_is_named():
    class Html(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<html>a web page</html>")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/"
        with KnowledgeGraph.open(url) as kg, pytest.raises(EndpointError, match="answered with text/html, not SPARQL results"):
            kg.sparql("ASK {}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_cli_endpoint_option(endpoint, kg_dist):
    runner = CliRunner()
    remote = runner.invoke(cli, ["tips", "--node", "WanVideo Sampler", "--format", "json", "--endpoint", endpoint])
    local = runner.invoke(cli, ["tips", "--node", "WanVideo Sampler", "--format", "json", "--root", str(kg_dist.parent)])
    assert remote.exit_code == 0, remote.output
    assert remote.output == local.output
    assert '"id": "cfg-one-with-distill-lora"' in remote.output
    entity = runner.invoke(cli, ["entity", "Kijai", "--endpoint", endpoint])
    assert entity.exit_code == 0 and "github:kijai" in entity.output
    ask = runner.invoke(cli, ["query", "sparql", "ASK { ?s a hkv:Tip }", "--endpoint", endpoint])
    assert ask.output == "true\n"
    down = runner.invoke(cli, ["tips", "--endpoint", f"http://127.0.0.1:{free_port()}/query"])
    assert down.exit_code == 1
    assert "Error: cannot reach the SPARQL endpoint" in down.output
    assert "Traceback" not in down.output
