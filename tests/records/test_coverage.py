"""Coverage of source pages: what counts as content, and pages that repeat another page's lines."""

from __future__ import annotations

import shutil

from click.testing import CliRunner

from hkgraph.cli import cli
from hkgraph.records.coverage import folder_coverage, is_content, table_text
from hkgraph.records.load import load_dataset

from conftest import FIXTURES

PAGE = """# A page

* [Another page](other.md)
- [A section elsewhere](sub/page.md#part)
[Drozbay](hidden-knowledge.md#drozbay):
> `quantization` of `fp8_e5m2` without `scaled` is "the worst way to use the model".
* [An outside link](https://example.org/x.md)
| a | b |
|---|---|
![only an image](x.png)
"""


def test_navigation_images_headings_and_rules_are_not_content():
    kept = [line for line in PAGE.splitlines() if is_content(line)]
    assert kept == [
        "[Drozbay](hidden-knowledge.md#drozbay):",  # introduces a quote: content
        '> `quantization` of `fp8_e5m2` without `scaled` is "the worst way to use the model".',
        "* [An outside link](https://example.org/x.md)",  # a resource, not site navigation
        "| a | b |",
    ]


def test_a_folder_gives_one_row_per_page_and_also_on_counts(tmp_path):
    root = tmp_path / "project"
    shutil.copytree(FIXTURES / "valid", root)
    site = tmp_path / "site"
    (site / "loras").mkdir(parents=True)
    line = '`quantization` of `fp8_e5m2` without `scaled` is "the worst way to use the model".'
    (site / "hidden-knowledge.md").write_text(f"# Hidden\n\n{line}\nnot covered\n")
    (site / "loras" / "copy.md").write_text(f"# Copy\n\n{line}\n")
    (site / "LICENSE.md").write_text("# Licence\n\nno know-how here\n")
    results = folder_coverage(site, load_dataset(root))
    assert [(r.page, r.content, r.covered, r.records) for r in results] == [
        ("hidden-knowledge.md", 2, 1, 2), ("loras/copy.md", 1, 0, 0)]
    # the owner page's record declares the copy: the copy is covered too
    tip = root / "data/entries/unscaled-fp8-e5m2-is-worst.yaml"
    tip.write_text(tip.read_text().replace("  date: 2025-12-07\n", "  date: 2025-12-07\n  also_on:\n  - loras/copy.md\n"))
    (root / "data/entities/pages/copy.yaml").write_text(
        "id: copy\nname: Copy\npath: loras/copy.md\nsnapshot: '0'\nsnapshot_date: 2026-01-01\n")
    results = folder_coverage(site, load_dataset(root))
    assert [(r.page, r.covered) for r in results] == [("hidden-knowledge.md", 1), ("loras/copy.md", 1)]
    assert table_text(results).splitlines() == [
        "page\tcontent_lines\tcovered_lines\trecords", "hidden-knowledge.md\t2\t1\t2", "loras/copy.md\t1\t1\t0"]
    out = CliRunner().invoke(cli, ["coverage", str(site), "--root", str(root), "--format", "json"])
    assert out.exit_code == 0, out.output
    assert '"page": "total"' in out.output and '"content_lines": 3' in out.output
    written = tmp_path / "coverage.tsv"
    out = CliRunner().invoke(cli, ["coverage", str(site), "--root", str(root), "--write", str(written), "--min", "1"])
    assert out.exit_code == 1  # 2 of 3 lines covered
    assert written.read_text() == table_text(results)


def test_a_table_of_contents_section_is_navigation(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "part.md").write_text("# Part\n\n## Parts Table Of Contents\n\n* This part; this document\n\n"
                                  "## 2026.01\n\nreal know-how\n")
    [result] = folder_coverage(site, load_dataset(FIXTURES / "valid"))
    assert (result.content, result.uncovered) == (1, [(9, "real know-how")])


def test_a_table_of_contents_ends_with_its_list(tmp_path):
    # loras/both-ways.md and loras/part-02.md go on under the contents heading with a paragraph and a
    # table: those lines are know-how, not navigation.
    site = tmp_path / "site"
    site.mkdir()
    (site / "part.md").write_text("# Part\n\n## Parts Table Of Contents\n\n* [Other](other.md)\n"
                                  "* This part; this document\n\n\nA paragraph under the same heading.\n\n"
                                  "| a | b |\n| --- | --- |\n| 1 | 2 |\n")
    [result] = folder_coverage(site, load_dataset(FIXTURES / "valid"))
    assert result.uncovered == [(9, "A paragraph under the same heading."), (11, "| a | b |"), (13, "| 1 | 2 |")]
