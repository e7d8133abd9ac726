"""Linking kzkg to external datasets: reconciliation (``kzkg link``) and enrichment (``kzkg enrich``).

Both talk SPARQL 1.1 through SPARQLWrapper to Wikidata's query service by default, or to any
endpoint holding Wikidata-shaped data (wd: items, rdfs:label / skos:altLabel / schema:description,
wdt: properties) -- in the tests, a second kzkg server on loopback loaded with a small snapshot.

Why it is built the way it is:

* The remote side is someone else's shared service. :class:`SparqlClient` identifies itself with a
  descriptive User-Agent, spaces its requests out, batches many entities into one query with
  VALUES, caches answers on disk, and retries only what can succeed on a retry (429 with its
  Retry-After, 5xx, timeouts, dropped connections, truncated or malformed bodies) with exponential
  back-off. A refusal (400, 403, 404, 414) is final and reported as such.
* A wrong identifier is worse than none. Reconciliation only *proposes*: it writes scored
  candidates to a file people review. ``--apply`` records a candidate only when the search found
  exactly one viable one (matched on a label, type and place consistent) or when a named reviewer
  chose it; an ambiguous candidate is never applied automatically.
* The entity registry is edited by curators while this runs. ``--apply`` therefore changes a file
  by inserting one line per entity -- nothing else in the file is re-serialised -- checks that the
  parsed result equals the old document plus exactly those links, and swaps the file in atomically
  only if nobody changed it meanwhile.
* Failures of the remote side never corrupt data: enrichment fetches everything first and writes
  the graph (atomically) only when every query succeeded.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import http.client
import json
import os
import random
import re
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError

import pyoxigraph as ox
import yaml

from kzkg import __version__
from kzkg.ingest import Corpus, Entity, load_corpus
from kzkg.map import MappedDataset
from kzkg.namespaces import GRAPH

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
DBPEDIA_ENDPOINT = "https://dbpedia.org/sparql"
ENRICHMENT_GRAPH = GRAPH["enrichment"]
ENRICHMENT_FILE = Path("enrichment") / "wikidata.ttl"
LINK_EVIDENCE_DIR = "link-evidence"

WD = "http://www.wikidata.org/entity/"
WDT = "http://www.wikidata.org/prop/direct/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
SKOS_ALT = "http://www.w3.org/2004/02/skos/core#altLabel"
SKOS_EXACT = "http://www.w3.org/2004/02/skos/core#exactMatch"
SCHEMA_DESCRIPTION = "http://schema.org/description"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
VOID = "http://rdfs.org/ns/void#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
CC0 = "http://creativecommons.org/publicdomain/zero/1.0/"
KNOWN_LICENCES = {WIKIDATA_ENDPOINT: CC0}  # Wikidata's structured data is CC0

QUERY_PREFIXES = f"""PREFIX wd: <{WD}>
PREFIX wdt: <{WDT}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX schema: <http://schema.org/>
PREFIX prov: <{PROV}>
PREFIX dcterms: <{DCTERMS}>
PREFIX void: <{VOID}>
"""

# Classes that show an item is the kind of thing a kzkg entity type names. Reached through
# wdt:P31/wdt:P279* on the live service; a snapshot without subclass triples only matches them
# directly. "A person is a human": for Person this is a hard constraint, for the others a bonus.
EXPECTED_KINDS: dict[str, tuple[str, ...]] = {
    "Person": ("Q5",),  # human
    "Place": ("Q6256", "Q3624078", "Q56061", "Q486972", "Q515"),  # country, sovereign state,
    # administrative territorial entity, human settlement, city
    "Organization": ("Q43229", "Q7278", "Q484652", "Q6256", "Q3624078"),  # organization, political
    # party, international organization; states are political actors too
    "MediaOutlet": ("Q1193236", "Q11032", "Q43229"),  # news agency, newspaper, organization
}
LINKABLE_TYPES = frozenset(EXPECTED_KINDS)
DEFAULT_LANGUAGES = ("en", "mul", "ru", "kk")
ENRICH_LANGUAGES = ("en", "ru", "kk")
# Facts fetched beside ours: instance of, country, coordinates, position held, birth, death,
# inception, dissolution, citizenship, located in, headquarters, website, GeoNames id, ISO 3166-2.
ENRICH_PROPERTIES = ("P31", "P17", "P625", "P39", "P569", "P570", "P571", "P576", "P27", "P131",
                     "P159", "P856", "P1566", "P300")
HEAD_PROPERTIES = ("P35", "P6")  # head of state / head of government (the reverse of "office held")
THE_YEAR = 2022

# Scoring (0..1); see score_candidate() for how they combine.
ACCEPT_SCORE = 0.75
VIABLE_SCORE = 0.5


# ------------------------------------------------------------------------------------------ errors
class LinkError(Exception):
    """Linking could not be done; the message says what and why. Nothing in data/ was changed."""


class EndpointRefused(LinkError):
    """The endpoint refused the request (400, 401, 403, 404, 414): retrying cannot help."""


class EndpointUnavailable(LinkError):
    """The endpoint kept failing (429, 5xx, timeouts, broken bodies) until the retries ran out."""


class MalformedResponse(LinkError):
    """The endpoint answered 200 with something that is not SPARQL JSON results."""


# ------------------------------------------------------------------------------------------ client
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
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kzkg" / "sparql"


class SparqlClient:
    """A polite SPARQL 1.1 client on top of SPARQLWrapper (see the module docstring for why).

    ``sleep`` and ``clock`` are injectable so that tests can observe the back-off; by default they
    are the real ones, and the failure tests run against real loopback servers with short delays.
    """

    def __init__(self, endpoint: str, *, timeout: float = 60.0, retries: int = 4, min_interval: float = 1.0,
                 backoff: float = 1.0, max_backoff: float = 60.0, max_retry_after: float = 300.0,
                 cache_dir: Path | None = None, cache_ttl: float = 7 * 86400, contact: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 log: Callable[[str], None] | None = None):
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
        self.requests_sent = 0

    @property
    def user_agent(self) -> str:
        """Wikimedia's User-Agent policy: tool/version (contact) library/version."""
        import SPARQLWrapper

        contact = self.contact or "https://w3id.org/kzkg"
        return (f"kzkg/{__version__} (linked-data reconciliation and enrichment; {contact}) "
                f"SPARQLWrapper/{SPARQLWrapper.__version__} Python/{sys.version_info.major}.{sys.version_info.minor}")

    # -- public --------------------------------------------------------------------------------
    def select(self, query: str) -> SparqlResults:
        """Run a SELECT (or ASK) query and return its bindings; raise LinkError subclasses."""
        body, retrieved, cached = self._fetch(query, "json")
        data = _parse_results(body, self.endpoint)
        if "boolean" in data:
            return SparqlResults(["boolean"], [{"boolean": {"type": "literal", "value": str(data["boolean"]).lower()}}],
                                 self.endpoint, query, retrieved, cached)
        return SparqlResults(list(data["head"]["vars"]), list(data["results"]["bindings"]), self.endpoint, query,
                             retrieved, cached)

    def fetch_json(self, query: str) -> dict:
        """The SPARQL-JSON document of a SELECT/ASK answer, validated (for `kzkg query --endpoint`)."""
        body, _, _ = self._fetch(query, "json")
        return _parse_results(body, self.endpoint)

    def fetch_rdf(self, query: str) -> bytes:
        """A CONSTRUCT/DESCRIBE answer as Turtle bytes (checked to parse)."""
        body, _, _ = self._fetch(query, "turtle")
        return body

    # -- machinery -----------------------------------------------------------------------------
    def _cache_path(self, query: str, fmt: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = hashlib.sha256(f"{self.endpoint}\n{fmt}\n{query}".encode("utf-8")).hexdigest()
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
        entry = {"endpoint": self.endpoint, "query": query, "retrieved": retrieved, "stored": time.time(),
                 "body": body.decode("utf-8")}
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

    def _fetch(self, query: str, fmt: str) -> tuple[bytes, str, bool]:
        cache = self._cache_path(query, fmt)
        hit = self._read_cache(cache)
        if hit is not None:
            self.attempts.append(Attempt(0, "cached"))
            return hit[0], hit[1], True
        last = ""
        for number in range(1, self.retries + 2):
            self._throttle()
            self.requests_sent += 1
            outcome, detail, retry_after, body = self._attempt(query, fmt)
            if outcome == "ok":
                try:
                    _check_body(body, fmt, self.endpoint)
                except MalformedResponse as malformed:
                    outcome, detail = "malformed", str(malformed)
                else:
                    retrieved = utc_now()
                    self.attempts.append(Attempt(number, "ok"))
                    self._write_cache(cache, body, retrieved, query)
                    return body, retrieved, False
            last = f"{outcome}: {detail}" if detail else outcome
            if number > self.retries:
                self.attempts.append(Attempt(number, outcome, detail))
                break
            delay = self._delay(number, retry_after)
            if delay is None:
                self.attempts.append(Attempt(number, outcome, detail))
                raise EndpointUnavailable(
                    f"{self.endpoint} asked to retry after {retry_after} s (429), more than the "
                    f"{self.max_retry_after:g} s this client waits; try again later")
            self.attempts.append(Attempt(number, outcome, detail, delay))
            self._log(f"{self.endpoint}: {last}; retrying in {delay:.1f} s ({number}/{self.retries})")
            self._sleep(delay)
        raise EndpointUnavailable(f"{self.endpoint} failed {self.retries + 1} time(s); last: {last}")

    def _delay(self, number: int, retry_after: str | None) -> float | None:
        delay = min(self.max_backoff, self.backoff * (2 ** (number - 1))) * (1 + random.uniform(0, 0.25))
        if retry_after:
            asked = _parse_retry_after(retry_after)
            if asked is not None:
                if asked > self.max_retry_after:
                    return None
                delay = max(delay, asked)
        return delay

    def _attempt(self, query: str, fmt: str) -> tuple[str, str, str | None, bytes]:
        """One HTTP request; returns (outcome, detail, Retry-After, body). Raises on refusals."""
        from SPARQLWrapper import GET, JSON, POST, TURTLE, SPARQLWrapper
        from SPARQLWrapper.SPARQLExceptions import (
            EndPointInternalError, EndPointNotFound, QueryBadFormed, SPARQLWrapperException, Unauthorized,
            URITooLong,
        )

        wrapper = SPARQLWrapper(self.endpoint, agent=self.user_agent)
        wrapper.setQuery(query)
        wrapper.setReturnFormat(JSON if fmt == "json" else TURTLE)
        wrapper.setOnlyConneg(True)  # Accept header only: no format=/output= parameters to confuse servers
        # GET is cacheable by the service's front end; long batched queries go by POST.
        wrapper.setMethod(GET if len(query) <= 1500 else POST)
        # SPARQLWrapper.setTimeout() truncates to whole seconds, turning 0.5 into "no timeout".
        wrapper.timeout = self.timeout
        try:
            response = wrapper.query().response
            body = response.read()
            return "ok", "", None, body
        except HTTPError as error:  # codes SPARQLWrapper does not map: 429, 502, 503, 504, ...
            detail = _short(error.read() if error.fp else b"") or str(error.reason)
            if error.code == 429 or error.code >= 500:
                return str(error.code), detail, error.headers.get("Retry-After"), b""
            raise EndpointRefused(f"{self.endpoint} answered {error.code}: {detail}") from error
        except EndPointInternalError as error:
            return "500", _short(str(error)), None, b""
        except QueryBadFormed as error:
            raise EndpointRefused(f"{self.endpoint} rejected the query as malformed (400): {_short(str(error))}") from error
        except (EndPointNotFound, Unauthorized, URITooLong) as error:
            raise EndpointRefused(f"{self.endpoint} refused the request: {_short(str(error))}") from error
        except SPARQLWrapperException as error:
            raise EndpointRefused(f"{self.endpoint}: {_short(str(error))}") from error
        except (TimeoutError, socket.timeout):
            return "timeout", f"no answer within {self.timeout:g} s", None, b""
        except URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                return "timeout", f"no answer within {self.timeout:g} s", None, b""
            return "connection", str(error.reason), None, b""
        except (http.client.HTTPException, ConnectionError) as error:
            return "connection", f"{type(error).__name__}: {error}", None, b""


def _short(text: str | bytes, limit: int = 300) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _parse_retry_after(value: str) -> float | None:
    """Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - dt.datetime.now(dt.timezone.utc)).total_seconds())


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
    if not (isinstance(head, dict) and isinstance(head.get("vars"), list) and isinstance(results, dict)
            and isinstance(results.get("bindings"), list)
            and all(isinstance(b, dict) for b in results["bindings"])):
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


# ------------------------------------------------------------------------------------ file writing
def atomic_write_text(path: Path, text: str, expected_sha256: str | None = None) -> None:
    """Write a whole file or nothing: temp file in the same folder, fsync, rename.

    With ``expected_sha256``, the rename only happens if the file still has that content (someone
    editing it meanwhile makes this raise LinkError instead of silently losing their change).
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
                raise LinkError(f"{path} changed while kzkg was writing it; nothing written, run again")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
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


# ---------------------------------------------------------------------------------- reconciliation
@dataclass(frozen=True)
class Target:
    """An unlinked entity to search for, with the context its registry entry gives."""

    id: str
    label: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    countries: tuple[str, ...]  # Q-ids the item should be in (from located_in / country links)
    where: str


@dataclass
class Candidate:
    item: str
    via: str  # "label" or "alias"
    name: str
    lang: str
    label: str = ""
    description: str = ""
    classes: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    coordinates: str = ""
    birth: str = ""
    death: str = ""
    inception: str = ""
    dissolved: str = ""
    linked_elsewhere: str | None = None
    score: float = 0.0
    viable: bool = False
    reasons: list[str] = field(default_factory=list)
    query: str = ""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"item": self.item, "score": round(self.score, 2), "viable": self.viable,
                               "matched": {"name": self.name, "lang": self.lang, "via": self.via}}
        for key in ("label", "description", "coordinates", "birth", "death", "inception", "dissolved"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        for key in ("classes", "kinds", "countries"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.linked_elsewhere:
            out["linked_elsewhere"] = self.linked_elsewhere
        out["reasons"] = list(self.reasons)
        out["query"] = self.query
        return out


@dataclass
class EntityCandidates:
    entity: str
    label: str
    types: list[str]
    where: str
    decision: str  # accept | review | no-candidates
    reason: str
    choose: str | None
    candidates: list[Candidate]

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "label": self.label, "types": self.types, "file": self.where,
                "decision": self.decision, "reason": self.reason, "choose": self.choose, "reviewed_by": None,
                "candidates": [c.as_dict() for c in self.candidates]}


def _qid(iri_or_id: str) -> str:
    return iri_or_id[len(WD):] if iri_or_id.startswith(WD) else iri_or_id


def linked_items(corpus: Corpus) -> dict[str, str]:
    """Q-id -> the entity that already carries it."""
    return {e.links["wikidata"]: e.id for e in corpus.entities.values() if e.links.get("wikidata")}


def targets(corpus: Corpus, only: Sequence[str] = ()) -> list[Target]:
    """The entities worth searching: unlinked people, organisations, outlets and places."""
    chosen = []
    for entity in sorted(corpus.entities.values(), key=lambda e: e.id):
        if only and entity.id not in only:
            continue
        if entity.links.get("wikidata") or not (set(entity.types) & LINKABLE_TYPES):
            continue
        names = []
        for name in [entity.label, *entity.aliases]:
            name = " ".join(str(name).split())
            if len(name) >= 2 and name not in names:
                names.append(name)
        chosen.append(Target(entity.id, entity.label, tuple(names), tuple(entity.types),
                             tuple(sorted(_expected_countries(corpus, entity))), entity.where.split(": ")[0]))
    missing = [i for i in only if i not in corpus.entities]
    if missing:
        raise LinkError(f"unknown entity id(s): {', '.join(missing)}")
    return chosen


def _expected_countries(corpus: Corpus, entity: Entity) -> set[str]:
    """The states an item must belong to, as far as the registry links them (never guessed)."""
    found: set[str] = set()
    seen = {entity.id}
    current = entity
    while current.located_in and current.located_in not in seen and current.located_in in corpus.entities:
        seen.add(current.located_in)
        current = corpus.entities[current.located_in]
        if not current.located_in and current.links.get("wikidata"):
            found.add(current.links["wikidata"])  # the top of the chain: a state
    if entity.country and entity.country in corpus.entities:
        qid = corpus.entities[entity.country].links.get("wikidata")
        if qid:
            found.add(qid)
    return found


def _sparql_literal(text: str, lang: str) -> str:
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r"))
    return f'"{escaped}"@{lang}'


def reconcile_query(batch: Sequence[Target], languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """One query for a batch of entities: exact label/alias matches in several languages, with the
    facts scoring needs (classes reached through P31/P279*, country, coordinates, dates)."""
    rows = []
    for target in batch:
        for name in target.names:
            for lang in languages:
                rows.append(f'    ("{target.id}" {_sparql_literal(name, lang)})')
    kinds = sorted({k for ks in EXPECTED_KINDS.values() for k in ks}, key=lambda q: int(q[1:]))
    kind_values = " ".join(f"wd:{k}" for k in kinds)
    return (
        f"# kzkg {__version__} link: candidates for {len(batch)} entities by exact label or alias\n"
        + QUERY_PREFIXES
        + "SELECT ?entity ?name ?via ?item\n"
        "       (GROUP_CONCAT(DISTINCT STR(?class); separator=\" \") AS ?classes)\n"
        "       (GROUP_CONCAT(DISTINCT STR(?kind); separator=\" \") AS ?kinds)\n"
        "       (GROUP_CONCAT(DISTINCT STR(?country); separator=\" \") AS ?countries)\n"
        "       (SAMPLE(?coord) AS ?coordinates) (SAMPLE(?desc) AS ?description) (SAMPLE(?en) AS ?label)\n"
        "       (MIN(?born) AS ?birth) (MIN(?died) AS ?death) (MIN(?founded) AS ?inception)\n"
        "       (MIN(?ended) AS ?dissolved)\n"
        "WHERE {\n"
        "  VALUES (?entity ?name) {\n" + "\n".join(rows) + "\n  }\n"
        "  { ?item rdfs:label ?name . BIND(\"label\" AS ?via) }\n"
        "  UNION { ?item skos:altLabel ?name . BIND(\"alias\" AS ?via) }\n"
        f"  FILTER(STRSTARTS(STR(?item), \"{WD}Q\"))\n"
        "  OPTIONAL { ?item wdt:P31 ?class }\n"
        f"  OPTIONAL {{ ?item wdt:P31/wdt:P279* ?kind . VALUES ?kind {{ {kind_values} }} }}\n"
        "  OPTIONAL { ?item wdt:P17|wdt:P27 ?country }\n"
        "  OPTIONAL { ?item wdt:P625 ?coord }\n"
        "  OPTIONAL { ?item schema:description ?desc . FILTER(LANG(?desc) = \"en\") }\n"
        "  OPTIONAL { ?item rdfs:label ?en . FILTER(LANG(?en) = \"en\") }\n"
        "  OPTIONAL { ?item wdt:P569 ?born }\n"
        "  OPTIONAL { ?item wdt:P570 ?died }\n"
        "  OPTIONAL { ?item wdt:P571 ?founded }\n"
        "  OPTIONAL { ?item wdt:P576 ?ended }\n"
        "}\n"
        "GROUP BY ?entity ?name ?via ?item\n"
    )


def _value(binding: dict, name: str) -> str:
    cell = binding.get(name)
    return str(cell.get("value", "")) if isinstance(cell, dict) else ""


def _year(value: str) -> int | None:
    match = re.match(r"^(-?\d{1,4})-", value)
    return int(match.group(1)) if match else None


def score_candidate(target: Target, candidate: Candidate) -> None:
    """Score one candidate in place and say why, so that a reviewer can follow every point.

    label match 0.6 / alias match 0.35; +0.1 when our primary label (not an alias) matched;
    +0.2 when its class fits the entity type (+0.1 for a place with coordinates but no class),
    -0.2 when it has classes and none fits; +0.1 / -0.3 for the expected / another country;
    -0.3 for a person who died, or an organisation dissolved, before 2022. A person must be a
    human (wd:Q5) and an item already linked to another entity is never viable.
    """
    reasons: list[str] = []
    score = 0.6 if candidate.via == "label" else 0.35
    reasons.append(f'{candidate.via} "{candidate.name}"@{candidate.lang}')
    if candidate.name == target.label:
        score += 0.1
    expected = {k for t in target.types for k in EXPECTED_KINDS.get(t, ())}
    kinds = set(candidate.kinds) | set(candidate.classes)
    fits = sorted(expected & kinds, key=lambda q: int(q[1:]))
    if fits:
        score += 0.2
        reasons.append("class fits: " + ", ".join(f"wd:{q}" for q in fits))
    elif "Place" in target.types and candidate.coordinates:
        score += 0.1
        reasons.append("has coordinates (a place)")
    elif candidate.classes:
        score -= 0.2
        reasons.append("classes do not fit " + "/".join(target.types))
    human_required = target.types == ("Person",)
    if human_required and "Q5" not in kinds:
        reasons.append("not a human (wd:Q5): rejected")
    if target.countries:
        if set(candidate.countries) & set(target.countries):
            score += 0.1
            reasons.append("in the expected country")
        elif candidate.countries:
            score -= 0.3
            reasons.append("in another country")
    if "Person" in target.types and (_year(candidate.death) or 9999) < THE_YEAR:
        score -= 0.3
        reasons.append(f"died {candidate.death[:10]}, before {THE_YEAR}")
    if ({"Organization", "MediaOutlet"} & set(target.types) and "Place" not in target.types
            and (_year(candidate.dissolved) or 9999) < THE_YEAR - 1):
        score -= 0.3
        reasons.append(f"dissolved {candidate.dissolved[:10]}")
    if candidate.linked_elsewhere:
        reasons.append(f"already the link of kzid:{candidate.linked_elsewhere}")
    candidate.score = max(0.0, min(1.0, round(score, 4)))
    candidate.viable = (candidate.score >= VIABLE_SCORE and not candidate.linked_elsewhere
                        and not (human_required and "Q5" not in kinds))
    candidate.reasons = reasons


def decide(target: Target, candidates: list[Candidate]) -> tuple[str, str, str | None]:
    """accept only the single viable candidate matched on a label with a high score."""
    viable = [c for c in candidates if c.viable]
    if not candidates:
        return "no-candidates", "no item has this label or alias in the languages searched", None
    if not viable:
        return "review", "no viable candidate (alias-only, poor fit, or already linked elsewhere)", None
    if len(viable) > 1:
        items = ", ".join(f"{c.item} ({c.score:.2f})" for c in viable)
        return "review", f"ambiguous: {len(viable)} viable candidates ({items}); a reviewer must choose", None
    best = viable[0]
    if best.via != "label":
        return "review", f"{best.item} matched only an alias; a reviewer must confirm", None
    if best.score < ACCEPT_SCORE:
        return "review", f"{best.item} scores {best.score:.2f} (< {ACCEPT_SCORE}); a reviewer must confirm", None
    return "accept", f"the only viable candidate, matched on a label, score {best.score:.2f}", best.item


def _match_rank(candidate: Candidate, label: str) -> tuple[int, int]:
    return (candidate.via == "label", candidate.name == label)


def reconcile(corpus: Corpus, client: SparqlClient, *, only: Sequence[str] = (), batch_size: int = 8,
              languages: Sequence[str] = DEFAULT_LANGUAGES,
              progress: Callable[[str], None] = lambda _m: None) -> tuple[list[EntityCandidates], dict[str, str]]:
    """Search the endpoint for every target; return per-entity candidates and the queries used."""
    todo = targets(corpus, only)
    taken = linked_items(corpus)
    queries: dict[str, str] = {}
    found: dict[str, dict[str, Candidate]] = {t.id: {} for t in todo}
    labels = {t.id: t.label for t in todo}
    for start in range(0, len(todo), max(1, batch_size)):
        batch = todo[start:start + max(1, batch_size)]
        query = reconcile_query(batch, languages)
        progress(f"searching {client.endpoint} for {', '.join(t.id for t in batch)}")
        results = client.select(query)
        queries[results.query_id] = query
        for binding in results.bindings:
            entity, item = _value(binding, "entity"), _qid(_value(binding, "item"))
            if entity not in found or not re.fullmatch(r"Q[1-9][0-9]*", item):
                continue
            name_cell = binding.get("name") or {}
            candidate = Candidate(
                item=item, via=_value(binding, "via") or "label", name=str(name_cell.get("value", "")),
                lang=str(name_cell.get("xml:lang", "")), label=_value(binding, "label"),
                description=_value(binding, "description"),
                classes=sorted({_qid(c) for c in _value(binding, "classes").split()}),
                kinds=sorted({_qid(c) for c in _value(binding, "kinds").split()}),
                countries=sorted({_qid(c) for c in _value(binding, "countries").split()}),
                coordinates=_value(binding, "coordinates"), birth=_value(binding, "birth"),
                death=_value(binding, "death"), inception=_value(binding, "inception"),
                dissolved=_value(binding, "dissolved"), query=results.query_id,
            )
            candidate.linked_elsewhere = taken.get(item) if taken.get(item) != entity else None
            known = found[entity].get(item)
            # keep, per item, the strongest way it matched: a label beats an alias, and our
            # primary label beats one of our aliases
            if known is None or _match_rank(candidate, labels[entity]) > _match_rank(known, labels[entity]):
                found[entity][item] = candidate
    out = []
    for target in todo:
        candidates = list(found[target.id].values())
        for candidate in candidates:
            score_candidate(target, candidate)
        candidates.sort(key=lambda c: (-c.score, int(c.item[1:])))
        decision, reason, choose = decide(target, candidates)
        out.append(EntityCandidates(target.id, target.label, list(target.types), target.where, decision, reason,
                                    choose, candidates))
    return out, queries


CANDIDATES_HEADER = """\
# kzkg link candidates: review before `kzkg link --apply`.
# For each entity, `decision` says what the search concluded:
#   accept         the only viable candidate, matched on a label; `choose` holds it. Set `choose: null`
#                  to veto it.
#   review         ambiguous or weak: nothing is applied unless a reviewer sets `choose` to one of the
#                  listed candidate items AND puts their name in `reviewed_by`.
#   no-candidates  nothing matched.
# `--apply` records each chosen item in the entity's registry file with its evidence (the query,
# the endpoint, the date) and never applies an item that is not listed here.
"""


def write_candidates(path: Path, results: list[EntityCandidates], queries: dict[str, str], endpoint: str,
                     retrieved: str) -> None:
    document = {
        "kzkg_version": __version__,
        "endpoint": endpoint,
        "retrieved": retrieved,
        "summary": {d: sum(1 for r in results if r.decision == d) for d in ("accept", "review", "no-candidates")},
        "entities": [r.as_dict() for r in results],
        "queries": dict(sorted(queries.items())),
    }
    text = CANDIDATES_HEADER + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(Path(path), text)


# ------------------------------------------------------------------------------------------- apply
@dataclass
class ApplyReport:
    applied: list[tuple[str, str, str]] = field(default_factory=list)  # (entity, qid, file)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entity, why)


def _load_candidates(path: Path) -> dict:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as missing:
        raise LinkError(f"{path}: no candidates file; run `kzkg link` first") from missing
    except (OSError, yaml.YAMLError) as broken:
        raise LinkError(f"{path}: cannot be read: {broken}") from broken
    if not isinstance(document, dict) or not isinstance(document.get("entities"), list):
        raise LinkError(f"{path}: not a kzkg link candidates file")
    return document


def _evidence_text(entry: dict, candidate: dict, document: dict, by_reviewer: bool, evidence_path: str) -> str:
    matched = candidate.get("matched") or {}
    date = str(document.get("retrieved", ""))[:10]
    how = (f"chosen by reviewer {entry.get('reviewed_by')}" if by_reviewer
           else "auto-accepted as the only viable candidate")
    facts = "; ".join(r for r in candidate.get("reasons", [])[1:] if r)
    return (f"kzkg link {date}: {document.get('endpoint')} returned {candidate['item']} for "
            f"{matched.get('via', 'label')} \"{matched.get('name', '')}\"@{matched.get('lang', '')}"
            + (f" ({facts})" if facts else "")
            + f"; score {float(candidate.get('score', 0)):.2f}; {how}; query {evidence_path}")


def _still_acceptable(candidates: list[dict], choose: str) -> bool:
    """Re-check decide()'s rule on the stored candidates, so that hand-editing `decision: accept`
    into the file cannot turn an ambiguous entry into an automatic link."""
    viable = [c for c in candidates if c.get("viable")]
    if len(viable) != 1 or str(viable[0].get("item")) != choose:
        return False
    best = viable[0]
    return (best.get("matched") or {}).get("via") == "label" and float(best.get("score", 0)) >= ACCEPT_SCORE


def apply_candidates(candidates_path: Path, data_dir: Path) -> ApplyReport:
    """Record the accepted or reviewer-chosen candidates in the registry files (see module docstring)."""
    data_dir = Path(data_dir)
    document = _load_candidates(candidates_path)
    corpus = load_corpus(data_dir)
    taken = linked_items(corpus)
    report = ApplyReport()
    plan: dict[str, list[tuple[str, str, str]]] = {}  # file -> [(entity, qid, evidence)]
    evidence_files: dict[str, str] = {}
    queries = document.get("queries") or {}
    for entry in document["entities"]:
        if not isinstance(entry, dict):
            continue
        entity_id, choose = str(entry.get("entity", "")), entry.get("choose")
        if not choose:
            continue
        candidates = {str(c.get("item")): c for c in entry.get("candidates") or [] if isinstance(c, dict)}
        candidate = candidates.get(str(choose))
        by_reviewer = not (entry.get("decision") == "accept" and _still_acceptable(list(candidates.values()), str(choose)))
        why = None
        if candidate is None:
            why = f"{choose} is not one of the listed candidates (add other links by hand, with evidence)"
        elif by_reviewer and not entry.get("reviewed_by"):
            why = f"{choose} was not auto-accepted; a reviewer must put their name in reviewed_by"
        elif entity_id not in corpus.entities:
            why = "no such entity any more"
        elif corpus.entities[entity_id].links.get("wikidata"):
            why = f"already linked to {corpus.entities[entity_id].links['wikidata']}"
        elif corpus.entities[entity_id].label != entry.get("label"):
            why = "its label changed since the search; run `kzkg link` again"
        elif taken.get(str(choose)) and taken[str(choose)] != entity_id:
            why = f"{choose} is already the link of {taken[str(choose)]}"
        elif corpus.entities[entity_id].links:
            why = "it has other links already; add the Wikidata id by hand"
        if why:
            report.skipped.append((entity_id, why))
            continue
        qid = str(choose)
        taken[qid] = entity_id
        qid_query = str(candidate.get("query", ""))
        text = queries.get(qid_query)
        if not text:
            report.skipped.append((entity_id, f"its query {qid_query} is missing from the candidates file"))
            continue
        evidence_rel = f"{LINK_EVIDENCE_DIR}/{qid_query}.rq"
        evidence_files[qid_query] = (f"# kzkg link: the query that found candidates\n# endpoint: {document.get('endpoint')}\n"
                                     f"# retrieved: {document.get('retrieved')}\n" + text)
        file = _entity_file(data_dir, entity_id)
        plan.setdefault(str(file), []).append(
            (entity_id, qid, _evidence_text(entry, candidate, document, by_reviewer, evidence_rel)))
    if not plan:
        return report
    evidence_dir = data_dir / LINK_EVIDENCE_DIR
    evidence_dir.mkdir(exist_ok=True)
    for name, text in sorted(evidence_files.items()):
        target = evidence_dir / f"{name}.rq"
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            atomic_write_text(target, text)
    for file, items in sorted(plan.items()):
        try:
            add_links(Path(file), {e: (q, ev) for e, q, ev in items})
        except LinkError as problem:
            report.skipped += [(e, str(problem)) for e, _, _ in items]
            continue
        rel = os.path.relpath(file, data_dir.parent)
        report.applied += [(e, q, rel) for e, q, _ in items]
    return report


def _entity_file(data_dir: Path, entity_id: str) -> Path:
    for path in sorted((data_dir / "entities").glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            if isinstance(item, dict) and str(item.get("id")) == entity_id:
                return path
    raise LinkError(f"entity {entity_id} is not defined in {data_dir / 'entities'}")


def add_links(path: Path, links: dict[str, tuple[str, str]]) -> None:
    """Insert ``links: {wikidata: Q…, evidence: "…"}`` after each named entity's last line.

    The file is located with the YAML composer (node marks), changed only by the inserted lines,
    verified (re-parsed: old document plus exactly these links; no other line touched) and
    replaced atomically if its content is still the one read.
    """
    raw = path.read_bytes()
    original_hash = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\n"
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as broken:
        raise LinkError(f"{path}: not valid YAML ({broken}); nothing written") from broken
    if not isinstance(root, yaml.SequenceNode) or root.flow_style:
        raise LinkError(f"{path}: not a block list of entities; add the links by hand")
    inserts: dict[int, str] = {}
    placed: set[str] = set()
    for node in root.value:
        if not isinstance(node, yaml.MappingNode):
            continue
        keys = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        if "id" not in keys or keys["id"][1].value not in links:
            continue
        entity_id = keys["id"][1].value
        if node.flow_style or "links" in keys:
            raise LinkError(f"{path}: entity {entity_id} is a flow mapping or has links; edit it by hand")
        end = node.end_mark
        last = end.line if end.column > 0 else end.line - 1
        last = min(last, len(lines) - 1)
        while last > node.start_mark.line and (not lines[last].strip() or lines[last].lstrip().startswith("#")):
            last -= 1
        indent = keys["id"][0].start_mark.column
        qid, evidence = links[entity_id]
        placed.add(entity_id)
        inserts[last] = f"{' ' * indent}links: {{wikidata: {qid}, evidence: {json.dumps(evidence, ensure_ascii=False)}}}"
    found = {keys_id for keys_id in links if keys_id in placed}
    if found != set(links):
        raise LinkError(f"{path}: entity {', '.join(sorted(set(links) - found))} not found; nothing written")
    new_lines: list[str] = []
    for number, line in enumerate(lines):
        if number in inserts and not line.endswith(("\n", "\r")):
            line += newline  # the entity ends the file without a final newline
        new_lines.append(line)
        if number in inserts:
            new_lines.append(inserts[number] + newline)
    new_text = "".join(new_lines)
    _verify_only_links_added(path, text, new_text, links)
    atomic_write_text(path, new_text, expected_sha256=original_hash)


def _verify_only_links_added(path: Path, old: str, new: str, links: dict[str, tuple[str, str]]) -> None:
    try:
        before, after = yaml.safe_load(old), yaml.safe_load(new)
    except yaml.YAMLError as broken:
        raise LinkError(f"{path}: the edited file would not parse ({broken}); nothing written") from broken
    expected = copy.deepcopy(before)
    for item in expected:
        if isinstance(item, dict) and str(item.get("id")) in links:
            qid, evidence = links[str(item["id"])]
            item["links"] = {"wikidata": qid, "evidence": evidence}
    if after != expected:
        raise LinkError(f"{path}: inserting the links would change more than the links; nothing written")
    old_lines, new_lines = old.splitlines(), new.splitlines()
    kept = [line for line in new_lines if not line.lstrip().startswith("links: {wikidata: ")]
    if kept != [line for line in old_lines if not line.lstrip().startswith("links: {wikidata: ")] or \
            len(new_lines) != len(old_lines) + len(links):
        raise LinkError(f"{path}: the edit would touch other lines; nothing written")


# -------------------------------------------------------------------------------------- enrichment
@dataclass
class EnrichReport:
    path: Path
    items: int
    triples: int
    labels: dict[str, int]
    coordinates: int
    missing: list[str]
    queries: int


def _term(cell: dict) -> ox.NamedNode | ox.Literal | None:
    kind, value = cell.get("type"), cell.get("value")
    if not isinstance(value, str):
        return None
    if kind == "uri":
        return ox.NamedNode(value)
    if kind in ("literal", "typed-literal"):
        if cell.get("xml:lang"):
            return ox.Literal(value, language=str(cell["xml:lang"]))
        if cell.get("datatype"):
            return ox.Literal(value, datatype=ox.NamedNode(str(cell["datatype"])))
        return ox.Literal(value)
    return None  # blank nodes (Wikidata's "unknown value") carry nothing we can show


def _triples(results: SparqlResults, s: str, p: str, o: str) -> list[ox.Triple]:
    out = []
    for binding in results.bindings:
        terms = [_term(binding.get(v) or {}) for v in (s, p, o)]
        if all(terms) and isinstance(terms[0], ox.NamedNode) and isinstance(terms[1], ox.NamedNode):
            out.append(ox.Triple(*terms))
    return out


def _values(items: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in sorted(items))


def _lang_filter(var: str, languages: Sequence[str]) -> str:
    return " || ".join(f'langMatches(LANG({var}), "{lang}")' for lang in languages)


def enrich(data_dir: Path, client: SparqlClient, *, output: Path | None = None, licence: str | None = None,
           batch_size: int = 40, languages: Sequence[str] = ENRICH_LANGUAGES,
           progress: Callable[[str], None] = lambda _m: None) -> EnrichReport:
    """Fetch facts about every linked entity into a separate graph file (written only on success)."""
    data_dir = Path(data_dir)
    output = Path(output) if output else data_dir / ENRICHMENT_FILE
    corpus = load_corpus(data_dir)
    items = sorted({WD + e.links["wikidata"] for e in corpus.entities.values() if e.links.get("wikidata")},
                   key=lambda i: int(i[len(WD) + 1:]))
    if not items:
        raise LinkError(f"{data_dir}: no entity has a Wikidata link; nothing to enrich")
    started = utc_now()
    triples: list[ox.Triple] = []
    sent = 0
    lang_filter = _lang_filter("?value", languages)
    referenced: set[str] = set()
    for start in range(0, len(items), max(1, batch_size)):
        batch = items[start:start + max(1, batch_size)]
        progress(f"fetching {len(batch)} items from {client.endpoint}")
        terms = client.select(
            f"# kzkg {__version__} enrich: labels, aliases and descriptions\n" + QUERY_PREFIXES
            + f"SELECT ?item ?p ?value WHERE {{\n  VALUES ?item {{ {_values(batch)} }}\n"
            "  VALUES ?p { rdfs:label skos:altLabel schema:description }\n"
            f"  ?item ?p ?value .\n  FILTER({lang_filter})\n}}\n")
        facts = client.select(
            f"# kzkg {__version__} enrich: statements\n" + QUERY_PREFIXES
            + f"SELECT ?item ?p ?value WHERE {{\n  VALUES ?item {{ {_values(batch)} }}\n"
            f"  VALUES ?p {{ {' '.join('wdt:' + p for p in ENRICH_PROPERTIES)} prov:wasDerivedFrom }}\n"
            "  ?item ?p ?value .\n}\n")
        heads = client.select(
            f"# kzkg {__version__} enrich: states the items head\n" + QUERY_PREFIXES
            + f"SELECT ?state ?p ?item WHERE {{\n  VALUES ?item {{ {_values(batch)} }}\n"
            f"  VALUES ?p {{ {' '.join('wdt:' + p for p in HEAD_PROPERTIES)} }}\n  ?state ?p ?item .\n}}\n")
        sent += 3
        triples += _triples(terms, "item", "p", "value") + _triples(facts, "item", "p", "value")
        triples += _triples(heads, "state", "p", "item")
        for t in _triples(facts, "item", "p", "value") + _triples(heads, "state", "p", "item"):
            for term in (t.subject, t.object):
                if isinstance(term, ox.NamedNode) and term.value.startswith(WD) and term.value not in items:
                    referenced.add(term.value)
    # labels (and, for states, the office their head holds) of everything the facts point at
    sources: set[str] = {t.object.value for t in triples
                         if t.predicate.value == PROV + "wasDerivedFrom" and isinstance(t.object, ox.NamedNode)}
    if referenced:
        for chunk in _chunks(sorted(referenced), 80):
            named = client.select(
                f"# kzkg {__version__} enrich: labels of referenced items\n" + QUERY_PREFIXES
                + f"SELECT ?item ?p ?value WHERE {{\n  VALUES ?item {{ {_values(chunk)} }}\n"
                "  VALUES ?p { rdfs:label wdt:P1906 wdt:P2388 }\n  ?item ?p ?value .\n"
                f"  FILTER(?p != rdfs:label || {lang_filter})\n}}\n")
            sent += 1
            triples += _triples(named, "item", "p", "value")
        offices = {t.object.value for t in triples if t.predicate.value in (WDT + "P1906", WDT + "P2388")
                   and isinstance(t.object, ox.NamedNode)} - referenced - set(items)
        if offices:
            named = client.select(
                f"# kzkg {__version__} enrich: labels of offices\n" + QUERY_PREFIXES
                + f"SELECT ?item ?value WHERE {{\n  VALUES ?item {{ {_values(offices)} }}\n"
                f"  ?item rdfs:label ?value .\n  FILTER({lang_filter})\n}}\n")
            sent += 1
            triples += [ox.Triple(ox.NamedNode(_value(b, "item")), ox.NamedNode(RDFS_LABEL), _term(b["value"]))
                        for b in named.bindings
                        if _value(b, "item").startswith(WD) and _term(b.get("value") or {}) is not None]
    # what the endpoint says about itself and its sources (a stand-in names its origin this way)
    described = client.select(
        f"# kzkg {__version__} enrich: the endpoint's own dataset description\n" + QUERY_PREFIXES
        + "SELECT ?s ?p ?o WHERE {\n  ?s a void:Dataset ; ?p ?o .\n  FILTER(isIRI(?s))\n} LIMIT 500\n")
    sent += 1
    datasets = _triples(described, "s", "p", "o")
    triples += datasets
    for t in datasets:
        if t.predicate.value == PROV + "wasDerivedFrom" and isinstance(t.object, ox.NamedNode):
            sources.add(t.object.value)
    if sources:
        for chunk in _chunks(sorted(sources), 80):
            about = client.select(
                f"# kzkg {__version__} enrich: the sources the endpoint names\n" + QUERY_PREFIXES
                + f"SELECT ?s ?p ?o WHERE {{\n  VALUES ?s {{ {_values(chunk)} }}\n  ?s ?p ?o .\n}}\n")
            sent += 1
            triples += _triples(about, "s", "p", "o")
    finished = utc_now()
    dataset_iris = sorted({t.subject.value for t in datasets})
    triples += _provenance(client.endpoint, started, finished, licence or KNOWN_LICENCES.get(client.endpoint),
                           dataset_iris, len(items))
    text = render_enrichment(triples, client.endpoint, finished)
    counts = _label_counts(triples, set(items))
    placed = {t.subject.value for t in triples if t.predicate.value == WDT + "P625" and t.subject.value in items}
    returned = {t.subject.value for t in triples if t.subject.value in items}
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(output, text)
    return EnrichReport(output, len(returned), len(set(triples)), counts, len(placed),
                        [_qid(i) for i in items if i not in returned], sent)


def _chunks(values: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _label_counts(triples: Iterable[ox.Triple], items: set[str]) -> dict[str, int]:
    """How many of the linked items have a label in each language (kk counts kk-* variants)."""
    seen: dict[str, set[str]] = {}
    for t in triples:
        if t.predicate.value == RDFS_LABEL and t.subject.value in items and isinstance(t.object, ox.Literal):
            lang = (t.object.language or "").split("-")[0]
            seen.setdefault(lang, set()).add(t.subject.value)
    return {lang: len(subjects) for lang, subjects in sorted(seen.items())}


def _provenance(endpoint: str, started: str, finished: str, licence: str | None, datasets: list[str],
                requested: int) -> list[ox.Triple]:
    graph = ox.NamedNode(str(ENRICHMENT_GRAPH))
    run = ox.NamedNode(str(ENRICHMENT_GRAPH) + "#run")
    dts = ox.NamedNode(XSD + "dateTime")
    out = [
        ox.Triple(graph, ox.NamedNode(RDF_TYPE), ox.NamedNode(VOID + "Dataset")),
        ox.Triple(graph, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Entity")),
        ox.Triple(graph, ox.NamedNode(DCTERMS + "title"),
                  ox.Literal("External facts about kzkg's linked entities", language="en")),
        ox.Triple(graph, ox.NamedNode(DCTERMS + "description"), ox.Literal(
            f"Copied by `kzkg enrich` from the SPARQL endpoint {endpoint} for the {requested} Wikidata items "
            "kzkg's entities link to, in the endpoint's own shape (wd: items; rdfs:label, skos:altLabel and "
            "schema:description in en/ru/kk; wdt: statements). kzkg's entities point at these items with "
            "skos:exactMatch. Kept apart from kzkg's own claims and never reasoned over. "
            + ("The endpoint describes itself with the void:Dataset(s) this graph was derived from; their "
               "sources and licences are given below. " if datasets else "")
            + "Run `kzkg enrich` with internet access to refresh it from the live service.", language="en")),
        ox.Triple(graph, ox.NamedNode(DCTERMS + "source"), ox.NamedNode(endpoint)),
        ox.Triple(graph, ox.NamedNode(PROV + "generatedAtTime"), ox.Literal(finished, datatype=dts)),
        ox.Triple(graph, ox.NamedNode(PROV + "wasGeneratedBy"), run),
        ox.Triple(run, ox.NamedNode(RDF_TYPE), ox.NamedNode(PROV + "Activity")),
        ox.Triple(run, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
                  ox.Literal(f"kzkg {__version__} enrich")),
        ox.Triple(run, ox.NamedNode(PROV + "used"), ox.NamedNode(endpoint)),
        ox.Triple(run, ox.NamedNode(PROV + "startedAtTime"), ox.Literal(started, datatype=dts)),
        ox.Triple(run, ox.NamedNode(PROV + "endedAtTime"), ox.Literal(finished, datatype=dts)),
    ]
    if licence:
        out.append(ox.Triple(graph, ox.NamedNode(DCTERMS + "license"), ox.NamedNode(licence)))
    for dataset in datasets:
        out.append(ox.Triple(graph, ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(dataset)))
    return out


ENRICH_PREFIXES = {"wd": WD, "wdt": WDT, "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
                   "skos": "http://www.w3.org/2004/02/skos/core#", "schema": "http://schema.org/",
                   "geo": "http://www.opengis.net/ont/geosparql#", "xsd": XSD, "prov": PROV, "dcterms": DCTERMS,
                   "void": VOID}


def render_enrichment(triples: Iterable[ox.Triple], endpoint: str, when: str) -> str:
    """Sorted Turtle (same facts, same bytes) under a header saying where it came from."""
    unique = sorted(set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))
    body = ox.serialize(unique, format=ox.RdfFormat.TURTLE, prefixes=ENRICH_PREFIXES).decode("utf-8")
    header = (f"# External facts about kzkg's linked entities, written by `kzkg enrich` ({__version__}).\n"
              f"# Source: {endpoint}, retrieved {when}. Do not edit by hand: run `kzkg enrich` again.\n"
              f"# Loaded by `kzkg build` into the named graph <{ENRICHMENT_GRAPH}>.\n")
    return header + body


# ------------------------------------------------------------------------- build and UI integration
def load_enrichment(dataset: MappedDataset, data_dir: Path) -> int:
    """Add data/enrichment/*.ttl to the build, in its own named graph; return the triple count."""
    folder = Path(data_dir) / "enrichment"
    if not folder.is_dir():
        return 0
    graph = dataset.graph(ENRICHMENT_GRAPH)
    before = len(graph)
    for path in sorted(folder.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return len(graph) - before


FACTS_QUERY = """
SELECT ?item ?p ?value WHERE {
  <%(entity)s> <%(exact)s> ?item .
  GRAPH <%(graph)s> {
    VALUES ?p { <%(label)s> <%(alt)s> <%(desc)s> <%(coord)s> }
    ?item ?p ?value .
  }
}"""


def external_facts(select: Callable[[str], Iterable[Mapping[str, Any]]], entity_iri: str) -> dict[str, Any]:
    """Names per language, descriptions and coordinates the enrichment graph holds for an entity.

    ``select`` runs a SELECT over the union graph and yields rows of pyoxigraph terms, so the
    embedded store and a remote store behind the pages both serve it. Returns ``{"items": [...],
    "names": {"ru": [...], ...}, "aliases": {...}, "descriptions": {...}, "coordinates": [(lat, lon)]}``.
    """
    query = FACTS_QUERY % {"entity": entity_iri, "exact": SKOS_EXACT, "graph": ENRICHMENT_GRAPH,
                           "label": RDFS_LABEL, "alt": SKOS_ALT, "desc": SCHEMA_DESCRIPTION, "coord": WDT + "P625"}
    facts: dict[str, Any] = {"items": [], "names": {}, "aliases": {}, "descriptions": {}, "coordinates": []}
    key = {RDFS_LABEL: "names", SKOS_ALT: "aliases", SCHEMA_DESCRIPTION: "descriptions"}
    for row in select(query):
        item, prop, value = row["item"].value, row["p"].value, row["value"]
        if item not in facts["items"]:
            facts["items"].append(item)
        if prop == WDT + "P625":
            point = parse_point(value.value)
            if point and point not in facts["coordinates"]:
                facts["coordinates"].append(point)
        elif isinstance(value, ox.Literal):
            bucket = facts[key[prop]].setdefault(value.language or "", [])
            if value.value not in bucket:
                bucket.append(value.value)
    return facts


def store_select(store: ox.Store) -> Callable[[str], Iterable[Mapping[str, Any]]]:
    """``external_facts``' select over a pyoxigraph store's union graph."""
    return lambda query: store.query(query)  # the default graph: see kzkg.store.load_store


def parse_point(wkt: str) -> tuple[float, float] | None:
    """``Point(lon lat)`` (Wikidata's WKT, optionally with a CRS IRI first) -> (lat, lon)."""
    match = re.search(r"Point\(\s*(-?[0-9.]+)\s+(-?[0-9.]+)\s*\)", wkt)
    if not match:
        return None
    lon, lat = float(match.group(1)), float(match.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon
