"""The audio-driven, reference-identity and other video models batch (issue 20: humo, infinite-talk,
talkies/longcat-avatar, longcat, ovi, k5, hunyuan, phantom-magref, bindweave, lynx): the issue's questions and
the ones the pages raised while curating, each answered by one query on the built data."""

from __future__ import annotations

import pytest

from hkgraph import KnowledgeGraph

BATCH_PAGES = (
    "humo.md",
    "infinite-talk.md",
    "talkies/longcat-avatar.md",
    "longcat.md",
    "ovi.md",
    "k5.md",
    "hunyuan.md",
    "phantom-magref.md",
    "bindweave.md",
    "lynx.md",
)


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


def _pages() -> str:
    return ", ".join(f"'{p}'" for p in BATCH_PAGES)


# Which models make a face talk from audio, and which audio encoder does each need? Two kinds of evidence: a tip's
# setting on the generic "audio encoder" knob (its value is the encoder's name as the page spells it, resolved
# through the names table), and a site workflow that loads a file of the model together with an audio encoder's file.
TALKING_MODELS = """
WITH enc AS (SELECT id FROM models WHERE role = 'audio-encoder'),
pairs AS (
  SELECT s.model_id AS model, n.entity_id AS encoder, 'tip:' || s.tip_id AS evidence
  FROM settings s JOIN current_tips t ON t.id = s.tip_id
  JOIN names n ON n.kind = 'model' AND n.normalized = lower(replace(s.value, '-', ' '))
  WHERE s.parameter_id = 'audio-encoder' AND n.entity_id IN enc
  UNION
  SELECT ft.model, fe.model, 'workflow:' || wa.workflow_id
  FROM workflow_files wa JOIN files ft ON ft.id = wa.file_id JOIN models mt ON mt.id = ft.model
  JOIN workflow_files wb ON wb.workflow_id = wa.workflow_id JOIN files fe ON fe.id = wb.file_id
  WHERE fe.model IN enc AND mt.role IN ('diffusion', 'other') AND ft.model NOT IN enc
)
SELECT model, encoder, group_concat(evidence, ' ') AS evidence FROM pairs GROUP BY model, encoder
ORDER BY model, encoder
"""


def test_which_models_talk_from_audio_and_which_encoder_each_needs(kg):
    rows = {(r["model"], r["encoder"]): r["evidence"] for r in kg.sql(TALKING_MODELS)}
    assert rows[("longcat-avatar", "wav2vec2-chinese-base")] == "tip:longcat-avatar-needs-chinese-wav2vec"
    assert rows[("infinitetalk", "wav2vec2")] == "tip:infinitetalk-also-loads-clip-vision-h-and-wav2vec"
    assert rows[("infinitetalk", "wav2vec2-chinese-base")] == "workflow:kj-infinitetalk-multi-test-native"
    assert rows[("longcat-avatar-1-5", "whisper-large-v3")] == "workflow:mbedit-longcat-avatar-15-v1"
    assert rows[("humo", "whisper-large-v3")] == "workflow:wan2-2-humo-fmml-vrgdg-wip"
    # the encoders are models of their own, with the Chinese wav2vec2 inside the wav2vec2 family
    roles = {
        r["id"]: (r["role"], r["parent"])
        for r in kg.sql(
            "SELECT id, role, parent FROM models WHERE id IN ('wav2vec2', 'wav2vec2-chinese-base', 'whisper-large-v3')"
        )
    }
    assert roles == {
        "wav2vec2": ("audio-encoder", None),
        "wav2vec2-chinese-base": ("audio-encoder", "wav2vec2"),
        "whisper-large-v3": ("audio-encoder", None),
    }
    # the page's misspelt file name finds the file
    file = kg.sql(
        "SELECT f.id FROM names n JOIN files f ON f.id = n.entity_id "
        "WHERE n.kind = 'file' AND n.name = 'wav2vec-chenese-base_fp16.safetensors'"
    )
    assert [r["id"] for r in file] == ["wav2vec2-chinese-base-fp16"]


