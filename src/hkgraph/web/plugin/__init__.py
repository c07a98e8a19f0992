"""hkgraph's Datasette plugin: the site's pages, a SPARQL 1.1 endpoint at ``/-/sparql``, Linked Data routes.

What it adds to Datasette (each in a module of its own, wired here):

- the home page (search box, questions, entry points, counts, latest release) and the record pages of
  tips and entities (:mod:`..pages`), with the plugin's templates ``index.html``, ``row.html`` and
  ``table-hkgraph-tips.html``;
- ``/<kind>/<id>``: every IRI ``https://w3id.org/hkgraph/<kind>/<id>`` as HTML or RDF (:mod:`..linked_data`);
- ``/-/sparql``: the endpoint and its page with the YASQE editor (:mod:`..sparql_protocol`,
  :mod:`..sparql_pool`, :mod:`..sparql_errors`);
- ``/-/downloads`` and ``/downloads/…`` (:mod:`..downloads`), ``/-/coverage``, ``/-/advise``;
- ``hkgraph_normalise`` (the names table's normalisation) and ``hk_words`` on every SQLite connection, for
  the canned queries (:mod:`..names`);
- a new build served after a rebuild, without a restart (:mod:`..freshness`).

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
import json
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
from datasette.filters import FilterArguments
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import Response
from markupsafe import Markup

from ...compile.rdf import PREFIXES
from ...records.mentions import normalise
from .. import downloads as dl
from .. import freshness, linked_data, names, pages
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
# Query-result columns that hold ids of a table (linked on canned query and SQL result pages).
_ID_COLUMNS = {
    "tip_id": "tips", "node_id": "nodes", "parameter_id": "parameters", "model_id": "models",
    "hardware_id": "hardware", "person_id": "people", "repo_id": "repos", "concept_id": "concepts",
    "page_id": "pages", "workflow_id": "workflows", "file_id": "files",
}
# JSON list columns shown as lists (tags and goals link to the tips they filter).
_LIST_LINKS = {("tips", "tags"), ("tips", "goals")}


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

    async def watched() -> None:
        await inner()
        database = served_database(datasette)
        if database is not None:
            freshness.watch(datasette, database)

    return watched


quiet_exceptions()  # no locals in logged tracebacks; Datasette's rich hook off (see also below)


def served_database(datasette: Any) -> str | None:
    """The name of the hkgraph database: the one with the graph, else ``hkgraph``, else the first file."""
    endpoint = endpoint_for(datasette)
    if endpoint is not None:
        return endpoint.database
    if DATABASE in datasette.databases:
        return DATABASE
    named = [name for name, db in datasette.databases.items() if db.path]
    return named[0] if named else None


async def _reload_graph(datasette: Any) -> Any:
    """After a rebuild: start workers on the new graph; returns the function that swaps them in."""
    endpoint = endpoint_for(datasette)
    if endpoint is None:
        return None
    old = endpoint.pool
    pool = await asyncio.get_running_loop().run_in_executor(
        None, functools.partial(WorkerPool, endpoint.source, old.lanes["heavy"].size, old.limits,
                                light=old.lanes["light"].size, light_ms=old.light_ms)
    )

    def swap() -> None:
        _ENDPOINTS[datasette] = Endpoint(pool=pool, database=endpoint.database, source=endpoint.source)
        weakref.finalize(datasette, pool.close)
        old.close()

    return swap


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/$", home_view),
        (r"^/-/search$", search_view),
        (rf"^{PATH}$", sparql_view),
        (rf"^{PATH}/prefixes\.json$", prefixes_view),
        (r"^/-/downloads$", downloads_view),
        (r"^/downloads/(?P<path>.+)$", dl.file_view),
        (r"^/-/coverage$", coverage_view),
        (r"^/(?P<name>vocab|shapes)(?:\.ttl)?$", linked_data.schema_view),
        (linked_data.route_pattern(), linked_data.resource_view),
        *ADVISE_ROUTES,
    ]


async def home_view(datasette: Any, request: Any) -> Response:
    """The home page: search first, then the questions, entry points by kind, counts and downloads."""
    database = served_database(datasette)
    context: dict[str, Any] = {"database": database, "home": None, "release": None, "metadata": datasette.metadata(),
                               "hk_sparql": endpoint_for(datasette) is not None}
    if database is not None:
        context["home"] = await pages.home(datasette, database)
        context["release"] = await asyncio.get_running_loop().run_in_executor(
            None, dl.latest_version, datasette, database)
    return Response.html(await datasette.render_template("hk_home.html", context, request=request))


async def search_view(datasette: Any, request: Any) -> Response:
    database = served_database(datasette)
    text = (request.args.get("q") or "")[:500]
    result = await pages.search(datasette, database, text) if database else {"q": text, "searched": False}
    if request.args.get("_format") == "json":
        return Response.json(json.loads(json.dumps(result, default=lambda o: o.__dict__)))
    return Response.html(await datasette.render_template("hk_search.html", {"result": result, "q": text},
                                                         request=request))


# Hashing is slow for large archives: a thread of its own, so that it never holds the default executor
# (which serves static files); the hashes are remembered per file version (:func:`cached_sha256`).
_HASHING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hkgraph-downloads")


async def downloads_view(datasette: Any, request: Any) -> Response:
    database = served_database(datasette)
    offer = await asyncio.get_running_loop().run_in_executor(_HASHING, dl.offer, datasette, database)
    context = {"offer": offer, "version": offer.version}
    return Response.html(await datasette.render_template("downloads.html", context, request=request))


async def prefixes_view(datasette: Any, request: Any) -> Response:
    """The predeclared prefixes as ``{prefix: namespace}``, for the editor's prefix completion."""
    return Response.json({p: ns for p, ns in sorted(PREFIXES.items()) if p != "hk"})


