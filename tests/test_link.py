"""Linking to external datasets: reconciliation, enrichment, federation and the remote side failing.

Every test that talks SPARQL goes through the network stack to servers on loopback and nowhere
else. The Wikidata stand-in is our own ``kzkg serve`` loaded with tests/data/wikidata-snapshot.ttl
(real values from public Wikidata-derived files, each group citing its source). Failures come
from :class:`FaultServer`, a loopback HTTP server that answers from a script -- 429 with
Retry-After, 500, a sleep past the client's timeout, malformed JSON -- or forwards to the stand-in.
Runs of ``--apply`` happen only on temporary copies of data/.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import itertools
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests
import yaml
from conftest import DATA_DIR, ROOT, LiveServer

from kzkg.atomic import FileChangedError, atomic_write_text
from kzkg.enrich import ENRICHMENT_GRAPH, enrich
from kzkg.export import Canonical
from kzkg.ingest import load_corpus
from kzkg.link import reconcile, reconcile_query, targets
from kzkg.link_apply import add_links
from kzkg.namespaces import ID
from kzkg.sparql_client import EndpointRefused, EndpointUnavailable, SparqlClient
from kzkg.store import open_read_only, publish_nquads
from kzkg_server.enrichment import external_facts, store_select

SNAPSHOT = Path(__file__).parent / "data" / "wikidata-snapshot.ttl"
SNAPSHOT_IRI = "https://w3id.org/kzkg/id/source/wikidata-snapshot"
WD = "http://www.wikidata.org/entity/"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
ASK_ALL = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 1"


def kzkg(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kzkg.cli", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


def fast_client(endpoint: str, **options) -> SparqlClient:
    settings = {"timeout": 10.0, "retries": 3, "min_interval": 0.0, "backoff": 0.05, "max_backoff": 0.2}
    settings.update(options)
    return SparqlClient(endpoint, **settings)


# ------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Wikidata stand-in: `kzkg serve` on loopback over a release holding only the snapshot."""
    build = tmp_path_factory.mktemp("wikidata-standin")
    triples = ox.parse(path=str(SNAPSHOT), format=ox.RdfFormat.TURTLE)
    canonical = Canonical.from_quads(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
    publish_nquads(build, canonical.nquads(), {"note": "Wikidata stand-in"})
    server = LiveServer(build, extra_args=["--workers", "1"])
    yield server.url + "/sparql"
    server.stop()


class FaultServer:
    """A loopback HTTP server that answers each request with the next scripted action.

    Actions: ("proxy",) forward to the stand-in; ("status", code, headers, body); ("sleep", s) then
    a valid answer too late; ("malformed",) 200 with broken JSON. When the script runs out,
    ``default`` is used. ("truncated",) sends fewer bytes than its Content-Length and closes. Every
    request is recorded (method, path, headers, body, time).
    """

    def __init__(
        self,
        upstream: str | None = None,
        script: list[tuple] | None = None,
        default: tuple = ("status", 500, {}, b"internal error"),
    ):
        self.upstream, self.script, self.default = upstream, list(script or []), default
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        fault = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *_args) -> None:
                return None

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with fault.lock:
                    fault.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "time": time.monotonic(),
                        }
                    )
                    action = fault.script.pop(0) if fault.script else fault.default
                # the client may have given up (a timeout test): then there is nothing to answer
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    fault.act(self, action, body)

            do_GET = do_POST = handle_one

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def act(self, handler: http.server.BaseHTTPRequestHandler, action: tuple, body: bytes) -> None:
        kind = action[0]
        if kind == "proxy":
            query_string = handler.path.partition("?")[2]
            upstream = self.upstream + (f"?{query_string}" if query_string else "")
            headers = {k: v for k, v in handler.headers.items() if k.lower() in ("accept", "content-type")}
            answer = requests.request(handler.command, upstream, data=body or None, headers=headers, timeout=30)
            self.reply(
                handler, answer.status_code, {"Content-Type": answer.headers.get("Content-Type", "")}, answer.content
            )
        elif kind == "status":
            _, code, headers, payload = action
            self.reply(handler, code, {"Content-Type": "text/plain", **headers}, payload)
        elif kind == "sleep":
            time.sleep(action[1])
            self.reply(
                handler,
                200,
                {"Content-Type": "application/sparql-results+json"},
                b'{"head":{"vars":[]},"results":{"bindings":[]}}',
            )
        elif kind == "malformed":
            self.reply(handler, 200, {"Content-Type": "application/sparql-results+json"}, b'{"head": {"vars": [')
        elif kind == "truncated":  # headers promise more than arrives before the connection closes
            handler.send_response(200)
            handler.send_header("Content-Type", "application/sparql-results+json")
            handler.send_header("Content-Length", "1000")
            handler.end_headers()
            handler.wfile.write(b'{"head": {"vars": []}, ')
            handler.close_connection = True

    @staticmethod
    def reply(handler, code: int, headers: dict[str, str], payload: bytes) -> None:
        handler.send_response(code)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def fault(standin: str) -> Iterator[FaultServer]:
    server = FaultServer(upstream=standin)
    yield server
    server.stop()


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ (and the ontology beside it): the only data --apply may touch."""
    shutil.copytree(DATA_DIR, tmp_path / "data")
    shutil.copytree(ROOT / "ontology", tmp_path / "ontology")
    return tmp_path / "data"


def snapshot_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------- the snapshot
def test_snapshot_is_generated_from_its_recorded_sources_and_says_so() -> None:
    sys.path.insert(0, str(SNAPSHOT.parent))
    try:
        import make_wikidata_snapshot as maker
    finally:
        sys.path.pop(0)
    assert maker.render() == SNAPSHOT.read_text(encoding="utf-8"), (
        "regenerate: python tests/data/make_wikidata_snapshot.py"
    )
    graph = rdflib.Graph().parse(SNAPSHOT, format="turtle")
    declared = set(graph.objects(rdflib.URIRef(SNAPSHOT_IRI), rdflib.URIRef(PROV_DERIVED)))
    assert len(declared) == len(maker.SOURCES)
    items = {s for s in graph.subjects() if str(s).startswith(WD)}
    assert len(items) >= 25
    for item in items:
        sources = set(graph.objects(item, rdflib.URIRef(PROV_DERIVED)))
        assert sources and sources <= declared, item  # every item group names a declared source file
    for source in declared:
        assert str(source).startswith("https://github.com/") and "/blob/" in str(source)


# ------------------------------------------------------------------------------ module homes
def test_only_the_cli_imports_reconciliation() -> None:
    """The build and the web server use enrichment and the page facts, never kzkg.link."""
    probe = (
        "import sys, kzkg.pipeline, kzkg.query, kzkg_server.pages, kzkg_server.remote, kzkg_server.run; "
        "print(sorted(m for m in sys.modules if m == 'kzkg.link'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# ------------------------------------------------------------------------ client behaviour
def test_client_identifies_itself_and_uses_the_sparql_protocol(fault: FaultServer) -> None:
    fault.script = [("proxy",)]
    client = fast_client(fault.url, contact="mailto:maintainers@example.org")
    results = client.select(ASK_ALL)
    assert results.bindings and not results.from_cache
    sent = fault.requests[0]
    agent = sent["headers"]["User-Agent"]
    assert agent.startswith("kzkg/") and "mailto:maintainers@example.org" in agent and "python-requests/" in agent
    assert "application/sparql-results+json" in sent["headers"]["Accept"]
    assert "format=" not in sent["path"]  # content negotiation only


def test_batches_many_entities_into_one_values_query(fault: FaultServer) -> None:
    fault.default = ("proxy",)
    corpus = load_corpus(DATA_DIR)
    wanted = [
        "uzbekistan",
        "kyzylorda-region",
        "aktobe-region",
        "soviet-union",
        "democratic-party-of-kazakhstan",
        "china",
        "zhanbolat-mamay",
        "kazakh-ssr",
        "nazarbayev",
        "masimov",
    ]
    results, queries = reconcile(corpus, fast_client(fault.url), only=wanted, batch_size=5)
    assert len(fault.requests) == 2 == len(queries)  # ten entities, two requests
    assert all("VALUES (?entity ?name)" in q for q in queries.values())
    assert {r.entity for r in results} == set(wanted)


def test_rate_limit_spaces_requests(fault: FaultServer) -> None:
    fault.default = ("proxy",)
    client = fast_client(fault.url, min_interval=0.3)
    for n in range(3):
        client.select(f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {n + 1}")
    times = [r["time"] for r in fault.requests]
    assert all(later - earlier >= 0.28 for earlier, later in itertools.pairwise(times))


def test_429_waits_for_retry_after_then_succeeds(fault: FaultServer) -> None:
    fault.script = [("status", 429, {"Retry-After": "1"}, b"slow down"), ("proxy",)]
    client = fast_client(fault.url)
    started = time.monotonic()
    results = client.select(ASK_ALL)
    assert results.bindings
    assert time.monotonic() - started >= 1.0
    assert [a.outcome for a in client.attempts] == ["429", "ok"]
    assert client.attempts[0].waited >= 1.0
    assert fault.requests[1]["time"] - fault.requests[0]["time"] >= 1.0


def test_5xx_back_off_grows_then_succeeds(fault: FaultServer) -> None:
    fault.script = [("status", 500, {}, b"boom"), ("status", 503, {}, b"maintenance"), ("proxy",)]
    client = fast_client(fault.url, backoff=0.1, max_backoff=5)
    assert client.select(ASK_ALL).bindings
    outcomes = [(a.outcome, a.waited) for a in client.attempts]
    assert [o for o, _ in outcomes] == ["500", "503", "ok"]
    assert 0.1 <= outcomes[0][1] < outcomes[1][1]  # exponential: 0.1 s, then 0.2 s (plus jitter)


def test_timeout_is_retried_then_reported_clearly(fault: FaultServer) -> None:
    fault.script = [("sleep", 3), ("sleep", 3)]
    client = fast_client(fault.url, timeout=0.5, retries=1)
    started = time.monotonic()
    with pytest.raises(EndpointUnavailable, match=r"failed 2 time\(s\); last: timeout: no answer within 0.5 s"):
        client.select(ASK_ALL)
    assert time.monotonic() - started < 2.5
    assert len(fault.requests) == 2


def test_malformed_json_is_retried_and_never_taken_for_an_answer(fault: FaultServer) -> None:
    fault.script = [("malformed",), ("proxy",)]
    client = fast_client(fault.url)
    assert client.select(ASK_ALL).bindings
    assert [a.outcome for a in client.attempts] == ["malformed", "ok"]
    fault.script, fault.default = [], ("malformed",)
    with pytest.raises(EndpointUnavailable, match=r"malformed: .*did not answer with JSON"):
        fast_client(fault.url, retries=1).select(ASK_ALL + " ")


def test_an_answer_cut_off_mid_body_is_retried(fault: FaultServer) -> None:
    """urllib3's Retry ends at the headers; a body that breaks off after them is retried from the same budget."""
    fault.script = [("truncated",), ("proxy",)]
    client = fast_client(fault.url)
    assert client.select(ASK_ALL).bindings
    assert [a.outcome for a in client.attempts] == ["connection", "ok"] and client.attempts[0].waited > 0
    fault.script, fault.default = [], ("truncated",)
    with pytest.raises(EndpointUnavailable, match=r"failed 2 time\(s\); last: connection: "):
        fast_client(fault.url, retries=1).select(ASK_ALL + " ")
    assert len(fault.requests) == 4


