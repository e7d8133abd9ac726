"""Process resources the pipeline manages on purpose: the cyclic garbage collector and memory.

Shared by the stages that allocate millions of small objects (reason, validate) and by the build,
which reports each stage's peak memory in its manifest.
"""

from __future__ import annotations

import gc
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def without_cyclic_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a stage builds millions of acyclic objects.

    Each allocation burst (tuples, rdflib terms, index sets) triggers collections that traverse
    every live object — the caller's whole dataset included — and free nothing: at scale a large
    share of the reasoning and of the SHACL check (figures: bench/README.md). Reference counting
    still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def private_mb() -> float:
    """Memory this process does not share with others (a forked child's own cost), from
    /proc/self/smaps_rollup; 0 where the kernel does not provide it."""
    try:
        with Path("/proc/self/smaps_rollup").open(encoding="ascii") as rollup:
            private = ("Private_Clean", "Private_Dirty")
            private_kb = sum(int(line.split()[1]) for line in rollup if line.startswith(private))
        return private_kb / 1024
    except FileNotFoundError:
        return 0.0
