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

* a child reads the client's text itself (:func:`kzkg_server.sparql_scan.canonicalise`: linear,
  and here under the time and memory limits, not in a request thread), decides on that reading —
  update (403), SERVICE outside ``SERVICE_ALLOWLIST`` (403), the response type among those the
  client accepts (406) — and runs the canonical text, never the client's;
* children are *sealed* (:mod:`kzkg_server.sandbox`) before they read a job: socket() fails for
  every family but AF_UNIX. A query whose SERVICE calls are all allow-listed is handed back
  ("federate") and run in a separate small pool of unsealed federation children, which decide
  again on their own reading;
* a job that runs longer than ``RENICE_AFTER`` seconds has its thread reniced to 19, so that short
  queries of other clients keep the CPU; each job runs in a fresh thread of the child, so the
  next job starts at the child's own priority again (an unprivileged process may lower its
  priority but never raise it back);
* when a child dies, its death is reported as it was: the signal, a panic of the query engine or a
  stack overflow (from what the engine wrote on the child's stderr, which goes to a file the
  parent reads), the memory limit only when memory ran out.

Children are started from one long-lived thread per pool with ``PR_SET_PDEATHSIG``, so they die
with their worker even if it is SIGKILLed; they also exit when their stdin closes. Nothing is
started at import or before gunicorn forks: the pool is created by the first request.

Run as ``python -m kzkg_server.executor <parent-pid> <memory-limit-bytes> <sealed 0|1> [<store-path> <build-id>]``
(the pool does this).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import io
import os
import pickle
import queue
import re
import select
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import pyoxigraph as ox

from .media import BY_MEDIA_TYPE
from .sandbox import SandboxError, seal
from .sparql_scan import Canonical, QueryShape, ScanError, canonicalise

_HEADER = struct.Struct("!Q")
_READY = "ready"
_REFUSED = "refused"
_FEDERATE = "federate"
# Seconds a job runs before its thread is reniced to 19.
RENICE_AFTER = 1.0
RENICED = 19
# Bytes of a dead child's stderr read to tell why it died.
_STDERR_TAIL = 65536


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

    union: bool | None = True  # None: the child decides (union unless the query has FROM / FROM NAMED)
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Job:
    """One query for a child: where the store is, what to run, how to write the answer."""

    store_path: str
    build_id: str
    query: str  # as the client sent it: the child canonicalises it and runs the canonical text
    media_type: str  # a key of media.BY_MEDIA_TYPE; "" when media_by_form decides
    dataset: Dataset = field(default_factory=Dataset)
    base_iri: str | None = None
    prefixes: Mapping[str, str] = field(default_factory=dict)
    max_results: int = 10_000
    # The response type negotiated for each kind of answer ("SELECT", "ASK", "GRAPH"; None: nothing
    # the client accepts, a 406), for the child to pick from once it knows the query's form.
    media_by_form: Mapping[str, str | None] | None = None
    # SERVICE endpoints the query may call (exact absolute IRIs); any other SERVICE is refused.
    service_allowlist: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """A finished job: the serialised response, the row/triple count, and timings in the child."""

    body: bytes
    count: int | None
    evaluate_seconds: float
    media_type: str = ""


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


class QueryRefused(QueryError):
    """An update, or a SERVICE call this endpoint does not make."""

    status = 403


class NotAcceptable(QueryError):
    """No response type the client accepts fits the query's form; ``what`` names the form (the
    parent, which knows the request's Accept header, writes the 406)."""

    status = 406

    def __init__(self, message: str, what: str, kind: str):
        super().__init__(message)
        self.what = what
        self.kind = kind

    def __reduce__(self) -> tuple[Any, ...]:
        return (NotAcceptable, (self.message, self.what, self.kind))


class ProcessDied(QueryFailed):
    """The query process died while running the query (signal, engine panic, stack overflow)."""


