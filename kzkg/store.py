"""The embedded store: an on-disk pyoxigraph (RocksDB) store per build, swapped in atomically.

A build never writes into the store that is being served. Each build writes a complete *release*
directory ``<build_dir>/releases/<build-id>/`` (store, dumps, VoID, manifest) and only then points
the ``<build_dir>/current`` symlink at it with an atomic rename. A build that fails or is killed
half-way leaves ``current`` — and every server reading it — untouched. Servers open the release
read-only, so any number of worker processes share one copy on disk instead of each loading the
graph into memory; opening is a RocksDB open, well under a second whatever the graph's size.

Sharing one copy on disk means the graph lives in the OS page cache, which the kernel may reclaim
while the server is idle (kernels with proactive reclaim page out file pages untouched for a few
seconds), and a query that then needs them reads them from disk, several times slower (measured in
bench/README.md, "Endpoint"). :class:`StoreWarmer` reads the served store through the page cache every few seconds (one
process per release does it, chosen by a lock), so what a query needs is in memory when it runs.
"""

from __future__ import annotations

import fcntl
import io
import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import pyoxigraph as ox

from kzkg.errors import BuildLocked, NoBuildError, OutputError
from kzkg.namespaces import in_default_graph

CURRENT_LINK = "current"
RELEASES_DIR = "releases"
STORE_DIR = "store"
MANIFEST = "manifest.json"
KEEP_RELEASES = 3
LOCK_FILE = ".lock"
STAGING_PREFIX = ".staging-"

log = logging.getLogger(__name__)


class NoReleaseError(NoBuildError, FileNotFoundError):
    """Raised when a build directory has no published release yet (run `kzkg build`).

    Still a FileNotFoundError, as callers that predate :mod:`kzkg.errors` expect."""


@dataclass(frozen=True)
class Release:
    """A published build: its id (a content hash, also the HTTP ETag) and where it lives."""

    build_id: str
    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / STORE_DIR

    @property
    def dumps_path(self) -> Path:
        return self.path / "dumps"

    @property
    def manifest(self) -> dict:
        return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))


def current_release(build_dir: Path) -> Release:
    """The release ``current`` points at; cheap enough (one readlink) to call per request."""
    link = Path(build_dir) / CURRENT_LINK
    try:
        target = str(link.readlink())
    except FileNotFoundError as missing:
        raise NoReleaseError(f"no build published in {build_dir} (run `kzkg build`)") from missing
    path = (link.parent / target).resolve()
    return Release(build_id=path.name, path=path)


def open_read_only(release: Release) -> ox.Store:
    """Open a published release's store for reading; safe because releases are never written again."""
    return ox.Store.read_only(str(release.store_path))


def store_size(store_path: Path) -> int:
    """Bytes of a store's files on disk."""
    return sum(entry.stat().st_size for entry in os.scandir(store_path) if entry.is_file())


def read_through(store_path: Path) -> int:
    """Read every file of a store once through the OS page cache; returns the bytes read.

    Nothing is copied into this process where the OS can avoid it: on Linux the files are
    ``sendfile``d to /dev/null (a few times cheaper in CPU than plain reads, which copy every page
    into the process); elsewhere they are read in 1 MB chunks into one reused buffer. Either
    way the pages count as accessed, so reclaim that looks for idle pages leaves them alone a while.
    """
    total = 0
    buffer: bytearray | None = None
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for entry in sorted(os.scandir(store_path), key=lambda e: e.name):
            if not entry.is_file():
                continue
            try:
                fd = os.open(entry.path, os.O_RDONLY)
            except FileNotFoundError:  # a file of a release being pruned
                continue
            try:
                size = os.fstat(fd).st_size
                offset = 0
                while buffer is None and offset < size:
                    try:
                        sent = os.sendfile(null, fd, offset, size - offset)
                    except OSError:  # no sendfile to a non-socket here: read instead
                        buffer = bytearray(1 << 20)
                        break
                    if sent <= 0:
                        break
                    offset += sent
                if buffer is not None:
                    os.lseek(fd, offset, os.SEEK_SET)
                    while offset < size:
                        read = os.readv(fd, [buffer])
                        if read <= 0:
                            break
                        offset += read
                total += offset
            finally:
                os.close(fd)
    finally:
        os.close(null)
    return total