def test_wrong_shape_json_is_malformed(fault: FaultServer) -> None:
    fault.default = ("status", 200, {"Content-Type": "application/json"}, b'{"hello": "world"}')
    with pytest.raises(EndpointUnavailable, match=r"without head\.vars and results\.bindings"):
        fast_client(fault.url, retries=0).select(ASK_ALL)


def test_a_refusal_is_final(fault: FaultServer) -> None:
    fault.default = ("status", 400, {}, b"Parse error at line 1")
    with pytest.raises(EndpointRefused, match=r"malformed .400.: .*Parse error"):
        fast_client(fault.url).select(ASK_ALL)
    assert len(fault.requests) == 1


def test_retry_after_longer_than_allowed_gives_up_at_once(fault: FaultServer) -> None:
    fault.default = ("status", 429, {"Retry-After": "3600"}, b"")
    with pytest.raises(EndpointUnavailable, match="retry after 3600 s"):
        fast_client(fault.url, max_retry_after=60).select(ASK_ALL)
    assert len(fault.requests) == 1


def test_answers_are_cached_on_disk(fault: FaultServer, tmp_path: Path) -> None:
    fault.default = ("proxy",)
    first = fast_client(fault.url, cache_dir=tmp_path).select(ASK_ALL)
    again = fast_client(fault.url, cache_dir=tmp_path).select(ASK_ALL)
    assert len(fault.requests) == 1 and again.from_cache and again.bindings == first.bindings
    for entry in tmp_path.rglob("*.json"):
        entry.write_text("{ broken", encoding="utf-8")  # a damaged entry is a miss, not an answer
    assert not fast_client(fault.url, cache_dir=tmp_path).select(ASK_ALL).from_cache
    assert len(fault.requests) == 2


