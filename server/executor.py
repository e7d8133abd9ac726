"""Run SPARQL queries in killable child processes, so that a time limit is a real limit.

pyoxigraph evaluates a query inside one Rust call that Python cannot interrupt: a thread that
"times out" keeps burning a core, holding memory and the store until the query ends by itself,
which for a 4-way cross product is never. So queries run in a child process instead:

* each server worker owns a small pool (``QUERY_EXECUTORS``) of long-lived children; each child
  imports pyoxigraph once, opens the published release read-only and keeps it open until the
  build id changes, so a query costs one pipe round trip, not a process start. A child opens the
  release the pool last ran a query on (or was started with) as it starts, before it says it is
  ready, so a replacement for a killed child does not make the next query wait for the open;
* a child evaluates the query *and* serialises the response to bytes (natively, in Rust), so the
  parent only copies bytes, and the result-size limit is enforced while serialising: rows are
  counted as they are written and the evaluation is abandoned as soon as the limit is passed;
* when the time limit passes, the parent SIGKILLs the child — evaluation, memory and file
  handles go with it — answers 503, and starts a replacement for the next query.

Children are started from one long-lived thread per pool with ``PR_SET_PDEATHSIG``, so they die
with their worker even if it is SIGKILLed; they also exit when their stdin closes. Nothing is
started at import or before gunicorn forks: the pool is created by the first request.

Run as ``python -m kzkg_server.executor <parent-pid> [<memory-limit-bytes> [<store-path> <build-id>]]``
(the pool does this).
"""

from __future__ import annotations

import atexit
import ctypes
import io
import os
import pickle
import queue
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyoxigraph as ox

from kzkg_server.media import BY_MEDIA_TYPE

_HEADER = struct.Struct("!Q")
_READY = "ready"


# --- what crosses the pipe ------------------------------------------------------------------

@dataclass(frozen=True)
class Dataset:
    """The RDF dataset a query runs against.

    ``union``: no dataset given anywhere — the store's default graph: the union of all named graphs
    except claims' assertion graphs, materialised by the build (kzkg.store.load_store).
    ``default_graphs``/``named_graphs`` not None: the protocol's ``default-graph-uri`` /
    ``named-graph-uri`` (either given makes both exact; an absent one means no graphs).
    Otherwise the query's own FROM / FROM NAMED, which only select graphs already in the store.
    """

    union: bool = True
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Job:
    """One query for a child: where the store is, what to run, how to write the answer."""

    store_path: str
    build_id: str
    query: str
    media_type: str  # a key of media.BY_MEDIA_TYPE
    dataset: Dataset = field(default_factory=Dataset)
    base_iri: str | None = None
    prefixes: Mapping[str, str] = field(default_factory=dict)
    max_results: int = 10_000


@dataclass(frozen=True)
class Outcome:
    """A finished job: the serialised response, the row/triple count, and timings in the child."""

    body: bytes
    count: int | None
    evaluate_seconds: float


class QueryError(Exception):
    """A query that could not be answered; ``status`` is the HTTP status to report it with."""

    status = 500

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QuerySyntaxError(QueryError):
    status = 400


class ResultTooLarge(QueryError):
    status = 400


class QueryRejected(QueryError):
    """pyoxigraph parsed the query but would not evaluate it (e.g. an unknown extension function)."""

    status = 400


class QueryFailed(QueryError):
    status = 500


class ServiceFailed(QueryError):
    status = 502


class QueryTimeout(QueryError):
    status = 503


class ExecutorBusy(QueryError):
    status = 503


# --- the child ------------------------------------------------------------------------------

class _TooMany(Exception):
    """Raised from inside a serialiser's write() to abandon an evaluation past the limit."""


class _CountingSink(io.RawIOBase):
    """A write target for pyoxigraph's serialisers that counts lines and stops past a limit.

    TSV results and N-Triples write exactly one line per row / triple (line breaks inside
    literals are escaped), so counting b"\\n" counts results without parsing them.
    """

    def __init__(self, max_lines: int):
        super().__init__()
        self.max_lines = max_lines
        self.lines = 0
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.lines += data.count(b"\n")
        if self.lines > self.max_lines:
            raise _TooMany(self.lines)
        self.parts.append(bytes(data))
        return len(data)

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def _query_kwargs(job: Job) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"base_iri": job.base_iri, "prefixes": dict(job.prefixes) or None}
    dataset = job.dataset
    if dataset.default_graphs is not None or dataset.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs or ()]
    # else: the store's own default graph, which the build fills with the union of every graph but
    # claims' assertion graphs (kzkg.store.load_store); GRAPH ?g still reaches every named graph.
    return kwargs


