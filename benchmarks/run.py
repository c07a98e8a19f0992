"""Scale benchmarks: build time by stage, peak memory, the plain path, rebuilds and query latency.

``make bench-stages`` (or ``python benchmarks/run.py --out benchmarks/STAGES.md``) generates synthetic data at 1k, 10k and 100k tips
under benchmarks/work/ (kept between runs), measures, and writes benchmarks/RESULTS.md. Every build
and every query set runs in a fresh process, so that peak memory is that of one build.

    python benchmarks/run.py --sizes 1000,10000 --repeat 7
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(HERE))

PLAIN_MAX = 10_000  # rdflib's Turtle writer turns quadratic on this graph (RDFLib/rdflib#1752): 100k takes ~20 min
RDFLIB_QUERY_MAX = 10_000  # rdflib's engine needs minutes per join at 100k


# ------------------------------------------------------------------------------- child processes


def _peak() -> dict[str, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mb": round(me, 1), "workers_peak_mb": round(children, 1)}


def child_build(root: str, out: str, incremental: str) -> dict[str, Any]:
    from hkgraph.compile.build import build

    t = time.perf_counter()
    result = build(root, out, incremental=incremental == "1")
    wall = time.perf_counter() - t
    return {"wall": wall, "timings": result.timings, "triples": result.triples, "incremental": result.incremental,
            "parsed": result.parsed, **_peak()}


def child_stages(root: str) -> dict[str, Any]:
    """Parse and validate, one after the other in one process (the build does both in workers)."""
    import gc

    from hkgraph.records.load import iter_record_files
    from hkgraph.records.yamlio import read_yaml

    gc.disable()
    files = [(c, p) for c, p in iter_record_files(Path(root)) if p.suffix == ".yaml"]
    t = time.perf_counter()
    parsed = [(c, read_yaml(p).data) for c, p in files]
    parse = time.perf_counter() - t
    t = time.perf_counter()
    for model_cls, data in parsed:
        model_cls.model_validate(data)
    return {"parse": parse, "validate": time.perf_counter() - t}


def child_plain(root: str, out: str) -> dict[str, Any]:
    from plain import plain_build

    t = time.perf_counter()
    timings = plain_build(Path(root), Path(out))
    return {"wall": time.perf_counter() - t, "timings": timings, **_peak()}


def child_rebuilds(root: str, out: str, repeat: str) -> dict[str, Any]:
    """Edit one tip, rebuild; ``repeat`` times. The tip's title gets one more word each time."""
    from hkgraph.compile.build import build

    entries = sorted((Path(root) / "data" / "entries").iterdir())
    tip = entries[len(entries) // 2]
    original = tip.read_text(encoding="utf-8")
    walls, runs = [], []
    try:
        for i in range(int(repeat)):
            tip.write_text(original.replace("title: ", f"title: edit{i} ", 1), encoding="utf-8")
            t = time.perf_counter()
            result = build(root, out)
            walls.append(time.perf_counter() - t)
            runs.append({"incremental": result.incremental, "parsed": result.parsed, "timings": result.timings})
        noop = []
        for _ in range(3):
            t = time.perf_counter()
            build(root, out)
            noop.append(time.perf_counter() - t)
    finally:
        tip.write_text(original, encoding="utf-8")  # the data set stays as generated
    return {"walls": walls, "runs": runs, "noop": noop, "tip": tip.name}


def _median_time(fn: Any, repeat: int) -> float:
    t = time.perf_counter()
    fn()  # warm up (caches, name index)
    if time.perf_counter() - t > 1:
        repeat = min(repeat, 3)  # keeps the 100k run within minutes
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def child_queries(dist: str, repeat: str, with_rdflib: str) -> dict[str, Any]:
    import sqlite3

    import pyoxigraph as ox

    from hkgraph import KnowledgeGraph
    from hkgraph.query.engine import sparql_prologue

    r = int(repeat)
    kg = KnowledgeGraph.open(dist)
    store = ox.Store.read_only(str(Path(dist) / "oxigraph"))
    conn = sqlite3.connect(f"file:{Path(dist) / 'hkgraph.db'}?mode=ro", uri=True)
    prologue = sparql_prologue()
    first_tip = conn.execute("SELECT id FROM tips ORDER BY id LIMIT 1").fetchone()[0]
    node = "node-00010"
    sparql = {
        "lookup: a tip's title and kind": f"SELECT ?title ?kind WHERE {{ tip:{first_tip} dcterms:title ?title ; hkv:kind ?kind }}",
        "join: tips about the nodes of a repo (2 hops)": "SELECT ?tip WHERE { ?tip hkv:aboutNode ?n . ?n hkv:providedBy repo:repo-0001 }",
        "join: advice on the inputs of a node (3 hops)": f"SELECT ?tip ?v WHERE {{ ?tip hkv:hasSetting ?s . ?s hkv:parameter ?p ; hkv:value ?v . ?p hkv:ofNode node:{node} }}",
        "aggregate: top 10 nodes by tips": "SELECT ?n (COUNT(?tip) AS ?c) WHERE { ?tip hkv:aboutNode ?n } GROUP BY ?n ORDER BY DESC(?c) ?n LIMIT 10",
        "aggregate: tips per tag": "SELECT ?tag (COUNT(?tip) AS ?c) WHERE { ?tip hkv:tag ?tag } GROUP BY ?tag ORDER BY ?tag",
        "text: titles containing a word": 'SELECT ?tip WHERE { ?tip dcterms:title ?t FILTER(CONTAINS(LCASE(?t), "teacache")) }',
    }
    sql = {
        "lookup: a tip's title and kind": ("SELECT title, kind FROM tips WHERE id = ?", [first_tip]),
        "join: tips about the nodes of a repo (2 hops)": (
            "SELECT tip_nodes.tip_id FROM tip_nodes JOIN nodes ON nodes.id = tip_nodes.node_id WHERE nodes.repo = ?",
            ["repo-0001"]),
        "join: advice on the inputs of a node (3 hops)": (
            "SELECT settings.tip_id, settings.value FROM settings JOIN parameters ON parameters.id = settings.parameter_id"
            " WHERE parameters.node = ?", [node]),
        "aggregate: top 10 nodes by tips": (
            "SELECT node_id, count(*) AS c FROM tip_nodes GROUP BY node_id ORDER BY c DESC, node_id LIMIT 10", []),
        "aggregate: tips per tag": ("SELECT tag, count(*) AS c FROM tip_tags GROUP BY tag ORDER BY tag", []),
        "text: titles containing a word": (
            "SELECT tips.id FROM tips_fts JOIN tips ON tips.rowid = tips_fts.rowid WHERE tips_fts MATCH ?", ["teacache"]),
    }

    def direct(q: str) -> Any:
        return [[None if term is None else term.value for term in solution] for solution in store.query(prologue + q)]

    rows = []
    graph = None
    if with_rdflib == "1":
        import rdflib

        graph = rdflib.Graph()
        graph.parse(Path(dist) / "hkgraph.nt", format="nt")
    for name, q in sparql.items():
        kg_t = _median_time(lambda q=q: kg.sparql(q), r)
        ox_t = _median_time(lambda q=q: direct(q), r)
        n = len(kg.sparql(q))  # type: ignore[arg-type]
        assert n == len(direct(q))
        row = {"query": name, "rows": n, "kg": kg_t, "pyoxigraph": ox_t}
        if graph is not None:
            row["rdflib"] = _median_time(lambda q=q: list(graph.query(prologue + q)), max(1, min(r, 3)))
        sql_q, params = sql[name]
        row["kg_sql"] = _median_time(lambda s=sql_q, p=params: kg.sql(s, p), r)
        row["sqlite3"] = _median_time(lambda s=sql_q, p=params: conn.execute(s, p).fetchall(), r)
        row["sql_rows"] = len(conn.execute(sql_q, params).fetchall())
        rows.append(row)
    helpers = {
        f'kg.entity("{node}")': lambda: kg.entity(node),
        f'kg.tips(node="{node}")': lambda: kg.tips(node=node),
        'kg.tips(repo="repo-0001", tag="vram")': lambda: kg.tips(repo="repo-0001", tag="vram"),
        'kg.tips(text="teacache vram", limit=100)': lambda: kg.tips(text="teacache vram", limit=100),
        f'kg.tips(text="teacache", node="{node}")': lambda: kg.tips(text="teacache", node=node),
        f'kg.settings(node="{node}")': lambda: kg.settings(node=node),
    }
    helper_rows = []
    for name, fn in helpers.items():
        result = fn()
        helper_rows.append({"call": name, "results": 1 if not isinstance(result, list) else len(result),
                            "seconds": _median_time(fn, r)})
    t = time.perf_counter()
    with KnowledgeGraph.open(dist) as fresh:
        fresh.entity(node)
    open_t = time.perf_counter() - t
    return {"sparql": rows, "helpers": helper_rows, "open_and_first_lookup": open_t}


CHILDREN = {"_build": child_build, "_stages": child_stages, "_plain": child_plain, "_rebuilds": child_rebuilds,
            "_queries": child_queries}


def run_child(*args: str) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------------------------ orchestration


def dataset(work: Path, tips: int) -> Path:
    from generate import generate

    root = work / f"data-{tips}"
    marker = root / ".generated"
    if not marker.exists() or marker.read_text() != f"{tips} seed=0 v2":
        shutil.rmtree(root, ignore_errors=True)
        t = time.perf_counter()
        generate(root, tips, seed=0)
        marker.write_text(f"{tips} seed=0 v2")
        print(f"  generated {tips} tips in {time.perf_counter() - t:.1f} s", flush=True)
    shutil.copytree(ROOT / "schema", root / "schema", dirs_exist_ok=True)
    return root


def measure(work: Path, tips: int, repeat: int) -> dict[str, Any]:
    root = dataset(work, tips)
    out = work / f"dist-{tips}"
    from hkgraph.compile.cache import cache_dir

    cache = cache_dir(out)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    res: dict[str, Any] = {"tips": tips, "load": os.getloadavg()[0]}
    builds = []
    for _ in range(3):  # cold each time; the best is reported (other work on the machine only adds time)
        print(f"  full build ({tips})", flush=True)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        builds.append(run_child("_build", str(root), str(out), "1"))
    res["build_walls"] = [b["wall"] for b in builds]
    res["build"] = min(builds, key=lambda b: b["wall"])
    res["load_after_builds"] = os.getloadavg()[0]
    res["stages"] = run_child("_stages", str(root))
    if tips <= PLAIN_MAX:
        print(f"  plain path ({tips})", flush=True)
        plain_out = work / f"plain-{tips}"
        res["plain"] = run_child("_plain", str(root), str(plain_out))
        shutil.rmtree(plain_out, ignore_errors=True)
    print(f"  rebuilds ({tips})", flush=True)
    res["rebuilds"] = run_child("_rebuilds", str(root), str(out), str(repeat))
    print(f"  queries ({tips})", flush=True)
    res["queries"] = run_child("_queries", str(out), str(repeat), "1" if tips <= RDFLIB_QUERY_MAX else "0")
    return res


def machine() -> dict[str, Any]:
    import pyoxigraph
    import rdflib
    import yaml

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return {
        "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M"), "python": platform.python_version(),
        "platform": platform.platform(), "cpu": cpu, "cores": cores, "load": os.getloadavg(),
        "pyoxigraph": pyoxigraph.__version__ if hasattr(pyoxigraph, "__version__") else "?",
        "rdflib": rdflib.__version__, "pyyaml": yaml.__version__, "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in CHILDREN:
        print(json.dumps(CHILDREN[sys.argv[1]](*sys.argv[2:])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing (the median is reported)")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--out", type=Path, default=HERE / "STAGES.md")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    info = machine()
    results = []
    for tips in (int(s) for s in args.sizes.split(",")):
        print(f"{tips} tips", flush=True)
        results.append(measure(args.work, tips, args.repeat))
    info["load_after"] = os.getloadavg()
    (args.work / "results.json").write_text(json.dumps({"machine": info, "results": results}, indent=1))
    from report import write_report

    write_report(args.out, info, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
