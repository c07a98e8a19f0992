"""metadata.yml: generated from the models, complete for every table and column, canned queries that answer."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from hkgraph.cli import cli
from hkgraph.web.metadata import CANNED_QUERIES, DATABASE, METADATA_FILE, build_metadata, render_metadata

from conftest import ROOT

module_loop = pytest.mark.asyncio(loop_scope="module")


def test_committed_metadata_is_up_to_date() -> None:
    committed = (ROOT / METADATA_FILE).read_text(encoding="utf-8")
    assert committed == render_metadata(), "metadata.yml is out of date: run `hkgraph metadata`"


def test_metadata_check_command(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["metadata", "--check", "--root", str(ROOT)]).exit_code == 0
    (tmp_path / METADATA_FILE).write_text("title: stale\n")
    stale = runner.invoke(cli, ["metadata", "--check", "--root", str(tmp_path)])
    assert stale.exit_code == 1
    assert "run `hkgraph metadata` to regenerate it" in stale.output
    written = runner.invoke(cli, ["metadata", "--root", str(tmp_path)])
    assert written.exit_code == 0
    assert (tmp_path / METADATA_FILE).read_text() == render_metadata()


def _schema(db: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(db)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")]
        return {n: [r[1] for r in conn.execute(f"PRAGMA table_info([{n}])")] for n in names}
    finally:
        conn.close()


def test_every_table_and_column_is_described(site_dist: Path) -> None:
    tables = build_metadata()["databases"][DATABASE]["tables"]
    schema = _schema(site_dist / "hkgraph.db")
    missing = []
    for table, columns in schema.items():
        entry = tables.get(table)
        if entry is None:
            missing.append(f"{table}: no entry")
            continue
        if entry.get("hidden") and "_fts" in table:
            continue
        if not entry.get("description"):
            missing.append(f"{table}: no description")
        described = entry.get("columns", {})
        missing += [f"{table}.{c}: no description" for c in columns if not described.get(c)]
        missing += [f"{table}.{c}: described but not in the database" for c in described if c not in columns]
    assert missing == []
    assert [t for t in tables if t not in schema] == []


def test_facets_sorts_and_labels_name_real_columns(site_dist: Path) -> None:
    tables = build_metadata()["databases"][DATABASE]["tables"]
    schema = _schema(site_dist / "hkgraph.db")
    wrong = []
    for table, entry in tables.items():
        for facet in entry.get("facets", []):
            if isinstance(facet, dict) and next(iter(facet)) in ("goal", "pack"):
                continue  # facets over link tables (hkgraph.web.facets), not columns
            column = facet if isinstance(facet, str) else next(iter(facet.values()))
            if column not in schema[table]:
                wrong.append(f"{table}: facet {column}")
        wrong += [f"{table}: sort {c}" for c in entry.get("sortable_columns", []) if c not in schema[table]]
        if "label_column" in entry and entry["label_column"] not in schema[table]:
            wrong.append(f"{table}: label {entry['label_column']}")
        if "fts_table" in entry and entry["fts_table"] not in schema:
            wrong.append(f"{table}: fts {entry['fts_table']}")
    assert wrong == []


def test_licence_source_and_about() -> None:
    meta = build_metadata()
    assert meta["license_url"] == "https://creativecommons.org/publicdomain/zero/1.0/"
    assert "CC0 1.0" in meta["license"]
    assert meta["source_url"] == "https://wanx-troopers.github.io"
    assert meta["about_url"].startswith("https://wanx-troopers.github.io/")


# Canned query → (parameters, the tip_id / node_id / id column of every row, in order) on tests/fixtures/site
CANNED_ANSWERS = {
    "tips_for_node": ({"node": "WanVideoModelLoader", "about": ""}, "tip_id", [
        "sageattention-speeds-up-sampling", "fp8-e5m2-with-torch-compile-on-ampere", "fp8-quantization-saves-vram"]),
    "tips_for_parameter": ({"parameter": "quantization"}, "tip_id", [
        "fp8-e5m2-with-torch-compile-on-ampere", "fp8-quantization-saves-vram"]),
    "recommended_settings": ({"node": "wanvideo model loader"}, "setting", [
        "sageattn", "fp8_e4m3fn", "fp8_e4m3fn", "fp8_e5m2"]),
    # a family brings its variants and the LoRAs made for them
    "tips_by_model": ({"model": "wan models"}, "tip_id", ["lightx2v-lora-needs-few-steps", "fp8-quantization-saves-vram"]),
    "tips_by_hardware": ({"hardware": "3090"}, "tip_id", [
        "block-swap-for-low-vram", "fp8-e5m2-with-torch-compile-on-ampere", "fp8-quantization-saves-vram"]),
    "tips_by_person": ({"person": "KJ"}, "tip_id", ["lightx2v-lora-needs-few-steps", "fp8-quantization-saves-vram"]),
    "nodes_of_repo": ({"repo": "kijai/ComfyUI-WanVideoWrapper"}, "node_id", [
        "wanvideo-model-loader", "wanvideo-block-swap", "wanvideo-sampler"]),
    "tips_for_goal": ({"goal": "lower-vram", "model": ""}, "tip_id", [
        "block-swap-for-low-vram", "fp8-quantization-saves-vram", "oom-error-means-swap-more-blocks"]),
    "workflows_using_node": ({"node": "WanVideoSampler"}, "workflow_id", ["wan-t2v-example"]),
    "troubleshoot": ({"error": "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"},
                     "tip_id", ["oom-error-means-swap-more-blocks", "block-swap-for-low-vram"]),
    "related_tips": ({"tip": "fp8-quantization-saves-vram"}, "tip_id", ["fp8-e5m2-with-torch-compile-on-ampere"]),
    "find_entity": ({"name": "sageattn"}, "entity_id", ["sageattention"]),
}


def test_every_canned_query_has_an_answer_test() -> None:
    assert len(CANNED_QUERIES) >= 10
    assert set(CANNED_ANSWERS) == set(CANNED_QUERIES)


@module_loop
@pytest.mark.parametrize("name", sorted(CANNED_ANSWERS))
async def test_canned_query_answers(ds: Datasette, name: str) -> None:
    params, column, expected = CANNED_ANSWERS[name]
    response = await ds.client.get(f"/{DATABASE}/{name}.json", params={**params, "_shape": "array"})
    assert response.status_code == 200, response.text
    rows = response.json()
    got = [row[column] for row in rows]
    if name == "troubleshoot":  # ranked: the best matches first, weaker ones may follow
        assert got[: len(expected)] == expected
    else:
        assert got == expected


@module_loop
async def test_canned_query_page_links_ids(ds: Datasette) -> None:
    response = await ds.client.get(f"/{DATABASE}/tips_for_node", params={"node": "WanVideoModelLoader"})
    assert response.status_code == 200
    assert '<a href="/hkgraph/tips/fp8-quantization-saves-vram">fp8-quantization-saves-vram</a>' in response.text
    assert '<a href="/hkgraph/nodes/wanvideo-model-loader">wanvideo-model-loader</a>' in response.text


@module_loop
async def test_full_text_search_on_tips(ds: Datasette) -> None:
    response = await ds.client.get(f"/{DATABASE}/tips.json", params={"_search": "swapped blocks", "_shape": "array"})
    assert response.status_code == 200
    # porter stemming: "swapped blocks" also finds "swap more blocks"
    assert sorted(row["id"] for row in response.json()) == ["block-swap-for-low-vram", "oom-error-means-swap-more-blocks"]


@module_loop
async def test_facets_and_label_columns(ds: Datasette) -> None:
    response = await ds.client.get(f"/{DATABASE}/tips.json")
    facets = response.json()["facet_results"]
    assert {"kind", "goals", "tags", "status", "certainty", "page", "node pack"} <= set(facets)
    assert "date" not in facets  # dates are a from/to range on the page, not a 30-value list
    packs = {item["value"]: item["count"] for item in facets["node pack"]["results"]}
    assert packs == {"comfyui-wanvideowrapper": 6, "comfyui-kjnodes": 1}
    kinds = {item["value"]: item["count"] for item in facets["kind"]["results"]}
    assert kinds == {"setting": 4, "explanation": 1, "technique": 1, "troubleshooting": 1}
    labels = await ds.client.get(f"/{DATABASE}/tip_nodes.json", params={"_labels": "on", "_shape": "array",
                                                                         "tip_id": "vaeloader-kj-runs-fp32-vae-in-bf16"})
    assert labels.json() == [{"tip_id": {"value": "vaeloader-kj-runs-fp32-vae-in-bf16",
                                         "label": "VAELoader KJ runs the fp32 Wan VAE in bf16"},
                              "node_id": {"value": "vaeloader-kj", "label": "VAELoader KJ"}, "via": None}]


@module_loop
async def test_summaries_render_as_markdown(ds: Datasette) -> None:
    response = await ds.client.get(f"/{DATABASE}/tips", params={"_hk_all": "1"})  # every column
    assert "Setting <code>quantization</code> to <strong>fp8_e4m3fn</strong>" in response.text