# What resolutions and step counts do the pages give for LongCat (any model of the family)?
LONGCAT_RESOLUTIONS_AND_STEPS = """
SELECT s.tip_id, s.parameter_id, s.model_id, s.advice, s.value, s."values",
       (SELECT group_concat(e."at" || '=' || e.value, '; ') FROM schedule_entries e WHERE e.setting_id = s.id) AS schedule
FROM settings s JOIN current_tips t ON t.id = s.tip_id
WHERE s.parameter_id IN ('resolution', 'steps')
  AND (s.model_id = 'longcat' OR s.model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'longcat'))
ORDER BY s.parameter_id, s.model_id, s.tip_id
"""


def test_longcat_resolutions_and_step_counts(kg):
    import json

    rows = {(r["parameter_id"], r["tip_id"]): r for r in kg.sql(LONGCAT_RESOLUTIONS_AND_STEPS)}
    buckets = json.loads(rows[("resolution", "longcat-supported-resolutions-aspect-ratio-627")]["values"])
    assert (
        len(buckets) == 26 and buckets[0] == "320x1216" and "832x480" in buckets and buckets[-1] == "1280x320"
    )
    assert rows[("resolution", "longcat-example-832x480x93")]["value"] == "832x480"
    assert rows[("resolution", "longcat-480p-15fps-then-720p-30fps-refinement")]["schedule"] == (
        "first pass=480p; refinement pass=720p"
    )
    steps = {tip: (r["model_id"], r["value"]) for (param, tip), r in rows.items() if param == "steps"}
    assert steps == {
        "longcat-full-50-steps": ("longcat-video", "50"),
        "longcat-avatar-about-10-steps": ("longcat-avatar", "10"),
        "longcat-avatar-one-minute-settings": ("longcat-avatar", "12"),
    }
    # the model hierarchy behind "any model of the family"
    assert kg.sql(
        "SELECT ancestor_id FROM model_ancestors WHERE model_id = 'longcat-avatar-1-5' ORDER BY depth"
    ) == [{"ancestor_id": "longcat-avatar"}, {"ancestor_id": "longcat"}]


# How does Phantom differ from MAGREF, and what padding trick helps? Where each sits in the Wan family, the concepts
# the phantom-magref page's tips name for each, and the tips that name the padding concept with the model.
PHANTOM_VS_MAGREF = """
SELECT m.id AS model, m.level, m.parent,
  (SELECT group_concat(DISTINCT tc.concept_id) FROM tip_models tm
   JOIN tip_concepts tc ON tc.tip_id = tm.tip_id AND tc.via IS NULL JOIN current_tips t ON t.id = tm.tip_id
   WHERE tm.model_id = m.id AND tm.via IS NULL AND t.page = 'phantom-magref.md'
     AND tc.concept_id IN ('text-to-video', 'image-to-video', 'reference-image', 'image-padding',
                           'context-windows')) AS concepts,
  (SELECT group_concat(t.id, ' ') FROM current_tips t
   WHERE t.id IN (SELECT tip_id FROM tip_models WHERE model_id = m.id AND via IS NULL)
     AND t.id IN (SELECT tip_id FROM tip_concepts WHERE concept_id = 'image-padding' AND via IS NULL)) AS padding_tips
FROM models m WHERE m.id IN ('phantom', 'magref') ORDER BY m.id
"""


