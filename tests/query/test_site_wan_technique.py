"""The Wan I2V/T2V technique batch (issue 18: wan-i2v-advanced, wan-t2v-advanced, wan-wiring, wan-motion, wan-move,
control, masking, longvie, what-plugs-where/uni3c, wan-news, tricks, trusty): the issue's questions and the ones the
pages raised while curating, each answered by one query on the built data."""

from __future__ import annotations

import pytest

from hkgraph import KnowledgeGraph

BATCH_PAGES = ("wan-i2v-advanced.md", "wan-t2v-advanced.md", "wan-wiring.md", "wan-motion.md", "wan-move.md",
               "control.md", "masking.md", "longvie.md", "what-plugs-where/uni3c.md", "wan-news.md", "tricks.md",
               "trusty.md")


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


# How is VACE wired in native ComfyUI versus the wrapper, node by node? The wiring page's VACE techniques, each with
# the nodes it names (split by pack: WanVideoWrapper is "wrapper", core and KJNodes are "native") and the inputs.
VACE_WIRING = """
SELECT CASE WHEN n.repo = 'comfyui-wanvideowrapper' THEN 'wrapper' ELSE 'native' END AS side,
       t.id AS tip, group_concat(n.class_name, ' + ') AS nodes,
       (SELECT group_concat(p.name, ', ') FROM tip_parameters tp JOIN parameters p ON p.id = tp.parameter_id
        WHERE tp.tip_id = t.id AND tp.via IS NULL) AS inputs
FROM current_tips t JOIN tip_nodes tn ON tn.tip_id = t.id AND tn.via IS NULL JOIN nodes n ON n.id = tn.node_id
WHERE t.page = 'wan-wiring.md' AND t.kind = 'technique'
  AND t.id IN (SELECT tip_id FROM tip_models WHERE via IS NULL AND model_id IN ('vace', 'vace-2-1', 'wan-2-2-fun-vace'))
  AND n.repo IN ('comfyui', 'comfyui-kjnodes', 'comfyui-wanvideowrapper')
GROUP BY side, t.id ORDER BY side, t.id
"""


def _split(text):
    return set(text.split(" + ")) if text else set()


def test_how_vace_is_wired_in_native_and_in_the_wrapper(kg):
    rows = {(r["side"], r["tip"]): r for r in kg.sql(VACE_WIRING)}
    # loading the model and the VACE module
    native_load = rows[("native", "native-vace-model-loading-with-kjnodes")]
    assert _split(native_load["nodes"]) == {"DiffusionModelSelector", "DiffusionModelLoaderKJ", "LoraLoaderModelOnly"}
    assert native_load["inputs"] == "extra_state_dict"
    wrapper_load = rows[("wrapper", "wrapper-vace-model-loading-nodes")]
    assert _split(wrapper_load["nodes"]) == {"WanVideoVACEModelSelect", "WanVideoLoraSelectMulti", "WanVideoModelLoader"}
    assert set(wrapper_load["inputs"].split(", ")) == {"extra_model", "lora"}
    # the embeds node and its inputs
    native_embeds = rows[("native", "wanvacetovideo-native-vace-embeds-inputs")]
    assert _split(native_embeds["nodes"]) == {"WanVaceToVideo", "TrimVideoLatent"}
    assert set(native_embeds["inputs"].split(", ")) == {"control_video", "control_masks", "reference_image"}
    wrapper_embeds = rows[("wrapper", "wanvideo-vace-encode-wrapper-vace-embeds")]
    assert _split(wrapper_embeds["nodes"]) == {"WanVideoVACEEncode", "WanVideoSampler"}
    assert set(wrapper_embeds["inputs"].split(", ")) == {"input_frames", "input_masks", "ref_images", "image_embeds"}
    # several control videos: chain the embeds node on either side
    assert rows[("native", "chain-vace-embeds-nodes-for-several-control-videos")]["nodes"] == "WanVaceToVideo"
    assert rows[("wrapper", "chain-vace-embeds-nodes-for-several-control-videos")]["nodes"] == "WanVideoVACEEncode"
    # the page spells the loader's VACE input "vace_input": search finds the real input under that name
    assert kg.sql("SELECT id FROM parameters WHERE aliases LIKE '%vace_input%'") == [
        {"id": "wanvideo-model-loader-extra-model"}]
    # vace_end_percent: only the wrapper exposes it
    end = kg.sql("SELECT s.direction, p.node FROM settings s JOIN parameters p ON p.id = s.parameter_id "
                 "WHERE s.tip_id = 'vace-end-percent-below-1-frees-final-steps'")
    assert end == [{"direction": "lower", "node": "wanvideo-vace-encode"}]


