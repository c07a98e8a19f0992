"""The LTX 2.3 batch (ltx23.md up to "Basics", ltx23-hints.md, ltx23-news.md): the questions of issue 16,
and the ones the pages raised while curating, each answered by one query on the built data."""

from __future__ import annotations

import pytest

from hkgraph import KnowledgeGraph


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


# Files of Gemma 3 12B (and the models derived from it), where they are hosted, and the text-encoder loaders
# of the site's workflows that load them. The contract links a workflow to its files and nodes but not a
# file to the node that loads it, so "loaders" are the text-encoder loaders of the same workflows.
GEMMA_FILES = """
SELECT f.name, f.precision, m.id AS model, r.path AS hosted_in,
  (SELECT group_concat(DISTINCT n.class_name) FROM workflow_files wf
     JOIN workflow_nodes wn ON wn.workflow_id = wf.workflow_id JOIN nodes n ON n.id = wn.node_id
   WHERE wf.file_id = f.id
     AND n.id IN (SELECT node FROM parameters WHERE name LIKE 'clip_name%' OR name = 'text_encoder')) AS loaders
FROM files f JOIN models m ON m.id = f.model LEFT JOIN repos r ON r.id = f.repo
WHERE f.model = 'gemma-3-12b' OR f.model IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'gemma-3-12b')
ORDER BY f.name
"""


def test_which_gemma_files_ltx_2_3_needs_and_where_they_go(kg):
    rows = {r["name"]: r for r in kg.sql(GEMMA_FILES)}
    assert {"gemma_3_12B_it.safetensors", "gemma_3_12B_it_fp4_mixed.safetensors",
            "gemma_3_12B_it_fp8_scaled.safetensors", "gemma-3-12b-it-Q2_K.gguf"} <= set(rows)
    assert rows["gemma_3_12B_it_fp4_mixed.safetensors"]["precision"] == "fp4_mixed"
    assert rows["gemma_3_12B_it_fp8_scaled.safetensors"]["hosted_in"] == "Comfy-Org/ltx-2"
    assert "DualCLIPLoader" in rows["gemma_3_12B_it_fp8_scaled.safetensors"]["loaders"].split(",")
    assert "LTXAVTextEncoderLoader" in rows["gemma_3_12B_it.safetensors"]["loaders"].split(",")
    assert rows["gemma-3-12b-it-abliterated_lora_rank64_bf16.safetensors"]["model"] == "gemma-3-12b-abliterated-lora"
    # the second file DualCLIPLoader takes next to Gemma, and the tip that names the encoder
    projection = kg.sql("SELECT name, description FROM files WHERE model = 'ltx-2-3-text-projection'")
    assert projection[0]["name"] == "ltx-2.3_text_projection_bf16.safetensors"
    assert "text_encoders" in projection[0]["description"]
    encoder_tips = kg.sql(
        "SELECT tip_id FROM tip_models WHERE model_id = 'gemma-3-12b' AND via IS NULL AND tip_id IN "
        "(SELECT tip_id FROM tip_models WHERE model_id = 'ltx-2-3') ORDER BY tip_id")
    assert [r["tip_id"] for r in encoder_tips] == ["ltx-2-3-text-encoder-is-gemma-3-12b"]


# Tips that weigh guides against in-place conditioning: they link the guide concept or a guide node AND the
# in-place concept or an in-place node.
GUIDE_VS_INPLACE = """
WITH guide AS (
  SELECT tip_id FROM tip_concepts WHERE concept_id = 'guide-latents' AND via IS NULL
  UNION SELECT tn.tip_id FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id
        WHERE tn.via IS NULL AND n.class_name LIKE '%Guide%' AND n.class_name NOT LIKE '%CropGuides%'),
inplace AS (
  SELECT tip_id FROM tip_concepts WHERE concept_id = 'in-place-conditioning' AND via IS NULL
  UNION SELECT tn.tip_id FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id
        WHERE tn.via IS NULL AND n.class_name LIKE '%Inplace%')
SELECT t.id, t.kind FROM current_tips t
WHERE t.id IN guide AND t.id IN inplace AND t.kind IN ('comparison', 'technique')
ORDER BY t.id
"""

GUIDE_AND_INPLACE_NODES = """
SELECT DISTINCT CASE WHEN n.class_name LIKE '%Inplace%' THEN 'in-place' ELSE 'guide' END AS approach,
       n.class_name, r.name AS pack
FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id JOIN repos r ON r.id = n.repo
JOIN current_tips t ON t.id = tn.tip_id
WHERE tn.via IS NULL AND t.page = 'ltx23.md'
  AND (n.class_name LIKE '%Inplace%' OR (n.class_name LIKE '%Guide%' AND n.class_name NOT LIKE '%CropGuides%'))
ORDER BY 1, 2
"""


