"""The endpoint cannot be turned against its host (issue #10): HTTP-level, real servers on loopback.

Two independent guards keep SERVICE to the allow-list, and each is tested on its own:

* what runs is what was checked — the engine only ever sees the canonical re-writing of the
  tokens the allow-list was decided on (``test_*bypass*``, the differential fuzz, which runs with
  the second guard switched off so that the first is what holds);
* query children without an allow-listed SERVICE cannot open a network socket at all
  (``test_sealed_*``), while the federation children still reach an allow-listed endpoint.

Plus: the text is read in the child, in linear time, under the time limit (``test_*pathological*``);
deaths are reported by their cause; upstream bodies never reach the client; values over 16 MiB are
written in every format; long queries give way (renice).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
import requests
import test_limits as limits
import w3c_harness as w3c
from conftest import LiveServer

from kzkg.store import current_release, publish_nquads
from kzkg_server.executor import ExecutorPool, death_cause
from kzkg_server.executor_protocol import Job
from kzkg_server.query_errors import NeedsFederation, QueryRefused
from kzkg_server.sandbox import program
from kzkg_server.sparql_scan import canonicalise
from kzkg_server.sparql_tokens import ScanError

# Every test here starts a server or a process of its own: none belongs in the fast core.
pytestmark = pytest.mark.slow

TIMEOUT = 2.0
SELECT_JSON = "application/sparql-results+json"


@pytest.fixture(scope="module")
def small_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("security-build")
    publish_nquads(build_dir, limits.NQUADS)
    return build_dir


@pytest.fixture(scope="module")
def server(small_build: Path) -> Iterator[LiveServer]:
    live = LiveServer(small_build, env={"KZKG_QUERY_TIMEOUT": str(TIMEOUT), "KZKG_QUERY_EXECUTORS": "2"})
    yield live
    live.stop()


@pytest.fixture(scope="module")
def endpoint(server: LiveServer) -> str:
    return server.url + "/sparql"


@pytest.fixture()
def listener() -> Iterator[limits.Listener]:
    trap = limits.Listener()
    yield trap
    trap.close()


def post(
    endpoint: str, query: str, accept: str = SELECT_JSON, timeout: float = 60, **headers: str
) -> requests.Response:
    return requests.post(
        endpoint,
        data=query.encode("utf-8"),
        timeout=timeout,
        headers={"Content-Type": "application/sparql-query", "Accept": accept, **headers},
    )


# --- the reproducers of the SERVICE bypass ----------------------------------------------------

BYPASSES = {
    # pyoxigraph reads `?a < <http://x/#>`; the old scanner read "<<" and then a comment.
    "lt-lt-hash": "SELECT * WHERE {{ FILTER(?a<<http://x/#>||true) SERVICE <{url}admin> {{ }} }}",
    # ...or, with ''', a long string running to the end of the query.
    "lt-lt-long-string": "SELECT * WHERE {{ FILTER(?a<<http://x/'''>||true) SERVICE <{url}admin> {{ }} }} #'''",
    # An IRI with a quote, read as "<" + a string by a parser that expects an operator there.
    "quote-in-iri-after-operand": "SELECT * WHERE {{ FILTER(?a <('> \"x' ) ) SERVICE <{url}admin> {{ }} #\" ) }}",
    "quote-in-iri": "SELECT * WHERE {{ ?s ?p <a'> . SERVICE <{url}admin> {{ }} }} #'",
    "escaped-angle": "SELECT * WHERE {{ FILTER(?a \\u003C<http://x/#>||true) SERVICE <{url}admin> {{ }} }}",
    "escaped-keyword": "SELECT * WHERE {{ \\u0053ERVICE <{url}admin> {{ }} }}",
    "escaped-iri": "SELECT * WHERE {{ SERVICE <\\u0068ttp://127.0.0.1:{port}/admin> {{ }} }}",
    "silent": "SELECT * WHERE {{ FILTER(?a<<http://x/#>||true) SERVICE SILENT <{url}admin> {{ }} }}",
    "comment-in-iri-then-newline": "SELECT * WHERE {{ ?s ?p <http://x/#>\n SERVICE <{url}admin> {{ }} }}",
    "string-with-service": "SELECT * WHERE {{ BIND('''x''' AS ?x) FILTER(?x<'''>''') SERVICE <{url}> {{ }} }}",
}


@pytest.mark.parametrize("name", BYPASSES)
def test_service_bypass_reproducers_connect_nowhere(endpoint: str, listener: limits.Listener, name: str) -> None:
    query = BYPASSES[name].format(url=listener.url, port=listener.port)
    response = post(endpoint, query)
    assert response.status_code in {400, 403}, response.text
    assert "Traceback" not in response.text and "Nope" not in response.text
    if response.status_code == 403:
        assert f"<{listener.url}" in response.text  # the refusal names the IRI
    time.sleep(0.2)
    assert listener.connections == []


def test_service_bypass_reproducers_connect_nowhere_even_unsealed(small_build: Path, listener: limits.Listener) -> None:
    """The same reproducers with the children's network left open: the canonical text alone holds."""
    live = LiveServer(small_build, env={"KZKG_QUERY_TIMEOUT": str(TIMEOUT), "KZKG_QUERY_SANDBOX": "false"})
    try:
        for name, template in BYPASSES.items():
            response = post(live.url + "/sparql", template.format(url=listener.url, port=listener.port))
            assert response.status_code in {400, 403}, (name, response.text)
    finally:
        live.stop()
    time.sleep(0.2)
    assert listener.connections == []


