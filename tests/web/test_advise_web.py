"""The advisor's Datasette page: in-process through Datasette's client, and end to end in headless Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from datasette.app import Datasette

from conftest import FIXTURES, free_port

EDITOR = FIXTURES / "advise" / "workflows" / "editor.json"


@pytest.fixture(scope="module")
def advise_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hkgraph.compile.build import build

    out = tmp_path_factory.mktemp("advise-web") / "dist"
    build(FIXTURES / "advise", out, shacl=False)
    return out / "hkgraph.db"


@pytest.fixture
def ds(advise_db):
    # The page comes with the hkgraph Datasette plugin (registered through its entry point).
    return Datasette([str(advise_db)], immutables=[])


async def test_form_is_shown(ds):
    r = await ds.client.get("/-/advise")
    assert r.status_code == 200
    assert '<form action="/-/advise" method="post" id="advise-form">' in r.text
    assert 'name="csrftoken"' in r.text and 'type="file"' in r.text


async def test_upload_shows_the_advice(ds):
    files = {"file": ("editor.json", EDITOR.read_bytes(), "application/json")}
    r = await ds.client.post("/-/advise", files=files, data={"text": ""})
    assert r.status_code == 200, r.text
    assert '<span class="sev sev-warning">WARNING</span>' in r.text
    assert "<code>quantization = fp8_e5m2</code> → <code>not fp8_e5m2</code>" in r.text
    assert '<a href="/hkgraph/tips/avoid-fp8-e5m2">avoid-fp8-e5m2</a>' in r.text
    assert '<a href="https://wanx-troopers.github.io/fixture.html#quantization">source</a>' in r.text
    # the bypassed node's finding is not among what to change first
    main = r.text.split('<details id="more">')[0]
    assert main.count('class="finding ') == 2 and "Spare loader" not in main


async def test_sample_workflow_is_offered(ds):
    r = await ds.client.get("/-/advise")
    assert '<a href="/-/advise?sample=1" id="sample-link">Try a sample workflow</a>' in r.text
    r = await ds.client.get("/-/advise?sample=1")
    assert r.status_code == 200 and "lightx2v_I2V_14B_480p_cfg_step_distill" in r.text
    assert 'id="name" value="sample_workflow.json"' in r.text


async def test_pasted_json_and_json_output(ds):
    r = await ds.client.post("/-/advise?_format=json", data={"text": EDITOR.read_text()})
    assert r.status_code == 200
    report = r.json()
    assert report["summary"]["warnings"] == 1
    assert report["workflow"]["name"] == "pasted workflow"
    r = await ds.client.post("/-/advise", content=EDITOR.read_bytes(), headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.json()["workflow"]["name"] == "posted workflow"


@pytest.mark.parametrize(("text", "message"), [
    ("", "no workflow given: choose a file or paste the workflow&#39;s JSON"),
    ("{oops", "pasted workflow:1:2: not JSON"),
    ('{"hello": 1}', "pasted workflow: not a ComfyUI workflow: found an object with keys hello"),
])
async def test_bad_input_is_a_clear_message(ds, text, message):
    r = await ds.client.post("/-/advise", data={"text": text})
    assert r.status_code == 400
    assert f'<p class="error" id="error">{message}' in r.text
    r = await ds.client.post("/-/advise?_format=json", data={"text": text})
    assert r.status_code == 400 and r.json()["ok"] is False


LAUNCHER = """
import sys
import uvicorn
from datasette.app import Datasette

if __name__ == "__main__":  # the SPARQL worker processes import this module again
    ds = Datasette([sys.argv[1]], immutables=[])
    uvicorn.run(ds.app(), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


@pytest.mark.e2e
def test_upload_in_a_real_browser(advise_db, tmp_path):
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing (make system-deps installs it)")
        pytest.skip("/usr/bin/chromium is missing; `make system-deps` installs it")
    from playwright.sync_api import sync_playwright

    launcher = tmp_path / "serve.py"
    launcher.write_text(LAUNCHER)
    port = free_port()
    server = subprocess.Popen([sys.executable, str(launcher), str(advise_db), str(port)])
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            assert server.poll() is None, "the Datasette server exited"
            try:
                if httpx.get(f"{base}/-/advise", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(chromium), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            try:
                page = browser.new_page()
                page.goto(f"{base}/-/advise", timeout=15_000)
                page.set_input_files("#file", str(EDITOR))
                page.wait_for_selector("#advise-form[data-loaded='editor.json']", timeout=15_000)
                page.click("input[type=submit]")
                page.wait_for_selector("#summary", timeout=15_000)
                assert page.locator("#summary").inner_text() == "editor.json"
                warning = page.locator("li.finding", has_text="quantization = fp8_e5m2").first.inner_text()
                assert warning.startswith("WARNING")
                assert "Unscaled fp8_e5m2 is the worst quantization choice" in warning
                page.screenshot(path=str(tmp_path / "advise.png"), full_page=True)
                # the sample: one click fills the form, one more gives its findings
                page.click("#sample-link")
                page.wait_for_selector("#advise-form", timeout=15_000)
                page.click("input[type=submit]")
                page.wait_for_selector("#summary", timeout=15_000)
                assert page.locator("#summary").inner_text() == "sample_workflow.json"
                # the fixture data's advice: the sample follows it (bf16, cfg 1 with a distill LoRA)
                assert "Values read on 7 of 7 nodes" in page.locator(".advise").inner_text()
                assert page.locator("#nothing").count() == 1
            finally:
                browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
