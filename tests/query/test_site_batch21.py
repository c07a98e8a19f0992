"""Issue 21 (speed LoRAs, sigma schedules, software versions, memory): the questions the batch answers.

Each test is one question a user asks, answered by a query on the real data as `hkgraph build` writes it.
The expected rows name specific tips, entities and values, so a record that goes missing or changes
meaning fails here.
"""

from __future__ import annotations

import pytest

from hkgraph import KnowledgeGraph


@pytest.fixture(scope="module")
def kg(built_dist):
    with KnowledgeGraph.open(built_dist) as graph:
        yield graph


def rows(kg: KnowledgeGraph, query: str) -> list[tuple]:
    return [tuple(r.values()) for r in kg.sql(query)]


# ------------------------------------------------------------------ the questions

I2V_LORA_STRENGTHS = """
SELECT s.tip_id, s.model_id AS lora, e.model_id AS expert, COALESCE(e.value, e.min || '-' || e.max) AS strength
FROM settings s
JOIN tips t ON t.id = s.tip_id AND t.status = 'current'
JOIN schedule_entries e ON e.setting_id = s.id
WHERE s.parameter_id = 'lora-strength'
  AND s.model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id IN ('lightx2v', 'wan-2-2-lightning'))
  AND e.model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'wan-2-2-i2v-a14b')
ORDER BY s.tip_id, e.position
"""

I2V_LORA_FILES = """
SELECT s.tip_id, s.model_id AS expert, s.advice, s.advised
FROM settings s JOIN tips t ON t.id = s.tip_id AND t.status = 'current'
WHERE s.parameter_id = 'lora-name'
  AND s.model_id IN (SELECT model_id FROM model_ancestors WHERE ancestor_id = 'wan-2-2-i2v-a14b')
ORDER BY s.tip_id
"""

LIGHTX2V_STEPS_AND_CFG = """
SELECT DISTINCT s.tip_id, s.parameter_id, s.advised
FROM settings s JOIN tip_models tm ON tm.tip_id = s.tip_id
JOIN tips t ON t.id = s.tip_id AND t.status = 'current'
WHERE s.parameter_id IN ('steps', 'cfg')
  AND tm.model_id IN (SELECT 'lightx2v' UNION SELECT model_id FROM model_ancestors WHERE ancestor_id = 'lightx2v')
ORDER BY s.tip_id, s.parameter_id, s.advised
"""


def test_which_lightx2v_or_lightning_lora_for_wan_2_2_i2v(kg):
    # strength per expert of the I2V A14B model, for LoRAs of the lightx2v and Lightning families
    assert rows(kg, I2V_LORA_STRENGTHS) == [
        (
            "lora-table-i2v-lightx2v-480p-recommended-on-low",
            "lightx2v-wan-2-1-i2v-480p",
            "wan-2-2-i2v-a14b-low-noise",
            "1.0-1.5",
        ),
        (
            "lora-table-i2v-lightx2v-480p-recommended-on-low",
            "lightx2v-wan-2-1-i2v-480p",
            "wan-2-2-i2v-a14b-high-noise",
            "3",
        ),
        (
            "speed-loras-for-wan-2-2-i2v-1030-or-480p",
            "lightx2v-wan-2-2-i2v-high-1030",
            "wan-2-2-i2v-a14b-high-noise",
            "1",
        ),
        (
            "speed-loras-for-wan-2-2-i2v-1030-or-480p",
            "lightx2v-wan-2-1-i2v-480p",
            "wan-2-2-i2v-a14b-high-noise",
            "3",
        ),
    ]
    # which file on which expert: 1030 on high, the 480p LoRA on low; 1022 on high is superseded
    assert rows(kg, I2V_LORA_FILES) == [
        (
            "fl13-three-sampler-wan-2-2-i2v-lora-setup",
            "wan-2-2-i2v-a14b-low-noise",
            "use-when",
            "lightx2v_I2V_14B_480p_cfg_step_distill_rank64_bf16.safetensors",
        ),
        (
            "lora-table-i2v-1022-high-superseded-by-1030",
            "wan-2-2-i2v-a14b-high-noise",
            "avoid",
            "wan2.2_i2v_A14b_high_noise_lora_rank64_lightx2v_4step_1022.safetensors",
        ),
        (
            "lora-table-i2v-1030-high-recommended",
            "wan-2-2-i2v-a14b-high-noise",
            "prefer",
            "Wan_2_2_I2V_A14B_HIGH_lightx2v_4step_lora_v1030_rank_64_bf16.safetensors",
        ),
        (
            "lora-table-i2v-lightx2v-480p-recommended-on-low",
            "wan-2-2-i2v-a14b-low-noise",
            "prefer",
            "lightx2v_I2V_14B_480p_cfg_step_distill_rank64_bf16.safetensors, "
            "lightx2v_I2V_14B_480p_cfg_step_distill_rank256_bf16.safetensors",
        ),
    ]
    # steps and cfg advised together with a lightx2v LoRA
    found = rows(kg, LIGHTX2V_STEPS_AND_CFG)
    assert ("old-2-1-lightx2v-six-steps-strength-3-high-1-low", "steps", "6") in found
    assert ("old-2-1-lightx2v-six-steps-strength-3-high-1-low", "cfg", "2.0; the first 1 step") in found
    assert (
        "i2v-480-strength-3-high-1-low-cfg-first-step",
        "cfg",
        "higher; the first at least 1 steps",
    ) in found
    assert (
        "with-speed-loras-the-shift-controls-the-switch-sigma",
        "steps",
        "per expert: high-noise: 2 to 4; low-noise: 2 to 4",
    ) in found


