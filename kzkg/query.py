"""Run SPARQL from the command line: on the published build, or on any remote endpoint.

The local path queries the release store with the same dataset the endpoint serves (the default
graph is the union of all named graphs except claims' assertion graphs; kzkg's prefixes are predeclared). The remote path uses
SPARQLWrapper so that it speaks the protocol exactly as other clients do.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyoxigraph as ox

from kzkg.namespaces import PREFIXES

RESULT_FORMATS = {"json": ox.QueryResultsFormat.JSON, "csv": ox.QueryResultsFormat.CSV, "tsv": ox.QueryResultsFormat.TSV}


class QueryError(Exception):
    """The query is malformed or the endpoint refused it; the message says where and why."""


def run_local(store: ox.Store, text: str):
    try:
        return store.query(text, prefixes=PREFIXES)  # the default graph: see kzkg.store.load_store
    except SyntaxError as malformed:
        raise QueryError(f"malformed query: {malformed}") from malformed


def run_query(text: str, build_dir: Path, endpoint: str | None = None, format_name: str = "table") -> str:
    if endpoint:
        return _run_remote(text, endpoint, format_name)
    from kzkg.store import current_release, open_read_only

    results = run_local(open_read_only(current_release(build_dir)), text)
    if isinstance(results, ox.QueryBoolean):
        results = bool(results)
        return json.dumps({"head": {}, "boolean": results}) + "\n" if format_name == "json" else f"{str(results).lower()}\n"
    if isinstance(results, ox.QueryTriples):
        return results.serialize(format=ox.RdfFormat.TURTLE).decode("utf-8")
    if format_name in RESULT_FORMATS:
        return results.serialize(format=RESULT_FORMATS[format_name]).decode("utf-8")
    variables = [v.value for v in results.variables]
    rows = [[_cell(solution[v]) for v in variables] for solution in results]
    return _table(variables, rows)


def _cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        for prefix, namespace in sorted(PREFIXES.items(), key=lambda item: -len(item[1])):
            local = term.value[len(namespace):]
            if term.value.startswith(namespace) and local and "/" not in local and "#" not in local:
                return f"{prefix}:{term.value[len(namespace):]}"
        return f"<{term.value}>"
    return term.value


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths))
    out = [line, "-+-".join("-" * w for w in widths)]
    out += [" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def _run_remote(text: str, endpoint: str, format_name: str, timeout: float = 60.0) -> str:
    """Through kzkg.link's client: a descriptive User-Agent, retries with back-off on 429/5xx and
    timeouts, and clear errors, as for `kzkg link`; CONSTRUCT/DESCRIBE answers come back as Turtle."""
    from SPARQLWrapper import SPARQLWrapper

    from kzkg.link import LinkError, SparqlClient

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
