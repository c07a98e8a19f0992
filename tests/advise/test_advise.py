"""The workflow advisor: parsing, recognition, value mapping, setting checks, inferences, CLI and bad input.

Exact advice is asserted on a small fixture dataset (tests/fixtures/advise/data) built into a temporary
folder; the real workflows of ../shared run through the advisor against the real data.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.advise.advisor import advise, load_knowledge, map_values, render_text
from hkgraph.advise.workflow import WorkflowError, from_json, parse_workflow, read_workflow
from hkgraph.cli import cli

from conftest import FIXTURES, shared_path

ADVISE = FIXTURES / "advise"
EDITOR = ADVISE / "workflows" / "editor.json"
API = ADVISE / "workflows" / "api.json"


@pytest.fixture(scope="module")
def advise_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hkgraph.compile.build import build

    out = tmp_path_factory.mktemp("advise") / "dist"
    build(ADVISE, out, shacl=False)
    return out / "hkgraph.db"


@pytest.fixture(scope="module")
def kb(advise_db: Path):
    return load_knowledge(advise_db)


@pytest.fixture(scope="module")
def editor_report(kb):
    return advise(read_workflow(EDITOR), kb)


def node(report: dict, node_id: str, path: tuple[str, ...] = ()) -> dict:
    return next(n for n in report["nodes"] if n["id"] == node_id and tuple(n["path"]) == path)


# ------------------------------------------------------------------------------------- setting checks


def test_contradicted_and_differing_settings_are_flagged(editor_report):
    loader = node(editor_report, "1")
    assert loader["known"] == {"id": "wanvideo-model-loader", "name": "WanVideo Model Loader",
                               "matched_by": "class name"}
    assert loader["mapping"] == {"source": "data", "note": None}
    assert loader["values"] == {
        "model": "wan2.1_t2v_14B_bf16.safetensors", "base_precision": "fp16", "quantization": "fp8_e5m2",
        "load_device": "offload_device", "attention_mode": "sageattn", "rms_norm_function": "default",
    }
    assert loader["checks"] == [
        {"severity": "warning", "verdict": "contradicts", "input": "quantization",
         "parameter": "wanvideo-model-loader-quantization", "value": "fp8_e5m2", "advice": "avoid",
         "advised": "fp8_e5m2", "condition": None, "tip": "avoid-fp8-e5m2",
         "tip_title": "Unscaled fp8_e5m2 is the worst quantization choice on the WanVideo Model Loader",
         "notes": []},
        {"severity": "notice", "verdict": "differs", "input": "base_precision",
         "parameter": "wanvideo-model-loader-base-precision", "value": "fp16", "advice": "prefer",
         "advised": "bf16", "condition": None, "tip": "prefer-bf16-base-precision",
         "tip_title": "Run the Wan model in bf16", "notes": []},
    ]
    assert loader["severity"] == "warning"
    # the strongest warnings come first
    assert editor_report["nodes"][0]["id"] == "1"


def test_generic_parameter_setting_applies_to_any_node_with_that_input(editor_report):
    sampler = node(editor_report, "2")
    assert [(c["input"], c["value"], c["verdict"], c["severity"], c["condition"]) for c in sampler["checks"]] == [
        ("cfg", 6, "differs", "info", "a step-distillation LoRA is loaded"),
    ]
    assert "control_after_generate" not in sampler["values"]
    assert sampler["values"]["seed"] == 42 and sampler["values"]["scheduler"] == "unipc"


def test_bypassed_node_is_reported_but_not_as_a_warning(editor_report):
    spare = node(editor_report, "8")
    assert spare["mode"] == "bypassed"
    assert [(c["input"], c["verdict"], c["severity"], c["notes"]) for c in spare["checks"]] == [
        ("quantization", "contradicts", "info", ["the node is bypassed or muted"]),
        ("base_precision", "follows", "ok", ["the node is bypassed or muted"]),
    ]


def test_unknown_order_is_said_not_guessed(editor_report):
    swap = node(editor_report, "3")
    assert swap["values"] == {} and swap["checks"] == []
    assert swap["unchecked"] == [{"parameter": "wanvideo-block-swap-blocks-to-swap", "input": "blocks_to_swap",
                                  "tip": "block-swap-up-to-40",
                                  "reason": "the order of this node's widget values is not known"}]
    old = node(editor_report, "9")
    assert old["mapping"]["source"] == "none"
    assert old["mapping"]["note"].startswith("12 widget values do not fit the known order of 14")
    assert [u["input"] for u in old["unchecked"]] == ["cfg"]


def test_linked_widget_is_not_checked(kb):
    doc = json.loads(EDITOR.read_text())
    loader = doc["nodes"][0]
    loader["inputs"] = [{"name": "quantization", "type": "COMBO", "widget": {"name": "quantization"}, "link": 1}]
    report = advise(from_json(doc), kb)
    checked = node(report, "1")
    assert [c["input"] for c in checked["checks"]] == ["base_precision"]
    assert checked["unchecked"][0]["input"] == "quantization"
    assert checked["unchecked"][0]["reason"] == "set by a link from another node"


# ------------------------------------------------------------------------- subgraphs, models, inferences


def test_subgraph_nodes_are_read_once_with_their_path(editor_report):
    tiled = node(editor_report, "10", ("decode",))
    assert tiled["where"] == "#10 in subgraph 'decode'"
    assert tiled["known"]["id"] == "vae-decode-tiled"
    assert tiled["mapping"]["source"] == "workflow"
    assert tiled["values"] == {"tile_size": 512, "overlap": 64, "temporal_size": 64, "temporal_overlap": 8}
    assert editor_report["workflow"] == {"name": str(EDITOR), "format": "editor", "nodes": 11, "subgraphs": 1,
                                         "subgraph_instances": 1}


def test_models_are_recognised_by_file_name(editor_report):
    models = {m["file"]: m for m in editor_report["models"]}
    vae = models["wan\\Wan2_1_VAE_bf16.safetensors"]
    assert vae["model"] == {"id": "wan-2-1-vae", "name": "Wan 2.1 VAE"}
    assert [t["id"] for t in vae["tips"]] == ["wan-vae-bf16-is-enough"]
    assert models["other.safetensors"]["model"] is None


def test_implied_concepts(editor_report):
    implied = {i["id"]: i for i in editor_report["implied"]}
    assert set(implied) == {"block-swap", "few-steps-high-cfg", "tiled-vae-temporal", "sage-attention"}
    assert implied["block-swap"]["entities"] == [{"kind": "concept", "id": "block-swap", "name": "block swap"}]
    assert [t["id"] for t in implied["block-swap"]["tips"]] == ["block-swap-up-to-40"]
    assert implied["few-steps-high-cfg"]["evidence"] == ["#2 WanVideoSampler: 4 steps at cfg 6"]
    assert [t["id"] for t in implied["few-steps-high-cfg"]["tips"]] == ["cfg-1-with-distill-loras"]
    assert implied["tiled-vae-temporal"]["evidence"] == [
        "#10 in subgraph 'decode' VAEDecodeTiled: temporal_size 64 below 81 frames"]
    assert implied["tiled-vae-temporal"]["note"] == "the data has no concept or repo for this yet"


def test_unknown_types_are_listed_by_pack(editor_report):
    assert editor_report["unknown_types"] == [
        {"pack": "ComfyUI", "source": "cnr_id", "types": {"EmptyHunyuanLatentVideo": 1, "VAELoader": 1}},
        {"pack": "unknown pack", "source": "none", "types": {"BBBBBBBB-not-a-uuid": 1, "FooBarNode": 1}},
    ]
    assert editor_report["frontend_only"] == {"Note": 1}
    assert editor_report["problems"] == ["workflow: a link goes from node 99, which does not exist"]
    s = editor_report["summary"]
    assert (s["nodes_seen"], s["nodes_recognised"], s["settings_checked"], s["warnings"]) == (11, 6, 5, 1)


def test_pack_from_aux_id_class_map_and_pattern(kb):
    report = advise(from_json({"nodes": [
        {"id": 1, "type": "WanVideoBlockSwap", "properties": {"aux_id": "kijai/ComfyUI-WanVideoWrapper"}},
        {"id": 2, "type": "VHS_VideoCombine", "properties": {}},
        {"id": 3, "type": "Label (rgthree)", "properties": {}},
        {"id": 4, "type": "GetNode", "properties": {"aux_id": "GetNode"}},
        {"id": 5, "type": "ImageBatchMulti", "properties": {}},
    ]}), kb)
    packs = {n["id"]: n["pack"] for n in report["nodes"]}
    assert packs["1"]["source"] == "aux_id" and packs["1"]["repo"] == "comfyui-wanvideowrapper"
    assert (packs["2"]["source"], packs["2"]["name"]) == ("class map", "Kosinkadink/ComfyUI-VideoHelperSuite")
    assert (packs["3"]["source"], packs["3"]["name"]) == ("name pattern", "rgthree/rgthree-comfy")
    assert (packs["4"]["source"], packs["4"]["name"]) == ("frontend", "kijai/ComfyUI-KJNodes")
    assert packs["5"]["source"] == "class map"
    assert "https://github.com/kijai/ComfyUI-KJNodes" in (packs["5"].get("candidates") or [packs["5"]["url"]])


def test_recognition_by_display_name_and_alias(kb):
    report = advise(from_json({
        "1": {"class_type": "WanVideo Block Swap", "inputs": {}},
        "2": {"class_type": "blockswap", "inputs": {}},
    }), kb)
    assert [n["known"] for n in sorted(report["nodes"], key=lambda n: n["id"])] == [
        {"id": "wanvideo-block-swap", "name": "WanVideo Block Swap", "matched_by": "display name"},
        {"id": "wanvideo-block-swap", "name": "WanVideo Block Swap", "matched_by": "alias"},
    ]


def test_declared_widget_names_take_a_control_value_after_the_seed(kb):
    wf = from_json({"nodes": [{
        "id": 1, "type": "KSampler",
        "inputs": [{"name": n, "widget": {"name": n}, "link": None}
                   for n in ("seed", "steps", "cfg", "sampler_name", "scheduler", "denoise")],
        "widgets_values": [7, "randomize", 4, 3.5, "euler", "simple", 1],
    }]})
    values, source, note = map_values(wf.nodes[0], None, kb)
    assert (source, note) == ("workflow", None)
    assert values == {"seed": 7, "steps": 4, "cfg": 3.5, "sampler_name": "euler", "scheduler": "simple",
                      "denoise": 1}


def test_api_format(kb):
    report = advise(read_workflow(API), kb)
    assert report["workflow"]["format"] == "api"
    loader = node(report, "1")
    assert loader["title"] == "Loader" and loader["mapping"]["source"] == "api"
    assert [(c["input"], c["verdict"]) for c in loader["checks"]] == [
        ("quantization", "contradicts"), ("base_precision", "follows")]
    assert [(c["input"], c["verdict"]) for c in node(report, "2")["checks"]] == [("cfg", "follows")]
    assert report["problems"] == [
        "node '2' (WanVideoSampler): input 'image_embeds' is linked to node '7', which is not in the workflow"]


def test_text_output_groups_by_node_strongest_first(editor_report):
    text = render_text(editor_report)
    lines = text.splitlines()
    assert lines[1] == ("recognised 6 of 11 nodes; 5 settings checked: 1 warning(s), 1 notice(s); 3 tips")
    first = lines.index("WanVideo Model Loader (WanVideoModelLoader) #1 — ComfyUI-WanVideoWrapper [cnr_id] ver 1.4.7")
    assert lines[first + 1].startswith("  WARNING  quantization = fp8_e5m2: contradicts 'avoid fp8_e5m2' "
                                       "[avoid-fp8-e5m2]")
    assert text.index("#1 —") < text.index("#8 —") < text.index("#2 —")  # warning, notice, info
    assert "  unknown pack: BBBBBBBB-not-a-uuid, FooBarNode" in lines
    assert "Browser-only nodes (nothing to advise): Note" in lines


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_text_and_json(advise_db):
    runner = CliRunner()
    result = runner.invoke(cli, ["advise", str(EDITOR), "--db", str(advise_db)])
    assert result.exit_code == 0, result.output
    assert "WARNING  quantization = fp8_e5m2" in result.output
    result = runner.invoke(cli, ["advise", str(API), "--db", str(advise_db), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["summary"]["warnings"] == 1


def test_cli_builds_the_data_when_no_db_is_given(tmp_path):
    import shutil

    root = tmp_path / "project"
    shutil.copytree(ADVISE / "data", root / "data")
    shutil.copytree(FIXTURES.parent.parent / "schema", root / "schema")
    result = CliRunner().invoke(cli, ["advise", str(API), "--root", str(root)])
    assert result.exit_code == 0, result.output
    assert (root / "dist" / "hkgraph.db").exists()


BAD = [
    (b"{not json", "not JSON: Expecting property name enclosed in double quotes"),
    (b"", "the file is empty"),
    (b"\xff\xfe\x00garbage", "not UTF-8 text"),
    (b"[1, 2, 3]", "not a ComfyUI workflow: found list"),
    (b"{}", "not a ComfyUI workflow: found an empty object"),
    (b'{"last_updated": "2026-05-13", "workflow": "x.json"}',
     "not a ComfyUI workflow: found an object with keys last_updated, workflow"),
    (b'{"nodes": "many"}', "not a ComfyUI workflow"),
    (b"[" * 100_000, "nested too deeply"),
]


@pytest.mark.parametrize(("data", "message"), BAD)
def test_bad_input_is_a_clear_error(tmp_path, advise_db, data, message):
    path = tmp_path / "bad.json"
    path.write_bytes(data)
    with pytest.raises(WorkflowError, match=message.replace("(", r"\(").replace("[", r"\[")):
        read_workflow(path)
    result = CliRunner().invoke(cli, ["advise", str(path), "--db", str(advise_db)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message.split(":")[0] in result.output
    assert "Traceback" not in result.output


def test_not_json_error_has_the_position():
    with pytest.raises(WorkflowError, match=r"^w\.json:2:5: not JSON"):
        parse_workflow('{"nodes":\n    ]', name="w.json")


def test_huge_file_is_refused(tmp_path, advise_db):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"nodes": [], "pad": "x" * 5000}))
    with pytest.raises(WorkflowError, match=r"the file is 5,\d+ bytes; the advisor reads workflows up to 1,000 bytes"):
        read_workflow(path, max_bytes=1000)
    result = CliRunner().invoke(cli, ["advise", str(path), "--db", str(advise_db), "--max-bytes", "1000"])
    assert result.exit_code == 1 and "up to 1,000 bytes (--max-bytes)" in result.output
    with pytest.raises(WorkflowError, match=r"^big: the workflow is 1\.2 MB; the advisor reads workflows up to 1\.0 MB$"):
        parse_workflow("x" * 1_200_000, name="big", max_bytes=1_000_000)


def test_missing_database_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["advise", str(API), "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no such database; run `hkgraph build` first" in result.output


def test_broken_parts_become_problems_not_tracebacks(kb):
    doc = {
        "nodes": [
            "not a node",
            {"id": 1},
            {"id": 2, "type": "KSampler", "widgets_values": 5, "inputs": [{"name": "model", "link": 77}, 3]},
            {"id": 3, "type": "12345678-1234-1234-1234-123456789abc"},
        ],
        "links": [[5, 2, 0, 40, 0, "MODEL"], "junk"],
        "definitions": {"subgraphs": [{"name": "no id"}, {"id": "s", "name": "unused", "nodes": []}]},
    }
    report = advise(from_json(doc), kb)
    assert report["problems"] == [
        "subgraph definition 0 has no id or no node list; skipped",
        "workflow: a link is neither [id, origin, slot, target, slot, type] nor an object; ignored",
        "workflow: a link goes to node 40, which does not exist",
        "workflow: node entry 0 is not an object; skipped",
        "workflow: node 1 has no type; skipped",
        "workflow: node 2 (KSampler): widgets_values is neither a list nor an object; ignored",
        "workflow: node 2 (KSampler): input 'model' refers to link 77, which does not exist",
        "workflow: node 3 uses subgraph 12345678-1234-1234-1234-123456789abc, which is not defined in the file; "
        "its nodes cannot be read",
        "subgraph 'unused' is defined but no node uses it",
    ]
    assert [n["type"] for n in report["nodes"]] == ["KSampler"]
    render_text(report)


def test_api_prompt_wrapper_and_bad_entries(kb):
    report = advise(from_json({"prompt": {"1": {"class_type": "KSampler", "inputs": [1]},
                                          "2": {"class_type": "VAELoader", "inputs": {}}, "x": 5}}), kb)
    assert report["workflow"]["format"] == "api"
    assert report["problems"] == ["node '1' (KSampler): inputs is not an object; ignored",
                                  "entry 'x' is not a node (no class_type); skipped"]


# ---------------------------------------------------------------------------------- real workflows


def corpus_files() -> list[Path]:
    folder = shared_path("corpus", "wanx-troopers", "workflows")
    return sorted(folder.rglob("*.json"))


@pytest.fixture(scope="module")
def real_kb(built_dist: Path):
    return load_knowledge(built_dist / "hkgraph.db")


def test_every_real_workflow_runs_through_the_advisor(real_kb):
    files = corpus_files()
    assert len(files) >= 70
    refused = []
    for path in files:
        try:
            wf = read_workflow(path)
        except WorkflowError as exc:
            refused.append((path.name, str(exc)))
            continue
        report = advise(wf, real_kb)
        assert report["summary"]["nodes_seen"] == len(wf.nodes)
        json.dumps(report)
        assert render_text(report).startswith(str(path))
    # one file of the folder is a benchmark summary, not a workflow: refused with a reason
    assert [name for name, _ in refused] == ["fredbliss-fml2v_aggregate_2026-05-13.json"]
    assert "not a ComfyUI workflow: found an object with keys last_updated" in refused[0][1]


def test_real_workflow_wanvideo_values_are_read(real_kb):
    path = shared_path("corpus", "wanx-troopers", "workflows", "MBEDIT-LongCat_Avatar_15_v1.json")
    report = advise(read_workflow(path), real_kb)
    loader = next(n for n in report["nodes"] if n["type"] == "WanVideoModelLoader")
    assert loader["known"]["id"] == "wanvideo-model-loader"
    assert loader["pack"]["repo"] == "comfyui-wanvideowrapper"
    assert loader["mapping"]["source"] == "data"
    assert loader["values"]["quantization"] == "disabled"
    assert loader["values"]["attention_mode"] == "sageattn"
    swap = next(n for n in report["nodes"] if n["type"] == "WanVideoBlockSwap")
    assert swap["values"]["blocks_to_swap"] == 40
    implied = {i["id"] for i in report["implied"]}
    assert {"block-swap", "torch-compile", "sage-attention", "gguf"} <= implied


def test_real_workflow_subgraphs_hold_most_nodes(real_kb):
    path = shared_path("corpus", "wanx-troopers", "workflows", "Wan2.2-sub-v0.4.json")
    wf = read_workflow(path)
    inside = [n for n in wf.nodes if n.path]
    assert len(inside) > 10 * len([n for n in wf.nodes if not n.path])
    assert wf.subgraph_instances >= len(wf.subgraphs)
    report = advise(wf, real_kb)
    assert any(n["where"].endswith("'ksampler_x3'") for n in report["nodes"])


def test_widget_orders_in_the_data_fit_the_real_workflows(real_kb):
    """Every order recorded in data/ fits some real node, and no workflow's declared names contradict it."""
    ordered = {n["class_name"]: n for n in real_kb.nodes.values() if n["inputs"]}
    assert {"WanVideoModelLoader", "WanVideoSampler"} <= set(ordered)
    fits: dict[str, int] = dict.fromkeys(ordered, 0)
    for path in corpus_files():
        try:
            wf = read_workflow(path)
        except WorkflowError:
            continue
        for wn in wf.nodes:
            if wn.type not in ordered or not isinstance(wn.widgets, list):
                continue
            known = ordered[wn.type]
            _values, source, _note = map_values(wn, known["id"], real_kb)
            if source == "data":
                fits[wn.type] += 1
            plain = [n for n in known["inputs"] if n != "control_after_generate"]
            if len(wn.widget_names) == len(plain):
                assert wn.widget_names == plain, f"{path.name} {wn.where}"
    assert all(fits.values()), fits


def test_documented_example_runs(tmp_path, monkeypatch):
    """docs/advise.md: the example's commands give the output printed there."""
    import re
    import shlex

    doc = (FIXTURES.parent.parent / "docs" / "advise.md").read_text()
    block = re.search(r"<!-- advise-example -->\n```console\n(.*?)\n```", doc, re.S).group(1)
    commands = [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    expected = "\n".join(line for line in block.splitlines() if not line.startswith("$ "))
    monkeypatch.chdir(FIXTURES.parent.parent)
    runner = CliRunner()
    output = ""
    for command in commands:
        args = shlex.split(command.replace("/tmp/advise-demo", str(tmp_path / "demo")))  # noqa: S108
        assert args[0] == "hkgraph"
        result = runner.invoke(cli, args[1:])
        assert result.exit_code == 0, result.output
        output = result.output
    assert output.rstrip("\n") == expected
