"""Bad input gets a clear error naming file, line, column and field; every problem is reported at once.

Each folder under tests/fixtures/invalid/ is laid over a copy of tests/fixtures/valid/; its expected.txt
holds the exact problems `hkgraph validate` must report.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli
from hkgraph.records.checks import check_dataset
from hkgraph.records.load import load_dataset
from hkgraph.records.yamlio import MAX_FILE_BYTES

from conftest import FIXTURES

CASES = sorted(p.name for p in (FIXTURES / "invalid").iterdir())


def overlay(case: str, tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    shutil.copytree(FIXTURES / "invalid" / case, tmp_path, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("expected.txt"))
    return tmp_path


def test_valid_fixture_has_no_problems():
    assert [str(p) for p in check_dataset(load_dataset(FIXTURES / "valid"))] == []


@pytest.mark.parametrize("case", CASES)
def test_invalid_fixture_reports_exact_messages(case: str, tmp_path: Path):
    root = overlay(case, tmp_path)
    expected = (FIXTURES / "invalid" / case / "expected.txt").read_text().splitlines()
    assert [str(p) for p in check_dataset(load_dataset(root))] == expected


@pytest.mark.parametrize("case", CASES)
def test_validate_command_exits_1_and_lists_every_error(case: str, tmp_path: Path):
    root = overlay(case, tmp_path)
    expected = (FIXTURES / "invalid" / case / "expected.txt").read_text().splitlines()
    result = CliRunner().invoke(cli, ["validate", "--root", str(root)])
    assert result.exit_code == 1
    for line in expected:
        assert line in result.output
    assert "error(s)" in result.output


def test_huge_file_is_refused_before_parsing(tmp_path: Path):
    root = overlay("id-mismatch", tmp_path)
    (root / "data/entries/file-name.yaml").unlink()
    (root / "data/entries/huge.yaml").write_text("id: huge\nsummary: " + "x" * MAX_FILE_BYTES + "\n")
    problems = [str(p) for p in check_dataset(load_dataset(root))]
    assert problems == [
        f"data/entries/huge.yaml:1:1: file is {MAX_FILE_BYTES + 19:,} bytes; a record may be at most "
        f"{MAX_FILE_BYTES:,} bytes"
    ]


def test_nested_alias_bomb_is_refused_quickly(tmp_path: Path):
    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    lines = ["id: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 30)]
    (tmp_path / "data/entries/bomb.yaml").write_text("\n".join(lines) + "\n")
    problems = [str(p) for p in load_dataset(tmp_path).problems]
    # 29 levels of 10 aliases would be 10^30 strings if expanded; each alias is refused instead.
    assert len(problems) == 290
    assert problems[0] == "data/entries/bomb.yaml:3:10: a1[0]: YAML aliases (*name) are not allowed; write the value out"


def test_empty_file(tmp_path: Path):
    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    (tmp_path / "data/entries/empty.yaml").write_text("")
    assert [str(p) for p in load_dataset(tmp_path).problems] == ["data/entries/empty.yaml:1:1: the file is empty"]


def test_record_that_is_not_a_mapping(tmp_path: Path):
    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    (tmp_path / "data/entries/list.yaml").write_text("- a\n- b\n")
    assert [str(p) for p in load_dataset(tmp_path).problems] == [
        "data/entries/list.yaml:1:1: expected a mapping of fields, got list"
    ]


def test_warnings_do_not_fail_validation(tmp_path: Path):
    shutil.copytree(FIXTURES / "valid", tmp_path, dirs_exist_ok=True)
    path = tmp_path / "data/entries/wrapper-offloads-everything.yaml"
    path.write_text(path.read_text().replace("wrapper just offloads everything\n  person", "not in excerpt\n  person"))
    result = CliRunner().invoke(cli, ["validate", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "quotes[0].text: warning: quote text does not appear in the excerpt" in result.output


def test_a_markdown_escaped_file_name_names_the_file():
    # loras/part-01.md writes file names with Markdown-escaped underscores (`Wan\_2\_2\_I2V…`): `\_` is one
    # separator, so the excerpt names the file the way `Wan_2_2_I2V…` does.
    from hkgraph.records.mentions import names_any, normalise

    escaped = r"**recommended**<br>Wan\_2\_2\_I2V\_A14B\_HIGH\_lightx2v\_4step\_lora\_v1030_rank_64_bf16 |"
    assert names_any(escaped, ["Wan_2_2_I2V_A14B_HIGH_lightx2v_4step_lora_v1030_rank_64_bf16"])
    assert normalise(r"a\_b -_ c") == "a b c"
