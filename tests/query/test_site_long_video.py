"""The long-video batch (svi.md, extensions.md, what-plugs-where/context-windows.md, storymem-holocine.md,
conditioning.md): the questions of issue 19, and the ones the pages raised while curating, each answered by
one query on the built data."""

from __future__ import annotations

import pytest

from hkgraph import KnowledgeGraph


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


# The SVI family tree (family -> version -> variant) with each model's base models.
SVI_VERSIONS = """
SELECT m.id, m.level, m.parent,
  (SELECT group_concat(b.base_model_id) FROM model_base_models b WHERE b.model_id = m.id) AS bases
FROM models m
WHERE m.id = 'svi' OR m.id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'svi')
ORDER BY m.id
"""

# The nodes each SVI model is used with: named by a current tip that names the model, or used by a site
# workflow that loads one of the model's files (restricted to the nodes that build the I2V conditioning).
SVI_NODES = """
SELECT tm.model_id, n.id AS node, 'tip' AS source
FROM tip_models tm JOIN tip_nodes tn ON tn.tip_id = tm.tip_id JOIN nodes n ON n.id = tn.node_id
JOIN current_tips t ON t.id = tm.tip_id
WHERE tm.via IS NULL AND tn.via IS NULL
  AND (tm.model_id = 'svi' OR tm.model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'svi'))
UNION
SELECT f.model, n.id, 'workflow'
FROM files f JOIN workflow_files wf ON wf.file_id = f.id JOIN workflow_nodes wn ON wn.workflow_id = wf.workflow_id
JOIN nodes n ON n.id = wn.node_id
WHERE f.model IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'svi')
  AND (n.class_name LIKE '%SVIPro%' OR n.class_name IN ('WanVideoImageToVideoEncode', 'WanImageToVideo'))
ORDER BY 1, 2, 3
"""


def test_which_svi_versions_exist_and_which_nodes_each_uses(kg):
    versions = {r["id"]: (r["level"], r["parent"], r["bases"]) for r in kg.sql(SVI_VERSIONS)}
    assert versions["svi"] == ("family", None, "wan")
    assert versions["svi-1-0"] == ("version", "svi", "wan-2-1-i2v-14b")
    assert versions["svi-2-0"][:2] == ("version", "svi")
    assert set(versions["svi-2-0"][2].split(",")) == {"wan-2-1-i2v-14b", "wan-2-2-i2v-a14b"}
    assert versions["svi-2-0-pro"] == ("variant", "svi-2-0", "wan-2-2-i2v-a14b")
    assert {k for k, v in versions.items() if v[1] == "svi-1-0"} == {"svi-shot", "svi-film", "svi-talk", "svi-dance"}
    used = {(r["model_id"], r["node"], r["source"]) for r in kg.sql(SVI_NODES)}
    assert {("svi-2-0-pro", "wanvideo-svipro-embeds", "tip"), ("svi-2-0-pro", "wan-image-to-video-svipro", "tip"),
            ("svi-2-0-pro", "wanvideo-svipro-embeds", "workflow"), ("svi-2-0-pro", "wan-image-to-video-svipro", "workflow"),
            ("svi-2-0", "wanvideo-imagetovideo-encode", "workflow"), ("svi-shot", "wanex-i2vcustomembeds", "tip"),
            ("svi-shot", "wanvideo-imagetovideo-encode", "workflow"), ("svi-film", "wan-image-to-video", "tip")} <= used
    # SVI 2.0 Pro is never built with the plain I2V encode in the tips: its own nodes replace it
    assert ("svi-2-0-pro", "wanvideo-imagetovideo-encode", "tip") not in used


# What overlap and stride mean (the tips that explain them) and the values the pages advise, with units:
# the wrapper node counts pixel frames (4 = one latent frame), the native index list counts latent frames.
CONTEXT_SETTINGS = """
SELECT s.tip_id, p.node, p.name, s.advice, s.advised, s.unit, s.model_id
FROM settings s JOIN parameters p ON p.id = s.parameter_id JOIN current_tips t ON t.id = s.tip_id
WHERE p.node IN ('wanvideo-context-options', 'wan-context-windows-manual', 'context-windows-manual')
  AND p.name IN ('context_overlap', 'context_stride', 'cond_retain_index_list')
ORDER BY s.tip_id, p.name, s.advice, s.advised
"""

