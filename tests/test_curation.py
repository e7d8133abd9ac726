"""The corpus checked as data, on the real build: what a fact-checker finds in the graph.

These tests read the published release (the session's build of data/) and, where a check is about
the curated files themselves, the corpus as kzkg.ingest loads it. They encode the curation rules of
data/README.md ("Curation rules"): every quote is in its article, every claim has a claimant, an
article and evidence, figures are written in their own quotes, statuses follow the contradictions,
one statement is one claim however many articles carry it, and the key facts a reader takes from
the five articles are there with the right claimant, figure, qualifier and date.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox
import pytest
import yaml
from rdflib import Graph

from kzkg.corpus import EVENT_TYPES, QUALIFIERS, QUANTITY_KINDS
from kzkg.map import locate, map_corpus
from kzkg.namespaces import ID, PREFIXES

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
ARTICLES = ("000", "001", "002", "003", "004")
CLAIM = str(ID) + "claim/"
ARTICLE = str(ID) + "article/"


# ---------------------------------------------------------------------------------------------
# fixtures and helpers


@pytest.fixture(scope="module")
def mapped(corpus):
    ontology = Graph().parse(ROOT / "ontology" / "kzkg.ttl", format="turtle")
    return map_corpus(corpus, ontology)


def select(store: ox.Store, query: str) -> list[dict[str, str | None]]:
    result = store.query(query, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(query, prefixes=PREFIXES))


def local(iri: str | None) -> str | None:
    """The curated id at the end of an IRI (claim, event, entity or article)."""
    return iri.rsplit("/", 1)[-1] if iri else iri


def article_text(article_id: str) -> str:
    path = next((DATA / "articles").glob(f"{article_id}_*.txt"))
    with path.open(encoding="utf-8", newline="") as handle:  # offsets count code points of the file as is
        return handle.read()


def normalised(text: str) -> str:
    return " ".join(text.split()).lower()


def all_evidence(corpus):
    """Every (where, Evidence) the curated files give: claims, reports, events, roles, outlets, reposts."""
    for claim in corpus.claims.values():
        for evidence in claim.evidence:
            yield claim.where, evidence
    for report in corpus.reports:
        yield report.where, report.evidence
    for event in corpus.events.values():
        for evidence in event.evidence:
            yield event.where, evidence
    for role in corpus.roles:
        yield role.where, role.evidence
    for entity in corpus.entities.values():
        if entity.control_evidence:
            yield entity.where, entity.control_evidence


# ---------------------------------------------------------------------------------------------
# quotes


def test_the_curated_files_have_no_problems_and_every_quote_is_located(corpus, mapped):
    _, mapping_problems = mapped
    assert corpus.problems == []
    assert mapping_problems == [], "\n".join(map(str, mapping_problems))
    missing = [
        f"{where}: {ev.quote[:80]!r}"
        for where, ev in all_evidence(corpus)
        if locate(corpus.articles[ev.article].text, ev.quote, ev.occurrence) is None
    ]
    assert missing == []


def test_every_quote_in_the_graph_is_the_article_text_at_its_offsets(store):
    rows = select(
        store,
        """
        SELECT ?article ?exact ?start ?end WHERE {
          ?annotation a oa:Annotation ; oa:hasTarget ?target .
          ?target oa:hasSource ?article ; oa:hasSelector ?q, ?p .
          ?q a oa:TextQuoteSelector ; oa:exact ?exact .
          ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
        }""",
    )
    assert len(rows) > 500
    texts = {a: article_text(a) for a in ARTICLES}
    wrong = [r for r in rows if texts[local(r["article"])][int(r["start"]) : int(r["end"])] != r["exact"]]
    assert wrong == []


def test_the_graph_holds_one_annotation_for_every_located_quote(store, corpus):
    expected = set()
    for _, evidence in all_evidence(corpus):
        start, end = locate(corpus.articles[evidence.article].text, evidence.quote, evidence.occurrence)
        expected.add((evidence.article, start, end))
    for article in corpus.articles.values():
        if article.repost_of and article.repost_of.get("evidence"):
            start, end = locate(article.text, article.repost_of["evidence"])
            expected.add((article.id, start, end))
    rows = select(
        store,
        """
        SELECT ?article ?start ?end WHERE {
          ?annotation a oa:Annotation ; oa:hasTarget/oa:hasSource ?article ;
                      oa:hasTarget/oa:hasSelector [ a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end ] .
        }""",
    )
    assert {(local(r["article"]), int(r["start"]), int(r["end"])) for r in rows} == expected


# ---------------------------------------------------------------------------------------------
# claims, figures, events, links


def test_no_claim_without_a_claimant_an_article_and_evidence(store):
    rows = select(
        store,
        """
        SELECT ?claim WHERE {
          ?claim a kz:Claim .
          FILTER (NOT EXISTS { ?claim kz:claimedBy ?who } || NOT EXISTS { ?claim kz:reportedIn ?article }
                  || NOT EXISTS { ?claim kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?quote })
        }""",
    )
    assert rows == []


def test_every_article_that_reports_a_claim_quotes_it(store):
    """A claim reported in an article has a quote from that very article (reprints and reposts included)."""
    rows = select(
        store,
        """
        SELECT ?claim ?article WHERE {
          ?claim a kz:Claim ; kz:reportedIn ?article .
          FILTER NOT EXISTS { ?claim kz:evidence/oa:hasTarget/oa:hasSource ?article }
        }""",
    )
    assert rows == []


def test_every_claimant_is_an_actor_not_a_place_or_channel(store):
    rows = select(
        store,
        """
        SELECT ?claim ?who WHERE {
          ?claim a kz:Claim ; kz:claimedBy ?who .
          FILTER NOT EXISTS { VALUES ?class { kz:Person kz:Organization kz:MediaOutlet kz:Group } ?who a ?class }
        }""",
    )
    assert rows == []


def test_no_figure_without_a_kind(store):
    rows = select(
        store,
        """
        SELECT ?claim WHERE {
          ?claim a kz:Claim .
          { ?claim kz:quantity ?q } UNION { ?claim kz:quantityText ?t } UNION { ?claim kz:quantityQualifier ?h }
          FILTER NOT EXISTS { ?claim kz:quantityKind ?kind }
        }""",
    )
    assert rows == []


def test_no_event_without_a_date_or_an_explicit_unknown(store):
    rows = select(
        store,
        """
        SELECT ?event WHERE {
          ?event a kz:Event .
          FILTER NOT EXISTS { ?event kz:startDate ?start }
          FILTER NOT EXISTS { ?event kz:dateText ?words }
        }""",
    )
    assert rows == []
    for path in sorted((DATA / "events").glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            assert "start" in entry, f"{path.name}: event {entry.get('id')} has no 'start' (a date or 'unknown')"


WORD_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
MONTH_DAY = [
    re.compile(r"(\d{1,2})(?:st|nd|rd|th)?(?:\s*(?:-|–|and|to)\s*(\d{1,2}))?\s+January"),
    re.compile(r"January\s+(\d{1,2})(?:\s*(?:-|–)\s*(\d{1,2}))?"),
    re.compile(r"the (\d{1,2})(?:st|nd|rd|th)\b"),
]


def days_written(text: str) -> set[int]:
    days = set()
    for pattern in MONTH_DAY:
        for match in pattern.finditer(text):
            days.update(int(g) for g in match.groups() if g)
    return days


def date_follows_text(day: int, date_text: str | None, quotes: list[str]) -> bool:
    """The day is written in the date words or the quotes, or counted from one that is
    ("Just four days later" after "2 January"; "the next day" after "January 5")."""
    written = set().union(*(days_written(t) for t in [date_text or "", *quotes]))
    if day in written:
        return True
    words = (date_text or "").lower()
    later = re.search(r"(\w+) days later", words)
    offsets = ([WORD_NUMBERS.get(later.group(1), 0)] if later else []) + ([1] if "the next day" in words else [])
    return any(base + offset == day for base in written for offset in offsets if offset)


def test_every_event_date_follows_its_text(corpus):
    wrong = []
    for event in corpus.events.values():
        for date in (event.start, event.end):
            if date and not date_follows_text(date.day, event.date_text, [e.quote for e in event.evidence]):
                wrong.append(f"{event.id}: {date} (date_text {event.date_text!r})")
    assert wrong == []


def test_every_claim_date_follows_its_text(corpus):
    """A claim is dated by its own article's date only when the article (its author or publisher)
    makes it; any other date is written in the claim's date words or quotes."""
    wrong = []
    for claim in corpus.claims.values():
        if claim.date is None:
            continue
        article = corpus.articles[claim.article]
        own = set(claim.claimed_by) & {*article.creators, article.publisher}
        if own and claim.date == article.date:
            continue
        if not date_follows_text(claim.date.day, claim.date_text, [e.quote for e in claim.evidence]):
            wrong.append(f"{claim.id}: {claim.date} (date_text {claim.date_text!r})")
        assert claim.date <= (article.date or dt.date(2022, 2, 28)), claim.id
    assert wrong == []