class MemoryLimit(QueryFailed):
    """The query ran out of memory under the configured limit."""


class ServiceFailed(QueryError):
    status = 502


class QueryTimeout(QueryError):
    status = 503


class ExecutorBusy(QueryError):
    status = 503


# --- the child ------------------------------------------------------------------------------


class _TooMany(Exception):
    """Raised from inside a serialiser's write() to abandon an evaluation past the limit."""


class _CountingSink(io.BytesIO):
    """A write target for pyoxigraph's serialisers that counts results and stops past a limit.

    TSV results and N-Triples write exactly one line per row / triple (line breaks inside
    literals are escaped), so counting b"\\n" counts them; SPARQL XML results open every row with
    ``<result>``, which cannot occur inside a value (``<`` is always escaped there), so counting
    that marker — across write() boundaries — counts rows in a format whose parser, unlike TSV's
    and N-Triples', takes values of any size (both stop at 16 MiB per line).

    A BytesIO (not a bare RawIOBase) because that is the binary file pyoxigraph's ``serialize(output=...)``
    is typed to take, and it keeps the written bytes for ``getvalue()``.
    """

    def __init__(self, max_count: int, marker: bytes = b"\n"):
        super().__init__()
        self.max_count = max_count
        self.marker = marker
        self.count = 0
        self._tail = b""

    def write(self, data: bytes) -> int:  # type: ignore[override]
        chunk = bytes(data)
        if len(self.marker) == 1:
            self.count += chunk.count(self.marker)
        else:  # a marker split between two writes is counted once, in the joined bytes
            self.count += (self._tail + chunk).count(self.marker)
            self._tail = (self._tail + chunk)[-(len(self.marker) - 1) :]
        if self.count > self.max_count:
            raise _TooMany(self.count)
        return super().write(chunk)

    @property
    def lines(self) -> int:
        return self.count


def _query_kwargs(job: Job) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"base_iri": job.base_iri, "prefixes": dict(job.prefixes) or None}
    dataset = job.dataset
    if dataset.default_graphs is not None or dataset.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs or ()]
    # else: the store's own default graph, which the build fills with the union of every graph but
    # claims' assertion graphs (kzkg.store.load_store); GRAPH ?g still reaches every named graph.
    return kwargs


def in_memory(body: bytes | None) -> bytes:
    """pyoxigraph's ``serialize()`` is typed ``bytes | None``: None only when it wrote to an ``output``,
    which these calls never pass, so None here is a broken invariant, not bad input."""
    if body is None:
        raise RuntimeError("pyoxigraph serialize() without an output returned None")
    return body


