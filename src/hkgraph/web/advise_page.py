"""The advisor's Datasette page, ``/-/advise``: upload or paste a ComfyUI workflow, read the advice.

GET shows the form (the browser reads a chosen file into the text field, so the form posts as
urlencoded); ``?sample=1`` fills it with a small sample workflow to try; POST (that form, a multipart upload with a ``file`` or ``text`` field, or a raw JSON
body) shows the same report as
``hkgraph advise``, as HTML, or as JSON with ``?_format=json`` or a JSON request body. The advice comes
from the served hkgraph database. To register the page, the hkgraph plugin adds :data:`ROUTES`::

    from .advise_page import ROUTES as ADVISE_ROUTES

    @hookimpl
    def register_routes():
        return [..., *ADVISE_ROUTES]
"""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from datasette.utils.asgi import Response

from ..advise.advisor import AdviseError, advise, load_knowledge
from ..advise.workflow import MAX_BYTES, WorkflowError, parse_workflow

PATH = "/-/advise"
TEMPLATE = "advise.html"
SAMPLE = "sample_workflow.json"  # a small workflow written for trying the page (GET ?sample=1)


class BadRequestError(Exception):
    """The request carries no workflow, or one the page cannot read."""


def _database(datasette: Any) -> tuple[str, str]:
    """(name, file path) of the hkgraph database being served."""
    candidates = [(name, db) for name, db in datasette.databases.items() if name != "_internal" and db.path]
    for name, db in candidates:
        if name == "hkgraph":
            return name, db.path
    for name, db in candidates:
        return name, db.path
    raise AdviseError("no hkgraph database is being served")


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    if not message.is_multipart():
        raise BadRequestError("the upload is not valid multipart/form-data")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            payload = part.get_payload(decode=True)
            fields[name] = (part.get_filename(), payload if isinstance(payload, bytes) else b"")
    return fields


async def _workflow_text(request: Any) -> tuple[bytes, str]:
    """The workflow the request carries and a name for it."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > MAX_BYTES + 100_000:
        raise WorkflowError(f"the upload is {int(length) / 1e6:.1f} MB; the advisor reads workflows up to "
                            f"{MAX_BYTES / 1e6:.1f} MB")
    body = await request.post_body()
    content_type = request.headers.get("content-type", "")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "multipart/form-data":
        fields = _multipart(content_type, body)
        filename, data = fields.get("file", (None, b""))
        if data.strip():
            return data, filename or "uploaded workflow"
        return fields.get("text", (None, b""))[1], "pasted workflow"
    if kind == "application/x-www-form-urlencoded":
        form = parse_qs(body.decode("utf-8", "replace"))
        name = form.get("name", [""])[0].strip()
        return form.get("text", [""])[0].encode("utf-8"), name or "pasted workflow"
    return body, "posted workflow"


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
            report = advise(parse_workflow(data, name=name), load_knowledge(db_path))
    except (WorkflowError, BadRequestError) as exc:
        error, status = str(exc), 400
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
