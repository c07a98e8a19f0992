"""The pages on the record contract v2: named and derived links apart, goals, source pages, example
workflows and model files as records, the coverage table (tests/fixtures/site, exact answers)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from datasette.app import Datasette

from conftest import make_datasette

module_loop = pytest.mark.asyncio(loop_scope="module")


def section(html: str, ident: str) -> str:
    part = html[html.index(f'id="hk-{ident}"'):]
    return part[:part.index("</section>")]


@module_loop
async def test_named_and_derived_links_apart_and_goals(ds: Datasette) -> None:
    html = (await ds.client.get("/hkgraph/tips/fp8-quantization-saves-vram")).text
    repos = section(html, "tip_repos")
    assert "derived from what it names" in repos
    assert ('<ul class="hk-derived"><li><a href="/hkgraph/repos/comfyui-wanvideowrapper">ComfyUI-WanVideoWrapper</a> '
            '<span class="hk-note">through node WanVideo Model Loader</span>') in repos
    nodes = section(html, "tip_nodes")
    assert '<a href="/hkgraph/nodes/wanvideo-model-loader">WanVideo Model Loader</a>' in nodes
    assert "hk-derived" not in nodes or nodes.index("wanvideo-model-loader") < nodes.index("hk-derived")
    assert '<a href="/hkgraph/tips?goals__arraycontains=lower-vram">lower-vram</a>' in html
    assert '<a href="/hkgraph/pages/hidden-knowledge">Hidden Knowledge</a>' in html  # its source page


@module_loop
async def test_goal_facet(ds: Datasette) -> None:
    r = await ds.client.get("/hkgraph/tips.json")
    goals = {i["value"]: i["count"] for i in r.json()["facet_results"]["goals"]["results"]}
    assert goals["lower-vram"] >= 2
    page = (await ds.client.get("/hkgraph/tips")).text
    assert '<a href="/hkgraph/tips?goals__arraycontains=faster">faster</a>' in page or "goals" in page


@module_loop
async def test_pages_workflows_and_files_are_records(ds: Datasette) -> None:
    page = (await ds.client.get("/hkgraph/pages/hidden-knowledge")).text
    assert "<h1>Hidden Knowledge</h1>" in page
    assert '<code class="hk-iri-value">https://w3id.org/hkgraph/page/hidden-knowledge</code>' in page
    assert '<a href="/hkgraph/workflows/wan-t2v-example">wan-t2v-example.json</a>' in page
    assert '<a href="/hkgraph/tips/fp8-quantization-saves-vram">' in page  # the tips taken from it
    workflow = (await ds.client.get("/hkgraph/workflows/wan-t2v-example")).text
    assert '<a href="/hkgraph/pages/hidden-knowledge">Hidden Knowledge</a>' in workflow
    assert '<a href="/hkgraph/nodes/wanvideo-sampler">WanVideo Sampler</a>' in workflow
    file = (await ds.client.get("/hkgraph/files/wan2-1-t2v-14b-fp8-e4m3fn")).text
    assert "<h1>wan2.1_t2v_14B_fp8_e4m3fn.safetensors</h1>" in file
    assert '<a href="/hkgraph/models/wan-2-1-t2v-14b">Wan 2.1 T2V 14B</a>' in file
    node = (await ds.client.get("/hkgraph/nodes/wanvideo-sampler")).text
    assert '<a href="/hkgraph/workflows/wan-t2v-example">wan-t2v-example.json</a>' in node
    home = (await ds.client.get("/")).text
    assert "Pages of the source site" in home and "Example workflows" in home


@pytest.mark.asyncio(loop_scope="function")
async def test_coverage_page_lists_pages_with_totals(tmp_path: Path, site_dist: Path) -> None:
    for name in ("hkgraph.db", "hkgraph.nt"):
        shutil.copy(site_dist / name, tmp_path / name)
    conn = sqlite3.connect(tmp_path / "hkgraph.db")
    conn.execute("DELETE FROM coverage")
    conn.execute("INSERT INTO coverage (page, page_id, content_lines, covered_lines, records) "
                 "VALUES ('hidden-knowledge.md', 'hidden-knowledge', 120, 90, 7)")
    conn.commit()
    conn.close()
    local = make_datasette(tmp_path / "hkgraph.db", max_concurrent=1)
    r = await local.client.get("/-/coverage")
    assert "<strong>90</strong> of 120 content lines covered (75.0 %) by 7 records" in r.text
    assert '<a href="/hkgraph/pages/hidden-knowledge">Hidden Knowledge</a>' in r.text
    page = await local.client.get("/hkgraph/pages/hidden-knowledge")
    assert "90 of 120 content lines covered (75 %) by 7 records" in page.text
    from hkgraph.web.plugin import endpoint_for

    if endpoint_for(local) is not None:
        endpoint_for(local).pool.close()  # type: ignore[union-attr]