def test_failures_are_not_cached(fault: FaultServer, tmp_path: Path) -> None:
    fault.script = [("malformed",)]
    fault.default = ("proxy",)
    with pytest.raises(EndpointUnavailable):
        fast_client(fault.url, cache_dir=tmp_path, retries=0).select(ASK_ALL)
    assert not list(tmp_path.rglob("*.json"))


# ---------------------------------------------------------------------------- reconciliation
def test_reconciliation_scores_candidates_against_the_standin(standin: str) -> None:
    corpus = load_corpus(DATA_DIR)
    wanted = [
        "uzbekistan",
        "kyzylorda-region",
        "aktobe-region",
        "democratic-party-of-kazakhstan",
        "soviet-union",
        "kazakh-ssr",
    ]
    results = {r.entity: r for r in reconcile(corpus, fast_client(standin), only=wanted)[0]}
    assert (results["uzbekistan"].decision, results["uzbekistan"].choose) == ("accept", "Q265")
    region = results["kyzylorda-region"]
    assert (region.decision, region.choose) == ("accept", "Q485322")
    city = next(c for c in region.candidates if c.item == "Q491123")  # "Kyzylorda", our alias
    assert city.linked_elsewhere == "kyzylorda" and not city.viable
    assert results["aktobe-region"].choose == "Q485437"
    # the trap in ../shared/links/README.md: Ak Zhol's alias is "Democratic Party of Kazakhstan"
    trap = results["democratic-party-of-kazakhstan"]
    assert trap.decision == "review" and trap.choose is None
    assert [c.item for c in trap.candidates] == ["Q1186246"] and not trap.candidates[0].viable
    assert results["soviet-union"].decision == "review"  # a label match with nothing else to back it
    assert results["kazakh-ssr"].decision == "no-candidates"