def test_contradicts_and_corroborates_link_claims_exactly_as_curated(store, corpus):
    asserted = {"contradicts": set(), "corroborates": set()}
    for claim in corpus.claims.values():
        for other in claim.contradicts:
            asserted["contradicts"].add(frozenset((claim.id, other)))
        for other in claim.corroborates:
            asserted["corroborates"].add(frozenset((claim.id, other)))
    for relation, pairs in asserted.items():
        rows = select(
            store,
            f"""
            SELECT ?a ?b ?aIsClaim ?bIsClaim WHERE {{
              ?a kz:{relation} ?b .
              BIND(EXISTS {{ ?a a kz:Claim }} AS ?aIsClaim) BIND(EXISTS {{ ?b a kz:Claim }} AS ?bIsClaim)
            }}""",
        )
        assert all(r["aIsClaim"] == "true" and r["bIsClaim"] == "true" for r in rows), relation
        in_graph = {frozenset((local(r["a"]), local(r["b"]))) for r in rows}
        assert in_graph == pairs, relation
        assert all(len(pair) == 2 for pair in pairs), f"a claim {relation} itself"
    assert asserted["contradicts"].isdisjoint(asserted["corroborates"]), "a pair both contradicts and corroborates"
    # the disagreements between articles are there, not only those inside one article
    across = {frozenset(corpus.claims[c].article for c in pair) for pair in asserted["contradicts"]}
    for articles in (
        {"000", "004"},
        {"001", "004"},
        {"000", "002"},
        {"001", "002"},
        {"002", "004"},
        {"003", "004"},
        {"000", "001"},
    ):
        assert frozenset(articles) in across, f"no contradiction between articles {sorted(articles)}"


