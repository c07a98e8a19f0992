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
