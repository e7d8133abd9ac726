"""The HTTP client of a SPARQL store, and reading its answers into pyoxigraph's result objects.

:class:`RemoteStore` speaks the SPARQL 1.1 Protocol (a form POST, content negotiation by Accept)
and turns every way a store can fail — no connection, a redirect, refused credentials, its own time
limit, an answer past ``STORE_MAX_BYTES``, a connection cut mid-answer — into a
:class:`~kzkg_server.query_errors.QueryError` a user can act on; the store's URL and the low-level
reason go to the server's log only, since the store is often on an internal address.

The readers parse what the store sent (SPARQL results in JSON or XML, a graph in any RDF syntax
of :mod:`kzkg_server.media` without datasets) and smooth over what stores do differently: blank-node
labels that are not RDF syntax (Virtuoso's ``nodeID://…``) are rewritten and remembered, and
Virtuoso 7's one-column table answering an ASK becomes a boolean.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyoxigraph as ox
import requests
import requests.auth
from urllib3.exceptions import ReadTimeoutError

from kzkg import __version__
from kzkg.namespaces import HOME

from .backend import StoreTimeout, StoreUnavailable, Term
from .media import ALIASES, BY_MEDIA_TYPE
from .query_errors import QueryError, QuerySyntaxError, QueryTimeout, ResultTooLarge

USER_AGENT = f"kzkg/{__version__} ({HOME}; kzkg serve --store)"
# The store's URL and the low-level reason go to the server's log, not to the public: the store
# is often on an internal address.
log = logging.getLogger("kzkg.remote")
RESULTS_ACCEPT = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
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


# --- HTTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A store's successful HTTP answer, read whole."""

    content_type: str
    headers: Mapping[str, str]
    body: bytes


class RemoteStore:
    """One SPARQL endpoint and how to talk to it; the HTTP half of
    :class:`kzkg_server.remote.RemoteBackend`.

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

    def call(self, query: str, accept: str, params: Sequence[tuple[str, str]], timeout: float) -> Reply:
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
        return Reply(headers.get("content-type", "").split(";")[0].strip().lower(), headers, body)

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


def read_results(
    reply: Reply, form: str | None, labels: dict[str, str] | None = None
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


def term_text(term: Term) -> str:
    """A term's lexical value: where kzkg reads ids, graph names, counts and predicates, never a quoted triple."""
    if isinstance(term, ox.Triple):
        raise StoreUnavailable(f"the SPARQL store answered with the quoted triple {term} where a term was expected")
    return term.value


def read_graph(reply: Reply) -> ox.QuadParser:
    canonical = ALIASES.get(reply.content_type, reply.content_type)
    media = BY_MEDIA_TYPE.get(canonical)
    if media is None or media.rdf is None or media.rdf.supports_datasets:
        raise StoreUnavailable(
            f"the SPARQL store answered a graph query with {reply.content_type or 'no Content-Type'}"
        )
    return ox.parse(reply.body, format=media.rdf)