# Latent noise mask or model mask: which does what, and which nodes set them?
LATENT_MASK_NODES = """
SELECT DISTINCT t.id AS tip, n.name AS node FROM tip_concepts tc JOIN current_tips t ON t.id = tc.tip_id
JOIN tip_nodes tn ON tn.tip_id = t.id AND tn.via IS NULL JOIN nodes n ON n.id = tn.node_id
WHERE tc.via IS NULL AND tc.concept_id = 'latent-mask' AND t.page = 'masking.md'
ORDER BY 1, 2
"""

MODEL_MASK_INPUTS = """
SELECT DISTINCT n.class_name AS node, p.name AS mask_input
FROM tip_parameters tp JOIN parameters p ON p.id = tp.parameter_id AND p.type = 'MASK' JOIN nodes n ON n.id = p.node
WHERE tp.via IS NULL
  AND (tp.tip_id IN (SELECT tip_id FROM tip_concepts WHERE concept_id = 'model-mask' AND via IS NULL)
       OR tp.tip_id IN (SELECT tip_id FROM tip_models WHERE via IS NULL AND model_id IN ('vace', 'vace-2-1', 'wan-2-2-fun-vace')))
ORDER BY 1, 2
"""


def test_latent_mask_versus_model_mask_and_the_nodes_that_set_them(kg):
    concepts = {r["id"]: r for r in kg.sql(
        "SELECT id, description FROM concepts WHERE id IN ('latent-mask', 'model-mask')")}
    assert "sampler" in concepts["latent-mask"]["description"] and "never sees" in concepts["latent-mask"]["description"]
    assert "conditioning" in concepts["model-mask"]["description"]
    assert {r["broader_id"] for r in kg.sql(
        "SELECT broader_id FROM concept_broader WHERE concept_id IN ('latent-mask', 'model-mask')")} == {"mask"}
    latent = {(r["tip"], r["node"]) for r in kg.sql(LATENT_MASK_NODES)}
    setters = {n for t, n in latent if t == "latent-noise-mask-set-latent-noise-mask-or-wanvideo-encode"}
    assert setters == {"Set Latent Noise Mask", "WanVideo Encode"}
    assert {n for t, n in latent if t == "latent-masks-used-by-samplers-not-seen-by-model"} == {"KSampler", "WanVideo Sampler"}
    assert {n for t, n in latent if t == "native-differential-diffusion-node-or-kjnodes-advanced"} == {
        "Differential Diffusion", "Differential Diffusion Advanced"}
    assert ("trilinear-latent-mask-merge-fails-fast-motion-wanex-masktolatentspace", "WanEx MaskToLatentSpace") in latent
    model = {(r["node"], r["mask_input"]) for r in kg.sql(MODEL_MASK_INPUTS)}
    assert model == {("WanVideoImageToVideoEncode", "temporal_mask"), ("WanVaceToVideo", "control_masks"),
                     ("WanVideoVACEEncode", "input_masks")}


