"""Synthetic but realistic hkgraph data at any size, in the real record contract.

``python benchmarks/generate.py OUT --tips 10000`` writes OUT/data/entries/*.yaml,
OUT/data/entities/<kind>/*.yaml and copies schema/ (the build reads schema/shapes.ttl). Every record is
valid and canonical: links resolve, setting values are allowed values of their parameter, quotes stand in
the excerpt. The vocabulary grows with the number of tips (one node per 25 tips, three parameters per
node, …) so that joins stay realistic. The same arguments always give the same files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hkgraph.records.yamlio import dump_yaml  # noqa: E402

WORDS = (
    "wan vae sampler blockswap quantization fp8 bf16 fp16 lora context window teacache sage attention "
    "torch compile cfg steps shift scheduler unipc euler dpm latent frames resolution upscale interpolate "
    "vram offload prefetch gguf clip vision text encoder umt5 motion camera pose depth mask inpaint "
    "video image audio lipsync face tracking noise seed denoise sigma guidance distill lightx2v causvid "
    "block swap memory speed quality artifact flicker color shift contrast sharpness detail"
).split()
KINDS = ("setting", "explanation", "warning", "comparison", "troubleshooting", "resource", "definition", "technique")
TAGS = ("vram", "speed", "quality", "compatibility", "install", "troubleshooting", "precision", "hardware",
        "prompting", "lora", "workflow", "sampling")
ADVICE = ("prefer", "avoid", "default", "use-when")
GOALS = ("lower-vram", "lower-ram", "faster", "better-quality", "fix-error", "make-compatible", "set-up",
         "more-control", "understand")
ROLES = ("diffusion", "text-encoder", "vae", "lora", "clip-vision", "upscaler")
VENDORS = (("NVIDIA", "Ada Lovelace"), ("NVIDIA", "Blackwell"), ("NVIDIA", "Ampere"), ("AMD", "RDNA 3"))
COMBO_VALUES = ("disabled", "fp8_e4m3fn", "fp8_e4m3fn_fast", "fp8_e5m2", "bf16", "fp16", "fp32", "auto")


def _title(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _sentence(rng: random.Random, n: int) -> str:
    text = _title(rng, n)
    return text[0].upper() + text[1:] + "."


def _write(path: Path, record: dict) -> None:
    path.write_text(dump_yaml(record), encoding="utf-8")


def vocabulary(tips: int) -> dict[str, int]:
    """How many entities of each kind a dataset of ``tips`` tips has."""
    return {
        "repos": max(3, tips // 1000),
        "nodes": max(10, tips // 25),
        "models": max(5, tips // 100),
        "hardware": 20,
        "people": max(3, tips // 200),
        "concepts": max(5, tips // 100),
    }


def generate(out: Path, tips: int, seed: int = 0) -> Path:
    """Write a dataset of ``tips`` tips under ``out``; returns ``out``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    counts = vocabulary(tips)
    data = out / "data"
    if data.exists():
        shutil.rmtree(data)
    entries = data / "entries"
    entries.mkdir(parents=True)
    folders = {k: data / "entities" / k for k in ("repos", "nodes", "parameters", "models", "files", "hardware",
                                                  "people", "concepts", "pages")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    if (out / "schema").resolve() != (ROOT / "schema").resolve():
        shutil.copytree(ROOT / "schema", out / "schema", dirs_exist_ok=True)

    people = [f"person-{i:05d}" for i in range(counts["people"])]
    for i, pid in enumerate(people):
        _write(folders["people"] / f"{pid}.yaml", {
            "id": pid, "name": f"Person {i}", "aliases": [f"p{i}", f"user{i}"],
            "description": _sentence(rng, 8), "handles": [f"github:person{i}"],
        })
    repos = [f"repo-{i:04d}" for i in range(counts["repos"])]
    for i, rid in enumerate(repos):
        _write(folders["repos"] / f"{rid}.yaml", {
            "id": rid, "name": f"ComfyUI-Pack{i}", "aliases": [f"Pack{i}", f"pack {i}"],
            "description": _sentence(rng, 10), "host": "github", "path": f"owner{i}/ComfyUI-Pack{i}",
            "url": f"https://github.com/owner{i}/ComfyUI-Pack{i}", "repo_type": "node-pack",
            "maintainer": people[i % len(people)],
        })
    names: dict[str, str] = {rid: f"ComfyUI-Pack{i}" for i, rid in enumerate(repos)}  # what an excerpt calls it
    nodes = [f"node-{i:05d}" for i in range(counts["nodes"])]
    # per node: (combo parameter, allowed values), int parameter, float parameter
    parameters: dict[str, list[tuple[str, list[str]]]] = {}
    for i, nid in enumerate(nodes):
        words = _title(rng, 2).title()
        name = f"Pack{i % len(repos)} {words} {i}"
        combo = [v for v in COMBO_VALUES if rng.random() < 0.7] or ["auto"]
        params = [(f"{nid}-precision", combo), (f"{nid}-steps", []), (f"{nid}-strength", [])]
        parameters[nid] = params
        names[nid] = name
        _write(folders["nodes"] / f"{nid}.yaml", {
            "id": nid, "name": name, "aliases": [name.replace(" ", ""), name.lower()],
            "description": _sentence(rng, 12), "class_name": name.replace(" ", "") + "Node",
            "repo": repos[i % len(repos)], "inputs": ["precision", "steps", "strength"],
            "inputs_read_from": "synthetic@0000000",
        })
        _write(folders["parameters"] / f"{nid}-precision.yaml", {
            "id": f"{nid}-precision", "name": "precision", "description": _sentence(rng, 6), "node": nid,
            "type": "COMBO", "allowed_values": combo, "default": combo[0], "read_from": "synthetic@0000000",
        })
        _write(folders["parameters"] / f"{nid}-steps.yaml", {
            "id": f"{nid}-steps", "name": "steps", "node": nid, "type": "INT", "default": "20",
            "min": 1.0, "max": 200.0,
        })
        _write(folders["parameters"] / f"{nid}-strength.yaml", {
            "id": f"{nid}-strength", "name": "strength", "node": nid, "type": "FLOAT", "default": "1.0",
            "min": 0.0, "max": 10.0,
        })
    _write(folders["models"] / "family.yaml", {"id": "family", "name": "Synthetic family", "level": "family",
                                                "role": "diffusion"})
    models = [f"model-{i:05d}" for i in range(counts["models"])]
    for i, mid in enumerate(models):
        role = ROLES[i % len(ROLES)]
        names[mid] = f"Wan {2 + i % 2}.{i % 3} {role} {i}"
        _write(folders["models"] / f"{mid}.yaml", {
            "id": mid, "name": f"Wan {2 + i % 2}.{i % 3} {role} {i}", "aliases": [f"wan-{i}-{role}"],
            "description": _sentence(rng, 10), "level": "variant", "parent": "family", "role": role,
        })
        _write(folders["files"] / f"wan-{i}-{role}-fp16.yaml", {
            "id": f"wan-{i}-{role}-fp16", "name": f"wan_{i}_{role}_fp16.safetensors", "model": mid,
            "format": "safetensors", "precision": "fp16",
        })
    for i in range(50):
        _write(folders["pages"] / f"page-{i:02d}.yaml", {
            "id": f"page-{i:02d}", "name": f"Page {i}", "path": f"page-{i:02d}.md", "snapshot": "0" * 40,
            "snapshot_date": dt.date(2026, 1, 1),
        })
    hardware = [f"gpu-{i:03d}" for i in range(counts["hardware"])]
    for i, hid in enumerate(hardware):
        vendor, arch = VENDORS[i % len(VENDORS)]
        names[hid] = f"{vendor} GPU {i}"
        _write(folders["hardware"] / f"{hid}.yaml", {
            "id": hid, "name": f"{vendor} GPU {i}", "aliases": [f"gpu{i}"], "vendor": vendor,
            "architecture": arch, "vram_gb": float(8 + 4 * (i % 8)),
        })
    concepts = [f"concept-{i:05d}" for i in range(counts["concepts"])]
    for i, cid in enumerate(concepts):
        record: dict = {"id": cid, "name": f"Concept {_title(rng, 2)} {i}", "aliases": [f"c{i}"],
                        "description": _sentence(rng, 10)}
        names[cid] = record["name"]
        if i:
            record["broader"] = [concepts[rng.randrange(i)]]
        _write(folders["concepts"] / f"{cid}.yaml", record)

    ids: list[str] = []
    for i in range(tips):
        tid = f"tip-{i:06d}-{'-'.join(rng.choice(WORDS) for _ in range(3))}"
        tid = tid.replace("_", "-")
        ids.append(tid)
        tip_nodes = rng.sample(nodes, 2 if rng.random() < 0.4 else 1)
        pid, allowed = parameters[tip_nodes[0]][0]
        value = rng.choice(allowed)
        person = rng.choice(people)
        quote = _sentence(rng, 9)
        repo = [repos[nodes.index(tip_nodes[0]) % len(repos)]] if rng.random() < 0.5 else []
        model = [rng.choice(models)] if rng.random() < 0.6 else []
        gpu = [rng.choice(hardware)] if rng.random() < 0.3 else []
        concept = [rng.choice(concepts)]
        # a record lists what its excerpt names (as the real records do): the excerpt names every link
        named = ", ".join(names[x] for x in [*tip_nodes, *repo, *model, *gpu, *concept])
        excerpt = "\n".join([_sentence(rng, 12), f"> {quote}", f"`{value}` precision {_sentence(rng, 8)}",
                              f"With {named}."])
        record = {
            "id": tid, "title": _title(rng, 8).capitalize(), "summary": _sentence(rng, 14) + " " + _sentence(rng, 10),
            "kind": rng.choice(KINDS),
            "source": {"page": f"page-{i % 50:02d}.md", "section": f"2025.{1 + i % 12:02d}.{1 + i % 28:02d}",
                       "date": dt.date(2025, 1 + i % 12, 1 + i % 28), "excerpt": excerpt},
            "quotes": [{"text": quote, "person": person}],
            "nodes": tip_nodes, "parameters": [pid], "values": [f"{pid}={value}"],
            "repos": repo, "models": model, "hardware": gpu, "people": [person], "concepts": concept,
            "settings": [{"parameter": pid, "value": value, "advice": rng.choice(ADVICE),
                          "condition": _title(rng, 5)}] if rng.random() < 0.5 else [],
            "relations": [{"type": "see-also", "tip": ids[rng.randrange(i)]}] if i and rng.random() < 0.2 else [],
            "goals": sorted(rng.sample(GOALS, 1 + (i % 2))),
            "tags": sorted(rng.sample(TAGS, 2)),
        }
        _write(entries / f"{tid}.yaml", {k: v for k, v in record.items() if v != []})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--tips", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    generate(args.out, args.tips, args.seed)


if __name__ == "__main__":
    main()
