"""The README's examples are real: the record shown is a record of the data, and its commands answer."""

from __future__ import annotations

import re
import shlex

from click.testing import CliRunner

from hkgraph.cli import cli

from conftest import ROOT

README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_record_shown_is_a_real_record():
    (record,) = blocks("yaml")
    ident = re.match(r"id: (\S+)", record).group(1)
    assert (ROOT / "data" / "entries" / f"{ident}.yaml").read_text() == record, (
        "README's example record differs from the data: copy the file into README.md")


def test_the_query_commands_answer():
    commands = [b for b in blocks("sh") if "hkgraph query" in b]
    assert len(commands) == 2
    for block in commands:
        args = shlex.split(block.replace("\\\n", " "))
        assert args[0] == ".venv/bin/hkgraph"
        result = CliRunner().invoke(cli, [*args[1:], "--root", str(ROOT), "--format", "json"])
        assert result.exit_code == 0, result.output
        assert result.output.strip() not in ("[]", ""), block


def test_the_python_example_runs(tmp_path, monkeypatch):
    import shutil

    (code,) = blocks("python")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's own example
    kg = namespace["kg"]
    assert kg.entity("quanatization").id == "wanvideo-model-loader-quantization"
    assert len(kg.sparql("SELECT ?n WHERE { ?n hkv:providedBy repo:comfyui-kjnodes } LIMIT 3")) == 3
    assert any(t.id for t in kg.tips(node="WanVideo Model Loader", tag="vram"))