def serialise(result: Any, media_type: str, max_results: int, prefixes: Mapping[str, str]) -> tuple[bytes, int | None]:
    """Write a query result in the negotiated format, refusing more than max_results results.

    ``result`` is what pyoxigraph's ``Store.query`` returns, or what ``parse_query_results`` /
    ``parse`` make of a remote store's answer (a QuadParser of triples for a graph): the remote
    backend reuses this function, so both backends count and refuse in one place.
    """
    media = BY_MEDIA_TYPE[media_type]
    if isinstance(result, ox.QueryBoolean):
        if media.results is None:
            raise QueryFailed(f"an ASK query cannot be answered as {media_type}")
        return result.serialize(format=media.results), None
    if isinstance(result, ox.QuerySolutions):
        if media.results is None:
            raise QueryFailed(f"a SELECT query cannot be answered as {media_type}")
        if not result.variables:  # no variables: at most a handful of empty rows, size bounded by the query
            return result.serialize(format=media.results), None
        sink = _CountingSink(max_results + 1)  # header line + rows
        try:
            result.serialize(sink, format=ox.QueryResultsFormat.TSV)
        except _TooMany:
            raise ResultTooLarge(too_many_message(max_results, "rows")) from None
        tsv = sink.getvalue()
        if media.results == ox.QueryResultsFormat.TSV:
            return tsv, sink.lines - 1
        return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=media.results), sink.lines - 1
    if isinstance(result, (ox.QueryTriples, ox.QuadParser)):
        if media.rdf is None:
            raise QueryFailed(f"a CONSTRUCT or DESCRIBE query cannot be answered as {media_type}")
        sink = _CountingSink(max_results)
        try:
            if isinstance(result, ox.QueryTriples):
                result.serialize(sink, format=ox.RdfFormat.N_TRIPLES)
            else:
                ox.serialize((quad.triple for quad in result), sink, format=ox.RdfFormat.N_TRIPLES)
        except _TooMany:
            raise ResultTooLarge(too_many_message(max_results, "triples")) from None
        ntriples = sink.getvalue()
        if media.rdf == ox.RdfFormat.N_TRIPLES:
            return ntriples, sink.lines
        quads = ox.parse(ntriples, format=ox.RdfFormat.N_TRIPLES)
        return ox.serialize(quads, format=media.rdf, prefixes=dict(prefixes) or None), sink.lines
    raise QueryFailed(f"unexpected result type {type(result).__name__}")


def too_many_message(limit: int, what: str) -> str:
    return (f"result too large: the query produces more than {limit} {what}, the limit of this endpoint. "
            f"Add a LIMIT (at most {limit}) or narrow the pattern; use ORDER BY with LIMIT/OFFSET to page.")


def _run_job(stores: dict[str, ox.Store], job: Job) -> Outcome:
    store = stores.get(job.build_id)
    if store is None:
        stores.clear()  # a new release is served; let the old one go
        store = stores[job.build_id] = ox.Store.read_only(job.store_path)
    started = time.perf_counter()
    result = store.query(job.query, **_query_kwargs(job))
    body, count = serialise(result, job.media_type, job.max_results, job.prefixes)
    return Outcome(body, count, time.perf_counter() - started)


def _answer(stores: dict[str, ox.Store], job: Job) -> tuple[str, Any]:
    """Run one job; expected failures become messages, anything else crashes the child (by design:
    the parent reports a crash and starts a fresh child)."""
    try:
        return "ok", _run_job(stores, job)
    except SyntaxError as error:
        return "error", QuerySyntaxError(str(error))
    except QueryError as error:
        return "error", error
    except (ConnectionError, TimeoutError) as error:
        return "error", ServiceFailed(f"a SERVICE call failed: {error}")
    except (RuntimeError, ValueError, TypeError) as error:  # raised by pyoxigraph for what the query asks
        return "error", QueryRejected(f"query evaluation failed: {error}")
    except OSError as error:
        if "redirect" in str(error):
            # pyoxigraph's SERVICE client follows no redirects (tests/test_limits.py checks it): an
            # allow-listed endpoint cannot forward a query to one that is not allow-listed.
            return "error", ServiceFailed(f"a SERVICE call failed: the endpoint answered with a redirect, which "
                                          f"this server does not follow ({error})")
        return "error", QueryFailed(f"query evaluation failed: {error}")  # the store could not be read


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL this process when its parent thread dies, and check it has not already."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(0)


def _write_frame(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def _read_frame(stream: BinaryIO) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)


def child_main(argv: list[str]) -> None:
    """The child's loop: read a job, answer it, until the parent closes the pipe."""
    _die_with_parent(int(argv[0]))
    if len(argv) > 1 and argv[1] not in {"", "0"}:
        import resource

        limit = int(argv[1])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    requests_in, answers_out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    stores: dict[str, ox.Store] = {}
    if len(argv) > 3:  # the release to serve, opened before saying ready; a failure waits for a job to report it
        try:
            stores[argv[3]] = ox.Store.read_only(argv[2])
        except OSError:  # missing, pruned or corrupt store: the job that needs it will say so
            pass
    _write_frame(answers_out, (_READY, os.getpid()))
    while True:
        job = _read_frame(requests_in)
        if job is None:
            return
        _write_frame(answers_out, _answer(stores, job))


# --- the parent -----------------------------------------------------------------------------

