"""Ask any SPARQL 1.1 endpoint over the standard protocol (HTTP POST, form-encoded query).

Results come back as pyoxigraph objects, exactly like the embedded store's, so everything above this
module treats a remote endpoint and the local files the same way: SELECT and ASK answers are parsed with
``pyoxigraph.parse_query_results``, CONSTRUCT and DESCRIBE answers with ``pyoxigraph.parse``.
"""

from __future__ import annotations

import re
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


class RemoteSparql:
    """A SPARQL 1.1 Protocol client for one endpoint; one HTTP connection pool, reused."""

    def __init__(self, url: str, *, timeout: float = 60.0, headers: dict[str, str] | None = None):
        self.url = url
        self._client = httpx.Client(timeout=timeout, headers={"Accept": ACCEPT, **(headers or {})})

    def close(self) -> None:
        self._client.close()

    def query(self, text: str) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | list[ox.Triple]:
        """Send one query; the answer as pyoxigraph objects (SELECT/ASK) or a list of triples."""
        try:
            response = self._client.post(self.url, data={"query": text})
        except httpx.TimeoutException:
            raise EndpointError(f"the SPARQL endpoint {self.url} did not answer in time")
        except httpx.HTTPError as exc:
            raise EndpointError(f"cannot reach the SPARQL endpoint {self.url}: {exc}")
        body = response.content
        if response.status_code >= 400:
            message = response.text.strip() or response.reason_phrase
            if response.status_code in (400, 422) or "error" in message.lower():
                raise QueryError(f"SPARQL error from {self.url} (HTTP {response.status_code}): {message[:2000]}")
            raise EndpointError(f"the SPARQL endpoint {self.url} answered HTTP {response.status_code}: {message[:500]}")
        mime = response.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if mime in RESULT_FORMATS:
                return ox.parse_query_results(body, format=RESULT_FORMATS[mime])
            if mime in GRAPH_FORMATS:
                return list(ox.parse(body, format=GRAPH_FORMATS[mime]))
        except (SyntaxError, ValueError) as exc:
            raise EndpointError(f"the SPARQL endpoint {self.url} sent a result that cannot be read: {exc}")
        raise EndpointError(
            f"the SPARQL endpoint {self.url} answered with {mime or 'no content type'}, not SPARQL results "
            "(is this the address of a SPARQL endpoint?)"
        )