def serialise(result: Any, media_type: str, max_results: int, prefixes: Mapping[str, str]) -> tuple[bytes, int | None]:
    """Write a query result in the negotiated format, refusing more than max_results results.

    ``result`` is what pyoxigraph's ``Store.query`` returns, or what ``parse_query_results`` /
    ``parse`` make of a remote store's answer (a QuadParser of triples for a graph): the remote
    backend reuses this function, so both backends count and refuse in one place.

    Nothing is parsed back from a format whose parser caps a line at 16 MiB (TSV, N-Triples):
    rows go out as TSV directly, or through SPARQL XML (counted by its ``<result>`` markers);
    triples are counted as they are read and serialised from the list, so a single value of any
    size is written in every format.
    """
    media = BY_MEDIA_TYPE[media_type]
    if isinstance(result, ox.QueryBoolean):
        if media.results is None:
            raise QueryFailed(f"an ASK query cannot be answered as {media_type}")
        return in_memory(result.serialize(format=media.results)), None
    if isinstance(result, ox.QuerySolutions):
        if media.results is None:
            raise QueryFailed(f"a SELECT query cannot be answered as {media_type}")
        if not result.variables:  # no variables: at most a handful of empty rows, size bounded by the query
            return in_memory(result.serialize(format=media.results)), None
        if media.results == ox.QueryResultsFormat.TSV:
            sink = _CountingSink(max_results + 1)  # header line + rows
            via = ox.QueryResultsFormat.TSV
        else:
            sink = _CountingSink(max_results, b"<result>")
            via = ox.QueryResultsFormat.XML
        try:
            result.serialize(sink, format=via)
        except _TooMany:
            raise ResultTooLarge(too_many_message(max_results, "rows")) from None
        body = sink.getvalue()
        rows = sink.count - 1 if via == ox.QueryResultsFormat.TSV else sink.count
        if media.results == via:
            return body, rows
        return in_memory(ox.parse_query_results(body, format=via).serialize(format=media.results)), rows
    if isinstance(result, (ox.QueryTriples, ox.QuadParser)):
        if media.rdf is None:
            raise QueryFailed(f"a CONSTRUCT or DESCRIBE query cannot be answered as {media_type}")
        if isinstance(result, ox.QueryTriples) and media.rdf == ox.RdfFormat.N_TRIPLES:
            sink = _CountingSink(max_results)
            try:
                result.serialize(sink, format=ox.RdfFormat.N_TRIPLES)
            except _TooMany:
                raise ResultTooLarge(too_many_message(max_results, "triples")) from None
            return sink.getvalue(), sink.count
        triples: list[ox.Triple] = []
        for item in result:
            triples.append(item.triple if isinstance(item, ox.Quad) else item)
            if len(triples) > max_results:
                raise ResultTooLarge(too_many_message(max_results, "triples"))
        return in_memory(ox.serialize(triples, format=media.rdf, prefixes=dict(prefixes) or None)), len(triples)
    raise QueryFailed(f"unexpected result type {type(result).__name__}")


def too_many_message(limit: int, what: str) -> str:
    return (
        f"result too large: the query produces more than {limit} {what}, the limit of this endpoint. "
        f"Add a LIMIT (at most {limit}) or narrow the pattern; use ORDER BY with LIMIT/OFFSET to page."
    )


@dataclass(frozen=True)
class Prepared:
    """A job as the child read it: the canonical text and the response type."""

    canonical: Canonical
    media_type: str

    @property
    def federated(self) -> bool:
        return bool(self.canonical.shape.services)


def check_shape(shape: QueryShape, service_allowlist: Iterable[str]) -> None:
    """Refuse (403) an update, and a SERVICE call to anything but an allow-listed absolute IRI."""
    if shape.is_update:
        raise QueryRefused(
            "this endpoint is read-only: SPARQL Update operations (INSERT, DELETE, LOAD, CLEAR, "
            "...) are refused; send a SELECT, ASK, CONSTRUCT or DESCRIBE query"
        )
    allowed = set(service_allowlist)
    for call in shape.services:
        if call.iri is None:
            raise QueryRefused(
                f"SERVICE {call.text or '(nothing)'} is not allowed: federated queries must name an "
                f"allow-listed endpoint by its IRI, not a variable or an undeclared prefix"
            )
        if call.iri not in allowed:
            listed = ", ".join(f"<{iri}>" for iri in sorted(allowed)) or "none are configured"
            raise QueryRefused(
                f"SERVICE <{call.iri}> is not allowed: this endpoint only calls allow-listed SPARQL "
                f"endpoints ({listed})"
            )


def prepare(job: Job) -> Prepared:
    """Read the client's text and decide everything on that one reading (raises QueryError)."""
    try:
        canonical = canonicalise(job.query, job.prefixes, job.base_iri)
    except ScanError as error:
        raise QuerySyntaxError(error.message) from None
    shape = canonical.shape
    check_shape(shape, job.service_allowlist)
    media_type = job.media_type
    if job.media_by_form is not None:
        kind = "GRAPH" if shape.returns_graph else "ASK" if shape.form == "ASK" else "SELECT"
        chosen = job.media_by_form.get(kind)
        if chosen is None:
            if shape.form is not None:
                what = (
                    f"a {shape.form} query"
                    if kind == "GRAPH"
                    else f"an {kind} query"
                    if kind == "ASK"
                    else "a SELECT query"
                )
                raise NotAcceptable(f"cannot produce any of the requested types for {what}", what, kind)
            chosen = next((m for m in job.media_by_form.values() if m), "application/sparql-results+json")
        media_type = chosen
    return Prepared(canonical, media_type)


