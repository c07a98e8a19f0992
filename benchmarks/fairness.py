"""Fairness of `hkgraph serve` under heavy SPARQL load: do light queries and static files keep answering?

Serves a copy of tests/fixtures/site with `hkgraph serve` on a free loopback port (the code on
PYTHONPATH, so the same script measures an older checkout: ``PYTHONPATH=/path/to/old/src``), starts
``--heavy`` client threads that loop a slow query (a three-way cross product, stopped by the 5 s time
limit) and, meanwhile, one client that loops a light query and one that fetches /-/static/app.css.
Every loop is bounded by ``--seconds``. Prints light queries per second, their median and worst wait,
and the static file's median and worst wait:

    .venv/bin/python benchmarks/fairness.py --heavy 10 --seconds 30
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LIGHT = "SELECT ?name WHERE { ?n hkv:className \"WanVideoSampler\" ; skos:prefLabel ?name }"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heavy", type=int, default=10, help="clients looping the heavy query")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long the load lasts")
    parser.add_argument("--verbose", action="store_true", help="print every light query's wait")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="hkgraph-fairness-"))
    shutil.copytree(ROOT / "tests" / "fixtures" / "site" / "data", work / "data")
    shutil.copytree(ROOT / "schema", work / "schema")
    shutil.copy(ROOT / "metadata.yml", work / "metadata.yml")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "hkgraph", "serve", "--root", str(work), "--port", str(port)],
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/-/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the server did not start:\n" + (work / "serve.log").read_text())
            time.sleep(0.2)
        stop = time.monotonic() + args.seconds
        heavy_done: list[int] = []

        def heavy() -> None:
            with httpx.Client(timeout=120) as client:
                while time.monotonic() < stop:
                    try:
                        heavy_done.append(client.get(url + "/-/sparql", params={"query": HEAVY}).status_code)
                    except httpx.HTTPError:
                        heavy_done.append(0)

        light_waits: list[float] = []
        light_status: list[int] = []
        static_waits: list[float] = []

        def light() -> None:
            with httpx.Client(timeout=120) as client:
                while time.monotonic() < stop:
                    t = time.monotonic()
                    try:
                        light_status.append(client.get(url + "/-/sparql", params={"query": LIGHT}).status_code)
                    except httpx.HTTPError:
                        light_status.append(0)
                    light_waits.append(time.monotonic() - t)
                    if args.verbose:
                        print(f"  light at {t - started:5.1f} s: {light_status[-1]} after {light_waits[-1]:.2f} s")

        def static() -> None:
            with httpx.Client(timeout=120) as client:
                while time.monotonic() < stop:
                    t = time.monotonic()
                    client.get(url + "/-/static/app.css")
                    static_waits.append(time.monotonic() - t)
                    time.sleep(0.2)

        started = time.monotonic()
        threads = [threading.Thread(target=heavy) for _ in range(args.heavy)]
        threads += [threading.Thread(target=light), threading.Thread(target=static)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
        ok = sum(1 for s in light_status if s == 200)
        print(f"heavy clients: {args.heavy}, load for {args.seconds:.0f} s (all clients done after {elapsed:.1f} s)")
        print(f"heavy queries answered: {len(heavy_done)} (statuses {sorted(set(heavy_done))})")
        print(f"light queries: {ok} ok of {len(light_status)}, {ok / elapsed:.1f}/s; wait median "
              f"{statistics.median(light_waits) * 1000:.0f} ms, worst {max(light_waits) * 1000:.0f} ms")
        print(f"app.css: {len(static_waits)} fetches; wait median {statistics.median(static_waits) * 1000:.0f} ms, "
              f"worst {max(static_waits) * 1000:.0f} ms")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if os.environ.get("KEEP"):
            print("kept", work)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
