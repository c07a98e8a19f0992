"""Batch 17 (wan-animates.md, bernini.md, domain-shuttle.md, directors.md): the questions of issue 17 and
the ones the pages raised while curating, each answered by one query on the built data."""

from __future__ import annotations

import pytest

from hkgraph import KnowledgeGraph


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


# Workflows that a character-replacement tip points to and that load a SCAIL-2 file, with every file they load,
# its model and the model's role (so LoRAs stand apart from diffusion models and detectors).
SCAIL_2_REPLACEMENT_WORKFLOWS = """
WITH replace_wf AS (
  SELECT DISTINCT tw.workflow_id FROM tip_workflows tw
  JOIN tip_concepts tc ON tc.tip_id = tw.tip_id AND tc.concept_id = 'character-replacement'
  JOIN workflow_files wf ON wf.workflow_id = tw.workflow_id JOIN files f ON f.id = wf.file_id
  WHERE f.model = 'scail-2' OR f.model IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'scail-2'))
SELECT r.workflow_id, f.name AS file, m.id AS model, m.role FROM replace_wf r
JOIN workflow_files wf ON wf.workflow_id = r.workflow_id JOIN files f ON f.id = wf.file_id
JOIN models m ON m.id = f.model
ORDER BY r.workflow_id, m.role, f.name
"""


def test_which_scail_2_workflows_replace_a_character_and_what_they_load(kg):
    rows = kg.sql(SCAIL_2_REPLACEMENT_WORKFLOWS)
    assert {r["workflow_id"] for r in rows} == {"scail-vk-wan21-scail2-v"}
    loaded = {(r["file"], r["model"], r["role"]) for r in rows}
    assert ("wan2.1_14B_SCAIL_2_mxfp8.safetensors", "scail-2", "diffusion") in loaded
    assert ("Wan21_T2V_14B_lightx2v_cfg_step_distill_lora_rank32.safetensors", "lightx2v", "lora") in loaded
    assert ("sam3.1_multiplex_fp16.safetensors", "sam3", "detector") in loaded
    # SCAIL-2 sits under Wan 2.1, so "anything Wan 2.1" finds the workflow too
    ancestors = {r["ancestor_id"] for r in kg.sql("SELECT ancestor_id FROM model_ancestors WHERE model_id = 'scail-2'")}
    assert {"wan-2-1", "wan"} <= ancestors
    # the tips that give replacement advice for SCAIL-2
    advice = {r["id"] for r in kg.sql("""
        SELECT t.id FROM current_tips t JOIN tip_concepts tc ON tc.tip_id = t.id AND tc.concept_id = 'character-replacement'
        WHERE t.section LIKE 'SCAIL-2%' ORDER BY t.id""")}
    assert {"scail-2-replacement-add-dpo-lora", "scail-2-replacement-lightx2v-half-strength",
            "slmonker-scail-2-replacement-black-background-reference",
            "phoenixrisen-scail-2-reference-same-size-as-video"} <= advice


# Tips of wan-animates.md about WanAnimate (the model or its embeds node) that speak of context windows, extension or
# the context-options node, plus the tips that refine them (the pros and cons of each way).
WANANIMATE_LONG_VIDEOS = """
WITH long_gen AS (
  SELECT t.id FROM current_tips t WHERE t.page = 'wan-animates.md'
    AND t.id IN (SELECT tip_id FROM tip_concepts WHERE concept_id IN ('context-windows', 'video-extension')
                 UNION SELECT tip_id FROM tip_nodes WHERE node_id = 'wanvideo-context-options')
    AND t.id IN (SELECT tip_id FROM tip_models WHERE model_id = 'wan-animate'
                 UNION SELECT tip_id FROM tip_nodes WHERE node_id = 'wanvideo-animate-embeds'))
SELECT id, kind FROM current_tips
WHERE id IN long_gen OR id IN (SELECT tip_id FROM relations WHERE other_tip_id IN long_gen AND type = 'refines')
ORDER BY id
"""


