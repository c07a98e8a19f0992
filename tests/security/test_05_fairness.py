"""Finding 5: while clients loop slow SPARQL queries, light queries and static files keep answering.

Behaviour, not speed: every light query and every fetch of app.css during the load must be answered
(200) within the clients' timeout, which is shorter than a slow query's time limit. The figures (rates,
median waits) are measured by benchmarks/fairness.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = 'SELECT ?name WHERE { ?n hkv:className "WanVideoSampler" ; skos:prefLabel ?name }'


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("fair"), time_limit_ms=8000)
    yield served
    served.stop()


def test_light_queries_and_static_files_answer_under_heavy_load(server: Served) -> None:
    sparql = server.url + "/-/sparql"
    first = httpx.get(sparql, params={"query": HEAVY}, timeout=60)  # the endpoint learns it is slow
    assert first.status_code in (200, 503)
    stop = time.monotonic() + 12
    heavy_statuses: list[int] = []

    def heavy() -> None:
        with httpx.Client(timeout=60) as client:
            while time.monotonic() < stop:
                heavy_statuses.append(client.get(sparql, params={"query": HEAVY}).status_code)

    threads = [threading.Thread(target=heavy) for _ in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # every worker of the heavy lane is busy, the rest of the heavy clients wait
    light, static = [], []
    with httpx.Client(timeout=4) as client:  # half a heavy query's time limit: no waiting behind one
        for _ in range(10):
            light.append(client.get(sparql, params={"query": LIGHT}).status_code)
            static.append(client.get(server.url + "/-/static/app.css").status_code)
            time.sleep(0.2)
    for thread in threads:
        thread.join()
    assert light == [200] * 10
    assert static == [200] * 10
    assert heavy_statuses and set(heavy_statuses) <= {200, 503}