class StoreWarmer:
    """Keeps the served release's store in the OS page cache by reading it every ``period`` seconds.

    ``locate`` gives the store directory to keep warm now (it is asked before every pass, so a new
    release is followed; it may raise NoReleaseError before the first build). Every server process
    may run one: the first to take an exclusive ``flock`` on the store directory does the reading
    and keeps the lock until it exits or the release changes, so the store is read once per pass
    whatever the number of workers; the others try again each period and take over if it dies.
    A store larger than ``max_bytes`` is left to the kernel (keeping it would push out everything
    else). The cost is the store's size in page cache (RAM no process's RSS shows) and one
    sequential read of its files per pass (its CPU cost at 1M triples is in bench/README.md), plus
    re-reading from disk whatever the kernel reclaimed since the last pass.
    """

    def __init__(self, locate: Callable[[], Path], period: float, max_bytes: int | None = None):
        self.locate = locate
        self.period = float(period)
        self.max_bytes = max_bytes if max_bytes is not None else _half_of_memory()
        self.passes = 0
        self._path: Path | None = None
        self._lock_fd: int | None = None
        self._owner = False
        self._too_large: Path | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Read now and then every period, from a daemon thread (call after any fork)."""
        if self._thread is None and self.period > 0:
            self._thread = threading.Thread(target=self._loop, name="kzkg-store-warmer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._release_lock()

    def _loop(self) -> None:
        delay = 0.0
        while not self._stop.wait(delay):
            delay = self.period
            try:
                self.warm_once()
            except NoReleaseError:
                pass
            except OSError as error:  # a release pruned under us, a full file table: try again next period
                log.warning("keeping the store warm failed: %s", error)

    def warm_once(self) -> int | None:
        """One pass: the bytes read, or None when another process keeps this store warm (or it is too large)."""
        path = Path(self.locate())
        if path != self._path or self._lock_fd is None:
            self._release_lock()
            self._lock_fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            self._path = path
        if not self._owner:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None
            self._owner = True
        size = store_size(path)
        if size > self.max_bytes:
            if self._too_large != path:
                self._too_large = path
                log.warning(
                    "not keeping the store warm: %s is %d MB, more than the %d MB allowed",
                    path,
                    size >> 20,
                    self.max_bytes >> 20,
                )
            return None
        read = read_through(path)
        self.passes += 1
        return read

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor drops the flock
        self._lock_fd = None
        self._owner = False
        self._path = None


def _half_of_memory() -> int:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 1 << 30


_HELD_LOCKS: set[int] = set()


def _drop_inherited_locks() -> None:
    """In a forked child (the build's validation process), close the inherited lock descriptor:
    a flock lives as long as any descriptor of it, and a child outliving a SIGKILLed build must
    not keep the next build out."""
    for fd in list(_HELD_LOCKS):
        os.close(fd)
    _HELD_LOCKS.clear()


os.register_at_fork(after_in_child=_drop_inherited_locks)


@contextmanager
def build_lock(build_dir: Path) -> Iterator[None]:
    """Hold ``<build_dir>/.lock`` (an exclusive ``flock``) while building into ``build_dir``.

    Two builds into one folder would race: the first to publish used to sweep the other's staging
    folder away. The lock is the kernel's, so a killed build releases it by dying; the file keeps
    the holder's pid for the refusal message. Once the lock is held, staging folders and temporary
    links left by killed builds are swept: no other build can be writing them.
    """
    build_dir = Path(build_dir)
    try:
        build_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(build_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as failed:
        raise OutputError(f"cannot create the build lock: {failed.strerror or failed}", file=build_dir) from failed
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise BuildLocked(
                f"another kzkg build (pid {holder}) is running in {build_dir}/; wait for it to finish"
            ) from None
        _HELD_LOCKS.add(fd)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError:  # a full disk: the pid is only for the message, the lock itself holds
            pass
        sweep_abandoned(build_dir)
        yield
    finally:
        _HELD_LOCKS.discard(fd)
        os.close(fd)  # drops the flock


def sweep_abandoned(build_dir: Path) -> list[Path]:
    """Remove staging folders and temporary ``current`` links of builds that were killed.

    Only call this holding :func:`build_lock`: a running build's staging folder looks the same.
    """
    build_dir = Path(build_dir)
    swept = []
    releases = build_dir / RELEASES_DIR
    for stale in sorted(releases.glob(f"{STAGING_PREFIX}*")) if releases.is_dir() else []:
        shutil.rmtree(stale, ignore_errors=True)
        swept.append(stale)
    for link in build_dir.glob(f".{CURRENT_LINK}.*"):
        if link.is_symlink():
            link.unlink(missing_ok=True)
            swept.append(link)
    return swept


def new_staging_dir(build_dir: Path) -> Path:
    """A private directory next to the releases, so the final rename stays on one file system."""
    releases = Path(build_dir) / RELEASES_DIR
    releases.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=releases))


def load_store(store_path: Path, nquads: bytes, default_graph: Sequence[bytes] = ()) -> None:
    """Bulk-load an N-Quads serialisation into a fresh on-disk store, and ``default_graph`` (sorted
    N-Triples lines) into its default graph.

    Why a materialised default graph: it must be the union of every graph except claims' assertion
    graphs (kzkg.namespaces.in_default_graph: claims, not facts). pyoxigraph's union default cannot leave graphs out,
    and naming the other graphs as ``default_graph`` makes every index probe of a join one probe per
    graph: 2-25x slower example queries at 100k triples (bench/README.md). A real default graph
    answers as fast as the union did, for ~30% more store loading time and ~45% more disk.
    """
    # N-Triples lines are N-Quads lines in the default graph
    try:
        # cast: pyoxigraph's stub asks for IO[bytes], but bulk_load only calls read(), which a RawIOBase answers
        _bulk_load(store_path, cast(IO[bytes], _DatasetReader(nquads, default_graph)) if default_graph else nquads)
    except MemoryError as cap:
        if not _is_line_cap(cap):
            raise
        # a statement over pyoxigraph's 16 MiB streaming buffer (a huge literal): bytes have no such cap,
        # at the price of one joined copy of the data, paid only by such a dataset
        shutil.rmtree(store_path)
        _bulk_load(store_path, nquads + b"".join(default_graph))


def _bulk_load(store_path: Path, data: bytes | IO[bytes]) -> None:
    store = ox.Store(str(store_path))
    try:
        store.bulk_load(data, format=ox.RdfFormat.N_QUADS)
        store.optimize()
        store.flush()
    finally:
        del store  # release RocksDB's lock (also when the load failed, so it can be retried or removed)


def _is_line_cap(error: MemoryError) -> bool:
    """pyoxigraph's streaming readers refuse a line over 16 MiB ("Reached the buffer maximal size")."""
    return "buffer maximal size" in str(error)


def _parse_quads(nquads: bytes) -> list[ox.Quad]:
    """N-Quads parsed, lines over pyoxigraph's 16 MiB streaming cap included: such a line is parsed
    from bytes by an in-memory store, which has no cap but renames blank nodes, so a huge line
    with a blank node is refused (its copy in the default graph would be another node)."""
    try:
        return list(ox.parse(nquads, format=ox.RdfFormat.N_QUADS))
    except MemoryError as cap:
        if not _is_line_cap(cap):
            raise
    quads: list[ox.Quad] = []
    for line in nquads.splitlines(keepends=True):
        if len(line) < 1 << 24:
            quads.extend(ox.parse(line, format=ox.RdfFormat.N_QUADS))
            continue
        memory = ox.Store()
        memory.bulk_load(line, format=ox.RdfFormat.N_QUADS)
        for quad in memory:
            if any(isinstance(term, ox.BlankNode) for term in (quad.subject, quad.object, quad.graph_name)):
                raise OutputError("a statement over 16 MiB with a blank node cannot be loaded")
            quads.append(quad)
    return quads


def default_graph_lines(nquads: bytes) -> list[bytes]:
    """The default graph of a dataset given as N-Quads: every triple of the graphs that
    kzkg.namespaces.in_default_graph admits, once each, as sorted N-Triples lines (the build takes
    them from its canonical form instead, kzkg.export.Canonical.triple_lines)."""
    triples = (
        ox.Triple(quad.subject, quad.predicate, quad.object)
        for quad in _parse_quads(nquads)
        if in_default_graph(quad.graph_name)
    )
    document = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
    assert document is not None  # without an output, serialize returns the document
    return sorted(set(document.splitlines(keepends=True)))


class _DatasetReader(io.RawIOBase):
    """N-Quads followed by the default graph's lines, read as one document without joining them
    into another copy of the graph (250 MB at 1M triples). One document, because blank node labels
    are scoped to a document: the default graph's copy of an OWL axiom must be the same blank nodes
    as in the ontology graph."""

    def __init__(self, nquads: bytes, lines: Sequence[bytes]):
        self._pieces = self._batches(nquads, lines)
        self._chunk, self._offset = memoryview(b""), 0

    @staticmethod
    def _batches(nquads: bytes, lines: Sequence[bytes]) -> Iterator[memoryview]:
        yield memoryview(nquads)
        if nquads and not nquads.endswith(b"\n"):
            yield memoryview(b"\n")  # N-Quads may end without one; the next line must start its own
        for start in range(0, len(lines), 4096):
            yield memoryview(b"".join(lines[start : start + 4096]))

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while self._offset >= len(self._chunk):
            piece = next(self._pieces, None)
            if piece is None:
                return 0
            self._chunk, self._offset = piece, 0
        size = min(len(buffer), len(self._chunk) - self._offset)
        buffer[:size] = self._chunk[self._offset : self._offset + size]
        self._offset += size
        return size


def publish(build_dir: Path, staging: Path, build_id: str) -> Release:
    """Move a complete staging directory into place and switch ``current`` to it atomically.

    The same content gives the same build id; republishing it only re-points the link.
    """
    build_dir = Path(build_dir)
    releases = build_dir / RELEASES_DIR
    final = releases / build_id
    if final.exists():
        shutil.rmtree(staging)
    else:
        staging.rename(final)
    temp_link = build_dir / f".{CURRENT_LINK}.{os.getpid()}"
    if temp_link.is_symlink() or temp_link.exists():
        temp_link.unlink()
    temp_link.symlink_to(Path(RELEASES_DIR) / build_id)
    temp_link.replace(build_dir / CURRENT_LINK)
    _prune(releases, keep=final)
    return Release(build_id=build_id, path=final.resolve())


def _prune(releases: Path, keep: Path) -> None:
    """Drop old releases and abandoned staging dirs, keeping a few for servers still reading them."""
    for stale in releases.glob(f"{STAGING_PREFIX}*"):  # callers hold build_lock: none is in use
        if stale != keep:
            shutil.rmtree(stale, ignore_errors=True)
    published = sorted(
        (p for p in releases.iterdir() if not p.name.startswith(".") and p != keep),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in published[KEEP_RELEASES - 1 :]:
        shutil.rmtree(old, ignore_errors=True)


def content_id(nquads: bytes) -> str:
    """A build id from the content: the same graph always gets the same id (and HTTP ETag).

    The store layout's version is hashed too: a release of the same quads made before the default
    graph was materialised (load_store) has an empty default graph and must not be reused."""
    import hashlib

    return hashlib.sha256(STORE_LAYOUT + nquads).hexdigest()[:16]


STORE_LAYOUT = b"kzkg store layout 2: default graph = every graph but claims' assertion graphs\n"


def publish_nquads(build_dir: Path, nquads: bytes, manifest: dict | None = None) -> Release:
    """Load canonical N-Quads into a new release and publish it (used by the build and by tests)."""
    build_id = content_id(nquads)
    with build_lock(build_dir):
        staging = new_staging_dir(build_dir)
        try:
            load_store(staging / STORE_DIR, nquads, default_graph_lines(nquads))
            info = {"build_id": build_id, **(manifest or {})}
            (staging / MANIFEST).write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
            return publish(build_dir, staging, build_id)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