def test_statuses_follow_the_contradictions(store):
    """Disputed iff another claimant's claim contradicts it and it is not Retracted; a Retracted
    claim is contradicted by a retraction of its own claimant. A Group (several unnamed people:
    "Some ... Others ...") can dispute its own claims."""
    claims = defaultdict(lambda: {"claimants": set(), "status": None})
    for r in select(store, "SELECT ?c ?who ?status WHERE { ?c a kz:Claim ; kz:claimedBy ?who ; kz:status ?status }"):
        claims[r["c"]]["claimants"].add(r["who"])
        claims[r["c"]]["status"] = local(r["status"].replace("#", "/"))
    groups = {r["g"] for r in select(store, "SELECT ?g WHERE { ?g a kz:Group }")}
    contradicts = defaultdict(set)
    for r in select(store, "SELECT ?a ?b WHERE { ?a kz:contradicts ?b }"):
        contradicts[r["a"]].add(r["b"])
        contradicts[r["b"]].add(r["a"])

    def other_speaker(a: str, b: str) -> bool:
        shared = claims[a]["claimants"] & claims[b]["claimants"]
        return claims[a]["claimants"] != claims[b]["claimants"] or shared <= groups

    wrong = []
    for claim, info in claims.items():
        disputed_by = [o for o in contradicts[claim] if other_speaker(claim, o)]
        expected_disputed = bool(disputed_by) and info["status"] != "Retracted"
        if expected_disputed != (info["status"] == "Disputed"):
            wrong.append(f"{local(claim)}: {info['status']}, contradicted by {sorted(map(local, contradicts[claim]))}")
        if info["status"] == "Retracted":
            retractions = [o for o in contradicts[claim] if (claims[o]["claimants"] & info["claimants"]) - groups]
            if not retractions:
                wrong.append(f"{local(claim)}: Retracted but no retraction by its claimant contradicts it")
    assert wrong == []
    assert sum(1 for info in claims.values() if info["status"] == "Retracted") >= 5
    assert sum(1 for info in claims.values() if info["status"] == "Disputed") >= 60


# ---------------------------------------------------------------------------------------------
# articles


# Floors set from the curated data (February 2022 pass): a drop means claims were lost.
CLAIM_FLOORS = {"000": 100, "001": 58, "002": 70, "003": 32, "004": 165}


@pytest.mark.parametrize("article", ARTICLES)
def test_every_article_has_its_claims(store, article):
    rows = select(
        store, f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a kz:Claim ; kz:reportedIn kzarticle:{article} }}"
    )
    assert int(rows[0]["n"]) >= CLAIM_FLOORS[article]


def test_every_claim_quote_of_an_article_is_in_that_articles_graph(store):
    rows = select(
        store,
        """
        SELECT ?g ?article WHERE {
          GRAPH ?g { ?annotation oa:hasTarget/oa:hasSource ?article }
        }""",
    )
    assert rows and all(local(r["g"]) == local(r["article"]) for r in rows)


# What the corpus README says each article is: title, publisher, byline, date (or none).
METADATA = {
    "000": (
        (
            "Fake news? Conflicting reports of shooting in Almaty as Russian and Kazakh governments appear "
            "to manipulate reporting for own agendas"
        ),
        "bne-intellinews",
        "bne correspondent in Almaty",
        "2022-01-06",
    ),
    "001": (
        "Kazakhstan’s unrest narrative derailed by confusion and blackout",
        "eurasianet",
        "Peter Leonard",
        "2022-01-09",
    ),
    "002": (
        "CENTRAL ASIA BLOG: Making sense of Kazakhstan’s ‘Bloody January’ — Part I/III",
        "bne-intellinews",
        "Peter Baunov in Almaty",
        "2022-02-06",
    ),
    "003": (None, "bne-intellinews", "unknown", None),
    "004": (
        "On the ground in Kazakhstan’s protests: what really happened?",
        "anti-capitalist-resistance",
        "Almas Kaisar and Dmitriy Mazorenko",
        None,
    ),
}


