"""Whole-file writes: a reader sees the old file or the new one, never half of either.

Used for everything kzkg writes beside the build (candidates, link evidence, registry edits, the
enrichment graph, the answer cache): curators edit data/ while commands run, and an interrupted
write must not leave a truncated YAML file that the next build reads as a smaller corpus.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kzkg.errors import KzkgError

class FileChangedError(KzkgError):
    """The file changed between being read and being replaced; nothing was written."""


def atomic_write_text(path: Path, text: str, expected_sha256: str | None = None) -> None:
    """Write a whole file or nothing: temp file in the same folder, fsync, rename.

    With ``expected_sha256``, the rename only happens if the file still has that content (someone
    editing it meanwhile makes this raise :class:`FileChangedError` instead of silently losing
    their change).
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.kzkg-tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        if expected_sha256 is not None:
            current = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None
            if current != expected_sha256:
                raise FileChangedError(f"{path} changed while kzkg was writing it; nothing written, run again")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    # the rename is durable only once the folder's entry is on disk too
    try:
        folder = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(folder)
    except OSError:
        pass
    finally:
        os.close(folder)