SWITCHOVER = """
SELECT s.tip_id, s.model_id, s.value FROM settings s JOIN tips t ON t.id = s.tip_id AND t.status = 'current'
WHERE s.parameter_id = 'switchover-sigma' ORDER BY s.value DESC
"""

SWITCHOVER_SPARQL = """
SELECT ?model ?value WHERE {
  ?setting a hkv:Setting ; hkv:parameter parameter:switchover-sigma ; hkv:value ?value ;
           hkv:appliesToModel ?m .
  ?m dcterms:identifier ?model .
} ORDER BY DESC(?value)
"""


def test_at_which_sigma_high_noise_hands_over_to_low_noise(kg):
    assert rows(kg, SWITCHOVER) == [
        ("wan-2-2-i2v-switchover-sigma-0-9", "wan-2-2-i2v-a14b", "0.9"),
        ("wan-2-2-t2v-switchover-sigma-0-875", "wan-2-2-t2v-14b", "0.875"),
    ]
    # the graph says the same
    assert [(r["model"], r["value"]) for r in kg.sparql(SWITCHOVER_SPARQL)] == [
        ("wan-2-2-i2v-a14b", "0.9"),
        ("wan-2-2-t2v-14b", "0.875"),
    ]
    # and the node that turns such a sigma into the sampler's end_step
    assert ("wanvideo-sigma-to-step-sets-end-step-from-a-sigma",) in rows(
        kg, "SELECT tip_id FROM tip_nodes WHERE node_id = 'wanvideo-sigma-to-step' AND via IS NULL"
    )


VERSIONS = """
SELECT s.parameter_id, s.advice, s.advised, s.tip_id
FROM settings s JOIN tips t ON t.id = s.tip_id AND t.status = 'current'
WHERE s.parameter_id IN ('pytorch-version', 'cuda-version', 'triton-version', 'sageattention-version')
ORDER BY s.parameter_id, s.advice, s.advised, s.tip_id
"""

COMBINATIONS = """
SELECT tip_id, group_concat(parameter_id || ' ' || advice || ' ' || advised, ' | ') AS combination FROM (
  SELECT s.tip_id, s.parameter_id, s.advice, s.advised
  FROM settings s JOIN tips t ON t.id = s.tip_id AND t.status = 'current'
  WHERE s.parameter_id IN ('pytorch-version', 'cuda-version', 'triton-version', 'sageattention-version')
  ORDER BY s.tip_id, s.parameter_id DESC, s.advice DESC, s.advised
)
GROUP BY tip_id HAVING count(DISTINCT parameter_id) > 1
ORDER BY tip_id
"""


def test_which_torch_cuda_triton_sage_versions_go_together(kg):
    found = rows(kg, VERSIONS)
    by_advice = {(p, a, v) for p, a, v, _tip in found}
    # what works
    assert {
        ("pytorch-version", "prefer", "2.9.1"),
        ("pytorch-version", "prefer", "2.12"),
        ("cuda-version", "prefer", "cu132"),
        ("cuda-version", "prefer", "cu130"),
        ("triton-version", "prefer", "3.5"),
        ("triton-version", "required", "3.5.0.post21"),
        ("sageattention-version", "prefer", "2.1, 2.2"),
        ("sageattention-version", "prefer", "2.2.0"),
    } <= by_advice
    # what breaks
    assert {
        ("pytorch-version", "avoid", "2.11.0"),
        ("pytorch-version", "avoid", "2.8.0"),
        ("pytorch-version", "avoid", "2.9.0, 2.10"),
        ("sageattention-version", "avoid", "3"),
    } <= by_advice
    # the combinations a single tip advises together
    assert rows(kg, COMBINATIONS) == [
        (
            "torch-2-12-cu132-works-without-cuda-toolkit",
            "pytorch-version prefer 2.12 | cuda-version prefer cu132",
        ),
        (
            "upscale-image-ram-leak-fixed-by-torch-2-9-1-cu130",
            "pytorch-version prefer 2.9.1 | pytorch-version avoid 2.8 | cuda-version prefer cu130",
        ),
    ]


LEAKS = """
SELECT id FROM current_tips
WHERE id IN (SELECT tip_id FROM tip_concepts WHERE concept_id = 'memory-leak' AND via IS NULL)
   OR (page = 'oom-speed-talk.md' AND id IN (SELECT tip_id FROM tip_goals WHERE goal IN ('lower-ram', 'lower-vram')))
ORDER BY id
"""


