"""The fast path for cached SPARQL answers (server/fastcache.py) and the load generator that
measures it (bench/load.py).

The fast path must be invisible except in speed: the same bytes as Flask's answer from the cache
(status, every header, body), 304 for a matching If-None-Match, one representation per Accept,
never an answer of a build that is no longer served, never an answer to a request Flask would
refuse. In-process tests count fast answers (``ResponseCache.fast_hits``); over real HTTP, a
server with the fast path is compared byte for byte with one without it.
"""

from __future__ import annotations

import json
import socket
import socketserver
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import LiveServer
from flask import Flask
from flask.testing import FlaskClient

from bench import load
from kzkg.store import current_release, publish_nquads
from kzkg_server import create_app
from kzkg_server.response_cache import EXTENSION, ResponseCache

ID = "https://w3id.org/kzkg/id/"
KZ = "https://w3id.org/kzkg/ontology#"
G1 = f"{ID}graph/article/001"
NQUADS = (
    "\n".join(
        f"<{ID}claim/001-{n}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{KZ}Claim> <{G1}> ." for n in range(5)
    ).encode()
    + b"\n"
)
COUNT_QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
CLAIM_QUERY = "SELECT ?c WHERE { ?c a kz:Claim } ORDER BY ?c"


@pytest.fixture()
def small_build(tmp_path: Path) -> Path:
    publish_nquads(tmp_path, NQUADS)
    return tmp_path


@pytest.fixture()
def app(small_build: Path) -> Flask:
    return create_app({"TESTING": True, "BUILD_DIR": str(small_build)})


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def cache_of(app: Flask) -> ResponseCache:
    runtime = app.extensions[EXTENSION].runtime
    assert runtime is not None, "no request has created the endpoint runtime yet"
    return runtime.cache


def answer(response) -> tuple[str, list[tuple[str, str]], bytes]:
    """Everything a client receives from the app: status line, header list in order, body."""
    return response.status, response.headers.to_wsgi_list(), response.get_data()


def count_of(response) -> int:
    return int(response.get_json()["results"]["bindings"][0]["n"]["value"])


# --- in process: what answers, with what ------------------------------------------------------


def test_second_identical_get_is_answered_by_the_fast_path_with_flasks_bytes(app: Flask, client: FlaskClient) -> None:
    params = {"query": CLAIM_QUERY}
    first = client.get("/sparql", query_string=params)
    assert first.status_code == 200 and cache_of(app).fast_hits == 0
    fast = client.get("/sparql", query_string=params)
    assert cache_of(app).fast_hits == 1
    app.config["QUERY_FAST_PATH"] = False
    through_flask = client.get("/sparql", query_string=params)
    assert cache_of(app).fast_hits == 1  # answered from the cache, but by Flask
    assert answer(fast) == answer(through_flask)
    assert fast.headers["Server-Timing"] == "cache;desc=hit"
    assert fast.get_data() == first.get_data() and fast.headers["ETag"] == first.headers["ETag"]
    for name in (
        "Cache-Control",
        "Vary",
        "Access-Control-Allow-Origin",
        "Access-Control-Expose-Headers",
        "Content-Type",
    ):
        assert fast.headers[name] == first.headers[name]


def test_if_none_match_gets_the_same_304_on_both_paths(app: Flask, client: FlaskClient) -> None:
    params = {"query": CLAIM_QUERY}
    etag = client.get("/sparql", query_string=params).headers["ETag"]
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        fast = client.get("/sparql", query_string=params, headers={"If-None-Match": if_none_match})
        app.config["QUERY_FAST_PATH"] = False
        through_flask = client.get("/sparql", query_string=params, headers={"If-None-Match": if_none_match})
        app.config["QUERY_FAST_PATH"] = True
        assert fast.status_code == 304 and fast.get_data() == b""
        assert answer(fast) == answer(through_flask)
    assert cache_of(app).fast_hits == 4
    unmatched = client.get("/sparql", query_string=params, headers={"If-None-Match": '"another-build-abc"'})
    assert unmatched.status_code == 200 and cache_of(app).fast_hits == 5


