"""Clause-level drafts (issue #13): a sentence whose clauses have different claimants is drafted
one claim per clause; a sentence with one claimant stays one draft; non-statements get none.

Real passages of the corpus articles (no invented text), the real pipeline, each article's own
curated quotes left out of the registry (``unseen``), so the rules, not the curation, decide.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import spacy

from kzkg.extract.clauses import clause_pieces
from kzkg.extract.draft import ArticleMeta, Drafts
from kzkg.extract.nlp import MODEL, model_available
from kzkg.extract.registry import Registry
from kzkg.extract.statements import is_statement
from kzkg.extract.write import run_extraction
from kzkg.ingest import load_corpus

ROOT = Path(__file__).resolve().parent.parent
BNE = ArticleMeta("009", dt.date(2022, 1, 6), None, ["bne-correspondent-almaty"], "bne-intellinews")
OPEN_DEMOCRACY = ArticleMeta("009", dt.date(2022, 2, 1), "Almas Kaisar", ["almas-kaisar"])
BAUNOV = ArticleMeta("009", dt.date(2022, 1, 20), "Peter Baunov", ["peter-baunov"])


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOT / "data")


def passage(article: str, index: int) -> str:
    """One paragraph of a corpus article."""
    text = next((ROOT / "data" / "articles").glob(f"{article}_*.txt")).read_text(encoding="utf-8")
    return [p for p in text.split("\n\n") if p.strip()][index] + "\n"


def drafted(corpus, article: str, index: int, meta: ArticleMeta) -> tuple[str, Drafts]:
    text = passage(article, index)
    return text, run_extraction(text, meta, Registry.from_corpus(corpus, unseen=article))


def containing(drafts: Drafts, words: str) -> list[dict]:
    return [c for c in drafts.claims if words in c["quote"]]


def test_the_model_is_installed() -> None:
    # the clause rules need the dependency parse: without the model this file tests nothing
    assert model_available(), f"{MODEL} is not installed"


def test_coordinated_clauses_with_different_claimants_are_drafted_apart(corpus) -> None:
    """ "The subsidies were reintroduced [the author's] and Tokayev announced a package [Tokayev's]"."""
    text, drafts = drafted(corpus, "000", 19, BNE)
    author = containing(drafts, "The subsidies were reintroduced")
    assert [c["quote"] for c in author] == ["The subsidies were reintroduced"], author
    assert author[0]["claimed_by"] == ["bne-correspondent-almaty"]
    announced = containing(drafts, "Tokayev announced a package of aid")
    assert len(announced) == 1 and announced[0]["claimed_by"] == ["tokayev"], announced
    assert announced[0]["quote"].startswith("and Tokayev announced")
    # each quote is a verbatim slice of the text, and the two clauses meet with nothing retyped
    first, second = text.index(author[0]["quote"]), text.index(announced[0]["quote"])
    assert text[first + len(author[0]["quote"]) : second] == " "
    # the other sentences of the paragraph, one claimant each, stay whole
    assert all(c["quote"].endswith((".", ".”", "”")) for c in drafts.claims if c not in author)


def test_a_saying_set_against_another_is_drafted_apart(corpus) -> None:
    """ "While RT is reporting on ... looting, our correspondent says ...": two speakers, two drafts."""
    _, drafts = drafted(corpus, "000", 26, BNE)
    rt = containing(drafts, "While RT is reporting")
    says = containing(drafts, "our correspondent says")
    assert len(rt) == 1 and len(says) == 1 and rt != says, drafts.claims
    assert rt[0]["claimed_by"] == ["rt"]
    assert says[0]["claimed_by"] == ["bne-correspondent-almaty"]
    assert rt[0]["quote"].endswith("stores") and says[0]["quote"].startswith("our correspondent")


def test_two_speakers_coordinated_each_claim_their_words(corpus) -> None:
    """ "As he said: “the state will not fall” – and as the Nazarbayev side added: “it is monolithic”"."""
    _, drafts = drafted(corpus, "004", 64, OPEN_DEMOCRACY)
    fall = containing(drafts, "the state will not fall")
    side = containing(drafts, "it is monolithic")
    assert len(fall) == 1 and len(side) == 1 and fall != side, drafts.claims
    assert "Nazarbayev side" not in fall[0]["quote"] and fall[0]["quote"].endswith("”")
    assert side[0]["quote"].startswith("and as the Nazarbayev side added")
    assert fall[0]["claimed_by"] == ["tokayev"] and side[0]["claimed_by"] == ["nazarbayev-side"]


def test_the_circumstance_before_a_claim_is_the_authors(corpus) -> None:
    """ "As order was restored on 7 January, president Tokayev claimed “20,000 ...” had attacked":
    the clause before the saying is the author's, the claim Tokayev's, dated by that clause."""
    _, drafts = drafted(corpus, "004", 2, OPEN_DEMOCRACY)
    restored = containing(drafts, "As order was restored")
    claimed = containing(drafts, "Tokayev claimed")
    assert [c["quote"] for c in restored] == ["As order was restored on 7 January"], restored
    assert restored[0]["claimed_by"] == ["almas-kaisar"]
    assert len(claimed) == 1 and claimed[0]["claimed_by"] == ["tokayev"] and claimed[0]["date"] == "2022-01-07"
    # "As the unrest was escalating, ... Tokayev appealed for assistance": an appeal says no clause,
    # so there is no claim to set apart from its circumstance
    meta = ArticleMeta("009", dt.date(2022, 1, 9), "Peter Leonard", ["peter-leonard"])
    _, drafts = drafted(corpus, "001", 25, meta)
    assert len(containing(drafts, "As the unrest was escalating")) == 1
    assert containing(drafts, "As the unrest was escalating")[0]["quote"].endswith("threat.”")


def test_a_sentence_with_one_claimant_or_inside_a_quotation_stays_one_draft(corpus) -> None:
    # "Some of them, he said, appeared to be carrying handguns and they “started shooting at us and
    # the crowd started panicking”": clauses of what one speaker said, partly inside his quotation
    _, drafts = drafted(corpus, "002", 19, BAUNOV)
    handguns = containing(drafts, "carrying handguns")
    assert len(handguns) == 1 and handguns[0]["quote"].endswith("running”."), handguns
    # a clause "according to the protester" speaks for its own clause only: the first is the author's
    _, drafts = drafted(corpus, "002", 20, BAUNOV)
    unclear = containing(drafts, "It was unclear whether")
    seen = containing(drafts, "the security forces were seen")
    assert unclear != seen and unclear[0]["claimed_by"] == ["peter-baunov"], drafts.claims
    assert seen[0]["claimed_by"] != ["peter-baunov"]


def test_clause_pieces_need_a_subject_of_their_own_and_stay_out_of_quotations() -> None:
    nlp = spacy.load(MODEL)
    # a shared subject ("blamed and sacked") is one clause; an infinitive is no clause
    assert clause_pieces(next(nlp("He blamed and sacked the government for the spike in fuel prices.").sents)) == []
    assert clause_pieces(next(nlp("Some took to the streets over loans, others to call for wage rises.").sents)) == []
    # what someone says is theirs, however many clauses it has
    said = next(nlp("The ministry said that ten people died and the police arrested forty others.").sents)
    assert clause_pieces(said) == []
    both = next(nlp("The subsidies were reintroduced and the minister announced a package of aid.").sents)
    assert [p.text for p in clause_pieces(both)] == [
        "The subsidies were reintroduced",
        "and the minister announced a package of aid.",
    ]


def test_imperatives_and_tag_lists_are_no_statements(corpus) -> None:
    nlp = spacy.load(MODEL)
    go = next(nlp("Go here for part II and here for part III.").sents)
    assert not is_statement(go, parsed=True)
    # "Reflect on ... and you find that ...": a statement in the imperative's form, drafted
    _, drafts = drafted(corpus, "002", 17, BAUNOV)
    assert containing(drafts, "Reflect on the gathered accounts"), drafts.claims
    _, drafts = drafted(corpus, "002", 43, BAUNOV)
    assert not containing(drafts, "Go here"), drafts.claims
    _, tags = drafted(corpus, "004", 69, OPEN_DEMOCRACY)
    assert not containing(tags, "Book Review Books Capitalism"), tags.claims


def test_rules_only_drafts_whole_sentences(corpus) -> None:
    """Without the parse there are no clauses to cut: one draft per sentence, still verbatim."""
    text = passage("000", 19)
    drafts = run_extraction(text, BNE, Registry.from_corpus(corpus, unseen="000"), use_model=False)
    subsidies = containing(drafts, "The subsidies were reintroduced")
    assert len(subsidies) == 1 and "Tokayev announced" in subsidies[0]["quote"], subsidies
    assert all(c["quote"] in text for c in drafts.claims)
