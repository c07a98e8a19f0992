"""Linked Data: every IRI ``https://w3id.org/hkgraph/<kind>/<id>`` answers at the local path ``/<kind>/<id>``.

A browser (``Accept: text/html``) is sent on (303) to the record's page; anything else gets the record's
description: the triples whose subject it is, plus the labels and titles of what they point to, as
Turtle (the default), N-Triples or JSON-LD, chosen by the ``Accept`` header or by an extension
(``/node/x.ttl``, ``.nt``, ``.jsonld``). The description is a SPARQL CONSTRUCT run by the endpoint's
worker processes, so it has the endpoint's limits and never runs in the server's event loop.

The w3id.org redirect that sends the public IRIs here lives in ``w3id/.htaccess``; docs/namespace.md
says how it is published.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from datasette.utils import tilde_encode
from datasette.utils.asgi import Response

from ..compile.rdf import BASE, value_segment
from ..compile.sqlite import ENTITY_TABLES, KIND_TABLE
from . import sparql_protocol as sp

# IRI kind → the table whose rows it names. Settings, quotes, values and (contract v1) model files are
# parts of tips, parameters and models with IRIs of their own.
KIND_TABLES: dict[str, str] = {
    **KIND_TABLE, **ENTITY_TABLES, "setting": "settings", "quote": "quotes", "model-file": "model_files",
}
TABLE_KINDS: dict[str, str] = {table: kind for kind, table in KIND_TABLES.items()}
EXTENSIONS = {"ttl": "turtle", "nt": "ntriples", "jsonld": "jsonld"}
FORMAT_LABELS = {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD"}
_SAFE_REST = re.compile(r"^[A-Za-z0-9._~%!$&'()*+,;=:@/-]+$")


def route_pattern() -> str:
    kinds = "|".join(re.escape(k) for k in sorted(KIND_TABLES, key=len, reverse=True))
    return rf"^/(?P<kind>{kinds})/(?P<rest>.+)$"


def local_path(kind: str, rest: str) -> str:
    return f"/{kind}/{rest}"


def iri_of_row(table: str, row_id: str) -> str | None:
    """The IRI of a row of an hkgraph table (``nodes``, ``x`` → ``…/node/x``), if its kind has IRIs."""
    kind = TABLE_KINDS.get(table)
    if kind is None:
        return None
    if kind == "value":
        parameter, _, value = row_id.partition("=")
        return f"{BASE}value/{parameter}/{value_segment(value)}"
    if kind == "model-file":
        model, _, name = row_id.partition("/")
        return f"{BASE}model-file/{model}/{urllib.parse.quote(name, safe='')}"
    return f"{BASE}{kind}/{row_id}"


def row_of_iri(iri: str) -> tuple[str, str] | None:
    """(table, row id) for an hkgraph IRI, the reverse of :func:`iri_of_row`."""
    if not iri.startswith(BASE):
        return None
    kind, _, rest = iri[len(BASE):].partition("/")
    table = KIND_TABLES.get(kind)
    if table is None or not rest:
        return None
    if kind == "value":
        parameter, _, value = rest.partition("/")
        return table, f"{parameter}={urllib.parse.unquote(value)}"
    if kind == "model-file":
        return table, urllib.parse.unquote(rest)
    return table, urllib.parse.unquote(rest)


def row_href(datasette: Any, database: str, iri: str) -> str | None:
    """The Datasette page of an hkgraph IRI, if it has one."""
    found = row_of_iri(iri)
    if found is None:
        return None
    table, row_id = found
    return datasette.urls.row(database, table, tilde_encode(row_id))


def local_href(datasette: Any, iri: str, fmt: str | None = None) -> str | None:
    """The local path that answers for an hkgraph IRI (``/node/x``, or ``/node/x.ttl`` for a format)."""
    if not iri.startswith(BASE):
        return None
    path = "/" + iri[len(BASE):]
    if fmt is not None:
        path += "." + {v: k for k, v in EXTENSIONS.items()}[fmt]
    return datasette.urls.path(path)


def describe_query(iri: str) -> str:
    return (
        "CONSTRUCT { ?s ?p ?o . ?o rdfs:label ?label . ?o dcterms:title ?title } "
        f"WHERE {{ VALUES ?s {{ <{iri}> }} ?s ?p ?o . "
        "OPTIONAL { ?o rdfs:label ?label } OPTIONAL { ?o dcterms:title ?title } }"
    )


def _not_found(message: str) -> Response:
    return Response.text(message + "\n", status=404, headers={"Access-Control-Allow-Origin": "*", "Vary": "Accept"})


async def resource_view(datasette: Any, request: Any) -> Response:
    """``/<kind>/<id>[.ttl|.nt|.jsonld]``: the page of a record for a browser, its RDF for anything else."""
    from .plugin import endpoint_for

    kind = request.url_vars["kind"]
    rest = request.url_vars["rest"]
    raw = request.scope.get("raw_path")
    if raw:  # keep the percent-encoding of the IRI (values and file names are quoted in it)
        raw_rest = raw.decode("latin-1").split("?", 1)[0]
        prefix = f"/{kind}/"
        if raw_rest.startswith(prefix):
            rest = raw_rest[len(prefix):]
    requested = None
    stem, dot, ext = rest.rpartition(".")
    if dot and ext in EXTENSIONS:
        rest, requested = stem, EXTENSIONS[ext]
    if not rest or not _SAFE_REST.match(rest):
        return _not_found(f"not an hkgraph IRI: {BASE}{kind}/{rest}")
    iri = f"{BASE}{kind}/{rest}"
    endpoint = endpoint_for(datasette)
    try:
        name = requested or sp.negotiate("graph", request.headers.get("accept", ""), None)
    except sp.ProtocolError as exc:
        return Response.text(str(exc) + "\n", status=exc.status)
    if name == "html":
        return await _html(datasette, iri)
    if name not in FORMAT_LABELS:
        name = "turtle"
    if endpoint is None:
        return _not_found("no RDF graph is served beside this database")
    exists = await endpoint.pool.run(f"ASK {{ <{iri}> ?p ?o }}", "", "json")
    if not exists.outcome.boolean:
        return _not_found(f"no such record: {iri}")
    answer = await endpoint.pool.run(describe_query(iri), "", name)
    headers = {
        "Access-Control-Allow-Origin": "*",
        "Vary": "Accept",
        "Link": ", ".join(
            [f'<{local_href(datasette, iri)}>; rel="alternate"; type="text/html"']
            + [f'<{local_href(datasette, iri, f)}>; rel="alternate"; type="{sp.media_type(f)}"' for f in FORMAT_LABELS]
        ),
    }
    content_type = sp.media_type(name) + ("" if name == "jsonld" else "; charset=utf-8")
    return Response(answer.body or b"", status=200, headers=headers, content_type=content_type)


async def _html(datasette: Any, iri: str) -> Response:
    from .plugin import served_database

    database = served_database(datasette)
    found = row_of_iri(iri)
    if database is None or found is None:
        return _not_found(f"no page for {iri}")
    table, row_id = found
    db = datasette.get_database(database)
    if table not in await db.table_names():
        return _not_found(f"no page for {iri}")
    rows = await db.execute(f"SELECT 1 FROM [{table}] WHERE id = ? LIMIT 1", [row_id])
    if not rows.rows:
        return _not_found(f"no such record: {iri}")
    location = datasette.urls.row(database, table, tilde_encode(row_id))
    return Response("", status=303, headers={"Location": location, "Vary": "Accept"})


async def schema_view(datasette: Any, request: Any) -> Response:
    """``/vocab`` and ``/shapes``: the vocabulary (``https://w3id.org/hkgraph/vocab#``) and the SHACL shapes.

    Generated from the record models, as ``hkgraph schema`` writes them into schema/ (drift-tested).
    """
    from ..compile.schema import generated_files

    name = {"vocab": "hkgraph.ttl", "shapes": "shapes.ttl"}[request.url_vars["name"]]
    return Response(generated_files()[name], status=200, content_type="text/turtle; charset=utf-8",
                    headers={"Access-Control-Allow-Origin": "*"})
