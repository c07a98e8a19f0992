"""KnowledgeGraph on the embedded files: typed helpers, name resolution, raw queries, opening."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from hkgraph import KnowledgeGraph
from hkgraph.query.engine import QueryError
from hkgraph.query.kg import AmbiguousNameError, SettingAdvice, UnknownNameError
from hkgraph.records.load import load_dataset

from conftest import FIXTURES, ROOT


@pytest.fixture(scope="module")
def kg(kg_dist: Path):
    with KnowledgeGraph.open(kg_dist) as graph:
        yield graph


def ids(tips) -> list[str]:
    return [t.id for t in tips]


def normalised(record) -> object:
    """A record as plain data with every list sorted (the graph keeps no order)."""

    def walk(x: object) -> object:
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return sorted((walk(v) for v in x), key=repr)
        return x

    return walk(record.model_dump())


def test_tips_are_the_records_read_back_from_the_graph(kg, kg_root):
    dataset = load_dataset(kg_root)
    tips = kg.tips()
    assert ids(tips) == sorted(dataset.tips)
    for tip in tips:
        assert normalised(tip) == normalised(dataset.tips[tip.id]), tip.id


def test_entities_are_the_records_read_back_from_the_graph(kg, kg_root):
    dataset = load_dataset(kg_root)
    for kind, table in dataset.entities.items():
        for ident, record in table.items():
            assert normalised(kg.entity(ident, kind)) == normalised(record), (kind, ident)


def test_a_tip_keeps_settings_quotes_and_relations_in_order(kg):
    [tip] = kg.tips(node="wanvideo-model-loader", parameter="base_precision")
    assert tip.id == "base-precision-bf16"
    assert tip.certainty == "uncertain"
    assert [(s.advice, s.value) for s in tip.settings] == [("avoid", "fp32"), ("default", "bf16")]
    assert [(q.text, q.person) for q in tip.quotes] == [("fp32 gave me nothing", "tester")]
    assert [(r.type, r.tip) for r in tip.relations] == [("contradicts", "vae-loaders-run-fp32-vae-in-lower-precision")]
    assert tip.source.date is None and tip.source.page == "other.md"
    [dated] = kg.tips(hardware="RTX 5090")
    assert dated.source.date == dt.date(2025, 10, 1)


def test_allowed_values_keep_the_nodes_order(kg):
    assert kg.entity("wanvideo-model-loader-base-precision").allowed_values == ["fp32", "bf16", "fp16"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"node": "WanVideo Model Loader"}, ["base-precision-bf16", "fp8-scaled-quantization-on-blackwell"]),
        ({"node": "wanvideomodelloader"}, ["base-precision-bf16", "fp8-scaled-quantization-on-blackwell"]),
        ({"node": "Wan Model Loader"}, ["base-precision-bf16", "fp8-scaled-quantization-on-blackwell"]),
        ({"parameter": "steps"}, ["sampler-steps-for-wan-2-2"]),
        # a name two parameters share matches both, unless a node narrows it down
        ({"parameter": "precision"}, ["base-precision-bf16", "vae-loaders-run-fp32-vae-in-lower-precision"]),
        ({"node": "WanVideo VAE Loader", "parameter": "precision"}, ["vae-loaders-run-fp32-vae-in-lower-precision"]),
        ({"value": "fp8_e4m3fn_scaled"}, ["fp8-scaled-quantization-on-blackwell"]),
        ({"value": "FP32"}, ["base-precision-bf16", "vae-loaders-run-fp32-vae-in-lower-precision"]),
        ({"value": "base_precision=fp32"}, ["base-precision-bf16"]),
        ({"value": "40"}, ["block-swap-on-24gb-cards"]),  # named only by a setting
        ({"model": "Wan 2.2 I2V"}, ["cfg-one-with-distill-lora", "sampler-steps-for-wan-2-2"]),
        ({"repo": "KJNodes"}, ["vae-loaders-run-fp32-vae-in-lower-precision"]),
        ({"repo": "kijai/ComfyUI-KJNodes"}, ["vae-loaders-run-fp32-vae-in-lower-precision"]),  # GitHub owner/name
        ({"repo": "WanVideoWrapper", "tag": "sampling"}, []),  # no sampling tip names the pack itself…
        ({"repo": "WanVideoWrapper", "tag": "sampling", "about": True},  # …two name its sampler
         ["cfg-one-with-distill-lora", "sampler-steps-for-wan-2-2"]),
        ({"hardware": "3090"}, ["block-swap-on-24gb-cards"]),
        ({"person": "KJ"}, ["fp8-scaled-quantization-on-blackwell"]),
        ({"concept": "quantization"}, ["base-precision-bf16"]),
        ({"concept": "quantization", "about": True}, ["base-precision-bf16", "fp8-scaled-quantization-on-blackwell"]),
        ({"concept": "8-bit float"}, ["fp8-scaled-quantization-on-blackwell"]),
        ({"tag": "VRAM", "kind": "warning"}, ["block-swap-on-24gb-cards"]),
        ({"text": "Distill LORA"}, ["cfg-one-with-distill-lora", "sampler-steps-for-wan-2-2"]),
        ({"text": "distill burns"}, ["cfg-one-with-distill-lora"]),
        ({"text": "nearly lossless"}, ["fp8-scaled-quantization-on-blackwell"]),  # in the excerpt's quote
        ({"node": "WanVideo Sampler", "hardware": "RTX 5090"}, []),
    ],
)
def test_tip_filters(kg, filters, expected):
    assert ids(kg.tips(**filters)) == expected


def test_limit(kg):
    assert ids(kg.tips(tag="vram", limit=2)) == ["base-precision-bf16", "block-swap-on-24gb-cards"]
    assert kg.tips(limit=0) == []


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"node": "WanVideo Model Lodaer"}, "unknown node 'WanVideo Model Lodaer'; did you mean 'WanVideo Model Loader'"),
        ({"parameter": "stepz"}, "unknown parameter 'stepz'; did you mean 'steps'?"),
        ({"person": "Kijia"}, "unknown person 'Kijia'; did you mean 'Kijai'?"),
        ({"value": "fp33"}, "unknown value 'fp33'; did you mean 'fp32'"),
        ({"tag": "vrma"}, "unknown tag 'vrma'; tags are: vram, speed"),
        ({"kind": "warnings"}, "did you mean 'warning'?"),
    ],
)
def test_unknown_names_suggest_close_matches(kg, filters, message):
    with pytest.raises(UnknownNameError) as info:
        kg.tips(**filters)
    assert message in str(info.value)


def test_entity_by_id_name_alias_and_class_name(kg):
    for name in ("wanvideo-model-loader", "WanVideo Model Loader", "wan model loader", "WANVIDEOMODELLOADER"):
        node = kg.entity(name)
        assert (node.kind_name, node.id, node.class_name, node.repo) == (
            "node", "wanvideo-model-loader", "WanVideoModelLoader", "comfyui-wanvideowrapper"
        )
    model = kg.entity("Wan VAE")
    assert model.id == "wan2-1-vae"
    file = kg.entity("Wan2_1_VAE_bf16.safetensors")  # a model file by its file name
    assert (file.kind_name, file.model, file.format, file.precision) == ("file", "wan2-1-vae", "safetensors", "bf16")
    assert kg.entity("FP8").broader == ["quantization"]
    assert kg.entity("cfg").aliases == ["CFG", "guidance scale"]
    steps = kg.entity("steps", kind="parameter")
    assert (steps.min, steps.max, steps.default) == (1.0, 10000.0, "30")


def test_entity_errors(kg):
    with pytest.raises(AmbiguousNameError) as info:
        kg.entity("precision")
    assert sorted(info.value.candidates) == [
        ("parameter", "wanvideo-model-loader-base-precision"), ("parameter", "wanvideo-vae-loader-precision")
    ]
    assert kg.entity("wanvideo-vae-loader-precision").node == "wanvideo-vae-loader"
    with pytest.raises(UnknownNameError) as unknown:
        kg.entity("Wan Sampler")
    assert "did you mean 'WanVideo Sampler'" in str(unknown.value)
    with pytest.raises(UnknownNameError):
        kg.entity("Kijai", kind="node")
    with pytest.raises(QueryError, match=r"unknown entity kind 'nodes'; .* did you mean 'node'"):
        kg.entity("x", kind="nodes")


def test_settings(kg):
    sampler = kg.settings(node="WanVideo Sampler")
    assert [(s.parameter_name, s.advice, s.value, s.min, s.max) for s in sampler] == [
        ("cfg", "required", "1.0", None, None),
        ("steps", "use-when", None, 4.0, 8.0),
    ]
    [swap] = kg.settings(hardware="RTX 3090")
    assert swap == SettingAdvice(
        id="block-swap-on-24gb-cards-1", tip="block-swap-on-24gb-cards",
        tip_title="Swap 20 to 40 blocks on 24 GB cards for 14B models",
        parameter="wanvideo-block-swap-blocks-to-swap", parameter_name="blocks_to_swap", advice="use-when",
        values=("20", "40"), condition="the card has 24 GB of VRAM", node="wanvideo-block-swap",
        node_name="WanVideo Block Swap", hardware="rtx-3090", advised="20, 40",
    )
    assert [s.id for s in kg.settings(node="WanVideo Model Loader", advice="avoid")] == ["base-precision-bf16-1"]
    assert [s.id for s in kg.settings(model="wan2-2-i2v-a14b")] == ["cfg-one-with-distill-lora-1"]
    assert len(kg.settings()) == 6
    with pytest.raises(UnknownNameError, match=r"unknown advice 'prefered'.*did you mean 'prefer'"):
        kg.settings(advice="prefered")


def test_sparql_returns_plain_values(kg):
    rows = kg.sparql("""
        SELECT ?name ?vram ?missing (COUNT(?tip) AS ?tips) (?vram > 30 AS ?big) WHERE {
          ?hw a hkv:Hardware ; skos:prefLabel ?name ; hkv:vramGB ?vram .
          OPTIONAL { ?tip hkv:aboutHardware ?hw }
        } GROUP BY ?name ?vram ?missing ORDER BY ?name""")
    assert rows == [
        {"name": "RTX 3090", "vram": 24.0, "missing": None, "tips": 1, "big": False},
        {"name": "RTX 5090", "vram": 32.0, "missing": None, "tips": 1, "big": True},
    ]
    assert kg.sparql("ASK { tip:cfg-one-with-distill-lora hkv:tag 'sampling' }") is True
    assert kg.sparql("CONSTRUCT { ?n a hkv:Node } WHERE { ?n hkv:className 'WanVideoSampler' }") == [
        {"subject": "https://w3id.org/hkgraph/node/wanvideo-sampler",
         "predicate": "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
         "object": "https://w3id.org/hkgraph/vocab#Node"}
    ]


def test_malformed_sparql_reports_the_position_in_the_users_query(kg):
    with pytest.raises(QueryError) as info:
        kg.sparql("SELECT ?s\nWHERE { ?s ?p }")
    assert str(info.value).startswith("SPARQL syntax error at line 2, column ")  # the user's lines, not the prologue's


def test_sql(kg):
    assert kg.sql("SELECT id, vram_gb FROM hardware ORDER BY id") == [
        {"id": "rtx-3090", "vram_gb": 24.0}, {"id": "rtx-5090", "vram_gb": 32.0}
    ]
    assert kg.sql("SELECT count(*) AS n FROM tips WHERE kind = ?", ["setting"]) == [{"n": 4}]
    with pytest.raises(QueryError, match="SQL error: no such table: nope"):
        kg.sql("SELECT * FROM nope")
    with pytest.raises(QueryError, match="SQL error: attempt to write a readonly database"):
        kg.sql("DELETE FROM tips")


def test_open_a_project_builds_when_stale(tmp_path):
    shutil.copytree(FIXTURES / "kg" / "data", tmp_path / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    with KnowledgeGraph.open(root=tmp_path) as kg:
        assert kg.dist == tmp_path / "dist"
        assert len(kg.tips()) == 6
    (tmp_path / "data" / "entries" / "base-precision-bf16.yaml").unlink()
    with KnowledgeGraph.open(tmp_path) as kg:
        assert len(kg.tips()) == 5


def test_open_a_release_archive(real_release, tmp_path, monkeypatch):
    """The archive exactly as `hkgraph release` writes it (hkgraph.nt.gz, SHA256SUMS …)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with KnowledgeGraph.open(real_release) as kg:
        assert kg.dist is not None and kg.dist.is_relative_to(tmp_path / "cache")
        assert kg.sql("SELECT count(*) AS n FROM tips") == [{"n": len(list((FIXTURES / "site" / "data" / "entries").glob("*.yaml")))}]
        assert kg.sparql("ASK { ?s ?p ?o }") is True
        assert kg.tips()