def test_each_accept_and_format_gets_its_own_representation(app: Flask, client: FlaskClient) -> None:
    variants = [
        ({}, {"Accept": "application/sparql-results+json"}, "application/sparql-results+json"),
        ({}, {"Accept": "application/sparql-results+xml"}, "application/sparql-results+xml"),
        ({}, {"Accept": "text/csv"}, "text/csv"),
        ({}, {"Accept": "text/csv;q=0.5, text/tab-separated-values"}, "text/tab-separated-values"),
        ({"format": "xml"}, {"Accept": "text/csv"}, "application/sparql-results+xml"),
    ]
    seen: dict[str, tuple[bytes, str]] = {}
    for extra, headers, media_type in variants:
        params = {"query": CLAIM_QUERY, **extra}
        first = client.get("/sparql", query_string=params, headers=headers)
        hits = cache_of(app).fast_hits
        again = client.get("/sparql", query_string=params, headers=headers)
        assert cache_of(app).fast_hits == hits + 1
        assert first.mimetype == again.mimetype == media_type
        assert answer(first)[2] == answer(again)[2] and first.headers["ETag"] == again.headers["ETag"]
        seen.setdefault(media_type, (again.get_data(), again.headers["ETag"]))
        assert seen[media_type] == (again.get_data(), again.headers["ETag"])
    assert len({etag for _, etag in seen.values()}) == len(seen) == 4


def test_spellings_of_one_request_share_one_cached_answer(app: Flask, client: FlaskClient) -> None:
    """Two Accept spellings negotiate the same type: two aliases, one entry, both fast."""
    params = {"query": CLAIM_QUERY}
    plain = client.get("/sparql", query_string=params, headers={"Accept": "application/json"})
    other = client.get("/sparql", query_string=params, headers={"Accept": "application/sparql-results+json"})
    assert cache_of(app).misses == 1 and cache_of(app).hits == 1  # the second was a Flask hit
    for accept in ("application/json", "application/sparql-results+json"):
        again = client.get("/sparql", query_string=params, headers={"Accept": accept})
        assert again.get_data() == plain.get_data() == other.get_data()
    assert cache_of(app).fast_hits == 2
    slash = client.get("/sparql/", query_string=params, headers={"Accept": "application/json"})
    assert slash.get_data() == plain.get_data() and cache_of(app).fast_hits == 2  # /sparql/: a new alias
    client.get("/sparql/", query_string=params, headers={"Accept": "application/json"})
    assert cache_of(app).fast_hits == 3


def test_refusals_errors_and_posts_never_come_from_the_fast_path(app: Flask, client: FlaskClient) -> None:
    params = {"query": CLAIM_QUERY}
    body = client.get("/sparql", query_string=params).get_data()
    client.get("/sparql", query_string=params)
    assert cache_of(app).fast_hits == 1
    # A Content-Type on a GET can make Flask refuse the request: the fast path must not answer it.
    refused = client.get("/sparql", query_string=params, headers={"Content-Type": "application/sparql-update"})
    assert refused.status_code == 403
    posted = client.post("/sparql", data=params)
    assert posted.status_code == 200 and posted.get_data() == body
    head = client.head("/sparql", query_string=params)
    assert head.status_code == 200 and head.get_data() == b""
    for _ in range(2):
        broken = client.get("/sparql", query_string={"query": "SELECT ?x WHERE { ?x"})
        assert broken.status_code == 400 and broken.headers["Cache-Control"] == "no-store"
        unacceptable = client.get("/sparql", query_string=params, headers={"Accept": "image/png"})
        assert unacceptable.status_code == 406
    assert cache_of(app).fast_hits == 1


def test_a_new_release_is_never_answered_from_the_old_ones_cache(
    app: Flask, client: FlaskClient, small_build: Path
) -> None:
    params = {"query": COUNT_QUERY}
    old_build = current_release(small_build).build_id
    before = client.get("/sparql", query_string=params)
    client.get("/sparql", query_string=params)
    assert cache_of(app).fast_hits == 1 and old_build in before.headers["ETag"]

    new = publish_nquads(small_build, NQUADS + f'<{ID}x> <{ID}y> "new" <{G1}> .\n'.encode())
    after = client.get("/sparql", query_string=params)
    assert cache_of(app).fast_hits == 1
    assert count_of(after) == count_of(before) + 1
    assert new.build_id in after.headers["ETag"] and after.headers["Server-Timing"] != "cache;desc=hit"
    stale = client.get("/sparql", query_string=params, headers={"If-None-Match": before.headers["ETag"]})
    assert stale.status_code == 200 and count_of(stale) == count_of(after)
    assert cache_of(app).fast_hits == 2  # the new build's answer, from the fast path

    back = publish_nquads(small_build, NQUADS)  # the old content again: the old release, re-pointed
    assert back.build_id == old_build
    again = client.get("/sparql", query_string=params)
    assert count_of(again) == count_of(before) and again.headers["ETag"] == before.headers["ETag"]
    assert cache_of(app).fast_hits == 2


def test_turned_off_every_request_goes_through_flask(small_build: Path) -> None:
    app = create_app({"TESTING": True, "BUILD_DIR": str(small_build), "QUERY_FAST_PATH": False})
    client = app.test_client()
    for _ in range(3):
        assert client.get("/sparql", query_string={"query": CLAIM_QUERY}).status_code == 200
    assert cache_of(app).fast_hits == 0 and cache_of(app).hits == 2