async def coverage_view(datasette: Any, request: Any) -> Response:
    context = await pages.coverage(datasette, served_database(datasette))
    return Response.html(await datasette.render_template("coverage.html", context, request=request))


@hookimpl
def skip_csrf(scope: dict[str, Any]) -> bool | None:
    # A read-only endpoint that other sites may call (CORS), and the advisor, which computes a report and
    # changes nothing: no state to protect.
    return True if scope.get("path") in (PATH, "/-/advise") else None


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    links = [{"href": datasette.urls.path("/-/advise"), "label": "Workflow advisor"},
             {"href": datasette.urls.path("/-/downloads"), "label": "Downloads"},
             {"href": datasette.urls.path("/-/coverage"), "label": "Coverage of the source pages"}]
    if endpoint_for(datasette) is None:
        return links
    return [{"href": datasette.urls.path(PATH), "label": "SPARQL"}, *links]


@hookimpl
def prepare_connection(conn: Any) -> None:
    """SQL functions for the canned queries: the name normalisation of the ``names`` table (the CLI's
    resolver) and ``hk_words`` (:mod:`..names`); and the limits of a public instance."""
    conn.create_function(NORMALISE_SQL, 1, lambda text: normalise(text) if isinstance(text, str) else None,
                         deterministic=True)
    names.register(conn)
    harden_connection(conn)  # the SQL limits of a public instance (:mod:`..guard`)


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    """Ids in ``<kind>_id`` columns of query results link to their rows; JSON lists show as lists."""
    if not isinstance(value, str) or not value:
        return None
    if table is not None and value.startswith("[") and value.endswith("]"):
        try:
            items = json.loads(value)
        except ValueError:
            return None
        if not isinstance(items, list) or not all(isinstance(i, str | int | float) for i in items):
            return None
        if (table, column) in _LIST_LINKS:
            base = datasette.urls.table(database, table)
            return Markup(", ").join(
                Markup('<a href="{}">{}</a>').format(f"{base}?{column}__arraycontains={urllib.parse.quote(str(i))}", i)
                for i in items)
        return Markup('<span class="hk-list">{}</span>').format(", ".join(str(i) for i in items))
    if table is not None or column not in _ID_COLUMNS:
        return None
    if database != served_database(datasette):
        return None
    href = datasette.urls.row(database, _ID_COLUMNS[column], tilde_encode(value))
    return Markup('<a href="{}">{}</a>').format(href, value)


@hookimpl
def extra_template_vars(datasette: Any, view_name: str, request: Any, database: str | None, table: str | None) -> Any:
    async def inner() -> dict[str, Any]:
        state = freshness.state_for(datasette)
        out: dict[str, Any] = {"hk_banner": state.banner() if state else None, "hk_page": None,
                               "hk_sparql": endpoint_for(datasette) is not None}
        served = served_database(datasette)
        if view_name == "row" and request is not None and database == served and table:
            pks = request.url_vars.get("pks", "")
            if pks and "," not in pks:
                out["hk_page"] = await pages.record_page(datasette, database, table, tilde_decode(pks))
        elif view_name == "index" and served is not None:
            out["hk_home"] = await pages.home(datasette, served)
        elif view_name == "table" and database == served and table == "tips":
            out["hk_tips"] = await pages.tips_table(datasette, served, request)
        return out

    return inner


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    """The Host check and the withheld debug pages and methods (:mod:`..guard`) first; then each request
    checks whether the data was rebuilt (see :mod:`..freshness`)."""
    settings: dict[str, Any] = {}

    def config() -> dict[str, Any]:
        if not settings:
            try:
                settings.update(read_config(datasette))
            except click.ClickException:
                settings.update({"allowed_hosts": [], "debug_pages": False})
        return settings

    def wrap(app: Any) -> Any:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http":
                await freshness.check(datasette, _reload_graph)
            await app(scope, receive, send)

        return guard_app(checked, config)

    return wrap