def _run_job(stores: dict[str, ox.Store], job: Job, prepared: Prepared) -> Outcome:
    store = stores.get(job.build_id)
    if store is None:
        stores.clear()  # a new release is served; let the old one go
        store = stores[job.build_id] = ox.Store.read_only(job.store_path)
    started = time.perf_counter()
    try:
        result = store.query(prepared.canonical.text, **_query_kwargs(job))
    except SyntaxError as error:  # positions in the canonical text -> the client's line:column
        raise QuerySyntaxError(prepared.canonical.translate_error(str(error))) from None
    body, count = serialise(result, prepared.media_type, job.max_results, job.prefixes)
    return Outcome(body, count, time.perf_counter() - started, prepared.media_type)


_UPSTREAM_STATUS = re.compile(r"^Error (\d{3})\b")


def service_failure(error: OSError, prepared: Prepared) -> QueryError:
    """What to tell the client about a failed SERVICE call: the endpoint and the HTTP status or the
    kind of failure — never the upstream's body, which pyoxigraph puts in its message."""
    endpoints = ", ".join(f"<{call.iri}>" for call in prepared.canonical.shape.services)
    text = str(error)
    status = _UPSTREAM_STATUS.match(text)
    if "redirect" in text.lower() or (status is not None and status.group(1).startswith("3")):
        code = f" (HTTP {status.group(1)})" if status else ""
        # pyoxigraph's SERVICE client follows no redirects (tests/test_limits.py checks it): an
        # allow-listed endpoint cannot forward a query to one that is not allow-listed.
        return ServiceFailed(
            f"a SERVICE call failed: the endpoint {endpoints} answered with a redirect{code}, "
            f"which this server does not follow"
        )
    if status is not None:
        return ServiceFailed(f"a SERVICE call failed: the endpoint {endpoints} answered HTTP {status.group(1)}")
    reason = text.split(" with payload", 1)[0].splitlines()[0][:200] if text else type(error).__name__
    return ServiceFailed(f"a SERVICE call to {endpoints} failed: {reason}")


def _answer(stores: dict[str, ox.Store], job: Job, sealed: bool) -> tuple[str, Any]:
    """Run one job; expected failures become messages, anything else crashes the child (by design:
    the parent reports the crash as it was and starts a fresh child)."""
    prepared: Prepared | None = None
    try:
        prepared = prepare(job)
        if prepared.federated and sealed:
            return _FEDERATE, None
        return "ok", _run_job(stores, job, prepared)
    except QueryError as error:
        return "error", error
    except SyntaxError as error:
        return "error", QuerySyntaxError(str(error))
    except MemoryError as error:
        if "buffer maximal size" in str(error):  # a pyoxigraph parser's 16 MiB line buffer, not memory
            return "error", QueryFailed(
                f"query evaluation failed: a single value is larger than a pyoxigraph parser's buffer ({error})"
            )
        return "error", MemoryLimit(f"the query stopped: it needed more memory than this endpoint allows ({error})")
    except (ConnectionError, TimeoutError) as error:
        return "error", ServiceFailed(f"a SERVICE call failed: {type(error).__name__}")
    except (RuntimeError, ValueError, TypeError) as error:  # raised by pyoxigraph for what the query asks
        return "error", QueryRejected(f"query evaluation failed: {error}")
    except OSError as error:
        if prepared is not None and prepared.federated and not sealed:
            return "error", service_failure(error, prepared)
        return "error", QueryFailed(f"query evaluation failed: {error}")  # the store could not be read
    except BaseException as error:
        if type(error).__name__ == "PanicException":  # pyo3's, raised when the engine panics and unwinds
            return "error", ProcessDied(f"the query engine panicked while running this query: {error}")
        raise


