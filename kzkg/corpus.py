"""The curated corpus as typed records, and the closed vocabularies their fields take.

What stage 1 (:mod:`kzkg.ingest`) produces and every later stage reads: mapping, validation,
extraction and reconciliation all speak in these records, so they live apart from the YAML reading
that fills them. Nothing here touches RDF or the file system.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    "Evacuation",
    "Intervention",
    "Injury",
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
    kind: str = "factual"  # factual | opinion | prediction (kzkg.assertion_format)
    asserts: list = field(default_factory=list)  # kzkg.assertion_format.Assertion statements
    not_asserted: str | None = None  # why a factual claim has no asserts (kzkg.assertion_format)


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
