"""Start and stop a real Oxigraph SPARQL server (PyPI package `oxigraph`) for the tests."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import free_port


def oxigraph_binary() -> Path:
    """The `oxigraph` server of the PyPI package of that name (a test extra)."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = beside if beside.exists() else shutil.which("oxigraph")
    if not found:
        reason = "the oxigraph server (PyPI package `oxigraph`, in the test extras) is not installed"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return Path(found)


def start_oxigraph(nt_file: Path, location: Path) -> tuple[subprocess.Popen, str]:
    """Load ``nt_file`` into a new store at ``location`` and serve it read-only on 127.0.0.1."""
    exe = oxigraph_binary()
    subprocess.run([str(exe), "load", "--location", str(location), "--file", str(nt_file)],
                   check=True, capture_output=True, timeout=120)
    port = free_port()
    proc = subprocess.Popen(
        [str(exe), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"oxigraph exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(url, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError("oxigraph did not start within 30 s")
        time.sleep(0.1)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