def _run_in_thread(stores: dict[str, ox.Store], job: Job, sealed: bool) -> tuple[str, Any]:
    """Run a job in a fresh thread; renice that thread to 19 once it has run RENICE_AFTER seconds.

    Linux keeps a nice value per thread and a new thread starts at its creator's: the main thread
    is never reniced, so every job starts at the child's normal priority, and a long one gives way.
    """
    answer: list[tuple[str, Any]] = []
    worker = threading.Thread(target=lambda: answer.append(_answer(stores, job, sealed)), name="kzkg-job")
    worker.start()
    worker.join(RENICE_AFTER)
    if worker.is_alive():
        if worker.native_id is not None:
            with contextlib.suppress(OSError):  # the thread ended in between
                os.setpriority(os.PRIO_PROCESS, worker.native_id, RENICED)
        worker.join()
    if not answer:  # the thread died of an exception _answer does not expect: die like the main thread would
        os._exit(70)
    return answer[0]


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
    """The child's loop: seal (unless told not to), say ready, then read a job and answer it until
    the parent closes the pipe."""
    _die_with_parent(int(argv[0]))
    if len(argv) > 1 and argv[1] not in {"", "0"}:
        import resource

        limit = int(argv[1])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sealed = len(argv) > 2 and argv[2] == "1"
    requests_in, answers_out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # a stray print must not corrupt the protocol
    if sealed:
        try:
            seal()
        except SandboxError as error:
            _write_frame(answers_out, (_REFUSED, str(error)))
            return
    stderr_is_file = stat.S_ISREG(os.fstat(2).st_mode)
    stores: dict[str, ox.Store] = {}
    if len(argv) > 4:  # the release to serve, opened before saying ready; a failure waits for a job to report it
        with contextlib.suppress(OSError):  # missing, pruned or corrupt store: the job that needs it will say so
            stores[argv[4]] = ox.Store.read_only(argv[3])
    _write_frame(answers_out, (_READY, os.getpid()))
    while True:
        job = _read_frame(requests_in)
        if job is None:
            return
        if stderr_is_file:  # the parent reads it if this job kills the process: only this job's words
            os.ftruncate(2, 0)
            os.lseek(2, 0, os.SEEK_SET)
        _write_frame(answers_out, _run_in_thread(stores, job, sealed))


# --- the parent -----------------------------------------------------------------------------


