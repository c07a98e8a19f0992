"""Response times of the SPARQL endpoint next to pyoxigraph queried directly.

Builds a synthetic dataset (``--tips`` tips over nodes, parameters, repos, models and GPUs), writes its
graph, on-disk store and database into benchmarks/work/, starts Datasette with the hkgraph plugin on a
free loopback port, and times two queries both ways:

- lookup: one node's class name;
- join: for every node of one repo, the tips about it and the parameters those tips name (two hops).

The endpoint time is a full HTTP round trip (client → Datasette → worker process → JSON back); the
direct time is ``Store.query`` on the same read-only store with every row read. Run on demand:

    .venv/bin/python benchmarks/sparql_endpoint.py --tips 10000
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hkgraph.compile.rdf import to_triples, write_rdf  # noqa: E402
from hkgraph.compile.sqlite import to_sqlite  # noqa: E402
from hkgraph.query.engine import sparql_prologue  # noqa: E402
from hkgraph.records import model as m  # noqa: E402
from hkgraph.records.load import Dataset  # noqa: E402

QUERIES = {
    "lookup": "SELECT ?class WHERE { node:node-{n} hkv:className ?class }",
    "join": """SELECT ?node ?tip ?parameter WHERE {
  ?node hkv:providedBy repo:repo-{r} .
  ?tip hkv:aboutNode ?node ; hkv:aboutParameter ?parameter .
}""",
}


def synthetic(tips: int) -> Dataset:
    """A dataset shaped like the real one: ~tips/10 nodes, 3 parameters each, 20 repos, 30 models, 10 GPUs."""
    ds = Dataset(root=ROOT)
    nodes = max(tips // 10, 10)
    repos, models, gpus = 20, 30, 10
    ds.entities["person"]["kijai"] = m.Person(id="kijai", name="Kijai")
    for r in range(repos):
        ds.entities["repo"][f"repo-{r}"] = m.Repo(
            id=f"repo-{r}", name=f"Pack {r}", host="github", path=f"owner/pack-{r}",
            url=f"https://example.org/pack-{r}", repo_type="node-pack", maintainer="kijai")
    for n in range(nodes):
        ds.entities["node"][f"node-{n}"] = m.Node(
            id=f"node-{n}", name=f"Node {n}", class_name=f"Node{n}", repo=f"repo-{n % repos}")
        for p in range(3):
            pid = f"node-{n}-p{p}"
            ds.entities["parameter"][pid] = m.Parameter(
                id=pid, name=f"p{p}", node=f"node-{n}", type="COMBO", allowed_values=["a", "b", "c"], default="a")
    for i in range(models):
        ds.entities["model"][f"model-{i}"] = m.Model(id=f"model-{i}", name=f"Model {i}", family="Wan", role="diffusion")
    for i in range(gpus):
        ds.entities["hardware"][f"gpu-{i}"] = m.Hardware(id=f"gpu-{i}", name=f"GPU {i}", vendor="NVIDIA", vram_gb=24)
    for t in range(tips):
        n = (t * 7) % nodes
        pid = f"node-{n}-p{t % 3}"
        ds.tips[f"tip-{t}"] = m.Tip(
            id=f"tip-{t}", title=f"Tip {t} about node {n}", summary=f"Set `p{t % 3}` to b (tip {t}).",
            kind="setting", tags=["vram"],
            source=m.Source(page="hidden-knowledge.md", section="2025.01.01", date=dt.date(2025, 1, 1),
                            excerpt=f"verbatim text of tip {t}"),
            nodes=[f"node-{n}"], parameters=[pid], values=[f"{pid}=b"], models=[f"model-{t % models}"],
            hardware=[f"gpu-{t % gpus}"],
            settings=[m.Setting(parameter=pid, value="b", advice="prefer", condition="always")],
        )
    return ds


def prepare(tips: int, work: Path) -> Path:
    dist = work / f"dist-{tips}"
    if (dist / "hkgraph.db").exists():
        return dist
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir(parents=True)
    dataset = synthetic(tips)
    write_rdf(to_triples(dataset), dist)
    to_sqlite(dataset, dist / "hkgraph.db")
    store = ox.Store(str(dist / "oxigraph"))
    store.bulk_load(path=str(dist / "hkgraph.nt"), format=ox.RdfFormat.N_TRIPLES)
    store.flush()
    del store
    return dist


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timings(run, repeat: int) -> tuple[float, float, int]:  # type: ignore[no-untyped-def]
    """(median ms, p95 ms, rows) over ``repeat`` runs after two warm-up runs."""
    for _ in range(2):
        rows = run()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        rows = run()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tips", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    work = ROOT / "benchmarks" / "work"
    print("| tips | triples | query | rows | pyoxigraph median / p95 (ms) | endpoint median / p95 (ms) |")
    print("|---:|---:|---|---:|---:|---:|")
    for tips in args.tips:
        dist = prepare(tips, work)
        store = ox.Store.read_only(str(dist / "oxigraph"))
        triples = len(store)
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "datasette", "serve", "-i", str(dist / "hkgraph.db"), "--port", str(port),
             "--host", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/-/sparql"
        try:
            with httpx.Client(timeout=60) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get(url, params={"query": "ASK {}"}).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise SystemExit("the server did not start")
                    time.sleep(0.2)
                nodes = max(tips // 10, 10)
                for name, template in QUERIES.items():
                    query = template.replace("{n}", str(nodes // 2)).replace("{r}", "3")
                    full = sparql_prologue() + query

                    def direct(full: str = full, store: ox.Store = store) -> int:
                        return len(list(store.query(full)))

                    def endpoint(query: str = query, url: str = url) -> int:
                        r = client.get(url, params={"query": query},
                                       headers={"accept": "application/sparql-results+json"})
                        r.raise_for_status()
                        return len(r.json()["results"]["bindings"])

                    d_med, d_p95, d_rows = timings(direct, args.repeat)
                    e_med, e_p95, e_rows = timings(endpoint, args.repeat)
                    assert d_rows == e_rows, (name, d_rows, e_rows)
                    print(f"| {tips:,} | {triples:,} | {name} | {d_rows:,} | {d_med:.2f} / {d_p95:.2f} "
                          f"| {e_med:.2f} / {e_p95:.2f} |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
