"""Finding 14: NaN and infinities are refused in number fields, a record that is a symbolic link out of
data/ is refused, and a huge file is refused without being read whole."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from hkgraph.cli import cli

from conftest import FIXTURES, ROOT


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "site" / "data", tmp_path / "project" / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "project" / "schema")
    return tmp_path / "project"


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", ".NaN"])
def test_not_a_number_is_refused(project: Path, value: str) -> None:
    card = project / "data" / "entities" / "hardware" / "rtx-3090.yaml"
    card.write_text(card.read_text().replace("vram_gb: 24.0", f"vram_gb: {value}"))
    line = card.read_text().splitlines().index(f"vram_gb: {value}") + 1
    result = CliRunner().invoke(cli, ["validate", "--root", str(project)])
    assert result.exit_code == 1
    assert f"data/entities/hardware/rtx-3090.yaml:{line}:10: vram_gb: expected a finite number" in result.output


def test_a_link_out_of_data_is_refused(project: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text((project / "data" / "entities" / "hardware" / "rtx-3090.yaml").read_text()
                       .replace("rtx-3090", "rtx-9999").replace("RTX 3090", "RTX 9999"))
    (project / "data" / "entities" / "hardware" / "rtx-9999.yaml").symlink_to(outside)
    result = CliRunner().invoke(cli, ["validate", "--root", str(project)])
    assert result.exit_code == 1
    assert "data/entities/hardware/rtx-9999.yaml:1:1: a symbolic link to" in result.output
    assert "outside data/" in result.output


def test_a_huge_file_is_not_read_whole(project: Path) -> None:
    huge = project / "data" / "entries" / "huge.yaml"
    with huge.open("wb") as f:
        f.truncate(1536 << 20)  # 1.5 GB (sparse)
    script = ("import resource, sys\n"
              "from hkgraph.cli import cli\n"
              "try:\n    cli(['validate', '--root', sys.argv[1]])\n"
              "except SystemExit:\n    pass\n"
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", script, str(project)], capture_output=True, text=True, timeout=300)
    assert "data/entries/huge.yaml:1:1: file is 1,610,612,736 bytes; a record may be at most 1,000,000 bytes" in (
        done.stdout + done.stderr)
    peak_kb = int(done.stdout.strip().splitlines()[-1])
    assert peak_kb < 1_000_000, f"validate used {peak_kb / 1024:.0f} MB"  # less than the file's 1,536 MB
    os.remove(huge)
