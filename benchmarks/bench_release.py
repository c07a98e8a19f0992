"""How long a release takes and how big it is, on generated data (run on demand, not a test).

    .venv/bin/python benchmarks/bench_release.py --tips 1000 10000

For each size: a temporary project holds the entities of tests/fixtures/release plus N generated tips;
the script times `make_release` (build, CSV, descriptions, archives), `verify_release` on the zip and
`open_release` on the zip (unpack, check, N-Triples, pyoxigraph store), builds the release a second
time to check the archives are byte-identical, and prints the sizes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from hkgraph.release.archive import make_release, open_release, verify_release  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "release" / "data"
TIP = """id: {id}
title: Generated tip {n} about fp8 quantization and block swap number {n}
summary: Setting `quantization` to `fp8_e4m3fn` saves memory; this is generated tip {n} for the benchmark.
kind: setting
source:
  page: bench-page.md
  section: Bench {section}
  excerpt: Use fp8_e4m3fn quantization in the model loader, variant {n}.
nodes:
- wanvideo-model-loader
parameters:
- wanvideo-model-loader-quantization
values:
- wanvideo-model-loader-quantization=fp8_e4m3fn
repos:
- comfyui-wanvideowrapper
settings:
- parameter: wanvideo-model-loader-quantization
  value: fp8_e4m3fn
  advice: prefer
  condition: memory is short ({n})
tags:
- vram
"""


def project(parent: Path, tips: int) -> Path:
    root = parent / f"project-{tips}"
    shutil.copytree(FIXTURE / "entities", root / "data" / "entities")
    shutil.copytree(ROOT / "schema", root / "schema")
    entries = root / "data" / "entries"
    entries.mkdir(parents=True)
    for n in range(tips):
        ident = f"generated-tip-{n:06d}"
        (entries / f"{ident}.yaml").write_text(TIP.format(id=ident, n=n, section=n // 50))
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tips", type=int, nargs="+", default=[1000])
    args = parser.parse_args()
    print("| tips | release s | verify zip s | open zip s | files | zip MiB | tar.gz MiB | db MiB | identical |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for tips in args.tips:
        with tempfile.TemporaryDirectory() as tmp:
            root = project(Path(tmp), tips)
            t = time.perf_counter()
            release = make_release(root, epoch=1_750_000_000)
            t_release = time.perf_counter() - t
            t = time.perf_counter()
            assert verify_release(release.archives[0]).ok
            t_verify = time.perf_counter() - t
            t = time.perf_counter()
            open_release(release.archives[0], cache_dir=Path(tmp) / "cache")
            t_open = time.perf_counter() - t
            again = make_release(root, epoch=1_750_000_000, out_dir=Path(tmp) / "again")
            same = all(a.read_bytes() == b.read_bytes() for a, b in zip(release.archives, again.archives, strict=True))
            mib = [p.stat().st_size / 2**20 for p in (*release.archives, release.folder / "hkgraph.db")]
            print(f"| {tips} | {t_release:.2f} | {t_verify:.2f} | {t_open:.2f} | {len(release.files)} | "
                  f"{mib[0]:.1f} | {mib[1]:.1f} | {mib[2]:.1f} | {'yes' if same else 'NO'} |")


if __name__ == "__main__":
    main()
