"""A remote SPARQL 1.1 store behind kzkg's front: ``kzkg serve --store URL``.

``kzkg publish`` loads a release into the store (every named graph, asserted and inferred) and
records which build it is in ``kzgraph:release``. This backend answers the endpoint and the pages
from that store over the SPARQL 1.1 Protocol (on requests), and keeps every promise the embedded
store keeps:

The dataset
    The store's own default graph differs between products (Virtuoso's is every graph including
    its system graphs, Fuseki's is empty unless ``tdb2:unionDefaultGraph``, GraphDB's is the
    union). So by default (``STORE_DATASET = "explicit"``) each query names the dataset itself,
    on any store that implements the protocol's dataset parameters: as ``default-graph-uri`` the
    one graph that ``kzkg publish`` wrote the default graph into (``kzgraph:default``, the release
    record's ``sd:defaultGraph``; for older records and stores without one, every graph of the
    release but claims' assertion graphs), and, for a query with a GRAPH pattern, the graphs of
    the release record as ``named-graph-uri`` — ``GRAPH ?g`` over exactly kzkg's graphs. Virtuoso
    echoes each dataset parameter as a response header, so there a dataset of many graphs goes
    into the query text as FROM / FROM NAMED instead. ``"native"`` sends none (for a store whose
    default graph is already the union of kzkg's graphs, e.g. QLever or a dedicated Fuseki dataset).
    FROM / FROM NAMED and the protocol parameters may only name graphs of the release: a store
    that dereferences unknown graph IRIs (Fuseki's general datasets do) is never asked to.

Completeness
    Virtuoso caps answers at ``ResultSetMaxRows`` (10000 by default) without an error: SELECT
    answers carry only an ``X-SPARQL-MaxRows`` header, CONSTRUCT answers nothing at all. A SELECT
    is therefore sent with its top-level LIMIT lowered to one row past what we may return, and
    an answer that reaches ``STORE_MAX_ROWS`` rows or triples, or carries that header, is refused
    as too large — it may be cut short. Virtuoso's per-request ``timeout`` returns *partial*
    results, flagged by ``X-SQL-State: S1TAT`` or (plain SELECTs) not at all; an answer flagged
    so or one that took the whole limit becomes a 503, never an answer.

Correctness
    Virtuoso 7 drops an OPTIONAL's bindings after a UNION followed by further OPTIONALs; such
    UNIONs at the top of the WHERE clause are sent as a subquery, which it answers right.

Time
    The store is asked to stop at ``QUERY_TIMEOUT`` (``STORE_TIMEOUT_PARAM``; detected for
    Virtuoso) and our own client-side timeout gives up a little later (504), so a runaway
    query neither hangs a worker nor keeps the store busy.

Identity
    ETags and cached answers are keyed by the build id of the release record, re-read at most
    every ``STORE_CHECK_SECONDS``; a store without a record is served uncached.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import requests
import requests.auth
from urllib3.exceptions import ReadTimeoutError

from kzkg import __version__
from kzkg.namespaces import PREFIXES, is_assertion_graph
from kzkg.store import NoReleaseError, Release, current_release

from .backend import (
    Answer,
    DatasetRefused,
    QueryRequest,
    Row,
    Served,
    Statistics,
    StoreTimeout,
    StoreUnavailable,
    Term,
)
from .executor import Dataset, QueryError, QuerySyntaxError, QueryTimeout, ResultTooLarge, serialise
from .media import ALIASES, BY_MEDIA_TYPE
from .sparql_scan import QueryShape, Token, scan, tokenize

USER_AGENT = f"kzkg/{__version__} (https://w3id.org/kzkg; kzkg serve --store)"
# The store's URL and the low-level reason go to the server's log, not to the public: the store
# is often on an internal address.
log = logging.getLogger("kzkg.remote")
RELEASE_GRAPH = "https://w3id.org/kzkg/id/graph/release"
# The endpoint's default graph as one graph on the store (kzkg.publish.DEFAULT_GRAPH); named in the
# release record as the dataset's sd:defaultGraph, never one of its named graphs.
DEFAULT_GRAPH = "https://w3id.org/kzkg/id/graph/default"
DATASET_IRI = "https://w3id.org/kzkg/id/dataset"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
SD = "http://www.w3.org/ns/sparql-service-description#"
# Virtuoso echoes every dataset parameter as a response header (X-SPARQL-default-graph /
# X-SPARQL-named-graph), and http.client, under requests, refuses an answer with more than 100
# headers. A dataset of more graphs than this goes to Virtuoso as FROM / FROM NAMED in the query
# text instead, which is echoed nowhere.
VIRTUOSO_DATASET_PARAMS = 40
# Named in default-graph-uri / named-graph-uri when the request's dataset has no such graphs:
# an absent parameter would mean "the store's own choice", not "none".
NO_GRAPH = "urn:x-kzkg:no-graph"
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
# Seconds our own clock allows beyond the limit the store was asked to keep, so that the store's
# clearer answer (Virtuoso's S1TAT, Fuseki's 503) normally arrives first.
CLIENT_GRACE = 2.0
# What stores say when they stopped a query at their limit.
STORE_TIMEOUT_TEXT = re.compile(
    r"S1T00|SR171|S1TAT|timed? ?out|timeout|cancel?led|estimated execution time", re.IGNORECASE
)
# Virtuoso's SQL states for a query it cannot run as written (22023: a limit such as paging past
# ResultSetMaxRows; 42000: not permitted, e.g. SERVICE for the SPARQL user; 37000: syntax; S0022:
# a construct its compiler does not support, e.g. a trailing VALUES on an unbound variable), which
# it reports as HTTP 500: they are the query's problem, not the store's failure.
VIRTUOSO_REFUSAL = re.compile(r"^Virtuoso (22\d{3}|42000|37000|S0022) Error")
# Blank-node labels pyoxigraph accepts in results (Virtuoso's are IRIs like nodeID://b10000).
BNODE_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
VIRTUOSO_BNODE = re.compile(r"^nodeID://(\w+)$")
LABEL_BATCH = 200


# --- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    """A store's successful HTTP answer, read whole."""

    content_type: str
    headers: Mapping[str, str]
    body: bytes


