"""Mapping: quotes are located exactly as their definition says, whatever the white space."""

from __future__ import annotations

import random
import re

import pytest

from kzkg.map import locate


def located_by_definition(text: str, quote: str, occurrence: int = 1) -> tuple[int, int] | None:
    """The definition `locate` must keep: the quote's words joined by \\s+, n-th match."""
    words = quote.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(re.escape(word) for word in words))
    for index, match in enumerate(pattern.finditer(text), 1):
        if index == occurrence:
            return match.start(), match.end()
    return None


def test_every_quote_of_the_corpus_is_located_as_defined(corpus) -> None:
    checked = 0
    for claim in corpus.claims.values():
        for evidence in claim.evidence:
            text = corpus.articles[evidence.article].text
            assert locate(text, evidence.quote, evidence.occurrence) == located_by_definition(
                text, evidence.quote, evidence.occurrence
            ), evidence.where
            checked += 1
    assert checked > 400


@pytest.mark.parametrize("seed", range(4))
def test_white_space_runs_occurrences_and_overlaps_agree_with_the_definition(seed: int) -> None:
    """Random short texts over an alphabet of words, spaces, tabs, newlines and no-break spaces:
    every occurrence (overlapping candidates, runs at the edges, empty quotes) agrees."""
    rng = random.Random(seed)
    alphabet = "ab \n\t\u00a0x."
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        quote = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        for occurrence in (1, 2, 3):
            assert locate(text, quote, occurrence) == located_by_definition(text, quote, occurrence), (text, quote)
