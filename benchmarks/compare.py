"""hkgraph next to the tools people would use instead, measured side by side (``make bench``).

Every figure is a median of interleaved runs (each round runs every contender once, in a new random order),
of whole processes as a user starts them; the load average is noted around each section, as the machine
may be shared. Targets are those of issue 15; ``benchmarks/RESULTS.md`` is written from the results.

    python benchmarks/compare.py                          # everything (about 20-40 minutes on 2 cores)
    python benchmarks/compare.py --only cli,open --quick  # some sections, fewer rounds
    python benchmarks/compare.py --before /path/to/old/src   # also the code at another commit

Peers: the ``sqlite3`` shell and ``python -c pass`` (the command line), ``oxigraph serve-read-only`` on the
same store (the SPARQL endpoint), pyoxigraph opened directly (``KnowledgeGraph.open``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import httpx  # noqa: E402
from measure import Run, interleaved, run, tree_memory  # noqa: E402

PY = sys.executable
BIN = Path(sys.executable).parent
HKGRAPH = str(BIN / "hkgraph")
OXIGRAPH = str(BIN / "oxigraph")
WORK = HERE / "work"

SHAPES = {
    "lookup": "SELECT ?title ?kind WHERE {{ <{tip}> <http://purl.org/dc/terms/title> ?title ; "
              "<https://w3id.org/hkgraph/vocab#kind> ?kind }}",
    "2-hop join": "SELECT ?tip WHERE {{ ?tip <https://w3id.org/hkgraph/vocab#aboutNode> ?n . "
                  "?n <https://w3id.org/hkgraph/vocab#providedBy> <{repo}> }}",
    "3-hop join": "SELECT ?tip ?v WHERE {{ ?tip <https://w3id.org/hkgraph/vocab#hasSetting> ?s . "
                  "?s <https://w3id.org/hkgraph/vocab#parameter> ?p ; <https://w3id.org/hkgraph/vocab#value> ?v . "
                  "?p <https://w3id.org/hkgraph/vocab#ofNode> <{node}> }}",
    "aggregate": "SELECT ?n (COUNT(?tip) AS ?c) WHERE {{ ?tip <https://w3id.org/hkgraph/vocab#aboutNode> ?n }} "
                 "GROUP BY ?n ORDER BY DESC(?c) ?n LIMIT 10",
    "text filter": "SELECT ?tip WHERE {{ ?tip <http://purl.org/dc/terms/title> ?t "
                   "FILTER(CONTAINS(LCASE(?t), \"{word}\")) }}",
    "CONSTRUCT": "CONSTRUCT {{ ?tip ?p ?o }} WHERE {{ ?tip <https://w3id.org/hkgraph/vocab#aboutNode> <{node}> ; "
                 "?p ?o }}",
}


def env_for(code: Path | None) -> dict[str, str]:
    """The environment that runs hkgraph from ``code`` (a src folder), or from this checkout.

    Python writes and reads its bytecode cache as it does on a user's machine: an environment that sets
    PYTHONDONTWRITEBYTECODE (this sandbox's does) would make every run compile hkgraph's modules anew,
    which no installed copy does."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONDONTWRITEBYTECODE")}
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def project_copy(name: str, source: Path) -> Path:
    """A project folder (data/ and schema/ of ``source``) under benchmarks/work/."""
    root = WORK / name
    if root.exists():
        shutil.rmtree(root / "data")
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "data", root / "data")
    shutil.copytree(source / "schema", root / "schema", dirs_exist_ok=True)
    return root


def contenders(before: Path | None) -> dict[str, Path | None]:
    return {"after": None, **({"before": before} if before else {})}


# ------------------------------------------------------------------------------------------ command line


