"""Shared state of one server process: which graph it serves and through which backend.

Kept in ``app.extensions["kzkg"]``. The backend is chosen once from the config — the embedded
release store under ``BUILD_DIR``, or a remote SPARQL store when ``STORE_URL`` is set (see
:mod:`kzkg_server.backend`) — and opens nothing at import or before a fork: each worker process
opens the published release read-only (or starts talking to the remote store) on first use, and
follows a new build when one is published (one readlink per request, or the remote store's
release record, re-read every few seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kzkg.store import Release

from .backend import Backend, EmbeddedBackend, Served


@dataclass
class GraphService:
    build_dir: Path
    settings: Mapping[str, Any]
    backend: Backend

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> GraphService:
        build_dir = Path(config["BUILD_DIR"])
        backend: Backend
        if config.get("STORE_URL"):
            from .remote import RemoteBackend, check_settings

            check_settings(config)
            backend = RemoteBackend(config, build_dir)
        else:
            backend = EmbeddedBackend(build_dir, config)
        return cls(build_dir=build_dir, settings=config, backend=backend)

    @property
    def remote(self) -> bool:
        return self.backend.kind == "remote"

    def served(self) -> Served:
        """What is served now; raises kzkg.store.NoReleaseError (embedded, before the first build)
        or a QueryError (remote store unreachable)."""
        return self.backend.served()

    def release(self) -> Release:
        """The local release being served (embedded; raises kzkg.store.NoReleaseError before the first build)."""
        if not isinstance(self.backend, EmbeddedBackend):
            raise TypeError("a remote-backed server has no release of its own; use served()")
        return self.backend.release()

    def store(self) -> tuple[Release, ox.Store]:
        """The current release and its read-only store (embedded only), opened once per process and release."""
        release = self.release()
        assert isinstance(self.backend, EmbeddedBackend)
        return release, self.backend.store(release)