def test_query_matches_labels_and_aliases_in_several_languages_with_type_and_place() -> None:
    corpus = load_corpus(DATA_DIR)
    [target] = targets(corpus, ["kyzylorda-region"])
    assert target.countries == ("Q232",)  # located_in kazakhstan, whose link is Q232
    query = reconcile_query([target])
    for lang in ("en", "mul", "ru", "kk"):
        assert f'("kyzylorda-region" "Kyzylorda"@{lang})' in query
    assert "skos:altLabel" in query and "wdt:P31/wdt:P279*" in query and "wdt:P17|wdt:P27" in query
    assert "wdt:P569" in query and "wdt:P576" in query  # dates, to place candidates around 2022


def test_link_cli_writes_reviewable_candidates(standin: str, tmp_path: Path) -> None:
    candidates = tmp_path / "candidates.yaml"
    before = snapshot_of(DATA_DIR / "entities")
    result = kzkg(
        "link",
        "--endpoint",
        standin,
        "--rate",
        "0",
        "--no-cache",
        "--candidates",
        str(candidates),
        "--only",
        "uzbekistan",
        "--only",
        "democratic-party-of-kazakhstan",
    )
    assert result.returncode == 0, result.stderr
    assert "1 to accept, 1 to review" in result.stdout
    text = candidates.read_text(encoding="utf-8")
    assert text.startswith("# kzkg link candidates: review before")
    document = yaml.safe_load(text)
    assert document["endpoint"] == standin and document["retrieved"]
    entry = {e["entity"]: e for e in document["entities"]}
    assert entry["uzbekistan"]["choose"] == "Q265" and entry["uzbekistan"]["candidates"][0]["reasons"]
    assert set(document["queries"]) == {c["query"] for e in document["entities"] for c in e["candidates"]}
    assert snapshot_of(DATA_DIR / "entities") == before  # a search never touches the data