@pytest.mark.parametrize("article", ARTICLES)
def test_article_metadata_is_what_the_corpus_readme_states(store, article):
    title, publisher, byline, date = METADATA[article]
    rows = select(
        store,
        f"""
        SELECT ?title ?publisher ?byline ?date ?file WHERE {{
          kzarticle:{article} a kz:Article ; dcterms:title ?title ; kz:publisher ?publisher ;
                              kz:byline ?byline ; dcterms:identifier ?file .
          OPTIONAL {{ kzarticle:{article} dcterms:date ?date }}
        }}""",
    )
    assert len(rows) == 1
    row = rows[0]
    if title:
        assert row["title"] == title
    assert local(row["publisher"]) == publisher
    assert row["byline"] == byline
    assert row["date"] == date
    assert row["file"].startswith(article + "_")
    # the title is the article's own first line (001's with the "Eurasianet:" prefix of a re-post)
    first_line = article_text(article).splitlines()[0]
    if article == "001":
        assert first_line == "Eurasianet: " + row["title"]
        assert ask(store, 'ASK { kzarticle:001 rdfs:comment ?note FILTER(CONTAINS(?note, "Eurasianet:")) }')
    elif title:
        assert first_line == row["title"]


def test_003_is_page_58_of_the_february_magazine_and_reprints_000(store):
    rows = select(
        store,
        "SELECT ?title ?issue ?words WHERE { kzarticle:003 dcterms:title ?title ; "
        "schema:isPartOf ?issue ; kz:dateText ?words }",
    )
    assert len(rows) == 1
    assert re.search(r"page 58", rows[0]["title"], re.I) and "bne magazine" in rows[0]["title"]
    assert "February 2022" in rows[0]["issue"] and "February 2022" in rows[0]["words"]
    assert ask(store, "ASK { kzarticle:003 kz:reprints kzarticle:000 }")
    assert not ask(store, "ASK { kzarticle:003 dcterms:date ?date }")


def test_004_is_a_repost_of_the_opendemocracy_original(store):
    rows = select(
        store,
        """
        SELECT ?original ?publisher ?title ?quote WHERE {
          kzarticle:004 kz:repostOf ?original ; kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?quote .
          ?original a kz:Article ; kz:publisher ?publisher ; dcterms:title ?title .
        }""",
    )
    assert len(rows) == 1
    assert local(rows[0]["publisher"]) == "opendemocracy"
    assert rows[0]["title"] == METADATA["004"][0]
    assert rows[0]["quote"] == "This article originally appeared on Open Democracy"
    assert ask(store, 'ASK { kzid:opendemocracy a kz:MediaOutlet ; rdfs:label "openDemocracy" }')
    assert ask(store, "ASK { kzarticle:004 dcterms:creator kzid:almas-kaisar, kzid:dmitriy-mazorenko }")


# ---------------------------------------------------------------------------------------------
# one statement, one claim


def test_the_claims_000_and_003_share_are_reported_in_both(store, corpus):
    """Every claim of 000 whose words 003 reprints is one claim reported in both articles."""
    reprint = corpus.articles["003"].text
    shared = {
        c.id for c in corpus.claims.values() if c.article == "000" and any(locate(reprint, e.quote) for e in c.evidence)
    }
    assert len(shared) >= 15
    in_both = {
        local(r["c"])
        for r in select(
            store,
            """
        SELECT ?c WHERE { ?c a kz:Claim ; kz:reportedIn kzarticle:000, kzarticle:003 }""",
        )
    }
    assert shared <= in_both
    assert {
        "000-rt-dozens-dead",
        "000-rt-ten-police-dead",
        "000-rt-three-police-beheaded",
        "000-correspondent-most-reports-untrue",
        "000-tass-republic-square-shooting",
    } <= in_both
    # and none of 000's statements was recorded a second time under a 003 id
    original = corpus.articles["000"].text
    twice = [
        c.id
        for c in corpus.claims.values()
        if c.article == "003" and any(locate(original, e.quote) for e in c.evidence)
    ]
    assert twice == []


def test_one_statement_in_two_articles_is_one_claim(store):
    # Tokayev's 20,000 attackers of 7 January: 001 and 004 report the same statement
    rows = select(
        store,
        """
        SELECT ?c (GROUP_CONCAT(DISTINCT STR(?a); separator=" ") AS ?articles) WHERE {
          ?c a kz:Claim ; kz:claimedBy kzid:tokayev ; kz:quantity 20000 ; kz:reportedIn ?a } GROUP BY ?c""",
    )
    assert len(rows) == 1 and local(rows[0]["c"]) == "001-tokayev-20000-bandits"
    assert {local(a) for a in rows[0]["articles"].split()} == {"001", "004"}
    # the sociologist's finding, which 002 cites as openDemocracy's reporting (004 is that piece)
    rows = select(
        store,
        """
        SELECT ?c (GROUP_CONCAT(DISTINCT STR(?a); separator=" ") AS ?articles) WHERE {
          ?c a kz:Claim ; kz:reportedIn ?a ; kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?q .
          FILTER(CONTAINS(?q, "aged between 20")) } GROUP BY ?c""",
    )
    assert len(rows) == 1
    assert {local(a) for a in rows[0]["articles"].split()} == {"002", "004"}