def test_phantom_versus_magref_and_the_padding_trick(kg):
    rows = {r["model"]: r for r in kg.sql(PHANTOM_VS_MAGREF)}
    for model in ("phantom", "magref"):
        assert (rows[model]["level"], rows[model]["parent"]) == ("variant", "wan-2-1")
    assert {"text-to-video", "reference-image"} <= set(rows["phantom"]["concepts"].split(","))
    assert "image-to-video" not in rows["phantom"]["concepts"].split(",")
    assert {"image-to-video", "image-padding", "context-windows"} <= set(
        rows["magref"]["concepts"].split(",")
    )
    assert set(rows["magref"]["padding_tips"].split()) == {
        "magref-weaker-with-white-padding",
        "magref-use-like-i2v-remove-background-or-pad",
        "magref-context-windows-padded-reference-samples",
    }
    assert rows["phantom"]["padding_tips"] is None
    # Phantom's own limits: up to 4 references, and only the low-noise stage of a Wan 2.2 split
    assert kg.sql(
        "SELECT max, advice FROM settings WHERE model_id = 'phantom' "
        "AND parameter_id = 'reference-image-count'"
    ) == [{"max": 4.0, "advice": "required"}]
    assert kg.sql(
        "SELECT model_id FROM tip_models WHERE tip_id = 'phantom-only-works-on-low-noise-stage' "
        "AND model_id = 'wan-2-2-low-noise' AND via IS NULL"
    ) == [{"model_id": "wan-2-2-low-noise"}]


# Which of these models run natively in ComfyUI and which need the wrapper? A tip that names a model (directly or in
# one of its settings) counts for "wrapper" when it names WanVideoWrapper or one of its nodes, and for "native" when
# it names ComfyUI or a core node but nothing of the wrapper.
NATIVE_OR_WRAPPER = f"""
WITH named AS (
  SELECT tip_id, model_id FROM tip_models WHERE via IS NULL
  UNION SELECT tip_id, model_id FROM settings WHERE model_id IS NOT NULL),
packs AS (
  SELECT tip_id, repo_id AS pack FROM tip_repos WHERE via IS NULL
  UNION SELECT tn.tip_id, n.repo FROM tip_nodes tn JOIN nodes n ON n.id = tn.node_id WHERE tn.via IS NULL),
side AS (
  SELECT tip_id, CASE WHEN SUM(pack = 'comfyui-wanvideowrapper') > 0 THEN 'wrapper'
                      WHEN SUM(pack = 'comfyui') > 0 THEN 'native' END AS side
  FROM packs GROUP BY tip_id)
SELECT named.model_id AS model, side.side, group_concat(DISTINCT named.tip_id) AS tips
FROM named JOIN side ON side.tip_id = named.tip_id JOIN current_tips t ON t.id = named.tip_id
WHERE side.side IS NOT NULL AND t.page IN ({_pages()})
GROUP BY named.model_id, side.side ORDER BY named.model_id, side.side
"""


def test_which_models_run_natively_and_which_need_the_wrapper(kg):
    sides: dict[str, set[str]] = {}
    tips: dict[tuple[str, str], set[str]] = {}
    for r in kg.sql(NATIVE_OR_WRAPPER):
        sides.setdefault(r["model"], set()).add(r["side"])
        tips[(r["model"], r["side"])] = set(r["tips"].split(","))
    assert sides["kandinsky-5"] == {"native"}
    assert sides["hunyuanvideo-1-5"] == {"native"}
    assert sides["longcat"] == {"wrapper"}
    assert sides["longcat-avatar"] == {"wrapper"}
    assert sides["ovi"] == sides["ovi-1-1"] == {"wrapper"}
    assert sides["lynx"] == {"wrapper"}
    assert sides["infinitetalk"] == {"native", "wrapper"}
    assert sides["bindweave"] == {"native", "wrapper"}
    assert tips[("infinitetalk", "native")] == {"infinitetalk-native-comfyui-support"}
    assert tips[("bindweave", "native")] == {"bindweave-native-via-wanexperiments"}
    assert "kandinsky-5-two-dedicated-native-nodes" in tips[("kandinsky-5", "native")]
    # the native InfiniteTalk sample workflow runs on the core node, the Kandinsky 5 nodes are core nodes
    assert kg.sql(
        "SELECT n.class_name, n.repo FROM workflow_nodes wn JOIN nodes n ON n.id = wn.node_id "
        "WHERE wn.workflow_id = 'kj-infinitetalk-multi-test-native' "
        "AND n.class_name = 'WanInfiniteTalkToVideo'"
    ) == [{"class_name": "WanInfiniteTalkToVideo", "repo": "comfyui"}]
    assert {
        r["class_name"]
        for r in kg.sql(
            "SELECT class_name FROM nodes WHERE repo = 'comfyui' AND class_name LIKE '%Kandinsky5%'"
        )
    } >= {"CLIPTextEncodeKandinsky5", "Kandinsky5ImageToVideo"}


