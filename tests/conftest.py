"""Shared fixtures: the project root, a build of the real data, the optional ../shared folder, free ports."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# ../shared is beside the project in CI and on developer machines, never in a user's clone.
# HKGRAPH_SHARED points elsewhere (e.g. from a git worktree that does not sit beside shared/).
SHARED = Path(os.environ.get("HKGRAPH_SHARED") or ROOT.parent / "shared")
SHARED_REASON = "../shared (source pages, reference facts, real workflows) is not present beside this clone"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(SHARED_REASON)
    return path


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real data under data/, built once per test session into a temporary dist/."""
    from hkgraph.compile.build import build

    out = tmp_path_factory.mktemp("build") / "dist"
    build(ROOT, out)
    return out


@pytest.fixture(scope="session")
def dataset():
    from hkgraph.records.load import load_dataset

    return load_dataset(ROOT)


def flip_a_byte_keeping_its_times(path: Path) -> None:
    """Damage a file in place as a faulty program or disk might, its size and modification time put back."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x20
    st = path.stat()
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_datasette(db: Path, **plugin: Any) -> Any:
    """Datasette on ``db`` with the project's metadata.yml, the hkgraph plugin settings overridden by ``plugin``."""
    import yaml
    from datasette.app import Datasette

    from hkgraph.web.metadata import METADATA_FILE

    metadata = yaml.safe_load((ROOT / METADATA_FILE).read_text())
    metadata["plugins"]["hkgraph"].update(plugin)
    return Datasette(immutables=[str(db)], metadata=metadata)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def ds(site_dist: Path) -> Any:
    """Datasette on tests/fixtures/site with the project's metadata.yml, started once per module."""
    datasette = make_datasette(site_dist / "hkgraph.db")
    await datasette.invoke_startup()
    return datasette


@pytest.fixture(scope="session")
def site_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/site (a small dataset with exact, known answers), built once per session."""
    from hkgraph.compile.build import build

    out = tmp_path_factory.mktemp("site") / "dist"
    build(FIXTURES / "site", out)
    return out


@pytest.fixture(scope="session")
def kg_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder holding the small hand-written dataset of tests/fixtures/kg (exact answers)."""
    import shutil

    root = tmp_path_factory.mktemp("kg")
    shutil.copytree(FIXTURES / "kg" / "data", root / "data")
    shutil.copytree(ROOT / "schema", root / "schema")
    return root


@pytest.fixture(scope="session")
def kg_dist(kg_root: Path) -> Path:
    """tests/fixtures/kg built once per session."""
    from hkgraph.compile.build import build

    return build(kg_root, kg_root / "dist").out_dir


class Listener:
    """A TCP server on a loopback port that records every connection (and the first bytes) it is offered."""

    def __init__(self) -> None:
        import threading

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.received: list[bytes] = []
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(0.5)
            try:
                self.received.append(conn.recv(4096))
            except OSError:
                self.received.append(b"")
            conn.close()

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


class Served:
    """A real `hkgraph serve` subprocess on a free loopback port (``url``), with its log."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str] | None = None) -> None:
        import subprocess
        import sys

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log
        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hkgraph", "serve", "--port", str(self.port), *args],
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
        )

    def wait(self, path: str = "/", timeout: float = 120) -> Served:
        import time

        import httpx

        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"hkgraph serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"hkgraph serve did not answer within {timeout} s:\n{self.log()}")
            time.sleep(0.2)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        import signal
        import subprocess

        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self._log.close()


def site_project(root: Path) -> Path:
    """A project folder at ``root`` holding tests/fixtures/site's data, the schema and metadata.yml."""
    import shutil

    shutil.copytree(FIXTURES / "site" / "data", root / "data")
    shutil.copytree(ROOT / "schema", root / "schema")
    shutil.copy(ROOT / "metadata.yml", root / "metadata.yml")
    return root


@pytest.fixture(scope="session")
def real_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """hkgraph-1.0.0.zip as the real `hkgraph release` command writes it (tests/fixtures/site's data)."""
    import subprocess
    import sys

    root = site_project(tmp_path_factory.mktemp("released"))
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}
    subprocess.run([sys.executable, "-m", "hkgraph", "release", "--root", str(root), "--version", "1.0.0"],
                   check=True, capture_output=True, env=env, timeout=600)
    return root / "dist" / "release" / "hkgraph-1.0.0.zip"


def serve_site(root: Path, **plugin: Any) -> Served:
    """A real `hkgraph serve` of tests/fixtures/site under ``root``, the hkgraph plugin settings
    overridden by ``plugin``; it has answered once when this returns."""
    import yaml

    site_project(root)
    metadata = yaml.safe_load((root / "metadata.yml").read_text())
    metadata["plugins"]["hkgraph"].update(plugin)
    (root / "metadata.yml").write_text(yaml.safe_dump(metadata, sort_keys=False))
    served = Served(["--root", str(root)], root / "serve.log")
    try:
        return served.wait("/-/sparql?query=ASK%20%7B%7D")
    except BaseException:
        served.stop()
        raise


def repack_release(archive: Path, dest: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of a release zip with members replaced, added or (None) removed, and SHA256SUMS made to
    match again: what someone who controls the archive can send."""
    import hashlib
    import zipfile

    with zipfile.ZipFile(archive) as zin:
        top = zin.namelist()[0].split("/")[0]
        members = {info.filename: zin.read(info.filename) for info in zin.infolist() if not info.is_dir()}
    for rel, data in change.items():
        if data is None:
            members.pop(f"{top}/{rel}", None)
        else:
            members[f"{top}/{rel}"] = data
    sums = "".join(f"{hashlib.sha256(data).hexdigest()}  {name[len(top) + 1:]}\n"
                   for name, data in sorted(members.items()) if name != f"{top}/SHA256SUMS")
    members[f"{top}/SHA256SUMS"] = sums.encode()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in sorted(members.items()):
            zout.writestr(name, data)
    return dest
