"""A polite HTTP client for someone else's SPARQL 1.1 service (`kzkg link`, `kzkg enrich`,
`kzkg query --endpoint`).

Why it is built the way it is:

* The remote side is a shared service (Wikidata's by default). The client identifies itself with
  a descriptive User-Agent (Wikimedia's policy: tool/version, contact, library/version), spaces
  its requests out (``min_interval``) and caches answers on disk.
* It retries only what can succeed on a retry, through urllib3's :class:`~urllib3.util.Retry`
  mounted on a requests session: 429 with its ``Retry-After``, 5xx, timeouts and dropped
  connections, with exponential back-off. A 200 whose body is truncated or not SPARQL results is
  only recognisable here, after the body is read; it is retried from the same budget. A refusal
  (400, 401, 403, 404, 414, ...) is final and reported as such, and a ``Retry-After`` longer than
  ``max_retry_after`` gives up at once instead of hanging a command for an hour.
* The cache is a small file cache rather than requests-cache: only answers that passed the body
  check are stored (requests-cache stores HTTP responses before we can look at them), and each
  entry keeps when the answer was retrieved, which link evidence records.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, InvalidHeader, MaxRetryError, ReadTimeoutError, ResponseError
from urllib3.util.retry import Retry

from kzkg import __version__
from kzkg.atomic import atomic_write_text
from kzkg.errors import KzkgError
from kzkg.namespaces import HOME

# What is worth retrying: too many requests, and the server's own failures.
RETRY_STATUSES = frozenset({429, *range(500, 600)})
# Queries up to this length go by GET (cacheable by the service's front end), longer ones by POST.
GET_LIMIT = 1500
ACCEPT = {"json": "application/sparql-results+json", "turtle": "text/turtle"}


# ------------------------------------------------------------------------------------------ errors
class LinkError(KzkgError):
    """Talking to an external dataset, or recording what it said, could not be done; the message
    says what and why. Nothing in data/ was changed."""


class EndpointRefused(LinkError):
    """The endpoint refused the request (400, 401, 403, 404, 414): retrying cannot help."""


class EndpointUnavailable(LinkError):
    """The endpoint kept failing (429, 5xx, timeouts, broken bodies) until the retries ran out."""


class MalformedResponse(LinkError):
    """The endpoint answered 200 with something that is not SPARQL JSON results."""


# ------------------------------------------------------------------------------------- answers
@dataclass
class Attempt:
    """One request and how it ended; kept so that tests and --verbose can show the back-off."""

    number: int
    outcome: str  # "ok", "cached", "429", "500", "timeout", "connection", "malformed", ...
    detail: str = ""
    waited: float = 0.0


@dataclass
class SparqlResults:
    """A SELECT answer: variables and the raw SPARQL-JSON bindings, with where and when it came from."""

    variables: list[str]
    bindings: list[dict[str, dict[str, str]]]
    endpoint: str
    query: str
    retrieved: str  # ISO timestamp of the HTTP answer (or of the cached one)
    from_cache: bool = False

    @property
    def query_id(self) -> str:
        return query_id(self.query)


def query_id(query: str) -> str:
    """A short content hash naming a query in candidates files and link evidence."""
    return hashlib.sha256(query.encode("utf-8")).hexdigest()[:16]


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kzkg" / "sparql"


# ------------------------------------------------------------------------------------ retrying
class _Retry(Retry):
    """urllib3's retry policy, reporting to its client.

    urllib3 decides what is retried and reads ``Retry-After``; the client records each failed
    attempt, chooses the back-off (from the first retry on: urllib3 waits nothing before the
    first, which would hammer a service that just said 503) and does the sleeping, so that tests
    can observe it.
    """

    def __init__(self, *args: Any, client: SparqlClient | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.client = client

    def new(self, **kw: Any) -> _Retry:
        retry = super().new(**kw)
        retry.client = self.client
        return retry

    def retry_after(self, response: Any) -> float | None:
        """The server's ``Retry-After`` in seconds; an unreadable one counts as absent."""
        if response is None:
            return None
        try:
            return self.get_retry_after(response)
        except InvalidHeader:
            return None

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> _Retry:
        assert self.client is not None
        self.client._failed(*_failure(response, error, self.client.timeout))
        asked = self.retry_after(response)
        if asked is not None and asked > self.client.max_retry_after:
            # Give up now; urllib3 hands the 429 back and the client says why it stopped.
            raise MaxRetryError(_pool, url, ResponseError(f"Retry-After {asked:g} s"))
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def sleep(self, response: Any = None) -> None:
        assert self.client is not None
        self.client._wait(self.retry_after(response))


