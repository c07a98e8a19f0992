"""The pages on a database of the record contract v2's shape: named and derived links apart, goals,
source pages, example workflows and model files as records, the coverage table.

The fixture database is tests/fixtures/site built by this contract, given the v2 tables and columns the
pages read (``via`` on link tables, ``tip_goals``, ``pages``, ``workflows``, ``files``, ``coverage``), so
the pages are checked on that shape before and after the contract lands.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from conftest import make_datasette

V2 = """
CREATE TABLE IF NOT EXISTS pages (id TEXT PRIMARY KEY, path TEXT, title TEXT, url TEXT, snapshot TEXT,
  snapshot_date TEXT, description TEXT);
INSERT OR IGNORE INTO pages VALUES ('hidden-knowledge', 'hidden-knowledge.md', 'Hidden Knowledge',
  'https://wanx-troopers.github.io/hidden-knowledge.html', 'abc123', '2026-01-01', NULL);
CREATE TABLE IF NOT EXISTS files (id TEXT PRIMARY KEY, file_name TEXT, model TEXT REFERENCES models(id),
  format TEXT, precision TEXT, description TEXT);
INSERT OR IGNORE INTO files VALUES ('wan21-fp8', 'wan2.1_t2v_14B_fp8_e4m3fn.safetensors', 'wan-2-1-t2v-14b',
  'safetensors', 'fp8_e4m3fn', NULL);
CREATE TABLE IF NOT EXISTS workflows (id TEXT PRIMARY KEY, file TEXT, page TEXT REFERENCES pages(id),
  description TEXT);
INSERT OR IGNORE INTO workflows VALUES ('svi-example', 'workflows/svi/example.json', 'hidden-knowledge', NULL);
CREATE TABLE IF NOT EXISTS tip_goals (tip_id TEXT REFERENCES tips(id), goal TEXT, PRIMARY KEY (tip_id, goal));
INSERT OR IGNORE INTO tip_goals VALUES ('fp8-quantization-saves-vram', 'lower-vram'),
  ('block-swap-for-low-vram', 'lower-vram'), ('sageattention-speeds-up-sampling', 'faster');
CREATE TABLE IF NOT EXISTS tip_files (tip_id TEXT REFERENCES tips(id), file_id TEXT REFERENCES files(id),
  via TEXT, PRIMARY KEY (tip_id, file_id));
INSERT OR IGNORE INTO tip_files VALUES ('fp8-quantization-saves-vram', 'wan21-fp8', NULL);
ALTER TABLE tip_repos ADD COLUMN via TEXT;
INSERT INTO tip_repos VALUES ('fp8-quantization-saves-vram', 'comfyui-kjnodes', 'node:vaeloader-kj');
CREATE TABLE IF NOT EXISTS coverage (page_id TEXT, content_lines INTEGER, covered_lines INTEGER, records INTEGER);
INSERT INTO coverage VALUES ('hidden-knowledge', 120, 90, 7);
"""


@pytest.fixture(scope="module")
def v2_db(site_dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("v2")
    for name in ("hkgraph.db", "hkgraph.nt"):
        shutil.copy(site_dist / name, folder / name)
    conn = sqlite3.connect(folder / "hkgraph.db")
    conn.executescript(V2)
    conn.commit()
    conn.close()
    return folder / "hkgraph.db"


async def get(db: Path, path: str, **params: Any) -> Any:
    ds = make_datasette(db, max_concurrent=1)
    return await ds.client.get(path, params=params)


@pytest.mark.asyncio(loop_scope="function")
async def test_named_and_derived_links_apart_and_goals(v2_db: Path) -> None:
    html = (await get(v2_db, "/hkgraph/tips/fp8-quantization-saves-vram")).text
    repos = html[html.index('id="hk-tip_repos"'):]
    repos = repos[:repos.index("</section>")]
    assert "derived from what it names" in repos
    assert '<ul class="hk-derived"><li><a href="/hkgraph/repos/comfyui-kjnodes">ComfyUI-KJNodes</a>' in repos
    assert "through node VAELoader KJ" in repos
    assert '<a href="/hkgraph/tips?_goal=lower-vram">lower-vram</a>' in html
    assert '<a href="/hkgraph/files/wan21-fp8">wan2.1_t2v_14B_fp8_e4m3fn.safetensors</a>' in html


@pytest.mark.asyncio(loop_scope="function")
async def test_goal_facet_and_filter(v2_db: Path) -> None:
    r = await get(v2_db, "/hkgraph/tips.json")
    goals = {i["value"]: i["count"] for i in r.json()["facet_results"]["goal"]["results"]}
    assert goals == {"lower-vram": 2, "faster": 1}
    only = await get(v2_db, "/hkgraph/tips.json", _goal="faster", _shape="array")
    assert [t["id"] for t in only.json()] == ["sageattention-speeds-up-sampling"]


@pytest.mark.asyncio(loop_scope="function")
async def test_pages_workflows_and_files_are_records(v2_db: Path) -> None:
    page = (await get(v2_db, "/hkgraph/pages/hidden-knowledge")).text
    assert "<h1>Hidden Knowledge</h1>" in page
    assert '<a href="/hkgraph/workflows/svi-example">workflows/svi/example.json</a>' in page
    assert "90 of 120 content lines covered (75 %) by 7 records" in page
    workflow = (await get(v2_db, "/hkgraph/workflows/svi-example")).text
    assert '<a href="/hkgraph/pages/hidden-knowledge">Hidden Knowledge</a>' in workflow
    file = (await get(v2_db, "/hkgraph/files/wan21-fp8")).text
    assert '<a href="/hkgraph/models/wan-2-1-t2v-14b">Wan 2.1 T2V 14B</a>' in file
    assert '<a href="/hkgraph/tips/fp8-quantization-saves-vram">' in file
    home = (await get(v2_db, "/")).text
    assert "Pages of the source site" in home and "Example workflows" in home
    coverage = (await get(v2_db, "/-/coverage")).text
    assert "<strong>90</strong> of 120 content lines" in coverage