class RemoteStore:
    """One SPARQL endpoint and how to talk to it; the HTTP half of :class:`RemoteBackend`.

    Plain SPARQL 1.1 Protocol over requests: a form POST of the query and the dataset parameters,
    content negotiation by Accept only. No retries (the client of this front decides whether to
    ask again; a retry here would double the time it waits) and no redirects: a store that
    redirects is misconfigured for us, is reported instead of followed (a POST would silently turn
    into a GET, and credentials must not travel to another host). Credentials stay with this
    store's sessions (one per thread of the worker), never in a process-wide opener.
    """

    def __init__(
        self,
        url: str,
        user: str | None = None,
        password: str | None = None,
        auth: str = "basic",
        max_bytes: int = 256_000_000,
    ):
        self.url = url
        self.max_bytes = max_bytes
        self._auth: requests.auth.AuthBase | None = None
        if user is not None:
            if auth == "digest":
                self._auth = requests.auth.HTTPDigestAuth(user, password or "")
            elif auth == "basic":  # sent up front: one round trip instead of a 401 first
                self._auth = requests.auth.HTTPBasicAuth(user, password or "")
            else:
                raise ValueError(f"STORE_AUTH must be 'basic' or 'digest', not {auth!r}")
        self._local = threading.local()
        self.server_header: str | None = None

    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
            session.headers["User-Agent"] = USER_AGENT
            session.auth = self._auth
        return session

    def call(self, query: str, accept: str, params: Sequence[tuple[str, str]], timeout: float) -> _Reply:
        """POST one query; map every failure to a QueryError with a message a user can act on."""
        deadline = time.monotonic() + timeout
        try:
            response = self._session().post(
                self.url,
                data=[("query", query), *params],
                headers={"Accept": accept},
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectTimeout:
            raise StoreTimeout(f"the SPARQL store did not accept a connection within {timeout:g} s") from None
        except requests.Timeout:
            raise self._no_answer(timeout) from None
        except requests.ConnectionError as failed:
            log.error("cannot reach the SPARQL store at %s: %s", self.url, failed)
            raise StoreUnavailable(
                "cannot reach the SPARQL store behind this endpoint; it may be down or restarting, retry shortly"
            ) from None
        with response:
            self.server_header = response.headers.get("Server")
            if response.status_code >= 300:
                raise self._http_error(response)
            try:
                body = self._read(response, deadline, timeout)
            except requests.RequestException as failed:  # reset, cut off or stalled mid-answer
                if any(isinstance(arg, ReadTimeoutError) for arg in failed.args):
                    raise self._no_answer(timeout) from None
                log.error("the connection to the SPARQL store at %s failed: %r", self.url, failed)
                raise StoreUnavailable(
                    "the connection to the SPARQL store behind this endpoint failed mid-answer; retry shortly"
                ) from None
        headers = {key.lower(): value for key, value in response.headers.items()}
        return _Reply(headers.get("content-type", "").split(";")[0].strip().lower(), headers, body)

    @staticmethod
    def _no_answer(timeout: float) -> StoreTimeout:
        return StoreTimeout(
            f"the SPARQL store gave no answer within {timeout:g} s; the query was abandoned "
            f"(narrow the pattern or add a LIMIT)"
        )

    def _read(self, response: requests.Response, deadline: float, timeout: float) -> bytes:
        parts: list[bytes] = []
        size = 0
        for chunk in response.iter_content(1 << 20):
            if time.monotonic() > deadline:
                raise self._no_answer(timeout)
            size += len(chunk)
            if size > self.max_bytes:
                raise ResultTooLarge(
                    f"result too large: the store's answer exceeds {self.max_bytes} bytes, the "
                    f"limit of this endpoint; add a LIMIT or narrow the pattern"
                )
            parts.append(chunk)
        return b"".join(parts)

    def _http_error(self, failed: requests.Response) -> QueryError:
        try:
            text = next(failed.iter_content(4000), b"").decode("utf-8", "replace").strip()
        except requests.RequestException:
            text = ""
        text = (text or failed.reason or "").split("\n\nSPARQL query:", 1)[0].strip()  # Virtuoso echoes the query
        code = failed.status_code
        if 300 <= code < 400:
            log.error(
                "the SPARQL store at %s redirects (HTTP %s) to %s; configure its final URL",
                self.url,
                code,
                failed.headers.get("Location"),
            )
            return StoreUnavailable(
                f"the SPARQL store behind this endpoint answered with a redirect (HTTP {code}), "
                f"which is not followed; the server's store URL needs updating"
            )
        if code in (401, 403) and not STORE_TIMEOUT_TEXT.search(text):
            log.error("the SPARQL store at %s refused our credentials (HTTP %s): %s", self.url, code, text[:300])
            return StoreUnavailable(
                f"the SPARQL store refused this server's credentials (HTTP {code}); check "
                f"STORE_USER / STORE_PASSWORD / STORE_AUTH"
            )
        if code == 404:
            log.error("no SPARQL endpoint at %s (HTTP 404)", self.url)
            return StoreUnavailable(
                "the SPARQL store behind this endpoint has no SPARQL service at the configured URL (HTTP 404)"
            )
        if code in (503, 504) or (code >= 500 and STORE_TIMEOUT_TEXT.search(text)):
            return QueryTimeout(f"the SPARQL store stopped the query at its time limit: {text[:500]}")
        if 400 <= code < 500 or VIRTUOSO_REFUSAL.match(text):
            return QuerySyntaxError(f"the SPARQL store refused the query (HTTP {code}): {text[:1000]}")
        return StoreUnavailable(f"the SPARQL store failed (HTTP {code}): {text[:1000]}")


# --- reading answers -------------------------------------------------------------------------


def _clean_bnode(label: str) -> str:
    """A blank-node label pyoxigraph accepts, stable for the same input label."""
    if BNODE_LABEL.match(label):
        return label
    virtuoso = VIRTUOSO_BNODE.match(label)
    if virtuoso:
        return "nodeID-" + virtuoso.group(1)
    return "x" + label.encode("utf-8").hex()


def _normalise_json(body: bytes, labels: dict[str, str] | None = None) -> bytes:
    """Rewrite blank-node labels that are not valid RDF syntax, remembering the originals."""
    if b'"bnode"' not in body:
        return body
    try:
        document = json.loads(body)
        for binding in document.get("results", {}).get("bindings", []):
            for value in binding.values():
                if value.get("type") == "bnode":
                    original = value["value"]
                    value["value"] = _clean_bnode(original)
                    if labels is not None:
                        labels[value["value"]] = original
    except (ValueError, AttributeError, KeyError, TypeError) as malformed:
        raise StoreUnavailable(f"the SPARQL store sent malformed JSON results: {malformed}") from None
    return json.dumps(document).encode("utf-8")


def _results(
    reply: _Reply, form: str | None, labels: dict[str, str] | None = None
) -> ox.QuerySolutions | ox.QueryBoolean:
    """Parse SELECT / ASK results (JSON or XML) into pyoxigraph's own result objects."""
    if reply.content_type in ("application/sparql-results+json", "application/json"):
        body, results_format = _normalise_json(reply.body, labels), ox.QueryResultsFormat.JSON
    elif reply.content_type in ("application/sparql-results+xml", "application/xml", "text/xml"):
        body, results_format = reply.body, ox.QueryResultsFormat.XML
    else:
        raise StoreUnavailable(
            f"the SPARQL store answered with {reply.content_type or 'no Content-Type'}, not SPARQL results"
        )
    try:
        parsed = ox.parse_query_results(body, format=results_format)
        if form == "ASK" and isinstance(parsed, ox.QuerySolutions):
            parsed = _ask_from_rows(parsed)
    except SyntaxError as malformed:
        raise StoreUnavailable(f"the SPARQL store sent results that do not parse: {malformed}") from None
    return parsed


def _ask_from_rows(rows: ox.QuerySolutions) -> ox.QueryBoolean:
    """Virtuoso 7 answers ASK as a one-column table ``__ASK_RETVAL`` (1, or no row for false)."""
    names = [v.value for v in rows.variables]
    if names != ["__ASK_RETVAL"]:
        raise StoreUnavailable(f"the SPARQL store answered an ASK query with a table of {names}")
    truth = any(row["__ASK_RETVAL"] is not None and row["__ASK_RETVAL"].value not in ("0", "false") for row in rows)
    answer = ox.parse_query_results(
        json.dumps({"head": {}, "boolean": truth}).encode(), format=ox.QueryResultsFormat.JSON
    )
    assert isinstance(answer, ox.QueryBoolean)  # a JSON document with "boolean" parses as one
    return answer


def _text(term: Term) -> str:
    """A term's lexical value: where kzkg reads ids, graph names, counts and predicates, never a quoted triple."""
    if isinstance(term, ox.Triple):
        raise StoreUnavailable(f"the SPARQL store answered with the quoted triple {term} where a term was expected")
    return term.value


def _graph(reply: _Reply) -> ox.QuadParser:
    canonical = ALIASES.get(reply.content_type, reply.content_type)
    media = BY_MEDIA_TYPE.get(canonical)
    if media is None or media.rdf is None or media.rdf.supports_datasets:
        raise StoreUnavailable(
            f"the SPARQL store answered a graph query with {reply.content_type or 'no Content-Type'}"
        )
    return ox.parse(reply.body, format=media.rdf)


# --- rewriting a query for the store ----------------------------------------------------------


def prologue(shape: QueryShape, base_iri: str | None, prefixes: Mapping[str, str]) -> str:
    """BASE and the predeclared prefixes the query does not declare, on one line ahead of the query
    (the query's own line numbers stay as they are in the store's error messages)."""
    parts = [f"BASE <{base_iri}>"] if base_iri else []
    parts += [
        f"PREFIX {name}: <{namespace}>" for name, namespace in prefixes.items() if name not in shape.declared_prefixes
    ]
    return " ".join(parts) + " " if parts else ""


@dataclass(frozen=True)
class TopLevel:
    """A SELECT's solution modifiers as the scanner's tokens show them at brace depth 0: the
    top-level LIMIT's number token (start, text), whether it has LIMIT or OFFSET, and where a
    trailing VALUES clause starts."""

    limit: tuple[int, str] | None
    sliced: bool
    values_at: int | None


def top_level(query: str) -> TopLevel:
    """Read the top level of a query (strings, IRIs and comments are never mistaken for keywords):
    at brace depth 0, LIMIT / OFFSET can only be the query's solution modifiers and VALUES only its
    trailing values clause."""
    depth = 0
    limit: tuple[int, str] | None = None
    sliced = False
    values_at: int | None = None
    tokens = list(tokenize(query))
    for index, token in enumerate(tokens):
        if token.text in ("{", "{|"):
            depth += 1
        elif token.text in ("}", "|}"):
            depth -= 1
        elif depth == 0 and token.kind == "NAME":
            word = token.text.upper()
            if word in ("LIMIT", "OFFSET"):
                sliced = True
                if word == "LIMIT" and index + 1 < len(tokens) and tokens[index + 1].kind == "NUMBER":
                    limit = (tokens[index + 1].start, tokens[index + 1].text)
            elif word == "VALUES" and values_at is None:
                values_at = token.start
    return TopLevel(limit, sliced, values_at)


def cap_limit(query: str, limit: int) -> str:
    """The SELECT query with its top-level LIMIT at most ``limit`` (added when it has none), so the
    store stops one row past what we may return instead of computing the whole answer.

    A query with a trailing VALUES is left alone: Virtuoso 7 applies LIMIT *before* joining that
    clause (4,589 of 10,944 rows for a LIMIT of 10,000 in tests/test_remote_store.py), so an added
    LIMIT would itself cut the answer short; the row-cap check after the answer still guards it.
    """
    top = top_level(query)
    if top.values_at is not None:
        return query
    if top.limit is not None:
        start, text = top.limit
        if text.isdigit() and int(text) <= limit:
            return query
        return query[:start] + str(limit) + query[start + len(text) :]
    return query + f"\nLIMIT {limit}\n"


def _closing(tokens: Sequence[Token], opening: int) -> int:
    """The index of the token closing the brace at ``opening`` (the last index if it is unclosed)."""
    depth = 0
    for index in range(opening, len(tokens)):
        if tokens[index].text in ("{", "{|"):
            depth += 1
        elif tokens[index].text in ("}", "|}"):
            depth -= 1
            if depth == 0:
                return index
    return len(tokens) - 1


def _where_at(tokens: Sequence[Token]) -> int | None:
    """The index of the token that starts the query's WHERE clause (the keyword, or its ``{`` when
    the keyword is left out): where a dataset clause goes. None for a DESCRIBE without one."""
    index, form = 0, None
    while index < len(tokens) and form is None:
        token = tokens[index]
        if token.kind == "NAME" and token.text.upper() in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            form = token.text.upper()
        index += 1
    if form == "CONSTRUCT" and index < len(tokens) and tokens[index].text == "{":
        index = _closing(tokens, index) + 1  # the template
    parens = 0
    for at in range(index, len(tokens)):
        token = tokens[at]
        if token.text in ("(", "<<("):
            parens += 1
        elif token.text in (")", ")>>"):
            parens -= 1
        elif parens == 0 and (token.text == "{" or (token.kind == "NAME" and token.text.upper() == "WHERE")):
            return at
    return None


def uses_named_graphs(query: str) -> bool:
    """Whether the query has a GRAPH pattern: one without cannot see the named graphs, so the store
    need not be told which they are (on Virtuoso, naming hundreds costs ~70 ms a query)."""
    return any(token.kind == "NAME" and token.text.upper() == "GRAPH" for token in tokenize(query))


def dataset_in_text(query: str, params: Sequence[tuple[str, str]]) -> str | None:
    """The query with the dataset of ``params`` written as FROM / FROM NAMED ahead of its WHERE
    clause (for a query that has no dataset clause of its own), or None where there is no WHERE
    clause to put it before."""
    tokens = list(tokenize(query))
    at = _where_at(tokens)
    if at is None:
        return None
    clause = " ".join(
        f"{'FROM' if name == 'default-graph-uri' else 'FROM NAMED'} {ox.NamedNode(graph)}" for name, graph in params
    )
    start = tokens[at].start
    return f"{query[:start]}{clause} {query[start:]}"


_NOT_BARE_AFTER = frozenset({"OPTIONAL", "MINUS", "EXISTS"})


def isolate_unions(query: str) -> str:
    """Virtuoso 7 drops bindings of an OPTIONAL that follows a UNION when a second OPTIONAL follows
    it (`{A} UNION {B} OPTIONAL {?c :date ?d} OPTIONAL {?c :dateText ?t}` loses ?d for some rows
    that have one: the Tokayev page's claims of article 000). The same pattern as a subquery,
    ``{ SELECT * WHERE { {A} UNION {B} } } OPTIONAL … OPTIONAL …``, has the same solutions and is
    answered right, so each UNION at the top of the WHERE clause that an OPTIONAL follows is sent so."""
    tokens = list(tokenize(query))
    at = _where_at(tokens)
    if at is not None and tokens[at].text != "{":
        at += 1
    if at is None or at >= len(tokens) or tokens[at].text != "{":
        return query
    end = _closing(tokens, at)
    chains: list[tuple[int, int]] = []
    index = at + 1
    while index < end:
        token = tokens[index]
        if token.text not in ("{", "{|"):
            index += 1
            continue
        close = _closing(tokens, index)
        before = [t.text.upper() if t.kind == "NAME" else t.text for t in tokens[max(index - 3, 0) : index]]
        bare = token.text == "{" and not (
            (before and before[-1] in _NOT_BARE_AFTER)
            or (len(before) >= 2 and before[-2] in ("GRAPH", "SERVICE"))
            or (len(before) >= 3 and before[-3] == "SERVICE" and before[-2] == "SILENT")
        )
        first, unions = index, 0
        while (
            bare
            and close + 2 < end
            and tokens[close + 1].kind == "NAME"
            and tokens[close + 1].text.upper() == "UNION"
            and tokens[close + 2].text == "{"
        ):
            close, unions = _closing(tokens, close + 2), unions + 1
        if unions and any(
            t.kind == "NAME" and t.text.upper() == "OPTIONAL" for t in _top_level_tokens(tokens, close + 1, end)
        ):
            chains.append((tokens[first].start, tokens[close].start + len(tokens[close].text)))
        index = close + 1
    for start, stop in reversed(chains):
        query = f"{query[:start]}{{ SELECT * WHERE {{ {query[start:stop]} }} }}{query[stop:]}"
    return query


def _top_level_tokens(tokens: Sequence[Token], start: int, end: int) -> Iterable[Token]:
    """The tokens between ``start`` and ``end`` outside any nested group."""
    depth = 0
    for token in tokens[start:end]:
        if token.text in ("{", "{|"):
            depth += 1
        elif token.text in ("}", "|}"):
            depth -= 1
        elif depth == 0:
            yield token


# --- the backend ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    build_id: str | None
    graphs: tuple[str, ...]
    statistics: Statistics | None
    default_graph: str | None = None  # the graph holding the default graph (None: records before it)


RECORD_QUERY = f"""SELECT ?id ?union ?default ?graph ?n WHERE {{ GRAPH <{RELEASE_GRAPH}> {{
  <{DATASET_IRI}> <{DCTERMS}identifier> ?id .
  OPTIONAL {{ <{DATASET_IRI}> <{VOID}triples> ?union }}
  OPTIONAL {{ <{DATASET_IRI}> <{SD}defaultGraph> ?default }}
  OPTIONAL {{ <{DATASET_IRI}> <{DCTERMS}hasPart> ?graph OPTIONAL {{ ?graph <{VOID}triples> ?n }} }}
}} }}"""


class RemoteBackend:
    """Answers from a remote SPARQL store; see the module docstring."""

    kind = "remote"

    def __init__(self, config: Mapping[str, Any], build_dir: Path | None = None):
        self.config = config
        self.build_dir = Path(build_dir) if build_dir else None
        password = config.get("STORE_PASSWORD")
        user = config.get("STORE_USER")
        self.store = RemoteStore(
            str(config["STORE_URL"]),
            None if user is None else str(user),
            None if password is None else str(password),
            str(config["STORE_AUTH"]),
            int(config["STORE_MAX_BYTES"]),
        )
        self.max_rows = int(config["STORE_MAX_ROWS"] or 0)  # 0: the store has no silent cap
        self.dataset_mode = str(config["STORE_DATASET"])
        if self.dataset_mode not in ("explicit", "native"):
            raise ValueError(f"STORE_DATASET must be 'explicit' or 'native', not {self.dataset_mode!r}")
        self.timeout_param = config["STORE_TIMEOUT_PARAM"]
        self.check_seconds = float(config["STORE_CHECK_SECONDS"])
        self.resource_base = str(config["RESOURCE_BASE"])
        self._lock = threading.Lock()
        self._served: tuple[float, Served] | None = None
        # build id -> the graph that holds its default graph (None: a record from before there was one)
        self._default_graphs: dict[str | None, str | None] = {}

    def start(self) -> None:
        """Nothing to start: no executor children, the store does the work."""

    # -- what is served

    def served(self) -> Served:
        with self._lock:
            cached = self._served
        if cached is not None and time.monotonic() - cached[0] < self.check_seconds:
            return cached[1]
        record = self._read_record(float(self.config["QUERY_TIMEOUT"]))
        if record.build_id is not None and record.default_graph is None and record.build_id not in self._default_graphs:
            log.warning(
                "the SPARQL store's release record (build %s) names no default graph: it was written by an "
                "older kzkg publish; the default graph is sent as the list of its %d graphs, which is slower. "
                "Run kzkg publish again.",
                record.build_id,
                len([g for g in record.graphs if not is_assertion_graph(g)]),
            )
        self._default_graphs[record.build_id] = record.default_graph
        served = Served(
            build_id=record.build_id,
            release=self._local_release(record.build_id),
            graphs=record.graphs,
            statistics=record.statistics,
        )
        with self._lock:
            self._served = (time.monotonic(), served)
        return served

    def _read_record(self, timeout: float) -> _Record:
        """The release record ``kzkg publish`` wrote; without one, kzkg's graphs found by name."""
        rows = self._rows(RECORD_QUERY, (), timeout)
        ids = sorted({_text(row["id"]) for row in rows if "id" in row})
        if ids:
            counts = {_text(row["graph"]): int(_text(row["n"])) for row in rows if "graph" in row and "n" in row}
            graphs = tuple(sorted({_text(row["graph"]) for row in rows if "graph" in row}))
            unions = [int(_text(row["union"])) for row in rows if "union" in row]
            defaults = sorted({_text(row["default"]) for row in rows if "default" in row})
            stats = (
                Statistics(tuple((g, counts[g]) for g in graphs), unions[0])
                if unions and set(counts) == set(graphs)
                else None
            )
            return _Record(ids[0], graphs, stats, defaults[0] if defaults else None)
        prefix, assertions = self.resource_base + "graph/", self.resource_base + "assertion/"
        # claims' assertion graphs are kzkg's graphs too (named graphs only); kzgraph:default is left
        # out: without a record (a publish under way) it may be half written
        found = self._rows(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
            f'FILTER((STRSTARTS(STR(?g), "{prefix}") || STRSTARTS(STR(?g), "{assertions}")) '
            f"&& ?g != <{RELEASE_GRAPH}> && ?g != <{DEFAULT_GRAPH}>) }}",
            (),
            timeout,
        )
        return _Record(None, tuple(sorted(_text(row["g"]) for row in found if "g" in row)), None)

    def _local_release(self, build_id: str | None) -> Release | None:
        """The local copy of the served build, if this server has one (for dumps and article files)."""
        if self.build_dir is None or build_id is None:
            return None
        try:
            release = current_release(self.build_dir)
        except NoReleaseError:
            return None
        return release if release.build_id == build_id else None

    def statistics(self, served: Served) -> Statistics:
        if served.statistics is not None:
            return served.statistics
        timeout = float(self.config["QUERY_TIMEOUT"])
        params = [("named-graph-uri", g) for g in served.graphs or ()] if self.dataset_mode == "explicit" else []
        rows = self._rows("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g", params, timeout)
        graphs = tuple(sorted((_text(row["g"]), int(_text(row["n"]))) for row in rows if "g" in row))
        return Statistics(graphs, sum(n for _, n in graphs))

    # -- the endpoint

    def query(self, served: Served, request: QueryRequest, timeout: float) -> Answer:
        shape = request.shape
        if shape is None or shape.form not in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"):
            raise QuerySyntaxError(
                "not a SPARQL 1.1 query: after the prologue (BASE, PREFIX) a query starts with "
                "SELECT, CONSTRUCT, DESCRIBE or ASK; store-specific extensions are not accepted"
            )
        params = self._dataset_params(served, request.dataset, shape, request.query)
        if shape.form == "SELECT" and self.is_virtuoso():
            top = top_level(request.query)
            if top.sliced and top.values_at is not None:
                raise QuerySyntaxError(
                    "the SPARQL store behind this endpoint (Virtuoso) applies LIMIT / OFFSET before "
                    "a trailing VALUES clause and would answer this query incompletely; move the "
                    "VALUES block into the WHERE clause"
                )
        text = request.query
        effective = self._effective_limit(request.max_results)
        if shape.form == "SELECT":
            text = cap_limit(text, effective + 1)
        if self.is_virtuoso():
            text = isolate_unions(text)
        text = prologue(shape, request.base_iri, request.prefixes) + text
        started = time.perf_counter()
        graph_form = shape.form in ("CONSTRUCT", "DESCRIBE")
        accept = GRAPH_ACCEPT if graph_form else RESULTS_ACCEPT
        reply = self._call(text, accept, params, timeout, in_text=not shape.has_dataset_clause)
        result = _graph(reply) if graph_form else _results(reply, shape.form)
        try:
            body, count = serialise(result, request.media_type, effective, request.prefixes)
        except SyntaxError as malformed:  # a graph answer is parsed while it is serialised
            raise StoreUnavailable(f"the SPARQL store sent a graph that does not parse: {malformed}") from None
        self._check_cap(reply, count, effective, "triples" if graph_form else "rows")
        return Answer(body, request.media_type, count, time.perf_counter() - started)

    def _effective_limit(self, max_results: int) -> int:
        """What we may return: MAX_RESULTS, and below the store's silent cap, where a full answer
        cannot be told from a cut one."""
        return min(max_results, self.max_rows - 1) if self.max_rows else max_results

    def _check_cap(self, reply: _Reply, count: int | None, effective: int, what: str) -> None:
        capped = reply.headers.get("x-sparql-maxrows")
        if capped or (self.max_rows and count is not None and count >= self.max_rows):
            cap = capped or self.max_rows
            raise ResultTooLarge(
                f"result too large: the query produces {count} {what} or more, and the SPARQL store "
                f"behind this endpoint returns at most {cap} (a longer answer would be cut short "
                f"without notice). Add a LIMIT (at most {effective}) or narrow the pattern; use "
                f"ORDER BY with LIMIT/OFFSET to page."
            )

    def _dataset_params(self, served: Served, dataset: Dataset, shape: QueryShape, query: str) -> list[tuple[str, str]]:
        """The dataset as protocol parameters, after checking that it names only the release's graphs."""
        known = set(served.graphs or ())
        if dataset.default_graphs is not None or dataset.named_graphs is not None:
            self._check_known([*(dataset.default_graphs or ()), *(dataset.named_graphs or ())], known, "the request")
            return [("default-graph-uri", g) for g in dataset.default_graphs or (NO_GRAPH,)] + [
                ("named-graph-uri", g) for g in dataset.named_graphs or (NO_GRAPH,)
            ]
        if shape.has_dataset_clause:
            self._check_known(list(shape.dataset_graphs), known, "FROM / FROM NAMED")
            return []
        return self.union_params(served, named=uses_named_graphs(query))

    @staticmethod
    def _check_known(graphs: Iterable[str | None], known: set[str], where: str) -> None:
        for graph in graphs:
            if graph is None:
                raise DatasetRefused(
                    f"{where} must name graphs by absolute IRIs (a relative IRI or an undeclared prefix was given)"
                )
            if graph not in known:
                listing = ", ".join(f"<{g}>" for g in sorted(known)) or "none"
                raise DatasetRefused(
                    f"{where} names <{graph}>, which is not a graph of this dataset; this endpoint "
                    f"only selects graphs it serves and never loads one. Its graphs: {listing}"
                )

    def _call(
        self, text: str, accept: str, params: Sequence[tuple[str, str]], timeout: float, in_text: bool = True
    ) -> _Reply:
        """One round trip, with the store asked to stop at ``timeout`` and our own clock a little later.

        A dataset of more graphs than Virtuoso can echo as headers is written into the query as FROM /
        FROM NAMED (``in_text``: the query has no dataset clause of its own to collide with)."""
        params = list(params)
        if len(params) > VIRTUOSO_DATASET_PARAMS and self.is_virtuoso():
            written = dataset_in_text(text, params) if in_text else None
            if written is None:
                raise DatasetRefused(
                    f"the request names {len(params)} graphs in default-graph-uri / named-graph-uri; the SPARQL "
                    f"store behind this endpoint (Virtuoso) takes at most {VIRTUOSO_DATASET_PARAMS} there; name "
                    f"them with FROM / FROM NAMED in a query without a dataset clause"
                )
            text, params = written, []
        store_limit = self._timeout_param(timeout)
        if store_limit is not None:
            params.append(store_limit)
        started = time.monotonic()
        reply = self.store.call(text, accept, params, timeout + (CLIENT_GRACE if store_limit else 0.0))
        # Virtuoso's "anytime" limit also ends plain SELECTs with whatever rows it had, as HTTP 200
        # without S1TAT (ANNOTATIONS_ON over one graph: 170 of 522 rows at a 1 s limit): an answer that
        # took the whole limit may be cut, so it is refused like one the store said it stopped.
        if reply.headers.get("x-sql-state", "").upper() == "S1TAT" or (
            store_limit is not None and time.monotonic() - started >= timeout
        ):
            raise QueryTimeout(
                f"query exceeded the {timeout:g} s time limit and was stopped by the SPARQL store, "
                f"which would have returned incomplete results; narrow the pattern or add a LIMIT"
            )
        return reply

    def is_virtuoso(self) -> bool:
        """Whether the store said it is Virtuoso (its Server header, seen on the first answer; a proxy in
        between may add its own name to it)."""
        return "virtuoso/" in (self.store.server_header or "").lower()

    def _timeout_param(self, timeout: float) -> tuple[str, str] | None:
        """The store's own per-query limit as a request parameter: STORE_TIMEOUT_PARAM is a template
        such as ``timeout={ms}`` (Virtuoso) or ``timeout={s}`` (Fuseki, GraphDB); "auto" uses
        Virtuoso's when the store says it is Virtuoso; None or "" sends nothing."""
        template = self.timeout_param
        if template == "auto":
            template = "timeout={ms}" if self.is_virtuoso() else None
        if not template:
            return None
        name, _, value = str(template).partition("=")
        return name, value.format(ms=int(timeout * 1000), s=max(1, round(timeout)))

    def _rows(
        self, text: str, params: Sequence[tuple[str, str]], timeout: float, labels: dict[str, str] | None = None
    ) -> list[Row]:
        """A SELECT for our own use (pages, the release record), as rows of pyoxigraph terms; an answer
        the store may have cut short is an error here too."""
        reply = self._call(text, RESULTS_ACCEPT, params, timeout)
        solutions = _results(reply, "SELECT", labels)
        if not isinstance(solutions, ox.QuerySolutions):
            raise StoreUnavailable("the SPARQL store answered a SELECT query with a boolean")
        names = [v.value for v in solutions.variables]
        rows = [{name: row[name] for name in names if row[name] is not None} for row in solutions]
        if reply.headers.get("x-sparql-maxrows") or (self.max_rows and len(rows) >= self.max_rows):
            raise ResultTooLarge(
                f"the SPARQL store's answer reached its limit of {self.max_rows} rows and may be "
                f"incomplete; this page cannot be shown from it"
            )
        return rows

    # -- the pages

    def reader(self, served: Served, timeout: float) -> RemoteReader:
        return RemoteReader(self, served, timeout)

    def union_params(self, served: Served, named: bool = True) -> list[tuple[str, str]]:
        """The dataset of a request that names none (nothing, in "native" mode: the store's default
        is it): as the default graph the one graph ``kzkg publish`` wrote it into, and kzkg's graphs
        as the named graphs when the query can see them (``named``: it has a GRAPH pattern).

        A release record without a default graph (written before ``kzkg publish`` wrote one) or no
        record at all falls back to naming every graph but claims' assertion graphs as the default
        graph: the same answers, only slower, rather than an endpoint that is down until the next
        publish."""
        if self.dataset_mode == "native":
            return []
        graphs = sorted(served.graphs or ()) or [NO_GRAPH]
        default = self._default_graphs.get(served.build_id) if served.build_id is not None else None
        # claims' assertion graphs are named graphs only, never part of the default graph
        if default and self.is_virtuoso():
            # Virtuoso 7 plans an OPTIONAL with a FILTER against exactly one default graph ~300x slower
            # (the article pages' annotations: 6-12 s instead of 20-40 ms); a second, empty one avoids it
            curated = [default, NO_GRAPH]
        else:
            curated = [default] if default else [g for g in graphs if not is_assertion_graph(g)] or [NO_GRAPH]
        return [("default-graph-uri", g) for g in curated] + ([("named-graph-uri", g) for g in graphs] if named else [])


def _sparql_term(term: Term, labels: Mapping[str, str]) -> str | None:
    """A term as SPARQL syntax, or None for a blank node the store gave no way to name again."""
    if isinstance(term, ox.BlankNode):
        original = labels.get(term.value, "")
        return f"<{original}>" if original.startswith("nodeID://") else None  # Virtuoso's bnode IRIs
    return str(term)


class RemoteReader:
    """The pages' view of a remote store, for one request: every answer is kept for the request,
    and a subject's statements are fetched whole once (its labels, types and facts come from one
    round trip); ``warm`` fetches labels for many subjects in one query.

    Blank nodes from Virtuoso (``nodeID://…``) can be followed; other stores' blank nodes cannot be
    named in a later query, so their statements are not shown (kzkg's data has blank nodes only in
    the ontology's OWL axioms, which no resource page is about).
    """

    def __init__(self, backend: RemoteBackend, served: Served, timeout: float):
        self.backend = backend
        self.served = served
        self.timeout = timeout
        # Statement lookups name their graph (GRAPH ?g), so they need only the named graphs; Virtuoso
        # 7 also plans `?s ?p <o>` with a LIMIT badly (0.8 s instead of 20 ms) when default graphs are given.
        self.graph_params = [(name, value) for name, value in backend.union_params(served) if name == "named-graph-uri"]
        self.labels: dict[str, str] = {}  # blank-node label as parsed -> as the store wrote it
        self._subjects: dict[Term, list[ox.Quad]] = {}
        self._pairs: dict[tuple[Term, str], list[ox.Quad]] = {}
        self._patterns: dict[tuple[Any, ...], list[ox.Quad]] = {}

    def select(self, sparql: str) -> list[Row]:
        params = self.backend.union_params(self.served, named=uses_named_graphs(sparql))
        if self.backend.is_virtuoso():
            sparql = isolate_unions(sparql)
        text = prologue(scan(sparql, PREFIXES), None, PREFIXES) + sparql
        return self.backend._rows(text, params, self.timeout, self.labels)

    def has_graph(self, graph: ox.NamedNode) -> bool:
        return graph.value in (self.served.graphs or ())

    def quads(
        self,
        subject: ox.NamedNode | ox.BlankNode | None,
        predicate: ox.NamedNode | None,
        obj: Term | None,
        graph: ox.NamedNode | None = None,
        limit: int | None = None,
    ) -> Iterable[ox.Quad]:
        # graph None: every graph but claims' assertion graphs, as the embedded reader
        if subject is not None and obj is None:
            if subject not in self._subjects and predicate is not None and (subject, predicate.value) in self._pairs:
                found = self._pairs[(subject, predicate.value)]
            else:
                found = self._subject(subject)
            return [
                q
                for q in found
                if (predicate is None or q.predicate == predicate)
                and (q.graph_name == graph if graph is not None else not is_assertion_graph(q.graph_name))
            ][:limit]
        key = (subject, predicate, obj, graph, limit)
        if key not in self._patterns:
            self._patterns[key] = self._fetch(subject, predicate, obj, graph, limit)
        if graph is None:
            return [q for q in self._patterns[key] if not is_assertion_graph(q.graph_name)]
        return self._patterns[key]

    def _subject(self, subject: ox.NamedNode | ox.BlankNode) -> list[ox.Quad]:
        if subject not in self._subjects:
            self._subjects[subject] = self._fetch(subject, None, None, None, None)
        return self._subjects[subject]

    def _fetch(
        self,
        subject: Term | None,
        predicate: ox.NamedNode | None,
        obj: Term | None,
        graph: ox.NamedNode | None,
        limit: int | None,
    ) -> list[ox.Quad]:
        positions = {"s": subject, "p": predicate, "o": obj}
        pattern = []
        for name, term in positions.items():
            if term is None:
                pattern.append(f"?{name}")
            else:
                written = _sparql_term(term, self.labels)
                if written is None:
                    return []
                pattern.append(written)
        where = f"GRAPH {'?g' if graph is None else str(graph)} {{ {' '.join(pattern)} }}"
        text = f"SELECT * WHERE {{ {where} }}" + (f" LIMIT {int(limit)}" if limit is not None else "")
        quads = []
        for row in self.backend._rows(text, self.graph_params, self.timeout, self.labels):
            terms = {name: row.get(name, term) for name, term in positions.items()}
            graph_name = row.get("g", graph)
            quads.append(ox.Quad(terms["s"], terms["p"], terms["o"], graph_name))  # type: ignore[arg-type]
        return quads

    def warm(self, subjects: Iterable[ox.NamedNode], predicates: Iterable[str]) -> None:
        wanted = [ox.NamedNode(p) for p in predicates]
        todo = sorted(
            {
                s
                for s in subjects
                if isinstance(s, ox.NamedNode)
                and s not in self._subjects
                and any((s, p.value) not in self._pairs for p in wanted)
            },
            key=lambda s: s.value,
        )
        for start in range(0, len(todo), LABEL_BATCH):
            batch = todo[start : start + LABEL_BATCH]
            text = (
                f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {' '.join(str(s) for s in batch)} }} "
                f"VALUES ?p {{ {' '.join(str(p) for p in wanted)} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            )
            for s in batch:
                for p in wanted:
                    self._pairs.setdefault((s, p.value), [])
            for row in self.backend._rows(text, self.graph_params, self.timeout, self.labels):
                self._pairs[(row["s"], _text(row["p"]))].append(ox.Quad(row["s"], row["p"], row["o"], row["g"]))  # type: ignore[arg-type]


def check_settings(config: Mapping[str, Any]) -> None:
    """Fail at start-up on a malformed remote configuration rather than on the first request."""
    if not str(config.get("STORE_URL") or "").startswith(("http://", "https://")):
        raise ValueError(f"STORE_URL must be an http(s) URL of a SPARQL endpoint, not {config.get('STORE_URL')!r}")
    if str(config.get("STORE_AUTH")) not in ("basic", "digest"):
        raise ValueError("STORE_AUTH must be 'basic' or 'digest'")