def _failure(response: Any, error: Exception | None, timeout: float) -> tuple[str, str]:
    """(outcome, detail) of a failed attempt, as :class:`Attempt` records it."""
    if response is not None:
        return str(response.status), str(getattr(response, "reason", "") or "")
    if isinstance(error, (ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return "timeout", f"no answer within {timeout:g} s"
    return "connection", _short(f"{type(error).__name__}: {error}")


def _counted_by_urllib3(failed: requests.RequestException) -> bool:
    """Whether urllib3's Retry saw (and our _Retry recorded) the failure that ended the request."""
    return any(isinstance(arg, MaxRetryError) for arg in failed.args)


# ------------------------------------------------------------------------------------------ client
class SparqlClient:
    """A polite SPARQL 1.1 client on requests (see the module docstring for why).

    ``sleep`` and ``clock`` are injectable so that tests can observe the back-off; by default they
    are the real ones, and the failure tests run against real loopback servers with short delays.
    One client serves one thread: the retry budget of a request lives on the client's adapter.
    """

    def __init__(
        self,
        endpoint: str,
        *,
        timeout: float = 60.0,
        retries: int = 4,
        min_interval: float = 1.0,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        max_retry_after: float = 300.0,
        cache_dir: Path | None = None,
        cache_ttl: float = 7 * 86400,
        contact: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        log: Callable[[str], None] | None = None,
    ):
        if not re.match(r"^https?://", endpoint):
            raise LinkError(f"{endpoint!r} is not an http(s) SPARQL endpoint URL")
        self.endpoint = endpoint
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.min_interval = max(0.0, float(min_interval))
        self.backoff = max(0.0, float(backoff))
        self.max_backoff = float(max_backoff)
        self.max_retry_after = float(max_retry_after)
        self.cache_dir = cache_dir
        self.cache_ttl = float(cache_ttl)
        self.contact = contact
        self._sleep = sleep
        self._clock = clock
        self._log = log or (lambda _message: None)
        self._last_request: float | None = None
        self.attempts: list[Attempt] = []
        self._first = 0  # where the current query's attempts start in self.attempts
        self._adapter = HTTPAdapter()
        self._session = requests.Session()
        self._session.mount("http://", self._adapter)
        self._session.mount("https://", self._adapter)

    @property
    def user_agent(self) -> str:
        """Wikimedia's User-Agent policy: tool/version (contact) library/version."""
        contact = self.contact or HOME
        return (
            f"kzkg/{__version__} (linked-data reconciliation and enrichment; {contact}) "
            f"python-requests/{requests.__version__} urllib3/{urllib3.__version__} "
            f"Python/{sys.version_info.major}.{sys.version_info.minor}"
        )

    # -- public --------------------------------------------------------------------------------
    def select(self, query: str) -> SparqlResults:
        """Run a SELECT (or ASK) query and return its bindings; raise LinkError subclasses."""
        body, retrieved, cached = self._fetch(query, "json")
        data = _parse_results(body, self.endpoint)
        if "boolean" in data:
            return SparqlResults(
                ["boolean"],
                [{"boolean": {"type": "literal", "value": str(data["boolean"]).lower()}}],
                self.endpoint,
                query,
                retrieved,
                cached,
            )
        return SparqlResults(
            list(data["head"]["vars"]), list(data["results"]["bindings"]), self.endpoint, query, retrieved, cached
        )

    def fetch_json(self, query: str) -> dict:
        """The SPARQL-JSON document of a SELECT/ASK answer, validated (for `kzkg query --endpoint`)."""
        body, _, _ = self._fetch(query, "json")
        return _parse_results(body, self.endpoint)

    def fetch_rdf(self, query: str) -> bytes:
        """A CONSTRUCT/DESCRIBE answer as Turtle bytes (checked to parse)."""
        body, _, _ = self._fetch(query, "turtle")
        return body

    # -- what _Retry reports -------------------------------------------------------------------
    def _failed(self, outcome: str, detail: str) -> None:
        self.attempts.append(Attempt(len(self.attempts) - self._first + 1, outcome, detail))

    def _wait(self, asked: float | None) -> None:
        """Sleep before the next attempt: the back-off, or longer if the server asked for it."""
        failures = len(self.attempts) - self._first
        delay = min(self.max_backoff, self.backoff * 2 ** max(0, failures - 1)) * (1 + random.uniform(0, 0.25))
        if asked is not None:
            delay = max(delay, asked)
        last = self.attempts[-1]
        last.waited = delay
        described = f"{last.outcome}: {last.detail}" if last.detail else last.outcome
        self._log(f"{self.endpoint}: {described}; retrying in {delay:.1f} s ({failures}/{self.retries})")
        self._sleep(delay)

    # -- machinery -----------------------------------------------------------------------------
    def _cache_path(self, query: str, fmt: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self.endpoint}\n{fmt}\n{query}".encode()).hexdigest()
        return Path(self.cache_dir) / key[:2] / f"{key}.json"

    def _read_cache(self, path: Path | None) -> tuple[bytes, str] | None:
        if path is None or not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if time.time() - float(entry["stored"]) > self.cache_ttl:
                return None
            return entry["body"].encode("utf-8"), str(entry["retrieved"])
        except (OSError, ValueError, KeyError, TypeError):
            return None  # a damaged cache entry is a miss, never an answer

    def _write_cache(self, path: Path | None, body: bytes, retrieved: str, query: str) -> None:
        if path is None:
            return
        entry = {
            "endpoint": self.endpoint,
            "query": query,
            "retrieved": retrieved,
            "stored": time.time(),
            "body": body.decode("utf-8"),
        }
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, json.dumps(entry, ensure_ascii=False))
        except OSError as problem:  # a read-only cache must not stop the work
            self._log(f"cache not written ({problem})")

    def _throttle(self) -> None:
        if self._last_request is not None and self.min_interval:
            wait = self._last_request + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _gave_up(self) -> EndpointUnavailable:
        tries = self.attempts[self._first :]
        last = tries[-1]
        described = f"{last.outcome}: {last.detail}" if last.detail else last.outcome
        return EndpointUnavailable(f"{self.endpoint} failed {len(tries)} time(s); last: {described}")

    def _fetch(self, query: str, fmt: str) -> tuple[bytes, str, bool]:
        cache = self._cache_path(query, fmt)
        hit = self._read_cache(cache)
        if hit is not None:
            self.attempts.append(Attempt(0, "cached"))
            return hit[0], hit[1], True
        self._first = len(self.attempts)
        while True:
            used = len(self.attempts) - self._first
            self._throttle()
            retry = self._adapter.max_retries = _Retry(
                total=self.retries - used,
                status_forcelist=RETRY_STATUSES,
                allowed_methods=None,
                backoff_factor=self.backoff,
                backoff_max=self.max_backoff,
                raise_on_status=False,
                respect_retry_after_header=True,
                client=self,
            )
            try:
                response = self._send(query, fmt)
                body = response.content
            except requests.RequestException as failed:
                if not _counted_by_urllib3(failed):  # e.g. the body cut off after the headers
                    error = failed.args[0] if failed.args and isinstance(failed.args[0], Exception) else failed
                    timed_out = isinstance(failed, requests.Timeout) or isinstance(error, ReadTimeoutError)
                    self._failed(*_failure(None, TimeoutError() if timed_out else error, self.timeout))
                    if len(self.attempts) - self._first <= self.retries:
                        self._wait(None)
                        continue
                raise self._gave_up() from None
            if response.status_code in RETRY_STATUSES:  # urllib3 stopped retrying it (and _Retry recorded it)
                self.attempts[-1].detail = _short(body) or response.reason or ""
                asked = retry.retry_after(response.raw)
                if asked is not None and asked > self.max_retry_after:
                    raise EndpointUnavailable(
                        f"{self.endpoint} asked to retry after {asked:g} s ({response.status_code}), more than "
                        f"the {self.max_retry_after:g} s this client waits; try again later"
                    )
                raise self._gave_up()
            if response.status_code >= 400:
                self.attempts.append(Attempt(len(self.attempts) - self._first + 1, str(response.status_code)))
                raise _refusal(self.endpoint, response.status_code, _short(body) or response.reason or "")
            try:
                _check_body(body, fmt, self.endpoint)
            except MalformedResponse as malformed:
                self._failed("malformed", str(malformed))
                if len(self.attempts) - self._first > self.retries:
                    raise self._gave_up() from None
                self._wait(None)
                continue
            retrieved = utc_now()
            self.attempts.append(Attempt(len(self.attempts) - self._first + 1, "ok"))
            self._write_cache(cache, body, retrieved, query)
            return body, retrieved, False

    def _send(self, query: str, fmt: str) -> requests.Response:
        """One request, through the session's retrying adapter; content negotiation by Accept only
        (no format=/output= parameters to confuse servers)."""
        headers = {"Accept": ACCEPT[fmt], "User-Agent": self.user_agent}
        if len(query) <= GET_LIMIT:
            return self._session.get(self.endpoint, params={"query": query}, headers=headers, timeout=self.timeout)
        return self._session.post(self.endpoint, data={"query": query}, headers=headers, timeout=self.timeout)


def _refusal(endpoint: str, status: int, detail: str) -> EndpointRefused:
    if status == 400:
        return EndpointRefused(f"{endpoint} rejected the query as malformed (400): {detail}")
    if status in (401, 403, 404, 414):
        return EndpointRefused(f"{endpoint} refused the request ({status}): {detail}")
    return EndpointRefused(f"{endpoint} answered {status}: {detail}")


def _short(text: str | bytes, limit: int = 300) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_results(body: bytes, endpoint: str) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as broken:
        raise MalformedResponse(f"{endpoint} did not answer with JSON: {broken}") from broken
    if not isinstance(data, dict):
        raise MalformedResponse(f"{endpoint} answered JSON that is not SPARQL results")
    if "boolean" in data and isinstance(data["boolean"], bool):
        return data
    head, results = data.get("head"), data.get("results")
    if not (
        isinstance(head, dict)
        and isinstance(head.get("vars"), list)
        and isinstance(results, dict)
        and isinstance(results.get("bindings"), list)
        and all(isinstance(b, dict) for b in results["bindings"])
    ):
        raise MalformedResponse(f"{endpoint} answered JSON without head.vars and results.bindings")
    return data


def _check_body(body: bytes, fmt: str, endpoint: str) -> None:
    if fmt == "json":
        _parse_results(body, endpoint)
        return
    try:
        list(ox.parse(body, format=ox.RdfFormat.TURTLE))
    except (SyntaxError, ValueError) as broken:
        raise MalformedResponse(f"{endpoint} did not answer with Turtle: {broken}") from broken
