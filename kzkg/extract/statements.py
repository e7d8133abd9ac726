"""Which sentences of an article can be a claim at all, before anyone asks who says them.

A draft costs the reviewer a decision: a heading, a tag list, a repeated headline, a line about
the article itself ("This is part I of a series", "This article originally appeared on ...") or
an instruction to the reader ("Go here for part II") is never a claim, and drafting it only adds
a rejection to the review. The rules read the shape of the sentence (its line, its punctuation,
its parse), never the words of one article: the test is an article nobody has annotated.
"""

from __future__ import annotations

import re

from spacy.tokens import Span

from kzkg.map import locate

# what ends a sentence that is a sentence (a closing quotation mark or bracket after the stop)
_FINAL = ".”\"’)'"

# a text speaking about itself as a publication: where it appeared, which part of a series it is.
# General English publishing boilerplate, none of it the words of one article.
_SELF = re.compile(
    r"^(?:this|the\s+(?:above|following))\s+(?:(?:article|piece|story|essay|column|post|interview|report|text)\s+)?"
    r"(?:(?:was|is|has\s+been)\s+)?(?:(?:originally|first|also)\s+)?"
    r"(?:appeared|published|posted|republished|reprinted|adapted|translated|"
    r"is\s+(?:part|the\s+\w+\s+part|an?\s+(?:edited|abridged|updated|shortened)\s+version))\b",
    re.I,
)


def is_statement(sentence: Span, parsed: bool) -> bool:
    """Whether the sentence may be a claim: headlines, bylines, questions, page furniture, lines
    about the article itself and repeats of an earlier sentence are not."""
    text = sentence.text.strip()
    words = [t for t in sentence if t.is_alpha]
    byline = text.startswith("By ") and (
        not any(t.pos_ in ("VERB", "AUX") for t in sentence) if parsed else len(words) <= 8
    )
    if len(words) < 5 or text.endswith("?") or byline:
        return False
    if "\n" in text.strip():
        return False
    if parsed and not any(t.pos_ in ("VERB", "AUX") for t in sentence):
        return False
    if _heading(sentence) or _SELF.match(text) or (parsed and _imperative(sentence)) or _repeat(sentence):
        return False
    return text[-1] in _FINAL or len(words) >= 12


def _heading(sentence: Span) -> bool:
    """A line that ends with no stop and is not carried on by the next line ("... not confident" /
    "that the armed forces ...", a page's line wrap) is a headline, a caption or a tag list, however
    long: the stop is what a sentence of running text ends with."""
    text = sentence.doc.text
    end = sentence.end_char
    while end > sentence.start_char and text[end - 1].isspace():
        end -= 1
    if end == sentence.start_char or text[end - 1] in _FINAL or text[end - 1] in "!?:;,":
        return False
    words = [t for t in sentence if t.is_alpha]
    if sum(t.text[0].isupper() for t in words) >= 0.8 * len(words):
        return True  # a run of capitalised words with no stop: a title or a list of tags, wherever it is cut
    last = sentence.doc[sentence.end - 1]
    while last.i > sentence.start and (last.is_space or last.is_punct):
        last = last.nbor(-1)
    if last.is_stop and last.is_lower:
        return False  # "... the government of" / "Kazakhstan ...": a line wrapped mid-phrase
    rest = text[end:]
    if rest.strip(" \t")[:1] not in ("\n", ""):
        return False  # the sentence ends inside a line: the parser's cut, not the writer's
    following = rest.lstrip()
    return not following[:1].islower()


def _imperative(sentence: Span) -> bool:
    """An instruction to the reader ("Go here for part II", "Read more at ..."): the root verb in its
    bare form opens the sentence and nothing is its subject, so nobody asserts anything."""
    root = sentence.root
    first = next((t for t in sentence if not t.is_punct and not t.is_space), None)
    return (
        first is not None
        and first.i == root.i
        and root.tag_ == "VB"
        and not any(c.dep_ in ("aux", "auxpass") for c in root.children)
        # "Reflect on their accounts and you find that ...": a clause with a subject asserts it
        and not any(t.dep_ in ("nsubj", "nsubjpass", "expl", "csubj") for t in sentence)
    )


def _repeat(sentence: Span) -> bool:
    """A sentence the article already gave word for word (a headline printed twice, a magazine's pull
    quote) is one statement, drafted once where it first appears (data/README.md: one statement,
    one claim)."""
    first = locate(sentence.doc.text, sentence.text)
    return first is not None and first[0] < sentence.start_char
