"""Figures for the hardening findings (issue 14), for the code on PYTHONPATH.

Runs a real `hkgraph serve` of tests/fixtures/site on loopback and measures what each finding was
about: outbound connections, the advisor's time, memory and answer size, bytes read before a 413,
SQL blob time, archive-bomb bytes written, a trickling server's hold, embedded deep nesting, page
latency while downloads are hashed, 500s. Measure an older checkout with the same script:

    .venv/bin/python benchmarks/hardening.py                        # this checkout
    PYTHONPATH=/path/to/old/src .venv/bin/python benchmarks/hardening.py

Every figure is printed as ``finding: what = value``; a step that fails prints its error instead.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import FIXTURES, Listener, Served, site_project  # noqa: E402


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            for child in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (child / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return total


def peak_while(pid: int, fn: Callable[[], object]) -> tuple[object, float, int]:
    """(result, seconds, peak resident bytes of the process tree) of ``fn()``."""
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], tree_rss(pid))
            time.sleep(0.05)

    thread = threading.Thread(target=sample)
    thread.start()
    start = time.monotonic()
    try:
        result = fn()
    finally:
        done.set()
        thread.join()
    return result, time.monotonic() - start, peak[0]


def step(name: str, fn: Callable[[], None]) -> None:
    try:
        fn()
    except Exception as exc:  # a finding the measured code does not survive
        print(f"{name}: error: {type(exc).__name__}: {str(exc)[:200]}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hkgraph-hardening-"))
    root = site_project(work / "site")
    served = Served(["--root", str(root)], work / "serve.log").wait("/-/sparql?query=ASK%20%7B%7D")
    url = served.url
    try:
        def service() -> None:
            listener = Listener()
            spellings = [
                "SELECT * WHERE { ?s ?p ?o .SERVICE <TARGET/a> { ?a ?b ?c } }",
                "SELECT * WHERE { FILTER(1 < 2) SERVICE <TARGET/b> { ?a ?b ?c } }",
                "PREFIX ex: <http://e.example/> SELECT * WHERE { ?s ex:a\\#b ?o SERVICE <TARGET/c> { ?a ?b ?c } }",
            ]
            for q in spellings:
                q = q.replace("TARGET", listener.url)
                httpx.get(url + "/-/sparql", params={"query": q}, timeout=30)
                httpx.post(url + "/-/sparql", data={"query": q}, timeout=30)
                httpx.post(url + "/-/sparql", content=q, headers={"content-type": "application/sparql-query"},
                           timeout=30)
            time.sleep(0.5)
            listener.close()
            print(f"1 SERVICE: connections received from 3 spellings x 3 transports = {len(listener.received)}")
            cors = httpx.get(url + "/-/sparql", params={"query": "ASK {}"}, headers={"host": "evil.example"}).status_code
            print(f"1 SERVICE: status for Host: evil.example = {cors}")

        def advisor() -> None:
            api = json.loads((FIXTURES / "advise" / "workflows" / "api.json").read_text())
            doc = {f"{k}-{i}": {**n, "inputs": {a: ([f"{v[0]}-{i}", v[1]] if isinstance(v, list) else v)
                                                for a, v in n["inputs"].items()}}
                   for i in range(6000) for k, n in api.items()}
            data = json.dumps(doc).encode()
            waits = []

            def page() -> None:
                time.sleep(1)
                t = time.monotonic()
                httpx.get(url + "/hkgraph", timeout=600)
                waits.append(time.monotonic() - t)

            thread = threading.Thread(target=page)
            thread.start()
            r, seconds, peak = peak_while(served.process.pid, lambda: httpx.post(
                url + "/-/advise?_format=json", content=data, headers={"content-type": "application/json"},
                timeout=600))
            thread.join()
            print(f"2 advisor: {len(data) / 1e6:.1f} MB workflow, 18,000 nodes: {seconds:.1f} s, status "
                  f"{r.status_code}, answer {len(r.content) / 1e6:.1f} MB, server tree peak {peak / 1e9:.2f} GB, "
                  f"a page during it waited {waits[0]:.2f} s")

        def sparql_memory() -> None:
            q = ("SELECT ?k WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i BIND(CONCAT(STR(?c), STR(?f), STR(?i), STR(?a)) "
                 "AS ?k) } ORDER BY ?k LIMIT 1")
            r, seconds, peak = peak_while(served.process.pid, lambda: httpx.get(
                url + "/-/sparql", params={"query": q}, timeout=120))
            print(f"3 SPARQL memory: sort over a cross product: {seconds:.1f} s, status {r.status_code}, "
                  f"server tree peak {peak / 1e9:.2f} GB")
            wide = "SELECT * WHERE { ?s ?p ?o . ?s2 ?p2 ?o2 } LIMIT 10000"
            r = httpx.get(url + "/-/sparql", params={"query": wide, "format": "json"}, timeout=120)
            print(f"3 SPARQL bytes: 10k wide rows: {len(r.content) / 1e6:.1f} MB answer")

        def bodies() -> None:
            sock = socket.create_connection(("127.0.0.1", served.port), timeout=5)
            sock.sendall(f"POST /-/sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                         f"Content-Length: {100 << 20}\r\n\r\n".encode())
            sent, block = 0, b"x" * 65536
            import select

            while sent < 100 << 20:
                if select.select([sock], [], [], 0)[0]:
                    break
                try:
                    sock.sendall(block)
                except OSError:
                    break
                sent += len(block)
            sock.settimeout(60)
            head = sock.recv(100).split(b"\r\n")[0].decode()
            sock.close()
            print(f"4 bodies: {sent / 1e6:.1f} MB of a 104.9 MB body sent before the answer ({head})")

        def xss() -> None:
            q = 'SELECT ?x WHERE { BIND(IRI("javascript:alert(1)") AS ?x) }'
            html = httpx.get(url + "/-/sparql", params={"query": q}, headers={"accept": "text/html"}).text
            links = html.count('href="javascript:')
            print(f"6 XSS: javascript: links on the results page = {links}")

        def sql() -> None:
            t = time.monotonic()
            r = httpx.get(url + "/hkgraph.json", params={"sql": "select length(randomblob(1e9)) as n"}, timeout=120)
            print(f"7 SQL: randomblob(1e9): {time.monotonic() - t:.2f} s, status {r.status_code}")
            r = httpx.get(url + "/hkgraph.json", params={"sql": "select hex(fts3_tokenizer('simple')) as t"})
            print(f"7 SQL: fts3_tokenizer: status {r.status_code}")

        def malformed() -> None:
            cases = ['{"nodes": [{"id": 1, "type": "X", "inputs": 5}]}',
                     '{"nodes": [{"id": [1], "type": "X"}], "links": [[1, [1], 0, 2, 0, "M"]]}',
                     '{"nodes": [{"id": 1, "type": "X"}], "links": [{"id": 4, "origin_id": {"a": 1}, "target_id": 1}]}',
                     '{"nodes": [{"id": ' + "9" * 5000 + ', "type": "X"}]}']
            codes = [httpx.post(url + "/-/advise?_format=json", content=c, headers={"content-type": "application/json"},
                                timeout=60).status_code for c in cases]
            print(f"11 malformed workflows: statuses {codes}")

        def debug() -> None:
            pages = ["/-/versions", "/-/threads", "/-/databases", "/-/messages", "/-/allow-debug", "/-/patterns"]
            codes = [httpx.get(url + p).status_code for p in pages]
            posts = [httpx.post(url + p, content=b"x", headers={"content-type": "text/plain", "cookie": "a=b"}).status_code
                     for p in ("/hkgraph/tips", "/hkgraph", "/", "/-/downloads")]
            print(f"18 debug pages: statuses {codes}; bad POSTs: {posts}")

        for name, fn in [("1", service), ("2", advisor), ("3", sparql_memory), ("4", bodies), ("6", xss),
                         ("7", sql), ("11", malformed), ("18", debug)]:
            step(name, fn)
    finally:
        served.stop()

    def deep() -> None:
        q = "SELECT * WHERE { BIND(" + "STR(" * 3000 + "1" + ")" * 3000 + " AS ?x) }"
        t = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "hkgraph", "query", "sparql", "--root", str(root), q],
                              capture_output=True, text=True, timeout=300)
        print(f"16 deep nesting: exit code {done.returncode} after {time.monotonic() - t:.1f} s: "
              f"{(done.stderr.strip().splitlines() or [''])[-1][:120]}")

    def trickle() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)

        def serve() -> None:
            conn, _ = sock.accept()
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 40\r\n\r\n")
            for _ in range(40):
                try:
                    conn.sendall(b" ")
                except OSError:
                    break
                time.sleep(1)
            conn.close()

        threading.Thread(target=serve, daemon=True).start()
        from hkgraph.query.kg import KnowledgeGraph

        kg = KnowledgeGraph.open(f"http://127.0.0.1:{sock.getsockname()[1]}/q", timeout=3)
        t = time.monotonic()
        try:
            kg.sparql("ASK {}")
            outcome = "answered"
        except Exception as exc:
            outcome = type(exc).__name__
        print(f"15 remote: a 1 byte/s server held a 3 s client for {time.monotonic() - t:.1f} s ({outcome})")
        sock.close()

    def bomb() -> None:
        import zipfile

        path = work / "hkgraph-9.9.9.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, \
                zf.open("hkgraph-9.9.9/hkgraph.db", "w", force_zip64=True) as out:
            for _ in range(512):
                out.write(bytes(4 << 20))
        from hkgraph.release.archive import verify_release

        tmp = work / "tmp"
        tmp.mkdir()
        peak = [0]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file()))
                time.sleep(0.05)

        thread = threading.Thread(target=watch)
        thread.start()
        os.environ["TMPDIR"] = str(tmp)
        tempfile.tempdir = None
        t = time.monotonic()
        result = verify_release(path)
        done.set()
        thread.join()
        print(f"9 archive bomb: {path.stat().st_size / 1e6:.1f} MB zip: verify took {time.monotonic() - t:.1f} s, "
              f"wrote up to {peak[0] / 1e6:.0f} MB, problems: {result.problems[:1]}")

    def release_open() -> None:
        env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}
        subprocess.run([sys.executable, "-m", "hkgraph", "release", "--root", str(root), "--version", "1.0.0"],
                       check=True, capture_output=True, env=env, timeout=600)
        archive = root / "dist" / "release" / "hkgraph-1.0.0.zip"
        os.environ["XDG_CACHE_HOME"] = str(work / "xdg")
        from hkgraph.query.kg import KnowledgeGraph

        with KnowledgeGraph.open(archive) as kg:
            print(f"10 releases: KnowledgeGraph.open(real release zip): {len(kg.tips())} tips")

    def downloads() -> None:
        for suffix in ("zip", "tar.gz"):
            os.truncate(root / "dist" / "release" / f"hkgraph-1.0.0.{suffix}", 3 << 30)
        again = Served(["--root", str(root)], work / "serve2.log").wait("/-/sparql?query=ASK%20%7B%7D")
        try:
            waits = []

            def page() -> None:
                time.sleep(0.3)
                t = time.monotonic()
                httpx.get(again.url + "/hkgraph", timeout=600)
                waits.append(time.monotonic() - t)

            thread = threading.Thread(target=page)
            thread.start()
            t = time.monotonic()
            httpx.get(again.url + "/-/downloads", timeout=600)
            first = time.monotonic() - t
            thread.join()
            t = time.monotonic()
            httpx.get(again.url + "/-/downloads", timeout=600)
            print(f"17 downloads (2 x 3 GB archives): first view {first:.1f} s, second {time.monotonic() - t:.2f} s; "
                  f"a page during the first waited {waits[0]:.2f} s")
        finally:
            again.stop()

    for name, fn in [("16", deep), ("15", trickle), ("9", bomb), ("10", release_open), ("17", downloads)]:
        step(name, fn)


if __name__ == "__main__":
    main()