def test_aliases_are_bounded_and_leave_with_their_entry() -> None:
    from kzkg_server.response_cache import MAX_ALIASES_PER_ENTRY, CachedResponse

    cache = ResponseCache(max_entries=2, max_bytes=1_000_000)
    entry = CachedResponse(b"x" * 10, "text/csv", 1)
    cache.put(("b1", "q1"), entry, alias=("a", 0))
    for n in range(1, MAX_ALIASES_PER_ENTRY + 3):
        cache.get(("b1", "q1"), alias=("a", n))
    assert len(cache._aliases) == MAX_ALIASES_PER_ENTRY
    cache.put(("b1", "q2"), entry, alias=("b", 0))
    cache.put(("b1", "q3"), entry, alias=("c", 0))  # evicts q1 and its aliases
    assert set(cache._aliases) == {("b", 0), ("c", 0)}
    assert cache._bytes == 2 * 10 + 2 * (64 + 1)
    cache.clear()
    assert not cache._aliases and cache._bytes == 0


# --- over HTTP: the fast path's bytes are Flask's bytes -----------------------------------------


def exchange(connection: socket.socket, request: bytes) -> bytes:
    """Send one request on a kept-alive connection and return the raw response."""
    connection.sendall(request)
    reader = load.ResponseReader()
    raw = b""
    while True:
        data = connection.recv(65536)
        raw += data
        status = reader.feed(data) if data else reader.end_of_stream()
        if status is not None:
            return raw


def count_in(raw: bytes) -> int:
    body = json.loads(raw.split(b"\r\n\r\n", 1)[1])
    return int(body["results"]["bindings"][0]["n"]["value"])


def without_date(raw: bytes) -> bytes:
    return b"\r\n".join(line for line in raw.split(b"\r\n") if not line.lower().startswith(b"date:"))


@pytest.fixture(scope="module")
def http_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("fastcache-build")
    publish_nquads(build_dir, NQUADS)
    return build_dir


@pytest.fixture(scope="module")
def servers(http_build: Path) -> Iterator[tuple[LiveServer, LiveServer]]:
    # The load test is one client with four connections whose first requests all miss the cache
    # at once: the per-client fairness limits (tests/test_fairness.py) are lifted for it.
    lifted = {
        "KZKG_QUERY_CLIENT_CONCURRENCY": "100",
        "KZKG_QUERY_QUEUE_SIZE": "100",
        "KZKG_QUERY_RESERVED_SLOTS": "0",
        "KZKG_QUERY_QUEUE_TIMEOUT": "60",
    }
    fast = LiveServer(http_build, env=lifted)
    try:
        slow = LiveServer(http_build, env={**lifted, "KZKG_QUERY_FAST_PATH": "false"})
    except BaseException:
        fast.stop()
        raise
    yield fast, slow
    fast.stop()
    slow.stop()


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv", "application/sparql-results+xml"])
def test_over_http_the_fast_answer_is_byte_for_byte_flasks(servers: tuple[LiveServer, LiveServer], accept: str) -> None:
    target = "/sparql?" + urllib.parse.urlencode({"query": CLAIM_QUERY})
    # One Host for both servers: the base IRI (and so the ETag) is the same whichever port answers.
    request = f"GET {target} HTTP/1.1\r\nHost: kzkg.test\r\nAccept: {accept}\r\n\r\n".encode()
    answers = []
    for server in servers:
        with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:  # one worker, one cache
            first = exchange(connection, request)
            cached = exchange(connection, request)
            etag = (
                next(line for line in cached.split(b"\r\n") if line.lower().startswith(b"etag:"))
                .split(b":", 1)[1]
                .strip()
            )
            conditional = request.replace(b"\r\n\r\n", b"\r\nIf-None-Match: " + etag + b"\r\n\r\n")
            not_modified = exchange(connection, conditional)
        assert first.startswith(b"HTTP/1.1 200 ") and b"Server-Timing: query;dur=" in first
        assert not_modified.startswith(b"HTTP/1.1 304 ") and not_modified.endswith(b"\r\n\r\n")
        answers.append((without_date(cached), without_date(not_modified)))
    fast, through_flask = answers
    assert fast == through_flask
    assert b"\r\nServer-Timing: cache;desc=hit\r\n" in fast[0]
    assert f"\r\nContent-Type: {accept}".encode() in fast[0]


