"""Recognise the model files a workflow loads by what they are, not only by their exact name.

Two sources, the first that knows wins for each field:

1. the built database: a file entity whose ``file_name`` is the file's base name (contract v2 table
   ``files``; the v1 table ``model_files`` before it) gives the model, and the model's ``parent`` chain
   (expert → variant → version → family) or its ``family`` column gives the family;
2. a parser of the file name and of the loader that loads it (documented in docs/advise.md):

   =============  ============================================================================
   field          read from
   =============  ============================================================================
   format         the suffix: ``.safetensors``, ``.gguf``, ``.pt``/``.pth``, ``.ckpt``, ``.bin``, ``.onnx``
   precision      ``bf16``, ``fp16``, ``fp32``, ``fp8_e4m3fn``/``fp8_e5m2`` (``_scaled`` when the name says
                  scaled), ``nvfp4``, ``mxfp8``, ``int8``, GGUF quantizations ``Q4_K_M``, ``Q8_0``…
   role           the loader (``LoraLoader*`` → lora, ``VAELoader`` → vae, ``CLIPLoader`` → text encoder,
                  ``CLIPVisionLoader`` → clip vision, ``UpscaleModelLoader`` → upscaler, else diffusion);
                  the input name (``lora``, ``vae``, ``clip_name``…) where the loader is not known
   family         ``wan``, ``ltx``, ``hunyuan``, ``z-image`` / ``zimage``, ``qwen-image``, ``flux``,
                  ``sdxl``, ``cosmos``, ``mochi``, ``skyreels``…; version ``2.1``/``2_2``/``22``
   variant        ``t2v``, ``i2v``, ``ti2v``, ``flf2v``, ``fun``, ``vace``, ``animate``, ``s2v``, ``humo``;
                  size ``14B``, ``5B``, ``1.3B``
   expert         ``high_noise`` / ``HighNoise`` → high noise; ``low_noise`` → low noise
   LoRA purpose   ``lightx2v``, ``lightning``, ``distill``, ``causvid``, ``fusionx``, ``turbo``, ``hyper``,
                  ``4step``/``8steps``, ``rCM`` → distill (a speed LoRA meant for few steps at cfg 1)
   =============  ============================================================================
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

SUFFIXES = {".safetensors": "safetensors", ".sft": "safetensors", ".gguf": "gguf", ".pt": "pt", ".pth": "pt",
            ".ckpt": "ckpt", ".bin": "bin", ".onnx": "onnx"}
LOADER_ROLES = (
    ("lora", "lora"), ("vaeloader", "vae"), ("vae_loader", "vae"), ("clipvision", "clip-vision"),
    ("cliploader", "text-encoder"), ("textencoder", "text-encoder"), ("t5", "text-encoder"),
    ("upscalemodel", "upscaler"), ("controlnet", "controlnet"),
)
INPUT_ROLES = {"lora": "lora", "lora_name": "lora", "vae": "vae", "vae_name": "vae", "model_name": None,
               "clip_name": "text-encoder", "clip_name1": "text-encoder", "clip_name2": "text-encoder",
               "text_encoder": "text-encoder", "t5": "text-encoder", "clip_vision": "clip-vision"}
FAMILIES = (  # (token in the folded name, family)
    ("wan", "Wan"), ("ltx", "LTX"), ("hunyuan", "HunyuanVideo"), ("zimage", "Z-Image"), ("z_image", "Z-Image"),
    ("z-image", "Z-Image"), ("qwen_image", "Qwen-Image"), ("qwen-image", "Qwen-Image"), ("qwenimage", "Qwen-Image"),
    ("flux", "FLUX"), ("sdxl", "SDXL"), ("cosmos", "Cosmos"), ("mochi", "Mochi"), ("skyreels", "Wan"),
    ("longcat", "LongCat"), ("ovi", "Ovi"), ("kandinsky", "Kandinsky"), ("umt5", "UMT5"), ("gemma", "Gemma"),
    ("chroma", "Chroma"), ("hidream", "HiDream"), ("seedvr", "SeedVR"),
)
VARIANTS = ("ti2v", "i2v", "t2v", "flf2v", "fl2v", "vace", "animate", "s2v", "humo", "fun", "scail", "infinitetalk",
            "multitalk", "phantom", "minimax", "magref", "uni3c", "svi")
DISTILL = ("lightx2v", "lightning", "distill", "causvid", "fusionx", "turbo", "hyper", "4step", "4steps", "8step",
           "8steps", "rcm", "lcm", "accvid", "self_forcing", "selfforcing")
GGUF_QUANT = re.compile(r"(?<![a-z0-9])(i?q[2-8](?:_k)?(?:_[a-z0-9]+)?|f16|bf16|f32)(?![a-z0-9])")


@dataclass
class ModelFile:
    """What the advisor knows about one file a workflow loads."""

    file: str
    node: str  # exec id of the loader
    loader: str
    input: str | None = None
    format: str | None = None
    precision: str | None = None
    role: str | None = None
    family: str | None = None
    version: str | None = None
    variant: str | None = None
    size: str | None = None
    expert: str | None = None  # high-noise | low-noise
    purpose: str | None = None  # LoRA purpose: distill, other
    strength: float | None = None
    active: bool = True
    model: dict[str, Any] | None = None  # {id, name} of the data's model, when known
    known_by: str = "file name"  # database | file name
    families: list[str] = field(default_factory=list)  # the data's family chain, most specific first

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], "")}

    @property
    def scaled_fp8(self) -> bool:
        return bool(self.precision and "fp8" in self.precision and "scaled" in self.precision)

    @property
    def distill(self) -> bool:
        return self.role == "lora" and self.purpose == "distill"


def basename(name: str) -> str:
    return re.split(r"[\\/]", name)[-1]


def parse_file_name(name: str, loader: str = "", input_name: str | None = None) -> dict[str, Any]:
    """The fields the file name (and its loader) say, by the rules of the module docstring."""
    base = basename(name)
    folded = base.casefold()
    stem, dot, suffix = folded.rpartition(".")
    stem = stem if dot else folded
    out: dict[str, Any] = {"format": SUFFIXES.get(f".{suffix}", "other") if dot else None}
    tokens = set(re.split(r"[^a-z0-9.]+", stem.replace("-", "_"))) | set(re.split(r"[^a-z0-9]+", stem))
    # precision
    precision = None
    for candidate in ("nvfp4", "mxfp8", "fp8_e4m3fn", "fp8_e5m2", "int8", "int4", "bf16", "fp16", "fp32", "fp8"):
        if candidate in stem.replace("-", "_"):
            precision = candidate
            break
    if out["format"] == "gguf":
        m = GGUF_QUANT.search(stem.replace("-", "_"))
        if m:
            precision = m.group(1).upper().replace("BF16", "bf16").replace("F16", "fp16").replace("F32", "fp32")
    if precision and precision.startswith("fp8") and "scaled" in stem:
        precision = (precision if precision != "fp8" else "fp8") + "_scaled"
    out["precision"] = precision
    # role: the loader first, then the input name
    role = None
    lowered = loader.casefold()
    for token, candidate in LOADER_ROLES:
        if token in lowered:
            role = candidate
            break
    if role is None and input_name in INPUT_ROLES:
        role = INPUT_ROLES[input_name]
    if role is None and ("lora" in stem or "_r128" in stem or "rank" in stem):
        role = "lora"
    if role is None and ("vae" in tokens or stem.startswith("vae") or "_vae" in stem):
        role = "vae"
    if role is None and any(t in stem for t in ("umt5", "t5xxl", "clip_l", "text_enc", "qwen_2.5_vl", "gemma")):
        role = "text-encoder"
    out["role"] = role or "diffusion"
    squashed = stem.replace("-", "_")
    plain = squashed.replace("_", "")
    for token, family in FAMILIES:
        if re.search(rf"(?<![a-z]){re.escape(token.replace('_', '').replace('-', ''))}", plain):
            out["family"] = family
            break
    m = re.search(r"wan[_\s.]?(2)[._]?([12])(?![0-9])", squashed)
    if m:
        out["version"] = f"{m.group(1)}.{m.group(2)}"
    else:
        m = re.search(r"ltx[_v]*[_.]?(\d)[._](\d)", squashed)
        if m:
            out["version"] = f"{m.group(1)}.{m.group(2)}"
    for variant in VARIANTS:
        if re.search(rf"(?<![a-z]){variant}(?![a-z])", squashed):
            out["variant"] = variant.upper() if len(variant) <= 5 else variant
            break
    m = re.search(r"(?<![a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z])", squashed)
    if m:
        out["size"] = f"{m.group(1)}B"
    if re.search(r"high[_]?noise|(?<![a-z])high(?![a-z])|_hn(?![a-z])|_h(?:igh)?_", squashed) and "low" not in squashed:
        out["expert"] = "high-noise"
    elif re.search(r"low[_]?noise|(?<![a-z])low(?![a-z])|_ln(?![a-z])", squashed):
        out["expert"] = "low-noise"
    if out["role"] == "lora":
        out["purpose"] = "distill" if any(t in squashed.replace("_", "") or t in squashed for t in DISTILL) \
            else "other"
    return out


# --------------------------------------------------------------------------------- from the database


@dataclass
class ModelIndex:
    """Model and file entities of the built database, for recognising files."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_file: dict[str, dict[str, Any]] = field(default_factory=dict)  # folded base name → file row

    def family_chain(self, model_id: str | None) -> list[str]:
        """Model ids from the model up to its family (contract v2 ``parent``), most specific first."""
        out: list[str] = []
        while model_id and model_id in self.models and model_id not in out and len(out) < 8:
            out.append(model_id)
            model_id = self.models[model_id].get("parent_id")
        return out

    def family_name(self, model_id: str | None) -> str | None:
        family_id = self.models.get(model_id or "", {}).get("family_id")
        if family_id in self.models:
            return self.models[family_id]["name"]
        chain = self.family_chain(model_id)
        for mid in reversed(chain):
            row = self.models[mid]
            if row.get("level") == "family":
                return row["name"]
        if chain:
            return self.models[chain[0]].get("family")
        return None


