"""Migrate data/ from record contract v1 to v2 (the mechanical part; see CHANGELOG.md, "Contract v2").

What it does, on the YAML files in place (run `hkgraph fmt` afterwards):

- models: the text fields `family`, `version`, `variant` go; `level` and `parent` come from the table
  PLACES below (this dataset's models; a model not in it keeps no level and is listed on stdout), LoRAs
  get `base_models` (the family they were filed under) and, where PLACES says, a `purpose`. Families
  that were only text become model entities (NEW_MODELS).
- model files (`files:` inside a model) become entities of their own in data/entities/files/.
- repos: `repo_type` model-hub → model-repo, tool → app.
- tips: `goals` drafted from the topic tags where a tag says the aim (vram → lower-vram, speed → faster,
  …), else `understand`. A draft only: every record is then read and its goals set by hand.
- source pages: one page entity per `source.page` the tips cite (title and snapshot from PAGES).

Run: .venv/bin/python scripts/migrate_v2.py [--root .]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

PLACES: dict[str, tuple[str | None, str | None]] = {
    # model id: (level, parent)
    "wan": ("family", None),
    "wan-2-1": ("version", "wan"),
    "wan-2-2": ("version", "wan"),
    "wan-2-1-flf2v-14b": ("variant", "wan-2-1"),
    "wan-2-2-t2v-14b": ("variant", "wan-2-2"),
    "wan-2-2-ti2v-5b": ("variant", "wan-2-2"),
    "wan-animate": ("variant", "wan-2-2"),
    "wan-fun": ("variant", "wan"),
    "vace": ("variant", "wan"),
    "humo": ("variant", "wan"),
    "bindweave": ("variant", "wan"),
    "wan-vae": (None, "wan"),
    "wan-2-2-vae": (None, "wan-2-2"),
    "flux": ("family", None),
    "flux-1-dev": ("variant", "flux"),
    "flux-2": ("version", "flux"),
    "ltx": ("family", None),
    "ltx-2-3": ("version", "ltx"),
    "longcat": ("family", None),
    "longcat-avatar": ("variant", "longcat"),
    "qwen-image": ("family", None),
    "pi-qwen-image": ("variant", "qwen-image"),
    "z-image": ("family", None),
    "z-image-turbo": ("variant", "z-image"),
}
LORAS: dict[str, tuple[list[str], str | None]] = {
    # LoRA id: (base models, purpose)
    "lightx2v": (["wan"], "distill"),
    "wan-2-2-lightning": (["wan-2-2"], "distill"),
    "svi-shot": (["wan"], None),
    "cinescale-lora": (["wan"], None),
}
NEW_MODELS: dict[str, dict[str, object]] = {
    "flux": {"name": "FLUX", "description": "Black Forest Labs' FLUX family of image diffusion models.",
             "level": "family", "role": "diffusion"},
    "ltx": {"name": "LTX", "aliases": ["LTXV", "LTX-Video"],
            "description": "The LTX family of video (and audio-video) generation models.",
            "level": "family", "role": "diffusion"},
    "longcat": {"name": "LongCat", "description": "The LongCat family of video generation models.",
                "level": "family", "role": "diffusion"},
}
PAGES: dict[str, str] = {"hidden-knowledge.md": "Hidden Knowledge"}
SNAPSHOT = ("8a2eec0ec904a4758136724b960325646ea196ad", "2026-06-27")
TAG_GOALS = {
    "vram": "lower-vram",
    "speed": "faster",
    "quality": "better-quality",
    "troubleshooting": "fix-error",
    "compatibility": "make-compatible",
    "install": "set-up",
    "news": "follow-news",
}
FORMATS = {".safetensors": "safetensors", ".gguf": "gguf", ".pt": "pt", ".pth": "pt", ".ckpt": "ckpt",
           ".bin": "bin", ".onnx": "onnx"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def read(path: Path) -> dict | None:
    """The record's fields; None for a file that is not a readable mapping (left for `hkgraph validate`)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), encoding="utf-8")


def migrate_models(entities: Path) -> None:
    models = entities / "models"
    present = {path.stem for path in models.glob("*.yaml")}
    needed = {parent for ident, (_level, parent) in PLACES.items() if ident in present and parent}
    for ident, fields in NEW_MODELS.items():
        if ident in needed and not (models / f"{ident}.yaml").exists():
            write(models / f"{ident}.yaml", {"id": ident, **fields})
    for path in sorted(models.glob("*.yaml")):
        data = read(path)
        if data is None or "id" not in data:
            continue
        for old in ("family", "version", "variant"):
            data.pop(old, None)
        level, parent = PLACES.get(data["id"], (None, None))
        if data["id"] not in PLACES and data.get("role") != "lora":
            print(f"{path}: no place in a family (level left out)")
        if level:
            data["level"] = level
        if parent:
            data["parent"] = parent
        if data["id"] in LORAS:
            bases, purpose = LORAS[data["id"]]
            data["base_models"] = bases
            if purpose:
                data["purpose"] = purpose
        for f in data.pop("files", []) or []:
            name = f["name"]
            suffix = Path(name).suffix.casefold()
            entry = {"id": slug(Path(name).stem if suffix in FORMATS else name), "name": name,
                     "model": data["id"], "format": FORMATS.get(suffix, "other")}
            if f.get("precision"):
                entry["precision"] = f["precision"]
            if f.get("url"):
                entry["urls"] = [f["url"]]
            write(entities / "files" / f"{entry['id']}.yaml", entry)
        write(path, data)


def migrate_repos(entities: Path) -> None:
    for path in sorted((entities / "repos").glob("*.yaml")):
        data = read(path)
        if data is None or "repo_type" not in data:
            continue
        data["repo_type"] = {"model-hub": "model-repo", "tool": "app"}.get(data["repo_type"], data["repo_type"])
        write(path, data)


def migrate_tips(root: Path) -> None:
    cited: set[str] = set()
    for path in sorted((root / "data" / "entries").glob("*.yaml")):
        data = read(path)
        if data is None:
            continue
        page = (data.get("source") or {}).get("page") if isinstance(data.get("source"), dict) else None
        if isinstance(page, str):
            cited.add(page)
        if not data.get("goals"):
            goals = [TAG_GOALS[t] for t in data.get("tags", []) if t in TAG_GOALS]
            data["goals"] = list(dict.fromkeys(goals)) or ["understand"]
        write(path, data)
    for page in sorted(cited):
        ident = slug(page.removesuffix(".md"))
        target = root / "data" / "entities" / "pages" / f"{ident}.yaml"
        if not target.exists():
            write(target, {"id": ident, "name": PAGES.get(page, page), "path": page,
                           "snapshot": SNAPSHOT[0], "snapshot_date": SNAPSHOT[1]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("."))
    root = parser.parse_args().root
    entities = root / "data" / "entities"
    if (entities / "models").is_dir():
        migrate_models(entities)
    if (entities / "repos").is_dir():
        migrate_repos(entities)
    if (root / "data" / "entries").is_dir():
        migrate_tips(root)


if __name__ == "__main__":
    main()
