"""The flat rows the command line prints are read without the models, and equal what the typed records give."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from hkgraph import KnowledgeGraph
from hkgraph.query import fieldmap
from hkgraph.query.kg import ENTITY_KINDS, entity_rows, setting_row, tip_row

from conftest import ROOT

# modules a table from the command line must not need
HEAVY = ("pydantic", "httpx", "rdflib", "sqlite_utils", "pyshacl", "hkgraph.records.model", "hkgraph.compile.build")


@pytest.fixture(scope="module", params=["kg", "real"])
def graph(request: pytest.FixtureRequest, kg_dist: Path) -> KnowledgeGraph:
    dist = kg_dist if request.param == "kg" else request.getfixturevalue("built_dist")
    with KnowledgeGraph.open(dist) as kg:
        yield kg


def entity_ids(kg: KnowledgeGraph) -> list[tuple[str, str]]:
    assert kg.dist is not None
    conn = sqlite3.connect(kg.dist / "hkgraph.db")
    found = [(kind, ident) for kind, ident in conn.execute("SELECT kind, entity_id FROM names GROUP BY kind, entity_id")]
    conn.close()
    assert {kind for kind, _ in found} <= set(ENTITY_KINDS)
    return found


def test_the_field_map_matches_the_models() -> None:
    assert not fieldmap.drifted(), "run `hkgraph schema` to regenerate src/hkgraph/query/record_fields.json"
    assert fieldmap.vocabulary("entity_kinds") == ENTITY_KINDS


def test_entity_rows_equal_the_records_rows(graph: KnowledgeGraph) -> None:
    found = entity_ids(graph)
    assert len(found) > 20
    for kind, ident in found:
        assert graph.entity_rows(ident, kind) == entity_rows(graph.entity(ident, kind)), (kind, ident)


FILTERS = [{}, {"tag": "vram"}, {"kind": "setting"}, {"include_superseded": True}, {"limit": 3}, {"text": "vram"},
           {"goal": "faster"}]


def test_tip_rows_equal_the_records_rows(graph: KnowledgeGraph) -> None:
    nodes = [ident for kind, ident in entity_ids(graph) if kind == "node"][:5]
    for filters in [*FILTERS, *({"node": n, "about": True} for n in nodes)]:
        rows = graph.tip_rows(**filters)
        assert rows == [tip_row(t) for t in graph.tips(**filters)], filters
    assert graph.tip_rows()  # the comparison was not of two empty lists


def test_setting_rows_equal_the_records_rows(graph: KnowledgeGraph) -> None:
    nodes = [ident for kind, ident in entity_ids(graph) if kind == "node"]
    assert graph.setting_rows() == [setting_row(s) for s in graph.settings()]
    assert graph.setting_rows()
    for node in nodes[:10]:
        assert graph.setting_rows(node=node) == [setting_row(s) for s in graph.settings(node=node)], node
    for advice in fieldmap.vocabulary("advice"):
        assert graph.setting_rows(advice=advice) == [setting_row(s) for s in graph.settings(advice=advice)]


SCRIPT = """
import json, sys
from click.testing import CliRunner
from hkgraph.cli import cli
args = json.loads(sys.argv[1])
result = CliRunner().invoke(cli, args, catch_exceptions=False)
assert result.exit_code == 0, result.output
heavy = json.loads(sys.argv[2])
print(json.dumps([m for m in heavy if m in sys.modules]))
"""


@pytest.mark.parametrize("args", [
    ["--help"],
    ["query", "sql", "SELECT count(*) AS n FROM tips"],
    ["tips", "--tag", "vram"],
    ["tips", "--tag", "vram", "--format", "csv"],
    ["entity", "WanVideo Sampler"],
    ["settings", "--advice", "prefer"],
])
def test_a_table_on_built_data_loads_no_heavy_module(args: list[str], built_dist: Path) -> None:
    """The command line answers on an up-to-date build without the compiler, the models, rdflib or httpx."""
    if args[0] != "--help":
        args = [*args, "--root", str(ROOT)]
        # --root builds into ROOT/dist; make sure it is current first (this is not what is measured)
        subprocess.run([sys.executable, "-m", "hkgraph", "build", "--root", str(ROOT)], check=True, capture_output=True)
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args), json.dumps(HEAVY)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.splitlines()[-1]) == []


def test_the_name_index_from_sqlite_equals_the_one_from_the_graph(graph: KnowledgeGraph) -> None:
    """On the files the name index is read from hkgraph.db's names table; it is the graph's, name for name."""
    assert graph.dist is not None
    from_sql = KnowledgeGraph.open(graph.dist)
    from_graph = KnowledgeGraph.open(graph.dist)
    from_graph._labels_from_sql = lambda: None  # type: ignore[method-assign]
    try:
        sql_labels, graph_labels = from_sql._load_labels(), from_graph._load_labels()
        assert {k: dict(v) for k, v in sql_labels.items()} == {k: dict(v) for k, v in graph_labels.items()}
        assert from_sql._names == from_graph._names and len(from_sql._names) > 20
        assert dict(from_sql._spellings) == dict(from_graph._spellings)
        assert from_sql._parameter_nodes == from_graph._parameter_nodes
    finally:
        from_sql.close()
        from_graph.close()


def test_one_name_is_looked_up_without_reading_every_name(graph: KnowledgeGraph) -> None:
    """A name asked for on the files is found through the names table's index on the normal form; the
    answer is the full index's, for every spelling the data has (also upper-cased and padded), and no
    name index is built for it."""
    assert graph.dist is not None
    full = KnowledgeGraph.open(graph.dist)
    one = KnowledgeGraph.open(graph.dist)
    try:
        index = full._load_labels()
        asked = 0
        for kind, spellings in index.items():
            for key in spellings:
                for spelling in (key, key.upper(), f"  {key} "):
                    assert one._lookup(kind, spelling) == full._lookup(kind, spelling), (kind, spelling)
                    asked += 1
        assert asked > 60 and one._labels is None
        assert one._lookup("node", "no such node at all") == []
    finally:
        full.close()
        one.close()


def test_an_unknown_tip_filter_is_named_with_the_closest_one(graph: KnowledgeGraph) -> None:
    """`tips` and `tip_rows` take the same filters; a misspelt one is refused by name, with a suggestion."""
    for method in (graph.tips, graph.tip_rows):
        with pytest.raises(TypeError, match=r"got an unknown filter 'nodes'; did you mean 'node'"):
            method(nodes="WanVideo Sampler")