def read_model_index(conn: Any) -> ModelIndex:
    """Read models and model files from a built database (v1 or v2 tables, whichever exist)."""
    index = ModelIndex()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}

    def columns(table: str) -> set[str]:
        return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}

    if "models" in tables:
        cols = columns("models")
        wanted = [c for c in ("id", "name", "family", "version", "variant", "role", "level", "parent", "parent_id",
                              "family_id", "purpose", "aliases") if c in cols]
        for row in conn.execute(f"SELECT {', '.join(wanted)} FROM models"):
            rec = dict(zip(wanted, row, strict=True))
            rec.setdefault("parent_id", rec.get("parent"))  # contract v2 names the column `parent`
            index.models[row[0]] = rec
    if "files" in tables:  # contract v2: a file entity per model file (`name` is the file name)
        cols = columns("files")
        wanted = [c for c in ("id", "name", "file_name", "model_id", "model", "format", "precision") if c in cols]
        for row in conn.execute(f"SELECT {', '.join(wanted)} FROM files"):
            rec = dict(zip(wanted, row, strict=True))
            rec.setdefault("model_id", rec.get("model"))
            name = rec.get("file_name") or rec.get("name")
            if name:
                index.by_file.setdefault(basename(name).casefold(), rec)
    if "model_files" in tables:
        for fid, model_id, name, precision in conn.execute("SELECT id, model_id, name, precision FROM model_files"):
            index.by_file.setdefault(basename(name or "").casefold(), {"id": fid, "model_id": model_id,
                                                                       "precision": precision})
    return index