def test_merged_ids_are_gone(store):
    for iri in (
        "kzid:protesters-004",
        "kzid:official-sources-004",
        "kzclaim:002-opendemocracy-protesters-mostly-men-20-40",
        "kzclaim:004-tokayev-20000-terrorists-attacked-almaty",
    ):
        assert not ask(store, f"ASK {{ {{ {iri} ?p ?o }} UNION {{ ?s ?p {iri} }} }}"), iri


# ---------------------------------------------------------------------------------------------
# the key facts a reader takes from the articles

KEY_FACTS = {
    "Health Ministry: 164 dead, 9 Jan, via the government Telegram account, retracted the same day": """
        ?c kz:claimedBy kzid:health-ministry ; kz:quantity 164 ; kz:quantityKind kz:Deaths ;
           kz:claimDate "2022-01-09"^^xsd:date ; kz:relayedBy kzid:government-telegram-account ;
           kz:statedIn kzid:government-telegram-account ; kz:status kz:Retracted ; kz:reportedIn kzarticle:001 ;
           kz:contradicts ?retraction .
        ?retraction kz:claimedBy kzid:health-ministry ; kz:claimDate "2022-01-09"^^xsd:date .
        FILTER NOT EXISTS { ?c kz:quantityQualifier ?q }
        FILTER NOT EXISTS { ?retraction kz:quantity ?any }""",
    "Health Ministry: 103 of the dead in Almaty, two children among them (retracted)": """
        ?c kz:claimedBy kzid:health-ministry ; kz:quantity 103 ; kz:status kz:Retracted ; kz:about kzid:almaty .
        ?d kz:claimedBy kzid:health-ministry ; kz:quantity 2 ; kz:quantityKind kz:Deaths ; kz:status kz:Retracted .""",
    "official sources: 227 dead, 19 of them law enforcement (004)": """
        ?c kz:claimedBy kzid:official-sources ; kz:quantity 227 ; kz:quantityKind kz:Deaths ;
           kz:reportedIn kzarticle:004 ; kz:status kz:Disputed .
        ?d kz:claimedBy kzid:official-sources ; kz:quantity 19 ; kz:quantityKind kz:Deaths ;
           kz:reportedIn kzarticle:004 ;
           kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?q .
        FILTER(CONTAINS(?q, "227 people died during the clashes, including 19 law enforcement personnel"))
        FILTER NOT EXISTS { ?c kz:quantityQualifier ?h }""",
    "official toll 'a little over 200' (002), agreeing with 227, disputed by Baunov": """
        ?c kz:claimedBy kzid:official-sources ; kz:quantity 200 ; kz:quantityQualifier kz:ALittleOver ;
           kz:quantityKind kz:Deaths ; kz:reportedIn kzarticle:002 ; kz:status kz:Disputed ;
           kz:corroborates|^kz:corroborates ?toll ; kz:contradicts|^kz:contradicts ?doubt .
        ?toll kz:quantity 227 . ?doubt kz:claimedBy kzid:peter-baunov .""",
    "'a couple of dozen' security-force dead (002)": """
        ?c kz:claimedBy kzid:official-sources ; kz:quantityQualifier kz:ACoupleOfDozen ; kz:quantityKind kz:Deaths ;
           kz:quantityText "a couple of dozen" ; kz:reportedIn kzarticle:002 .
        FILTER NOT EXISTS { ?c kz:quantity ?n }""",
    "Tokayev: 20,000 bandits, 7 Jan, on Twitter, in 001 and 004, disputed by 002": """
        ?c kz:claimedBy kzid:tokayev ; kz:quantity 20000 ; kz:quantityKind kz:Attackers ;
           kz:claimDate "2022-01-07"^^xsd:date ; kz:statedIn kzid:tokayev-twitter ; kz:status kz:Disputed ;
           kz:reportedIn kzarticle:001, kzarticle:004 ; kz:contradicts|^kz:contradicts ?doubt .
        ?doubt kz:claimedBy kzid:peter-baunov ; kz:reportedIn kzarticle:002 .""",
    "Magnum: 26 stores looted, 8.5 billion tenge damage ($19.6 million), 38 of 68 Almaty outlets reopened, 9 Jan": """
        ?c kz:claimedBy kzid:magnum ; kz:quantity 8500000000 ; kz:quantityKind kz:Damage ; kz:unit "KZT" ;
           kz:claimDate "2022-01-09"^^xsd:date ; kz:reportedIn kzarticle:001 .
        ?looted kz:claimedBy kzid:magnum ; kz:quantity 26 ; kz:quantityKind kz:LootedStores .
        ?open kz:claimedBy kzid:magnum ; kz:quantity 38 ; kz:quantityKind kz:Stores .
        ?all kz:claimedBy kzid:magnum ; kz:quantity 68 ; kz:quantityKind kz:Stores .
        ?usd kz:claimedBy kzid:peter-leonard ; kz:quantity 19600000 ; kz:unit "USD" .""",
    "a Kazakh official: around 2,500 CSTO troops; Russian media: higher numbers": """
        ?c kz:claimedBy kzid:kazakh-official-001 ; kz:quantity 2500 ; kz:quantityKind kz:Troops ;
           kz:quantityQualifier kz:About ; kz:reportedIn kzarticle:001 ; kz:status kz:Disputed ;
           kz:contradicts|^kz:contradicts ?higher .
        ?higher kz:claimedBy kzid:russian-media ; kz:quantityKind kz:Troops .""",
    "the man in the confession: Uburov (Kazakh security officials) vs Ruzakhunov (001 and 004)": """
        ?uburov kz:claimedBy kzid:kazakh-security-officials ; kz:about kzid:zakir-uburov, kzid:confession-man ;
                kz:status kz:Disputed .
        ?kyrgyz kz:claimedBy kzid:kyrgyz-social-media-users ; kz:about kzid:vikram-ruzakhunov ;
                kz:contradicts|^kz:contradicts ?uburov .
        ?authors kz:claimedBy kzid:almas-kaisar ; kz:reportedIn kzarticle:004 ; kz:about kzid:vikram-ruzakhunov ;
                 kz:contradicts|^kz:contradicts ?uburov .""",
    "Ruzakhunov's 'a little more than $200' retracted by him; 001's $200 confession disputed, not retracted": """
        ?c kz:claimedBy kzid:vikram-ruzakhunov ; kz:quantity 200 ; kz:quantityQualifier kz:ALittleOver ;
           kz:quantityKind kz:Money ; kz:unit "USD" ; kz:status kz:Retracted ; kz:contradicts|^kz:contradicts ?r .
        ?r kz:claimedBy kzid:vikram-ruzakhunov .
        ?confession kz:claimedBy kzid:confession-man ; kz:quantity 200 ; kz:quantityKind kz:Money ;
                    kz:status kz:Disputed ; kz:contradicts|^kz:contradicts ?r .
        FILTER NOT EXISTS { ?confession kz:quantityQualifier ?h }""",
    "RT: three policemen beheaded, in 000 and 003, disputed by the bne correspondent": """
        ?c kz:claimedBy kzid:rt ; kz:quantity 3 ; kz:quantityKind kz:Deaths ; kz:status kz:Disputed ;
           kz:reportedIn kzarticle:000, kzarticle:003 ; kz:contradicts|^kz:contradicts ?doubt .
        ?doubt kz:claimedBy kzid:bne-correspondent-almaty .""",
    "RT: dozens dead, at least ten policemen (000 and 003)": """
        ?c kz:claimedBy kzid:rt ; kz:quantityQualifier kz:Dozens ; kz:quantityKind kz:Deaths ;
           kz:reportedIn kzarticle:000, kzarticle:003 .
        ?p kz:claimedBy kzid:rt ; kz:quantity 10 ; kz:quantityQualifier kz:AtLeast ; kz:reportedIn kzarticle:003 .
        FILTER NOT EXISTS { ?c kz:quantity ?n }""",
    "Interior Ministry via RIA, 5 Jan: 10 police and national guard killed, 317 injured": """
        ?c kz:claimedBy kzid:interior-ministry ; kz:relayedBy kzid:ria ; kz:quantity 10 ; kz:quantityKind kz:Deaths ;
           kz:claimDate "2022-01-05"^^xsd:date .
        ?i kz:claimedBy kzid:interior-ministry ; kz:quantity 317 ; kz:quantityKind kz:Injuries .""",
    "the CSTO request: 5 January (000, 001) against the night of 6 January (004)": """
        ?jan5 kz:claimedBy kzid:bne-correspondent-almaty ; kz:about kzevent:csto-request ;
              kz:contradicts|^kz:contradicts ?night .
        ?leonard kz:claimedBy kzid:peter-leonard ; kz:about kzevent:csto-request ;
                 kz:contradicts|^kz:contradicts ?night .
        ?night kz:claimedBy kzid:almas-kaisar ; kz:reportedIn kzarticle:004 ; kz:about kzevent:csto-request .
        FILTER NOT EXISTS { kzevent:csto-request kz:startDate ?d }""",
    "who took Almaty airport: protesters on 5 Jan (000) against unidentified persons at night (004)": """
        ?c kz:claimedBy kzid:bne-correspondent-almaty ; kz:about kzevent:almaty-airport-seizure, kzid:protesters ;
           kz:contradicts|^kz:contradicts ?d .
        ?d kz:reportedIn kzarticle:004 ; kz:about kzevent:almaty-airport-seizure .""",
    "prosecutor's office: more than 4,500 injured; nearly 10,000 detained by 11 Jan": """
        ?c kz:claimedBy kzid:prosecutors-office-004 ; kz:quantity 4500 ; kz:quantityQualifier kz:MoreThan ;
           kz:quantityKind kz:Injuries .
        ?d kz:quantity 10000 ; kz:quantityQualifier kz:Nearly ; kz:quantityKind kz:Detentions ;
           kz:dateText "By the morning of 11 January" .""",
    "Nazarbayev left on 5 January (a departure)": """
        kzevent:nazarbayev-departure kz:eventType kz:Departure ; kz:startDate "2022-01-05"^^xsd:date ;
                                     kz:participant kzid:nazarbayev .
        ?c kz:claimedBy kzid:bne-correspondent-almaty ; kz:about kzevent:nazarbayev-departure .""",
    "Massimov detained on 6 January on suspicion of high treason": """
        kzevent:masimov-arrest kz:eventType kz:Detention ; kz:startDate "2022-01-06"^^xsd:date ;
                               kz:participant kzid:masimov .
        FILTER NOT EXISTS { kzevent:masimov-arrest kz:participant kzid:knb }""",
    "the Republic Square shooting of 6 January, told by HRW (002), an activist via RFE/RL (003) and 004": """
        kzevent:republic-square-shooting-january-6 kz:startDate "2022-01-06"^^xsd:date .
        ?hrw kz:claimedBy kzid:human-rights-watch ; kz:about kzevent:republic-square-shooting-january-6 .
        ?activist kz:claimedBy kzid:aigerim-tuleuzhanova ; kz:relayedBy kzid:rfe-rl ;
                  kz:about kzevent:republic-square-shooting-january-6 ; kz:corroborates|^kz:corroborates ?hrw .
        ?authors kz:reportedIn kzarticle:004 ; kz:about kzevent:republic-square-shooting-january-6 .""",
    "most protesters men aged 20-40: the sociologist's finding, relayed by openDemocracy": """
        ?c kz:claimedBy kzid:serik-beisembayev ; kz:relayedBy kzid:opendemocracy ; kz:quantityQualifier kz:Most ;
           kz:quantityKind kz:Protesters ; kz:reportedIn kzarticle:002, kzarticle:004 .""",
    "sacked (000) or resigned (004): the government": """
        ?sacked kz:claimedBy kzid:bne-correspondent-almaty ; kz:about kzevent:government-resignation ;
                kz:contradicts|^kz:contradicts ?resigned .
        ?resigned kz:reportedIn kzarticle:004 ; kz:about kzevent:government-resignation .""",
    "Tokayev's shoot-to-kill order of 7 January": """
        kzevent:shoot-to-kill-order kz:startDate "2022-01-07"^^xsd:date ; kz:participant kzid:tokayev .
        ?c kz:claimedBy kzid:peter-baunov ; kz:about kzevent:shoot-to-kill-order .""",
}


