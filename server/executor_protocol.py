"""What crosses the pipe between a worker's executor pool and its query children.

A job and its answer are pickled, each in one frame: an 8-byte big-endian length, then the pickle.
The classes here (and the errors of :mod:`kzkg_server.query_errors`) live in modules of their own,
not in the child's ``__main__``, so a pickle names the same class on both sides.
"""

from __future__ import annotations

import pickle
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

FRAME_HEADER = struct.Struct("!Q")
# A child's first frame: (READY, its pid), or (REFUSED, why) when it could not seal itself.
READY = "ready"
REFUSED = "refused"
# The answer of a sealed child to a job with allow-listed SERVICE calls: run it unsealed.
FEDERATE = "federate"


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


def write_frame(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(FRAME_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: BinaryIO) -> Any:
    """One frame's message, or None at the end of the stream."""
    header = stream.read(FRAME_HEADER.size)
    if len(header) < FRAME_HEADER.size:
        return None
    (size,) = FRAME_HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)
