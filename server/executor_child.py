"""The query child's side: its main loop, and how it reads, decides on and runs one job.

Started by :class:`kzkg_server.executor.ExecutorPool` (see that module for the design) as
``python -m kzkg_server.executor_child <parent-pid> <memory-limit-bytes> <sealed 0|1> [<store-path> <build-id>]``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import stat
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from .executor_protocol import FEDERATE, READY, REFUSED, Job, Outcome, read_frame, write_frame
from .query_errors import (
    MemoryLimit,
    NotAcceptable,
    ProcessDied,
    QueryError,
    QueryFailed,
    QueryRefused,
    QueryRejected,
    QuerySyntaxError,
    ServiceFailed,
)
from .result_writer import serialise
from .sandbox import SandboxError, seal
from .sparql_scan import Canonical, QueryShape, canonicalise
from .sparql_tokens import ScanError

# Seconds a job runs before its thread is reniced to 19.
RENICE_AFTER = 1.0
RENICED = 19


def _query_kwargs(job: Job) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"base_iri": job.base_iri, "prefixes": dict(job.prefixes) or None}
    dataset = job.dataset
    if dataset.default_graphs is not None or dataset.named_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in dataset.default_graphs or ()]
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in dataset.named_graphs or ()]
    # else: the store's own default graph, which the build fills with the union of every graph but
    # claims' assertion graphs (kzkg.store.load_store); GRAPH ?g still reaches every named graph.
    return kwargs


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
            return FEDERATE, None
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
            write_frame(answers_out, (REFUSED, str(error)))
            return
    stderr_is_file = stat.S_ISREG(os.fstat(2).st_mode)
    stores: dict[str, ox.Store] = {}
    if len(argv) > 4:  # the release to serve, opened before saying ready; a failure waits for a job to report it
        with contextlib.suppress(OSError):  # missing, pruned or corrupt store: the job that needs it will say so
            stores[argv[4]] = ox.Store.read_only(argv[3])
    write_frame(answers_out, (READY, os.getpid()))
    while True:
        job = read_frame(requests_in)
        if job is None:
            return
        if stderr_is_file:  # the parent reads it if this job kills the process: only this job's words
            os.ftruncate(2, 0)
            os.lseek(2, 0, os.SEEK_SET)
        write_frame(answers_out, _run_in_thread(stores, job, sealed))


if __name__ == "__main__":
    child_main(sys.argv[1:])
