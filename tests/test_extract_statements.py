"""Which sentences may become drafts (kzkg/extract/statements.py, issue #13's precision).

Every passage is cut from a corpus article (real text, no invented facts): headlines, a tag list,
a magazine page's wrapped lines, a series note and quoted questions, as the extractor meets them.
Both pipelines are checked: the statistical model and the rules-only one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from spacy.language import Language

from kzkg.extract.draft import ArticleMeta
from kzkg.extract.nlp import build_pipeline, has_parse, model_available
from kzkg.extract.registry import Registry
from kzkg.extract.statements import is_statement, wrapped
from kzkg.extract.write import run_extraction
from kzkg.ingest import load_corpus
from kzkg.map import locate

ROOT = Path(__file__).resolve().parent.parent


def article(number: str) -> str:
    return next((ROOT / "data" / "articles").glob(f"{number}_*.txt")).read_text(encoding="utf-8")


def excerpt(number: str, first: str, last: str) -> str:
    """The article's text from the start of ``first`` to the end of ``last`` (line breaks kept)."""
    text = article(number)
    start = text.index(first)
    return text[start : text.index(last, start) + len(last)] + "\n"


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.from_corpus(load_corpus(ROOT / "data"))


@pytest.fixture(scope="module", params=["model", "rules"])
def nlp(request: pytest.FixtureRequest, registry: Registry) -> Language:
    if request.param == "model":
        assert model_available(), "the English model is not installed: ./dev test installs it"
    return build_pipeline(registry, use_model=request.param == "model")


def statements(nlp: Language, text: str) -> list[str]:
    """The sentences of ``text`` that may be drafted, white space folded."""
    return [" ".join(s.text.split()) for s in nlp(text).sents if is_statement(s, has_parse(nlp))]


def test_a_headline_printed_twice_is_drafted_once_and_a_tag_list_not_at_all(nlp: Language) -> None:
    # 000 opens with its headline twice (each under a kicker) before the first paragraph; curators
    # claim what a headline says, so the first is a statement
    opening = excerpt("000", "Fake news? Conflicting", "anyone that ventures abroad.")
    kept = statements(nlp, opening)
    assert sum("Conflicting reports" in s for s in kept) == 1, kept
    assert any(s.startswith("Soldiers have started a military operation") for s in kept), kept
    # a page's list of tags: a run of capitalised words with no stop, however the parser cuts it
    tags = excerpt("004", "Art Book Review", "Italy")
    assert statements(nlp, "Some independent information is coming out of the country.\n\n\n" + tags) == [
        "Some independent information is coming out of the country."
    ]
    # the same paragraph twice (a pull quote) is one statement, drafted where it first appears
    paragraph = excerpt("000", "Russia’s flagship English-language channel RT", "“beheaded.”")
    doc = nlp(paragraph + "\n" + paragraph)
    flags = [is_statement(s, has_parse(nlp)) for s in doc.sents if "beheaded" in s.text]
    assert flags == [True, False], flags


def test_a_line_wrapped_inside_a_sentence_stays_in_it(nlp: Language) -> None:
    """003 is a magazine page whose lines break mid-sentence: halves are not sentences."""
    moving = excerpt("003", "Moving ahead, Tokayev", "troops are on Kazakh soil.")
    assert "confident\nthat" in moving
    assert statements(nlp, moving) == [" ".join(moving.split())]
    # after a comma the next line is the next clause, which curators may claim apart
    referred = excerpt("003", "Tokayev may have referred", "evidence for these allegations.")
    assert "abroad,\nbut" in referred
    kept = statements(nlp, referred)
    assert any(s.startswith("but he has presented no evidence") for s in kept), kept
    # a web address printed at the page's foot is not part of the sentence it interrupts
    footer = excerpt("003", "The problem is that", "highly suspect.")
    assert "\nwww.bne.eu\n" in footer
    assert not any("www.bne.eu" in s for s in statements(nlp, footer))


def test_what_a_line_break_is() -> None:
    assert wrapped("he was not confident\nthat the armed forces", 20)
    assert wrapped("the government of\nKazakhstan... has its own", 17)
    assert not wrapped("from abroad,\nbut he has", 12)  # the next clause
    assert not wrapped("for own agendas\nbne IntelIiNews", 15)  # a lower-case name under a headline
    assert not wrapped("for own agendas\n\nthe next paragraph", 15)  # a blank line always breaks
    assert not wrapped("says that most\nwww.bne.eu\nof the reports", 25)  # after a footer


def test_a_note_about_the_article_and_an_instruction_to_the_reader_are_not_statements(nlp: Language) -> None:
    series = excerpt("002", "This is part I", "here for part III.")
    if has_parse(nlp):
        assert statements(nlp, series) == []
    else:  # without a parse an instruction is not told from a statement: only the series note goes
        assert statements(nlp, series) == ["Go here for part II and here for part III."]
    repost = excerpt("004", "This article originally appeared on", "Democracy")
    assert statements(nlp, repost + "\n") == []
    # a verb in its bare form first, but a clause with a subject after it asserts something
    reflect = excerpt("002", "Reflect on the gathered accounts", "descent into such violence.")
    assert statements(nlp, reflect) == [reflect.strip()]


def test_a_quoted_question_and_its_speech_tag_are_not_statements(nlp: Language) -> None:
    rumour = excerpt("004", "“Don’t run away! Why did you come?”", "stormed the police cordons.")
    assert statements(nlp, rumour) == ["Someone gave a command, and the crowd stormed the police cordons."]
    asked = excerpt("004", "“The Nazarbayev family steals", "one of the protesters said.")
    kept = statements(nlp, asked)
    assert kept and not any("unhappy" in s for s in kept), kept


def test_drafts_of_a_wrapped_page_quote_whole_sentences_found_in_the_text() -> None:
    corpus = load_corpus(ROOT / "data")
    text = excerpt("003", "Attempting to push back", "troops are on Kazakh soil.")
    meta = ArticleMeta("009", dt.date(2022, 2, 8), None, [], "bne-intellinews")
    drafts = run_extraction(text, meta, Registry.from_corpus(corpus, unseen="003"))
    quotes = [" ".join(c["quote"].split()) for c in drafts.claims]
    assert all(locate(text, c["quote"]) for c in drafts.claims)
    assert any(q.startswith("Moving ahead") and q.endswith("on Kazakh soil.") for q in quotes), quotes
    assert not any(q.startswith(("and “Tokayev", "that the Kazakh")) for q in quotes), quotes
