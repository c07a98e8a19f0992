"""Finding 17: /-/downloads does not hash the archives in the event loop (nor on every view)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import httpx
import pytest

from hkgraph.release.archive import make_release

from conftest import Served, site_project

pytestmark = pytest.mark.e2e


def test_pages_answer_while_the_downloads_are_hashed(tmp_path: Path) -> None:
    root = site_project(tmp_path / "site")
    make_release(root, version="1.0.0", epoch=315532800)
    for suffix in ("zip", "tar.gz"):  # large archives (sparse: no disk used), as a big release would have
        os.truncate(root / "dist" / "release" / f"hkgraph-1.0.0.{suffix}", 3 << 30)
    served = Served(["--root", str(root)], root / "serve.log").wait("/-/sparql?query=ASK%20%7B%7D")
    try:
        done: dict[str, float] = {}

        def downloads() -> None:
            assert httpx.get(served.url + "/-/downloads", timeout=300).status_code == 200
            done["downloads"] = time.monotonic()

        thread = threading.Thread(target=downloads)
        thread.start()
        time.sleep(0.5)
        page = httpx.get(served.url + "/hkgraph", timeout=300)
        done["page"] = time.monotonic()
        thread.join(timeout=300)
        assert page.status_code == 200
        assert done["page"] < done["downloads"], "a page waited for the hashing"
        start = time.monotonic()
        again = httpx.get(served.url + "/-/downloads", timeout=300)
        assert again.status_code == 200 and "hkgraph-1.0.0.zip" in again.text
        assert time.monotonic() - start < (done["downloads"] - start + 60)  # sanity: it answered
        assert _hashes(again.text) == _hashes(again.text)
    finally:
        served.stop()


def _hashes(html: str) -> list[str]:
    import re

    return re.findall(r"\b[0-9a-f]{64}\b", html)
