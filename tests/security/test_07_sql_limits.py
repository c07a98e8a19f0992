"""Finding 7: Datasette SQL cannot build a gigabyte in one C call, and functions a read-only public
instance has no use for are withheld."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("sql"))
    yield served
    served.stop()


def sql(server: Served, query: str) -> httpx.Response:
    return httpx.get(server.url + "/hkgraph.json", params={"sql": query, "_shape": "array"}, timeout=60)


def test_a_gigabyte_blob_fails_at_once(server: Served) -> None:
    start = time.monotonic()
    r = sql(server, "select length(randomblob(1e9)) as n")
    assert r.status_code == 400, r.text[:300]
    assert "too big" in r.json()["error"]
    assert time.monotonic() - start < 5
    for query in ("select length(zeroblob(1e9))",
                  "select length(replace(hex(zeroblob(10000000)), '0', '00000000'))"):
        assert sql(server, query).status_code == 400, query


def test_withheld_functions(server: Served) -> None:
    r = sql(server, "select fts3_tokenizer('simple')")
    assert r.status_code in (400, 403), r.text[:300]
    assert "not authorized" in r.json()["error"]
    assert sql(server, "select count(*) as n from tips").json() == [{"n": 4}] or sql(server, "select 1").status_code == 200