def test_context_windows_or_internal_looping_for_long_wananimate(kg):
    tips = {r["id"]: r["kind"] for r in kg.sql(WANANIMATE_LONG_VIDEOS)}
    assert {"wananimate-long-video-option-a-internal-looping", "wananimate-long-video-option-b-context-windows",
            "wananimate-internal-looping-degrades-after-3-extensions",
            "wananimate-context-windows-no-degradation-but-shift", "wananimate-wrapper-loops-automatically",
            "wananimate-vace-context-windows-hybrid", "context-windows-only-choice-for-long-wananimate-like"} <= set(tips)
    # the two ways disagree on what goes wrong, and the data says so
    assert kg.sql("""SELECT type FROM relations WHERE tip_id = 'wananimate-context-windows-no-degradation-but-shift'
                     AND other_tip_id = 'wananimate-internal-looping-degrades-after-3-extensions'""") == [
        {"type": "contradicts"}]
    settings = {(r["parameter_id"], r["advised"]) for r in kg.sql("""
        SELECT parameter_id, advised FROM settings WHERE tip_id IN
        ('wananimate-long-video-option-a-internal-looping', 'wananimate-long-video-option-b-context-windows')""")}
    assert ("wanvideo-animate-embeds-frame-window-size", "77 frames") in settings
    assert ("wanvideo-context-options-context-frames", "77, 81 frames") in settings


BERNINI_TASK_TYPES = """
SELECT s.value AS task_type, q.text AS system_prompt, s.tip_id FROM settings s JOIN quotes q ON q.tip_id = s.tip_id
WHERE s.parameter_id = 'bernini-task-type' ORDER BY s.value
"""


def test_bernini_task_types_and_their_system_prompts(kg):
    rows = {r["task_type"]: r for r in kg.sql(BERNINI_TASK_TYPES)}
    allowed = kg.sql("SELECT allowed_values FROM parameters WHERE id = 'bernini-task-type'")[0]["allowed_values"]
    assert set(rows) == {"default", "t2i", "t2v", "i2i", "r2i", "i2v", "v2v", "r2v", "vi2v", "rv2v", "ads2v",
                         "vrc2v", "mv2v"}
    assert all(task in allowed for task in rows)
    assert rows["default"]["system_prompt"] == "You are a helpful assistant."
    assert rows["rv2v"]["system_prompt"] == "You are a helpful assistant specialized in video editing with reference."
    assert rows["vrc2v"]["system_prompt"].endswith("adjust the subject's action or position.")
    # the prompt is kept verbatim in the excerpt; the summary describes it in other words
    tip = kg.sql("SELECT excerpt, summary FROM tips WHERE id = ?", [rows["i2v"]["tip_id"]])[0]
    assert rows["i2v"]["system_prompt"] in tip["excerpt"]
    assert rows["i2v"]["system_prompt"] not in tip["summary"]


SCAIL_POSE_ESTIMATORS = """
SELECT DISTINCT m.id FROM tip_models tm JOIN models m ON m.id = tm.model_id JOIN current_tips t ON t.id = tm.tip_id
WHERE m.role = 'detector' AND tm.via IS NULL AND t.section LIKE '%SCAIL%'
ORDER BY m.id
"""

DETECTOR_COMPARISONS = """
SELECT t.id, group_concat(m.id) AS detectors FROM current_tips t
JOIN tip_models tm ON tm.tip_id = t.id AND tm.via IS NULL
JOIN models m ON m.id = tm.model_id AND m.role = 'detector'
WHERE t.kind = 'comparison' GROUP BY t.id HAVING count(*) >= 2 ORDER BY t.id
"""


def test_which_pose_estimators_feed_scail_and_how_they_compare(kg):
    estimators = {r["id"] for r in kg.sql(SCAIL_POSE_ESTIMATORS)}
    assert {"nlf", "dwpose", "vitpose"} <= estimators
    comparisons = {r["id"]: set(r["detectors"].split(",")) for r in kg.sql(DETECTOR_COMPARISONS)}
    assert comparisons["vitpose-h-better-than-dwpose-but-one-person"] == {"vitpose", "dwpose"}
    assert comparisons["djbfilmz-sapiens-best-pose-then-sdpose-dwpose"] == {"sapiens", "sdpose", "dwpose"}
    # ViTPose handles one person, so several people need DWPose
    assert "scail-two-subjects-need-dwpose-not-vitpose" in {
        r["tip_id"] for r in kg.sql("SELECT tip_id FROM tip_models WHERE model_id = 'dwpose' AND via IS NULL")}