def test_over_http_a_new_release_is_seen_at_once(tmp_path: Path) -> None:
    publish_nquads(tmp_path, NQUADS)
    live = LiveServer(tmp_path)
    try:
        request = (
            f"GET /sparql?{urllib.parse.urlencode({'query': COUNT_QUERY})} HTTP/1.1\r\nHost: kzkg.test\r\n\r\n".encode()
        )
        with socket.create_connection(("127.0.0.1", live.port), timeout=30) as connection:
            exchange(connection, request)
            before = exchange(connection, request)  # from the fast path
            new = publish_nquads(tmp_path, NQUADS + f'<{ID}x> <{ID}y> "new" <{G1}> .\n'.encode())
            after = exchange(connection, request)
        assert before.startswith(b"HTTP/1.1 200 ") and after.startswith(b"HTTP/1.1 200 ")
        assert new.build_id.encode() in after and new.build_id.encode() not in before
        assert count_in(after) == count_in(before) + 1 == 6
    finally:
        live.stop()


# --- the load generator ----------------------------------------------------------------------------

CANNED = {
    "length": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "chunked": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    ),
    "empty-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "close": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
    "http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "not-modified": b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n',
    "error": b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops",
}


class CannedHandler(socketserver.BaseRequestHandler):
    """Answers each request with the canned response named by its query; "hang" never answers,
    "slow" answers after 50 ms. Connections are kept open unless the response ends them."""

    def handle(self) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = self.request.recv(65536)
                if not data:
                    return
                buffer += data
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            target = head.split(b" ")[1].decode()
            name = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)["query"][0]
            if name == "hang":
                self.request.recv(1)  # until the client gives up
                return
            if name == "slow":
                time.sleep(0.05)
                name = "length"
            self.request.sendall(CANNED[name])
            if name in {"close", "http10"}:
                return


@pytest.fixture(scope="module")
def canned() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), CannedHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/sparql"
    server.shutdown()
    server.server_close()


def test_load_reads_every_framing_and_counts_statuses(canned: str) -> None:
    names = list(CANNED)
    result = load.run_load(
        canned, "canned", lambda i: names[i % len(names)], clients=3, max_requests=70, max_seconds=20
    )
    per_name = 70 // len(names)
    assert result.requests == 70 and len(result.latencies) == 70
    assert result.statuses == {200: 5 * per_name, 304: per_name, 500: per_name}
    assert result.errors == 2 * per_name  # like before: any status but 200 is an error
    assert 0 < result.p50 <= result.p99 < 5


def test_load_is_bounded_by_time_and_by_the_request_timeout(canned: str) -> None:
    started = time.perf_counter()
    slow = load.run_load(canned, "slow", lambda i: "slow", clients=2, max_requests=100_000, max_seconds=0.5)
    assert time.perf_counter() - started < 3
    assert 0 < slow.requests < 100 and slow.errors == 0
    started = time.perf_counter()
    hung = load.run_load(canned, "hang", lambda i: "hang", clients=2, max_requests=2, max_seconds=10, timeout=0.5)
    assert time.perf_counter() - started < 3
    assert hung.requests == 0 and hung.errors == 2


def test_load_counts_refused_connections_as_errors() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    result = load.run_load(
        f"http://127.0.0.1:{port}/sparql", "refused", lambda i: "q", clients=2, max_requests=5, max_seconds=5
    )
    assert result.requests == 0 and result.errors == 5


@pytest.mark.parametrize(
    "url",
    ["http://192.0.2.1:8890/sparql", "http://example.com/sparql", "https://127.0.0.1/sparql", "http://10.1.2.3/sparql"],
)
def test_load_is_only_sent_to_loopback(url: str) -> None:
    with pytest.raises(ValueError):
        load.run_load(url, "refused", lambda i: "q", clients=1, max_requests=1, max_seconds=1)


def test_load_against_the_real_server_gets_cached_answers(servers: tuple[LiveServer, LiveServer]) -> None:
    fast, _ = servers
    result = load.run_load(
        fast.url + "/sparql", "cached", lambda i: CLAIM_QUERY, clients=4, max_requests=400, max_seconds=30
    )
    assert result.requests == 400 and result.errors == 0 and result.statuses == {200: 400}


def test_an_alias_follows_the_newest_answer() -> None:
    """An old build's answer stored after the cache was emptied must not keep the request's alias."""
    from kzkg_server.response_cache import CachedResponse

    cache = ResponseCache(max_entries=8, max_bytes=1_000_000)
    entry = CachedResponse(b"x", "text/csv", 1)
    cache.put(("old", "q"), entry, alias=("raw",))
    cache.put(("new", "q"), entry, alias=("raw",))
    assert cache._aliases == {("raw",): ("new", "q")}
    assert cache._bytes == 2 + (64 + 3)
