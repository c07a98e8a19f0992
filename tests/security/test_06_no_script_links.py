"""Finding 6: the SPARQL results page never turns a ``javascript:`` (or any non-http) IRI into a link,
as Chromium sees the page."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e
QUERY = ('SELECT ?x ?y ?z WHERE { BIND(IRI("javascript:alert(document.domain)") AS ?x) '
         'BIND(IRI("data:text/html,<script>alert(1)</script>") AS ?y) BIND(IRI("https://example.org/ok") AS ?z) }')


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("xss"))
    yield served
    served.stop()


def test_script_iris_are_text_not_links(server: Served) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(server.url + "/-/sparql?" + urlencode({"query": QUERY}))
            hrefs = page.eval_on_selector_all("table a", "links => links.map(a => a.getAttribute('href'))")
            cells = page.eval_on_selector_all("table td", "cells => cells.map(c => c.textContent.trim())")
            for link in page.query_selector_all("table a"):
                link.click(modifiers=["Control"]) if (link.get_attribute("href") or "").startswith("http") else link.click()
        finally:
            browser.close()
    assert "https://example.org/ok" in hrefs
    assert not [h for h in hrefs if not h.startswith(("http://", "https://", "/"))], hrefs
    assert any("javascript:alert" in c for c in cells)  # shown, as text
    assert dialogs == []
