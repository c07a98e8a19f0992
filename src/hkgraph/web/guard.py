"""What a public (or locally run) hkgraph site withholds: foreign Host names, debug pages, unsafe links,
tracebacks with local variables, and SQL that outgrows its time limit in one C call.

- **Host check (DNS rebinding)**: when the server listens on a loopback address, a request must name a
  loopback host (``localhost``, ``127.0.0.1``, ``[::1]``) or one listed in the plugin's ``allowed_hosts``.
  A web page whose name an attacker re-points at 127.0.0.1 then gets 421, not the local site.
- **Methods**: only ``/-/sparql`` and ``/-/advise`` take a POST; other POSTs get 405 (Datasette answers
  some with 500, and its CSRF check fails on multipart bodies with python-multipart 0.0.2x and later).
- **Debug pages**: Datasette's ``/-/versions``, ``/-/threads``, ``/-/databases`` (absolute file paths),
  ``/-/messages``, ``/-/allow-debug``, ``/-/patterns`` and the other introspection pages answer 404
  unless the plugin's ``debug_pages`` is true.
- **Links** shown for IRIs are http(s) only (``javascript:`` IRIs are text).
- **Errors**: exceptions are logged as a plain traceback, never with the local variables of every frame.
- **SQL** (:func:`harden_connection`): strings and blobs are capped at :data:`SQL_MAX_LENGTH` bytes (so
  ``randomblob(1e9)`` fails at once instead of running past the time limit), and functions a read-only
  public instance has no use for are refused by an authorizer.
"""

from __future__ import annotations

import ipaddress
import sqlite3
import sys
import traceback
from typing import Any
from urllib.parse import urlsplit

DEBUG_PAGES = frozenset({
    "versions", "threads", "databases", "messages", "allow-debug", "patterns", "actor", "permissions",
    "plugins", "settings", "config", "metadata", "auth-token", "create-token", "logout",
})
POST_PATHS = frozenset({"/-/sparql", "/-/advise"})  # the only pages that take a body
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
SQL_MAX_LENGTH = 16 * 1024 * 1024  # bytes of one string or blob value in a SQL query
SQL_HEAP_LIMIT = 1024 * 1024 * 1024  # bytes SQLite may allocate in the whole server (hard_heap_limit)
# SQL functions refused on the served databases (an authorizer, so they fail before they run).
DENIED_FUNCTIONS = frozenset({"fts3_tokenizer", "load_extension", "readfile", "writefile", "edit", "zipfile"})


def safe_href(iri: str) -> str | None:
    """``iri`` when a browser may follow it as a link (http or https), else None."""
    try:
        scheme = urlsplit(iri.strip()).scheme.lower()
    except ValueError:
        return None
    return iri if scheme in ("http", "https") else None


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_name(header: str) -> str:
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def host_allowed(scope: dict[str, Any], allowed: list[str]) -> bool:
    """True unless the server listens on loopback and the request names a host that is not."""
    server = scope.get("server")
    if not server or not _is_loopback(str(server[0])):
        return True
    headers = dict(scope.get("headers") or [])
    host = headers.get(b"host", b"").decode("latin-1")
    if not host:
        return True  # HTTP/1.0 without Host: no name to rebind
    name = _host_name(host)
    return _is_loopback(name) or name in {h.lower() for h in allowed}


def is_debug_page(path: str) -> bool:
    if not path.startswith("/-/"):
        return False
    page = path[3:].split("/", 1)[0]
    return page.removesuffix(".json") in DEBUG_PAGES


def guard_app(app: Any, config: Any) -> Any:
    """An ASGI app in front of Datasette's that applies the Host check and withholds debug pages.

    ``config`` is called per request and returns the plugin settings (they are read at startup).
    """

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope.get("type") != "http":
            await app(scope, receive, send)
            return
        settings = config()
        if not host_allowed(scope, settings.get("allowed_hosts", [])):
            await _plain(send, 421, "this server answers requests for localhost only; add the name to the "
                                    "hkgraph plugin's allowed_hosts to serve it under another name")
            return
        path = scope.get("path", "")
        if not settings.get("debug_pages", False) and is_debug_page(path):
            await _plain(send, 404, "not found")
            return
        if scope.get("method", "GET") not in ("GET", "HEAD", "OPTIONS") and path not in POST_PATHS:
            await _plain(send, 405, f"{scope.get('method')} is not accepted here: this site is read-only")
            return
        await app(scope, receive, send)

    return guarded


async def _plain(send: Any, status: int, text: str) -> None:
    body = (text + "\n").encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def quiet_exceptions() -> None:
    """Log exceptions as plain tracebacks: Datasette prints every frame's locals when rich is installed."""
    import datasette.handle_exception as handler

    handler.rich = None  # type: ignore[attr-defined]
    if getattr(sys.excepthook, "__module__", "").startswith("rich"):
        sys.excepthook = sys.__excepthook__


def log_exception(exception: BaseException) -> None:
    traceback.print_exception(type(exception), exception, exception.__traceback__, file=sys.stderr)


def harden_connection(conn: sqlite3.Connection) -> None:
    """Cap value sizes and refuse unneeded functions on a connection Datasette opened."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, SQL_MAX_LENGTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, 1_000_000)
    try:
        conn.execute(f"PRAGMA hard_heap_limit = {SQL_HEAP_LIMIT}")
    except sqlite3.Error:
        pass

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: str | None, _trigger: str | None) -> int:
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
            return sqlite3.SQLITE_DENY
        return sqlite3.SQLITE_OK

    conn.set_authorizer(authorize)