def test_scail_2_files_by_precision_and_use_in_workflows(kg):
    rows = {r["name"]: r for r in kg.sql("""
        SELECT f.name, f.precision, f.repack_by,
               (SELECT count(*) FROM workflow_files wf WHERE wf.file_id = f.id) AS workflows
        FROM files f WHERE f.model = 'scail-2' ORDER BY f.name""")}
    assert rows["wan2.1_14B_SCAIL_2_fp8_scaled.safetensors"]["workflows"] >= 5
    assert rows["wan2.1_14B_SCAIL_2_nvfp4_mxpf8_mix.safetensors"]["repack_by"] == "kijai"
    assert rows["wan2.1_14B_SCAIL_2-Q4_K_M.gguf"]["precision"] == "Q4_K_M"


def test_how_many_frames_bernini_handles(kg):
    rows = kg.sql("""
        SELECT s.tip_id, s.advice, s.advised FROM settings s JOIN current_tips t ON t.id = s.tip_id
        WHERE s.parameter_id = 'frame-count' AND s.model_id = 'bernini'""")
    advice = {(r["tip_id"], r["advice"], r["advised"]) for r in rows}
    assert ("bnp4535353-bernini-safest-81-or-121-frames", "prefer", "81, 121 frames") in advice
    assert ("bnp4535353-bernini-over-121-frames-faded-jittery", "prefer", "at most 121 frames") in advice
    assert ("stef-bernini-keyframes-161-ok-241-degrades", "avoid", "241 frames") in advice
    assert ("djbfilmz-bernini-400-frames-i2v", "use-when", "400 frames") in advice


def test_distill_lora_strengths_for_bernini_per_expert(kg):
    rows = kg.sql("""
        SELECT e.at, e.value, e.model_id FROM schedule_entries e JOIN settings s ON s.id = e.setting_id
        WHERE s.tip_id = 'aiacsp-bernini-r2v-lightx2v-high-4-low-2' AND s.parameter_id = 'lora-strength'
        ORDER BY e.at""")
    assert [(r["at"], r["value"], r["model_id"]) for r in rows] == [
        ("high-noise", "4.00", "bernini-high-noise"), ("low-noise", "2.00", "bernini-low-noise")]
    files = {r["file_id"] for r in kg.sql(
        "SELECT file_id FROM tip_files WHERE tip_id = 'aiacsp-bernini-r2v-lightx2v-high-4-low-2'")}
    assert files == {"lightx2v-t2v-14b-cfg-step-distill-v2-lora-rank64-bf16",
                     "lightx2v-i2v-14b-480p-cfg-step-distill-rank64-bf16"}
    # the Bernini experts sit under Bernini, which sits under Wan 2.2
    assert {r["ancestor_id"] for r in kg.sql(
        "SELECT ancestor_id FROM model_ancestors WHERE model_id = 'bernini-low-noise'")} >= {"bernini", "wan-2-2", "wan"}


def test_context_window_advice_disagrees_on_freenoise(kg):
    rows = kg.sql("""
        SELECT s.tip_id, s.value FROM settings s
        WHERE s.parameter_id = 'wan-context-windows-manual-freenoise' ORDER BY s.tip_id""")
    values = {(r["tip_id"], r["value"]) for r in rows}
    assert ("drozbay-wan-context-windows-settings-for-scail-2", "true") in values
    assert ("wanloopdesigner-context-window-settings", "false") in values
    assert kg.sql("""SELECT type FROM relations WHERE tip_id = 'wanloopdesigner-context-window-settings'
                     AND other_tip_id = 'drozbay-freenoise-probably-always-good'""") == [{"type": "contradicts"}]
