"""hkgraph's Datasette plugin: a SPARQL 1.1 endpoint at ``/-/sparql`` and richer tip and node pages.

The graph is loaded once at startup from beside the served database (``oxigraph/`` opened read-only,
else ``hkgraph.nt`` loaded into memory) or from the path in the plugin settings::

    plugins:
      hkgraph:
        database: hkgraph        # which served database the graph belongs to (default: the first with one)
        rdf: hkgraph.nt          # a store folder or an RDF file; relative to the database's folder
        time_limit_ms: 5000      # per query
        max_rows: 10000          # rows (or triples) per answer; the rest is cut and flagged
        max_bytes: 16777216      # bytes per answer, about; the rest is cut and flagged
        max_memory_mb: 2048      # address space of each query worker
        max_concurrent: 2        # worker processes of the heavy lane, so slow queries running at once
        light_workers: 1         # worker processes of the light lane (queries not yet seen to be slow)
        light_ms: 500            # a query slower than this moves to the heavy lane
        allowed_hosts: []        # Host names accepted besides loopback ones when bound to loopback
        debug_pages: false       # serve Datasette's /-/versions, /-/threads … pages

Every limit, and what the server refuses, is described in docs/public.md.

The protocol itself (policy, limits, formats) lives in :mod:`hkgraph.web.sparql_protocol`.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import urllib.parse
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pyoxigraph as ox
from datasette import hookimpl
from datasette.utils import tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup

from ...compile.rdf import BASE, PREFIXES
from ...compile.sqlite import ENTITY_TABLES, LINK_TABLES
from ...records.mentions import normalise
from ...release.archive import latest_release, release_files, release_version
from .. import sparql_protocol as sp
from ..advise_page import ROUTES as ADVISE_ROUTES
from ..bounded import BadFormError, BodyTooLargeError, read_body
from ..guard import guard_app, harden_connection, quiet_exceptions, safe_href
from ..metadata import DATABASE, NORMALISE_SQL
from ..sparql_pool import WorkerPool

PATH = "/-/sparql"
PLUGIN = "hkgraph"
CONFIG_TYPES: dict[str, type] = {
    "database": str, "rdf": str, "time_limit_ms": int, "max_rows": int, "max_concurrent": int,
    "max_bytes": int, "max_memory_mb": int, "light_workers": int, "light_ms": int, "allowed_hosts": list,
    "debug_pages": bool,
}
MAX_BODY = 1_000_000
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "X-SPARQL-Truncated, X-SPARQL-Elapsed-Ms",
    "Access-Control-Max-Age": "86400",
}
# IRI kind → (table, how the IRI's last part becomes the row id)
_ROW_TABLES: dict[str, str] = {
    **{kind: table for kind, table in ENTITY_TABLES.items()},
    "tip": "tips", "setting": "settings", "quote": "quotes", "value": "parameter_values", "model-file": "model_files",
}
# Query-result columns that hold ids of a table (linked on canned query and SQL result pages).
_ID_COLUMNS = {
    "tip_id": "tips", "node_id": "nodes", "parameter_id": "parameters", "model_id": "models",
    "hardware_id": "hardware", "person_id": "people", "repo_id": "repos", "concept_id": "concepts",
}


@dataclass
class Endpoint:
    pool: WorkerPool
    database: str
    source: Path

    @property
    def limits(self) -> sp.Limits:
        return self.pool.limits

    @property
    def triples(self) -> int:
        return self.pool.triples


_ENDPOINTS: weakref.WeakKeyDictionary[Any, Endpoint | None] = weakref.WeakKeyDictionary()


def endpoint_for(datasette: Any) -> Endpoint | None:
    return _ENDPOINTS.get(datasette)


def read_config(datasette: Any) -> dict[str, Any]:
    """The plugin settings with defaults; a ClickException names what is wrong."""
    config = datasette.plugin_config(PLUGIN) or {}
    if not isinstance(config, dict):
        raise click.ClickException("hkgraph plugin config error: plugins.hkgraph must be a mapping")
    for key, value in config.items():
        if key not in CONFIG_TYPES:
            raise click.ClickException(
                f"hkgraph plugin config error: unknown setting {key!r}; known: {', '.join(CONFIG_TYPES)}"
            )
        wanted = CONFIG_TYPES[key]
        ok = isinstance(value, wanted) and (wanted is bool or not isinstance(value, bool))
        if wanted is int and ok:
            ok = value > 0
        if wanted is list and ok:
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            kind = {int: "a positive integer", str: "a string", bool: "true or false",
                    list: "a list of host names"}[wanted]
            raise click.ClickException(f"hkgraph plugin config error: {key} must be {kind}, not {value!r}")
    defaults = sp.Limits()
    return {
        "database": config.get("database"),
        "rdf": config.get("rdf"),
        "time_limit_ms": config.get("time_limit_ms", defaults.time_limit_ms),
        "max_rows": config.get("max_rows", defaults.max_rows),
        "max_bytes": config.get("max_bytes", defaults.max_bytes),
        "max_memory_mb": config.get("max_memory_mb", defaults.max_memory_mb),
        "max_concurrent": config.get("max_concurrent", 2),
        "light_workers": config.get("light_workers", 1),
        "light_ms": config.get("light_ms", 500),
        "allowed_hosts": config.get("allowed_hosts", []),
        "debug_pages": config.get("debug_pages", False),
    }


def _graph_beside(folder: Path, rdf: str | None) -> Path | None:
    if rdf:
        path = Path(rdf)
        return path if path.is_absolute() else folder / path
    for name in ("oxigraph", "hkgraph.nt"):
        if (folder / name).exists():
            return folder / name
    return None


def locate_graph(datasette: Any, config: dict[str, Any]) -> tuple[str, Path] | None:
    """(database name, graph path) the endpoint serves, or None when no served database has a graph."""
    names = [config["database"]] if config["database"] else list(datasette.databases)
    for name in names:
        db = datasette.databases.get(name)
        if db is None:
            raise click.ClickException(f"hkgraph plugin config error: no database named {name!r} is served")
        if not db.path:
            continue
        path = _graph_beside(Path(db.path).resolve().parent, config["rdf"])
        if path is not None:
            if not path.exists():
                raise click.ClickException(f"hkgraph plugin config error: rdf {str(path)!r} does not exist")
            return name, path
    return None


@hookimpl
def startup(datasette: Any) -> Any:
    async def inner() -> None:
        config = read_config(datasette)
        found = locate_graph(datasette, config)
        if found is None:
            _ENDPOINTS[datasette] = None
            return
        database, path = found
        limits = sp.Limits(config["time_limit_ms"], config["max_rows"], config["max_bytes"], config["max_memory_mb"])
        try:
            pool = await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(WorkerPool, path, config["max_concurrent"], limits,
                                        light=config["light_workers"], light_ms=config["light_ms"])
            )
        except RuntimeError as exc:
            raise click.ClickException(f"hkgraph plugin: cannot load the graph from {path}: {exc}")
        if not pool.network_isolated:
            reasons = "; ".join(f"{k}: {v}" for k, v in pool.layers.items())
            print(f"hkgraph: warning: the SPARQL workers could not be cut off the network ({reasons}); "
                  "SERVICE stays refused by the query check alone", file=sys.stderr)
        previous = _ENDPOINTS.get(datasette)
        if previous is not None:
            previous.pool.close()
        _ENDPOINTS[datasette] = Endpoint(pool=pool, database=database, source=path)
        weakref.finalize(datasette, pool.close)

    return inner


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """The Host check and the withheld debug pages (:mod:`hkgraph.web.guard`)."""
    settings: dict[str, Any] = {}

    def config() -> dict[str, Any]:
        if not settings:
            try:
                settings.update(read_config(datasette))
            except click.ClickException:
                settings.update({"allowed_hosts": [], "debug_pages": False})
        return settings

    return lambda app: guard_app(app, config)


@hookimpl
def prepare_connection(conn: Any) -> None:
    """The name normalisation of the ``names`` table, for canned queries that resolve what a user types;
    and the SQL limits of a public instance (:func:`hkgraph.web.guard.harden_connection`)."""
    conn.create_function(NORMALISE_SQL, 1, lambda text: normalise(text) if isinstance(text, str) else None,
                         deterministic=True)
    harden_connection(conn)


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> None:
    quiet_exceptions()  # Datasette's own handler answers; it must not print every frame's locals
    return None


quiet_exceptions()


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(rf"^{PATH}$", sparql_view), (r"^/-/downloads$", downloads_view), *ADVISE_ROUTES]


DOWNLOADS_URL = "/downloads/"  # where `hkgraph serve` mounts the release files (Datasette --static)


def release_folder(datasette: Any) -> Path | None:
    """The release to offer: the latest under dist/release/ beside the served database."""
    db = datasette.databases.get(DATABASE)
    if db is None or not db.path:
        return None
    releases = Path(db.path).parent / "release"
    return latest_release(releases) if releases.is_dir() else None


_LISTINGS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hkgraph-downloads")


async def release_listing(folder: Path, base_url: str) -> list[dict[str, Any]]:
    """:func:`release_files` of a release, hashed once per version of its files, in a thread of its own
    (hashing hundreds of MB in the event loop would freeze every page)."""
    stamps = []
    for path in (folder / "SHA256SUMS", *(folder.parent / f"{folder.name}.{s}" for s in ("zip", "tar.gz"))):
        try:
            st = path.stat()
            stamps.append((str(path), st.st_size, st.st_mtime_ns, st.st_ino))
        except OSError:
            stamps.append((str(path), None))
    key = (base_url, *stamps)
    if key not in _LISTINGS:
        files = await asyncio.get_running_loop().run_in_executor(_HASHING, functools.partial(
            release_files, folder, base_url=base_url))
        _LISTINGS.clear()
        _LISTINGS[key] = files
    return _LISTINGS[key]


async def downloads_view(datasette: Any, request: Any) -> Response:
    folder = release_folder(datasette)
    files = await release_listing(folder, datasette.urls.path(DOWNLOADS_URL)) if folder else []
    context = {"files": files, "version": release_version(folder) if folder else None}
    return Response.html(await datasette.render_template("downloads.html", context, request=request))


@hookimpl
def skip_csrf(scope: dict[str, Any]) -> bool | None:
    # A read-only endpoint that other sites may call (CORS), and the advisor, which computes a report and
    # changes nothing: no state to protect.
    return True if scope.get("path") in (PATH, "/-/advise") else None


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    links = [{"href": datasette.urls.path("/-/advise"), "label": "Workflow advisor"},
             {"href": datasette.urls.path("/-/downloads"), "label": "Downloads"}]
    if endpoint_for(datasette) is None:
        return links
    return [{"href": datasette.urls.path(PATH), "label": "SPARQL"}, *links]


@hookimpl
def render_cell(value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """On query result pages, ids in ``<kind>_id`` columns link to their rows (tables link by themselves)."""
    if table is not None or not isinstance(value, str) or not value or column not in _ID_COLUMNS:
        return None
    endpoint = endpoint_for(datasette)
    if database != (endpoint.database if endpoint else DATABASE):
        return None
    href = datasette.urls.row(database, _ID_COLUMNS[column], tilde_encode(value))
    return Markup('<a href="{}">{}</a>').format(href, value)


@hookimpl
def extra_template_vars(datasette: Any, view_name: str) -> dict[str, Any]:
    if view_name != "row":
        return {}
    return {"hkgraph_related": functools.partial(related, datasette)}


# ------------------------------------------------------------------------------------- endpoint


async def sparql_view(datasette: Any, request: Any) -> Response:
    if request.method == "OPTIONS":
        return Response.text("", status=204, headers=dict(CORS))
    endpoint = endpoint_for(datasette)
    accept = request.headers.get("accept", "")
    wants_html = sp.negotiate("results", accept) == "html"
    try:
        query, requested = await _read_request(request, endpoint)
    except sp.ProtocolError as exc:
        return await _error(datasette, request, exc, wants_html and endpoint is not None)
    if endpoint is None:
        return _plain_error(sp.ProtocolError("no RDF graph was found beside the served database", status=404))
    if query is None:
        try:
            name = sp.negotiate("graph", accept, requested)
        except sp.ProtocolError as exc:
            return _plain_error(exc)
        if name == "html":
            return await _page(datasette, request, endpoint)
        triples = sp.service_description(datasette.absolute_url(request, PATH), endpoint.triples)
        return _response(sp.serialize_graph(triples, name), name)
    try:
        result = await endpoint.pool.run(query, accept, requested)
    except sp.ProtocolError as exc:
        return await _error(datasette, request, exc, wants_html, query=query)
    if result.body is None:
        return await _page(datasette, request, endpoint, query=query, outcome=result.outcome)
    return _response(result.body, result.format, result.outcome)


async def _read_request(request: Any, endpoint: Endpoint | None) -> tuple[str | None, str | None]:
    """(query or None, requested format or None) from a GET or POST, per the SPARQL 1.1 Protocol."""
    params = urllib.parse.parse_qs(request.query_string, keep_blank_values=True)
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            body = await read_body(request, MAX_BODY)
        except (BodyTooLargeError, BadFormError) as exc:
            raise sp.ProtocolError(str(exc), status=exc.status) from None
        if content_type == "application/x-www-form-urlencoded":
            try:
                form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                raise sp.ProtocolError("the form body is not UTF-8")
            if "query" in params:
                raise sp.ProtocolError("send the query in the body or in the URL, not both")
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
        elif content_type == "application/sparql-query":
            if "query" in params:
                raise sp.ProtocolError("send the query in the body or in the URL, not both")
            try:
                params["query"] = [body.decode("utf-8")]
            except UnicodeDecodeError:
                raise sp.ProtocolError("the query is not UTF-8")
        elif content_type == "application/sparql-update":
            raise sp.RefusedError("SPARQL Update is refused: this endpoint is read-only")
        else:
            raise sp.ProtocolError(
                "POST a query as application/x-www-form-urlencoded (query=…) or as application/sparql-query, "
                f"not {content_type or 'a body without a Content-Type'}",
                status=415,
            )
    elif request.method not in ("GET", "HEAD"):
        raise sp.ProtocolError(f"{request.method} is not supported here: use GET or POST", status=405)
    if "update" in params:
        raise sp.RefusedError("SPARQL Update is refused: this endpoint is read-only")
    queries = params.get("query", [])
    if len(queries) > 1:
        raise sp.ProtocolError("give one query, not several")
    graphs = endpoint.pool.graphs if endpoint else []
    sp.check_dataset_params(params.get("default-graph-uri", []), params.get("named-graph-uri", []), graphs)
    requested = (params.get("format") or params.get("output") or [None])[0] or None
    query = queries[0] if queries else None
    if query is not None and not query.strip():
        raise sp.ProtocolError("the query is empty")
    return query, requested


def _response(body: bytes, name: str, outcome: sp.Outcome | None = None) -> Response:
    headers = {**CORS, "Vary": "Accept"}
    if outcome is not None:
        headers["X-SPARQL-Elapsed-Ms"] = f"{outcome.elapsed_ms:.1f}"
        if outcome.truncated:
            headers["X-SPARQL-Truncated"] = "true"
    content_type = sp.media_type(name)
    if not content_type.startswith("application/sparql-results+xml") and name not in ("jsonld",):
        content_type += "; charset=utf-8"
    return Response(body, status=200, headers=headers, content_type=content_type)


def _plain_error(exc: sp.ProtocolError) -> Response:
    import json

    body = json.dumps({"ok": False, "error": str(exc), "status": exc.status})
    return Response(body, status=exc.status, headers={**CORS, "Vary": "Accept"},
                    content_type="application/json; charset=utf-8")


async def _error(datasette: Any, request: Any, exc: sp.ProtocolError, html: bool, query: str | None = None) -> Response:
    if not html:
        return _plain_error(exc)
    endpoint = endpoint_for(datasette)
    assert endpoint is not None
    return await _page(datasette, request, endpoint, query=query, error=str(exc), status=exc.status)


# ----------------------------------------------------------------------------------------- page

_QUIET_TYPES = {sp.XSD_STRING, *(PREFIXES["xsd"] + t for t in ("integer", "decimal", "double", "boolean"))}
_BY_LENGTH = sorted(PREFIXES.items(), key=lambda kv: -len(kv[1]))
_HTML_FORMATS = [("html", "a table"), *[(n, n.upper()) for n in sp.RESULT_FORMATS],
                 *[(n, {"turtle": "Turtle", "ntriples": "N-Triples", "jsonld": "JSON-LD", "rdfxml": "RDF/XML"}[n])
                   for n in sp.GRAPH_FORMATS]]


def _inline_code(text: str) -> Markup:
    """Plain text with `code` spans, as HTML."""
    parts = text.split("`")
    return Markup("").join(Markup("<code>{}</code>").format(p) if i % 2 else p for i, p in enumerate(parts))


def curie(iri: str) -> str:
    for prefix, ns in _BY_LENGTH:
        if iri.startswith(ns) and len(iri) > len(ns) and prefix != "hk":
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def row_href(datasette: Any, database: str, iri: str) -> str | None:
    """The Datasette page of an hkgraph IRI (``…/node/x`` → ``/hkgraph/nodes/x``), if it has one."""
    if not iri.startswith(BASE):
        return None
    kind, _, rest = iri[len(BASE):].partition("/")
    table = _ROW_TABLES.get(kind)
    if table is None or not rest:
        return None
    if kind == "value":
        parameter, _, value = rest.partition("/")
        rest = f"{parameter}={urllib.parse.unquote(value)}"
    elif kind == "model-file":
        rest = urllib.parse.unquote(rest)
    return datasette.urls.row(database, table, tilde_encode(rest))


def display_term(datasette: Any, database: str, term: Any) -> dict[str, Any]:
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        return {"text": curie(term.value), "href": row_href(datasette, database, term.value) or safe_href(term.value),
                "title": term.value}
    if isinstance(term, ox.BlankNode):
        return {"text": f"_:{term.value}"}
    if isinstance(term, ox.Literal):
        note = None
        if term.language:
            note = f"@{term.language}"
        elif term.datatype.value not in _QUIET_TYPES:
            note = curie(term.datatype.value)
        return {"text": term.value, "note": note}
    return {"text": str(term)}


async def _page(
    datasette: Any, request: Any, endpoint: Endpoint, *, query: str | None = None,
    outcome: sp.Outcome | None = None, error: str | None = None, status: int = 200,
) -> Response:
    examples = sp.load_examples()
    table: dict[str, Any] | None = None
    if outcome is not None:
        show = functools.partial(display_term, datasette, endpoint.database)
        if outcome.boolean is not None:
            table = {"boolean": outcome.boolean}
        elif outcome.kind == "results":
            table = {"columns": outcome.variables, "rows": [[show(t) for t in row] for row in outcome.rows]}
        else:
            table = {"columns": ["subject", "predicate", "object"],
                     "rows": [[show(t.subject), show(t.predicate), show(t.object)] for t in outcome.triples]}
    context = {
        "query": query if query is not None else (examples[0].query if examples else ""),
        "ran": query is not None,
        "outcome": outcome,
        "table": table,
        "error": error,
        "examples": [
            {"title": ex.title, "description": _inline_code(ex.description), "query": ex.query,
             "href": datasette.urls.path(PATH) + "?" + urllib.parse.urlencode({"query": ex.query})}
            for ex in examples
        ],
        "endpoint_url": datasette.absolute_url(request, datasette.urls.path(PATH)),
        "prefixes": sorted(PREFIXES.items()),
        "formats": _HTML_FORMATS,
        "format": request.args.get("format") or "html",
        "limits": endpoint.limits,
        "triples": endpoint.triples,
        "database": endpoint.database,
    }
    html = await datasette.render_template("sparql.html", context, request=request)
    return Response.html(html, status=status, headers={**CORS, "Vary": "Accept"})


# ----------------------------------------------------------------------------------- row pages


async def related(datasette: Any, database: str, table: str, row_id: str) -> list[dict[str, Any]]:
    """Sections shown on a tip's or node's page: what it links to, as links."""
    db = datasette.get_database(database)

    def link(tbl: str, ident: str) -> str:
        return datasette.urls.row(database, tbl, tilde_encode(ident))

    async def rows(sql: str, **params: Any) -> list[dict[str, Any]]:
        return [dict(r) for r in (await db.execute(sql, params)).rows]

    sections: list[dict[str, Any]] = []
    if table == "tips":
        for field, (link_table, column, other) in LINK_TABLES.items():
            label = "value" if other == "parameter_values" else "name"
            found = await rows(
                f"SELECT {other}.id, {other}.{label} AS label FROM {link_table} "
                f"JOIN {other} ON {other}.id = {link_table}.{column} WHERE {link_table}.tip_id = :id "
                f"ORDER BY {other}.id", id=row_id,
            )
            items = [{"text": r["label"], "href": link(other, r["id"]),
                      "note": r["id"].partition("=")[0] if other == "parameter_values" else None} for r in found]
            if items:
                sections.append({"title": field.capitalize(), "items": items})
        advice = await rows(
            "SELECT parameter_id, parameter, advice, advised AS v, "
            "condition FROM advice WHERE tip_id = :id ORDER BY id", id=row_id,
        )
        if advice:
            sections.append({"title": "Settings", "items": [
                _advice_item(r, link("parameters", r["parameter_id"])) for r in advice]})
        quotes = await rows(
            "SELECT quotes.text, people.id, people.name FROM quotes LEFT JOIN people ON people.id = quotes.person_id "
            "WHERE tip_id = :id ORDER BY position", id=row_id,
        )
        if quotes:
            sections.append({"title": "Quotes", "items": [
                {"text": r["name"] or "unattributed", "href": link("people", r["id"]) if r["id"] else None,
                 "note": f"“{r['text']}”"} for r in quotes]})
        rel = await rows(
            "SELECT 'this tip ' || type AS how, other_tip_id AS id, tips.title FROM relations "
            "JOIN tips ON tips.id = other_tip_id WHERE tip_id = :id UNION ALL "
            "SELECT type || ' this tip', relations.tip_id, tips.title FROM relations "
            "JOIN tips ON tips.id = relations.tip_id WHERE other_tip_id = :id", id=row_id,
        )
        if rel:
            sections.append({"title": "Related tips", "items": [
                {"text": r["title"], "href": link("tips", r["id"]), "note": r["how"]} for r in rel]})
        tags = await rows("SELECT tag FROM tip_tags WHERE tip_id = :id ORDER BY tag", id=row_id)
        if tags:
            sections.append({"title": "Tags", "items": [
                {"text": r["tag"],
                 "href": datasette.urls.table(database, "tips") + "?tags__arraycontains=" + urllib.parse.quote(r["tag"])}
                for r in tags]})
        source = await rows("SELECT page, section, source_url FROM tips WHERE id = :id", id=row_id)
        if source:
            s = source[0]
            sections.append({"title": "Source", "items": [
                {"text": f"{s['page']} § {s['section']}", "href": s["source_url"]}]})
    elif table == "nodes":
        params = await rows(
            "SELECT id, name, type, \"default\", allowed_values FROM parameters WHERE node = :id ORDER BY name",
            id=row_id,
        )
        if params:
            sections.append({"title": "Parameters", "items": [
                {"text": r["name"], "href": link("parameters", r["id"]),
                 "note": " · ".join(x for x in (r["type"], f"default {r['default']}" if r["default"] else None,
                                               _list_note(r["allowed_values"])) if x)} for r in params]})
        tips = await rows(
            "SELECT tips.id, tips.title, tips.kind FROM tip_nodes JOIN tips ON tips.id = tip_nodes.tip_id "
            "WHERE tip_nodes.node_id = :id ORDER BY tips.date DESC, tips.id", id=row_id,
        )
        if tips:
            sections.append({"title": "Tips", "items": [
                {"text": r["title"], "href": link("tips", r["id"]), "note": r["kind"]} for r in tips]})
        advice = await rows(
            "SELECT tip_id, parameter, advice, advised AS v, "
            "condition FROM advice WHERE node_id = :id ORDER BY parameter, id", id=row_id,
        )
        if advice:
            sections.append({"title": "Recommended settings", "items": [
                _advice_item(r, link("tips", r["tip_id"])) for r in advice]})
    return sections


def _advice_item(row: dict[str, Any], href: str) -> dict[str, Any]:
    """One line of advice from the `advice` view: "parameter: advice value", and when it holds."""
    return {"text": f"{row['parameter']}: {row['advice']} {row['v']}", "href": href,
            "note": f"when {row['condition']}" if row["condition"] else None}


def _list_note(allowed: str | None) -> str | None:
    if not allowed:
        return None
    import json

    values = json.loads(allowed)
    return "one of " + ", ".join(values)
