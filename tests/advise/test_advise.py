"""The workflow advisor on small workflows: reading values, subgraphs, conditions, models, findings, CLI, bad input.

Exact advice is asserted on a small fixture dataset (tests/fixtures/advise/data) built into a temporary
folder. The real workflows (corpus and official templates) are in test_real_workflows.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.advise import conditions as cond
from hkgraph.advise.advisor import advise, load_knowledge, render_text
from hkgraph.advise.models import parse_file_name
from hkgraph.advise.values import key_values, read_values
from hkgraph.advise.workflow import WorkflowError, from_json, parse_workflow, read_workflow
from hkgraph.cli import cli

from conftest import FIXTURES

ADVISE = FIXTURES / "advise"
EDITOR = ADVISE / "workflows" / "editor.json"
API = ADVISE / "workflows" / "api.json"
SAMPLE = FIXTURES.parent.parent / "src" / "hkgraph" / "advise" / "sample_workflow.json"
SAMPLER_VALUES = [4, 6, 8, 42, "fixed", True, "unipc", 0, 1, False, "comfy", 0, -1, False]


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


def node(report: dict, exec_id: str) -> dict:
    return next(n for n in report["nodes"] if n["id"] == exec_id)


def sampler(values: list, **extra) -> dict:
    return {"id": 2, "type": "WanVideoSampler", "widgets_values": values, **extra}


# ------------------------------------------------------------------------------------------- findings


def test_findings_are_a_flat_ranked_list_with_current_and_suggested_values(editor_report):
    findings = editor_report["findings"]
    assert [(f["rank"], f["severity"], f["node"]["id"], f["input"], f["current"], f["suggested"]) for f in findings] == [
        (1, "warning", "1", "quantization", "fp8_e5m2", "not fp8_e5m2"),
        (2, "notice", "1", "base_precision", "fp16", "bf16"),
        (3, "info", "8", "quantization", "fp8_e5m2", "not fp8_e5m2"),
    ]
    first = findings[0]
    assert first["reason"] == "Unscaled fp8_e5m2 is the worst quantization choice on the WanVideo Model Loader"
    assert first["tip"] == {"id": "avoid-fp8-e5m2", "title": first["reason"],
                            "url": "https://wanx-troopers.github.io/fixture.html#quantization"}
    assert first["node"] == {"id": "1", "type": "WanVideoModelLoader", "title": None, "path": [], "where": "#1",
                             "mode": "always"}
    # the bypassed node's finding is an info, said so, and ranked last
    assert findings[2]["note"] == "the node is bypassed" and findings[2]["node"]["title"] == "Spare loader"


def test_advice_whose_condition_fails_is_dropped(editor_report):
    # cfg 1 is advised "when a step-distillation LoRA is loaded": the fixture loads none
    assert not [f for f in editor_report["findings"] if f["input"] == "cfg"]
    assert not [c for c in editor_report["cannot_tell"] if c.get("input") == "cfg"]


def test_repeated_nodes_are_collapsed(kb):
    loader = {"type": "WanVideoModelLoader", "widgets_values": ["x.safetensors", "bf16", "fp8_e5m2", "offload_device",
                                                                 "sdpa", "default"]}
    report = advise(from_json({"nodes": [{"id": i, **loader} for i in (1, 2, 3)]}), kb)
    [finding] = report["findings"]
    assert finding["count"] == 3 and [n["id"] for n in finding["nodes"]] == ["1", "2", "3"]
    assert "3 × WanVideoModelLoader (#1, #2, #3): quantization = fp8_e5m2" in render_text(report)


def test_text_output_is_short_and_says_what_was_not_read(editor_report):
    text = render_text(editor_report)
    lines = text.splitlines()
    assert lines[0] == f"{EDITOR}: editor workflow, 11 nodes (1 subgraphs, 1 instances), 1 bypassed or muted"
    assert lines[1] == "values read on 8 of 8 nodes that hold them"
    assert "  1. WARNING WanVideoModelLoader #1: quantization = fp8_e5m2 → not fp8_e5m2" in lines
    assert "INFO" not in text  # minor findings wait for --verbose
    assert "broken links: 1 (--verbose lists them)" in lines
    verbose = render_text(editor_report, verbose=True)
    assert "INFO    Spare loader #8" in verbose
    assert "  info: workflow: 1 broken link(s): link 2 goes from node 99, which does not exist" in verbose
    assert len(lines) < 15


# ------------------------------------------------------------------------------------------- values


def test_values_are_read_by_the_node_table(editor_report):
    values = node(editor_report, "2")["values"]
    assert values["cfg"] == 6 and values["seed"] == 42 and values["scheduler"] == "unipc"
    assert "control_after_generate" not in values
    assert node(editor_report, "2")["read"] == {"source": "table", "note": None}


def test_older_node_version_is_read_as_a_prefix(editor_report):
    old = node(editor_report, "9")  # 12 values: saved before start_step/end_step… existed
    assert old["read"]["source"] == "table-prefix"
    assert old["read"]["note"].startswith("12 of today's 14 widgets stored")
    assert old["values"]["steps"] == 6 and old["values"]["rope_function"] == "comfy"


def test_empty_string_boolean_and_float_noise_are_read():
    wf = from_json({"nodes": [sampler([4, 1.0000000000000002, 8, 42, "fixed", True, "unipc", 0, 1, "", "comfy", 0,
                                       -1, False])]})
    reading = read_values(wf.nodes[0])
    assert reading.source == "table"
    assert reading.values["batched_cfg"] is False and reading.values["cfg"] == 1.0


def test_a_value_that_does_not_fit_names_its_slot():
    values = [*SAMPLER_VALUES]
    values[5] = "yes"  # force_offload is a BOOLEAN
    reading = read_values(from_json({"nodes": [sampler(values)]}).nodes[0])
    assert not reading.read and reading.values == {}
    assert reading.note == ('14 values for 14 widgets (wanvideowrapper table); slot 6 (force_offload, BOOLEAN) '
                            'holds "yes": another version of the node; values not read')


def test_missing_control_value_and_declared_names():
    reading = read_values(from_json({"nodes": [sampler([v for v in SAMPLER_VALUES if v != "fixed"])]}).nodes[0])
    assert reading.source == "table" and reading.note == "no control-after-generate value stored"
    wf = from_json({"nodes": [{"id": 1, "type": "NotInTheTable",
                               "inputs": [{"name": n, "widget": {"name": n}, "link": None} for n in ("seed", "cfg")],
                               "widgets_values": [7, "randomize", 3.5]}]})
    reading = read_values(wf.nodes[0])
    assert (reading.source, reading.values) == ("workflow", {"seed": 7, "cfg": 3.5})


def test_key_value_option_texts():
    assert key_values("default_dtype=float32\nmultistep_fallback_sampler=ddim\nskip_final_model_call\n# x") == {
        "default_dtype": "float32", "multistep_fallback_sampler": "ddim", "skip_final_model_call": ""}


def test_linked_widget_is_not_read(kb):
    doc = json.loads(EDITOR.read_text())
    doc["nodes"][0]["inputs"] = [{"name": "quantization", "type": "COMBO", "widget": {"name": "quantization"},
                                  "link": 1}]
    report = advise(from_json(doc), kb)
    assert "quantization" not in node(report, "1")["values"]
    assert [f["input"] for f in report["findings"] if f["node"]["id"] == "1"] == ["base_precision"]


# ---------------------------------------------------------------------------------------- subgraphs


def _instance(mode: int = 0, **extra) -> dict:
    inner = {"id": 5, "type": "WanVideoModelLoader", "mode": 0,
             "inputs": [{"name": "quantization", "type": "COMBO", "widget": {"name": "quantization"}, "link": 9}],
             "widgets_values": ["m.safetensors", "bf16", "disabled", "offload_device", "sdpa", "default"]}
    definition = {"id": "11111111-2222-3333-4444-555555555555", "name": "Loader stage", "nodes": [inner],
                  "inputs": [{"id": "x", "name": "quantization", "type": "COMBO", "linkIds": [9]}],
                  "links": [{"id": 9, "origin_id": -10, "origin_slot": 0, "target_id": 5, "target_slot": 0,
                             "type": "COMBO"}]}
    instance = {"id": 40, "type": definition["id"], "mode": mode, "title": "Stage",
                "inputs": [{"name": "quantization", "type": "COMBO", "widget": {"name": "quantization"},
                            "link": None}], **extra}
    return {"nodes": [instance], "links": [], "definitions": {"subgraphs": [definition]}}


def test_promoted_widget_values_reach_the_inner_node(kb):
    doc = _instance(widgets_values=["fp8_e5m2"], properties={"proxyWidgets": [["-1", "quantization"]]})
    report = advise(from_json(doc), kb)
    inner = node(report, "40:5")
    assert inner["path"] == ["Stage #40"] and inner["where"] == "#5 in 'Stage #40'"
    assert inner["values"]["quantization"] == "fp8_e5m2"
    [finding] = report["findings"]
    assert (finding["severity"], finding["node"]["where"], finding["current"]) == (
        "warning", "#5 in 'Stage #40'", "fp8_e5m2")


def test_promoted_values_without_proxy_widgets_follow_the_widget_inputs(kb):
    report = advise(from_json(_instance(widgets_values=["fp8_e5m2"])), kb)
    assert node(report, "40:5")["values"]["quantization"] == "fp8_e5m2"


def test_a_bypassed_instance_disables_its_inner_nodes(kb):
    report = advise(from_json(_instance(mode=4, widgets_values=["fp8_e5m2"])), kb)
    inner = node(report, "40:5")
    assert inner["mode"] == "bypassed"
    assert [f["severity"] for f in report["findings"]] == ["info"]
    assert report["summary"]["nodes_inactive"] == 1


def test_each_instance_is_its_own_copy(kb):
    doc = _instance(widgets_values=["fp8_e5m2"])
    second = {**doc["nodes"][0], "id": 41, "title": "Other", "widgets_values": ["disabled"]}
    doc["nodes"].append(second)
    report = advise(from_json(doc), kb)
    assert node(report, "40:5")["values"]["quantization"] == "fp8_e5m2"
    assert node(report, "41:5")["values"]["quantization"] == "disabled"
    assert [f["node"]["id"] for f in report["findings"]] == ["40:5"]


def test_nested_subgraphs_have_the_full_path(kb):
    doc = _instance()
    outer = {"id": "99999999-2222-3333-4444-555555555555", "name": "Outer",
             "nodes": [{**doc["nodes"][0], "id": 7, "title": None}], "links": []}
    doc["definitions"]["subgraphs"].append(outer)
    doc["nodes"] = [{"id": 1, "type": outer["id"], "mode": 2, "title": "Everything"}]
    wf = from_json(doc)
    [inner] = wf.nodes
    assert inner.path == ("Everything #1", "Loader stage #7") and inner.exec_id == "1:7:5"
    assert not inner.active and inner.effective_mode == 2


# ------------------------------------------------------------------------------- models, conditions


@pytest.mark.parametrize(("name", "loader", "expected"), [
    ("wan2.2_i2v_high_noise_14B_fp8_scaled.safetensors", "UNETLoader",
     {"family": "Wan", "version": "2.2", "variant": "I2V", "size": "14B", "expert": "high-noise",
      "precision": "fp8_scaled", "format": "safetensors", "role": "diffusion"}),
    ("Wan2.2-I2V-A14B-LowNoise-Q5_K_M.gguf", "UnetLoaderGGUF",
     {"family": "Wan", "version": "2.2", "expert": "low-noise", "precision": "Q5_K_M", "format": "gguf"}),
    ("lightx2v_I2V_14B_480p_cfg_step_distill_rank64_bf16.safetensors", "LoraLoaderModelOnly",
     {"role": "lora", "purpose": "distill", "precision": "bf16"}),
    ("Wan21_T2V_14B_lightx2v_cfg_step_distill_lora_rank32.safetensors", "WanVideoLoraSelect",
     {"role": "lora", "purpose": "distill", "family": "Wan", "version": "2.1"}),
    ("ltx-2.3-22b-dev-nvfp4.safetensors", "CheckpointLoaderSimple",
     {"family": "LTX", "version": "2.3", "precision": "nvfp4"}),
    ("z_image_turbo_bf16.safetensors", "UNETLoader", {"family": "Z-Image", "precision": "bf16"}),
    ("umt5_xxl_fp8_e4m3fn_scaled.safetensors", "CLIPLoader",
     {"role": "text-encoder", "precision": "fp8_e4m3fn_scaled"}),
    ("Wan2_1_VAE_bf16.safetensors", "WanVideoVAELoader", {"role": "vae", "family": "Wan", "version": "2.1"}),
    ("qwen_image_edit_2509_mxfp8.safetensors", "UNETLoader", {"family": "Qwen-Image", "precision": "mxfp8"}),
])
def test_file_names_say_what_a_model_is(name, loader, expected):
    parsed = parse_file_name(name, loader)
    assert {k: parsed.get(k) for k in expected} == expected


def test_power_lora_loader_loras_are_models(kb):
    wf = from_json({"nodes": [{"id": 3, "type": "Power Lora Loader (rgthree)", "widgets_values": [
        {}, {"type": "PowerLoraLoaderHeaderWidget"},
        {"on": True, "lora": "Wan\\lightx2v_T2V_14B_cfg_step_distill_v2_lora_rank64_bf16.safetensors", "strength": 1},
        {"on": False, "lora": "style.safetensors", "strength": 0.5}, {}, ""]}]})
    report = advise(wf, kb)
    models = {m["file"].split("\\")[-1]: m for m in report["models"]}
    assert models["lightx2v_T2V_14B_cfg_step_distill_v2_lora_rank64_bf16.safetensors"]["purpose"] == "distill"
    assert models["style.safetensors"]["active"] is False
    assert report["facts"]["distill_lora"] is True


def test_distill_lora_makes_its_condition_hold(kb):
    wf = from_json({"nodes": [
        {"id": 1, "type": "LoraLoaderModelOnly", "widgets_values": ["wan_lightx2v_4steps_lora.safetensors", 1.0]},
        sampler([*SAMPLER_VALUES])]})
    report = advise(wf, kb)
    [finding] = [f for f in report["findings"] if f["input"] == "cfg"]
    assert (finding["current"], finding["suggested"], finding["condition_status"]) == (6, "1", "holds")


@pytest.mark.parametrize(("condition", "facts", "expected"), [
    ("torch.compile is not used", {"compile": False}, "holds"),
    ("torch.compile is not used", {"compile": True}, "fails"),
    ("torch is new enough and torch compile is off (no gain when compile is on)", {"compile": True}, "fails"),
    ("torch is new enough and torch compile is off (no gain when compile is on)", {"compile": False}, "cannot tell"),
    ("NAG is to have any effect on a step", {"nag": False}, "fails"),
    ("sampling with few steps (too high causes burns)", {"steps": [4.0]}, "holds"),
    ("sampling with few steps (too high causes burns)", {"steps": [30.0]}, "fails"),
    ("the model file is already a scaled fp8 .safetensors", {"scaled_fp8": True}, "holds"),
    ("VRAM is short", {}, "cannot tell"),
])
def test_conditions_are_judged_from_the_graph(condition, facts, expected):
    assert cond.judge(condition, cond.Facts(**facts), cond.Local())[0] == expected


def test_compile_counts_only_when_the_compile_node_runs(kb):
    report = advise(read_workflow(SAMPLE), kb)
    assert report["facts"]["compile"] is False  # the sample's compile node is bypassed
    doc = json.loads(SAMPLE.read_text())
    doc["nodes"][1]["mode"] = 0
    assert advise(from_json(doc), kb)["facts"]["compile"] is True


# ------------------------------------------------------------------------------------------- wiring


def test_wiring_rules(kb):
    doc = {"nodes": [
        {"id": 1, "type": "KSampler", "inputs": [{"name": "model", "type": "MODEL", "link": 1}],
         "outputs": [{"name": "LATENT", "type": "LATENT", "links": [2]}],
         "widgets_values": [1, "fixed", 20, 8, "no_such_sampler", "simple", 1.5]},
        {"id": 2, "type": "VAELoader", "outputs": [{"name": "VAE", "type": "VAE", "links": [1]}],
         "widgets_values": ["vae.safetensors"]},
        {"id": 3, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 2}]},
        {"id": 4, "type": "SomeCustomNode", "properties": {"cnr_id": "comfyui-kjnodes"}},
    ], "links": [[1, 2, 0, 1, 0, "VAE"], [2, 1, 0, 3, 0, "LATENT"], [3, 50, 0, 1, 3, "LATENT"]]}
    wiring = advise(from_json(doc), kb)["wiring"]
    rules = sorted((w["rule"], w.get("input") or "") for w in wiring)
    assert rules == [("dangling-link", ""), ("invalid-enum", "sampler_name"),
                     ("missing-required", "latent_image"), ("missing-required", "negative"),
                     ("missing-required", "positive"), ("out-of-range", "denoise"),
                     ("type-mismatch", "images"), ("type-mismatch", "model"), ("unknown-node", "")]
    enum = next(w for w in wiring if w["rule"] == "invalid-enum")
    assert "is not one of the choices of comfyanonymous/ComfyUI 0.30.0 @0ab8332" in enum["message"]
    unknown = next(w for w in wiring if w["rule"] == "unknown-node")
    assert unknown["pack"] == "ComfyUI-KJNodes" or unknown["pack"].endswith("ComfyUI-KJNodes")


def test_dangling_links_are_one_line_per_graph(kb):
    doc = {"nodes": [{"id": 1, "type": "VAELoader", "widgets_values": ["v.safetensors"]}],
           "links": [[i, 90 + i, 0, 1, 0, "X"] for i in range(1, 60)]}
    report = advise(from_json(doc), kb)
    [line] = [w for w in report["wiring"] if w["rule"] == "dangling-link"]
    assert line["count"] == 59 and line["message"].endswith("and 57 more")
    assert render_text(report).count("broken") == 1


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_text_json_and_verbose(advise_db):
    runner = CliRunner()
    result = runner.invoke(cli, ["advise", str(EDITOR), "--db", str(advise_db)])
    assert result.exit_code == 0, result.output
    assert "WARNING WanVideoModelLoader #1: quantization = fp8_e5m2" in result.output
    result = runner.invoke(cli, ["advise", str(API), "--db", str(advise_db), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [f["severity"] for f in report["findings"]] == ["warning"]
    assert report["workflow"]["format"] == "api" and report["findings"][0]["node"]["title"] == "Loader"
    result = runner.invoke(cli, ["advise", str(EDITOR), "--db", str(advise_db), "--verbose"])
    assert "Tips about these nodes:" in result.output


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
        "workflow: node entry 0 is not an object; skipped",
        "workflow: node 1 has no type; skipped",
        "workflow: node 2 (KSampler): widgets_values is neither a list nor an object; ignored",
        "workflow: node 3 uses subgraph 12345678-1234-1234-1234-123456789abc, which is not defined in the file; "
        "its nodes cannot be read",
        "subgraph 'unused' is defined but no node uses it",
    ]
    [dangling] = [w for w in report["wiring"] if w["rule"] == "dangling-link"]
    assert dangling["count"] == 2
    assert [n["type"] for n in report["nodes"]] == ["KSampler"]
    render_text(report, verbose=True)


def test_api_prompt_wrapper_and_bad_entries(kb):
    report = advise(from_json({"prompt": {"1": {"class_type": "KSampler", "inputs": [1]},
                                          "2": {"class_type": "VAELoader", "inputs": {}}, "x": 5}}), kb)
    assert report["workflow"]["format"] == "api"
    assert report["problems"] == ["node '1' (KSampler): inputs is not an object; ignored",
                                  "entry 'x' is not a node (no class_type); skipped"]


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


@pytest.mark.parametrize("mode", ["sageattn", "sageattn_3", "sageattn_compiled", "sageattn_ultravico",
                                  "radial_sage_attention"])
def test_every_sageattention_mode_counts(kb, mode):
    wf = from_json({"nodes": [{"id": 1, "type": "WanVideoModelLoader",
                               "widgets_values": ["m.safetensors", "bf16", "disabled", "offload_device", mode,
                                                  "default"]}]})
    assert advise(wf, kb)["facts"]["sage_attention"] is True


def test_broadcast_nodes_connect_inputs_at_run_time(kb):
    """cg-use-everywhere's nodes feed inputs without links: no missing-required then, and it is said."""
    doc = {"nodes": [{"id": 1, "type": "VAEDecode", "inputs": [{"name": "samples", "type": "LATENT", "link": None},
                                                                {"name": "vae", "type": "VAE", "link": None}],
                      "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}]},
                     {"id": 2, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 1}]}],
           "links": [[1, 1, 0, 2, 0, "IMAGE"]]}
    rules = [w["rule"] for w in advise(from_json(doc), kb)["wiring"]]
    assert rules.count("missing-required") == 2
    doc["nodes"].append({"id": 3, "type": "Anything Everywhere", "inputs": [{"name": "anything", "link": None}]})
    wiring = advise(from_json(doc), kb)["wiring"]
    [note] = [w for w in wiring if w["rule"] == "missing-required"]
    assert note["severity"] == "info" and "connects inputs when the workflow is queued" in note["message"]
