"""Synthetic corpora of the real graph's shape, written as curated data files the real pipeline reads.

Why files and not triples: the benchmark times every build stage (ingest, map, validate, reason,
store, export) as users run it, so a synthetic corpus must go through the same YAML → RDF path as
``data/``. The generator writes ``articles.yaml``, article texts, ``entities/``, ``events/`` and
``annotations/`` in the formats of data/README.md, with the real ontology, so each claim carries a
verbatim quote the mapper must locate, and the shapes and the reasoner see the same structures as
on the real corpus: claims with claimants, relays, channels, subjects, figures, contradictions and
corroborations; events with places, participants and part-of trees; places in a located-in
hierarchy (transitive, and the kz:place ∘ kz:locatedIn chain); evidence annotations with quote and
position selectors; re-reports across articles; role statements; external links.

The proportions are the real corpus's (measured on data/ in November 2025: ~84 claims per article,
1.3 claimants, 2.05 subjects, 1.4 quotes, 0.19 contradictions and 0.27 corroborations per claim,
one event per 4 claims), and claimants are Zipf-distributed as in real news: two actors make 43%
of the real claims, so a few actors make most claims here too (exponent ``ZIPF_S``; the top two hold ~40% of claimant
slots at 100k triples).
Everything derives from ``seed``: the same arguments give the same files.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Asserted triples (all graphs but the ontology) per claim, all-in: the claim, its annotations,
# its share of events, entities, roles and articles. Calibrated on this generator (see tests);
# ``generate`` sizes the corpus from it and reports the real count after mapping.
TRIPLES_PER_CLAIM = 45.0
CLAIMS_PER_ARTICLE = 84
ZIPF_S = 1.3

EVENT_TYPES = (
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
    "MilitaryDeployment",
    "Detention",
    "Release",
    "Dismissal",
    "Appointment",
    "CriminalCase",
    "Broadcast",
    "Statement",
    "PriceRise",
    "Funeral",
    "Other",
)
QUANTITY_KINDS = (
    "Deaths",
    "Injuries",
    "Detentions",
    "CriminalCases",
    "Troops",
    "Protesters",
    "Damage",
    "LootedStores",
    "Weapons",
    "Vehicles",
    "Buildings",
    "Money",
    "Duration",
    "Other",
)
UNITS = {"Damage": "KZT", "Money": "USD", "Duration": "days"}
QUALIFIERS = ("at-least", "more-than", "nearly", "about", "up-to")
# Claims as data (issue #12), measured on data/ with the first assertions (December 2026).
OPINION_SHARE, PREDICTION_SHARE, ASSERTING_SHARE = 0.26, 0.02, 0.88
ASSERTED_PROPERTIES = (
    "eventType",
    "agent",
    "place",
    "quantity",
    "participant",
    "startDate",
    "dateText",
    "identifiedAs",
    "memberOf",
    "partOf",
    "endDate",
)
ASSERTED_WEIGHTS = (37, 13, 12, 12, 12, 5, 5, 1, 0.7, 0.7, 0.5)
STATUSES = ("Unverified",) * 14 + ("Disputed", "Disputed", "Confirmed", "Retracted")
WORDS = (
    "government",
    "protesters",
    "square",
    "police",
    "troops",
    "airport",
    "ministry",
    "reports",
    "officials",
    "residents",
    "city",
    "night",
    "shooting",
    "crowd",
    "statement",
    "internet",
    "figures",
    "casualties",
    "akimat",
    "gas",
    "prices",
    "curfew",
    "detained",
    "witnesses",
    "television",
    "channel",
    "region",
    "capital",
    "building",
    "security",
    "forces",
    "press",
)


@dataclass
class Plan:
    """Sizes chosen for a target triple count (all derived from the real corpus's proportions)."""

    claims: int
    articles: int
    actors: int
    channels: int
    places: int
    events: int


@dataclass
class SynthCorpus:
    """Where a generated corpus lives and how big it was meant to be."""

    data_dir: Path
    target_triples: int
    plan: Plan
    claims_by_actor: dict[str, int] = field(default_factory=dict)


def plan_for(target_triples: int) -> Plan:
    claims = max(20, round(target_triples / TRIPLES_PER_CLAIM))
    return Plan(
        claims=claims,
        articles=max(2, math.ceil(claims / CLAIMS_PER_ARTICLE)),
        # Entities grow more slowly than claims: the same actors keep talking.
        actors=max(25, round(4.5 * claims**0.7)),
        channels=max(3, round(claims**0.5 / 3)),
        places=max(12, round(2 * claims**0.6)),
        events=max(8, claims // 4),
    )


class Zipf:
    """Draws indexes 0..n-1 with P(k) ∝ 1/(k+1)^s: a few items get most draws."""

    def __init__(self, n: int, s: float, rng: random.Random):
        weights = [1.0 / (k + 1) ** s for k in range(n)]
        self.cumulative = list(itertools.accumulate(weights))
        self.rng = rng

    def draw(self, rng: random.Random | None = None) -> int:
        """One index, from ``rng`` when given (a separate stream, e.g. claims as data's) else the own."""
        return bisect.bisect_left(self.cumulative, (rng or self.rng).random() * self.cumulative[-1])


class _Text:
    """An article's text, sentence by sentence; every quote is a sentence that occurs once."""

    def __init__(self, rng: random.Random, article: str):
        self.rng, self.article, self.counter = rng, article, 0
        self.sentences: list[str] = []

    def filler(self, n: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(n))

    def quote(self, subject: str) -> str:
        self.counter += 1
        # The article id and a counter keep each sentence unique within (and across) articles.
        sentence = f"{subject} {self.filler(self.rng.randint(6, 14))} (item {self.article}.{self.counter})."
        self.sentences.append(sentence)
        if self.rng.random() < 0.5:
            self.sentences.append(self.filler(self.rng.randint(8, 20)).capitalize() + ".")
        return sentence

    def render(self) -> str:
        paragraphs = [" ".join(self.sentences[i : i + 4]) for i in range(0, len(self.sentences), 4)]
        return "\n\n".join(paragraphs) + "\n"


# Claims per (subject, property) key among the real corpus's statements (data/, 7 December 2026:
# 389 keys, 644 statements; `python -m bench claims` prints it beside the synthetic corpus's): most
# keys hold one claim, the largest 10. The generator draws its keys' sizes from this, whatever the
# corpus's size, so disagreements and conflicting pairs grow with the claims, not with their square.
REAL_CLAIMS_PER_KEY = {1: 295, 2: 54, 3: 22, 4: 9, 5: 1, 6: 3, 7: 1, 8: 3, 10: 1}
# A claim joining a key with a one-value property (date, agent, place, identity, figure) gives the
# key's first value this often, else its own: calibrated so that conflicting pairs per claim come
# out near the real corpus's 0.10 (15 disagreements, 41 pairs, 424 claims): 0.13 at 100k, 0.12 at
# 1M (0.8 gave 0.12 and 0.15). Denials (the curated ``polarity``) add their own pairs.
AGREEING_SHARE = 0.85
FUNCTIONAL_PROPERTIES = ("startDate", "endDate", "agent", "identifiedAs", "place", "quantity")


@dataclass
class _Key:
    """A (subject, property[, value]) key being filled: its first statement and the claims still to come."""

    first: dict
    remaining: int


@dataclass
class _Keys:
    """Which (subject, property) keys claims-as-data statements go to, sized as in the real corpus.

    Drawing subjects from each claim's own (Zipf-popular) events made one key collect hundreds of
    claims at 1M (525 in the largest disagreement, 5 conflicting pairs per claim against the real
    0.1): real news reports a few rival versions of a point, not hundreds. A statement instead
    draws the size of the key it belongs to (weighted by size, so keys come out in the real
    proportions), joins an open key of that size and property, or opens one on a subject no other
    key of that property uses (the claim's own event when it can)."""

    rng: random.Random
    sizes: list[int] = field(default_factory=lambda: list(REAL_CLAIMS_PER_KEY))
    weights: list[float] = field(default_factory=lambda: [k * n for k, n in REAL_CLAIMS_PER_KEY.items()])
    open: dict[tuple[str, int], list[_Key]] = field(default_factory=dict)
    used: set[tuple[str, str]] = field(default_factory=set)

    def size(self) -> int:
        return self.rng.choices(self.sizes, self.weights)[0]

    def join(self, prop: str, size: int, skip: set[int]) -> dict | None:
        """An open key's first statement (and one fewer to come), unless none is open or this claim is in it."""
        waiting = self.open.get((prop, size), [])
        for i, key in enumerate(waiting):
            if id(key) in skip:
                continue
            skip.add(id(key))
            key.remaining -= 1
            if not key.remaining:
                waiting.pop(i)
            return key.first
        return None

    def subject(self, prop: str, preferred: list[str], pool: list[str]) -> str | None:
        """A subject no key of ``prop`` has yet: one of ``preferred`` if free, else drawn from ``pool``."""
        for candidate in preferred:
            if (candidate, prop) not in self.used:
                self.used.add((candidate, prop))
                return candidate
        for _ in range(20):
            candidate = pool[self.rng.randrange(len(pool))]
            if (candidate, prop) not in self.used:
                self.used.add((candidate, prop))
                return candidate
        return None

    def opened(self, prop: str, size: int, first: dict, skip: set[int]) -> None:
        if size > 1:
            key = _Key(first, size - 1)
            skip.add(id(key))
            self.open.setdefault((prop, size), []).append(key)


def _claims_as_data(
    claim: dict,
    rng: random.Random,
    keys: _Keys,
    events: list[dict],
    actors: list[dict],
    sites: list[str],
    persons: list[str],
    organisations: list[str],
    claimant: Zipf,
    place_pick: Zipf,
) -> None:
    """Give a claim a kind and what it asserts, in the real corpus's proportions (data/, December
    2026, 424 claims: 26% opinions or predictions, 88% of the factual ones with ``asserts``, ~2
    statements each; statements by property as in ASSERTED_PROPERTIES; claims per (subject,
    property) as in REAL_CLAIMS_PER_KEY, see ``_Keys``)."""
    roll = rng.random()
    if roll < OPINION_SHARE:
        claim["kind"] = "prediction" if roll < PREDICTION_SHARE else "opinion"
        return
    if rng.random() >= ASSERTING_SHARE:
        return
    own_events = [s for s in claim["about"] if s.startswith("event-")]
    event_ids = [e["id"] for e in events]
    joined: set[int] = set()  # the keys this claim is in: one claim, one statement per key
    statements = []
    for _ in range(rng.choices((1, 2, 3, 4), (45, 30, 15, 10))[0]):
        prop = rng.choices(ASSERTED_PROPERTIES, ASSERTED_WEIGHTS)[0]
        on_persons = prop in ("identifiedAs", "memberOf")
        if on_persons and (len(persons) < 2 or not organisations):
            continue
        size = 1 if prop == "dateText" else keys.size()  # a date as worded is never compared
        first = keys.join(prop, size, joined) if size > 1 else None
        if first is not None:
            statement = dict(first)
            if prop in FUNCTIONAL_PROPERTIES and rng.random() >= AGREEING_SHARE:
                own = _value(
                    prop,
                    statement["subject"],
                    claim,
                    rng,
                    events,
                    actors,
                    sites,
                    persons,
                    organisations,
                    claimant,
                    place_pick,
                )
                statement.pop("qualifier", None)  # a figure keeps the key's kind and date, gives its own number
                statement.update({k: v for k, v in own.items() if k in ("value", "qualifier")})
            if statement.get("value") is not None and statement.get("value") != statement["subject"]:
                statements.append(statement)
            continue
        subject = keys.subject(prop, [] if on_persons else own_events, persons if on_persons else event_ids)
        if subject is None:
            continue
        statement = {"subject": subject, "property": prop}
        statement.update(
            _value(prop, subject, claim, rng, events, actors, sites, persons, organisations, claimant, place_pick)
        )
        if statement.get("value") is None or statement["value"] == subject:
            continue
        keys.opened(prop, size, statement, joined)
        statements.append(statement)
    unique = {tuple(sorted((k, str(v)) for k, v in s.items())): s for s in statements}
    if unique:
        claim["asserts"] = list(unique.values())


def _value(
    prop: str,
    subject: str,
    claim: dict,
    rng: random.Random,
    events: list[dict],
    actors: list[dict],
    sites: list[str],
    persons: list[str],
    organisations: list[str],
    claimant: Zipf,
    place_pick: Zipf,
) -> dict:
    """The value a statement gives (and a figure's kind, date and hedge), from claims as data's own stream."""
    if prop == "eventType":
        event = events[int(subject.split("-")[1])]
        return {"value": event["type"] if rng.random() < 0.8 else rng.choice(EVENT_TYPES)}
    if prop in ("startDate", "endDate"):
        return {"value": f"2022-01-{rng.randint(3, 8):02d}"}
    if prop == "dateText":
        return {"value": "on the night of the shooting"}
    if prop == "place":
        return {"value": sites[place_pick.draw(rng)]}  # rng: claims as data's own stream, not the corpus's
    if prop in ("agent", "participant"):
        actor = actors[claimant.draw(rng)]
        return {"value": None if prop == "agent" and actor["type"] == "Place" else actor["id"]}
    if prop == "partOf":
        return {"value": events[rng.randrange(len(events))]["id"]}
    if prop == "memberOf":
        return {"value": rng.choice(organisations)}
    if prop == "identifiedAs":
        return {"value": rng.choice(persons)}
    kind = claim.get("quantity_kind") or rng.choice(QUANTITY_KINDS)
    figure: dict = {
        "kind": kind,
        "value": claim.get("quantity") or rng.choice((rng.randint(1, 500), rng.randint(1000, 10**6))),
        "as_of": claim.get("date") or f"2022-01-{rng.randint(5, 12):02d}",
    }
    if claim.get("qualifier"):
        figure["qualifier"] = claim["qualifier"]
    return figure


def generate(target_triples: int, out_dir: Path, seed: int = 0, claims_as_data: bool = True) -> SynthCorpus:
    """Write a corpus of about ``target_triples`` asserted triples into ``out_dir`` (a data dir).

    ``claims_as_data=False`` writes the same corpus without ``kind``/``asserts`` (they draw from
    their own random stream), to measure what assertions cost a build."""
    rng = random.Random(seed)
    plan = plan_for(target_triples)
    out_dir = Path(out_dir)
    for sub in ("articles", "entities", "events", "annotations"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    article_ids = [f"{i:05d}" for i in range(plan.articles)]
    texts = {a: _Text(rng, a) for a in article_ids}

    # --- places: countries > regions > cities > sites, for transitive locatedIn and the chain ----
    places: list[dict] = []
    countries = max(2, plan.places // 40)
    level_sizes = [countries, max(2, plan.places // 10), max(3, plan.places // 4)]
    level_sizes.append(max(3, plan.places - sum(level_sizes)))
    previous: list[str] = []
    levels: list[list[str]] = []
    for depth, size in enumerate(level_sizes):
        current = []
        for i in range(size):
            pid = f"place-{depth}-{i}"
            entry: dict[str, Any] = {"id": pid, "type": "Place", "label": f"Place {depth}.{i}"}  # YAML values
            if previous:
                entry["located_in"] = previous[rng.randrange(len(previous))]
            places.append(entry)
            current.append(pid)
        levels.append(current)
        previous = current
    sites = levels[-1] + levels[-2]

    # --- actors: Zipf-ranked, a mix of the real corpus's kinds ----------------------------------
    kinds = ("Person",) * 4 + ("Organization",) * 5 + ("Group",) * 5 + ("MediaOutlet",) * 2
    actors: list[dict] = []
    for i in range(plan.actors):
        kind = kinds[i % len(kinds)] if i else "Person"
        entry = {"id": f"actor-{i}", "type": kind, "label": f"Actor {i}", "aliases": [f"A. {i}"]}
        if kind in ("Organization", "MediaOutlet") and rng.random() < 0.3:
            entry["country"] = rng.choice(levels[0])
        if kind in ("Person", "Organization") and rng.random() < 0.25:
            entry["located_in"] = rng.choice(levels[2])
        if rng.random() < 0.35:
            entry["links"] = {"wikidata": f"Q{100000 + i}", "evidence": "synthetic: generated identifier"}
        actors.append(entry)
    organisations = [a["id"] for a in actors if a["type"] == "Organization"]
    for entry in actors:
        if entry["type"] == "Person" and organisations and rng.random() < 0.1:
            entry["member_of"] = [rng.choice(organisations)]
    outlets = [a["id"] for a in actors if a["type"] == "MediaOutlet"] or [actors[0]["id"]]
    persons = [a["id"] for a in actors if a["type"] == "Person"]
    channels = [{"id": f"channel-{i}", "type": "Channel", "label": f"Channel {i}"} for i in range(plan.channels)]
    for country in levels[0][:2]:  # a country that acts is both a Place and an Organization
        for entry in places:
            if entry["id"] == country:
                entry["type"] = ["Place", "Organization"]
    claimant = Zipf(len(actors), ZIPF_S, rng)
    place_pick = Zipf(len(sites), 0.8, rng)
    # Claims as data draw from their own stream, so the rest of a corpus stays what it was before
    # assertions existed (build sizes and timings stay comparable with earlier runs).
    arng = random.Random(seed + 1_000_003)
    keys = _Keys(arng)

    # --- articles ---------------------------------------------------------------------------------
    articles = []
    for a in article_ids:
        articles.append(
            {
                "id": a,
                "file": f"articles/{a}.txt",
                "title": f"Synthetic report {a}",
                "publisher": outlets[Zipf(len(outlets), ZIPF_S, rng).draw()],
                "byline": f"Correspondent {a}",
                "creators": [rng.choice(persons)] if persons else [],
                "date": f"2022-01-{1 + int(a) % 28:02d}",
            }
        )

    # --- events: a part-of forest per country, Zipf-popular places --------------------------------
    events: list[dict] = []
    for i in range(plan.events):
        eid = f"event-{i}"
        entry = {"id": eid, "type": "Unrest" if i < countries else rng.choice(EVENT_TYPES), "label": f"Event {i}"}
        if rng.random() < 0.3:
            entry["start"] = f"2022-01-{rng.randint(1, 20):02d}"
        else:
            entry["start"] = "unknown"
            entry["date_text"] = "in early January"
        entry["places"] = [levels[0][i]] if i < countries else [sites[place_pick.draw()]]
        entry["participants"] = [actors[claimant.draw()]["id"]]
        if i >= countries:
            entry["part_of"] = [f"event-{rng.randrange(min(i, countries + i // 3))}"]
        evidence = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            article = rng.choice(article_ids)
            evidence.append({"article": article, "quote": texts[article].quote(f"Event {i}")})
        entry["evidence"] = evidence
        events.append(entry)
    event_pick = Zipf(len(events), 0.9, rng)

    # --- claims, reports and roles, article by article ----------------------------------------
    claims_by_actor: dict[str, int] = {}
    all_claims: list[tuple[str, str]] = []  # (claim id, article)
    annotations: dict[str, dict] = {a: {"article": a, "claims": [], "reports": [], "roles": []} for a in article_ids}
    for n in range(plan.claims):
        article = article_ids[min(n // CLAIMS_PER_ARTICLE, plan.articles - 1)]
        cid = f"{article}-claim-{n}"
        text = texts[article]
        who = [actors[claimant.draw()]["id"]]
        if rng.random() < 0.25:
            other = actors[claimant.draw()]["id"]
            if other not in who:
                who.append(other)
        for actor in who:
            claims_by_actor[actor] = claims_by_actor.get(actor, 0) + 1
        claim: dict = {"id": cid, "label": f"Claim {n}", "claimed_by": who}
        if rng.random() < 0.1:
            claim["via"] = [rng.choice(channels)["id"] if rng.random() < 0.5 else actors[claimant.draw()]["id"]]
        if rng.random() < 0.35:
            claim["date"] = f"2022-01-{rng.randint(1, 28):02d}"
        if rng.random() < 0.4:
            claim["date_text"] = "on the night of the shooting"
        if rng.random() < 0.06:
            claim["stated_in"] = rng.choice(channels)["id"] if rng.random() < 0.7 else rng.choice(outlets)
        about = {events[event_pick.draw()]["id"]}
        if rng.random() < 0.6:
            about.add(rng.choice((actors[claimant.draw()]["id"], sites[place_pick.draw()])))
        if rng.random() < 0.4:
            about.add(events[event_pick.draw()]["id"])
        claim["about"] = sorted(about)
        if rng.random() < 0.18:
            kind = rng.choice(QUANTITY_KINDS)
            figure = rng.choice((rng.randint(1, 500), rng.randint(1000, 10**9)))
            claim.update(quantity=figure, quantity_kind=kind, quantity_text=str(figure), unit=UNITS.get(kind, "people"))
            if rng.random() < 0.4:
                claim["qualifier"] = rng.choice(QUALIFIERS)
        claim["status"] = rng.choice(STATUSES)
        if rng.random() < 0.06:
            claim["polarity"] = "negative"
        if all_claims and rng.random() < 0.19:
            claim["contradicts"] = [all_claims[rng.randrange(len(all_claims))][0]]
        if all_claims and rng.random() < 0.27:
            target = all_claims[rng.randrange(len(all_claims))][0]
            if target not in claim.get("contradicts", []):
                claim["corroborates"] = [target]
        quotes = [text.quote(f"Actor {who[0].split('-')[1]} said")]
        if rng.random() < 0.3:
            quotes.append(text.quote(f"Actor {who[0].split('-')[1]} added"))
        if len(quotes) == 1:
            claim["quote"] = quotes[0]
        else:
            claim["quotes"] = quotes
        if claims_as_data:
            _claims_as_data(claim, arng, keys, events, actors, sites, persons, organisations, claimant, place_pick)
        annotations[article]["claims"].append(claim)
        all_claims.append((cid, article))
        # A later article re-reports an earlier article's claim now and then.
        if rng.random() < 0.04 and plan.articles > 1:
            others = [a for a in article_ids if a != article]
            reporter = rng.choice(others)
            annotations[reporter]["reports"].append(
                {"claim": cid, "quote": texts[reporter].quote(f"As reported, claim {n}")}
            )
        if rng.random() < 0.18:
            actor = rng.choice(persons + organisations)
            annotations[article]["roles"].append(
                {
                    "actor": actor,
                    "role": f"Role {rng.randint(1, 40)}",
                    "quote": text.quote(f"Actor {actor.split('-')[1]}, in that role,"),
                }
            )

    # --- write the files ----------------------------------------------------------------------
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    def dump(path: Path, value) -> None:
        path.write_text(
            yaml.dump(value, Dumper=dumper, allow_unicode=True, sort_keys=False, width=1000), encoding="utf-8"
        )

    dump(out_dir / "articles.yaml", {"articles": articles})
    for a in article_ids:
        (out_dir / "articles" / f"{a}.txt").write_text(texts[a].render(), encoding="utf-8")
        dump(out_dir / "annotations" / f"{a}.yaml", {k: v for k, v in annotations[a].items() if v})
    dump(out_dir / "entities" / "registry.yaml", places + actors + channels)
    dump(out_dir / "events" / "registry.yaml", events)
    return SynthCorpus(out_dir, target_triples, plan, dict(sorted(claims_by_actor.items(), key=lambda kv: -kv[1])))


def top_share(corpus: SynthCorpus, top: int = 2) -> float:
    """The share of claimant slots held by the ``top`` most prolific actors (real corpus: 0.43)."""
    counts = list(corpus.claims_by_actor.values())
    return sum(counts[:top]) / max(1, sum(counts))
