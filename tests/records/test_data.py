"""The real data: coverage of the source pages and spot questions answered from the built dataset."""

from __future__ import annotations

import pytest

from hkgraph.query.engine import open_store, run_sparql, run_sql
from hkgraph.records.coverage import page_coverage

from conftest import ROOT, shared_path


def test_seed_page_is_fully_covered(dataset):
    page = shared_path("seed", "hidden-knowledge.md")
    result = page_coverage(page, dataset, "hidden-knowledge.md")
    assert result.uncovered == [], f"{len(result.uncovered)} lines uncovered; run `hkgraph coverage {page}`"
    assert result.content > 200


def test_current_page_is_fully_covered(dataset):
    page = shared_path("corpus", "wanx-troopers", "pages", "hidden-knowledge.md")
    result = page_coverage(page, dataset, "hidden-knowledge.md")
    assert result.uncovered == [], f"{len(result.uncovered)} lines uncovered; run `hkgraph coverage {page}`"


@pytest.fixture(scope="module")
def db(built_dist):
    return built_dist / "hkgraph.db"


def test_tips_about_the_quantization_input(db):
    rows = run_sql(db, """
        SELECT tip_id FROM tip_parameters WHERE parameter_id = 'wanvideo-model-loader-quantization'""")
    tips = {r["tip_id"] for r in rows}
    assert {"avoid-unscaled-fp8-e5m2-quantization", "wanvideo-quantization-is-a-fallback",
            "no-quantization-on-scaled-fp8-files"} <= tips
    advice = run_sql(db, """
        SELECT advice, value FROM advice WHERE tip_id = 'avoid-unscaled-fp8-e5m2-quantization'""")
    assert {"advice": "avoid", "value": "fp8_e5m2"} in advice


def test_nodes_of_kjnodes(db, built_dist):
    rows = run_sql(db, "SELECT name, class_name FROM nodes WHERE repo = 'comfyui-kjnodes'")
    assert len(rows) >= 250
    assert {"name": "VAELoader KJ", "class_name": "VAELoaderKJ"} in rows
    sparql = run_sparql(open_store(built_dist), """
        SELECT (COUNT(?n) AS ?count) WHERE { ?n hkv:providedBy repo:comfyui-kjnodes }""")
    assert sparql == [{"count": len(rows)}]


def test_misspelling_in_the_source_finds_the_entity(db):
    rows = run_sql(db, "SELECT id FROM parameters WHERE aliases LIKE '%quanatization%'")
    assert rows == [{"id": "wanvideo-model-loader-quantization"}]


def test_full_text_search_on_tips(db):
    rows = run_sql(db, """
        SELECT tips.id FROM tips_fts JOIN tips ON tips.rowid = tips_fts.rowid
        WHERE tips_fts MATCH 'sageattn' ORDER BY rank""")
    assert "sageattn-modes-mean-sage-attention-2" in {r["id"] for r in rows}


def test_committed_coverage_table_matches_the_site(dataset):
    """data/coverage.tsv (the web site's coverage page) is what `hkgraph coverage PAGES --write` gives now."""
    from hkgraph.records.coverage import folder_coverage, table_text

    pages = shared_path("corpus", "wanx-troopers", "pages")
    committed = (ROOT / "data" / "coverage.tsv").read_text(encoding="utf-8")
    assert committed == table_text(folder_coverage(pages, dataset)), (
        "data/coverage.tsv is out of date: run `hkgraph coverage ../shared/corpus/wanx-troopers/pages "
        "--write data/coverage.tsv`"
    )


def test_committed_pages_and_workflows_match_the_site():
    """data/entities/pages and workflows are what scripts/site_entities.py makes of the site today."""
    import subprocess
    import sys

    site = shared_path("corpus", "wanx-troopers")
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "site_entities.py"), "--site", str(site),
                             "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"run scripts/site_entities.py, then hkgraph fmt:\n{result.stdout}"


def test_every_page_of_the_site_is_an_entity(dataset):
    from hkgraph.records.coverage import site_pages

    paths = {p.path for p in dataset.entities["page"].values()}
    assert {name for name, _path in site_pages(shared_path("corpus", "wanx-troopers", "pages"))} == paths