@pytest.mark.parametrize(
    "fact", list(KEY_FACTS), ids=[re.sub(r"[^a-z0-9]+", "-", f.lower())[:70].strip("-") for f in KEY_FACTS]
)
def test_a_reader_finds_the_key_fact(store, fact):
    assert ask(store, "ASK {" + KEY_FACTS[fact] + "}"), fact


NOT_OTHER = {
    "kzevent:taraz-buildings-burned": "kz:Fire",
    "kzevent:almaty-state-tv-buildings-fire": "kz:Fire",
    "kzevent:almaty-street-clearance-operation": "kz:MilitaryOperation",
    "kzevent:nazarbayev-departure": "kz:Departure",
    "kzevent:kazakh-airports-closed": "kz:Closure",
    "kzevent:security-force-violence-january-6-11": "kz:Crackdown",
}


@pytest.mark.parametrize("event", list(NOT_OTHER))
def test_events_have_the_type_the_text_supports(store, event):
    assert ask(store, f"ASK {{ {event} kz:eventType {NOT_OTHER[event]} }}")


def test_counts_of_videos_incidents_and_dismissals_have_their_kinds(store):
    assert ask(store, "ASK { ?c kz:claimedBy kzid:human-rights-watch ; kz:quantity 80 ; kz:quantityKind kz:Videos }")
    assert ask(store, "ASK { ?c kz:claimedBy kzid:human-rights-watch ; kz:quantity 4 ; kz:quantityKind kz:Incidents }")
    assert ask(
        store,
        "ASK { ?c kz:about kzevent:knb-deputies-removal ; kz:quantityKind kz:Dismissals ; "
        "kz:quantityQualifier kz:Several }",
    )