def test_when_a_guide_beats_in_place_conditioning_and_which_nodes_do_each(kg):
    tips = [r["id"] for r in kg.sql(GUIDE_VS_INPLACE)]
    assert {"runex-guider-over-inplace-for-fflf", "runex-inplace-brutal-color-shift-guider-forgiving",
            "zueuk-guides-never-exact-inplace-for-extending",
            "inplace-kj-for-first-last-guides-for-middle-frames"} <= set(tips)
    nodes = {(r["approach"], r["class_name"]) for r in kg.sql(GUIDE_AND_INPLACE_NODES)}
    assert {("guide", "LTXVAddGuide"), ("guide", "LTXVAddLatentGuide"), ("guide", "LTXAddVideoICLoRAGuide"),
            ("in-place", "LTXVImgToVideoInplace"), ("in-place", "LTXVImgToVideoInplaceKJ")} <= nodes


IC_LORAS = """
SELECT m.id, m.purpose, r.path AS repo FROM models m LEFT JOIN repos r ON r.id = m.repo
WHERE m.role = 'lora' AND (m.name LIKE '%IC-LoRA%' OR m.name LIKE '%IC_LoRA%' OR m.name LIKE '%IC LoRA%'
                           OR m.name LIKE '%IC-lora%')
  AND m.id IN (SELECT model_id FROM model_base_models WHERE base_model_id IN ('ltx-2-3', 'ltx-2'))
ORDER BY m.id
"""

IC_LORA_STRENGTHS = """
SELECT s.tip_id, s.model_id, s.parameter_id, s.advised, s.condition
FROM settings s LEFT JOIN models m ON m.id = s.model_id
WHERE (s.parameter_id = 'lora-strength' AND m.name LIKE '%IC-LoRA%')
   OR s.parameter_id = 'ltx-add-video-ic-lora-guide-strength'
ORDER BY s.id
"""


def test_which_ic_loras_exist_for_ltx_2_3_and_at_what_strength(kg):
    loras = {r["id"]: r for r in kg.sql(IC_LORAS)}
    assert {"ltx-2-3-22b-ic-lora-union-control", "ltx-2-3-22b-ic-lora-motion-track-control",
            "ltx-2-3-22b-ic-lora-hdr", "ltx-2-3-22b-ic-lora-lipdub", "ltx-2-3-22b-ic-lora-in-outpainting",
            "ltx-2-3-22b-ic-lora-ingredients", "ltx-2-3-22b-ic-lora-water-simulation",
            "ltx-2-19b-ic-lora-detailer", "ltx2-3-22b-ic-lora-cameraman-v1"} <= set(loras)
    assert loras["ltx-2-3-22b-ic-lora-union-control"]["purpose"] == "control"
    assert loras["ltx-2-3-22b-ic-lora-hdr"]["repo"] == "Lightricks/LTX-2.3-22b-IC-LoRA-HDR"
    rows = kg.sql(IC_LORA_STRENGTHS)
    by_lora = {(r["model_id"], r["advised"]) for r in rows if r["model_id"]}
    assert ("ltx-2-3-22b-ic-lora-hdr", "1.5") in by_lora
    assert ("ltx-2-3-22b-ic-lora-ingredients", "at most 1.4") in by_lora
    guide = {(r["advised"], r["condition"]) for r in rows if r["tip_id"] == "ic-guide-strength-depth-canny-pose"}
    assert {("0.1 to 0.4", "depth guide"), ("0.2 to 0.6", "canny guide"), ("0.5 to 1", "pose guide")} <= guide


PROMPT_AVOID = """
SELECT s.tip_id, s.parameter_id, s.value FROM settings s JOIN current_tips t ON t.id = s.tip_id
WHERE s.parameter_id IN ('prompt', 'negative-prompt') AND s.advice = 'avoid'
  AND (t.page LIKE 'ltx%' OR t.id IN (SELECT tip_id FROM tip_models WHERE model_id = 'ltx'
       OR model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'ltx')))
ORDER BY s.tip_id
"""


def test_what_the_pages_advise_against_putting_in_an_ltx_prompt(kg):
    assert [(r["tip_id"], r["value"]) for r in kg.sql(PROMPT_AVOID)] == [
        ("drop-adverbs-from-llm-prompter", "adverbs"),
        ("no-quotes-around-dialogue-avoids-subtitles", "quotes around dialogue"),
    ]
    # and what goes into the negative prompt instead of the positive one to keep music out
    negative = kg.sql("SELECT tip_id, value FROM settings WHERE parameter_id = 'negative-prompt' AND advice = 'prefer'")
    assert {(r["tip_id"], r["value"]) for r in negative} >= {("raw-foley-positive-music-negative", "music, cinematic riser")}


LTX_FILES = """
SELECT f.name, f.precision, f.model, f.repack_by, r.path AS hosted_in FROM files f LEFT JOIN repos r ON r.id = f.repo
WHERE f.model IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'ltx-2-3')
ORDER BY f.model, f.name
"""


