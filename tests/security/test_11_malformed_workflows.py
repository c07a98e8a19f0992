"""Finding 11: JSON that parses but is no sane workflow gets a clear 400 or a report with problems, never
a 500 or a traceback, on the page and on the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e
CASES = {
    "inputs is a number": '{"nodes": [{"id": 1, "type": "WanVideoSampler", "inputs": 5}]}',
    "a list as a link id": '{"nodes": [{"id": 1, "type": "WanVideoSampler", "inputs": [{"name": "model", "link": [3]}]}],'
                           ' "links": [[[3], 1, 0, 2, 0, "MODEL"]]}',
    "a list as a node id": '{"nodes": [{"id": [1], "type": "WanVideoSampler"}, {"id": 2, "type": "VAELoader"}],'
                           ' "links": [[1, [1], 0, 2, 0, "MODEL"]]}',
    "a dict as a link end": '{"nodes": [{"id": 1, "type": "VAELoader"}],'
                            ' "links": [{"id": 4, "origin_id": {"a": 1}, "target_id": 1}]}',
    "a 5000-digit integer": '{"nodes": [{"id": ' + "9" * 5000 + ', "type": "VAELoader"}]}',
    "a 5000-digit widget": '{"nodes": [{"id": 1, "type": "WanVideoSampler", "widgets_values": [' + "7" * 5000 + "]}]}",
    "an API link to a list": '{"1": {"class_type": "WanVideoSampler", "inputs": {"model": [[1], 0], "steps": {"a": 1}}}}',
    "a dict as widgets and title": '{"nodes": [{"id": 1, "type": "WanVideoSampler", "widgets_values": {"steps": [1]},'
                                   ' "title": {"x": 1}, "mode": "x", "properties": 5}]}',
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("malformed"))
    yield served
    served.stop()


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_page_answers_400_or_a_report(server: Served, case: str) -> None:
    r = httpx.post(server.url + "/-/advise?_format=json", content=CASES[case].encode(),
                   headers={"content-type": "application/json"}, timeout=60)
    assert r.status_code in (200, 400), (r.status_code, r.text[:300])
    body = r.json()
    if r.status_code == 400:
        assert body["error"]
    else:
        json.dumps(body)  # a report


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_cli_answers_without_a_traceback(server: Served, tmp_path: Path, case: str) -> None:
    path = tmp_path / "w.json"
    path.write_text(CASES[case])
    db = Path(server.log_path).parent / "dist" / "hkgraph.db"
    done = subprocess.run([sys.executable, "-m", "hkgraph", "advise", str(path), "--db", str(db)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stderr[-1000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