# Which nodes scale RoPE for more motion, and with which values?
ROPE_SETTINGS = """
WITH rope_nodes AS (
  SELECT DISTINCT tn.node_id FROM tip_nodes tn JOIN tip_concepts tc ON tc.tip_id = tn.tip_id
  JOIN nodes n ON n.id = tn.node_id
  WHERE tn.via IS NULL AND tc.via IS NULL AND tc.concept_id IN ('rope', 'rope-scaling', 'riflex', 'ultravico')
    AND (n.class_name LIKE '%rope%' OR n.class_name LIKE '%MotionScale%' OR n.class_name LIKE '%UltraVico%'))
SELECT n.class_name AS node, p.name AS parameter, s.advice, s.advised, s.tip_id
FROM settings s JOIN parameters p ON p.id = s.parameter_id LEFT JOIN nodes n ON n.id = p.node
WHERE p.node IN (SELECT node_id FROM rope_nodes) OR p.node = 'wanvideo-ultravico-settings'
   OR s.parameter_id LIKE 'ultravico-%'
   OR (s.parameter_id = 'wanvideo-model-loader-attention-mode' AND s.advised LIKE '%ultravico%' AND s.advice <> 'avoid')
ORDER BY s.tip_id, p.name
"""


def test_which_nodes_scale_rope_and_with_which_values(kg):
    nodes = {r["class_name"] for r in kg.sql(
        "SELECT DISTINCT n.class_name FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id "
        "WHERE tn.tip_id = 'scale-rope-native-equals-wanmotionscale' AND tn.via IS NULL")}
    assert nodes == {"ScaleROPE", "WanMotionScale"}
    rows = {(r["node"], r["parameter"], r["advice"], r["advised"], r["tip_id"]) for r in kg.sql(ROPE_SETTINGS)}
    assert {("ScaleROPE", "shift_t", "default", "0.0", "rope-shift-parameters-not-useful"),
            ("WanVideoRoPEFunction", "ntk_scale_h", "use-when", "20.0, 25.0", "cinescale-lora-rope-scaling-settings"),
            ("WanVideoRoPEFunction", "ntk_scale_f", "default", "1.0", "wanvideo-rope-function-ntk-scale-defaults"),
            ("WanVideoModelLoader", "attention_mode", "use-when", "sageattn_ultravico",
             "sageattn-ultravico-attention-mode-needs-sageattention"),
            ("WanVideoUltraVicoSettings", "alpha", "use-when", "0.91", "ultravico-meant-for-t2v-i2v-needs-high-alpha"),
            (None, "UltraVico alpha", "avoid", "0.95", "ultravico-alternative-alpha-beta-gamma-values")} <= rows
    # the warning that goes with all of it
    warning = kg.sql("SELECT kind FROM current_tips WHERE id = 'rope-scaling-often-ruins-motion'")
    assert warning == [{"kind": "warning"}]
    assert {r["other_tip_id"] for r in kg.sql(
        "SELECT other_tip_id FROM relations WHERE tip_id = 'ultravico-longer-wan-videos-without-looping'")} >= {
        "rope-scaling-often-ruins-motion"}


