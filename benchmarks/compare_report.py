"""benchmarks/RESULTS.md from the results of :mod:`compare`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from measure import mb, ms

SIZE_NAMES = {"real": "the real data", "10000": "10,000 tips", "100000": "100,000 tips"}


def _load(load: Any) -> str:
    return f"{load[0]:.2f} → {load[1]:.2f}"


def _met(ok: bool) -> str:
    return "met" if ok else "**not met**"


def _before(row: dict[str, Any], key: str = "before") -> str:
    return ms(row[key]) + " → " if key in row else ""


def write(path: Path, r: dict[str, Any]) -> None:
    v = r["versions"]
    lines = [
        "# hkgraph next to the alternatives",
        "",
        "Written by `make bench` (`python benchmarks/compare.py`). Every figure is the median of interleaved runs",
        "(each round runs every contender once, in a new random order) of whole processes as a user starts them;",
        "the 1-minute load average is given before → after each section: the machine is shared, and other work",
        "slows every contender of a round alike, so the ratios are steadier than the absolute times.",
        "",
        f"Machine: {v['cpu']}, {v['cores']} cores, {v['platform']}, Python {v['python']}. Peers: sqlite3 shell "
        f"{v['sqlite3 shell']}, {v['oxigraph']} (`oxigraph serve-read-only` from PyPI `oxigraph`), pyoxigraph "
        f"{v['pyoxigraph']}; Datasette {v['datasette']}. Run {v['date']}.",
    ]
    if r.get("real"):
        lines += ["", f"The real data: {r['real']}. hkgraph runs with Python's bytecode cache on, as an installed copy does."]
    if r.get("before"):
        lines += ["", "Where a figure reads `a → b`, `a` is the code before issue 15 (the branch point, "
                  "`PYTHONPATH` pointing at its src/) and `b` this code, measured in the same rounds."]
    if "cli" in r:
        c = r["cli"]
        lines += ["", "## Command line on the real data", "",
                  f"`hkgraph` on an up-to-date build next to the same question asked of the `sqlite3` shell, plus "
                  f"Python's own start-up (`python -c pass`: {ms(c['rows'][0]['python'])}); target: within 3× of that "
                  f"sum. {c['rounds']} rounds; load average {_load(c['load'])}.", "",
                  "| command | sqlite3 | sqlite3 + python | hkgraph (wall) | CPU | ratio | target ≤ 3× |",
                  "|---|---|---|---|---|---|---|"]
        for row in c["rows"]:
            lines.append(f"| `hkgraph {row['command']}` | {ms(row['sqlite3']) if row['sqlite3'] else '–'} | "
                         f"{ms(row['baseline'])} | {_before(row)}{ms(row['after'])} | {ms(row['after_cpu'])} | "
                         f"{row['ratio']:.2f}× | {_met(row['ratio'] <= 3)} |")
    if "builds" in r:
        lines += ["", "## Builds", "",
                  "`hkgraph build --full` (cold: no cache), `hkgraph build` with nothing changed (no-op) and after one "
                  "edited tip (rebuild), as whole processes. CPU is user + system time of the build and the workers it "
                  "waited for; memory is the peak PSS of the whole process tree (pages shared between the build and "
                  "its forked workers counted once), sampled every 20 ms.", "",
                  "| data | cold build | CPU | tree PSS (peak) | no-op build | rebuild after one edit | load |",
                  "|---|---|---|---|---|---|---|"]
        for e in r["builds"]["sizes"]:
            cold = e["cold"]
            def pair(key: str, fmt: Any, d: dict[str, Any] = cold) -> str:
                before = f"{fmt(d['before'][key])} → " if "before" in d else ""
                return before + fmt(d["after"][key])
            noop = (f"{ms(e['noop']['before'])} → " if "before" in e["noop"] else "") + ms(e["noop"]["after"])
            rebuild = ((f"{ms(e['rebuild']['before'])} → " if "before" in e["rebuild"] else "")
                       + ms(e["rebuild"]["after"])) if e["rebuild"] else "–"
            lines.append(f"| {SIZE_NAMES[e['size']]} | {pair('wall', ms)} | {pair('cpu', ms)} | {pair('pss', mb)} | "
                         f"{noop} | {rebuild} | {_load(e['load'])} |")
        lines += ["", "| target | measured | |", "|---|---|---|"]
        for e in r["builds"]["sizes"]:
            a = e["cold"]["after"]
            if e["size"] == "real":
                lines.append(f"| real-data cold build ≤ 1 s | {ms(a['wall'])} | {_met(a['wall'] <= 1)} |")
            if e["size"] == "10000":
                lines.append(f"| 10k cold build ≤ 6 CPU-seconds | {ms(a['cpu'])} | {_met(a['cpu'] <= 6)} |")
                lines.append(f"| no-op build ≤ 100 ms at 10k | {ms(e['noop']['after'])} | "
                             f"{_met(e['noop']['after'] <= 0.1)} |")
                lines.append(f"| rebuild after one edit ≤ 1 s at 10k | {ms(e['rebuild']['after'])} | "
                             f"{_met(e['rebuild']['after'] <= 1)} |")
            if e["size"] == "100000":
                lines.append(f"| no-op build ≤ 1 s at 100k | {ms(e['noop']['after'])} | {_met(e['noop']['after'] <= 1)} |")
                lines.append(f"| process tree ≤ 1.5 GB at 100k (PSS) | {mb(a['pss'])} | {_met(a['pss'] <= 1.5e9)} |")
    if "sparql" in r:
        lines += ["", "## SPARQL endpoint next to `oxigraph serve-read-only`", "",
                  "Both servers answer from the same store (`dist/oxigraph`, opened read-only), started as a user starts "
                  "them (`hkgraph serve`'s Datasette command; `oxigraph serve-read-only --location`), queried over "
                  "HTTP POST by the same client: single requests one after the other (latency), then 8 client "
                  "processes for a few seconds each (throughput, and every answer that was not a 200). Targets: "
                  "latency ≤ 1.2× Oxigraph's, throughput ≥ 0.9× Oxigraph's, no error where Oxigraph answers, first "
                  "answer ≤ 1 s after start at 100k."]
        for e in r["sparql"]["sizes"]:
            lat, thr = e["latency"], e["throughput"]
            first = {n: sorted(v)[len(v) // 2] for n, v in e["first"].items()}
            lines += ["", f"### {SIZE_NAMES[e['size']]}", "",
                      f"First answer after start: hkgraph {ms(first['hkgraph'])}, Oxigraph {ms(first['oxigraph'])}. "
                      f"Memory of the server's process tree (PSS) after the runs: hkgraph {mb(e['memory']['hkgraph'])}, "
                      f"Oxigraph {mb(e['memory']['oxigraph'])}. Load average {_load(e['load'])}.", "",
                      "| query | latency hkgraph | Oxigraph | ratio | ≤ 1.2× | per second hkgraph | Oxigraph | ratio | ≥ 0.9× | "
                      "not 200 (hkgraph / Oxigraph) |", "|---|---|---|---|---|---|---|---|---|---|"]
            for shape in lat:
                ratio = lat[shape]["hkgraph"] / lat[shape]["oxigraph"]
                t_ratio = thr[shape]["hkgraph"]["per_s"] / max(thr[shape]["oxigraph"]["per_s"], 1e-9)
                lines.append(f"| {shape} | {ms(lat[shape]['hkgraph'])} | {ms(lat[shape]['oxigraph'])} | {ratio:.2f}× | "
                             f"{_met(ratio <= 1.2)} | {thr[shape]['hkgraph']['per_s']:.1f} | "
                             f"{thr[shape]['oxigraph']['per_s']:.1f} | {t_ratio:.2f}× | {_met(t_ratio >= 0.9)} | "
                             f"{thr[shape]['hkgraph']['failed']} / {thr[shape]['oxigraph']['failed']} |")
    if "pages" in r:
        p = r["pages"]
        lines += ["", f"## Datasette pages at {SIZE_NAMES[p['size']]}", "",
                  "The URLs people click, on the server as `hkgraph serve` starts it: the first request after start "
                  "(nothing remembered yet) and the median of repeated requests. Target: ≤ 150 ms median. Load average "
                  f"{_load(p['load'])}; server memory (PSS) " + ", ".join(f"{w} {mb(m)}" for w, m in p["memory"].items())
                  + ".", "", "| page | URL | first request | median | ≤ 150 ms |", "|---|---|---|---|---|"]
        for label, med in p["median"].items():
            first = p["first"][label]
            url = p["urls"][label]["after"]
            lines.append(f"| {label} | `{url}` | {_before(first)}{ms(first['after'])} | {_before(med)}{ms(med['after'])} | "
                         f"{_met(med['after'] <= 0.15)} |")
    if "open" in r:
        lines += ["", "## `KnowledgeGraph.open()` and a first query, next to pyoxigraph opened directly", "",
                  "In a fresh process each time: the time from before `open` to the first answer, inside the process "
                  "(after the imports), and the whole process. `sparql` is `kg.sparql(lookup)` (parsed by the policy "
                  "check first, which imports rdflib's SPARQL parser once per process); `typed helper` is "
                  "`kg.tips(node=…)` (pydantic records: the models are imported on first use, and the name index "
                  "built); `rows helper` is `kg.tip_rows(node=…)` (the same tips as flat rows, as the command line "
                  "prints them). Target: ≤ 2× pyoxigraph."]
        for e in r["open"]["sizes"]:
            ins, proc = e["inside"], e["process"]
            base = ins["pyoxigraph"]
            lines += ["", f"{SIZE_NAMES[e['size']]} (load average {_load(e['load'])}):", "",
                      "| call | open + first answer | ratio | ≤ 2× | whole process |", "|---|---|---|---|---|",
                      f"| pyoxigraph `Store.read_only` + query | {ms(base)} | 1.00× | | {ms(proc['pyoxigraph'])} |"]
            for call in ("sparql", "typed helper", "rows helper"):
                if f"after: {call}" not in ins:
                    continue
                after = ins[f"after: {call}"]
                before = f"{ms(ins[f'before: {call}'])} → " if f"before: {call}" in ins else ""
                bp = f"{ms(proc[f'before: {call}'])} → " if f"before: {call}" in proc else ""
                lines.append(f"| KnowledgeGraph, {call} | {before}{ms(after)} | {after / base:.2f}× | "
                             f"{_met(after / base <= 2)} | {bp}{ms(proc[f'after: {call}'])} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