def test_open_errors(tmp_path):
    with pytest.raises(QueryError, match="does not exist"):
        KnowledgeGraph.open(tmp_path / "nope")
    with pytest.raises(QueryError, match="neither built files"):
        KnowledgeGraph.open(tmp_path)
    with pytest.raises(QueryError, match="has neither data/ to build nor a built dist/"):
        KnowledgeGraph.open(root=tmp_path)
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(QueryError, match="not a dataset folder or a release archive"):
        KnowledgeGraph.open(tmp_path / "notes.txt")


def test_a_closed_graph_refuses_queries(kg_dist):
    kg = KnowledgeGraph.open(kg_dist)
    kg.close()
    with pytest.raises(QueryError, match="closed"):
        kg.sparql("ASK {}")


def test_real_data_names_resolve(built_dist):
    with KnowledgeGraph.open(built_dist) as kg:
        node = kg.entity("WanVideo Model Loader")
        assert (node.id, node.class_name) == ("wanvideo-model-loader", "WanVideoModelLoader")
        assert kg.entity("WanVideoModelLoader").id == "wanvideo-model-loader"
        quantization = kg.entity("wanvideo-model-loader-quantization")
        assert quantization.allowed_values[0] == "disabled"
        for tip in kg.tips(node="WanVideo VAE Loader"):
            assert "wanvideo-vae-loader" in tip.nodes


def test_real_data_reads_back_from_the_graph(built_dist, dataset):
    with KnowledgeGraph.open(built_dist) as kg:
        tips = kg.tips(include_superseded=True)
        assert ids(tips) == sorted(dataset.tips)
        for tip in tips:
            assert normalised(tip) == normalised(dataset.tips[tip.id]), tip.id
        advice = kg.settings()
        assert len(advice) == sum(len(t.settings) for t in dataset.tips.values())