# Which control models work with Wan 2.2, and which need I2V? "Works with 2.2": a variant of Wan 2.2, made for a
# Wan 2.2 model, or named together with a Wan 2.2 model in a tip that is not a mere explanation. "Needs I2V": made
# for an I2V model.
CONTROL_MODELS = """
WITH w22(id) AS (SELECT 'wan-2-2' UNION SELECT a.model_id FROM model_ancestors a JOIN models x ON x.id = a.model_id
                 WHERE a.ancestor_id = 'wan-2-2' AND x.level IS NOT NULL),
i2v(id) AS (SELECT 'wan-2-1-i2v-14b' UNION SELECT 'wan-2-2-i2v-a14b'
            UNION SELECT model_id FROM model_ancestors WHERE ancestor_id IN ('wan-2-1-i2v-14b', 'wan-2-2-i2v-a14b')),
base(id) AS (VALUES ('wan'), ('wan-2-1'), ('wan-2-2'), ('wan-2-2-high-noise'), ('wan-2-2-low-noise'),
                    ('wan-2-1-i2v-14b'), ('wan-2-2-i2v-a14b'), ('wan-2-2-t2v-14b')),
control(id) AS (
  SELECT tm.model_id FROM tip_models tm JOIN current_tips t ON t.id = tm.tip_id
  WHERE tm.via IS NULL AND t.page IN ('control.md', 'longvie.md', 'what-plugs-where/uni3c.md', 'wan-move.md')
    AND tm.model_id NOT IN (SELECT id FROM base)
  UNION SELECT id FROM models WHERE id IN ('vace', 'vace-2-1', 'wan-2-2-fun-vace', 'ffgo')),
with_wan22(model_id, tip_id) AS (
  SELECT a.model_id, a.tip_id FROM tip_models a JOIN tip_models b ON b.tip_id = a.tip_id
  JOIN current_tips t ON t.id = a.tip_id
  WHERE a.via IS NULL AND b.via IS NULL AND b.model_id IN (SELECT id FROM w22) AND t.kind <> 'explanation')
SELECT m.id,
  CASE WHEN m.id IN (SELECT id FROM w22) THEN 'variant of Wan 2.2'
       WHEN EXISTS (SELECT 1 FROM model_base_models b WHERE b.model_id = m.id AND b.base_model_id IN (SELECT id FROM w22))
         THEN 'made for ' || (SELECT group_concat(b.base_model_id) FROM model_base_models b
                              WHERE b.model_id = m.id AND b.base_model_id IN (SELECT id FROM w22))
       ELSE (SELECT group_concat(tip_id) FROM (SELECT DISTINCT tip_id FROM with_wan22 WHERE model_id = m.id ORDER BY tip_id))
  END AS wan_2_2,
  (SELECT group_concat(b.base_model_id) FROM model_base_models b
   WHERE b.model_id = m.id AND b.base_model_id IN (SELECT id FROM i2v)) AS needs_i2v
FROM models m WHERE m.id IN (SELECT id FROM control) ORDER BY m.id
"""


def test_which_control_models_work_with_wan_2_2_and_which_need_i2v(kg):
    rows = {r["id"]: (r["wan_2_2"], r["needs_i2v"]) for r in kg.sql(CONTROL_MODELS)}
    assert rows["wan-2-2-fun-control"] == ("variant of Wan 2.2", None)
    assert rows["wan-2-2-fun-camera"] == ("variant of Wan 2.2", None)
    assert rows["wan-2-2-fun-vace"] == ("variant of Wan 2.2", None)
    assert rows["ffgo"] == ("made for wan-2-2-i2v-a14b", "wan-2-2-i2v-a14b")
    # named together with a Wan 2.2 model: the evidence lists the tips (other batches may add more)
    for model, tip, i2v in [("uni3c", "uni3c-alternatives-for-wan-2-2", "wan-2-1-i2v-14b"),
                            ("unianimate", "unianimate-strength-above-1-for-wan-2-2", None),
                            ("stand-in", "stand-in-wan-2-2-version-december-2025", None),
                            ("wan-move", "gleb-wan-move-as-lora-works-on-wan-2-2", "wan-2-1-i2v-14b")]:
        evidence, needs = rows[model]
        assert tip in evidence.split(","), model
        assert needs == i2v, model
    assert rows["longvie-2"] == (None, "wan-2-1-i2v-14b")
    assert rows["fantasyportrait"] == (None, None)
    # how to push the 2.1-era ones on 2.2: higher strengths
    pushed = {(r["tip_id"], r["parameter_id"], r["advised"]) for r in kg.sql(
        "SELECT tip_id, parameter_id, advised FROM settings WHERE model_id = 'wan-2-2'")}
    assert {("uni3c-alternatives-for-wan-2-2", "wanvideo-uni3c-embeds-strength", "higher"),
            ("unianimate-strength-above-1-for-wan-2-2", "lora-strength", "at least 1")} <= pushed