CONTEXT_EXPLAINED = """
SELECT DISTINCT t.id FROM current_tips t JOIN tip_parameters tp ON tp.tip_id = t.id
JOIN parameters p ON p.id = tp.parameter_id
WHERE t.kind = 'explanation' AND p.name IN ('context_overlap', 'context_length', 'context_frames', 'context_stride')
UNION
SELECT t.id FROM current_tips t JOIN settings s ON s.tip_id = t.id JOIN parameters p ON p.id = s.parameter_id
WHERE t.kind = 'explanation' AND p.name IN ('context_overlap', 'context_stride')
ORDER BY 1
"""


def test_what_context_window_overlap_and_stride_mean_and_their_values(kg):
    rows = kg.sql(CONTEXT_SETTINGS)
    got = {(r["tip_id"], r["node"], r["name"], r["advice"], r["advised"], r["unit"], r["model_id"]) for r in rows}
    assert {
        ("context-overlap-16-usually-48-on-high-noise", "wanvideo-context-options", "context_overlap", "default",
         "16 frames", "frames", None),
        ("context-overlap-16-usually-48-on-high-noise", "wanvideo-context-options", "context_overlap", "use-when",
         "at most 48 frames", "frames", "wan-2-2-high-noise"),
        ("context-stride-10-overlap-48-on-high-noise", "wanvideo-context-options", "context_stride", "use-when",
         "10 frames", "frames", "wan-2-2-high-noise"),
        ("wrapper-context-stride-minimum-4", "wanvideo-context-options", "context_stride", "prefer", "4 frames",
         "frames", None),
        ("context-stride-normally-1", "wan-context-windows-manual", "context_stride", "default", "1", None, None),
        ("cond-retain-index-list-counts-latent-frames", "context-windows-manual", "cond_retain_index_list",
         "use-when", "0 to 16 latent frames", "latent frames", None),
    } <= got
    explained = {r["id"] for r in kg.sql(CONTEXT_EXPLAINED)}
    assert {"context-windows-sampling-explained", "context-options-pixel-frames-4-means-disabled",
            "stride-useless-with-wan-overlap-smooths"} <= explained
    # the units are the node's own: the wrapper's minimum stride and overlap are 4 pixel frames (one latent)
    wrapper = {r["name"]: (r["min"], r["default"]) for r in kg.sql(
        "SELECT name, min, \"default\" FROM parameters WHERE node = 'wanvideo-context-options' "
        "AND name IN ('context_stride', 'context_overlap', 'context_frames')")}
    assert wrapper == {"context_stride": (4.0, "4"), "context_overlap": (4.0, "16"), "context_frames": (2.0, "81")}


I2V_LAYOUT = """
SELECT DISTINCT t.id, t.kind FROM current_tips t JOIN tip_concepts tc ON tc.tip_id = t.id
WHERE tc.concept_id = 'i2v-channel-layout' AND tc.via IS NULL
ORDER BY t.id
"""


def test_how_i2v_latents_are_laid_out_and_why_4n_plus_1_frames(kg):
    layout = {r["id"]: r["kind"] for r in kg.sql(I2V_LAYOUT)}
    assert layout["wan-i2v-36-channels-mask-and-conditioning"] == "explanation"
    assert {"svi-2-0-wan-2-1-input-channel-layout", "i2v-conditioning-channels-start-image-black-mask",
            "clip-vision-goes-to-separate-layers"} <= set(layout)
    channels = kg.sql("SELECT summary FROM tips WHERE id = 'wan-i2v-36-channels-mask-and-conditioning'")[0]["summary"]
    assert "17-20" in channels and "21-36" in channels
    frames = kg.sql("SELECT tip_id, kind, advice, \"values\", unit, model_id FROM settings s "
                    "JOIN tips t ON t.id = s.tip_id WHERE s.parameter_id = 'frame-count' "
                    "AND s.tip_id = 'wan-frame-count-4n-plus-1'")
    assert [(r["kind"], r["advice"], r["values"], r["unit"], r["model_id"]) for r in frames] == [
        ("explanation", "prefer", '["77", "81"]', "frames", "wan")]
    # why: the first frame has a latent of its own, every later latent holds 4 frames (and 8x/4x compression)
    assert kg.sql("SELECT other_tip_id FROM relations WHERE tip_id = 'wan-frame-count-4n-plus-1'") == [
        {"other_tip_id": "wan-latent-compression-8x-spatial-4x-temporal"}]


