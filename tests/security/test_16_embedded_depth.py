"""Finding 16: a deeply nested query neither crashes the caller (Python) nor the CLI.

pyoxigraph overflows its stack near 1,000 nested calls and takes its process with it. Each check runs in
a fresh interpreter, so that the old behaviour (a segfault) fails the test instead of ending pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DEEP_CALLS = "SELECT * WHERE { BIND(" + "STR(" * 3000 + "1" + ")" * 3000 + " AS ?x) }"
DEEP_GROUPS = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000

SCRIPT = """
import sys
from hkgraph.query.engine import QueryError
from hkgraph.query.kg import KnowledgeGraph
kg = KnowledgeGraph.open(sys.argv[1])
for query in sys.argv[2:]:
    try:
        kg.sparql(query)
        print("answered")
    except QueryError as exc:
        print("refused:", str(exc)[:200])
print(kg.sparql("ASK { ?s ?p ?o }"))
kg.close()
"""


def test_python_survives_and_reports(site_dist: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(site_dist), DEEP_CALLS, DEEP_GROUPS],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["refused", "refused"]
    assert "nest" in lines[0]
    assert lines[2] == "True"  # the same KnowledgeGraph goes on answering


def test_the_cli_says_why(site_dist: Path) -> None:
    root = site_dist.parent
    done = subprocess.run([sys.executable, "-m", "hkgraph", "query", "sparql", "--root", str(root), DEEP_CALLS],
                          capture_output=True, text=True, timeout=300, cwd=root)
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "nest" in done.stderr


def test_a_script_without_a_main_guard_can_query(site_dist: Path, tmp_path: Path) -> None:
    """The worker is a fresh interpreter: the caller's script is not run again in it."""
    script = tmp_path / "plain_script.py"
    script.write_text("import sys\nfrom hkgraph.query.kg import KnowledgeGraph\nprint('started')\n"
                      f"kg = KnowledgeGraph.open({str(site_dist)!r})\nprint(kg.sparql('ASK {{ ?s ?p ?o }}'))\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["started", "True"]