# Own question: what does a TimeToMove setup need - which nodes on which side, and which settings were shared?
TTM_NODES = """
SELECT CASE WHEN n.repo = 'comfyui-wanvideowrapper' THEN 'wrapper' ELSE 'native' END AS side, n.class_name
FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id
WHERE tn.via IS NULL AND tn.tip_id IN (SELECT tip_id FROM tip_concepts WHERE concept_id = 'time-to-move' AND via IS NULL)
GROUP BY 1, 2 ORDER BY 1, 2
"""


def test_what_a_time_to_move_setup_needs(kg):
    nodes = {(r["side"], r["class_name"]) for r in kg.sql(TTM_NODES)}
    assert {("wrapper", "WanVideoAddTTMLatents"), ("native", "LatentInpaintTTM"), ("native", "ImageToMask"),
            ("native", "CutAndDragOnPath"), ("native", "AEAnimation")} <= nodes
    setup = {(r["parameter_id"], r["advised"]) for r in kg.sql(
        "SELECT parameter_id, advised FROM settings WHERE tip_id = 'ttm-no-lora-setup-50-steps-cfg-3-5-shift-8'")}
    assert setup == {("steps", "50"), ("steps", "per expert: high-noise: 25; low-noise: 25"), ("cfg", "3.5"),
                     ("shift", "8"), ("start-step", "3"), ("end-step", "7")}
    assert kg.sql("SELECT advised FROM settings WHERE parameter_id = 'latent-inpaint-ttm-steps'") == [{"advised": "2"}]
    # the native workflow the page links really uses the native TTM node
    assert kg.sql("SELECT workflow_id FROM workflow_nodes WHERE node_id = 'latent-inpaint-ttm' ORDER BY 1") == [
        {"workflow_id": "vr-native-ttm"}]


# Own question: what replaces Painter I2V, for which kind of workflow?
PAINTER_REPLACEMENTS = """
SELECT t.id AS tip, n.class_name AS replacement, n.repo FROM current_tips t
JOIN tip_nodes tn ON tn.tip_id = t.id AND tn.via IS NULL JOIN nodes n ON n.id = tn.node_id
WHERE t.id IN (SELECT tip_id FROM tip_nodes WHERE node_id = 'painter-i2v' AND via IS NULL)
  AND n.id <> 'painter-i2v' AND n.id <> 'ksampler'
UNION ALL
SELECT t.id, p.name, 'input of ' || n.class_name FROM current_tips t
JOIN tip_parameters tp ON tp.tip_id = t.id AND tp.via IS NULL JOIN parameters p ON p.id = tp.parameter_id
JOIN nodes n ON n.id = p.node
WHERE t.id IN (SELECT tip_id FROM tip_nodes WHERE node_id = 'painter-i2v' AND via IS NULL)
ORDER BY 1, 2
"""


def test_what_replaces_painter_i2v_in_native_and_in_the_wrapper(kg):
    rows = {(r["tip"], r["replacement"], r["repo"]) for r in kg.sql(PAINTER_REPLACEMENTS)}
    assert ("augment-empty-frames-replaces-painter-i2v-in-wrapper", "augment_empty_frames",
            "input of WanVideoImageToVideoEncode") in rows
    assert ("wanex-paintermotionamplitude-for-native-and-clownshark", "WanEx_PainterMotionAmplitude",
            "wanexperiments") in rows
    # the new record adds to the hidden-knowledge one rather than repeating it
    assert kg.sql("SELECT other_tip_id FROM relations WHERE tip_id = 'wanex-paintermotionamplitude-for-native-and-clownshark' "
                  "AND type = 'refines'") == [{"other_tip_id": "wanex-painter-motion-amplitude-replaces-painter-i2v"}]
    dated = kg.sql("SELECT date FROM current_tips WHERE id = 'augment-empty-frames-replaces-painter-i2v-in-wrapper'")
    assert dated == [{"date": "2025-12-04"}]