def test_every_vocabulary_code_is_a_concept_of_its_scheme(store):
    schemes = {
        "EventType": list(EVENT_TYPES),
        "QuantityKind": list(QUANTITY_KINDS),
        "QuantityQualifier": list(QUALIFIERS),
    }
    for scheme, codes in schemes.items():
        rows = select(
            store,
            f"""
            SELECT DISTINCT ?code WHERE {{
              ?concept skos:inScheme kz:{scheme} ; skos:topConceptOf kz:{scheme} ; skos:notation ?code ;
                       skos:prefLabel ?pref ; rdfs:label ?label ; rdfs:comment ?comment ;
                       rdfs:isDefinedBy <https://w3id.org/kzkg/ontology> .
              kz:{scheme} skos:hasTopConcept ?concept .
            }}""",
        )
        assert sorted(r["code"] for r in rows) == sorted(codes), scheme


# ---------------------------------------------------------------------------------------------
# figures are written in their own quotes

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "bn": 10**9}


def numbers_written(text: str, unit: str | None) -> set[Decimal]:
    """The numbers a passage writes: digits as printed ("20,000", "8.5 billion", "$19.6 million"),
    number words (also in "three-decade-long", "six-month"), "a dozen" = 12, "two dozen" = 24, and
    one week for "a week" / "weeklong" when the claim's unit is weeks."""
    low = text.lower()
    found: set[Decimal] = set()
    for match in re.finditer(r"(\d[\d,]*(?:\.\d+)?)\s*(thousand|million|billion|bn)?\b", low):
        number = Decimal(match.group(1).replace(",", ""))
        found.add(number)
        if match.group(2):
            found.add(number * SCALES[match.group(2)])
    for word, number in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", low):
            found.add(Decimal(number))
        if re.search(rf"\b{word} dozen\b", low):
            found.add(Decimal(number * 12))
    if re.search(r"\bdozen\b", low):
        found.add(Decimal(12))
    if unit and "week" in unit and re.search(r"\bweek", low):
        found.add(Decimal(1))
    return found


