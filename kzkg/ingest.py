"""Stage 1, ingest: read the curated YAML and the article texts into typed records.

Curators edit YAML by hand, so every mistake must come back as a sentence that names the file and
the entry, with the line and column where the YAML says it
(``data/annotations/001.yaml:79:13: claim 001-x: unknown key 'claimd_by'``), and all mistakes
of a run come back together. Nothing here touches RDF; :mod:`kzkg.map` does that.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kzkg.errors import InputError

UNKNOWN = "unknown"
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")

ENTITY_TYPES = ("Person", "Organization", "MediaOutlet", "Place", "Channel", "Group")
CLAIM_STATUSES = ("Unverified", "Disputed", "Confirmed", "Retracted")
CONTROL_VALUES = ("state", "independent", UNKNOWN)
EVENT_TYPES = (
    "Unrest",
    "Protest",
    "Riot",
    "Looting",
    "Arson",
    "Seizure",
    "Attack",
    "Shooting",
    "Killing",
    "Clash",
    "CounterTerroristOperation",
    "StateOfEmergency",
    "Curfew",
    "InternetShutdown",
    "InternetRestoration",
    "RequestForAssistance",
    "MilitaryDeployment",
    "MilitaryWithdrawal",
    "Detention",
    "Release",
    "Dismissal",
    "Resignation",
    "Appointment",
    "CriminalCase",
    "Broadcast",
    "Statement",
    "PriceRise",
    "PolicyChange",
    "Funeral",
    "Fire",
    "MilitaryOperation",
    "Departure",
    "Closure",
    "Crackdown",
    "Other",
)
QUANTITY_KINDS = (
    "Deaths",
    "Injuries",
    "Hospitalisations",
    "Detentions",
    "CriminalCases",
    "AdministrativeCases",
    "Troops",
    "Attackers",
    "Protesters",
    "Damage",
    "LootedStores",
    "Stores",
    "Weapons",
    "Vehicles",
    "Buildings",
    "Money",
    "Duration",
    "Videos",
    "Incidents",
    "Dismissals",
    "Other",
)
QUALIFIERS = (
    "exactly",
    "at-least",
    "more-than",
    "nearly",
    "about",
    "a-little-over",
    "up-to",
    "dozens",
    "a-couple-of-dozen",
    "hundreds",
    "thousands",
    "several",
    "many",
    "most",
)


# The input could not be read at all (a missing folder, a file that is not UTF-8, YAML that does
# not parse). Distinct from a :class:`Problem`, which is a mistake *in* readable data: errors stop
# validation (exit 2), problems are reported together (exit 1). Kept under its old name.
IngestError = InputError


@dataclass(frozen=True)
class Problem:
    """One mistake in the curated data, located by file and entry (and, when the YAML parser knows
    it, the line and column of the offending value, counted from 1)."""

    path: str
    entry: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}:{self.column}"
        return f"{where}: {self.entry}: {self.message}" if self.entry else f"{where}: {self.message}"


class InvalidDate(str):
    """A YAML timestamp that names no day of the calendar (``2022-02-30``), kept as its text with
    where it was written, so the curator gets ``file:line:col: entry: invalid date 2022-02-30``
    among the other problems instead of PyYAML's traceback."""

    line: int
    column: int


_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it