def test_apply_records_accepted_links_surgically_with_evidence(standin: str, data_copy: Path, tmp_path: Path) -> None:
    candidates = tmp_path / "candidates.yaml"
    wanted = ["uzbekistan", "kyzylorda-region", "aktobe-region", "democratic-party-of-kazakhstan", "soviet-union"]
    args = [a for w in wanted for a in ("--only", w)]
    assert (
        kzkg(
            "link",
            "--data-dir",
            str(data_copy),
            "--endpoint",
            standin,
            "--rate",
            "0",
            "--no-cache",
            "--candidates",
            str(candidates),
            *args,
        ).returncode
        == 0
    )
    before = {p: p.read_text(encoding="utf-8") for p in (data_copy / "entities").glob("*.yaml")}
    applied = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert applied.returncode == 0, applied.stderr
    assert "3 link(s) recorded" in applied.stdout
    corpus = load_corpus(data_copy)
    assert corpus.entities["uzbekistan"].links["wikidata"] == "Q265"
    assert corpus.entities["kyzylorda-region"].links["wikidata"] == "Q485322"
    assert corpus.entities["aktobe-region"].links["wikidata"] == "Q485437"
    for never in ("democratic-party-of-kazakhstan", "soviet-union"):  # not auto-applied
        assert not corpus.entities[never].links
    evidence = corpus.entities["uzbekistan"].links["evidence"]
    assert standin in evidence and "Q265" in evidence and "auto-accepted" in evidence
    query_file = evidence.split("query ")[-1]
    assert (data_copy / query_file).read_text(encoding="utf-8").startswith("# kzkg link")
    assert not [p for p in corpus.problems if "links" in p.message]
    # each file changed only by the inserted lines; comments, quoting and folding kept byte for byte
    for path, old in before.items():
        new = path.read_text(encoding="utf-8")
        added = [line for line in new.splitlines() if line not in old.splitlines()]
        assert [line for line in new.splitlines() if line not in added] == old.splitlines()
        assert all(line.lstrip().startswith("links: {wikidata: Q") for line in added)
    # applying again changes nothing: they are linked now
    again = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert "0 link(s) recorded" in again.stdout and "already linked" in again.stderr


def test_ambiguous_candidates_need_a_named_reviewer(standin: str, data_copy: Path, tmp_path: Path) -> None:
    registry = data_copy / "entities" / "registry.yaml"
    lines = registry.read_text(encoding="utf-8").splitlines(keepends=True)
    unlinked = [line for line in lines if not ("wikidata: Q35493," in line or "wikidata: Q186466," in line)]
    assert len(unlinked) == len(lines) - 2
    registry.write_text("".join(unlinked), encoding="utf-8")
    candidates = tmp_path / "candidates.yaml"
    assert (
        kzkg(
            "link",
            "--data-dir",
            str(data_copy),
            "--endpoint",
            standin,
            "--rate",
            "0",
            "--no-cache",
            "--candidates",
            str(candidates),
            "--only",
            "almaty",
        ).returncode
        == 0
    )
    document = yaml.safe_load(candidates.read_text(encoding="utf-8"))
    [entry] = document["entities"]
    assert entry["decision"] == "review" and entry["reason"].startswith("ambiguous")
    assert {c["item"] for c in entry["candidates"] if c["viable"]} == {"Q35493", "Q186466"}  # city and region
    result = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert "0 link(s) recorded" in result.stdout  # never applied automatically
    entry["choose"] = "Q35493"
    candidates.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert "0 link(s) recorded" in result.stdout and "reviewed_by" in result.stderr
    entry["decision"] = "accept"  # a hand-edited verdict does not make an ambiguous entry automatic
    candidates.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert "0 link(s) recorded" in result.stdout and "reviewed_by" in result.stderr
    entry["reviewed_by"] = "A. Curator"
    entry["choose"] = "Q999999999"  # not a listed candidate
    candidates.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert "not one of the listed candidates" in result.stderr
    entry["choose"] = "Q35493"
    candidates.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    result = kzkg("link", "--data-dir", str(data_copy), "--candidates", str(candidates), "--apply")
    assert "1 link(s) recorded" in result.stdout, result.stderr
    links = load_corpus(data_copy).entities["almaty"].links
    assert links["wikidata"] == "Q35493" and "chosen by reviewer A. Curator" in links["evidence"]


