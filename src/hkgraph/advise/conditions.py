"""Judge a setting's condition from what the workflow shows: holds, does not hold, or cannot tell.

A setting's ``condition`` is text in our words ("torch compile is off", "sampling with few steps", "a
step-distillation LoRA is loaded"). The data has no structured form for it, so the advisor recognises a
small, documented set of facts a saved workflow does show, each by the words that name it, and judges
each clause of the condition (clauses are split at "and", ";" and ","):

==================  ===========================================  ==============================================
fact                words in the clause                          true when the workflow has
==================  ===========================================  ==============================================
compile             compile, torch.compile                       an active torch-compile node (negated by "not",
                                                                 "off", "without", "no")
scaled fp8          scaled (with fp8 or a model file)            a scaled fp8 file on that node, else anywhere
distill LoRA        distill, lightx2v, lightning                 an active LoRA for few-step sampling
NAG                 NAG                                          an active NAG node
Skimmed CFG         skimmed                                      an active Skimmed CFG node
EasyCache           easycache                                    an active EasyCache node
GGUF                gguf                                         a .gguf file loaded
SageAttention       sage attention, sageattn                     a sage attention mode or patch node
block swap          block swap                                   an active block swap with blocks to swap
few steps           few steps, N steps, only N steps             steps on that node (else the samplers) ≤ 10 / = N
high / low noise    high-noise model, low-noise                  a high- / low-noise expert file loaded
==================  ===========================================  ==============================================

A condition holds when every clause holds, fails when one clause fails, and cannot be told otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HOLDS, FAILS, UNKNOWN = "holds", "fails", "cannot tell"
NEGATIONS = ("not ", " off", "without", "no ", "isn't", "is off", "disabled")


@dataclass
class Facts:
    """What the graph shows, for judging conditions (filled by the advisor)."""

    compile: bool = False
    nag: bool = False
    skimmed: bool = False
    easycache: bool = False
    gguf: bool = False
    sage: bool = False
    block_swap: bool = False
    scaled_fp8: bool = False
    distill_lora: bool = False
    experts: set[str] = field(default_factory=set)
    steps: list[float] = field(default_factory=list)
    families: set[str] = field(default_factory=set)
    models_read: bool = False  # at least one model file was recognised


@dataclass
class Local:
    """What one node shows: its steps, the model file it loads."""

    steps: float | None = None
    scaled_fp8: bool | None = None
    gguf: bool | None = None
    experts: set[str] | None = None  # the experts of the model that feeds the node, when traced


def clauses(text: str) -> list[str]:
    text = text.split("(")[0]
    parts = re.split(r"\band\b|;|,", text)
    return [p.strip() for p in parts if p.strip()]


def judge_clause(clause: str, facts: Facts, local: Local) -> tuple[str, str | None]:
    """(verdict, fact name) for one clause; (UNKNOWN, None) when no known fact is named."""
    low = f" {clause.casefold()} "
    negated = any(n in low for n in NEGATIONS)

    def fact(name: str, value: bool) -> tuple[str, str]:
        return (HOLDS if value != negated else FAILS), name

    if "compile" in low and "sageattn_compiled" not in low:
        return fact("compile", facts.compile)
    if "nag" in re.findall(r"[a-z]+", low) or " nag " in low:
        return fact("NAG", facts.nag)
    if "skimmed" in low:
        return fact("Skimmed CFG", facts.skimmed)
    if "easycache" in low:
        return fact("EasyCache", facts.easycache)
    if "gguf" in low:
        return fact("GGUF", local.gguf if local.gguf is not None else facts.gguf)
    if "scaled" in low and ("fp8" in low or "model file" in low or "file" in low):
        return fact("scaled fp8", local.scaled_fp8 if local.scaled_fp8 is not None else facts.scaled_fp8)
    if any(w in low for w in ("distill", "lightx2v", "lightning")) and "pi-flow" not in low:
        return fact("distill LoRA", facts.distill_lora)
    if "sage attention" in low or "sageattn" in low or "sageattention" in low:
        return fact("SageAttention", facts.sage)
    if "block swap" in low or "blockswap" in low:
        return fact("block swap", facts.block_swap)
    for expert in ("high-noise", "low-noise"):
        if expert in low or expert.replace("-", " ") in low:
            if local.experts is not None:
                return fact(f"{expert} expert", expert in local.experts)
            if facts.models_read and expert not in facts.experts:
                return fact(f"{expert} expert", False)
            return UNKNOWN, None
    steps = [local.steps] if local.steps is not None else facts.steps
    m = re.search(r"(?:only|with|at)\s+(\d+)\s+steps?", low)
    if m and steps:
        return fact("steps", any(s == float(m.group(1)) for s in steps))
    if "few steps" in low and steps:
        return fact("few steps", any(s <= 10 for s in steps))
    return UNKNOWN, None


def judge(condition: str | None, facts: Facts, local: Local) -> tuple[str, list[str]]:
    """(holds | fails | cannot tell, the facts used) for a whole condition; no condition holds."""
    if not condition:
        return HOLDS, []
    verdicts = [judge_clause(c, facts, local) for c in clauses(condition)]
    used = [name for _, name in verdicts if name]
    if any(v == FAILS for v, _ in verdicts):
        return FAILS, used
    if verdicts and all(v == HOLDS for v, _ in verdicts):
        return HOLDS, used
    return UNKNOWN, used


def describe(facts: Facts) -> dict[str, Any]:
    return {
        "compile": facts.compile, "nag": facts.nag, "gguf": facts.gguf, "sage_attention": facts.sage,
        "block_swap": facts.block_swap, "scaled_fp8": facts.scaled_fp8, "distill_lora": facts.distill_lora,
        "experts": sorted(facts.experts), "steps": sorted(set(facts.steps)), "families": sorted(facts.families),
    }
