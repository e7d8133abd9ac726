"""Stage 1, ingest: read the curated YAML and the article texts into typed records.

Curators edit YAML by hand, so every mistake must come back as a sentence that names the file and
the entry (``data/annotations/001.yaml: claim 001-x: unknown key 'claimd_by'``), and all mistakes
of a run come back together. Nothing here touches RDF; :mod:`kzkg.map` does that.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

UNKNOWN = "unknown"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

ENTITY_TYPES = ("Person", "Organization", "MediaOutlet", "Place", "Channel", "Group")
CLAIM_STATUSES = ("Unverified", "Disputed", "Confirmed", "Retracted")
CONTROL_VALUES = ("state", "independent", UNKNOWN)
EVENT_TYPES = (
    "Unrest", "Protest", "Riot", "Looting", "Arson", "Seizure", "Attack", "Shooting", "Killing",
    "Clash", "CounterTerroristOperation", "StateOfEmergency", "Curfew", "InternetShutdown",
    "InternetRestoration", "RequestForAssistance", "MilitaryDeployment", "MilitaryWithdrawal",
    "Detention", "Release", "Dismissal", "Resignation", "Appointment", "CriminalCase", "Broadcast",
    "Statement", "PriceRise", "PolicyChange", "Funeral", "Fire", "MilitaryOperation", "Departure",
    "Closure", "Crackdown", "Other",
)
QUANTITY_KINDS = (
    "Deaths", "Injuries", "Hospitalisations", "Detentions", "CriminalCases", "AdministrativeCases",
    "Troops", "Attackers", "Protesters", "Damage", "LootedStores", "Stores", "Weapons", "Vehicles",
    "Buildings", "Money", "Duration", "Videos", "Incidents", "Dismissals", "Other",
)
QUALIFIERS = (
    "exactly", "at-least", "more-than", "nearly", "about", "a-little-over", "up-to", "dozens",
    "a-couple-of-dozen", "hundreds", "thousands", "several", "many", "most",
)


class IngestError(Exception):
    """The input could not be read at all (a missing folder, YAML that does not parse).

    Distinct from a :class:`Problem`, which is a mistake *in* readable data: errors stop
    validation (exit 2), problems are reported together (exit 1).
    """


@dataclass(frozen=True)
class Problem:
    """One mistake in the curated data, located by file and entry."""

    path: str
    entry: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.entry}: {self.message}" if self.entry else f"{self.path}: {self.message}"


@dataclass
class Evidence:
    """A verbatim quote from one article; offsets are filled in by :func:`kzkg.map.locate`."""

    article: str
    quote: str
    occurrence: int = 1
    where: str = ""  # file and entry, for error messages


@dataclass
class Article:
    id: str
    file: str
    title: str
    publisher: str
    byline: str
    creators: list[str]
    date: dt.date | None
    date_text: str | None
    note: str | None
    text: str
    repost_of: dict[str, Any] | None = None
    reprints: list[str] = field(default_factory=list)
    part_of_issue: str | None = None


@dataclass
class Entity:
    id: str
    types: list[str]
    label: str
    aliases: list[str]
    located_in: str | None
    member_of: list[str]
    country: str | None
    control: str | None
    control_evidence: Evidence | None
    links: dict[str, str]
    where: str


@dataclass
class Event:
    id: str
    type: str
    label: str
    start: dt.date | None
    end: dt.date | None
    date_text: str | None
    places: list[str]
    participants: list[str]
    part_of: list[str]
    evidence: list[Evidence]
    where: str


@dataclass
class Claim:
    id: str
    article: str
    label: str
    claimed_by: list[str]
    via: list[str]
    date: dt.date | None
    date_text: str | None
    stated_in: str | None
    about: list[str]
    quantity: int | float | None
    quantity_kind: str | None
    qualifier: str | None
    quantity_text: str | None
    unit: str | None
    status: str
    polarity: str | None
    contradicts: list[str]
    corroborates: list[str]
    evidence: list[Evidence]
    where: str
    kind: str = "factual"  # factual | opinion | prediction (kzkg.assertions)
    asserts: list = field(default_factory=list)  # kzkg.assertions.Assertion statements


@dataclass
class ReReport:
    """A claim first recorded in another article, reported again by this one."""

    claim: str
    evidence: Evidence
    where: str


@dataclass
class Role:
    actor: str
    role: str
    evidence: Evidence
    where: str


@dataclass
class Corpus:
    """Everything curated, ready to map; ``problems`` lists what is wrong with it."""

    articles: dict[str, Article] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    claims: dict[str, Claim] = field(default_factory=dict)
    reports: list[ReReport] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


class _Entry:
    """Reads one YAML mapping, recording problems against its file and entry name."""

    def __init__(self, corpus: Corpus, path: str, name: str, raw: Any, allowed: set[str]):
        self.corpus, self.path, self.name = corpus, path, name
        self.raw: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if not isinstance(raw, dict):
            self.problem(f"expected a mapping, found {type(raw).__name__}")
        for key in sorted(set(self.raw) - allowed):
            self.problem(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})")

    @property
    def where(self) -> str:
        return f"{self.path}: {self.name}"

    def problem(self, message: str) -> None:
        self.corpus.problems.append(Problem(self.path, self.name, message))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.problem(f"missing {key!r}")
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.problem(f"{key!r} must be text, found {type(value).__name__}")
            return None
        return str(value).strip()

    def ids(self, key: str) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        result = []
        for item in values:
            if isinstance(item, str) and SLUG.match(item):
                result.append(item)
            else:
                self.problem(f"{key!r}: {item!r} is not an id (lowercase letters, digits and hyphens)")
        return result

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in allowed:
            self.problem(f"{key!r}: {value!r} is not one of {', '.join(allowed)}")
            return default
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.raw.get(key)
        if value is None or value == UNKNOWN:
            return None
        if isinstance(value, dt.datetime):
            self.problem(f"{key!r}: give a date (YYYY-MM-DD), not a time")
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(f"{key!r}: {value!r} is not a date (YYYY-MM-DD) or 'unknown'")
            return None

    def number(self, key: str) -> int | float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(f"{key!r}: {value!r} is not a number (write 8500000000, not '8.5 billion')")
            return None
        return value

    def evidence(self, key: str, article: str | None) -> list[Evidence]:
        """Quotes under `key`: a string, a list of strings, or {article, quote, occurrence} maps."""
        value = self.raw.get(key)
        if value is None:
            return []
        items = value if isinstance(value, list) else [value]
        found = []
        for item in items:
            if isinstance(item, str) and article:
                found.append(Evidence(article, item, 1, self.where))
            elif isinstance(item, dict) and isinstance(item.get("quote"), str):
                extra = set(item) - {"article", "quote", "occurrence"}
                if extra:
                    self.problem(f"{key!r}: unknown key(s) {sorted(extra)} in evidence")
                source = str(item.get("article") or article or "")
                if not source:
                    self.problem(f"{key!r}: evidence needs an 'article'")
                    continue
                found.append(Evidence(source, item["quote"], int(item.get("occurrence", 1)), self.where))
            else:
                self.problem(f"{key!r}: expected a quote or {{article, quote}}, found {item!r}")
        return found


def _load_yaml(path: Path) -> Any:
    try:
        # libyaml's loader when PyYAML has it: same safe constructors, several times faster
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as broken:
        raise IngestError(f"{path}: not valid YAML: {broken}") from broken
    except OSError as unreadable:
        raise IngestError(f"{path}: cannot be read: {unreadable}") from unreadable


def _rel(path: Path, data_dir: Path) -> str:
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def load_corpus(data_dir: Path) -> Corpus:
    """Read every curated file under ``data_dir``; raise IngestError only when nothing can be read."""
    data_dir = Path(data_dir)
    corpus = Corpus()
    index = data_dir / "articles.yaml"
    if not index.is_file():
        raise IngestError(f"{index}: missing (the article index)")
    annotation_files = _yaml_files(data_dir / "annotations")
    if not annotation_files:
        raise IngestError(f"{data_dir / 'annotations'}: no annotation files (*.yaml) found")
    _read_articles(corpus, data_dir, index)
    for path in _yaml_files(data_dir / "entities"):
        _read_entities(corpus, data_dir, path)
    for path in _yaml_files(data_dir / "events"):
        _read_events(corpus, data_dir, path)
    for path in annotation_files:
        _read_annotations(corpus, data_dir, path)
    corpus.files = [index, *_yaml_files(data_dir / "entities"), *_yaml_files(data_dir / "events"), *annotation_files]
    return corpus


def _read_articles(corpus: Corpus, data_dir: Path, index: Path) -> None:
    rel = _rel(index, data_dir)
    raw = _load_yaml(index)
    entries = raw.get("articles") if isinstance(raw, dict) else None
    if not isinstance(entries, list):
        corpus.problems.append(Problem(rel, "", "expected a top-level 'articles:' list"))
        return
    allowed = {"id", "file", "title", "publisher", "byline", "creators", "date", "date_text", "note",
               "repost_of", "reprints", "part_of_issue"}
    for position, item in enumerate(entries, 1):
        name = f"article {item.get('id', f'#{position}')}" if isinstance(item, dict) else f"article #{position}"
        entry = _Entry(corpus, rel, name, item, allowed)
        article_id, file = entry.text("id", True), entry.text("file", True)
        if not article_id or not file:
            continue
        text_path = data_dir / file
        if not text_path.is_file():
            entry.problem(f"article text {file} not found")
            continue
        if article_id in corpus.articles:
            entry.problem("defined twice")
            continue
        with open(text_path, encoding="utf-8", newline="") as handle:
            text = handle.read()
        corpus.articles[article_id] = Article(
            id=article_id, file=file, title=entry.text("title", True) or "",
            publisher=entry.ids("publisher")[0] if entry.ids("publisher") else "",
            byline=entry.text("byline") or UNKNOWN, creators=entry.ids("creators"),
            date=entry.date("date"), date_text=entry.text("date_text"), note=entry.text("note"),
            text=text, repost_of=entry.raw.get("repost_of"),
            reprints=[str(r) for r in entry.raw.get("reprints") or []],
            part_of_issue=entry.text("part_of_issue"),
        )
        if not corpus.articles[article_id].publisher:
            entry.problem("missing 'publisher'")


def _entries(corpus: Corpus, rel: str, items: Any, kind: str, allowed: set[str]):
    """Each mapping of a curated list with its id, once the id is present and a slug."""
    for position, item in enumerate(items or [], 1):
        name = f"{kind} {item.get('id', f'#{position}')}" if isinstance(item, dict) else f"{kind} #{position}"
        entry = _Entry(corpus, rel, name, item, allowed)
        item_id = entry.text("id", True)
        if not item_id:
            continue
        if not SLUG.match(item_id):
            entry.problem(f"id {item_id!r} is not a lowercase slug")
            continue
        yield entry, item_id


def _read_entities(corpus: Corpus, data_dir: Path, path: Path) -> None:
    rel = _rel(path, data_dir)
    items = _load_yaml(path) or []
    if not isinstance(items, list):
        corpus.problems.append(Problem(rel, "", "expected a list of entities"))
        return
    allowed = {"id", "type", "label", "aliases", "located_in", "member_of", "control",
               "control_evidence", "country", "note", "links"}
    for entry, entity_id in _entries(corpus, rel, items, "entity", allowed):
        types = entry.raw.get("type")
        types = types if isinstance(types, list) else [types]
        bad = [t for t in types if t not in ENTITY_TYPES]
        if bad or not types:
            entry.problem(f"'type': {bad or types} not among {', '.join(ENTITY_TYPES)}")
        links = entry.raw.get("links") or {}
        if links and not isinstance(links, dict):
            entry.problem("'links' must be a mapping")
            links = {}
        links = {str(k): str(v) for k, v in links.items()}
        if set(links) - {"wikidata", "geonames", "dbpedia", "evidence"}:
            entry.problem(f"'links': unknown keys {sorted(set(links) - {'wikidata', 'geonames', 'dbpedia', 'evidence'})}")
        if set(links) - {"evidence"} and not links.get("evidence"):
            entry.problem("'links': an external identifier needs its 'evidence'")
        if "wikidata" in links and not re.fullmatch(r"Q[1-9][0-9]*", links["wikidata"]):
            entry.problem(f"'links': {links['wikidata']!r} is not a Wikidata item id")
        if "geonames" in links and not links["geonames"].isdigit():
            entry.problem(f"'links': {links['geonames']!r} is not a GeoNames id")
        control_evidence = entry.evidence("control_evidence", None)
        entity = Entity(
            id=entity_id, types=[t for t in types if t in ENTITY_TYPES], label=entry.text("label", True) or entity_id,
            aliases=[str(a) for a in entry.raw.get("aliases") or []], located_in=(entry.ids("located_in") or [None])[0],
            member_of=entry.ids("member_of"), country=(entry.ids("country") or [None])[0],
            control=entry.choice("control", CONTROL_VALUES), control_evidence=control_evidence[0] if control_evidence else None,
            links=links, where=entry.where,
        )
        if entity.control in ("state", "independent") and not entity.control_evidence:
            entry.problem("'control' needs 'control_evidence' (a quote showing it)")
        _register(corpus, entry, entity_id, entity)


def _register(corpus: Corpus, entry: _Entry, key: str, value: Entity | Event) -> None:
    """Entities and events share one id space; a twin is reported with both places."""
    clash = corpus.entities.get(key) or corpus.events.get(key)
    if clash is not None:
        entry.problem(f"id {key!r} is already defined at {clash.where}")
        return
    if isinstance(value, Entity):
        corpus.entities[key] = value
    else:
        corpus.events[key] = value


def _read_events(corpus: Corpus, data_dir: Path, path: Path) -> None:
    rel = _rel(path, data_dir)
    items = _load_yaml(path) or []
    if not isinstance(items, list):
        corpus.problems.append(Problem(rel, "", "expected a list of events"))
        return
    allowed = {"id", "type", "label", "start", "end", "date_text", "places", "participants",
               "part_of", "evidence", "note"}
    for entry, event_id in _entries(corpus, rel, items, "event", allowed):
        if "start" not in entry.raw:
            entry.problem("missing 'start' (a date, or 'unknown' when the text gives none)")
        start, end = entry.date("start"), entry.date("end")
        if start and end and end < start:
            entry.problem(f"'end' {end} is before 'start' {start}")
        evidence = entry.evidence("evidence", None)
        if not evidence:
            entry.problem("an event needs at least one evidence quote")
        event = Event(
            id=event_id, type=entry.choice("type", EVENT_TYPES) or "Other", label=entry.text("label", True) or event_id,
            start=start, end=end, date_text=entry.text("date_text"), places=entry.ids("places"),
            participants=entry.ids("participants"), part_of=entry.ids("part_of"), evidence=evidence, where=entry.where,
        )
        _register(corpus, entry, event_id, event)


def _read_annotations(corpus: Corpus, data_dir: Path, path: Path) -> None:
    from kzkg.assertions import parse_claim  # here: kzkg.assertions reads this module's vocabularies

    rel = _rel(path, data_dir)
    raw = _load_yaml(path)
    top = _Entry(corpus, rel, "", raw, {"article", "claims", "reports", "roles", "note"})
    article = top.text("article", True)
    if not article:
        return
    if article not in corpus.articles:
        top.problem(f"article {article!r} is not in articles.yaml")
    claim_keys = {"id", "label", "claimed_by", "via", "date", "date_text", "stated_in", "about",
                  "quantity", "quantity_kind", "qualifier", "quantity_text", "unit", "status",
                  "polarity", "contradicts", "corroborates", "quote", "quotes", "note", "kind", "asserts"}
    for entry, claim_id in _entries(corpus, rel, top.raw.get("claims"), "claim", claim_keys):
        evidence = entry.evidence("quote", article) + entry.evidence("quotes", article)
        if not evidence:
            entry.problem("a claim needs the verbatim 'quote' that shows the article makes it")
        claimed_by = entry.ids("claimed_by")
        if not claimed_by:
            entry.problem("a claim needs 'claimed_by' (an unnamed source is a Group entity)")
        claim = Claim(
            id=claim_id, article=article, label=entry.text("label", True) or claim_id, claimed_by=claimed_by,
            via=entry.ids("via"), date=entry.date("date"), date_text=entry.text("date_text"),
            stated_in=(entry.ids("stated_in") or [None])[0], about=entry.ids("about"),
            quantity=entry.number("quantity"), quantity_kind=entry.choice("quantity_kind", QUANTITY_KINDS),
            qualifier=entry.choice("qualifier", QUALIFIERS), quantity_text=entry.text("quantity_text"),
            unit=entry.text("unit"), status=entry.choice("status", CLAIM_STATUSES, "Unverified") or "Unverified",
            polarity=entry.choice("polarity", ("negative", "positive")),
            contradicts=entry.ids("contradicts"), corroborates=entry.ids("corroborates"),
            evidence=evidence, where=entry.where,
        )
        claim.kind, claim.asserts = parse_claim(entry)
        if (claim.quantity is not None or claim.quantity_text) and not claim.quantity_kind:
            entry.problem("a figure needs its 'quantity_kind'")
        if claim_id in corpus.claims:
            entry.problem(f"claim id {claim_id!r} is already defined at {corpus.claims[claim_id].where}")
            continue
        corpus.claims[claim_id] = claim
    for position, item in enumerate(top.raw.get("reports") or [], 1):
        name = f"report of {item.get('claim', f'#{position}')}" if isinstance(item, dict) else f"report #{position}"
        entry = _Entry(corpus, rel, name, item, {"claim", "quote", "occurrence", "note"})
        claim_id = entry.text("claim", True)
        evidence = entry.evidence("quote", article)
        if claim_id and evidence:
            evidence[0].occurrence = int(entry.raw.get("occurrence", 1))
            corpus.reports.append(ReReport(claim_id, evidence[0], entry.where))
        elif claim_id:
            entry.problem("a report needs the 'quote' from this article")
    for position, item in enumerate(top.raw.get("roles") or [], 1):
        name = f"role of {item.get('actor', f'#{position}')}" if isinstance(item, dict) else f"role #{position}"
        entry = _Entry(corpus, rel, name, item, {"actor", "role", "quote", "occurrence", "note"})
        actor, role = (entry.ids("actor") or [None])[0], entry.text("role", True)
        evidence = entry.evidence("quote", article)
        if not evidence:
            entry.problem("a role needs the 'quote' from this article")
        if actor and role and evidence:
            evidence[0].occurrence = int(entry.raw.get("occurrence", 1))
            corpus.roles.append(Role(actor, role, evidence[0], entry.where))
