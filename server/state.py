"""Shared state of one server process: which graph it serves and how to open it.

Kept in ``app.extensions["kzkg"]``. Nothing is opened at import or before a fork: each worker
process opens the published release read-only on first use, and reopens it when ``kzkg build``
has swapped in a new one (checked with one readlink per request).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kzkg.store import Release, current_release, open_read_only


@dataclass
class GraphService:
    build_dir: Path
    settings: Mapping[str, Any]
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _opened: tuple[int, str, ox.Store] | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "GraphService":
        return cls(build_dir=Path(config["BUILD_DIR"]), settings=config)

    def release(self) -> Release:
        """The release being served now (raises kzkg.store.NoReleaseError before the first build)."""
        return current_release(self.build_dir)

    def store(self) -> tuple[Release, ox.Store]:
        """The current release and its read-only store, opened once per process and release."""
        release = self.release()
        pid = os.getpid()
        with self._lock:
            opened = self._opened
            if opened is None or opened[0] != pid or opened[1] != release.build_id:
                self._opened = (pid, release.build_id, open_read_only(release))
            return release, self._opened[2]
