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

Modules: this one is the pool (starting, feeding, timing and retiring children, and telling why
one died); :mod:`kzkg_server.executor_child` the child's loop; :mod:`kzkg_server.executor_protocol`
the job, its outcome and the framing between them; :mod:`kzkg_server.result_writer` the
serialisation under the result-size limit; :mod:`kzkg_server.query_errors` the errors.
"""

from __future__ import annotations

import atexit
import os
import pickle
import queue
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any, BinaryIO

from .executor_protocol import FEDERATE, FRAME_HEADER, READY, REFUSED, Job, Outcome
from .query_errors import (
    ExecutorBusy,
    MemoryLimit,
    NeedsFederation,
    ProcessDied,
    QueryFailed,
    QueryTimeout,
)

# The pool's own names: the job, its errors and the serialisation are imported from
# executor_protocol, query_errors, executor_child and result_writer, where they are defined.
__all__ = ["ExecutorPool", "death_cause"]

# Bytes of a dead child's stderr read to tell why it died.
_STDERR_TAIL = 65536


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
        header = self._read_exactly(FRAME_HEADER.size, deadline)
        if header is None:
            return None
        payload = self._read_exactly(FRAME_HEADER.unpack(header)[0], deadline)
        return None if payload is None else pickle.loads(payload)

    def wait_ready(self, timeout: float) -> bool:
        if not self.ready and self.refusal is None:
            message = self._read(time.monotonic() + timeout)
            if isinstance(message, tuple) and message[0] == REFUSED:
                self.refusal = str(message[1])
            self.ready = isinstance(message, tuple) and message[0] == READY
        return self.ready

    def call(self, job: Job, deadline: float) -> tuple[str, Any] | None:
        assert self.process.stdin is not None
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.process.stdin.write(FRAME_HEADER.pack(len(payload)) + payload)
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
            "kzkg_server.executor_child",
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
            if status == FEDERATE:
                raise NeedsFederation("the query calls allow-listed SERVICE endpoints")
            raise value
        finally:
            self._idle.put(child)
