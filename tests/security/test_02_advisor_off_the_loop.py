"""Finding 2: the advisor runs off the server's event loop, in bounded time and memory, and its report
is capped, so a large workflow neither freezes the site nor produces an answer of hundreds of MB."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import FIXTURES, Served, serve_site

pytestmark = pytest.mark.e2e
API = json.loads((FIXTURES / "advise" / "workflows" / "api.json").read_text())


def big_workflow(copies: int) -> bytes:
    """An API-format workflow: the fixture's nodes repeated ``copies`` times (every copy known and advised)."""
    doc = {}
    for i in range(copies):
        for key, node in API.items():
            inputs = {k: ([f"{v[0]}-{i}", v[1]] if isinstance(v, list) else v) for k, v in node["inputs"].items()}
            doc[f"{key}-{i}"] = {**node, "inputs": inputs}
    return json.dumps(doc).encode()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("advisor"))
    yield served
    served.stop()


def test_pages_answer_while_a_large_workflow_is_judged(server: Served) -> None:
    data = big_workflow(6000)  # 18,000 nodes
    done: dict[str, float] = {}
    answer: dict[str, httpx.Response] = {}

    def post() -> None:
        answer["r"] = httpx.post(server.url + "/-/advise?_format=json", content=data,
                                 headers={"content-type": "application/json"}, timeout=300)
        done["advisor"] = time.monotonic()

    thread = threading.Thread(target=post)
    thread.start()
    time.sleep(1.0)  # the advisor is at work
    page = httpx.get(server.url + "/hkgraph/tips", timeout=300)
    done["page"] = time.monotonic()
    thread.join(timeout=300)
    assert page.status_code == 200
    assert done["page"] < done["advisor"], "the page waited for the advisor"
    r = answer["r"]
    assert r.status_code == 200, r.text[:500]
    assert len(r.content) < 20_000_000
    report = r.json()
    assert report["workflow"]["nodes"] == 18_000
    assert len(report["nodes"]) <= 500 and report["truncated"]["nodes"] == 18_000 - 500


def test_the_cli_caps_the_report(server: Served, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(big_workflow(1000))
    db = Path(server.log_path).parent / "dist" / "hkgraph.db"
    done = subprocess.run([sys.executable, "-m", "hkgraph", "advise", str(path), "--db", str(db), "--format", "json"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert len(report["nodes"]) == 500 and report["truncated"]["nodes"] == 2500