# Own question: which SageAttention versions do the pages tell to avoid or use, and for which model?
SAGE_VERSIONS = """
SELECT s.model_id AS model, s.value AS version, s.advice, s.tip_id
FROM settings s JOIN current_tips t ON t.id = s.tip_id
WHERE s.parameter_id = 'sageattention-version' ORDER BY s.model_id, s.value, s.tip_id
"""


def test_sageattention_versions_per_model(kg):
    rows = {(r["model"], r["version"], r["advice"]) for r in kg.sql(SAGE_VERSIONS)}
    assert {
        ("longcat", "1.0.6", "avoid"),
        ("longcat", "2.2.0", "prefer"),
        ("longcat-avatar", "1.0.6", "avoid"),
        ("longcat-avatar", "2.2.0", "prefer"),
        ("kandinsky-5", "1", "use-when"),
    } <= rows
    # the two LongCat pages point at each other's SageAttention 1.0.6 warning
    assert kg.sql(
        "SELECT type FROM relations WHERE tip_id = 'longcat-avatar-avoid-sageattention-1-0-6' "
        "AND other_tip_id = 'longcat-issue-with-sageattention-1-0-6'"
    ) == [{"type": "see-also"}]


# Own question: what does the site's LongCat Avatar 1.5 workflow load, by role? Every file of the workflows that load
# a file of LongCat Avatar 1.5 or of a LoRA made for it.
LONGCAT_AVATAR_15_FILES = """
SELECT f.name AS file, f.format, f.precision, m.id AS model, m.role
FROM workflow_files wf JOIN files f ON f.id = wf.file_id JOIN models m ON m.id = f.model
WHERE wf.workflow_id IN (
  SELECT wf2.workflow_id FROM workflow_files wf2 JOIN files f2 ON f2.id = wf2.file_id
  WHERE f2.model = 'longcat-avatar-1-5'
     OR f2.model IN (SELECT model_id FROM model_base_models WHERE base_model_id = 'longcat-avatar-1-5'))
ORDER BY m.role, f.name
"""


def test_what_the_longcat_avatar_1_5_workflow_loads(kg):
    rows = {r["role"]: r for r in kg.sql(LONGCAT_AVATAR_15_FILES)}
    assert (rows["diffusion"]["file"], rows["diffusion"]["format"], rows["diffusion"]["precision"]) == (
        "LongCat-Avatar-15_comfy-Q5_1.gguf",
        "gguf",
        "Q5_1",
    )
    assert rows["lora"]["file"] == "LongCat-Avatar-15_dmd_distill_lora_rank128_bf16.safetensors"
    assert rows["audio-encoder"]["model"] == "whisper-large-v3"
    assert rows["text-encoder"]["file"] == "umt5-xxl-enc-bf16.safetensors"
    assert rows["vae"]["file"] == "Wan2_1_VAE_bf16.safetensors"


# Own question: at what frame rate do these models generate? fps settings tied to a model, with per-pass schedules.
MODEL_FPS = f"""
SELECT s.model_id AS model, s.value, s.advice,
       (SELECT group_concat(e."at" || '=' || e.value, '; ') FROM schedule_entries e WHERE e.setting_id = s.id) AS schedule,
       s.tip_id
FROM settings s JOIN current_tips t ON t.id = s.tip_id
WHERE s.parameter_id = 'fps' AND s.model_id IS NOT NULL AND t.page IN ({_pages()})
ORDER BY s.model_id, s.tip_id
"""


