"""Ask any SPARQL 1.1 endpoint over the standard protocol (HTTP POST, form-encoded query).

Results come back as pyoxigraph objects, exactly like the embedded store's, so everything above this
module treats a remote endpoint and the local files the same way: SELECT and ASK answers are parsed with
``pyoxigraph.parse_query_results``, CONSTRUCT and DESCRIBE answers with ``pyoxigraph.parse``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyoxigraph as ox

from .engine import QueryError

ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
RESULT_FORMATS = {
    "application/sparql-results+json": ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    "text/tab-separated-values": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
}


class EndpointError(QueryError):
    """The SPARQL endpoint could not be reached or answered with something that is not a result."""


def is_endpoint(source: Any) -> bool:
    """True when ``source`` looks like the URL of a SPARQL endpoint."""
    return isinstance(source, str) and re.match(r"^https?://", source, flags=re.IGNORECASE) is not None


MAX_RESPONSE_BYTES = 256 * 1024 * 1024  # bytes of one answer


@dataclass
class Solutions:
    """SELECT results read to the end (so a malformed answer fails here, as :class:`EndpointError`)."""

    variables: list[Any]
    rows: list[Any] = field(default_factory=list)

    def __iter__(self) -> Any:
        return iter(self.rows)


class RemoteSparql:
    """A SPARQL 1.1 Protocol client for one endpoint; one HTTP connection pool, reused.

    ``timeout`` bounds the whole exchange (a server trickling a byte a second is cut off when it is
    spent, not only one that stays silent), and ``max_bytes`` the answer's size.
    """

    def __init__(self, url: str, *, timeout: float = 60.0, headers: dict[str, str] | None = None,
                 max_bytes: int = MAX_RESPONSE_BYTES):
        self.url = url
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._client = httpx.Client(timeout=timeout, headers={"Accept": ACCEPT, **(headers or {})})

    def close(self) -> None:
        self._client.close()

    def _exchange(self, text: str) -> tuple[httpx.Response, bytes]:
        deadline = time.monotonic() + self.timeout
        try:
            with self._client.stream("POST", self.url, data={"query": text}) as response:
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > self.max_bytes:
                    raise EndpointError(f"the SPARQL endpoint {self.url} answered {int(length):,} bytes; the limit "
                                        f"is {self.max_bytes:,}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise EndpointError(f"the SPARQL endpoint {self.url} answered more than {self.max_bytes:,} "
                                            "bytes (the limit)")
                    if time.monotonic() > deadline:
                        raise EndpointError(f"the SPARQL endpoint {self.url} did not finish its answer within "
                                            f"{self.timeout:g} s")
                    chunks.append(chunk)
                return response, b"".join(chunks)
        except httpx.TimeoutException:
            raise EndpointError(f"the SPARQL endpoint {self.url} did not answer in time")
        except httpx.HTTPError as exc:
            raise EndpointError(f"cannot reach the SPARQL endpoint {self.url}: {exc}")

    def query(self, text: str) -> Solutions | ox.QueryBoolean | list[ox.Triple]:
        """Send one query; the answer as pyoxigraph objects (SELECT/ASK) or a list of triples."""
        response, body = self._exchange(text)
        if response.status_code >= 400:
            message = body.decode("utf-8", "replace").strip() or response.reason_phrase
            if response.status_code in (400, 422) or "error" in message.lower():
                raise QueryError(f"SPARQL error from {self.url} (HTTP {response.status_code}): {message[:2000]}")
            raise EndpointError(f"the SPARQL endpoint {self.url} answered HTTP {response.status_code}: {message[:500]}")
        mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if mime in RESULT_FORMATS:
                parsed = ox.parse_query_results(body, format=RESULT_FORMATS[mime])
                if isinstance(parsed, ox.QuerySolutions):
                    return Solutions(list(parsed.variables), list(parsed))
                return parsed
            if mime in GRAPH_FORMATS:
                return list(ox.parse(body, format=GRAPH_FORMATS[mime]))
        except (SyntaxError, ValueError, OSError) as exc:
            raise EndpointError(f"the SPARQL endpoint {self.url} sent a result that cannot be read: {exc}")
        raise EndpointError(
            f"the SPARQL endpoint {self.url} answered with {mime or 'no content type'}, not SPARQL results "
            "(is this the address of a SPARQL endpoint?)"
        )