def test_relative_service_resolves_against_the_configured_base_not_the_host(
    endpoint: str, listener: limits.Listener
) -> None:
    """`SERVICE <sparql>` with Host: forged to the listener resolves against BASE_IRI (by default the
    resource namespace) and is refused by that name."""
    response = post(endpoint, "SELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }", Host=f"127.0.0.1:{listener.port}")
    assert response.status_code == 403, response.text
    assert "<https://w3id.org/kzkg/id/sparql>" in response.text
    # The query's own relative IRIs resolve there too, whatever the Host.
    answer = post(endpoint, "SELECT ?x WHERE { BIND(<claim/x> AS ?x) }", Host=f"127.0.0.1:{listener.port}")
    assert answer.json()["results"]["bindings"][0]["x"]["value"] == "https://w3id.org/kzkg/id/claim/x"
    time.sleep(0.2)
    assert listener.connections == []


def test_an_iri_with_a_quote_is_refused_with_its_position(endpoint: str) -> None:
    response = post(endpoint, "SELECT * WHERE {\n  ?s ?p <http://x/a'b> }")
    assert response.status_code == 400
    assert response.text.startswith("error at 2:9:") and "IRI" in response.text


def test_engine_syntax_errors_point_at_the_clients_line_and_column(endpoint: str) -> None:
    """pyoxigraph parses the one-line canonical text; its position is mapped back to the client's."""
    response = post(endpoint, "PREFIX ex: <http://example.org/>\n# a comment\nSELECT ?x WHERE {\n   ?x ex:p }")
    assert response.status_code == 400
    assert response.text.startswith("error at 4:")
    response = post(endpoint, "SELECT *\nWHERE { ?s ?p ?o FILTER(?o = ) }")
    assert response.status_code == 400 and response.text.startswith("error at 2:")


@pytest.mark.w3c
def test_canonical_text_has_no_unicode_escapes_and_is_stable() -> None:
    """Canonicalising twice gives the same text, and no \\u sequence survives (so a parser that
    pre-processes them over the whole text and one that does not read the same thing)."""
    for path in w3c.query_files():
        try:
            once = canonicalise(path.read_text(encoding="utf-8")).text
        except ScanError:
            continue
        assert "\\u" not in once and "\\U" not in once, path
        assert canonicalise(once).text == once, path
    with pytest.raises(ScanError, match="backslash followed by u"):
        canonicalise("SELECT * { BIND('a\\\\u0041' AS ?x) }")