def test_link_failure_leaves_data_and_candidates_untouched(fault: FaultServer, data_copy: Path, tmp_path: Path) -> None:
    fault.default = ("status", 503, {"Retry-After": "0"}, b"maintenance")
    candidates = tmp_path / "candidates.yaml"
    candidates.write_text("# an earlier review, to be kept\n", encoding="utf-8")
    before = snapshot_of(data_copy)
    result = kzkg(
        "link",
        "--data-dir",
        str(data_copy),
        "--endpoint",
        fault.url,
        "--retries",
        "1",
        "--rate",
        "0",
        "--no-cache",
        "--candidates",
        str(candidates),
    )
    assert result.returncode == 2
    assert "error:" in result.stderr and "503" in result.stderr and "Traceback" not in result.stderr
    assert candidates.read_text(encoding="utf-8") == "# an earlier review, to be kept\n"
    assert snapshot_of(data_copy) == before


def test_atomic_write_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    target = tmp_path / "entities.yaml"
    target.write_text("- id: a\n  type: Place\n  label: A\n", encoding="utf-8")
    stale = hashlib.sha256(b"what we read before a curator saved").hexdigest()
    with pytest.raises(FileChangedError, match="changed while kzkg was writing it"):
        atomic_write_text(target, "replacement\n", expected_sha256=stale)
    assert target.read_text(encoding="utf-8") == "- id: a\n  type: Place\n  label: A\n"
    assert [p.name for p in tmp_path.iterdir()] == ["entities.yaml"]  # no temp file left behind


def test_a_crash_while_replacing_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "004.yaml"
    original = (
        "# curated\n- id: x\n  type: Place\n  label: X  # keep this comment\n\n- id: y\n  type: Place\n  label: Y\n"
    )
    target.write_text(original, encoding="utf-8")

    def disk_full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError):
        add_links(target, {"x": ("Q1", "evidence")})
    assert target.read_text(encoding="utf-8") == original
    assert [p.name for p in tmp_path.iterdir()] == ["004.yaml"]


def test_add_links_inserts_one_line_and_keeps_everything_else(tmp_path: Path) -> None:
    target = tmp_path / "004.yaml"
    original = (
        "# curated\n- id: x\n  type: Place\n  label: X  # keep this comment\n  note: >-\n    folded\n"
        "    text\n\n# --- next section ---\n- id: y\n  type: Place\n  label: 'Y'"
    )
    target.write_text(original, encoding="utf-8")
    add_links(target, {"x": ("Q1", 'found "here"'), "y": ("Q2", "there")})
    new = target.read_text(encoding="utf-8")
    assert new == (
        "# curated\n- id: x\n  type: Place\n  label: X  # keep this comment\n  note: >-\n    folded\n"
        '    text\n  links: {wikidata: Q1, evidence: "found \\"here\\""}\n\n# --- next section ---\n'
        "- id: y\n  type: Place\n  label: 'Y'\n  links: {wikidata: Q2, evidence: \"there\"}\n"
    )
    assert yaml.safe_load(new)[0]["links"] == {"wikidata": "Q1", "evidence": 'found "here"'}


# ------------------------------------------------------------------------------- enrichment
def test_enrich_fetches_names_coordinates_and_provenance(standin: str, tmp_path: Path) -> None:
    output = tmp_path / "wikidata.ttl"
    report = enrich(DATA_DIR, fast_client(standin), output=output)
    graph = rdflib.Graph().parse(output, format="turtle")
    kazakhstan = rdflib.URIRef(WD + "Q232")
    labels = {(str(o), o.language) for o in graph.objects(kazakhstan, rdflib.RDFS.label)}
    assert {("Казахстан", "ru"), ("Қазақстан", "kk"), ("Kazakhstan", "en")} <= labels
    wdt = rdflib.Namespace("http://www.wikidata.org/prop/direct/")
    assert str(graph.value(rdflib.URIRef(WD + "Q1000852"), wdt.P625)) == "Point(52.86192000 43.34116000)"
    assert graph.value(rdflib.URIRef(WD + "Q1000852"), wdt.P17) == kazakhstan
    assert (kazakhstan, wdt.P35, rdflib.URIRef(WD + "Q200881")) in graph  # Tokayev heads the state
    assert report.labels["ru"] >= 15 and report.labels["kk"] >= 5 and report.coordinates >= 15
    assert set(report.missing) <= {"Q7747", "Q22868", "Q223799"}  # the snapshot has no source for these
    node = rdflib.URIRef(str(ENRICHMENT_GRAPH))
    prov = rdflib.Namespace("http://www.w3.org/ns/prov#")
    assert graph.value(node, rdflib.DCTERMS.source) == rdflib.URIRef(standin)
    assert graph.value(node, prov.generatedAtTime) is not None
    assert (node, prov.wasDerivedFrom, rdflib.URIRef(SNAPSHOT_IRI)) in graph
    licences = set(graph.objects(None, rdflib.DCTERMS.license))
    assert rdflib.URIRef("https://creativecommons.org/licenses/by-sa/4.0/") in licences


