"""Where the records live in a project folder (plain paths: importing this loads nothing else)."""

from __future__ import annotations

from pathlib import Path

ENTRIES_DIR = Path("data") / "entries"
ENTITIES_DIR = Path("data") / "entities"
COVERAGE_FILE = Path("data") / "coverage.tsv"  # per-page coverage figures (`hkgraph coverage --write`)
SCHEMA_DIR = Path("schema")