def test_ltx_2_3_files_by_precision_repacker_and_host(kg):
    """Own question: which LTX 2.3 files exist, in which precision, repacked by whom, hosted where?"""
    files = {r["name"]: r for r in kg.sql(LTX_FILES)}
    kijai = files["ltx-2.3-22b-distilled-1.1_lora-dynamic_fro09_avg_rank_111_bf16.safetensors"]
    assert (kijai["model"], kijai["precision"], kijai["repack_by"], kijai["hosted_in"]) == (
        "ltx-2-3-22b-distilled-lora", "bf16", "kijai", "Kijai/LTX2.3_comfy")
    assert files["ltx-2.3-22b-dev-nvfp4.safetensors"]["precision"] == "nvfp4"
    assert files["ltx-2.3-22b-dev-nvfp4.safetensors"]["model"] == "ltx-2-3-22b-dev"
    assert files["LTX-2.3-22B-distilled-1.1-Q6_K.gguf"]["model"] == "ltx-2-3-22b-distilled"
    assert files["ltx-2.3-spatial-upscaler-x2-1.1.safetensors"]["hosted_in"] == "Lightricks/LTX-2.3"
    # the variants sit in the family: LTX -> LTX 2.3 -> 22B dev / 22B distilled
    levels = {r["id"]: (r["level"], r["parent"]) for r in kg.sql(
        "SELECT id, level, parent FROM models WHERE id IN ('ltx-2-3', 'ltx-2-3-22b-dev', 'ltx-2-3-22b-distilled')")}
    assert levels == {"ltx-2-3": ("version", "ltx"), "ltx-2-3-22b-dev": ("variant", "ltx-2-3"),
                      "ltx-2-3-22b-distilled": ("variant", "ltx-2-3")}


DISTILL_LORA_STRENGTH = """
SELECT s.tip_id, s.advised FROM settings s
WHERE s.model_id = 'ltx-2-3-22b-distilled-lora' AND s.parameter_id = 'lora-strength'
ORDER BY s.tip_id
"""


def test_what_strength_the_distilled_lora_is_run_at(kg):
    """Own question: at what strength do people run the distilled LoRA?"""
    assert [(r["tip_id"], r["advised"]) for r in kg.sql(DISTILL_LORA_STRENGTH)] == [
        ("dev-plus-distilled-1-1-lora-most-advised", "at most 1"),
        ("garbus-three-pass-er-sde-distill-0-6", "per pass: 2: 0.6; 3: 0.6"),
        ("nathan-shipley-hdr-ic-lora-settings", "0.6"),
        ("split-sigmas-cfg-2-first-steps-with-distill-lora", "0.5"),
    ]


def test_latent_guide_index_advice_disagrees(kg):
    """Own question: which latent guide index do people recommend, and do they agree?"""
    rows = kg.sql("SELECT tip_id, advice, advised FROM settings WHERE parameter_id = 'ltxv-add-latent-guide-latent-idx' "
                  "ORDER BY tip_id, advice")
    assert [(r["tip_id"], r["advice"], r["advised"]) for r in rows] == [
        ("ashmotv-latent-guide-index-minus-1-to-minus-8", "avoid", "0"),
        ("ashmotv-latent-guide-index-minus-1-to-minus-8", "prefer", "-8 to -1"),
        ("n0nsens-latent-guide-index-minus-8-fixes-garbage", "avoid", "-1"),
        ("n0nsens-latent-guide-index-minus-8-fixes-garbage", "prefer", "-8"),
    ]
    assert kg.sql("SELECT other_tip_id FROM relations WHERE tip_id = 'n0nsens-latent-guide-index-minus-8-fixes-garbage' "
                  "AND type = 'contradicts'") == [{"other_tip_id": "ashmotv-latent-guide-index-minus-1-to-minus-8"}]


def test_which_site_workflows_load_a_distilled_lora_file(kg):
    """Own question: which of the site's workflows load the distilled LoRA, and which release of it?"""
    rows = kg.sql("SELECT wf.workflow_id, f.name FROM workflow_files wf JOIN files f ON f.id = wf.file_id "
                  "WHERE f.model = 'ltx-2-3-22b-distilled-lora' ORDER BY 1, 2")
    pairs = {(r["workflow_id"], r["name"]) for r in rows}
    assert ("ltx-ns-ltx-2-3-iclora-hdr-distilled-simple-ns-01", "ltx-2.3-22b-distilled-lora-384-1.1.safetensors") in pairs
    assert ("ltx-garbus-ltx-23-t2v-3pass",
            "ltx-2.3-22b-distilled-lora-dynamic_fro09_avg_rank_105_bf16.safetensors") in pairs
    assert ("ltx-official-video-ltx2-3-i2v", "ltx-2.3-22b-distilled-lora-384.safetensors") in pairs


def test_news_that_replaced_earlier_lines(kg):
    """Own question: is the context-windows PR for LTX merged, and is the guide-strength VRAM bug still open?"""
    rows = kg.sql("SELECT id, status, superseded_by FROM tips WHERE id IN "
                  "('context-windows-pr-for-v2v-unmerged', 'guide-strength-not-1-grows-vram-bug') ORDER BY id")
    assert [(r["id"], r["status"], r["superseded_by"]) for r in rows] == [
        ("context-windows-pr-for-v2v-unmerged", "superseded", "comfyui-context-windows-for-ltx2-merged"),
        ("guide-strength-not-1-grows-vram-bug", "superseded", "guide-vram-bug-fixed-with-sage-improvements"),
    ]