def section_cli(args: argparse.Namespace) -> dict[str, Any]:
    """`hkgraph query sql`, `tips`, `entity`, `settings`, `--help` next to sqlite3 + python -c pass."""
    codes = contenders(args.before)
    roots = {who: project_copy(f"real-{who}", args.real) for who in codes}
    for who, root in roots.items():  # build first (what is measured is a command on an up-to-date build)
        done = run([HKGRAPH, "build", "--root", str(root)], env=env_for(codes[who]))
        assert done.returncode == 0, done.stderr[-2000:]
    db = roots["after"] / "dist" / "hkgraph.db"
    conn = sqlite3.connect(db)
    node_id, node = conn.execute(
        "SELECT nodes.id, nodes.name FROM nodes JOIN tip_nodes ON tip_nodes.node_id = nodes.id "
        "GROUP BY nodes.id ORDER BY count(*) DESC LIMIT 1").fetchone()
    set_node = conn.execute("SELECT parameters.node FROM settings JOIN parameters ON parameters.id = settings.parameter_id "
                            "WHERE parameters.node IS NOT NULL GROUP BY parameters.node ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    conn.close()
    sql = "SELECT kind, count(*) AS n FROM tips GROUP BY kind ORDER BY n DESC"
    commands = {
        "query sql": (["query", "sql", sql], sql),
        "tips": (["tips", "--node", node], "SELECT id, kind, title, goals FROM tips WHERE id IN "
                                           f"(SELECT tip_id FROM tip_nodes WHERE node_id = '{node_id}') ORDER BY id"),
        "entity": (["entity", node], f"SELECT * FROM nodes WHERE id = '{node_id}'"),
        "settings": (["settings", "--node", set_node],
                     "SELECT * FROM settings WHERE parameter_id IN (SELECT id FROM parameters WHERE node = "
                     f"'{set_node}') ORDER BY parameter_id"),
        "--help": (["--help"], None),
    }
    runs: dict[str, Callable[[], Run]] = {"python -c pass": lambda: run([PY, "-c", "pass"])}
    for name, (argv, equivalent) in commands.items():
        if equivalent is not None:
            runs[f"sqlite3: {name}"] = lambda q=equivalent: run(["sqlite3", str(db), q])
        for who, code in codes.items():
            extra = [] if argv == ["--help"] else ["--root", str(roots[who])]
            runs[f"{who}: {name}"] = lambda a=argv, e=extra, c=code: run([HKGRAPH, *a, *e], env=env_for(c))
    series, load = interleaved(runs, args.rounds_cli)
    rows = []
    python = series["python -c pass"].wall
    for name, (_argv, equivalent) in commands.items():
        sqlite_wall = series[f"sqlite3: {name}"].wall if equivalent else 0.0
        base = sqlite_wall + python
        row = {"command": name, "sqlite3": sqlite_wall, "python": python, "baseline": base,
               "after": series[f"after: {name}"].wall, "after_cpu": series[f"after: {name}"].cpu}
        if "before" in codes:
            row["before"] = series[f"before: {name}"].wall
        row["ratio"] = row["after"] / base
        rows.append(row)
    return {"rows": rows, "load": load, "node": node, "rounds": args.rounds_cli}


# ------------------------------------------------------------------------------------------------ builds


def _edit(root: Path, i: int) -> None:
    entries = sorted((root / "data" / "entries").iterdir())
    tip = entries[len(entries) // 2]
    text = tip.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.startswith("title: "))
    tip.write_text(text.replace(line, f"title: edit{i} " + line[7:].split(" ", 1)[-1], 1), encoding="utf-8")


def section_builds(args: argparse.Namespace) -> dict[str, Any]:
    """Cold builds (whole process: wall, CPU of the tree, peak PSS of the tree), no-op builds, one-edit rebuilds."""
    from run import dataset

    codes = contenders(args.before)
    out: dict[str, Any] = {"sizes": []}
    for size in args.sizes:
        if size == "real":
            roots = {who: project_copy(f"real-{who}", args.real) for who in codes}
        else:
            root = dataset(WORK, int(size))
            roots = dict.fromkeys(codes, root)
        dists = {who: WORK / f"dist-{size}-{who}" for who in codes}
        cold_rounds = {"real": args.rounds_cold, "10000": 2}.get(size, 1)
        load_before = os.getloadavg()[0]
        cold: dict[str, list[Run]] = {who: [] for who in codes}
        # the code before issue 15 needs minutes for a cold 100k build: it is built once (when missing), not timed
        timed = [who for who in codes if who == "after" or size != "100000"]
        for who in codes:
            if who not in timed and not (dists[who] / "hkgraph.db").exists():
                assert run([HKGRAPH, "build", "--root", str(roots[who]), "--out", str(dists[who])],
                           env=env_for(codes[who])).returncode == 0
        for _ in range(cold_rounds):
            for who in random.sample(timed, len(timed)):
                cold[who].append(run([HKGRAPH, "build", "--full", "--root", str(roots[who]), "--out", str(dists[who])],
                                     env=env_for(codes[who]), memory=True))
                assert cold[who][-1].returncode == 0, cold[who][-1].stderr[-3000:]
        noop_runs = {f"{who}: no-op": (lambda r=roots[who], d=dists[who], c=codes[who]: run(
                         [HKGRAPH, "build", "--root", str(r), "--out", str(d)], env=env_for(c)))
                     for who in codes}
        noop, _load = interleaved(noop_runs, args.rounds_noop if size != "100000" else 3)
        entry: dict[str, Any] = {"size": size, "cold": {}, "noop": {}, "rebuild": {}}
        for who in timed:
            walls = [r.wall for r in cold[who]]
            entry["cold"][who] = {"wall": statistics.median(walls), "cpu": statistics.median(r.cpu for r in cold[who]),
                                  "pss": max(r.peak_pss for r in cold[who]), "uss": max(r.peak_uss for r in cold[who])}
            entry["noop"][who] = noop[f"{who}: no-op"].wall
        if size in ("real", "10000"):
            rebuild: dict[str, list[float]] = {who: [] for who in codes}
            for i in range(args.rounds_rebuild):
                for who in random.sample(list(codes), len(codes)):
                    _edit(roots[who], i * 2 + (who == "before"))
                    done = run([HKGRAPH, "build", "--root", str(roots[who]), "--out", str(dists[who])],
                               env=env_for(codes[who]))
                    assert done.returncode == 0, done.stderr[-3000:]
                    rebuild[who].append(done.wall)
            entry["rebuild"] = {who: statistics.median(v) for who, v in rebuild.items()}
            if size != "real":  # the generated data set stays as generated
                from generate import generate  # noqa: F401 - regenerated by dataset() when its marker changes

                (roots["after"] / ".generated").unlink(missing_ok=True)
        entry["load"] = (load_before, os.getloadavg()[0])
        out["sizes"].append(entry)
        if size not in ("real",):
            dataset(WORK, int(size))  # put the edited tip back (regenerates when the marker is gone)
    return out


# ------------------------------------------------------------------------------------------ SPARQL endpoint


class Server:
    """A server process on a loopback port, stopped with :meth:`stop`."""

    def __init__(self, name: str, cmd: list[str], url: str, env: dict[str, str] | None = None) -> None:
        self.name, self.url = name, url
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                                     start_new_session=True)

    def first_answer(self, query: str, timeout: float = 300) -> float:
        """Seconds from start to the first 200 answer to ``query``."""
        deadline = time.perf_counter() + timeout
        with httpx.Client(timeout=30) as client:
            while time.perf_counter() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.name} stopped: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                try:
                    r = client.get(self.url, params={"query": query}, headers={"accept": "application/sparql-results+json"})
                    if r.status_code == 200:
                        return time.perf_counter() - self.started
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"{self.name} did not answer within {timeout} s")

    def memory(self) -> int:
        return tree_memory(self.proc.pid)[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


def _metadata_of(code: Path | None) -> Path:
    """The metadata.yml that goes with a src folder (its checkout's), else this checkout's: an older code's
    plugin does not know the canned queries and functions of a newer metadata.yml."""
    for folder in str(code or "").split(os.pathsep):
        candidate = Path(folder).parent / "metadata.yml"
        if folder and candidate.is_file():
            return candidate
    return ROOT / "metadata.yml"


def start_ours(dist: Path, code: Path | None, name: str = "hkgraph") -> Server:
    """The hkgraph server as `hkgraph serve` starts it (Datasette with the plugin, immutable, metadata.yml)."""
    port = free_port()
    cmd = [PY, "-m", "datasette", "serve", "-i", str(dist / "hkgraph.db"), "--host", "127.0.0.1", "--port", str(port),
           "--metadata", str(_metadata_of(code))]
    if code is None:  # what `hkgraph serve` adds since issue 15
        cmd += ["--setting", "suggest_facets", "off"]
    return Server(name, cmd, f"http://127.0.0.1:{port}/-/sparql", env_for(code))


def start_oxigraph(dist: Path) -> Server:
    port = free_port()
    return Server("oxigraph", [OXIGRAPH, "serve-read-only", "--location", str(dist / "oxigraph"), "--bind",
                               f"127.0.0.1:{port}"], f"http://127.0.0.1:{port}/query")


def _accept(shape: str) -> str:
    return "text/turtle" if shape == "CONSTRUCT" else "application/sparql-results+json"


def _client_loop(job: tuple[str, str, str, float]) -> tuple[int, int]:
    url, query, accept, seconds = job
    ok = bad = 0
    end = time.perf_counter() + seconds
    with httpx.Client(timeout=max(60.0, seconds * 3)) as client:
        while time.perf_counter() < end:
            try:
                r = client.post(url, data={"query": query}, headers={"accept": accept})
                if r.status_code == 200:
                    ok += 1
                else:
                    bad += 1
            except httpx.HTTPError:
                bad += 1
    return ok, bad


def shape_queries(dist: Path) -> dict[str, str]:
    conn = sqlite3.connect(dist / "hkgraph.db")
    tip = conn.execute("SELECT id FROM tips ORDER BY id LIMIT 1").fetchone()[0]
    repo = conn.execute("SELECT nodes.repo FROM tip_nodes JOIN nodes ON nodes.id = tip_nodes.node_id "
                        "GROUP BY nodes.repo ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    node = conn.execute("SELECT parameters.node FROM settings JOIN parameters ON parameters.id = settings.parameter_id "
                        "WHERE parameters.node IS NOT NULL GROUP BY parameters.node ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    words = [w for (t,) in conn.execute("SELECT title FROM tips LIMIT 200") for w in t.lower().split() if len(w) > 5]
    conn.close()
    word = max(set(words), key=words.count) if words else "vram"
    values = {"tip": f"https://w3id.org/hkgraph/tip/{tip}", "repo": f"https://w3id.org/hkgraph/repo/{repo}",
              "node": f"https://w3id.org/hkgraph/node/{node}", "word": word}
    return {name: q.format(**values) for name, q in SHAPES.items()}


def section_sparql(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"sizes": []}
    for size in args.sizes:
        dist = WORK / f"dist-{size}-after"
        if not (dist / "hkgraph.db").exists():
            root = project_copy("real-after", args.real) if size == "real" else __import__("run").dataset(WORK, int(size))
            assert run([HKGRAPH, "build", "--root", str(root), "--out", str(dist)]).returncode == 0
        queries = shape_queries(dist)
        load_before = os.getloadavg()[0]
        entry: dict[str, Any] = {"size": size, "first": {"hkgraph": [], "oxigraph": []}}
        # time to first answer (and then the measurements, on the servers of the last round)
        servers: dict[str, Server] = {}
        for i in range(args.rounds_start):
            for name in random.sample(["hkgraph", "oxigraph"], 2):
                server = start_ours(dist, None) if name == "hkgraph" else start_oxigraph(dist)
                entry["first"][name].append(server.first_answer(queries["lookup"]))
                if i < args.rounds_start - 1:
                    server.stop()
                else:
                    servers[name] = server
        try:
            latency: dict[str, dict[str, list[float]]] = {s: {n: [] for n in servers} for s in queries}
            rows: dict[str, dict[str, int]] = {}
            with httpx.Client(timeout=120) as client:
                for shape, query in queries.items():  # warm up, and the answer sizes
                    for name, server in servers.items():
                        r = client.post(server.url, data={"query": query}, headers={"accept": _accept(shape)})
                        assert r.status_code == 200, (name, shape, r.status_code, r.text[:500])
                        rows.setdefault(shape, {})[name] = len(r.content)
                for _ in range(args.rounds_sparql):
                    for shape, query in queries.items():
                        for name in random.sample(list(servers), len(servers)):
                            t = time.perf_counter()
                            r = client.post(servers[name].url, data={"query": query},
                                            headers={"accept": _accept(shape)})
                            latency[shape][name].append(time.perf_counter() - t)
            entry["latency"] = {s: {n: statistics.median(v) for n, v in d.items()} for s, d in latency.items()}
            entry["bytes"] = rows
            throughput: dict[str, dict[str, dict[str, float]]] = {}
            with multiprocessing.get_context("spawn").Pool(8) as pool:
                for shape, query in queries.items():
                    seconds = min(20.0, max(args.seconds, 4 * entry["latency"][shape]["oxigraph"]))
                    throughput[shape] = {}
                    for name in random.sample(list(servers), len(servers)):
                        jobs = [(servers[name].url, query, _accept(shape), seconds)] * 8
                        results = pool.map(_client_loop, jobs)
                        ok, bad = sum(r[0] for r in results), sum(r[1] for r in results)
                        throughput[shape][name] = {"per_s": ok / seconds, "failed": bad, "seconds": seconds}
            entry["throughput"] = throughput
            entry["memory"] = {name: server.memory() for name, server in servers.items()}
        finally:
            for server in servers.values():
                server.stop()
        entry["load"] = (load_before, os.getloadavg()[0])
        out["sizes"].append(entry)
    return out


# -------------------------------------------------------------------------------------------------- pages


def section_pages(args: argparse.Namespace) -> dict[str, Any]:
    size = args.pages_size
    codes = contenders(args.before)
    dists = {who: WORK / f"dist-{size}-{who}" for who in codes}
    conn = sqlite3.connect(dists["after"] / "hkgraph.db")
    tip = conn.execute("SELECT id FROM tips ORDER BY id LIMIT 1 OFFSET 5").fetchone()[0]
    node = conn.execute("SELECT node_id FROM tip_nodes GROUP BY node_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    tag = conn.execute("SELECT tag FROM tip_tags GROUP BY tag ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    conn.close()
    urls = {
        "home": "/", "tips table": "/hkgraph/tips", "filtered by kind": "/hkgraph/tips?kind=setting",
        "filtered by topic": {"after": f"/hkgraph/tips?_tag={tag}", "before": f"/hkgraph/tips?tags__arraycontains={tag}"},
        "filtered JSON API": "/hkgraph/tips.json?kind=setting", "tip page": f"/hkgraph/tips/{tip}",
        "node page": f"/hkgraph/nodes/{node}",
    }
    load_before = os.getloadavg()[0]
    servers = {who: start_ours(dists[who], codes[who], who) for who in codes}
    result: dict[str, Any] = {"size": size, "first": {}, "median": {}, "urls": {}}
    try:
        for server in servers.values():
            server.first_answer("ASK { ?s ?p ?o }")
        with httpx.Client(timeout=120) as client:
            for label, url in urls.items():
                for who, server in servers.items():
                    path = url[who] if isinstance(url, dict) else url
                    base = server.url.rsplit("/-/sparql", 1)[0]
                    t = time.perf_counter()
                    r = client.get(base + path)
                    result["first"].setdefault(label, {})[who] = time.perf_counter() - t
                    assert r.status_code == 200, (who, path, r.status_code)
                    result["urls"].setdefault(label, {})[who] = path
            times: dict[str, dict[str, list[float]]] = {label: {who: [] for who in servers} for label in urls}
            for _ in range(args.rounds_pages):
                for label in random.sample(list(urls), len(urls)):
                    for who in random.sample(list(servers), len(servers)):
                        base = servers[who].url.rsplit("/-/sparql", 1)[0]
                        t = time.perf_counter()
                        client.get(base + result["urls"][label][who])
                        times[label][who].append(time.perf_counter() - t)
        result["median"] = {label: {who: statistics.median(v) for who, v in d.items()} for label, d in times.items()}
        result["memory"] = {who: s.memory() for who, s in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    result["load"] = (load_before, os.getloadavg()[0])
    return result


# ----------------------------------------------------------------------------------------- KnowledgeGraph


OPEN_OX = """
import sys, time
import pyoxigraph as ox
t = time.perf_counter()
store = ox.Store.read_only(sys.argv[1] + "/oxigraph")
rows = list(store.query(sys.argv[2]))
print(time.perf_counter() - t, len(rows))
"""
OPEN_KG = """
import sys, time
from hkgraph.query.kg import KnowledgeGraph
t = time.perf_counter()
kg = KnowledgeGraph.open(sys.argv[1])
rows = kg.{call}
print(time.perf_counter() - t, len(rows))
kg.close()
"""


def section_open(args: argparse.Namespace) -> dict[str, Any]:
    codes = contenders(args.before)
    out: dict[str, Any] = {"sizes": []}
    for size in args.sizes:
        dist = WORK / f"dist-{size}-after"
        query = shape_queries(dist)["lookup"]
        node = sqlite3.connect(dist / "hkgraph.db").execute(
            "SELECT node_id FROM tip_nodes GROUP BY node_id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        runs: dict[str, Callable[[], Run]] = {
            "pyoxigraph": lambda d=dist, q=query: run([PY, "-c", OPEN_OX, str(d), q])}
        for who, code in codes.items():
            calls = {"sparql": f"sparql({query!r})", "typed helper": f"tips(node={node!r})"}
            if who == "after":
                calls["rows helper"] = f"tip_rows(node={node!r})"
            for label, expression in calls.items():
                script = OPEN_KG.replace("{call}", expression)
                runs[f"{who}: {label}"] = lambda s=script, c=code, d=dist: run([PY, "-c", s, str(d)], env=env_for(c))
        inside: dict[str, list[float]] = {name: [] for name in runs}

        def recorded(name: str, fn: Callable[[], Run], inside: dict[str, list[float]] = inside) -> Callable[[], Run]:
            def call() -> Run:
                result = fn()
                if result.returncode == 0:
                    inside[name].append(float(result.stdout.split()[0]))
                return result
            return call

        series, load = interleaved({n: recorded(n, f) for n, f in runs.items()}, args.rounds_open)
        out["sizes"].append({"size": size, "process": {n: s.wall for n, s in series.items()},
                             "inside": {n: statistics.median(v) for n, v in inside.items()}, "load": load})
    return out


# ----------------------------------------------------------------------------------------------- report


def versions() -> dict[str, str]:
    import datasette.version
    import pyoxigraph

    sqlite_shell = subprocess.run(["sqlite3", "--version"], capture_output=True, text=True).stdout.split()[0]
    oxigraph = subprocess.run([OXIGRAPH, "--version"], capture_output=True, text=True).stdout.strip()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "?")
    return {"python": platform.python_version(), "sqlite3 shell": sqlite_shell, "oxigraph": oxigraph,
            "pyoxigraph": pyoxigraph.__version__, "datasette": datasette.version.__version__,
            "cpu": cpu, "cores": str(len(os.sched_getaffinity(0))), "platform": platform.platform(),
            "date": dt.datetime.now().strftime("%Y-%m-%d %H:%M")}


SECTIONS = {"cli": section_cli, "builds": section_builds, "sparql": section_sparql, "pages": section_pages,
            "open": section_open}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--sizes", default="real,10000,100000")
    parser.add_argument("--before", type=Path, help="a src folder of hkgraph to measure as 'before'")
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--real", type=Path, default=ROOT,
                        help="the project whose data/ and schema/ are 'the real data' (default: this checkout; "
                             "with --before, one that both codes can read, such as a checkout of the older commit)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, default=WORK / "compare.json")
    args = parser.parse_args()
    q = args.quick
    args.rounds_cli, args.rounds_cold, args.rounds_noop, args.rounds_rebuild = (5, 2, 3, 3) if q else (15, 5, 7, 5)
    args.rounds_sparql, args.rounds_start, args.rounds_pages, args.rounds_open = (7, 1, 5, 5) if q else (21, 3, 11, 11)
    args.seconds = 3.0 if q else 5.0
    args.pages_size = "100000" if "100000" in args.sizes else args.sizes.split(",")[-1]
    all_sizes = args.sizes.split(",")
    WORK.mkdir(parents=True, exist_ok=True)
    previous = json.loads(args.json.read_text()) if args.json.exists() else {}
    real_tips = sum(1 for _ in (args.real / "data" / "entries").glob("*.yaml"))
    commit = subprocess.run(["git", "-C", str(args.real), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    real = f"{real_tips:,} tips, data/ " + (f"at commit {commit}" if commit else f"of {args.real}")
    results: dict[str, Any] = {"versions": versions(), "before": str(args.before) if args.before else None,
                               "real": real,
                               **{k: v for k, v in previous.items() if k in SECTIONS}}
    for name in args.only.split(","):
        args.sizes = {"cli": ["real"], "builds": all_sizes, "sparql": [s for s in all_sizes if s in ("real", "100000")],
                      "open": [s for s in all_sizes if s in ("real", "100000")]}.get(name, all_sizes)
        print(f"{name} …", flush=True)
        fresh = SECTIONS[name](args)
        kept = previous.get(name, {}).get("sizes", []) if isinstance(previous.get(name), dict) else []
        if "sizes" in fresh and kept:  # sizes not measured this time keep their last figures
            measured = {entry["size"] for entry in fresh["sizes"]}
            fresh["sizes"] = [e for e in kept if e.get("size") not in measured] + fresh["sizes"]
            order = {size: i for i, size in enumerate(("real", "1000", "10000", "100000"))}
            fresh["sizes"].sort(key=lambda e: order.get(e.get("size"), 99))
        results[name] = fresh
        args.json.write_text(json.dumps(results, indent=1, default=str))
    from compare_report import write

    write(args.out, results)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
