"""Request framing over a raw socket against the real gunicorn server on loopback.

A chunked body over MAX_CONTENT_LENGTH used to be cut at the limit and the cut query ran (200);
a malformed chunk size was an HTML 500. Every case here sends bytes a client library would not
(chunked bodies, bad chunk sizes, Content-Length lies) and checks the status and that the answer
is one line of plain text (server/framing.py).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
from conftest import LiveServer

from kzkg.store import publish_nquads

# A server of its own and tests that wait for REQUEST_BODY_TIMEOUT: ~8 s in all, outside the fast core.
pytestmark = pytest.mark.slow

LIMIT = 4000
BODY_TIMEOUT = 1.0
NQUADS = "".join(
    f'<http://example.org/s{i}> <http://example.org/p> "{i}" <http://example.org/g> .\n' for i in range(50)
).encode()
# A query whose first LIMIT bytes are a complete query too: cut at the limit, it runs and answers.
PADDED = b"ASK { ?s ?p ?o }\n" + b"#" * (LIMIT + 500)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    build_dir = tmp_path_factory.mktemp("framing-build")
    publish_nquads(build_dir, NQUADS)
    live = LiveServer(
        build_dir, env={"KZKG_MAX_CONTENT_LENGTH": str(LIMIT), "KZKG_REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT)}
    )
    yield live
    live.stop()


class Reply:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def assert_plain_line(self) -> None:
        assert self.headers.get("content-type", "").startswith("text/plain"), (self.headers, self.body[:200])
        assert self.text.endswith("\n") and self.text.count("\n") == 1, self.text
        assert "<html" not in self.text.lower() and "Traceback" not in self.text


def connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=15)
    return sock


def read_reply(sock: socket.socket, buffer: bytearray) -> Reply:
    """One HTTP/1.1 response (Content-Length framed, as every answer here is)."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise ConnectionError(f"connection closed before a complete response: {bytes(buffer)!r}")
        buffer += data
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            break
        rest += data
    buffer[:] = rest[length:]
    return Reply(status, headers, rest[:length])


def exchange(server: LiveServer, raw: bytes) -> Reply:
    with connect(server) as sock:
        sock.sendall(raw)
        return read_reply(sock, bytearray())