def test_frame_rates_of_the_batch_models(kg):
    rows = {r["model"]: r for r in kg.sql(MODEL_FPS)}
    assert rows["ovi"]["value"] == "24"
    assert rows["longcat-avatar"]["value"] == "16"
    assert rows["longcat-video"]["schedule"] == "first pass=15; refinement pass=30"


# Own question: which models are built on Wan 2.1? Models under Wan 2.1 in the family tree, and add-ons or finetunes
# whose base model is Wan 2.1 or one of its variants.
BUILT_ON_WAN_2_1 = """
SELECT m.id, m.level, m.parent,
       (SELECT group_concat(b.base_model_id) FROM model_base_models b WHERE b.model_id = m.id) AS built_on
FROM models m
WHERE m.id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'wan-2-1')
   OR m.id IN (SELECT b.model_id FROM model_base_models b
               WHERE b.base_model_id = 'wan-2-1'
                  OR b.base_model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'wan-2-1'))
ORDER BY m.id
"""


def test_models_built_on_wan_2_1(kg):
    rows = {r["id"]: r for r in kg.sql(BUILT_ON_WAN_2_1)}
    assert {"phantom", "magref", "bindweave", "infinitetalk", "lynx"} <= set(rows)
    assert rows["bindweave"]["built_on"] == "wan-2-1-i2v-14b"
    assert set(rows["lynx"]["built_on"].split(",")) == {"wan-2-1", "wan-2-2-low-noise"}
    # Ovi is the Wan 2.2 counterpart: a variant of 2.2 built on the TI2V 5B model
    assert kg.sql(
        "SELECT m.parent, b.base_model_id FROM models m JOIN model_base_models b ON b.model_id = m.id "
        "WHERE m.id = 'ovi'"
    ) == [{"parent": "wan-2-2", "base_model_id": "wan-2-2-ti2v-5b"}]


# Own question: where do the pages disagree? Contradicting tips of the batch, both marked disputed.
CONTRADICTIONS = f"""
SELECT r.tip_id, r.other_tip_id AS other_id, a.certainty AS tip_certainty, b.certainty AS other_certainty
FROM relations r JOIN current_tips a ON a.id = r.tip_id JOIN current_tips b ON b.id = r.other_tip_id
WHERE r.type = 'contradicts' AND a.page IN ({_pages()})
ORDER BY r.tip_id
"""


def test_where_the_pages_disagree(kg):
    rows = kg.sql(CONTRADICTIONS)
    assert {(r["tip_id"], r["other_id"]) for r in rows} == {
        ("lynx-no-effect-with-wananimate", "lynx-unconfirmed-with-wan-animate"),
        ("lynx-unconfirmed-with-wan-animate", "lynx-no-effect-with-wananimate"),
        # the WanAnimate page's own record of the Lynx report (issue 17)
        ("lynx-no-effect-with-wananimate", "wananimate-apparently-with-lynx"),
        # the embeds table rows of infinite-talk.md and wan-wiring.md (issue 18) name different sampler inputs
        ("infinitetalk-wiring-wav2vec2-embeds-into-sampler", "multi-infinitetalk-wav2vec-embeds-wrapper-row"),
    }
    assert {r["tip_certainty"] for r in rows} == {"disputed"}
    # the Lynx page's pointer to the WanAnimate page refers to the record that owns the report
    assert kg.sql(
        "SELECT type FROM relations WHERE tip_id = 'lynx-unconfirmed-with-wan-animate' "
        "AND other_tip_id = 'wananimate-apparently-with-lynx'"
    ) == [{"type": "see-also"}]