class _Spawner:
    """Starts children from one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the *thread* that forked a child exits, so children must not be
    started from request threads, which servers may retire at any time.
    """

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[list[str], Future[subprocess.Popen[bytes]]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="kzkg-executor-spawner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            command, future = self._requests.get()
            try:
                future.set_result(subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True))
            except OSError as error:
                future.set_exception(error)

    def spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((command, future))
        return future.result()


class _Child:
    """One executor child as seen from the parent."""

    def __init__(self, process: subprocess.Popen[bytes]):
        self.process = process
        self.ready = False
        self.queries = 0

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()

    def _read_exactly(self, size: int, deadline: float) -> bytes | None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        buffer = bytearray()
        while len(buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(fd, min(size - len(buffer), 1 << 20))
            if not chunk:
                return None
            buffer += chunk
        return bytes(buffer)

    def _read(self, deadline: float) -> Any:
        """Read one frame, waiting at most until deadline (TimeoutError); None if the child died."""
        header = self._read_exactly(_HEADER.size, deadline)
        if header is None:
            return None
        payload = self._read_exactly(_HEADER.unpack(header)[0], deadline)
        return None if payload is None else pickle.loads(payload)

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready:
            message = self._read(time.monotonic() + timeout)
            self.ready = isinstance(message, tuple) and message[0] == _READY
        return self.ready

    def call(self, job: Job, deadline: float) -> tuple[str, Any] | None:
        assert self.process.stdin is not None
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.process.stdin.write(_HEADER.pack(len(payload)) + payload)
            self.process.stdin.flush()
        except BrokenPipeError:
            return None
        self.queries += 1
        return self._read(deadline)


class ExecutorPool:
    """A fixed number of executor children for one server process; see the module docstring."""

    def __init__(self, size: int = 1, memory_limit: int | None = None, spawn_timeout: float = 30.0,
                 store: tuple[str, str] | None = None):
        """``store``: (store path, build id) of the release children should open as they start;
        after that, the release of the last query run."""
        self.size = max(1, int(size))
        self.memory_limit = memory_limit
        self.spawn_timeout = spawn_timeout
        self.store_hint = store
        self.owner_pid = os.getpid()
        self._spawner = _Spawner()
        self._idle: queue.LifoQueue[_Child | None] = queue.LifoQueue()
        self._all: set[_Child] = set()
        self._lock = threading.Lock()
        self.kills = 0
        for _ in range(self.size):
            self._idle.put(self._start())
        finaliser = weakref.finalize(self, ExecutorPool._kill_all, self._all)
        atexit.register(finaliser)

    def _start(self) -> _Child:
        command = [sys.executable, "-m", "kzkg_server.executor", str(os.getpid()), str(self.memory_limit or 0)]
        if self.store_hint is not None:
            command += list(self.store_hint)
        child = _Child(self._spawner.spawn(command))
        with self._lock:
            self._all.add(child)
        return child

    def _retire(self, child: _Child) -> None:
        child.kill()
        with self._lock:
            self._all.discard(child)

    @staticmethod
    def _kill_all(children: set[_Child]) -> None:
        for child in list(children):
            child.kill()

    def close(self) -> None:
        """Stop every child (idle ones at once; the pool is unusable afterwards)."""
        self._kill_all(self._all)

    def run(self, job: Job, timeout: float, queue_timeout: float | None = None) -> Outcome:
        """Run a job in a free child within timeout seconds of evaluation, or raise a QueryError.

        Waits up to queue_timeout (default: timeout) for a free child first: more concurrent
        queries than children queue rather than pile up.
        """
        try:
            child = self._idle.get(timeout=timeout if queue_timeout is None else queue_timeout)
        except queue.Empty:
            raise ExecutorBusy("the query service is busy: all query processes are running queries; retry shortly") from None
        self.store_hint = (job.store_path, job.build_id)
        try:
            if child is None or not child.alive():
                if child is not None:
                    self._retire(child)
                child = self._start()
            try:
                if not child.wait_ready(self.spawn_timeout):
                    raise QueryFailed("the query process did not start")
            except TimeoutError:
                raise QueryFailed("the query process did not start in time") from None
            deadline = time.monotonic() + timeout
            try:
                answer = child.call(job, deadline)
            except TimeoutError:
                self.kills += 1
                self._retire(child)
                child = self._start()
                raise QueryTimeout(f"query exceeded the {timeout:g} s time limit and was stopped; "
                                   f"narrow the pattern or add a LIMIT") from None
            if answer is None:
                try:  # its stdout closes a moment before its exit status can be collected
                    code = child.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    code = None
                self._retire(child)
                child = self._start()
                if self.memory_limit and code in {-signal.SIGABRT, -signal.SIGKILL, -signal.SIGSEGV}:
                    raise QueryFailed(f"the query stopped: it needed more than the "
                                      f"{self.memory_limit // 1_000_000} MB memory limit")
                raise QueryFailed("the query process crashed while running this query")
            status, value = answer
            if status == "ok":
                return value
            raise value
        finally:
            self._idle.put(child)


if __name__ == "__main__":
    # Re-import under the package name so pickled jobs and errors name kzkg_server.executor classes.
    from kzkg_server.executor import child_main as _child_main

    _child_main(sys.argv[1:])
