"""Generated files are committed and must not drift from the models; records are canonical."""

from __future__ import annotations

import json

import jsonschema
import yaml

from hkgraph.compile.schema import drifted, json_schemas
from hkgraph.records.fmt import format_tree

from conftest import ROOT


def test_schema_files_match_the_models():
    stale = drifted(ROOT / "schema")
    assert stale == [], f"schema/ is out of date ({', '.join(stale)}): run `hkgraph schema`"


def test_records_are_canonical():
    changed, problems = format_tree(ROOT, check=True)
    names = [str(p.relative_to(ROOT)) for p in changed]
    assert names == [], f"not in canonical form: {names}; run `hkgraph fmt`"
    assert problems == []


def test_records_satisfy_the_json_schema():
    schemas = json_schemas()
    validator = jsonschema.Draft202012Validator(schemas["tip.schema.json"])
    for path in sorted((ROOT / "data/entries").glob("*.yaml")):
        data = json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))
        errors = [e.message for e in validator.iter_errors(data)]
        assert errors == [], path.name


def test_fmt_rewrites_a_messy_record(tmp_path):
    import shutil

    from conftest import FIXTURES

    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    path = tmp_path / "data/entities/concepts/vram.yaml"
    path.write_text("aliases: [video memory]   \nname: 'VRAM'\nid: vram\n")
    changed, _ = format_tree(tmp_path, check=True)
    assert changed == [path]
    format_tree(tmp_path, check=False)
    assert path.read_text() == "id: vram\nname: VRAM\naliases:\n- video memory\n"
    assert format_tree(tmp_path, check=True)[0] == []
