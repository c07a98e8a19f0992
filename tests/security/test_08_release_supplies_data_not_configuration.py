"""Finding 8: `hkgraph serve --release` takes data from the archive, never configuration: a metadata.yml
inside it (scripts, plugin settings pointing at another RDF file) has no effect."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import ROOT, Served, repack_release

pytestmark = pytest.mark.e2e


def test_the_archives_metadata_is_ignored(real_release: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.nt"
    secret.write_text('<https://example.org/secret> <https://example.org/is> "a local file" .\n')
    evil = yaml.safe_load((ROOT / "metadata.yml").read_text())
    evil["description_html"] = '<script id="injected">alert(document.cookie)</script>'
    evil["extra_js_urls"] = ["https://attacker.example/x.js"]
    evil["plugins"]["hkgraph"]["rdf"] = str(secret)
    archive = repack_release(real_release, tmp_path / "hkgraph-1.0.0.zip",
                             {"metadata.yml": yaml.safe_dump(evil).encode()})
    served = Served(["--release", str(archive)], tmp_path / "serve.log",
                    env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")})
    try:
        served.wait("/-/sparql?query=ASK%20%7B%7D")
        home = httpx.get(served.url + "/", timeout=30).text
        answer = httpx.get(served.url + "/-/sparql", timeout=30, params={
            "query": "ASK { <https://example.org/secret> ?p ?o }", "format": "json"}).json()
        tips = httpx.get(served.url + "/hkgraph/tips.json?_shape=array", timeout=30)
    finally:
        served.stop()
    assert 'id="injected"' not in home and "attacker.example" not in home
    assert answer["boolean"] is False
    assert tips.status_code == 200 and tips.json()
