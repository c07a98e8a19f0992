"""Every example of docs/scale.md runs and gives the answer the page shows (in a copy of tests/fixtures/kg)."""

from __future__ import annotations

import doctest
import re
import shutil

from conftest import FIXTURES, ROOT

DOC = ROOT / "docs" / "scale.md"


def test_scale_examples(tmp_path, monkeypatch):
    shutil.copytree(FIXTURES / "kg" / "data", tmp_path / "data")
    shutil.copytree(ROOT / "schema", tmp_path / "schema")
    monkeypatch.chdir(tmp_path)
    text = DOC.read_text(encoding="utf-8")
    source = "\n".join(re.findall(r"^```pycon\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL))
    test = doctest.DocTestParser().get_doctest(source, {}, "docs/scale.md", str(DOC), 0)
    assert len(test.examples) >= 10
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0, "an example of docs/scale.md failed (see above)"