def _quiet_datasette_tracebacks() -> None:
    """Turn off Datasette 0.65's ``rich`` traceback printing (DESIGN.md's trap).

    Its error handler prints every exception with ``rich`` when rich is installed (a test tool brings it),
    and rich raises when there is no traceback (Datasette makes a bare NotFound for an unmatched URL such
    as ``/db/table/a/b``): the 404 becomes a 500. Without rich, Datasette prints 500s with ``traceback``.
    """
    import datasette.handle_exception as handler

    handler.rich = None


_quiet_datasette_tracebacks()
# DatasetteErrors that a request's parameters cause, which Datasette 0.65 answers with 500.
_CLIENT_ERRORS = ("Cannot sort table by ", "Cannot use _sort and _sort_desc at the same time",
                  "Cannot sort by ")


@hookimpl(tryfirst=True)
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """A bad parameter (``?_sort=nope``) is the client's error: 400 with Datasette's message, not a 500."""
    from datasette.views.base import DatasetteError

    if not isinstance(exception, DatasetteError) or exception.status != 500:
        return None
    if not str(exception.message).startswith(_CLIENT_ERRORS):
        return None

    async def inner() -> Response:
        message = str(exception.message)
        if request.path.split("?")[0].endswith(".json"):
            return Response.json({"ok": False, "error": message, "status": 400, "title": None}, status=400)
        template = datasette.jinja_env.select_template(["400.html", "error.html"])
        html = await template.render_async({"ok": False, "error": message, "status": 400, "title": None,
                                            "urls": datasette.urls, "app_css_hash": datasette.app_css_hash(),
                                            "menu_links": lambda: []})
        return Response.html(html, status=400)

    return inner


@hookimpl
def filters_from_request(request: Any, database: str, table: str, datasette: Any) -> Any:
    """``?_pack=<repo id>`` on the tips table: the tips about a node of that pack."""
    if table != "tips":
        return None
    where, params, described = [], {}, []
    pack = request.args.get("_pack")
    if pack:
        where.append("id IN (SELECT tip_nodes.tip_id FROM tip_nodes JOIN nodes ON nodes.id = tip_nodes.node_id "
                     "WHERE nodes.repo = :hk_pack)")
        params["hk_pack"] = pack
        described.append(f"about a node of {pack}")
    if not where:
        return None
    return FilterArguments(where, params=params, human_descriptions=described)


@hookimpl
def register_facet_classes() -> list[Any]:
    from ..facets import PackFacet

    return [PackFacet]


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
    body = json.dumps({"ok": False, "error": str(exc), "status": exc.status, **exc.details})
    return Response(body, status=exc.status, headers={**CORS, "Vary": "Accept"},
                    content_type="application/json; charset=utf-8")


async def _error(datasette: Any, request: Any, exc: sp.ProtocolError, html: bool, query: str | None = None) -> Response:
    if not html:
        return _plain_error(exc)
    endpoint = endpoint_for(datasette)
    assert endpoint is not None
    return await _page(datasette, request, endpoint, query=query, error=str(exc), status=exc.status,
                       error_details=exc.details)


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


def display_term(datasette: Any, database: str, term: Any) -> dict[str, Any]:
    if term is None:
        return {"text": ""}
    if isinstance(term, ox.NamedNode):
        return {"text": curie(term.value), "href": linked_data.local_href(datasette, term.value) or safe_href(term.value),
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
    error_details: dict[str, Any] | None = None,
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
    shown = query if query is not None else (examples[0].query if examples else "")
    context = {
        "query": shown,
        "active": next((ex.name for ex in examples if ex.query.strip() == shown.strip()), None),
        "error_details": error_details or {},
        "prefixes_url": datasette.urls.path(PATH + "/prefixes.json"),
        "ran": query is not None,
        "outcome": outcome,
        "table": table,
        "error": error,
        "examples": [
            {"name": ex.name, "title": ex.title, "description": _inline_code(ex.description), "query": ex.query,
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