@pytest.mark.w3c
def test_canonicalisation_accepts_and_refuses_every_w3c_query_alike() -> None:
    """Every W3C query without SERVICE, on pyoxigraph in-process: the client's text and its
    canonical text are both accepted or both refused (the meaning itself is checked over HTTP by
    tests/test_w3c.py, which now runs canonical texts only)."""
    store = ox.Store()
    compared = 0

    def verdict(text: str) -> str:
        try:
            store.query(text, base_iri="http://example.org/base/")
        except SyntaxError:
            return "refused"
        except (OSError, RuntimeError, ValueError, TypeError):  # parsed, but would not evaluate
            return "accepted"
        return "accepted"

    for path in w3c.query_files():
        text = path.read_text(encoding="utf-8")
        if re.search("service", text, re.IGNORECASE):
            continue  # never run SERVICE in-process, unsealed
        try:
            canonical = canonicalise(text).text
        except ScanError:
            assert verdict(text) == "refused", path
            continue
        assert verdict(canonical) == verdict(text), (path, canonical)
        compared += 1
    assert compared > 350


# --- the pre-scan costs nothing outside the limits --------------------------------------------

PATHOLOGICAL = {
    "unterminated-quote": "ASK { '" + "a" * 999_000,
    "unterminated-long-quote": "ASK { '''" + "a'" * 499_000,
    "dotted-word": "ASK { " + "a." * 499_000 + " }",
    "angles": "ASK { " + "<a" * 499_000 + " }",
    "quotes": "ASK { " + "' " * 499_000,
}


def test_a_32kb_unterminated_quote_is_a_fast_400(endpoint: str) -> None:
    started = time.monotonic()
    response = post(endpoint, "ASK { ' " + "x" * 32_000)
    assert response.status_code == 400 and response.text.startswith("error at 1:7: unterminated string")
    assert time.monotonic() - started < 1.5


def test_pathological_queries_of_1mb_stay_within_the_limits(small_build: Path) -> None:
    """1 MB bodies made to be slow to tokenise are answered (400) or stopped (503) within the time
    limit, in a query child, while a simple ASK from another client is answered promptly."""
    live = LiveServer(small_build, env={"KZKG_QUERY_TIMEOUT": "10", "KZKG_QUERY_EXECUTORS": "2"})
    url = live.url + "/sparql"
    try:
        post(url, "ASK {}")
        for name, query in PATHOLOGICAL.items():
            with ThreadPoolExecutor(1) as pool:
                started = time.monotonic()
                slow = pool.submit(post, url, query)
                asks = []
                while not slow.done():
                    asked = time.monotonic()
                    assert post(url, "ASK { ?s ?p ?o }", timeout=10).json()["boolean"] is True
                    asks.append(time.monotonic() - asked)
                    time.sleep(0.1)
                response = slow.result()
                elapsed = time.monotonic() - started
            assert response.status_code in {200, 400, 503}, (name, response.status_code, response.text[:200])
            assert elapsed < 10 + 3, (name, elapsed)
            assert not asks or max(asks) < 2.0, (name, asks)
    finally:
        live.stop()


# --- honest errors ------------------------------------------------------------------------------


def test_ten_thousand_nested_parentheses_are_reported_as_a_stack_crash(endpoint: str) -> None:
    query = "ASK { FILTER(" + "(" * 10_000 + "1" + ")" * 10_000 + ") }"
    response = post(endpoint, query)
    assert response.status_code == 500, response.text
    assert "stack" in response.text and "memory" not in response.text
    assert post(endpoint, "ASK {}").json()["boolean"] is True  # a fresh child took over


def test_a_killed_query_process_is_reported_by_its_signal(small_build: Path) -> None:
    live = LiveServer(small_build, ["--workers", "1"], env={"KZKG_QUERY_EXECUTORS": "1", "KZKG_QUERY_TIMEOUT": "20"})
    try:
        url = live.url + "/sparql"
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(post, url, limits.CROSS_PRODUCT)
            time.sleep(1.5)
            children = limits.executor_processes(live)
            assert len(children) == 1
            os.kill(next(iter(children)), signal.SIGTERM)
            response = running.result()
        assert response.status_code == 500
        assert "SIGTERM" in response.text and "memory" not in response.text, response.text
        assert post(url, "ASK {}").json()["boolean"] is True
    finally:
        live.stop()


@pytest.fixture(scope="module")
def w3c_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    build_dir = tmp_path_factory.mktemp("security-w3c")
    publish_nquads(build_dir, w3c.dataset_nquads(w3c.all_graph_data(w3c.query_tests(), w3c.protocol_tests())))
    return build_dir