def test_the_number_reader_reads_the_corpus_forms():
    assert Decimal(20000) in numbers_written("“20,000 bandits”", None)
    assert Decimal(8500000000) in numbers_written("damage worth 8.5 billion tenge", "KZT")
    assert Decimal(19600000) in numbers_written("($19.6 million)", "USD")
    assert Decimal(24) in numbers_written("almost two dozen civilian corpses", None)
    assert Decimal(12) in numbers_written("around a dozen deaths", None)
    assert Decimal(3) in numbers_written("the three-decade-long Nazarbayev era", "decades")
    assert Decimal(1) in numbers_written("a bloody weeklong crisis", "week")
    assert Decimal(1) not in numbers_written("he took his own life", "people")


def test_no_claim_has_a_figure_its_quotes_do_not_write(store):
    rows = select(
        store,
        """
        SELECT ?c ?quantity ?text ?unit (GROUP_CONCAT(?quote; separator=" ¶ ") AS ?quotes) WHERE {
          ?c a kz:Claim ; kz:evidence/oa:hasTarget/oa:hasSelector/oa:exact ?quote .
          OPTIONAL { ?c kz:quantity ?quantity } OPTIONAL { ?c kz:quantityText ?text } OPTIONAL { ?c kz:unit ?unit }
          FILTER(BOUND(?quantity) || BOUND(?text))
        } GROUP BY ?c ?quantity ?text ?unit""",
    )
    assert len(rows) >= 70
    wrong = []
    for row in rows:
        quotes = row["quotes"]
        if row["quantity"] is not None and Decimal(row["quantity"]) not in numbers_written(quotes, row["unit"]):
            wrong.append(f"{local(row['c'])}: {row['quantity']} is not written in its quotes")
        if row["text"] is not None:
            for part in row["text"].split("; "):
                if normalised(part) not in normalised(quotes):
                    wrong.append(f"{local(row['c'])}: quantity text {part!r} is not in its quotes")
    assert wrong == []


def test_qualifiers_match_the_words(store):
    """A hedge in the figure's words has its qualifier, and a qualifier has its words."""
    words = {
        "AtLeast": r"\bat least\b",
        "MoreThan": r"\bmore than\b",
        "Nearly": r"\b(nearly|almost)\b",
        "About": r"\b(about|around|some)\b",
        "ALittleOver": r"\ba little (over|more than)\b",
        "Dozens": r"\bdozens\b",
        "ACoupleOfDozen": r"\ba couple of dozen\b",
        "Thousands": r"\bthousands?\b",
        "Several": r"\bseveral\b",
        "Many": r"\bmany\b",
        "Most": r"\b(most|majority)\b",
    }
    rows = select(
        store,
        """
        SELECT ?c ?text ?qualifier WHERE { ?c a kz:Claim ; kz:quantityText ?text .
                                           OPTIONAL { ?c kz:quantityQualifier ?qualifier } }""",
    )
    wrong = []
    for row in rows:
        qualifier = row["qualifier"].rsplit("#", 1)[-1] if row["qualifier"] else None
        text = row["text"].lower()
        if qualifier:
            if not re.search(words[qualifier], text):
                wrong.append(f"{local(row['c'])}: {qualifier} for {row['text']!r}")
        else:
            hedges = [q for q, pattern in words.items() if q not in {"About"} and re.search(pattern, text)]
            if hedges:
                wrong.append(f"{local(row['c'])}: {row['text']!r} reads {hedges} but has no qualifier")
    assert wrong == []
