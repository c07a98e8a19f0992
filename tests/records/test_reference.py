"""Names in the vocabulary agree with the facts read off the node packs (../shared/reference/)."""

from __future__ import annotations

import csv
import json

import pytest

from conftest import shared_path

PACK_URLS = {
    "comfyui": "https://github.com/comfyanonymous/ComfyUI",
    "comfyui-wanvideowrapper": "https://github.com/kijai/ComfyUI-WanVideoWrapper",
    "comfyui-kjnodes": "https://github.com/kijai/ComfyUI-KJNodes",
}


@pytest.fixture(scope="module")
def display_names():
    path = shared_path("reference", "node-display-names.tsv")
    with path.open() as f:
        return {row["class_name"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.fixture(scope="module")
def node_map():
    path = shared_path("reference", "comfyui-manager", "extension-node-map.json")
    return {url: set(entry[0]) for url, entry in json.loads(path.read_text()).items()}


def test_kijai_nodes_match_the_packs_own_names(dataset, display_names):
    wrong = []
    for node in dataset.entities["node"].values():
        if node.repo in ("comfyui-wanvideowrapper", "comfyui-kjnodes"):
            row = display_names.get(node.class_name)
            if row is None or row["display_name"] != node.name:
                wrong.append((node.id, node.class_name, node.name, row and row["display_name"]))
    assert wrong == []


def test_every_node_class_exists_in_its_pack(dataset, node_map):
    """In ComfyUI-Manager's map, in the node-input table read from the pack's own source (newer than the map
    for a few core classes, such as TextGenerateLTX2Prompt), or in a real workflow of the site (the workflow
    entities list every class their files use), or read from the pack's source at a commit the node records in
    class_name_read_from: data/README.md accepts all four."""
    from hkgraph.advise.values import node_inputs

    table = node_inputs()
    read = {(f"https://github.com/{table['sources'][e['pack']]['repo']}", cls) for cls, e in table["nodes"].items()}
    in_workflows = {c for wf in dataset.entities["workflow"].values() for c in wf.node_classes}
    missing = []
    for node in dataset.entities["node"].values():
        if node.class_name_status == "unverified":
            continue  # the page names it; its class name could not be checked (test below)
        repo = dataset.entities["repo"][node.repo]
        url = PACK_URLS.get(node.repo, repo.url)
        if node.class_name_read_from:
            continue  # read from the pack's own source at a recorded commit (shown on the node's page)
        if (node.class_name not in node_map.get(url, set()) and (url, node.class_name) not in read
                and node.class_name not in in_workflows):
            missing.append((node.id, node.class_name, url))
    assert missing == []


def test_wanvideo_parameters_match_the_reference(dataset):
    path = shared_path("reference", "wanvideo-params.tsv")
    with path.open() as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if "088128b22424" in r["source"]]
    by_class = {n.class_name: n.id for n in dataset.entities["node"].values()}
    params = dataset.entities["parameter"]
    for row in rows:
        pid = f"{by_class[row['node_class']]}-{row['parameter'].replace('_', '-')}"
        assert pid in params, pid
        p = params[pid]
        assert p.name == row["parameter"] and p.type == row["type"]
        if row["type"] == "COMBO" and not row["allowed_values"].startswith("files from"):
            assert p.allowed_values == row["allowed_values"].split("|"), pid
        assert (p.default or "") == row["default"], pid


def test_an_unverified_class_name_is_really_absent_from_the_map(dataset, node_map):
    """A node marked unverified must not be one the map could verify (then it should say verified)."""
    known = {name for classes in node_map.values() for name in classes}
    wrongly = [n.id for n in dataset.entities["node"].values()
               if n.class_name_status == "unverified" and n.class_name in known]
    assert wrongly == []