def recognise_file(name: str, node: str, loader: str, input_name: str | None, index: ModelIndex | None) -> ModelFile:
    """One loaded file: database facts first, the file-name parser for the rest."""
    parsed = parse_file_name(name, loader, input_name)
    mf = ModelFile(file=name, node=node, loader=loader, input=input_name, **parsed)
    if index is None:
        return mf
    row = index.by_file.get(basename(name).casefold())
    if row and row.get("model_id") in index.models:
        model = index.models[row["model_id"]]
        mf.model = {"id": model["id"], "name": model["name"]}
        mf.known_by = "database"
        mf.precision = row.get("precision") or mf.precision
        mf.format = row.get("format") or mf.format
        mf.families = index.family_chain(model["id"])
        family = index.family_name(model["id"])
        if family:
            mf.family = family
        if model.get("role"):
            mf.role = model["role"]
        if model.get("purpose") in ("speed", "distill"):
            mf.purpose = "distill"
    return mf


def model_family(index: ModelIndex | None, model_id: str | None) -> str | None:
    """The family a model of the data belongs to (for judging whether advice is about another family)."""
    if index is None or not model_id:
        return None
    return index.family_name(model_id)


def same_family(a: str | None, b: str | None) -> bool:
    fold = re.compile(r"[^a-z0-9]")
    return bool(a and b and fold.sub("", a.casefold()) == fold.sub("", b.casefold()))