BURNOUT_REMEDIES = """
SELECT DISTINCT t.id, t.kind FROM current_tips t
JOIN tip_concepts tc ON tc.tip_id = t.id JOIN tip_goals g ON g.tip_id = t.id
WHERE tc.concept_id IN ('burnout', 'color-matching', 'video-degradation') AND tc.via IS NULL
  AND g.goal = 'better-quality' AND t.kind IN ('troubleshooting', 'technique', 'comparison')
ORDER BY t.id
"""


def test_how_to_avoid_colour_drift_and_burn_out_when_extending(kg):
    remedies = {r["id"]: r["kind"] for r in kg.sql(BURNOUT_REMEDIES)}
    assert remedies["color-matching-tested-with-svi-pro-extensions"] == "troubleshooting"
    assert remedies["color-matching-hides-drift-after-svi-pro-extensions"] == "troubleshooting"
    assert {"color-match-every-frame-to-one-reference", "svi-film-against-burnout-choose-likeness-or-burnout",
            "clip-vision-embeds-may-counter-degradation", "svi-pro-less-degradation-in-i2v"} <= set(remedies)
    # the colour-matching node the pages name for video, and the native one that replaces it on pixels
    nodes = {r["class_name"] for r in kg.sql(
        "SELECT n.class_name FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id "
        "WHERE tn.via IS NULL AND tn.tip_id IN ('color-match-every-frame-to-one-reference', "
        "'native-colortransfer-node-announced')")}
    assert nodes == {"ColorMatch", "ColorTransfer"}


EXTENSION_OVERLAP = """
SELECT s.model_id, s.advice, s.advised FROM settings s JOIN current_tips t ON t.id = s.tip_id
WHERE s.parameter_id = 'extension-overlap' AND s.model_id IS NOT NULL
ORDER BY s.model_id, s.advice, s.advised
"""


def test_how_many_handover_frames_each_extension_method_takes(kg):
    """Own question: how many frames of the previous clip does each extension method start from?"""
    got = {(r["model_id"], r["advice"], r["advised"]) for r in kg.sql(EXTENSION_OVERLAP)}
    assert {("svi-film", "use-when", "5 frames"), ("svi-shot", "use-when", "1 frames"),
            ("svi-2-0-pro", "default", "5 frames"), ("svi-2-0", "use-when", "at most 3 frames"),
            ("vace", "use-when", "16 frames"), ("storymem-mi2v", "use-when", "1 frames"),
            ("storymem-mm2v", "use-when", "5 frames")} <= got
    # the pages disagree on SVI 2.0 for Wan 2.2: one motion frame by design, three in practice
    assert kg.sql("SELECT type FROM relations WHERE tip_id = 'drozbay-svi-2-0-three-motion-frames' "
                  "AND other_tip_id = 'svi-2-0-wan-2-2-is-svi-shot-one-motion-frame'") == [{"type": "contradicts"}]


SVI_FILES = """
SELECT f.name, f.model, f.precision, f.repack_by, r.path AS hosted_in,
  (SELECT count(*) FROM workflow_files wf WHERE wf.file_id = f.id) AS workflows
FROM files f LEFT JOIN repos r ON r.id = f.repo
WHERE f.model IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'svi')
ORDER BY f.name
"""


