"""The example queries (kzkg/queries/01-10) give the answers a reader of the five articles gives.

Each query runs as shipped on the release store (default graph = every graph but the claims' assertion graphs, kzkg's
prefixes predeclared), and its rows are checked against concrete facts of the articles and, where
the answer is a whole set, against the same set computed independently from the curated corpus.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from kzkg.examples import load_examples
from kzkg.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
EXAMPLES = {e.slug: e for e in load_examples()}


def run(store: ox.Store, sparql: str) -> list[dict[str, str | None]]:
    result = store.query(sparql, prefixes=PREFIXES)
    names = [v.value for v in result.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in result]


def example(store: ox.Store, prefix: str) -> list[dict[str, str | None]]:
    slug = next(s for s in EXAMPLES if s.startswith(prefix + "-"))
    return run(store, EXAMPLES[slug].sparql)


def local(iri: str | None) -> str | None:
    return iri.rsplit("/", 1)[-1] if iri else iri


def by_claim(rows, key="claim"):
    return {local(r[key]): r for r in rows}


def test_the_ten_examples_are_there_with_a_title_and_a_description():
    numbered = [s for s in EXAMPLES if re.match(r"(0[1-9]|10)-", s)]
    assert len(numbered) == 10
    for slug in numbered:
        assert EXAMPLES[slug].title and EXAMPLES[slug].title != slug + ".rq"
        assert len(EXAMPLES[slug].description) > 20


# ---------------------------------------------------------------------------------------------
# 01 death tolls


def test_01_death_tolls(store, corpus):
    rows = example(store, "01")
    claims = by_claim(rows)
    assert len(claims) == len(rows), "one row per claim"
    assert set(claims) == {c.id for c in corpus.claims.values() if c.quantity_kind == "Deaths"}

    health = claims["001-health-ministry-164-dead"]
    assert (health["figure"], health["date"], health["status"], health["articles"]) == (
        "164",
        "2022-01-09",
        "retracted",
        "001",
    )
    assert health["claimants"] == "Ministry of Health of Kazakhstan" and health["qualifier"] is None

    official = claims["004-official-227-dead"]
    assert (official["figure"], official["claimants"], official["articles"], official["status"]) == (
        "227",
        "official sources (unnamed)",
        "004",
        "disputed",
    )
    assert claims["004-official-19-law-enforcement-dead"]["figure"] == "19"
    little_over = claims["002-official-death-toll-over-200"]
    assert (little_over["figure"], little_over["qualifier"], little_over["articles"]) == ("200", "a little over", "002")
    rt = claims["000-rt-dozens-dead"]
    assert (rt["qualifier"], rt["figure"], rt["claimants"], set(rt["articles"].split())) == (
        "dozens",
        None,
        "RT",
        {"000", "003"},
    )
    assert claims["000-interior-ministry-10-killed"]["date"] == "2022-01-05"
    assert claims["002-official-security-force-deaths-couple-of-dozen"]["qualifier"] == "a couple of dozen"
    authors = claims["004-authors-two-children-gunshot-deaths"]["claimants"].split("; ")
    assert sorted(authors) == ["Almas Kaisar", "Dmitriy Mazorenko"]

    # dated claims first, in date order
    dates = [r["date"] for r in rows]
    dated = [d for d in dates if d]
    assert dates[: len(dated)] == dated and dated == sorted(dated)


# ---------------------------------------------------------------------------------------------
# 02 contradictions


def test_02_contradictions_each_pair_once(store, corpus):
    rows = example(store, "02")
    pairs = {frozenset((local(r["claim"]), local(r["otherClaim"]))) for r in rows}
    assert len(pairs) == len(rows), "each pair once"
    curated = {frozenset((c.id, o)) for c in corpus.claims.values() for o in c.contradicts}
    assert pairs == curated
    index = {frozenset((local(r["claim"]), local(r["otherClaim"]))): r for r in rows}

    def row(a, b):
        found = index[frozenset((a, b))]
        return (
            found
            if local(found["claim"]) == a
            else {
                "claimants": found["otherClaimants"],
                "articles": found["otherArticles"],
                "otherClaimants": found["claimants"],
                "otherArticles": found["articles"],
            }
        )

    retraction = row("001-health-ministry-164-dead", "001-health-ministry-retraction")
    assert retraction["claimants"] == retraction["otherClaimants"] == "Ministry of Health of Kazakhstan"
    csto = row("000-author-csto-call-jan-5", "004-authors-tokayev-csto-request")
    assert (csto["articles"], csto["otherArticles"]) == ("000", "004")
    assert row("001-leonard-csto-request-january-5", "004-authors-tokayev-csto-request")["claimants"] == "Peter Leonard"
    identity = row("001-kazakh-security-officials-man-is-uburov", "001-kyrgyz-social-media-man-is-ruzakhunov")
    assert (identity["claimants"], identity["otherClaimants"]) == (
        "Kazakh security officials",
        "social media users in Kyrgyzstan",
    )
    assert frozenset(("001-kazakh-security-officials-man-is-uburov", "004-authors-detainee-was-ruzakhunov")) in pairs
    airport = row("000-author-airport-seized-jan-5", "004-authors-seizure-attempts-hospitals-airport")
    assert sorted(airport["otherClaimants"].split("; ")) == ["Almas Kaisar", "Dmitriy Mazorenko"]
    tokayev = row("001-tokayev-20000-bandits", "002-baunov-20000-armed-men-did-not-attack")
    assert (tokayev["claimants"], set(tokayev["articles"].split()), tokayev["otherArticles"]) == (
        "Kassym-Jomart Tokayev",
        {"001", "004"},
        "002",
    )
    assert frozenset(("000-author-tokayev-sacked-government", "004-unattributed-government-resigned")) in pairs
    assert frozenset(("002-baunov-real-death-toll-may-be-far-higher", "004-official-227-dead")) in pairs
    # an update of a growing count is not a contradiction (data/README.md, curation rules)
    assert not any("000-early-reports-eight-police-dead" in pair for pair in pairs)
    assert not any({"001-health-ministry-164-dead", "004-official-227-dead"} <= pair for pair in pairs)


# ---------------------------------------------------------------------------------------------
# 03 Almaty timeline


def in_almaty(corpus, place: str) -> bool:
    while place:
        if place == "almaty":
            return True
        place = corpus.entities[place].located_in if place in corpus.entities else None
    return False


def test_03_almaty_timeline(store, corpus):
    rows = example(store, "03")
    events = [local(r["event"]) for r in rows]
    assert len(events) == len(set(events))
    low, high = dt.date(2022, 1, 4), dt.date(2022, 1, 11)
    expected = {
        e.id
        for e in corpus.events.values()
        if e.start and low <= e.start <= high and any(in_almaty(corpus, p) for p in e.places)
    }
    assert set(events) == expected
    starts = [r["start"] for r in rows]
    assert starts == sorted(starts) and starts[0] >= "2022-01-04" and starts[-1] <= "2022-01-11"
    row = {local(r["event"]): r for r in rows}
    for event, start in [
        ("almaty-akimat-seizure", "2022-01-05"),
        ("almaty-akimat-fire", "2022-01-05"),
        ("almaty-airport-seizure", "2022-01-05"),
        ("republic-square-shooting-january-6", "2022-01-06"),
        ("oyan-rally-almaty-january-4", "2022-01-04"),
        ("almaty-firefights-january-6-10", "2022-01-06"),
    ]:
        assert row[event]["start"] == start, event
    assert row["almaty-akimat-seizure"]["type"] == "seizure" and row["almaty-akimat-fire"]["type"] == "arson"
    assert row["almaty-state-tv-buildings-fire"]["type"] == "fire"
    assert row["almaty-firefights-january-6-10"]["end"] == "2022-01-10"
    assert "Republic Square" in row["republic-square-shooting-january-6"]["places"]
    assert "January 6" in row["republic-square-shooting-january-6"]["dateText"]
    # the akimat is seized and burns before the 6 January shooting on its square
    assert events.index("almaty-akimat-seizure") < events.index("republic-square-shooting-january-6")
    for outside in (
        "masimov-arrest",
        "csto-request",
        "state-of-emergency-nationwide",
        "tokayev-protester-categorisation",
    ):
        assert outside not in events


# ---------------------------------------------------------------------------------------------
# 04 disputed actors


def test_04_actors_whose_claims_others_dispute(store, corpus):
    rows = example(store, "04")
    got = {local(r["actor"]): (int(r["disputedClaims"]), int(r["disputedBy"])) for r in rows}
    contradicts = defaultdict(set)
    for claim in corpus.claims.values():
        for other in claim.contradicts:
            contradicts[claim.id].add(other)
            contradicts[other].add(claim.id)
    expected_claims, expected_by = defaultdict(set), defaultdict(set)
    for claim in corpus.claims.values():
        for actor in claim.claimed_by:
            for other in contradicts[claim.id]:
                if actor not in corpus.claims[other].claimed_by:
                    expected_claims[actor].add(claim.id)
                    expected_by[actor].update(corpus.claims[other].claimed_by)
    assert got == {a: (len(expected_claims[a]), len(expected_by[a])) for a in expected_claims}
    assert got["tokayev"][0] >= 5 and got["kazakh-security-officials"][0] == 2
    assert "rt" in got and "kazakh-state-media" in got
    # the Health Ministry only contradicted itself (its retraction): nobody else disputes it
    assert "health-ministry" not in got
    counts = [int(r["disputedClaims"]) for r in rows]
    assert counts == sorted(counts, reverse=True)


# ---------------------------------------------------------------------------------------------
# 05 outlets


def test_05_what_each_outlet_reported(store, corpus):
    rows = example(store, "05")
    outlets = {e.id for e in corpus.entities.values() if "MediaOutlet" in e.types}
    got = {(local(r["outlet"]), local(r["claim"])) for r in rows}
    assert got == {(who, c.id) for c in corpus.claims.values() for who in c.claimed_by if who in outlets}
    control = {local(r["outlet"]): r["control"] for r in rows}
    assert control["rt"] == "state-controlled"  # 000: "the Russian state-owned press ... including the Kremlin’s RT"
    assert control["tass"] == "not stated in the corpus"
    assert control["bne-intellinews"] == "not stated in the corpus"
    rt = {local(r["claim"]) for r in rows if local(r["outlet"]) == "rt"}
    assert {"000-rt-dozens-dead", "000-rt-three-police-beheaded", "000-rt-ten-police-dead"} <= rt
    reported = {(local(r["claim"]), local(r["article"])) for r in rows}
    assert ("000-rt-three-police-beheaded", "003") in reported and ("000-rt-three-police-beheaded", "000") in reported


# ---------------------------------------------------------------------------------------------
# 06 multiply reported


def test_06_claims_reported_by_several_articles(store, corpus):
    rows = example(store, "06")
    got = {local(r["claim"]): {local(a) for a in r["reportedIn"].split()} for r in rows}
    assert all(int(r["articles"]) == len(got[local(r["claim"])]) >= 2 for r in rows)
    expected = defaultdict(set)
    for claim in corpus.claims.values():
        expected[claim.id].add(claim.article)
    for report in corpus.reports:
        expected[report.claim].add(report.evidence.article)
    assert got == {c: a for c, a in expected.items() if len(a) > 1}
    shared_000_003 = {c for c, a in got.items() if a == {"000", "003"}}
    assert len(shared_000_003) >= 15
    assert {
        "000-rt-dozens-dead",
        "000-rt-three-police-beheaded",
        "000-author-military-operation-started",
        "000-correspondent-clashes-smaller-scale",
        "000-tass-republic-square-shooting",
    } <= shared_000_003
    assert got["001-tokayev-20000-bandits"] == {"001", "004"}
    assert got["004-beisembayev-protesters-mostly-men-20-40"] == {"002", "004"}


# ---------------------------------------------------------------------------------------------
# 07 evidence


def test_07_the_quote_and_offsets_slice_the_article_file(store, corpus):
    rows = example(store, "07")
    assert len(rows) == 1
    row = rows[0]
    assert local(row["claim"]) == "001-health-ministry-164-dead" and local(row["article"]) == "001"
    assert row["title"] == "Kazakhstan’s unrest narrative derailed by confusion and blackout"
    expected = corpus.claims["001-health-ministry-164-dead"].evidence[0].quote
    assert row["quote"] == expected
    path = DATA / corpus.articles["001"].file
    with path.open(encoding="utf-8", newline="") as handle:
        text = handle.read()
    assert text[int(row["start"]) : int(row["end"])] == row["quote"]
    assert "164 people had been killed" in row["quote"]
    assert row["annotation"].endswith(f"/annotation/001-{row['start']}-{row['end']}")


# ---------------------------------------------------------------------------------------------
# 08 CSTO states


def test_08_exactly_the_states_the_articles_name(store):
    rows = example(store, "08")
    # 000: Kyrgyz, Armenian, Tajik forces and Russian soldiers; 001: Armenia, Belarus, Kyrgyzstan,
    # Tajikistan and Russian troops; 003 and 004: Russia, Belarus, Armenia, Tajikistan, Kyrgyzstan
    assert [(local(r["state"]), r["name"]) for r in rows] == [
        ("armenia", "Armenia"),
        ("belarus", "Belarus"),
        ("kyrgyzstan", "Kyrgyzstan"),
        ("russia", "Russia"),
        ("tajikistan", "Tajikistan"),
    ]
    assert all(int(r["claims"]) >= 2 for r in rows)


# ---------------------------------------------------------------------------------------------
# 09 detained, dismissed, charged


def test_09_who_was_detained_dismissed_or_charged(store):
    rows = example(store, "09")
    got = defaultdict(set)
    for r in rows:
        got[local(r["who"])].add(local(r["event"]))
    assert got["masimov"] == {"masimov-arrest"}
    massimov = next(r for r in rows if local(r["who"]) == "masimov")
    assert massimov["date"] == "2022-01-06" and "high treason" in massimov["statedReasons"]
    assert got["vikram-ruzakhunov"] == {"ruzakhunov-detention"}
    assert got["nazarbayev"] == {"nazarbayev-security-council-removal"}
    assert got["kazakh-government"] == {"government-resignation"}
    assert got["kyrgyz-detained-citizens-004"] == {"kyrgyz-citizens-detention"}
    assert got["taraz-police-chief"] == {"taraz-police-chief-suspicion"}
    assert got["oyan-qazaqstan"] == {"oyan-march-police-detentions"}
    assert "kazakh-journalists" in got
    # those who detained or dismissed are not listed as detained or dismissed
    for actor in ("tokayev", "kazakh-security-forces", "kazakh-police", "interior-ministry"):
        assert actor not in got, actor
    dates = [r["date"] for r in rows if r["date"]]
    assert dates == sorted(dates)


# ---------------------------------------------------------------------------------------------
# 10 standard vocabularies


def test_10_answers_through_standard_vocabularies_only(store):
    slug = next(s for s in EXAMPLES if s.startswith("10-"))
    sparql = EXAMPLES[slug].sparql
    body = "\n".join(line for line in sparql.splitlines() if not line.startswith("#"))
    assert "kz:" not in body and "w3id.org/kzkg/ontology" not in body
    assert all(f"{prefix}:" in body for prefix in ("prov", "sem", "schema"))
    rows = run(store, sparql)
    every_claim = {r["c"] for r in run(store, "SELECT ?c WHERE { ?c a kz:Claim }")}
    assert {r["claim"] for r in rows} == every_claim  # every claim answers in standard terms
    attributed = {(r["c"], r["w"]) for r in run(store, "SELECT ?c ?w WHERE { ?c kz:claimedBy ?w }")}
    appears = {(r["c"], r["a"]) for r in run(store, "SELECT ?c ?a WHERE { ?c kz:reportedIn ?a }")}
    titles = {r["a"]: r["t"] for r in run(store, "SELECT ?a ?t WHERE { ?a a kz:Article ; dcterms:title ?t }")}
    about = {(r["c"], r["e"]) for r in run(store, "SELECT ?c ?e WHERE { ?c kz:about ?e . ?e a kz:Event }")}
    places = {(r["e"], r["p"]) for r in run(store, "SELECT ?e ?p WHERE { ?e kz:place/kz:locatedIn* ?p }")}
    for row in rows:
        assert (row["claim"], row["agent"]) in attributed
        assert (row["claim"], row["article"]) in appears
        assert titles[row["article"]] == row["articleTitle"]
        if row["event"]:
            assert (row["claim"], row["event"]) in about and (row["event"], row["place"]) in places
    found = {(local(r["claim"]), local(r["agent"]), local(r["article"])) for r in rows}
    assert ("000-rt-three-police-beheaded", "rt", "000") in found
    assert ("000-author-airport-seized-jan-5", "bne-correspondent-almaty", "000") in found


# ---------------------------------------------------------------------------------------------
# 11-16 claims as data (issue #12): answers read from the assertion graphs, never from a label


def _asserted(corpus, prop: str, subject: str | None = None):
    """(claim, statement) for every curated statement with this property (and subject)."""
    return [
        (claim, s)
        for claim in corpus.claims.values()
        for s in claim.asserts
        if s.property == prop and (subject is None or s.subject == subject)
    ]


def test_11_the_csto_request_dates_per_source(store, corpus):
    rows = [r for r in example(store, "11") if local(r["event"]) == "csto-request"]
    dates = {(r["articles"], r["date"]) for r in rows if r["date"]}
    worded = {(r["articles"], r["dateText"]) for r in rows if r["dateText"]}
    # 000 and 001 date Tokayev's call to 5 January; 004 puts it "on the night of 6 January"
    assert ("000", "2022-01-05") in dates and ("001", "2022-01-05") in dates
    assert {d for _, d in dates} == {"2022-01-05"}
    assert any(a == "004" and "night of 6 January" in text for a, text in worded)
    expected = {(c.id, str(s.value)) for c, s in _asserted(corpus, "startDate", "csto-request")}
    assert {(local(r["claim"]), r["date"]) for r in rows if r["date"]} == expected
    assert all(r["quotes"] for r in rows)  # the evidence beside each answer


def test_12_the_airport_recapture_agents_per_source(store, corpus):
    rows = [r for r in example(store, "12") if local(r["event"]) == "almaty-airport-recapture"]
    agents = {local(r["agent"]): r for r in rows if r["denied"] == "false"}
    assert {"kazakh-paratroopers", "russian-spetsnaz"} <= set(agents)
    assert "https://w3id.org/kzkg/id/tokayev" in agents["kazakh-paratroopers"]["claimants"].split()
    assert "https://w3id.org/kzkg/id/tokayev" not in agents["russian-spetsnaz"]["claimants"].split()
    expected = {(c.id, s.value) for c, s in _asserted(corpus, "agent", "almaty-airport-recapture")}
    assert {(local(r["claim"]), local(r["agent"])) for r in rows} == expected


def test_13_the_confession_man_identities_per_source(store, corpus):
    rows = [r for r in example(store, "13") if local(r["person"]) == "confession-man"]
    given = {(local(r["identity"]), r["denied"]) for r in rows}
    assert ("vikram-ruzakhunov", "false") in given and ("zakir-uburov", "false") in given
    uburov = [r for r in rows if local(r["identity"]) == "zakir-uburov"]
    claimants = {local(c) for r in uburov for c in r["claimants"].split()}
    assert any("kazakh" in c and "security" in c for c in claimants), claimants  # Kazakh security officials
    expected = {(c.id, s.value) for c, s in _asserted(corpus, "identifiedAs", "confession-man")}
    assert {(local(r["claim"]), local(r["identity"])) for r in rows} == expected
    # 004 names the detainee Ruzakhunov on the same subject as 001, so the graph computes the
    # disagreement with the Kazakh officials' Uburov instead of leaving it to the curator alone
    assert ("004-authors-detainee-was-ruzakhunov", "vikram-ruzakhunov") in {
        (local(r["claim"]), local(r["identity"])) for r in rows
    }
    conflicting = run(
        store,
        "SELECT ?other WHERE { kzclaim:004-authors-detainee-was-ruzakhunov kz:conflictsWith ?other }",
    )
    assert "001-kazakh-security-officials-man-is-uburov" in {local(r["other"]) for r in conflicting}


def test_figures_in_the_default_graph_are_claims_only(store):
    """The disagreements graph is part of the default graph; its positions give figures with their
    own properties, so a plain ``?x kz:quantity ?q`` still returns claims only."""
    holders = run(store, "SELECT DISTINCT ?x WHERE { ?x kz:quantity ?q }")
    claims = {r["c"] for r in run(store, "SELECT ?c WHERE { ?c a kz:Claim }")}
    assert holders and {r["x"] for r in holders} <= claims
    positions = run(store, "SELECT ?p ?q WHERE { ?p a kz:Position ; kz:valueQuantity ?q }")
    assert positions  # the numbers are still beside each side of a figure disagreement
    for prop in ("quantityKind", "population", "asOf"):  # a figure disagreement's kind, population, day
        holders = {r["x"] for r in run(store, f"SELECT DISTINCT ?x WHERE {{ ?x kz:{prop} ?v }}")}
        assert holders <= claims, (prop, sorted(holders - claims)[:3])
    on_figures = run(store, "SELECT ?d ?k ?day WHERE { ?d a kz:Disagreement ; kz:onQuantityKind ?k ; kz:onAsOf ?day }")
    assert on_figures  # the disagreement node still says which figures it compares, with its own terms


def test_14_denials(store, corpus):
    from kzkg.assertion_format import EXTERNAL_PROPERTIES

    external = {iri: name for name, (iri, _) in EXTERNAL_PROPERTIES.items()}  # schema:about is no kz: term

    def name(prop: str) -> str:
        return external.get(prop, prop.rsplit("#", 1)[-1])

    rows = example(store, "14")
    found = {(local(r["claim"]), local(r["subject"]), name(r["property"])) for r in rows}
    expected = {
        (c.id, s.subject, s.property)
        for c in corpus.claims.values()
        if c.polarity == "negative"
        for s in c.asserts
        if s.property != "quantity"
    } | {  # an event only the claim asserts is also typed kz:Event in its graph
        (c.id, s.subject, "type")
        for c in corpus.claims.values()
        if c.polarity == "negative"
        for s in c.asserts
        if s.asserted_event and s.property == "eventType"
    }
    assert found == expected and found
    assert (
        "000-passenger-not-told-not-evacuated",
        "000-passenger-not-told-not-evacuated-passenger-evacuation",
        "agent",
    ) in found
    for row in rows:  # a denial names who asserts the very same statement, where someone does
        for asserter in (row["assertedBy"] or "").split():
            claim = corpus.claims[local(asserter)]
            assert claim.polarity != "negative"
            assert any(
                s.subject == local(row["subject"]) and s.property == name(row["property"]) for s in claim.asserts
            )


def test_15_all_disagreements_with_both_sides(store, corpus):
    from kzkg.disagreements import compute_disagreements

    rows = example(store, "15")
    points = {r["disagreement"] for r in rows}
    computed = compute_disagreements(corpus.claims.values())
    assert len(points) == len(computed)
    sides = defaultdict(set)
    for r in rows:
        sides[(local(r["subject"]), r["property"].rsplit("#", 1)[-1])].add((local(r["claim"]), local(r["value"])))
    airport = sides[("almaty-airport-recapture", "agent")]
    assert {"kazakh-paratroopers", "russian-spetsnaz"} <= {v for _, v in airport}
    identity = sides[("confession-man", "identifiedAs")]
    assert {"vikram-ruzakhunov", "zakir-uburov"} <= {v for _, v in identity}
    for point in computed:
        assert (
            len({c for c, _ in sides[(point.subject, "figure" if point.property == "quantity" else point.property)]})
            >= 2
        )


def test_16_curated_contradictions_assertions_do_not_explain(store, corpus):
    from kzkg.disagreements import compute_disagreements

    rows = example(store, "16")
    found = {tuple(sorted((local(r["claim"]), local(r["other"])))) for r in rows}
    conflicts = {pair for d in compute_disagreements(corpus.claims.values()) for pair in d.conflicts}
    curated = {tuple(sorted((c.id, o))) for c in corpus.claims.values() for o in c.contradicts}
    assert found == curated - conflicts
    # the CSTO request: 5 January against the night of 6 January is worded, not computable
    csto = {
        c.id for c, _ in _asserted(corpus, "startDate", "csto-request") + _asserted(corpus, "dateText", "csto-request")
    }
    assert any(set(pair) <= csto for pair in found)
