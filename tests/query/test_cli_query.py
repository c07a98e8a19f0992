"""The query commands: hkgraph tips / entity / settings / query sparql, their formats and their errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli


@pytest.fixture
def run(kg_dist):
    root = str(kg_dist.parent)

    def invoke(*args: str):
        result = CliRunner().invoke(cli, [*args, "--root", root])
        assert "Traceback" not in result.output
        return result

    return invoke


def test_tips_as_json_are_whole_records(run):
    result = run("tips", "--node", "WanVideo Block Swap", "--format", "json")
    assert result.exit_code == 0, result.output
    [tip] = json.loads(result.output)
    assert tip["id"] == "block-swap-on-24gb-cards"
    assert tip["settings"] == [{
        "parameter": "wanvideo-block-swap-blocks-to-swap", "value": None, "values": ["20", "40"], "range": None,
        "direction": None, "schedule": None, "steps": None, "unit": None, "advice": "use-when", "condition": "the card has 24 GB of VRAM", "node": None, "model": None,
        "hardware": "rtx-3090",
    }]
    assert tip["relations"] == [{"type": "refines", "tip": "fp8-scaled-quantization-on-blackwell"}]


def test_tips_as_csv_and_table(run):
    result = run("tips", "--tag", "vram", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["id"] for r in rows] == [
        "base-precision-bf16", "block-swap-on-24gb-cards", "fp8-scaled-quantization-on-blackwell",
        "vae-loaders-run-fp32-vae-in-lower-precision",
    ]
    assert rows[0]["values"] == "wanvideo-model-loader-base-precision=bf16, wanvideo-model-loader-base-precision=fp32"
    table = run("tips", "--kind", "warning").output.splitlines()
    assert table[0].split() == ["id", "kind", "title", "goals"]
    assert table[2].startswith("block-swap-on-24gb-cards  warning  Swap 20 to 40 blocks")
    assert run("tips", "--text", "no such words anywhere").output == "(no rows)\n"


def test_tips_limit(run):
    assert len(json.loads(run("tips", "--limit", "3", "--format", "json").output)) == 3
    assert run("tips", "--limit", "-1").exit_code == 2


def test_entity(run):
    result = run("entity", "wan vae", "--format", "json")
    [model] = json.loads(result.output)
    assert (model["kind"], model["id"], model["role"]) == ("model", "wan2-1-vae", "vae")
    table = run("entity", "FP8").output
    assert "broader  quantization" in table
    scoped = run("entity", "precision", "--kind", "parameter")
    assert scoped.exit_code == 1 and "names 2 entities" in scoped.output


def test_settings(run):
    rows = json.loads(run("settings", "--parameter", "base_precision", "--format", "json").output)
    assert [(r["advice"], r["value"]) for r in rows] == [("avoid", "fp32"), ("default", "bf16")]
    assert rows[0]["node_name"] == "WanVideo Model Loader"
    table = run("settings", "--hardware", "rtx-3090").output
    assert "WanVideo Block Swap  blocks_to_swap  use-when  20, 40" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("tips", "--model", "Wan 2.3"), "Error: unknown model 'Wan 2.3'; did you mean"),
        (("entity", "Kijia"), "Error: unknown entity 'Kijia'; did you mean 'Kijai'?"),
        (("settings", "--advice", "never"), "Error: unknown advice 'never'; advices are: prefer"),
        (("query", "sparql", "SELECT * WHERE {\n?s ?p }"), "Error: SPARQL syntax error at line 2, column"),
        (("query", "sql", "SELEC 1"), 'Error: SQL error: near "SELEC": syntax error'),
    ],
)
def test_bad_input_is_a_message_not_a_traceback(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output


def test_query_sparql_formats(run):
    result = run("query", "sparql", "SELECT ?id WHERE { ?n a hkv:Node ; dcterms:identifier ?id } ORDER BY ?id LIMIT 2",
                 "--format", "csv")
    assert result.output == "id\nvaeloader-kj\nwanvideo-block-swap\n"
    construct = run("query", "sparql", "CONSTRUCT { ?s a hkv:Hardware } WHERE { ?s a hkv:Hardware }", "--format", "json")
    assert sorted(r["subject"] for r in json.loads(construct.output)) == [
        "https://w3id.org/hkgraph/hardware/rtx-3090", "https://w3id.org/hkgraph/hardware/rtx-5090"
    ]


def test_a_folder_without_data_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["tips", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "has neither data/ to build nor a built dist/" in result.output


def test_invalid_data_lists_the_problems(kg_root, tmp_path):
    import shutil

    shutil.copytree(kg_root / "data", tmp_path / "data")
    shutil.copytree(kg_root / "schema", tmp_path / "schema")
    bad = tmp_path / "data" / "entries" / "cfg-one-with-distill-lora.yaml"
    bad.write_text(bad.read_text().replace("- wanvideo-sampler\n", "- wanvideo-samplr\n", 1))
    result = CliRunner().invoke(cli, ["tips", "--root", str(tmp_path)])
    assert result.exit_code == 1
    assert "cfg-one-with-distill-lora.yaml:" in result.output
    assert "unknown node 'wanvideo-samplr'; did you mean 'wanvideo-sampler'?" in result.output