def chunked(body: bytes, size: int = 1000) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i : i + size]), body[i : i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def post_head(server: LiveServer, content_type: str = "application/sparql-query", **headers: str) -> bytes:
    lines = [
        "POST /sparql HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        f"Content-Type: {content_type}",
        "Accept: application/sparql-results+json",
    ]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_chunked_body_under_the_limit_is_answered_and_the_connection_stays_in_step(server: LiveServer) -> None:
    query = b"ASK { <http://example.org/s1> ?p ?o }"
    with connect(server) as sock:
        buffer = bytearray()
        for _ in range(2):  # the same connection twice: the first body was read exactly to its end
            sock.sendall(post_head(server, Transfer_Encoding="chunked") + chunked(query, 7))
            reply = read_reply(sock, buffer)
            assert reply.status == 200, reply.text
            assert json.loads(reply.body)["boolean"] is True


def test_chunked_body_of_exactly_the_limit_is_answered(server: LiveServer) -> None:
    body = PADDED[:LIMIT]
    reply = exchange(server, post_head(server, Transfer_Encoding="chunked") + chunked(body))
    assert reply.status == 200, reply.text
    assert json.loads(reply.body)["boolean"] is True


@pytest.mark.parametrize("chunk_size", [1000, LIMIT + 500], ids=["many-chunks", "one-chunk"])
def test_chunked_body_over_the_limit_is_413_not_a_cut_query(server: LiveServer, chunk_size: int) -> None:
    reply = exchange(server, post_head(server, Transfer_Encoding="chunked") + chunked(PADDED, chunk_size))
    assert reply.status == 413, reply.text
    reply.assert_plain_line()
    assert f"up to {LIMIT} bytes" in reply.text


def test_chunked_form_post_over_the_limit_is_413(server: LiveServer) -> None:
    body = b"query=" + PADDED.replace(b" ", b"+").replace(b"#", b"%23").replace(b"\n", b"%0A")
    reply = exchange(
        server, post_head(server, "application/x-www-form-urlencoded", Transfer_Encoding="chunked") + chunked(body)
    )
    assert reply.status == 413, reply.text
    reply.assert_plain_line()


@pytest.mark.parametrize(
    "framing",
    [
        b"zz\r\nASK {}\r\n0\r\n\r\n",  # not hexadecimal
        b"-6\r\nASK {}\r\n0\r\n\r\n",  # negative
        b"6\r\nASK {}XX0\r\n\r\n",  # chunk data not followed by CRLF
        b"6 ; a=\x01\r\nASK {}\r\n0\r\n\r\n",  # control character in a chunk extension
    ],
    ids=["not-hex", "negative", "missing-terminator", "bad-extension"],
)
def test_malformed_chunked_framing_is_400_plain_text(server: LiveServer, framing: bytes) -> None:
    reply = exchange(server, post_head(server, Transfer_Encoding="chunked") + framing)
    assert reply.status == 400, reply.text
    reply.assert_plain_line()
    assert "chunk" in reply.text.lower()


def test_content_length_over_the_limit_is_413_before_the_body_is_sent(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(post_head(server, Content_Length=str(LIMIT + 1)))  # no body follows
        reply = read_reply(sock, bytearray())
    assert reply.status == 413
    reply.assert_plain_line()
    assert f"up to {LIMIT} bytes" in reply.text


def test_content_length_shorter_than_the_body_frames_the_request_by_its_length(server: LiveServer) -> None:
    """The body is what Content-Length says; the bytes after it are the next request, which is not
    a request (gunicorn answers that with a 400, in plain text too, and closes)."""
    query = b"ASK { <http://example.org/s1> ?p ?o }"
    with connect(server) as sock:
        sock.sendall(post_head(server, Content_Length=str(len(query))) + query + b" GARBAGE AFTER THE BODY\r\n\r\n")
        buffer = bytearray()
        first = read_reply(sock, buffer)
        assert first.status == 200, first.text
        assert json.loads(first.body)["boolean"] is True
        second = read_reply(sock, buffer)
        assert second.status == 400
        second.assert_plain_line()
        sock.settimeout(5)
        assert sock.recv(1) == b""  # and the connection is closed


def test_content_length_longer_than_a_body_that_ends_is_400(server: LiveServer) -> None:
    query = b"ASK { ?s ?p ?o }"
    with connect(server) as sock:
        sock.sendall(post_head(server, Content_Length=str(len(query) + 20)) + query)
        sock.shutdown(socket.SHUT_WR)  # the client has sent everything it will send
        reply = read_reply(sock, bytearray())
    assert reply.status == 400, reply.text
    reply.assert_plain_line()
    assert f"after {len(query)} of the {len(query) + 20} bytes" in reply.text


def test_content_length_longer_than_a_body_that_never_comes_is_408(server: LiveServer) -> None:
    """A client that announces more than it sends holds a server thread only REQUEST_BODY_TIMEOUT."""
    query = b"ASK { ?s ?p ?o }"
    with connect(server) as sock:
        started = time.monotonic()
        sock.sendall(post_head(server, Content_Length=str(len(query) + 20)) + query)
        reply = read_reply(sock, bytearray())
        elapsed = time.monotonic() - started
    assert reply.status == 408, reply.text
    reply.assert_plain_line()
    assert BODY_TIMEOUT * 0.9 <= elapsed < BODY_TIMEOUT + 5


def test_a_slow_chunked_body_is_408_too(server: LiveServer) -> None:
    with connect(server) as sock:
        sock.sendall(post_head(server, Transfer_Encoding="chunked") + b"6\r\nASK {}\r\n")  # no last chunk
        reply = read_reply(sock, bytearray())
    assert reply.status == 408, reply.text
    reply.assert_plain_line()


def test_body_limit_is_unchanged_for_ordinary_posts(server: LiveServer) -> None:
    """Content-Length bodies keep the documented behaviour: up to the limit answered, beyond 413."""
    body = PADDED[:LIMIT]
    ok = exchange(server, post_head(server, Content_Length=str(len(body))) + body)
    assert ok.status == 200, ok.text
    too_big = exchange(server, post_head(server, Content_Length=str(len(PADDED))) + PADDED)
    assert too_big.status == 413
    too_big.assert_plain_line()


@pytest.mark.parametrize(
    "raw, status",
    [
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET /sparql HTTP/1.1\r\nHost: x\r\nBad Header Name: 1\r\n\r\n", 400),
        (b"GET /sparql?query=" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ],
    ids=["request-line", "header-name", "uri-too-long", "length-and-chunked"],
)
def test_requests_gunicorn_cannot_parse_get_plain_text_too(server: LiveServer, raw: bytes, status: int) -> None:
    reply = exchange(server, raw)
    assert reply.status == status, reply.text
    reply.assert_plain_line()
