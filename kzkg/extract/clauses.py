"""Where one sentence holds statements by different claimants.

(Which sentences are statements at all is kzkg.extract.statements'.)

Curators cut a sentence into clause-level claims when its clauses are said by different people
("The subsidies were reintroduced [the author's] and Tokayev announced a package of aid
[Tokayev's]"); a draft per sentence names one of them. These are general dependency rules for
where a sentence may be cut; the drafter attributes each piece and keeps the cut only when the
pieces' claimants differ, so a sentence with one claimant stays one draft. Pieces are spans of
the parsed text, so their quotes stay verbatim offsets.
"""

from __future__ import annotations

import itertools

from spacy.tokens import Span, Token

from kzkg.extract.attribution import SPEECH_VERBS, Attribution, in_quotation

FINITE = frozenset({"VBD", "VBZ", "VBP", "MD"})
SUBJECTS = frozenset({"nsubj", "nsubjpass", "expl", "csubj"})
EDGE_PUNCTUATION = frozenset(",;:–—-")  # never quote marks or a full stop: a quote keeps those
CONDITIONS = frozenset({"if", "unless", "whether"})  # "If a person were to listen ..." states nothing
MIN_WORDS = 3  # a piece shorter than this states nothing by itself: it stays with the one before


def _speech(token: Token) -> bool:
    return token.pos_ == "VERB" and token.lemma_.lower() in SPEECH_VERBS


def _own_subject(token: Token) -> bool:
    """A finite clause with a subject of its own ("and Tokayev announced"), not a shared one ("and
    sacked") nor an infinitive ("others to call for wage increases")."""
    finite = token.tag_ in FINITE or any(c.dep_ in ("aux", "auxpass") and c.tag_ in FINITE for c in token.children)
    return finite and any(c.dep_ in SUBJECTS and c.tag_ not in ("WDT", "WP") for c in token.children)


def _reported(token: Token) -> bool:
    """Whether the clause stands inside what someone says ("Tokayev said A and B happened", "A, he
    said, and B"): then every clause of it is the speaker's, and no cut is made."""
    clause = [token, *token.ancestors]
    return any(_speech(a) for a in clause[1:]) or any(
        c.dep_ == "parataxis" and _speech(c) for a in clause for c in a.children
    )


def _cuts(sentence: Span) -> set[int]:
    """Token indices where a piece starts: around coordinated clauses with their own subject ("A,
    and Tokayev announced B"; "As he said: A – and as X added: B"), and around a saying that sets
    another speaker's saying against it ("While RT is reporting A, our correspondent says B"), and
    after the circumstance set before a saying of a clause ("As order was restored on 7 January,
    Tokayev claimed “...” had attacked": the circumstance is the author's, the claim the speaker's;
    "As the unrest was escalating, Tokayev appealed for assistance" says no clause and stays whole)."""
    cuts: set[int] = set()
    for token in sentence:
        if token.pos_ not in ("VERB", "AUX") or not _own_subject(token):
            continue
        head = token.head
        if token.dep_ == "conj" and head.pos_ in ("VERB", "AUX") and not _reported(head):
            # the coordinating word goes with the clause it introduces ("and Tokayev announced")
            joins = [c.i for c in head.children if c.dep_ == "cc" and head.i < c.i < token.left_edge.i]
            cuts.add(min([token.left_edge.i, *joins]))
            cuts.add(token.right_edge.i + 1)
        elif token.dep_ == "advcl" and _speech(token) and _speech(head) and _own_subject(head):
            # "While RT is reporting A, our correspondent says B": two sayings, two speakers
            cuts.add(token.left_edge.i)
            cuts.add(token.right_edge.i + 1)
        elif (
            token.dep_ == "advcl"
            and _speech(head)
            and any(c.dep_ == "ccomp" for c in head.children)
            and token.left_edge.i == sentence.start
            and not any(_speech(t) for t in token.subtree)
            and not any(c.dep_ == "mark" and c.lower_ in CONDITIONS for c in token.children)
            and all(c.i > token.right_edge.i for c in head.children if c.dep_ in SUBJECTS)
        ):
            cuts.add(token.right_edge.i + 1)
    # a quotation is one speaker's words, whatever clauses it holds
    return {i for i in cuts if sentence.start < i < sentence.end and not in_quotation(sentence.doc[i])}


def _trimmed(span: Span) -> Span:
    """The piece without the commas and dashes that joined it to the next one."""
    start, end = span.start, span.end
    while end > start and span.doc[end - 1].text in EDGE_PUNCTUATION:
        end -= 1
    while start < end and span.doc[start].text in EDGE_PUNCTUATION:
        start += 1
    return span.doc[start:end]


def clause_pieces(sentence: Span) -> list[Span]:
    """The sentence's pieces in text order, or [] when it has no place to cut. Needs a parse."""
    bounds = [sentence.start, *sorted(_cuts(sentence)), sentence.end]
    pieces: list[Span] = []
    for start, end in itertools.pairwise(bounds):
        piece = sentence.doc[start:end]
        if pieces and sum(t.is_alpha for t in piece) < MIN_WORDS:
            pieces[-1] = sentence.doc[pieces[-1].start : end]
        else:
            pieces.append(piece)
    if len(pieces) > 1 and sum(t.is_alpha for t in pieces[0]) < MIN_WORDS:
        pieces[:2] = [sentence.doc[pieces[0].start : pieces[1].end]]
    pieces = [_trimmed(p) for p in pieces]
    return pieces if len(pieces) > 1 else []


def confined(found: Attribution, piece: Span) -> bool:
    """Whether the piece's attribution speaks for the piece alone: "according to X" modifies a verb,
    and when that verb lies outside the piece it speaks for the whole sentence, uncut."""
    verb = found.verb
    if verb is None or verb.lower_ != "according":
        return True
    return piece.start <= verb.head.i < piece.end