def test_which_svi_files_the_site_workflows_load_and_where_they_come_from(kg):
    """Own question: which SVI LoRA files do the example workflows load, and who published them?"""
    files = {r["name"]: r for r in kg.sql(SVI_FILES)}
    kijai = files["SVI_v2_PRO_Wan2.2-I2V-A14B_HIGH_lora_rank_128_fp16.safetensors"]
    assert (kijai["model"], kijai["precision"], kijai["repack_by"], kijai["hosted_in"]) == (
        "svi-2-0-pro", "fp16", "kijai", "Kijai/WanVideo_comfy")
    assert kijai["workflows"] == 5
    original = files["SVI_Wan2.2-I2V-A14B_high_noise_lora_v2.0_pro.safetensors"]
    assert (original["model"], original["hosted_in"], original["workflows"]) == (
        "svi-2-0-pro", "vita-video-gen/svi-model", 1)
    assert files["SVI_Wan2.2-I2V-A14B_high_noise_lora_v2.0.safetensors"]["model"] == "svi-2-0"
    assert files["svi_shot_lora_fp32.safetensors"]["precision"] == "fp32"


PADDING = """
SELECT s.tip_id, s.advice, s.value, s.model_id FROM settings s JOIN current_tips t ON t.id = s.tip_id
WHERE s.parameter_id = 'padding-value'
ORDER BY s.tip_id, s.advice, s.value
"""


def test_what_empty_conditioning_frames_are_filled_with(kg):
    """Own question: what value do the pages give to masked-out (empty) conditioning frames?"""
    got = {(r["tip_id"], r["advice"], r["value"], r["model_id"]) for r in kg.sql(PADDING)}
    assert {("svi-padding-grey-0-5-works-best", "prefer", "0.5", None),
            ("zero-padding-in-code-is-0-5-in-comfy", "use-when", "0.5", None),
            ("vace-extension-last-frames-as-initial-frames", "required", "(127, 127, 127)", "vace"),
            ("bindweave-four-extra-reference-latents", "required", "0", "bindweave"),
            ("i2v-conditioning-over-noise-gray-not-zero", "avoid", "0", None),
            ("svi-shot-pads-with-input-image-mask-zero", "use-when", "input image", "svi-shot")} <= got


def test_which_example_workflows_use_context_windows_and_which_node(kg):
    """Own question: which of the site's workflows use context windows, through the wrapper or the native node?"""
    rows = kg.sql("SELECT wn.workflow_id, n.class_name FROM workflow_nodes wn JOIN nodes n ON n.id = wn.node_id "
                  "WHERE n.class_name IN ('WanVideoContextOptions', 'WanContextWindowsManual', 'ContextWindowsManual') "
                  "ORDER BY 1, 2")
    pairs = {(r["workflow_id"], r["class_name"]) for r in rows}
    assert ("svi-dawn-wan2-2-longflf-svi2-pro-dawnii", "WanVideoContextOptions") in pairs
    assert ("scail-kj-wan21scail2-contextwin-v1", "WanContextWindowsManual") in pairs
    assert ("droz-wananimate-contextwindows-native-v1-1", "ContextWindowsManual") in pairs
    # the native Wan node is the one the context-windows page names as "WAN Context Windows (Manual)"
    node = kg.sql("SELECT name, aliases, repo FROM nodes WHERE class_name = 'WanContextWindowsManual'")[0]
    assert node["repo"] == "comfyui" and "WAN Context Windows (Manual)" in node["aliases"]


def test_where_the_pages_disagree_about_long_video_tools(kg):
    """Own question: which statements of these pages are disputed, and what do they contradict?"""
    disputed = {r["id"] for r in kg.sql(
        "SELECT id FROM current_tips WHERE certainty = 'disputed' AND page IN "
        "('svi.md', 'extensions.md', 'what-plugs-where/context-windows.md', 'storymem-holocine.md', 'conditioning.md')")}
    assert disputed == {"svi-film-placebo-claim-disputed", "svi-pro-lightx2v-1030-gray-video-use-1022",
                        "svi-pro-lightx2v-1030-works-for-others"}
    assert kg.sql("SELECT other_tip_id FROM relations WHERE tip_id = 'svi-pro-lightx2v-1030-gray-video-use-1022' "
                  "AND type = 'contradicts'") == [{"other_tip_id": "svi-pro-lightx2v-1030-works-for-others"}]