def test_what_frees_ram_or_vram_when_a_run_leaks_memory(kg):
    assert [r[0] for r in rows(kg, LEAKS)] == [
        "compile-memory-spikes-after-updates-clear-triton-cache",
        "distorch-swaps-weights-between-vram-and-ram",
        "memory-graphs-need-disable-cuda-malloc",
        "native-load-video-leaks-memory-vhs-does-not",
        "no-memory-leak-on-cuda-12-8",
        "reserve-vram-1-or-0-5-gb",
        "sam3-nodes-suspected-of-using-ram",
        "unload-models-execution-cache-node-frees-ram",
        "upscale-image-ram-leak-fixed-by-torch-2-9-1-cu130",
        "vae-decode-loop-kj-against-decode-oom",
    ]
    reserve = kg.sql(
        "SELECT \"values\", unit, advice FROM settings WHERE tip_id = 'reserve-vram-1-or-0-5-gb'"
    )
    assert reserve == [{"values": '["1", "0.5"]', "unit": "GB", "advice": "prefer"}]


# ------------------------------------------------------------------ questions the pages raised


def test_which_loras_are_made_for_the_wan_2_2_i2v_high_noise_expert(kg):
    assert rows(
        kg,
        "SELECT model_id FROM model_base_models WHERE base_model_id = 'wan-2-2-i2v-a14b-high-noise' "
        "ORDER BY model_id",
    ) == [
        ("lightx2v-wan-2-2-i2v-1022",),
        ("lightx2v-wan-2-2-i2v-high-1030",),
        ("lightx2v-wan-2-2-i2v-moe",),
        ("rcm-wan-2-2-i2v",),
        ("wan-2-2-lightning-old",),
    ]
    # the expert sits in its variant, the variant in Wan 2.2
    assert rows(
        kg,
        "SELECT ancestor_id, depth FROM model_ancestors WHERE model_id = 'wan-2-2-i2v-a14b-high-noise' "
        "ORDER BY depth",
    ) == [("wan-2-2-i2v-a14b", 1), ("wan-2-2", 2), ("wan", 3)]


WORKFLOWS_WITH_PAGE_LORAS = """
SELECT wf.file_id, count(DISTINCT wf.workflow_id) AS workflows
FROM workflow_files wf
WHERE wf.file_id IN (SELECT tf.file_id FROM tip_files tf JOIN tips t ON t.id = tf.tip_id WHERE t.page LIKE 'loras/%')
GROUP BY wf.file_id ORDER BY workflows DESC, wf.file_id LIMIT 3
"""


def test_which_example_workflows_load_a_lora_the_lora_pages_discuss(kg):
    assert rows(kg, WORKFLOWS_WITH_PAGE_LORAS) == [
        ("lightx2v-i2v-14b-480p-cfg-step-distill-rank64-bf16", 10),
        ("lightx2v-t2v-14b-cfg-step-distill-v2-lora-rank64-bf16", 8),
        ("wan-2-2-i2v-a14b-high-lightx2v-4step-lora-v1030-rank-64-bf16", 5),
    ]


def test_which_comfyui_startup_options_to_avoid(kg):
    assert rows(
        kg,
        "SELECT parameter_id, tip_id FROM settings WHERE parameter_id LIKE 'comfyui-%' "
        "AND advice = 'avoid' ORDER BY parameter_id",
    ) == [
        ("comfyui-async-offload", "comfyui-async-offload-can-oom"),
        ("comfyui-fast", "do-not-use-comfyui-fast-flag"),
    ]


def test_which_manual_fixes_for_the_october_2025_vram_regression_are_obsolete(kg):
    assert rows(
        kg,
        "SELECT id, superseded_by FROM tips WHERE status = 'superseded' AND page = 'versions.md' ORDER BY id",
    ) == [
        (
            "comment-out-run-every-op-undoes-fast-cancellation",
            "kijai-cancellation-and-compile-workarounds-merged",
        ),
        ("disable-compile-on-lowvrampatch", "kijai-cancellation-and-compile-workarounds-merged"),
    ]


def test_which_precision_for_which_gpu(kg):
    # this batch's advice (versions.md) next to the hidden-knowledge page's
    assert rows(
        kg,
        "SELECT hardware_id, advice, value, tip_id FROM settings WHERE parameter_id = 'precision' "
        "AND hardware_id IN ('blackwell', 'rtx-3090', 'rtx-5090') AND value IS NOT NULL "
        "ORDER BY hardware_id, advice, value",
    ) == [
        ("blackwell", "prefer", "mxfp8_block32", "mxfp8-block32-for-blackwell"),
        ("rtx-3090", "prefer", "int8", "rtx-3090-int8-mxfp8-or-fp16-fast-accumulation"),
        ("rtx-3090", "use-when", "fp16", "rtx-3090-int8-mxfp8-or-fp16-fast-accumulation"),
        ("rtx-3090", "use-when", "fp8", "rtx-3090-fp8-saves-memory-but-not-time"),
        ("rtx-3090", "use-when", "mxfp8", "rtx-3090-int8-mxfp8-or-fp16-fast-accumulation"),
        ("rtx-5090", "prefer", "mxfp8", "rtx-5090-use-mxfp8"),
    ]
