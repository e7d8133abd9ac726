"""Which sentences of an article can be a claim at all, before anyone asks who says them.

A draft costs the reviewer a decision: a tag list, a headline printed a second time, a line
about the article itself ("This is part I of a series", "This article originally appeared on
..."), an instruction to the reader ("Go here for part II") or a quoted question is never a
claim, and drafting it only adds a rejection to the review. A headline is drafted: curators claim
what a headline says. A line wrapped mid-sentence (a magazine page's text) stays in its sentence,
so its halves are not drafted as two fragments. The rules read the shape of the sentence (its
lines, its punctuation, its parse), never the words of one article: the test is an article
nobody has annotated."""

from __future__ import annotations

import re

from spacy.lang.en.stop_words import STOP_WORDS
from spacy.tokens import Doc, Span

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


_NEWLINE = re.compile("\n")
_SUBJECTS = frozenset({"nsubj", "nsubjpass", "expl", "csubj"})
_QUESTION_TAG = re.compile(r"\?\s*[”\"]([^“”\"]*)$")
_WORD = re.compile(r"[^\W\d_]+")
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+", re.I)
# articles, prepositions and conjunctions: a line that stops on one stops mid-phrase
_UNENDING = frozenset(
    "the a an of to in on at by for with from into onto than and or nor but that whether because if "
    "while although though as via about against between among across through during without".split()
)


def is_statement(sentence: Span, parsed: bool) -> bool:
    """Whether the sentence may be a claim: bylines, questions, page furniture, lines about the
    article itself and repeats of an earlier sentence are not."""
    text = sentence.text.strip()
    words = [t for t in sentence if t.is_alpha]
    byline = text.startswith("By ") and (
        not any(t.pos_ in ("VERB", "AUX") for t in sentence) if parsed else len(words) <= 8
    )
    if len(words) < 5 or text.endswith("?") or _asked(sentence) or byline:
        return False
    body = sentence.doc.text[: sentence.start_char + len(sentence.text.rstrip())]
    if any(not wrapped(body, m.start()) for m in _NEWLINE.finditer(body, sentence.start_char)):
        return False  # a heading or a byline run into the line under it, where the parser joined them
    if parsed and not any(t.pos_ in ("VERB", "AUX") for t in sentence):
        return False
    if text[-1] not in _FINAL + "!" and sum(w.text[0].isupper() for w in words) >= 0.8 * len(words):
        return False  # a run of capitalised words with no full stop: a tag list, a menu, a title
    if _SELF.match(text) or (parsed and _imperative(sentence)) or _repeat(sentence):
        return False
    return text[-1] in _FINAL or len(words) >= 12


def _asked(sentence: Span) -> bool:
    """A quoted question and its speech tag ("... Are you unhappy with this?” one of them said"),
    or the tag alone where the parser cut after the question mark ("people shouted after those
    who retreated"), asks and asserts nothing."""
    text = sentence.text.strip()
    tag = _QUESTION_TAG.search(text)
    if tag is not None and len(_WORD.findall(tag.group(1))) <= 8:
        return True
    before = sentence.doc.text[: sentence.start_char].rstrip(" \t\xa0")
    return text[:1].islower() and before.endswith(("?”", '?"'))


def _imperative(sentence: Span) -> bool:
    """An instruction to the reader ("Go here for part II", "Read more at ..."): the root verb in its
    bare form and no subject anywhere, so nobody asserts anything; "Reflect on their accounts and
    you find that ..." has a clause with a subject, which states what one finds."""
    return sentence.root.tag_ == "VB" and not any(t.dep_ in _SUBJECTS for t in sentence)


def _repeat(sentence: Span) -> bool:
    """A sentence the article already gave word for word (a headline printed twice, a magazine's pull
    quote) is one statement, drafted once where it first appears (data/README.md: one statement,
    one claim)."""
    first = locate(sentence.doc.text, sentence.text)
    return first is not None and first[0] < sentence.start_char


def wrapped(text: str, at: int) -> bool:
    """Whether the line break at ``at`` only wraps a line inside a clause (a page printed in
    columns, a PDF's text): the next line goes on with a function word no heading starts with
    ("... he was not confident" / "that the armed forces ..."), or the line stops on a word no
    phrase ends with ("... the government of" / "Kazakhstan ..."). A blank line is always a break;
    so is a line going on in lower case with another word (a brand written in lower case under a
    headline), and a line ending on a comma, a colon or a semicolon: the next line is the next
    clause, which curators may well claim apart ("... from abroad," / "but he has presented no
    evidence")."""
    following = text[at + 1 :].lstrip(" \t\xa0")
    before = text[:at].rstrip(" \t\xa0")
    if not following or following[0] == "\n" or not before or before[-1] in ",;:":
        return False
    if _ADDRESS.fullmatch(before[before.rfind("\n") + 1 :].strip()):
        return False  # a page's footer ("www.example.com") between two halves of a sentence
    first = _WORD.match(following)
    if first is not None and first.group(0).islower() and first.group(0) in STOP_WORDS:
        return True
    last = re.search(r"[^\W\d_]+$", before)
    return last is not None and last.group(0) in _UNENDING


def unwrap(doc: Doc) -> None:
    """Keep a wrapped line's two halves in one sentence, whatever split them."""
    for token in doc[1:]:
        if "\n" in token.text and wrapped(doc.text, token.idx + token.text.index("\n")):
            token.is_sent_start = False
            if token.i + 1 < len(doc):
                doc[token.i + 1].is_sent_start = False