class _Spawner:
    """Starts children from one thread that lives as long as the process.

    PR_SET_PDEATHSIG fires when the *thread* that forked a child exits, so children must not be
    started from request threads, which servers may retire at any time.
    """

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[list[str], BinaryIO, Future[subprocess.Popen[bytes]]]] = (
            queue.SimpleQueue()
        )
        self._thread = threading.Thread(target=self._loop, name="kzkg-executor-spawner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            command, stderr, future = self._requests.get()
            try:
                future.set_result(
                    subprocess.Popen(
                        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, close_fds=True
                    )
                )
            except OSError as error:
                future.set_exception(error)

    def spawn(self, command: list[str], stderr: BinaryIO) -> subprocess.Popen[bytes]:
        future: Future[subprocess.Popen[bytes]] = Future()
        self._requests.put((command, stderr, future))
        return future.result()


class _Child:
    """One executor child as seen from the parent, with the file its stderr goes to."""

    def __init__(self, process: subprocess.Popen[bytes], stderr: BinaryIO):
        self.process = process
        self.stderr = stderr
        self.ready = False
        self.refusal: str | None = None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.stderr):
            if stream is not None:
                stream.close()

    def reap(self, timeout: float) -> tuple[int | None, int | None]:
        """Wait for the dead child: its exit status (None if it has not exited within timeout) and
        its peak resident memory in bytes (from wait4's rusage, None if unknown)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                pid, status, usage = os.wait4(self.process.pid, os.WNOHANG)
            except ChildProcessError:  # reaped already
                return self.process.poll(), None
            if pid:
                self.process.returncode = os.waitstatus_to_exitcode(status)
                return self.process.returncode, usage.ru_maxrss * 1024
            if time.monotonic() >= deadline:
                return None, None
            time.sleep(0.01)

    def stderr_tail(self) -> str:
        """The end of what the child wrote on stderr during its last job."""
        try:
            size = os.fstat(self.stderr.fileno()).st_size
            data = os.pread(self.stderr.fileno(), _STDERR_TAIL, max(0, size - _STDERR_TAIL))
        except (OSError, ValueError):
            return ""
        return data.decode("utf-8", "replace")

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
        if not self.ready and self.refusal is None:
            message = self._read(time.monotonic() + timeout)
            if isinstance(message, tuple) and message[0] == _REFUSED:
                self.refusal = str(message[1])
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
        return self._read(deadline)


def death_cause(code: int | None, stderr: str, memory_limit: int | None, peak: int | None = None) -> QueryFailed:
    """Why a child died during a job, as far as its exit status and its last words tell. Memory is
    named only on evidence on stderr: a failed allocation (Rust, Python, C++), or — under an
    address-space cap — a thread the store could not start (RocksDB's std::system_error EAGAIN:
    no address space left for its stack)."""
    memory = (
        f"the query stopped: it needed more than the {memory_limit // 1_000_000} MB memory limit"
        if memory_limit
        else "the query stopped: the query process ran out of memory"
    )
    if peak is not None:
        memory += f" (its peak resident memory: {peak // 1_000_000} MB)"
    if (
        "memory allocation of" in stderr
        or "MemoryError" in stderr
        or "bad_alloc" in stderr
        or "out of memory" in stderr.lower()
    ):
        return MemoryLimit(memory)
    if memory_limit and "std::system_error" in stderr and "Resource temporarily unavailable" in stderr:
        return MemoryLimit(memory + "; a thread could not be started within it")
    if "has overflowed its stack" in stderr:
        return ProcessDied(
            "the query process crashed: its stack overflowed while running this query "
            "(deeply nested syntax, such as thousands of nested parentheses)"
        )
    panic = re.search(r"panicked at [^\n]*\n([^\n]*)", stderr)
    if panic is not None:
        return ProcessDied(f"the query engine (pyoxigraph) panicked while running this query: {panic.group(1)[:300]}")
    if code is None:
        return ProcessDied("the query process stopped answering and was replaced")
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        if -code == signal.SIGSEGV:
            return ProcessDied(
                f"the query process crashed ({name}, a segmentation fault: most likely the query "
                f"parser's or evaluator's stack overflowing on deeply nested syntax)"
            )
        return ProcessDied(f"the query process was killed by {name} while running this query")
    return ProcessDied(f"the query process exited with status {code} while running this query")


class ExecutorPool:
    """A fixed number of executor children for one server process; see the module docstring.

    ``sealed`` children cannot open network sockets (:mod:`kzkg_server.sandbox`); a pool of
    unsealed children serves the allow-listed federated queries that sealed ones hand back.
    """

    def __init__(
        self,
        size: int = 1,
        memory_limit: int | None = None,
        spawn_timeout: float = 30.0,
        store: tuple[str, str] | None = None,
        sealed: bool = True,
    ):
        """``store``: (store path, build id) of the release children should open as they start;
        after that, the release of the last query run."""
        self.size = max(1, int(size))
        self.memory_limit = memory_limit
        self.spawn_timeout = spawn_timeout
        self.store_hint = store
        self.sealed = sealed
        self._spawner = _Spawner()
        self._idle: queue.LifoQueue[_Child | None] = queue.LifoQueue()
        self._all: set[_Child] = set()
        self._lock = threading.Lock()
        for _ in range(self.size):
            self._idle.put(self._start())
        finaliser = weakref.finalize(self, ExecutorPool._kill_all, self._all)
        atexit.register(finaliser)

    def _start(self) -> _Child:
        command = [
            sys.executable,
            "-m",
            "kzkg_server.executor",
            str(os.getpid()),
            str(self.memory_limit or 0),
            "1" if self.sealed else "0",
        ]
        if self.store_hint is not None:
            command += list(self.store_hint)
        # The child's stderr outlives this call: _Child owns it and closes it when the child retires.
        stderr = tempfile.TemporaryFile(prefix="kzkg-executor-stderr-")  # noqa: SIM115
        child = _Child(self._spawner.spawn(command, stderr), stderr)
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

    def check_started(self) -> None:
        """Wait for one child to be ready; raise QueryFailed if it refused to start (it could not
        seal itself), so a server finds out at startup, not at its first query. Any other failure
        to start is left to the first query, which starts a replacement."""
        child = self._idle.get(timeout=self.spawn_timeout)
        try:
            if child is not None:
                try:
                    child.wait_ready(self.spawn_timeout)
                except TimeoutError:
                    return
                if child.refusal is not None:
                    self._ensure_ready(child)
        finally:
            self._idle.put(child)

    def _ensure_ready(self, child: _Child) -> None:
        try:
            ready = child.wait_ready(self.spawn_timeout)
        except TimeoutError:
            raise QueryFailed("the query process did not start in time") from None
        if child.refusal is not None:
            raise QueryFailed(
                f"the query process refused to start: {child.refusal}. Queries are not run "
                f"without that protection unless QUERY_SANDBOX is set to false"
            )
        if not ready:
            raise QueryFailed("the query process did not start")

    def run(self, job: Job, timeout: float, queue_timeout: float | None = None) -> Outcome:
        """Run a job in a free child within timeout seconds of evaluation, or raise a QueryError.

        Waits up to queue_timeout (default: timeout) for a free child first: more concurrent
        queries than children queue rather than pile up. Raises :class:`NeedsFederation` when a
        sealed child finds allow-listed SERVICE calls in the query.
        """
        try:
            child = self._idle.get(timeout=timeout if queue_timeout is None else queue_timeout)
        except queue.Empty:
            raise ExecutorBusy(
                "the query service is busy: all query processes are running queries; retry shortly"
            ) from None
        self.store_hint = (job.store_path, job.build_id)
        try:
            if child is None or not child.alive():
                if child is not None:
                    self._retire(child)
                child = self._start()
            self._ensure_ready(child)
            deadline = time.monotonic() + timeout
            try:
                answer = child.call(job, deadline)
            except TimeoutError:
                self._retire(child)
                child = self._start()
                raise QueryTimeout(
                    f"query exceeded the {timeout:g} s time limit and was stopped; narrow the pattern or add a LIMIT"
                ) from None
            if answer is None:
                code, peak = child.reap(timeout=5)  # its stdout closes a moment before it can be reaped
                last_words = child.stderr_tail()
                self._retire(child)
                child = self._start()
                raise death_cause(code, last_words, self.memory_limit, peak)
            status, value = answer
            if status == "ok":
                return value
            if status == _FEDERATE:
                raise NeedsFederation("the query calls allow-listed SERVICE endpoints")
            raise value
        finally:
            self._idle.put(child)


class NeedsFederation(QueryError):
    """A sealed child read allow-listed SERVICE calls in the query: run it in a federation child."""

    status = 500


if __name__ == "__main__":
    # Re-import under the package name so pickled jobs and errors name kzkg_server.executor classes.
    from .executor import child_main as _child_main

    _child_main(sys.argv[1:])