class _Loader(_BaseLoader):
    """PyYAML's safe loader, except that an impossible date is data to report, not a crash."""

    def construct_yaml_timestamp(self, node: yaml.Node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:  # the regexp matched, the calendar refused: 2022-02-30, 2022-13-01
            bad = InvalidDate(node.value)
            bad.line, bad.column = node.start_mark.line + 1, node.start_mark.column + 1
            return bad


class _Located(dict):
    """A YAML mapping that remembers where it starts and where each of its values is written
    (lines and columns from 1), so a problem with an entry or a key can name its line."""

    __slots__ = ("column", "line", "marks")

    line: int
    column: int
    marks: dict[str, tuple[int, int]]


def _construct_located_map(loader: _Loader, node: yaml.MappingNode):
    data = _Located()
    data.line, data.column = node.start_mark.line + 1, node.start_mark.column + 1
    data.marks = {}
    yield data  # first, as PyYAML's own constructor does, so recursive structures still work
    data.update(loader.construct_mapping(node))
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode):
            data.marks[key.value] = (value.start_mark.line + 1, value.start_mark.column + 1)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _construct_located_map)


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
            self.problem(f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})", key)

    @property
    def where(self) -> str:
        return f"{self.path}: {self.name}"

    def problem(self, message: str, key: str | None = None) -> None:
        """Record a problem at the line of ``key``'s value (or of the entry, without a key)."""
        line = column = None
        if isinstance(self.raw, _Located):
            line, column = (
                self.raw.marks.get(key, (self.raw.line, self.raw.column)) if key else (self.raw.line, self.raw.column)
            )
        self.corpus.problems.append(Problem(self.path, self.name, message, line, column))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.raw.get(key)
        if value is None:
            if required:
                self.problem(f"missing {key!r}", key)
            return None
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            self.problem(f"{key!r} must be text, found {type(value).__name__}", key)
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
                self.problem(f"{key!r}: {item!r} is not an id (lowercase letters, digits and hyphens)", key)
        return result

    def texts(self, key: str) -> list[str]:
        """A list of strings; a single string is a one-item list (never split into characters)."""
        value = self.raw.get(key)
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        result = []
        for item in values:
            if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                result.append(str(item))
            else:
                self.problem(f"{key!r}: expected text, found {type(item).__name__} {item!r}", key)
        return result

    def occurrence(self, raw: Any, key: str = "occurrence") -> int:
        """Which occurrence of a quote is meant: a positive integer (1 when not given)."""
        if raw is None:
            return 1
        if isinstance(raw, int) and not isinstance(raw, bool) and raw >= 1:
            return raw
        self.problem(f"{key!r}: {raw!r} must be a positive integer (1 for the first occurrence of the quote)", key)
        return 1

    def choice(self, key: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in allowed:
            self.problem(f"{key!r}: {value!r} is not one of {', '.join(allowed)}", key)
            return default
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.raw.get(key)
        if value is None or value == UNKNOWN:
            return None
        if isinstance(value, InvalidDate):
            self.corpus.problems.append(
                Problem(self.path, self.name, f"invalid date {value}", value.line, value.column)
            )
            return None
        if isinstance(value, dt.datetime):
            self.problem(f"{key!r}: give a date (YYYY-MM-DD), not a time", key)
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(f"{key!r}: {value!r} is not a date (YYYY-MM-DD) or 'unknown'", key)
            return None

    def number(self, key: str) -> int | float | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.problem(f"{key!r}: {value!r} is not a number (write 8500000000, not '8.5 billion')", key)
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
                    self.problem(f"{key!r}: unknown key(s) {sorted(extra)} in evidence", key)
                source = str(item.get("article") or article or "")
                if not source:
                    self.problem(f"{key!r}: evidence needs an 'article'", key)
                    continue
                found.append(Evidence(source, item["quote"], self.occurrence(item.get("occurrence")), self.where))
            else:
                self.problem(f"{key!r}: expected a quote or {{article, quote}}, found {item!r}", key)
        return found


def read_text(path: Path, what: str = "") -> str:
    """A UTF-8 text file, or an InputError naming the file (and the line and column of the first
    byte that is not UTF-8): the build must say which file to fix, never show a traceback."""
    if path.exists() and not path.is_file():  # a folder, a FIFO (opening one would block), a device
        raise InputError(f"{what or 'expected a file'}: not a regular file", file=path)
    try:
        data = path.read_bytes()
    except OSError as unreadable:
        raise InputError(f"cannot be read: {unreadable.strerror or unreadable}", file=path) from unreadable
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as undecodable:
        before = data[: undecodable.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise InputError(
            f"not UTF-8 (byte 0x{data[undecodable.start]:02x}); save it as UTF-8", file=path, line=line, column=column
        ) from undecodable


def _load_yaml(path: Path) -> Any:
    text = read_text(path)
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as broken:
        mark = broken.problem_mark or broken.context_mark
        problem = str(broken.problem or broken.context or "cannot be parsed")
        if broken.context and broken.context_mark and broken.problem:  # "while parsing a flow sequence"
            problem += (
                f" ({broken.context} that starts at line {broken.context_mark.line + 1}, "
                f"column {broken.context_mark.column + 1})"
            )
        raise InputError(
            f"not valid YAML: {problem}",
            file=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from broken
    except yaml.YAMLError as broken:
        raise InputError(f"not valid YAML: {broken}", file=path) from broken


def _rel(path: Path, data_dir: Path) -> str:
    try:
        return str(path.relative_to(data_dir.parent))
    except ValueError:
        return str(path)


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def load_corpus(data_dir: Path) -> Corpus:
    """Read every curated file under ``data_dir``; raise InputError only when nothing can be read."""
    data_dir = Path(data_dir)
    corpus = Corpus()
    index = data_dir / "articles.yaml"
    if not index.is_file():
        raise InputError("missing (the article index)", file=index)
    annotation_files = _yaml_files(data_dir / "annotations")
    if not annotation_files:
        raise InputError("no annotation files (*.yaml) found", file=data_dir / "annotations")
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
    allowed = {
        "id",
        "file",
        "title",
        "publisher",
        "byline",
        "creators",
        "date",
        "date_text",
        "note",
        "repost_of",
        "reprints",
        "part_of_issue",
    }
    for position, item in enumerate(entries, 1):
        name = f"article {item.get('id', f'#{position}')}" if isinstance(item, dict) else f"article #{position}"
        entry = _Entry(corpus, rel, name, item, allowed)
        article_id, file = entry.text("id", True), entry.text("file", True)
        if not article_id or not file:
            continue
        text_path = data_dir / file
        if not text_path.exists():
            entry.problem(f"article text {file} not found")
            continue
        if article_id in corpus.articles:
            entry.problem("defined twice")
            continue
        text = read_text(text_path, f"article text of article {article_id}")  # newlines as written
        corpus.articles[article_id] = Article(
            id=article_id,
            file=file,
            title=entry.text("title", True) or "",
            publisher=entry.ids("publisher")[0] if entry.ids("publisher") else "",
            byline=entry.text("byline") or UNKNOWN,
            creators=entry.ids("creators"),
            date=entry.date("date"),
            date_text=entry.text("date_text"),
            note=entry.text("note"),
            text=text,
            repost_of=_repost_of(entry),
            reprints=entry.ids("reprints"),
            part_of_issue=entry.text("part_of_issue"),
        )
        if not corpus.articles[article_id].publisher:
            entry.problem("missing 'publisher'")


def _repost_of(entry: _Entry) -> dict[str, Any] | None:
    """The original an article reposts: {id, title, publisher, evidence?}; anything else is a problem
    here, so mapping never meets a half-described original (it used to be a KeyError there)."""
    value = entry.raw.get("repost_of")
    if value is None:
        return None
    if not isinstance(value, dict):
        entry.problem(f"'repost_of': expected a mapping {{id, title, publisher, date, evidence}}, found {value!r}")
        return None
    original = _Entry(
        entry.corpus, entry.path, f"{entry.name} repost_of", value, {"id", "title", "publisher", "date", "evidence"}
    )
    original.date("date")  # not mapped (yet), but a curator's impossible date is still reported
    ids, title, publisher = original.ids("id"), original.text("title", True), original.ids("publisher")
    evidence = original.text("evidence")
    if not ids:
        original.problem("missing 'id' (the original article's id)")
    if not publisher:
        original.problem("missing 'publisher' (an entity id)")
    if not ids or not title or not publisher:
        return None
    return {"id": ids[0], "title": title, "publisher": publisher[0], **({"evidence": evidence} if evidence else {})}


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
    allowed = {
        "id",
        "type",
        "label",
        "aliases",
        "located_in",
        "member_of",
        "control",
        "control_evidence",
        "country",
        "note",
        "links",
    }
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
            entry.problem(
                f"'links': unknown keys {sorted(set(links) - {'wikidata', 'geonames', 'dbpedia', 'evidence'})}"
            )
        if set(links) - {"evidence"} and not links.get("evidence"):
            entry.problem("'links': an external identifier needs its 'evidence'")
        if "wikidata" in links and not re.fullmatch(r"Q[1-9][0-9]*", links["wikidata"]):
            entry.problem(f"'links': {links['wikidata']!r} is not a Wikidata item id")
        if "geonames" in links and not links["geonames"].isdigit():
            entry.problem(f"'links': {links['geonames']!r} is not a GeoNames id")
        control_evidence = entry.evidence("control_evidence", None)
        entity = Entity(
            id=entity_id,
            types=[t for t in types if t in ENTITY_TYPES],
            label=entry.text("label", True) or entity_id,
            aliases=entry.texts("aliases"),
            located_in=(entry.ids("located_in") or [None])[0],
            member_of=entry.ids("member_of"),
            country=(entry.ids("country") or [None])[0],
            control=entry.choice("control", CONTROL_VALUES),
            control_evidence=control_evidence[0] if control_evidence else None,
            links=links,
            where=entry.where,
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
    allowed = {
        "id",
        "type",
        "label",
        "start",
        "end",
        "date_text",
        "places",
        "participants",
        "part_of",
        "evidence",
        "note",
    }
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
            id=event_id,
            type=entry.choice("type", EVENT_TYPES) or "Other",
            label=entry.text("label", True) or event_id,
            start=start,
            end=end,
            date_text=entry.text("date_text"),
            places=entry.ids("places"),
            participants=entry.ids("participants"),
            part_of=entry.ids("part_of"),
            evidence=evidence,
            where=entry.where,
        )
        _register(corpus, entry, event_id, event)


def _refuse_draft(entry: _Entry) -> None:
    """``kzkg extract`` marks what it proposes ``draft: true``; a draft is a machine's guess that
    nobody has reviewed, so it must never reach a release as fact (issue #13). Reviewing removes
    the key; until then validate and build fail on it."""
    if entry.raw.get("draft") not in (None, False):
        entry.problem("still a draft")


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
    claim_keys = {
        "id",
        "label",
        "claimed_by",
        "via",
        "date",
        "date_text",
        "stated_in",
        "about",
        "quantity",
        "quantity_kind",
        "qualifier",
        "quantity_text",
        "unit",
        "status",
        "polarity",
        "contradicts",
        "corroborates",
        "quote",
        "quotes",
        "note",
        "kind",
        "asserts",
        "draft",
    }  # draft: what `kzkg extract` proposed, refused below so it is never published
    for entry, claim_id in _entries(corpus, rel, top.raw.get("claims"), "claim", claim_keys):
        _refuse_draft(entry)
        evidence = entry.evidence("quote", article) + entry.evidence("quotes", article)
        if not evidence:
            entry.problem("a claim needs the verbatim 'quote' that shows the article makes it")
        claimed_by = entry.ids("claimed_by")
        if not claimed_by:
            entry.problem("a claim needs 'claimed_by' (an unnamed source is a Group entity)")
        claim = Claim(
            id=claim_id,
            article=article,
            label=entry.text("label", True) or claim_id,
            claimed_by=claimed_by,
            via=entry.ids("via"),
            date=entry.date("date"),
            date_text=entry.text("date_text"),
            stated_in=(entry.ids("stated_in") or [None])[0],
            about=entry.ids("about"),
            quantity=entry.number("quantity"),
            quantity_kind=entry.choice("quantity_kind", QUANTITY_KINDS),
            qualifier=entry.choice("qualifier", QUALIFIERS),
            quantity_text=entry.text("quantity_text"),
            unit=entry.text("unit"),
            status=entry.choice("status", CLAIM_STATUSES, "Unverified") or "Unverified",
            polarity=entry.choice("polarity", ("negative", "positive")),
            contradicts=entry.ids("contradicts"),
            corroborates=entry.ids("corroborates"),
            evidence=evidence,
            where=entry.where,
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
        entry = _Entry(corpus, rel, name, item, {"claim", "quote", "occurrence", "note", "draft"})
        _refuse_draft(entry)
        claim_id = entry.text("claim", True)
        evidence = entry.evidence("quote", article)
        if claim_id and evidence:
            evidence[0].occurrence = entry.occurrence(entry.raw.get("occurrence"))
            corpus.reports.append(ReReport(claim_id, evidence[0], entry.where))
        elif claim_id:
            entry.problem("a report needs the 'quote' from this article")
    for position, item in enumerate(top.raw.get("roles") or [], 1):
        name = f"role of {item.get('actor', f'#{position}')}" if isinstance(item, dict) else f"role #{position}"
        entry = _Entry(corpus, rel, name, item, {"actor", "role", "quote", "occurrence", "note", "draft"})
        _refuse_draft(entry)
        actors = entry.ids("actor")
        actor, role = (actors[0] if actors else None), entry.text("role", True)
        evidence = entry.evidence("quote", article)
        if not evidence:
            entry.problem("a role needs the 'quote' from this article")
        if actor and role and evidence:
            evidence[0].occurrence = entry.occurrence(entry.raw.get("occurrence"))
            corpus.roles.append(Role(actor, role, evidence[0], entry.where))
