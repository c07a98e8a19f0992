"""The tips table's faster facets and filters give what Datasette's own give; Markdown is rendered when shown."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio
from datasette.app import Datasette

from hkgraph.web import markdown

from conftest import make_datasette

module_loop = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def real(built_dist: Path) -> Datasette:
    datasette = make_datasette(built_dist / "hkgraph.db", max_concurrent=1, light_workers=1)
    await datasette.invoke_startup()
    return datasette


async def ids(ds: Datasette, **params: str) -> list[str]:
    r = await ds.client.get("/hkgraph/tips.json", params={"_shape": "array", "_col": "id", "_size": "max",
                                                          "_nofacet": "1", **params})
    assert r.status_code == 200, r.text
    return sorted(row["id"] for row in r.json())


@module_loop
@pytest.mark.parametrize(("ours", "datasettes"), [("_tag", "tags"), ("_goal", "goals")])
async def test_link_filters_select_what_array_filters_select(real: Datasette, ours: str, datasettes: str) -> None:
    facet = (await real.client.get("/hkgraph/tips.json")).json()["facet_results"][datasettes]["results"]
    assert len(facet) >= 3
    for item in facet[:3]:
        value = item["value"]
        mine = await ids(real, **{ours: value})
        assert mine == await ids(real, **{f"{datasettes}__arraycontains": value})
        assert len(mine) == item["count"] > 0
        assert f"{ours}={value}" in item["toggle_url"]


@module_loop
@pytest.mark.parametrize("params", [{}, {"kind": "setting"}, {"_tag": "vram"}, {"certainty": "asserted"}])
async def test_facet_counts_equal_datasettes(real: Datasette, params: dict[str, str]) -> None:
    """Our facets (counted through link tables and indexes, and remembered) count what Datasette's count."""
    ours = (await real.client.get("/hkgraph/tips.json", params=params)).json()["facet_results"]
    again = (await real.client.get("/hkgraph/tips.json", params=params)).json()["facet_results"]
    assert again == ours  # the remembered counts are the counts
    theirs = (await real.client.get("/hkgraph/tips.json", params={
        **params, "_facet_array": ["tags", "goals"], "_facet": ["kind", "status", "certainty", "page"]})).json()
    for name, key in (("tags", "tags_2"), ("goals", "goals_2"), ("kind", "kind_2"), ("status", "status_2"),
                      ("certainty", "certainty_2"), ("page", "page_2")):
        mine = {i["value"]: i["count"] for i in ours[name]["results"]}
        datasette = {str(i["value"]): i["count"] for i in theirs["facet_results"][key]["results"]}
        assert mine == datasette, (name, params)


def test_markdown_is_sanitised_and_rendered_when_shown() -> None:
    html = str(markdown.render_markdown("Use **fp8** <script>alert(1)</script> [x](javascript:alert(1))"))
    assert "<strong>fp8</strong>" in html and "<script" not in html and "javascript:" not in html
    lazy = markdown.cell("a *b*", "summary")
    assert lazy is not None and "<em>b</em>" in lazy.__html__()
    assert markdown.cell("a *b*", "title") is None


@module_loop
async def test_the_tips_table_renders_no_markdown_it_does_not_show(real: Datasette) -> None:
    markdown.render_markdown.cache_clear()
    r = await real.client.get("/hkgraph/tips")
    assert r.status_code == 200
    assert markdown.render_markdown.cache_info().misses == 0  # the compact table shows summaries as text
    r = await real.client.get("/hkgraph/tips", params={"_hk_all": "1"})
    assert markdown.render_markdown.cache_info().misses > 0  # every column: rendered
    assert '<div style="white-space: normal">' in r.text