def test_enrich_failure_never_touches_the_enrichment_graph(fault: FaultServer, data_copy: Path) -> None:
    shipped = data_copy / "enrichment" / "wikidata.ttl"
    before = shipped.read_bytes()
    fault.script = [("proxy",), ("proxy",)]
    fault.default = ("malformed",)
    result = kzkg(
        "enrich", "--data-dir", str(data_copy), "--endpoint", fault.url, "--retries", "1", "--rate", "0", "--no-cache"
    )
    assert result.returncode == 2
    assert "did not answer with JSON" in result.stderr and "was not changed" in result.stderr
    assert shipped.read_bytes() == before
    assert not [p.name for p in shipped.parent.iterdir() if p.name.startswith(".")]  # no temp file left


def test_shipped_enrichment_graph_was_made_from_the_standin_and_invents_nothing() -> None:
    shipped = rdflib.Graph().parse(DATA_DIR / "enrichment" / "wikidata.ttl", format="turtle")
    snapshot = rdflib.Graph().parse(SNAPSHOT, format="turtle")
    node = rdflib.URIRef(str(ENRICHMENT_GRAPH))
    assert (node, rdflib.URIRef(PROV_DERIVED), rdflib.URIRef(SNAPSHOT_IRI)) in shipped
    assert "kzkg enrich" in str(shipped.value(node, rdflib.DCTERMS.description))
    for s, p, o in shipped:
        if str(s).startswith(WD) or str(s) == SNAPSHOT_IRI:
            assert (s, p, o) in snapshot, (s, p, o)  # every external fact is the stand-in's, verbatim
    linked = {WD + e.links["wikidata"] for e in load_corpus(DATA_DIR).entities.values() if e.links.get("wikidata")}
    with_ru = {s for s, o in shipped.subject_objects(rdflib.RDFS.label) if o.language == "ru"} & {
        rdflib.URIRef(i) for i in linked
    }
    with_kk = {s for s, o in shipped.subject_objects(rdflib.RDFS.label) if (o.language or "").split("-")[0] == "kk"} & {
        rdflib.URIRef(i) for i in linked
    }
    assert len(with_ru) >= 15 and len(with_kk) >= 5


def test_build_publishes_enrichment_in_its_own_graph_unreasoned(release) -> None:
    store = open_read_only(release)
    graph = ox.NamedNode(str(ENRICHMENT_GRAPH))
    assert len(list(store.quads_for_pattern(ox.NamedNode(WD + "Q232"), None, None, graph))) > 5
    inferred = ox.NamedNode("https://w3id.org/kzkg/id/graph/inferred")
    assert not [q for q in store.quads_for_pattern(None, None, None, inferred) if q.subject.value.startswith(WD)]
    facts = external_facts(store_select(store), str(ID) + "kazakhstan")
    assert "Казахстан" in facts["names"]["ru"] and "Қазақстан" in facts["names"]["kk"]
    assert facts["coordinates"] == [(48.0, 68.0)]
    zhanaozen = external_facts(store_select(store), str(ID) + "zhanaozen")
    assert zhanaozen["coordinates"] == [(43.34116, 52.86192)] and zhanaozen["names"]["kk"] == ["Жаңаөзен"]
    assert external_facts(store_select(store), str(ID) + "peter-leonard")["items"] == []  # unlinked: nothing external


