"""Run SPARQL from the command line: on the published build, or on any remote endpoint.

The local path queries the release store with the same dataset the endpoint serves (the default
graph is the union of all named graphs except claims' assertion graphs; kzkg's prefixes are
predeclared). The remote path goes through :mod:`kzkg.sparql_client`, as `kzkg link` does.

A local query runs in a forked child process, as the endpoint's queries do: pyoxigraph is native
code, and some queries crash it outright (10,000 nested parentheses overflow its parser's stack:
SIGSEGV; an engine panic aborts: SIGABRT). In the child only the child dies, and ``kzkg query``
reports the cause as one line and exit 2 instead of dying with the shell's "Segmentation fault".
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import re
import signal
import tempfile
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import pyoxigraph as ox

from kzkg.errors import QueryCrashed, QueryError
from kzkg.namespaces import PREFIXES

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}

# The table format is for reading: a cell longer than this is cut (with "…"). A whole article
# text in one cell once set the column width for every row (547 MB for `SELECT *`); csv, tsv
# and json keep every value whole.
TABLE_CELL_WIDTH = 80
CHUNK = 1 << 20  # bytes per message from the query child

__all__ = ["TABLE_CELL_WIDTH", "QueryCrashed", "QueryError", "query_text", "run_local", "run_query", "stream_query"]


def query_text(argument: str) -> str:
    """The query itself, or the text of the file the argument names (``*.rq``, or any existing
    file when the argument has no spaces). A ``.rq`` that does not exist is said to be missing,
    not handed to the parser as a malformed query."""
    path = Path(argument)
    names_a_file = argument.lower().endswith(".rq") and "\n" not in argument
    if not names_a_file and not any(c.isspace() or c in "{}" for c in argument):
        names_a_file = path.is_file()
    if not names_a_file:
        return argument
    if not path.exists():
        raise QueryError("no such query file", file=argument)
    if not path.is_file():
        raise QueryError("not a regular file (give a query or a .rq file)", file=argument)
    try:
        return path.read_text(encoding="utf-8")
    except OSError as unreadable:
        raise QueryError(f"cannot be read: {unreadable.strerror or unreadable}", file=argument) from unreadable
    except UnicodeDecodeError as undecodable:
        raise QueryError(f"not UTF-8 (byte offset {undecodable.start})", file=argument) from undecodable


def run_local(store: ox.Store, text: str):
    try:
        return store.query(text, prefixes=PREFIXES)  # the default graph: see kzkg.store.load_store
    except SyntaxError as malformed:
        # The engine says an undeclared prefix or an empty query as a dump of grammar character
        # ranges; the endpoint's tokenizer says what is wrong (the server package ships with kzkg).
        from kzkg_server.sparql_scan import plain_problem

        said = plain_problem(text, PREFIXES) or " ".join(str(malformed).split())
        raise QueryError(f"malformed query: {said}") from malformed


def run_query(text: str, build_dir: Path, endpoint: str | None = None, format_name: str = "table") -> str:
    """The whole answer as text (for callers that want a string; the CLI streams)."""
    parts: list[bytes] = []
    stream_query(text, build_dir, endpoint, format_name, parts.append)
    return b"".join(parts).decode("utf-8")


def stream_query(
    text: str,
    build_dir: Path,
    endpoint: str | None = None,
    format_name: str = "table",
    write: Callable[[bytes], object] = lambda _: None,
) -> None:
    """Run the query and pass the answer to ``write`` as it comes; raise QueryError (malformed,
    refused), QueryCrashed (the engine died) or NoReleaseError (nothing built yet)."""
    if endpoint:
        write(_run_remote(text, endpoint, format_name).encode("utf-8"))
        return
    from kzkg.store import current_release

    release = current_release(build_dir)  # here, so "no build yet" needs no child
    _run_in_child(str(release.store_path), text, format_name, write)


def _render(results: object, format_name: str) -> Iterator[bytes]:
    """The answer in the requested format, in pieces (pyoxigraph serialises into any writer)."""
    if isinstance(results, ox.QueryBoolean):
        value = bool(results)
        yield (
            json.dumps({"head": {}, "boolean": value}) + "\n" if format_name == "json" else f"{str(value).lower()}\n"
        ).encode("utf-8")
        return
    if isinstance(results, ox.QueryTriples):
        turtle = results.serialize(format=ox.RdfFormat.TURTLE)
        assert turtle is not None  # pyoxigraph returns the bytes when given no output file
        yield turtle
        return
    if format_name in RESULT_FORMATS:
        yield results.serialize(format=RESULT_FORMATS[format_name])  # type: ignore[attr-defined]
        return
    variables = [v.value for v in results.variables]  # type: ignore[attr-defined]
    rows = [[_fit(_cell(solution[v])) for v in variables] for solution in results]  # type: ignore[attr-defined]
    yield _table(variables, rows).encode("utf-8")


def _child(store_path: str, text: str, format_name: str, send: Connection, stderr_fd: int) -> None:
    """Runs in the forked child: open the store, run, send the answer in chunks, or the error."""
    os.dup2(stderr_fd, 2)  # an engine panic or stack overflow writes its cause here, for the parent
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        store = ox.Store.read_only(store_path)
        for piece in _render(run_local(store, text), format_name):
            for start in range(0, len(piece), CHUNK):
                send.send(("out", piece[start : start + CHUNK]))
        send.send(("done", ""))
    except QueryError as refused:
        send.send(("error", str(refused)))
    except OSError as failed:  # pyoxigraph's evaluation and store errors
        send.send(("error", " ".join(str(failed).split())))
    except BaseException as fault:
        if type(fault).__name__ != "PanicException":
            raise
        send.send(("panic", " ".join(str(fault).split())))
    finally:
        send.close()


def _run_in_child(store_path: str, text: str, format_name: str, write: Callable[[bytes], object]) -> None:
    context = multiprocessing.get_context("fork")  # the CLI is single-threaded here; nothing to pickle
    receive, send = context.Pipe(duplex=False)
    with tempfile.TemporaryFile() as child_stderr:
        process = context.Process(
            target=_child,
            args=(store_path, text, format_name, send, child_stderr.fileno()),
            name="kzkg-query",
            daemon=True,
        )
        process.start()
        send.close()  # the child holds its own end: its death reads as EOF here
        outcome: tuple[str, str] | None = None
        try:
            while outcome is None:
                kind, payload = receive.recv()
                if kind == "out":
                    write(payload)
                else:
                    outcome = (kind, payload)
        except EOFError:
            pass
        finally:
            receive.close()
            if outcome is None or process.is_alive():
                process.join(timeout=5 if outcome is not None else None)
            if process.is_alive():
                process.terminate()
                process.join()
        if outcome is not None and outcome[0] == "done":
            return
        if outcome is not None and outcome[0] == "error":
            raise QueryError(outcome[1])
        child_stderr.seek(0)
        said = child_stderr.read()[-64_000:].decode("utf-8", "replace")
    if outcome is not None:  # a PanicException the child caught
        raise QueryCrashed(f"the query engine panicked: {outcome[1]} (pyoxigraph bug; the query did not run)")
    raise QueryCrashed(_death_cause(process.exitcode, said, text))


def _death_cause(exitcode: int | None, said: str, text: str) -> str:
    """Why the query child died, as precisely as its exit status and last words allow."""
    panic = re.search(r"panicked at ([^\n]*)\n([^\n]*)", said)
    overflow = "overflowed its stack" in said
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = f"the query engine crashed ({name})"
    else:
        how = f"the query process failed (exit code {exitcode})"
    if panic:
        return f"{how}: engine panic at {panic.group(1).rstrip(':')}: {panic.group(2).strip()}; the query did not run"
    if overflow:
        return f"{how}: stack overflow; the query is nested too deeply to parse or evaluate"
    depth = _nesting_depth(text)
    if exitcode == -signal.SIGSEGV and depth > 1000:
        return f"{how}: most likely a stack overflow, the query nests brackets {depth} levels deep"
    out_of_memory = re.search(r"memory allocation of (\d+) bytes failed", said)
    if out_of_memory:
        return f"{how}: out of memory (could not allocate {int(out_of_memory.group(1)) >> 20} MB more)"
    words = [line.strip() for line in said.splitlines() if _last_words(line)]
    return f"{how}" + (f": {words[0]}" if words else "; the query did not run")


def _last_words(line: str) -> bool:
    """A line the dying child wrote, not a frame of a Rust backtrace (RUST_BACKTRACE=1)."""
    return bool(line.strip()) and not line[:1].isspace() and not line.startswith(("stack backtrace:", "note: "))


def _nesting_depth(text: str) -> int:
    """The deepest nesting of (), {} and [] (ignoring strings: a rough measure, for the message)."""
    depth = deepest = 0
    for character in text:
        if character in "({[":
            depth += 1
            deepest = max(deepest, depth)
        elif character in ")}]":
            depth = max(depth - 1, 0)
    return deepest


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
            local = term.value[len(namespace) :]
            if term.value.startswith(namespace) and local and "/" not in local and "#" not in local:
                return f"{prefix}:{term.value[len(namespace) :]}"
        return f"<{term.value}>"
    return term.value


def _fit(cell: str) -> str:
    """One table cell on one line, at most TABLE_CELL_WIDTH characters."""
    cell = " ".join(cell.split()) if any(c in cell for c in "\n\r\t\v\f") else cell
    return cell if len(cell) <= TABLE_CELL_WIDTH else cell[: TABLE_CELL_WIDTH - 1] + "…"


def _table(header: list[str], rows: list[list[str]]) -> str:
    rows = [[_fit(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    out = [line, "-+-".join("-" * w for w in widths)]
    out += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _run_remote(text: str, endpoint: str, format_name: str, timeout: float = 60.0) -> str:
    """Through kzkg.sparql_client's client: a descriptive User-Agent, retries with back-off on 429/5xx and
    timeouts, and clear errors, as for `kzkg link`; CONSTRUCT/DESCRIBE answers come back as Turtle."""
    from SPARQLWrapper import SPARQLWrapper

    from kzkg.sparql_client import LinkError, SparqlClient

    form = SPARQLWrapper(endpoint)
    form.setQuery(text)  # SPARQLWrapper's own reading of the query form (prefixes and comments allowed)
    client = SparqlClient(endpoint, timeout=timeout, retries=2, min_interval=0.0)
    try:
        if form.queryType in ("CONSTRUCT", "DESCRIBE"):
            return client.fetch_rdf(text).decode("utf-8")
        data = client.fetch_json(text)
    except LinkError as failed:
        raise QueryError(str(failed)) from failed
    if "boolean" in data:
        return json.dumps(data) + "\n" if format_name == "json" else f"{str(data['boolean']).lower()}\n"
    if format_name == "json":
        return json.dumps(data, indent=2) + "\n"
    variables = data["head"]["vars"]
    rows = [[binding.get(v, {}).get("value", "") for v in variables] for binding in data["results"]["bindings"]]
    if format_name in ("csv", "tsv"):
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="," if format_name == "csv" else "\t", lineterminator="\n")
        writer.writerow(variables)
        writer.writerows(rows)
        return buffer.getvalue()
    return _table(variables, rows)
