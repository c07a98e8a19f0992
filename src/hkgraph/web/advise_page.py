"""The advisor's Datasette page, ``/-/advise``: upload or paste a ComfyUI workflow, read the advice.

GET shows the form (the browser reads a chosen file into the text field, so the form posts as
urlencoded); ``?sample=1`` fills it with a small sample workflow to try; POST (that form, a multipart
upload with a ``file`` or ``text`` field, or a raw JSON body) shows the same report as
``hkgraph advise``, as HTML, or as JSON with ``?_format=json`` or a JSON request body. The advice comes
from the served hkgraph database. The body is bounded while it streams in, and the advisor runs in a
confined worker process with a time and a memory limit (:mod:`hkgraph.advise.confined`), never in the
server's event loop. To register the page, the hkgraph plugin adds :data:`ROUTES`::

    from .advise_page import ROUTES as ADVISE_ROUTES

    @hookimpl
    def register_routes():
        return [..., *ADVISE_ROUTES]
"""

from __future__ import annotations

import asyncio
import json
import weakref
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from datasette.utils.asgi import Response

from ..advise.advisor import AdviseError
from ..advise.confined import AdvisorLimits, AdvisorRunner
from ..advise.workflow import MAX_BYTES, WorkflowError
from .bounded import BadFormError, BodyTooLargeError, read_body, read_form

PATH = "/-/advise"
TEMPLATE = "advise.html"
SAMPLE = "sample_workflow.json"  # a small workflow written for trying the page (GET ?sample=1)
BODY_LIMIT = MAX_BYTES + 100_000  # a form's fields and boundaries around the largest workflow
QUEUE_WAIT = 30.0  # seconds a workflow waits for the advisor before 503

# One confined advisor per served Datasette; workflows are judged one at a time, off the event loop.
_RUNNERS: weakref.WeakKeyDictionary[Any, tuple[AdvisorRunner, asyncio.Semaphore]] = weakref.WeakKeyDictionary()
_EXECUTOR = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hkgraph-advise")


class BadRequestError(Exception):
    """The request carries no workflow, or one the page cannot read."""


class UploadTooLargeError(Exception):
    """The body is larger than the advisor reads (answered 413 as soon as that is known)."""


class BusyError(Exception):
    """The advisor is busy with other workflows (answered 503)."""


def _database(datasette: Any) -> tuple[str, str]:
    """(name, file path) of the hkgraph database being served."""
    candidates = [(name, db) for name, db in datasette.databases.items() if name != "_internal" and db.path]
    for name, db in candidates:
        if name == "hkgraph":
            return name, db.path
    for name, db in candidates:
        return name, db.path
    raise AdviseError("no hkgraph database is being served")


async def _workflow_text(request: Any) -> tuple[bytes, str]:
    """The workflow the request carries and a name for it (the body is bounded while it streams in)."""
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    try:
        if kind == "multipart/form-data":
            fields = await read_form(request, BODY_LIMIT)
            filename, data = fields.get("file", (None, b""))
            if data.strip():
                return data, filename or "uploaded workflow"
            return fields.get("text", (None, b""))[1], "pasted workflow"
        body = await read_body(request, BODY_LIMIT)
    except BodyTooLargeError:
        raise UploadTooLargeError(f"the upload is larger than {BODY_LIMIT / 1e6:.1f} MB; the advisor reads workflows "
                                  f"up to {MAX_BYTES / 1e6:.1f} MB") from None
    except BadFormError as exc:
        raise BadRequestError(str(exc)) from None
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"), max_num_fields=50)
        name = form.get("name", [""])[0].strip()
        return form.get("text", [""])[0].encode("utf-8"), name or "pasted workflow"
    return body, "posted workflow"


async def run_advisor(datasette: Any, db_path: str, data: bytes, name: str) -> dict[str, Any]:
    """The report, computed in the confined advisor worker while the event loop goes on serving."""
    found = _RUNNERS.get(datasette)
    if found is None or found[0].db_path != db_path:
        if found is not None:
            found[0].close()
        found = (AdvisorRunner(db_path, AdvisorLimits()), asyncio.Semaphore(1))
        _RUNNERS[datasette] = found
        weakref.finalize(datasette, found[0].close)
    runner, slot = found
    try:
        await asyncio.wait_for(slot.acquire(), QUEUE_WAIT)
    except TimeoutError:
        raise BusyError(f"the advisor stayed busy with other workflows for {QUEUE_WAIT:.0f} s; try again") from None
    try:
        return await asyncio.get_running_loop().run_in_executor(_EXECUTOR, runner.run, data, name)
    finally:
        slot.release()


def _wants_json(request: Any) -> bool:
    return (request.args.get("_format") == "json"
            or request.headers.get("content-type", "").startswith("application/json"))


async def advise_page(datasette: Any, request: Any) -> Response:
    """GET: the form. POST: the advice for the uploaded or pasted workflow."""
    report: dict[str, Any] | None = None
    error: str | None = None
    status = 200
    db_name = None
    try:
        db_name, db_path = _database(datasette)
        if request.method == "POST":
            data, name = await _workflow_text(request)
            if not data.strip():
                raise BadRequestError("no workflow given: choose a file or paste the workflow's JSON")
            report = await run_advisor(datasette, db_path, data, name)
    except (WorkflowError, BadRequestError) as exc:
        error, status = str(exc), 400
    except UploadTooLargeError as exc:
        error, status = str(exc), 413
    except BusyError as exc:
        error, status = str(exc), 503
    except AdviseError as exc:
        error, status = str(exc), 500
    if _wants_json(request) and request.method == "POST":
        return Response.json(report if error is None else {"ok": False, "error": error}, status=status)
    sample = None
    if request.method == "GET" and request.args.get("sample"):
        sample = resources.files("hkgraph.advise").joinpath(SAMPLE).read_text(encoding="utf-8")
    source = resources.files("hkgraph.web.plugin").joinpath("templates", TEMPLATE).read_text(encoding="utf-8")
    template = datasette.jinja_env.from_string(source)
    tips_url = datasette.urls.table(db_name, "tips") if db_name else None
    html = await datasette.render_template(
        template,
        {"report": report, "error": error, "tips_url": tips_url, "path": PATH, "max_mb": MAX_BYTES // 2**20,
         "sample": sample, "sample_name": SAMPLE,
         "report_json": json.dumps(report, indent=2, ensure_ascii=False) if report else None},
        request=request,
    )
    return Response.html(html, status=status)


ROUTES: list[tuple[str, Any]] = [(r"^/-/advise$", advise_page)]