def test_offline_example_query_lists_multilingual_names(build_dir: Path) -> None:
    result = kzkg(
        "query",
        "--build-dir",
        str(build_dir),
        "--format",
        "json",
        str(ROOT / "kzkg" / "queries" / "93-enrichment-names.rq"),
    )
    assert result.returncode == 0, result.stderr
    rows = {b["entity"]["value"].rsplit("/", 1)[-1]: b for b in json.loads(result.stdout)["results"]["bindings"]}
    assert (
        rows["kazakhstan"]["russian"]["value"] == "Казахстан" and rows["kazakhstan"]["kazakh"]["value"] == "Қазақстан"
    )
    assert rows["taldykorgan"]["coordinates"]["value"].startswith("Point(78.37389")


# ------------------------------------------------------------------------------- federation
@pytest.fixture(scope="module")
def federating_server(build_dir: Path, standin: str) -> Iterator[LiveServer]:
    server = LiveServer(build_dir, env={"KZKG_SERVICE_ALLOWLIST": json.dumps([standin])})
    yield server
    server.stop()


def run(endpoint: str, query: str) -> requests.Response:
    return requests.post(
        endpoint, data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60
    )


def test_federated_example_joins_our_claims_with_the_standin(federating_server: LiveServer, standin: str) -> None:
    endpoint = federating_server.url + "/sparql"
    example = (ROOT / "kzkg" / "queries" / "90-wikidata-region-names.rq").read_text(encoding="utf-8")
    response = run(endpoint, example.replace("https://query.wikidata.org/sparql", standin))
    assert response.status_code == 200, response.text
    rows = {b["place"]["value"].rsplit("/", 1)[-1]: b for b in response.json()["results"]["bindings"]}
    assert rows["mangystau-region"]["russian"]["value"] == "Мангистау"
    assert rows["mangystau-region"]["kazakh"]["value"] == "Маңғыстау"
    assert int(rows["almaty"]["claims"]["value"]) > 0  # our claims, joined with the external names
    members = run(
        endpoint,
        (ROOT / "kzkg" / "queries" / "91-wikidata-csto-members.rq")
        .read_text(encoding="utf-8")
        .replace("https://query.wikidata.org/sparql", standin),
    )
    assert members.status_code == 200, members.text
    states = {b["state"]["value"].rsplit("/", 1)[-1] for b in members.json()["results"]["bindings"]}
    assert {"kazakhstan", "russia", "belarus", "kyrgyzstan"} <= states


def test_other_services_stay_refused(federating_server: LiveServer) -> None:
    endpoint = federating_server.url + "/sparql"
    refused = run(endpoint, "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }")
    assert refused.status_code == 403 and "not allowed" in refused.text  # forbidden, as the Security section says


def test_federated_examples_return_nothing_rather_than_wrong_rows_when_offline(live_server: LiveServer) -> None:
    """Default allow-list (Wikidata, DBpedia) on a machine that cannot reach them: SILENT + BOUND."""
    endpoint = live_server.url + "/sparql"
    for name in ("90-wikidata-region-names.rq", "91-wikidata-csto-members.rq", "92-dbpedia-populations.rq"):
        response = run(endpoint, (ROOT / "kzkg" / "queries" / name).read_text(encoding="utf-8"))
        assert response.status_code == 200, (name, response.text)
        assert response.json()["results"]["bindings"] == [], name


def test_query_cli_runs_against_a_remote_endpoint(standin: str, fault: FaultServer) -> None:
    selected = kzkg(
        "query", "--endpoint", standin, "--format", "json", f"SELECT ?l WHERE {{ <{WD}Q265> <{RDFS_LABEL}> ?l }}"
    )
    assert selected.returncode == 0, selected.stderr
    assert {b["l"]["value"] for b in json.loads(selected.stdout)["results"]["bindings"]} >= {"Uzbekistan", "Өзбекстан"}
    constructed = kzkg(
        "query",
        "--endpoint",
        standin,
        f"CONSTRUCT {{ <{WD}Q265> <{RDFS_LABEL}> ?l }} WHERE {{ <{WD}Q265> <{RDFS_LABEL}> ?l }}",
    )
    assert constructed.returncode == 0 and "Узбекистан" in constructed.stdout
    fault.default = ("status", 500, {}, b"upstream exploded")
    failed = kzkg("query", "--endpoint", fault.url, "ASK { ?s ?p ?o }")
    assert failed.returncode == 2 and "500" in failed.stderr and "Traceback" not in failed.stderr
