"""Finding 15: the remote client is bounded in total time and in bytes, and a malformed answer is an
EndpointError, not a bare SyntaxError. Misbehaving servers run on loopback, in threads of this test."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from hkgraph.query.kg import KnowledgeGraph
from hkgraph.query.remote import EndpointError


def serve(handler: Callable[[socket.socket], None]) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    sock.settimeout(0.2)
    running = True

    def loop() -> None:
        while running:
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            conn.settimeout(5)
            try:
                conn.recv(65536)
                handler(conn)
            except OSError:
                pass
            finally:
                conn.close()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/sparql"
    running = False
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def trickle() -> Iterator[str]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: 100\r\n\r\n")
        for _ in range(40):
            conn.sendall(b" ")
            time.sleep(1)

    yield from serve(handler)


@pytest.fixture
def flood() -> Iterator[str]:
    def handler(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        block = b" " * (1 << 20)
        frame = f"{len(block):x}\r\n".encode() + block + b"\r\n"
        for _ in range(400):  # 400 MB
            conn.sendall(frame)
        conn.sendall(b"0\r\n\r\n")

    yield from serve(handler)


@pytest.fixture
def malformed() -> Iterator[str]:
    def handler(conn: socket.socket) -> None:
        body = b'{"head": {"vars": ["s"]}, "results": {"bindings": [{"s": {"type": "uri"}}, {"s": 5}]}}'
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\n\r\n" + body)

    yield from serve(handler)


def test_a_trickling_server_is_cut_off_when_the_timeout_is_spent(trickle: str) -> None:
    kg = KnowledgeGraph.open(trickle, timeout=3)
    start = time.monotonic()
    with pytest.raises(EndpointError, match="did not"):
        kg.sparql("SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - start < 8
    kg.close()


def test_a_flood_is_cut_off_at_the_size_limit(flood: str) -> None:
    kg = KnowledgeGraph.open(flood, timeout=60)
    with pytest.raises(EndpointError, match="bytes"):
        kg.sparql("SELECT * WHERE { ?s ?p ?o }")
    kg.close()


def test_a_malformed_answer_is_an_endpoint_error(malformed: str) -> None:
    kg = KnowledgeGraph.open(malformed, timeout=10)
    with pytest.raises(EndpointError, match="cannot be read"):
        kg.sparql("SELECT * WHERE { ?s ?p ?o }")
    kg.close()