PP14_IN_MEMORY = r"""
import sys
import pyoxigraph as ox
store = ox.Store()
store.load(open(sys.argv[1], "rb").read(), format=ox.RdfFormat.N_QUADS)
print(len(list(store.query(open(sys.argv[2], encoding="utf-8").read(), use_default_graph_as_union=True))))
"""


@pytest.mark.w3c
def test_the_engine_panic_on_pp14_is_reported_as_a_panic(w3c_build: Path, tmp_path: Path) -> None:
    """pyoxigraph 0.5.13 panics sorting the answer of W3C pp14.rq over the union of the suite's data
    ("user-provided comparison function does not correctly implement a total order") in some
    processes and not others: measured 3 of 8 fresh in-memory stores, and from none to every one
    of the endpoint's children, depending on how they were started. So: (1) fresh processes run it
    until one panics (at most 40), and what that process left — its exit status and its stderr —
    is read by the executor's own diagnosis; (2) over HTTP, fresh children run it 20 times and
    every answer is the result or a 500 that names the panic, never "memory"."""
    query_path = next(path for path in w3c.query_files() if path.parts[-2:] == ("property-path", "pp14.rq"))
    data = tmp_path / "w3c.nq"
    data.write_bytes(w3c.dataset_nquads(w3c.all_graph_data(w3c.query_tests(), w3c.protocol_tests())))
    for _ in range(40):
        run = subprocess.run(
            [sys.executable, "-c", PP14_IN_MEMORY, str(data), str(query_path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if run.returncode != 0:
            break
    assert run.returncode == -signal.SIGABRT, (run.returncode, run.stderr[-2000:])
    reported = death_cause(run.returncode, run.stderr, 2_000_000_000)
    assert reported.status == 500
    assert "panicked" in reported.message and "total order" in reported.message and "memory" not in reported.message

    query = query_path.read_text(encoding="utf-8")
    live = LiveServer(w3c_build, ["--workers", "1"], env={"KZKG_QUERY_EXECUTORS": "1", "KZKG_MAX_RESULTS": "100000"})
    url = live.url + "/sparql"
    outcomes: dict[str, int] = {}
    try:
        for attempt in range(20):
            response = post(url, f"{query}\n# try {attempt}")  # a new text: not answered from the cache
            if response.status_code == 500:
                assert "panicked" in response.text and "memory" not in response.text, response.text
                outcomes["panic"] = outcomes.get("panic", 0) + 1
                continue  # the pool has started a fresh child already
            assert response.status_code == 200, response.text
            assert len(response.json()["results"]["bindings"]) == 332
            outcomes["answer"] = outcomes.get("answer", 0) + 1
            for pid in limits.executor_processes(live):
                os.kill(pid, signal.SIGKILL)
                _wait_dead(pid)
        assert post(url, "ASK {}").json()["boolean"] is True  # and the next query is answered
    finally:
        live.stop()
    print(f"\npp14 over HTTP in 20 fresh children: {outcomes}")


def _wait_dead(pid: int) -> None:
    """Until a killed process can be reaped: every thread of it gone or a zombie (the leader shows
    "Z" while its other threads are still exiting, and its parent cannot reap it yet)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            tasks = [task.name for task in Path(f"/proc/{pid}/task").iterdir()]
        except (FileNotFoundError, ProcessLookupError):
            return
        states = []
        for tid in tasks:
            try:
                states.append(Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[0])
            except (FileNotFoundError, ProcessLookupError):
                continue
        if all(state in {"Z", "X"} for state in states):
            return
        time.sleep(0.01)


class Upstream:
    """A loopback HTTP server answering every request with ``status`` and a secret body."""

    SECRET = b"SECRET-UPSTREAM-BODY root:x:0:0"

    def __init__(self, status: int, reason: str | None = None) -> None:
        owner = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                owner.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status, reason)
                if 300 <= status < 400:
                    self.send_header("LOCATION", "http://127.0.0.1:1/elsewhere")
                self.send_header("Content-Length", str(len(owner.SECRET)))
                self.end_headers()
                self.wfile.write(owner.SECRET)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_upstream_redirects_and_errors_are_502_without_their_body(small_build: Path) -> None:
    upstreams = [Upstream(307), Upstream(308, "PERMANENT REDIRECT"), Upstream(301, "moved"), Upstream(500)]
    allow = json.dumps([u.url for u in upstreams])
    live = LiveServer(small_build, env={"KZKG_SERVICE_ALLOWLIST": allow})
    try:
        for upstream in upstreams:
            response = post(live.url + "/sparql", f"SELECT * WHERE {{ SERVICE <{upstream.url}> {{ ?s ?p ?o }} }}")
            assert upstream.requests >= 1
            assert response.status_code == 502, response.text
            assert upstream.SECRET.decode() not in response.text and "SECRET" not in response.text
            assert f"<{upstream.url}>" in response.text
            expected = "redirect" if upstream is not upstreams[-1] else "HTTP 500"
            assert expected in response.text, response.text
    finally:
        live.stop()
        for upstream in upstreams:
            upstream.close()


@pytest.fixture(scope="module")
def big_literal_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    build_dir = tmp_path_factory.mktemp("security-big")
    value = "17 MB <&>\"'\\ \n" * 1_250_000  # 17.5 MB with every character the formats escape
    literal = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    quad = f'<http://example.org/s> <http://example.org/p> "{literal}" <http://example.org/g> .\n'
    publish_nquads(build_dir, quad.encode())
    return build_dir, value


def test_a_value_over_16mb_is_written_in_every_format(big_literal_build: tuple[Path, str]) -> None:
    build_dir, value = big_literal_build
    live = LiveServer(build_dir, env={"KZKG_QUERY_TIMEOUT": "60"})
    url = live.url + "/sparql"
    select = "SELECT ?o WHERE { ?s ?p ?o }"
    try:
        for media_type in (SELECT_JSON, "application/sparql-results+xml", "text/csv", "text/tab-separated-values"):
            response = post(url, select, accept=media_type, timeout=120)
            assert response.status_code == 200, (media_type, response.text[:300])
            assert _only_value(response.content, media_type) == value, media_type
        for media_type in ("text/turtle", "application/ld+json", "application/rdf+xml", "application/n-triples"):
            response = post(url, "CONSTRUCT WHERE { ?s ?p ?o }", accept=media_type, timeout=120)
            assert response.status_code == 200, (media_type, response.text[:300])
            assert len(response.content) > 17_000_000
    finally:
        live.stop()


def _only_value(body: bytes, media_type: str) -> str:
    """The one value of a one-row, one-column answer, read with the standard library (pyoxigraph's
    own parsers stop at 16 MiB, which is the point of the test)."""
    import csv
    import io
    from xml.etree import ElementTree

    if media_type == SELECT_JSON:
        [row] = json.loads(body)["results"]["bindings"]
        return row["o"]["value"]
    if media_type == "application/sparql-results+xml":
        [literal] = ElementTree.fromstring(body).iter("{http://www.w3.org/2005/sparql-results#}literal")
        return literal.text or ""
    if media_type == "text/csv":
        previous = csv.field_size_limit(len(body) + 1)
        try:
            header, row = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
        finally:
            csv.field_size_limit(previous)
        return row[0]
    header, line, end = body.decode("utf-8").split("\n")
    assert header == "?o" and end == "" and line.startswith('"') and line.endswith('"')
    escapes = {"t": "\t", "n": "\n", "r": "\r", '"': '"', "'": "'", "\\": "\\", "b": "\b", "f": "\f"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], line[1:-1])


def test_a_long_query_is_reniced_and_the_next_job_is_not(server: LiveServer, endpoint: str) -> None:
    """After ~1 s the job's thread runs at nice 19; the next job's thread starts at 0 again."""
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(post, endpoint, limits.CROSS_PRODUCT)
        time.sleep(1.6)
        nice = _thread_nice(server)
        running.result()
    assert 19 in nice.values(), nice
    assert post(endpoint, "ASK { ?s ?p ?o }").json()["boolean"] is True
    # A job in progress in a fresh thread is at normal priority: start one and look while it runs.
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(post, endpoint, limits.GROUPED_CROSS_PRODUCT)
        time.sleep(0.5)
        nice = _thread_nice(server)
        running.result()
    assert nice and 19 not in nice.values(), nice


def _thread_nice(server: LiveServer) -> dict[tuple[int, int], int]:
    """(pid, tid) -> nice of every thread of the server's executor children."""
    found: dict[tuple[int, int], int] = {}
    for pid in limits.executor_processes(server):
        try:
            tids = [task.name for task in Path(f"/proc/{pid}/task").iterdir()]
        except (FileNotFoundError, ProcessLookupError):
            continue
        for tid in tids:
            try:
                fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            found[(pid, int(tid))] = int(fields[16])
    return found


# --- sealed children ------------------------------------------------------------------------------

SEALED_PROBE = r"""
import ctypes, errno, socket, sys
from kzkg_server.sandbox import seal
seal()
results = {}
for name, family, kind in (("unix", socket.AF_UNIX, socket.SOCK_STREAM),
                           ("inet", socket.AF_INET, socket.SOCK_STREAM),
                           ("inet6", socket.AF_INET6, socket.SOCK_DGRAM),
                           ("netlink", socket.AF_NETLINK, socket.SOCK_RAW)):
    try:
        socket.socket(family, kind).close()
        results[name] = "open"
    except OSError as error:
        results[name] = errno.errorcode[error.errno]
libc = ctypes.CDLL(None, use_errno=True)
params = ctypes.create_string_buffer(120)
fd = libc.syscall(425, 8, params)  # io_uring_setup(8, &params), same number on x86_64 and aarch64
results["io_uring"] = "open" if fd >= 0 else errno.errorcode[ctypes.get_errno()]
print(results)
"""


def test_sealed_process_cannot_open_network_sockets() -> None:
    probe = subprocess.run([sys.executable, "-c", SEALED_PROBE], capture_output=True, text=True, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert eval(probe.stdout) == {
        "unix": "open",
        "inet": "EACCES",
        "inet6": "EACCES",
        "netlink": "EACCES",
        "io_uring": "EACCES",
    }
    assert len(program("x86_64")) == len(program("aarch64")) == 10


def test_sealed_children_of_a_live_server_run_under_a_seccomp_filter(server: LiveServer, endpoint: str) -> None:
    """Every child started sealed (``<sealed>`` argument 1; the federation pool's are 0) is under a
    seccomp filter. A child seals itself before it reads its first job, so one still starting (a
    replacement for a child killed by an earlier test) is given a few seconds to get there."""
    assert post(endpoint, "ASK {}").status_code == 200
    children = limits.executor_processes(server)
    sealed = []
    for pid in children:
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            module = arguments.index(b"kzkg_server.executor_child")
            if arguments[module + 3] == b"1":
                sealed.append(pid)
    assert sealed
    for pid in sealed:
        deadline, status = time.monotonic() + 15, ""
        while time.monotonic() < deadline:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except (FileNotFoundError, ProcessLookupError):
                break  # retired meanwhile: it ran nothing after we looked
            if re.search(r"^Seccomp:\s+2$", status, re.MULTILINE):  # 2: filter mode
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"sealed child {pid} is not under a seccomp filter:\n{status}")


# Runs a command under a seccomp filter that makes prctl(PR_SET_SECCOMP) and seccomp() fail with
# EPERM (inherited across exec): a kernel or container where query children cannot seal themselves.
NO_SECCOMP = r"""
import ctypes, errno, os, platform, sys
from kzkg_server.sandbox import _SockFilter, _SockFprog
arch, prctl, seccomp = {"x86_64": (0xC000003E, 157, 317), "aarch64": (0xC00000B7, 167, 277)}[platform.machine()]
deny = 0x00050000 | errno.EPERM
program = [(0x20, 0, 0, 4), (0x15, 0, 5, arch), (0x20, 0, 0, 0), (0x15, 4, 0, seccomp), (0x15, 0, 2, prctl),
           (0x20, 0, 0, 16), (0x15, 1, 0, 22), (0x06, 0, 0, 0x7FFF0000), (0x06, 0, 0, deny)]
array = (_SockFilter * len(program))(*(_SockFilter(*i) for i in program))
libc = ctypes.CDLL(None, use_errno=True)
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
assert libc.prctl(38, 1, 0, 0, 0) == 0
assert libc.prctl(22, 2, ctypes.addressof(_SockFprog(len(program), array)), 0, 0) == 0
os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
"""


def test_a_server_whose_children_cannot_seal_themselves_does_not_start(small_build: Path) -> None:
    """No silent fallback: the children refuse to start unsealed, the worker does not boot and the
    server exits naming the cause; QUERY_SANDBOX=false (explicit) serves unsealed."""
    from conftest import free_port

    port = free_port()
    command = [
        sys.executable,
        "-c",
        NO_SECCOMP,
        "-m",
        "kzkg.cli",
        "serve",
        "--build-dir",
        str(small_build),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-build",
        "--workers",
        "1",
    ]
    refused = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "refused to start" in refused.stdout + refused.stderr and "PR_SET_SECCOMP" in refused.stdout + refused.stderr
    unsealed = subprocess.Popen(
        command, env={**os.environ, "KZKG_QUERY_SANDBOX": "false"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/sparql", params={"query": "ASK {}"}, timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and unsealed.poll() is None
                time.sleep(0.2)
        assert answer.json()["boolean"] is True
    finally:
        unsealed.terminate()
        unsealed.wait(timeout=30)


class FakeSparql:
    """A loopback SPARQL endpoint that answers every query with one fixed row."""

    def __init__(self) -> None:
        owner = self
        self.requests = 0

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                owner.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.dumps(
                    {
                        "head": {"vars": ["x"]},
                        "results": {
                            "bindings": [{"x": {"type": "literal", "value": "from the allow-listed endpoint"}}]
                        },
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/sparql-results+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_sealed_children_hand_federation_to_unsealed_ones(small_build: Path) -> None:
    """Pool level: a sealed child hands an allow-listed SERVICE query back; a federation child runs
    it against the loopback endpoint; a non-allow-listed one is refused by both."""
    fake = FakeSparql()
    release = current_release(small_build)
    job = Job(
        str(release.store_path),
        release.build_id,
        f"SELECT ?x WHERE {{ SERVICE <{fake.url}> {{ ?s ?p ?x }} }}",
        SELECT_JSON,
        service_allowlist=(fake.url,),
    )
    sealed, unsealed = ExecutorPool(size=1), ExecutorPool(size=1, sealed=False)
    try:
        with pytest.raises(NeedsFederation):
            sealed.run(job, timeout=30)
        assert fake.requests == 0
        body = json.loads(unsealed.run(job, timeout=30).body)
        assert body["results"]["bindings"][0]["x"]["value"] == "from the allow-listed endpoint"
        assert fake.requests == 1
        other = Job(
            job.store_path,
            job.build_id,
            job.query.replace(fake.url, fake.url + "2"),
            SELECT_JSON,
            service_allowlist=(fake.url,),
        )
        for pool in (sealed, unsealed):
            with pytest.raises(QueryRefused, match="not allowed"):
                pool.run(other, timeout=30)
        assert fake.requests == 1
    finally:
        sealed.close()
        unsealed.close()
        fake.close()


def test_allow_listed_federation_works_through_the_live_server(small_build: Path) -> None:
    fake = FakeSparql()
    live = LiveServer(small_build, env={"KZKG_SERVICE_ALLOWLIST": json.dumps([fake.url])})
    try:
        response = post(live.url + "/sparql", f"SELECT ?x WHERE {{ SERVICE <{fake.url}> {{ ?s ?p ?x }} }}")
        assert response.status_code == 200, response.text
        assert response.json()["results"]["bindings"][0]["x"]["value"] == "from the allow-listed endpoint"
    finally:
        live.stop()
        fake.close()


# --- differential fuzz --------------------------------------------------------------------------

FRAGMENTS = [
    "<",
    "<<",
    ">",
    ">>",
    "#",
    "'''",
    '"""',
    "'",
    '"',
    "\\",
    "\\u003C",
    "\\u0022",
    "\\u0027",
    "\\u0053ERVICE",
    "\\U0000003C",
    "\n",
    " ",
    "(",
    ")",
    "{",
    "}",
    "?a<<http://x/#>||true",
    "<http://x/'>",
    "<<(",
    ")>>",
    "{|",
    "|}",
    "^^",
    "@en--ltr",
    "SERVICE <{url}> { }",
    "SERVICE SILENT <{url}x> { ?s ?p ?o }",
    "SERVICE <{rel}> { }",
    "FILTER(?a<?b)",
    "\\#",
    "ex:a\\'b",
    "BASE <{url}>",
    "<{url}>",
    "# SERVICE <{url}> { }\n",
    "FILTER(\"SERVICE <{url}> { }\" != '''SERVICE <{url}>''')",
    'BIND("<<" AS ?zz)',
    "FILTER(1<2)",
    "FILTER(?a<<{url}#>||true)",
    "OPTIONAL { SERVICE SILENT <{url}> { } }",
]


def _fragment(rng: random.Random, url: str) -> str:
    return rng.choice(FRAGMENTS).replace("{url}", url).replace("{rel}", "sparql")


def _mutate(text: str, rng: random.Random, url: str) -> str:
    """One or two edits, mostly insertions of a fragment between tokens (where the query often
    stays valid), sometimes anywhere, a deletion or a repeat."""
    for _ in range(1 if rng.random() < 0.7 else 2):
        spaces = [index for index, char in enumerate(text) if char in " \n"]
        choice = rng.random()
        if choice < 0.6 and spaces:
            position = rng.choice(spaces)
            text = text[:position] + " " + _fragment(rng, url) + " " + text[position:]
        elif choice < 0.8:
            position = rng.randint(0, len(text))
            text = text[:position] + _fragment(rng, url) + text[position:]
        elif choice < 0.9:
            position = rng.randint(0, len(text))
            text = text[:position] + text[position + rng.randint(1, 8) :]
        else:
            position = rng.randint(0, len(text))
            text = text[:position] + text[max(0, position - 20) : position] + text[position:]
    return text


def _generated(rng: random.Random, url: str) -> str:
    parts = [rng.choice(["SELECT *", "ASK", "CONSTRUCT WHERE", "SELECT ?a"]), "WHERE {" if rng.random() < 0.8 else "{"]
    for _ in range(rng.randint(1, 6)):
        parts.append(_fragment(rng, url))
        parts.append(rng.choice(["", " ", "\n", "?a", "FILTER(", "?s ?p ?o .", "'x'", "1"]))
    parts.append(f"SERVICE <{url}> {{ }}" if rng.random() < 0.5 else "")
    parts.append("}")
    return rng.choice(["", " "]).join(parts)


@pytest.mark.w3c
def test_differential_fuzz_never_reaches_the_listener(small_build: Path, listener: limits.Listener) -> None:
    """Mutated W3C queries and generated ones mixing <, <<, #, ''', escapes and SERVICE, against a
    server whose children are NOT sealed: the listener must see zero connections (the canonical
    text alone keeps SERVICE to the allow-list) and no answer may be an unexpected 5xx (503 is the
    time limit working; 500 only for an engine panic or crash, named as such)."""
    rng = random.Random(20261206)
    sources = [p.read_text(encoding="utf-8") for p in w3c.query_files()]
    live = LiveServer(
        small_build, env={"KZKG_QUERY_TIMEOUT": "1", "KZKG_QUERY_SANDBOX": "false", "KZKG_SERVICE_ALLOWLIST": "[]"}
    )
    statuses: dict[int, int] = {}
    unexpected: list[tuple[int, str, str]] = []
    started = time.monotonic()
    try:
        with requests.Session() as http:
            for index in range(600):
                query = _mutate(rng.choice(sources), rng, listener.url) if index % 2 else _generated(rng, listener.url)
                response = http.post(
                    live.url + "/sparql",
                    data=query.encode("utf-8"),
                    timeout=30,
                    headers={"Content-Type": "application/sparql-query"},
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                expected_5xx = response.status_code == 503 or (
                    response.status_code == 500 and ("panicked" in response.text or "crashed" in response.text)
                )
                if response.status_code >= 500 and not expected_5xx:
                    unexpected.append((response.status_code, query, response.text[:300]))
    finally:
        live.stop()
    print(f"\nfuzz: {sum(statuses.values())} queries in {time.monotonic() - started:.1f} s, statuses {statuses}")
    time.sleep(0.2)
    assert listener.connections == []
    assert unexpected == []
    assert statuses.get(200, 0) >= 15 and statuses.get(403, 0) >= 30 and statuses.get(400, 0) >= 30
