"""Finding 4: a body over the limit is refused while it streams in (with or without Content-Length),
not after it was read whole."""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator

import pytest

from conftest import Served, serve_site

pytestmark = pytest.mark.e2e
CHUNK = b"x" * 65536


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_site(tmp_path_factory.mktemp("bodies"))
    yield served
    served.stop()


def send_until_answered(port: int, head: bytes, chunked: bool, limit_bytes: int,
                        preamble: bytes = b"") -> tuple[bytes, int]:
    """Send ``head`` then body chunks until the server answers; (its first bytes, body bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sent = 0
    try:
        sock.sendall(head)
        if preamble:
            sock.sendall((f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n") if chunked else preamble)
        while sent < limit_bytes:
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            piece = (f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n") if chunked else CHUNK
            try:
                sock.sendall(piece)
            except (TimeoutError, BrokenPipeError, ConnectionResetError):
                break  # the server stopped reading
            sent += len(CHUNK)
        sock.settimeout(60)
        return sock.recv(4096), sent
    finally:
        sock.close()


@pytest.mark.parametrize("path,content_type,chunked", [
    ("/-/sparql", "application/sparql-query", False),
    ("/-/sparql", "application/x-www-form-urlencoded", True),
    ("/-/advise", "application/json", True),
    ("/-/advise", "multipart/form-data; boundary=b", True),
])
def test_a_large_body_is_refused_early(server: Served, path: str, content_type: str, chunked: bool) -> None:
    length = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: 200000000\r\n"
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: {content_type}\r\n".encode()
            + length + b"Connection: close\r\n\r\n")
    preamble = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="w.json"\r\n'
                b"Content-Type: application/json\r\n\r\n") if content_type.startswith("multipart") else b""
    answer, sent = send_until_answered(server.port, head, chunked, 100_000_000, preamble)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert sent < 40_000_000  # refused long before the 100 MB were sent
