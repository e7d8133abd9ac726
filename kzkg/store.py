"""The embedded store: an on-disk pyoxigraph (RocksDB) store per build, swapped in atomically.

A build never writes into the store that is being served. Each build writes a complete *release*
directory ``<build_dir>/releases/<build-id>/`` (store, dumps, VoID, manifest) and only then points
the ``<build_dir>/current`` symlink at it with an atomic rename. A build that fails or is killed
half-way leaves ``current`` — and every server reading it — untouched. Servers open the release
read-only, so any number of worker processes share one copy on disk instead of each loading the
graph into memory; opening is a RocksDB open, well under a second whatever the graph's size.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

CURRENT_LINK = "current"
RELEASES_DIR = "releases"
STORE_DIR = "store"
MANIFEST = "manifest.json"
KEEP_RELEASES = 3


class NoReleaseError(FileNotFoundError):
    """Raised when a build directory has no published release yet (run `kzkg build`)."""


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
        target = os.readlink(link)
    except FileNotFoundError as missing:
        raise NoReleaseError(f"no build published in {build_dir} (run `kzkg build`)") from missing
    path = (link.parent / target).resolve()
    return Release(build_id=path.name, path=path)


def open_read_only(release: Release) -> ox.Store:
    """Open a published release's store for reading; safe because releases are never written again."""
    return ox.Store.read_only(str(release.store_path))


def new_staging_dir(build_dir: Path) -> Path:
    """A private directory next to the releases, so the final rename stays on one file system."""
    releases = Path(build_dir) / RELEASES_DIR
    releases.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=".staging-", dir=releases))


def load_store(store_path: Path, nquads: bytes) -> None:
    """Bulk-load an N-Quads serialisation into a fresh on-disk store."""
    store = ox.Store(str(store_path))
    store.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)
    store.optimize()
    store.flush()
    del store  # release RocksDB's lock before the directory is published read-only


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
    os.replace(temp_link, build_dir / CURRENT_LINK)
    _prune(releases, keep=final)
    return Release(build_id=build_id, path=final.resolve())


def _prune(releases: Path, keep: Path) -> None:
    """Drop old releases and abandoned staging dirs, keeping a few for servers still reading them."""
    for stale in releases.glob(".staging-*"):
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
    """A build id from the content: the same graph always gets the same id (and HTTP ETag)."""
    import hashlib

    return hashlib.sha256(nquads).hexdigest()[:16]


def publish_nquads(build_dir: Path, nquads: bytes, manifest: dict | None = None) -> Release:
    """Load canonical N-Quads into a new release and publish it (used by the build and by tests)."""
    build_id = content_id(nquads)
    staging = new_staging_dir(build_dir)
    load_store(staging / STORE_DIR, nquads)
    info = {"build_id": build_id, **(manifest or {})}
    (staging / MANIFEST).write_text(json.dumps(info, indent=2, sort_keys=True), encoding="utf-8")
    return publish(build_dir, staging, build_id)
