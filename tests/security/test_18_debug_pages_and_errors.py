"""Finding 18: no debug pages in public, no 500 for a bad POST, no local variables in the log."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e
DEBUG = ["/-/versions", "/-/versions.json", "/-/threads", "/-/databases", "/-/databases.json", "/-/messages",
         "/-/allow-debug", "/-/patterns", "/-/actor.json", "/-/permissions", "/-/plugins.json", "/-/settings.json",
         "/-/metadata.json"]
POST_PATHS = ["/", "/hkgraph", "/hkgraph/tips", "/hkgraph/tips/x", "/hkgraph/-/query", "/hkgraph.json",
              "/hkgraph/tips.json", "/-/downloads", "/-/static/app.css", "/nope", "/-/advise", "/-/sparql",
              "/hkgraph/recommended_settings"]
BODIES = [(b"junk", "application/x-www-form-urlencoded"), (b"\xff\xfe--", "multipart/form-data; boundary=x"),
          (b"{", "application/json"), (b"a=%zz&b", "application/x-www-form-urlencoded"), (b"", "text/plain")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("debug"))
    yield served
    served.stop()


def test_debug_pages_are_not_served(server: Served) -> None:
    with httpx.Client(timeout=30) as client:
        found = {path: client.get(server.url + path).status_code for path in DEBUG}
        home = client.get(server.url + "/").text
    assert found == {path: 404 for path in DEBUG}
    assert str(server.log_path.parent) not in home


def test_bad_posts_get_4xx_and_the_log_has_no_locals(server: Served) -> None:
    statuses = {}
    with httpx.Client(timeout=30, headers={"cookie": "ds_csrftoken=x"}) as client:
        for path in POST_PATHS:
            for body, content_type in BODIES:
                r = client.post(server.url + path, content=body, headers={"content-type": content_type})
                statuses[(path, content_type, body[:6])] = r.status_code
    assert not {k: v for k, v in statuses.items() if v >= 500}
    log = server.log()
    assert "╭" not in log and "locals" not in log.lower()