# Own question: do the site's workflows that these pages link use the nodes the pages talk about?
NODES_IN_LINKED_WORKFLOWS = f"""
SELECT DISTINCT tn.node_id, wn.workflow_id FROM tip_nodes tn JOIN current_tips t ON t.id = tn.tip_id
JOIN workflow_nodes wn ON wn.node_id = tn.node_id
JOIN workflow_pages wp ON wp.workflow_id = wn.workflow_id AND wp.page_id = t.page_id
WHERE t.page IN ({", ".join(f"'{p}'" for p in BATCH_PAGES)})
ORDER BY 2, 1
"""


def test_linked_workflows_use_the_nodes_the_pages_name(kg):
    pairs = {(r["node_id"], r["workflow_id"]) for r in kg.sql(NODES_IN_LINKED_WORKFLOWS)}
    assert {("wanvideo-vace-start-to-end-frame", "wan22-4frames-interp"),
            ("wanvideo-imagetovideo-encode", "wan22-4frames-interp"),
            ("latent-inpaint-ttm", "vr-native-ttm"), ("convert-image-to-mask", "vr-native-ttm"),
            ("wan-move-tracks-from-coords", "wan-move-wanmove-lora-test"),
            ("wan-move-track-to-video", "wan-move-wanmove-lora-test")} <= pairs
    # the keyframing tip points to the fixed workflow and keeps the earlier, probably wrong one visible
    assert {r["workflow_id"] for r in kg.sql(
        "SELECT workflow_id FROM tip_workflows WHERE tip_id = 'wan22-4frames-interp-i2v-keyframe-workflow'")} == {
        "wan22-4frames-interp", "wan2-2-sub-v0-4"}


# Own question: how do people split the steps of a Wan 2.2 run over several samplers?
STEP_SPLITS = """
SELECT s.tip_id, group_concat(e.at || '=' || e.value, ' | ') AS split
FROM settings s JOIN schedule_entries e ON e.setting_id = s.id
WHERE s.parameter_id = 'steps' AND s.schedule_per IN ('stage', 'expert')
GROUP BY s.id ORDER BY s.tip_id
"""


def test_how_steps_are_split_over_wan_2_2_samplers(kg):
    splits = {r["tip_id"]: r["split"] for r in kg.sql(STEP_SPLITS)}
    assert splits["cseti-six-step-schedule-context-windows-on-first-high-steps"] == (
        "1 (high noise, context windows)=2 | 2 (high noise, no context windows)=1 | 3 (low noise, no context windows)=3")
    assert splits["three-sampler-wan-2-2-one-two-three-steps"] == (
        "1 (high noise, no LoRA)=1 | 2 (high noise, new lightx2v LoRA)=2 | 3 (low noise, old 2.1 lightx2v LoRA)=3")
    assert splits["verole-lightning-plus-wan-2-1-lightning-4-steps"] == "1 (high)=2 | 2 (low)=2"
    assert splits["ttm-no-lora-setup-50-steps-cfg-3-5-shift-8"] == "high-noise=25 | low-noise=25"


def test_the_shared_masking_paragraph_is_owned_once(kg):
    """The masking paragraph stands on wan-wiring.md and wan-i2v-advanced.md: one record, owned by the wiring page."""
    rows = kg.sql("SELECT id, page FROM current_tips WHERE excerpt LIKE 'Here is a slightly non-traditional way%'")
    assert rows == [{"id": "build-masks-manually-values-may-flip-wrapper-native", "page": "wan-wiring.md"}]
    coverage = {r["page"]: r["covered_lines"] == r["content_lines"] for r in kg.sql(
        f"SELECT page, content_lines, covered_lines FROM coverage WHERE page IN ({', '.join(repr(p) for p in BATCH_PAGES)})")}
    assert coverage == {page: True for page in BATCH_PAGES}
