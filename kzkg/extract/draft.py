"""From parsed sentences to draft claims in the annotation format, and proposed entities.

Each draft is one attributed assertion or one statement of the author's: one per sentence, one
per clause where its clauses have different claimants (kzkg.extract.clauses), split into one per
figure when a piece gives several (data/README.md: two figures are two claims).
Quotes are slices of the article by offsets; claimants are registry ids or proposed entities.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from spacy.language import Language
from spacy.tokens import Doc, Span

from kzkg.extract.attribution import CHANNEL_WORDS, QUANTIFIERS, Attribution, anaphoric, attribute, listed, they_name
from kzkg.extract.clauses import clause_pieces, confined
from kzkg.extract.cues import (
    DENIAL,
    DETERMINER,
    DOCUMENTS,
    HEARSAY,
    INSTITUTIONS,
    MEDIA,
    NUMERIC,
    OFFICIALLY,
    OPINION,
    PARTITION,
    PREDICTION,
    REPORTERS,
    SOCIAL,
    SOCIAL_MEDIA,
)
from kzkg.extract.dates import DateMention, find_dates, reference_date
from kzkg.extract.events import assertions, find_event, identity
from kzkg.extract.figures import Figure, find_figures
from kzkg.extract.nlp import has_parse
from kzkg.extract.registry import NER_TYPES, Registry, slug
from kzkg.extract.statements import is_statement
from kzkg.extract.text import quotation_open


@dataclass
class ArticleMeta:
    id: str
    date: dt.date | None
    byline: str | None
    creators: list[str]  # registry ids of the author(s), when known
    publisher: str | None = None  # registry id: "bne IntelliNews' correspondent" is then the author


@dataclass
class Drafts:
    claims: list[dict] = field(default_factory=list)
    entities: dict[str, dict] = field(default_factory=dict)  # proposed, by id
    warnings: list[str] = field(default_factory=list)


# words an id leaves out: it is built from the first content words of the quote
_ID_FILLER = frozenset(
    "the a an of to and that in on is was were has have had be been it said says he she they by for with as at".split()
)


def _trim(doc: Doc, start: int, end: int) -> tuple[int, int]:
    text = doc.text
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class _Drafter:
    def __init__(self, doc: Doc, meta: ArticleMeta, registry: Registry, nlp: Language):
        self.doc, self.meta, self.registry, self.nlp = doc, meta, registry, nlp
        self.parsed = has_parse(nlp)
        self.drafts = Drafts()
        self.last_claimant: list[str] | None = None
        self.last_claimed = (-1, -1)  # (sentence index, paragraph start) of the last named claimant
        self.last_person: tuple[int, list[str]] | None = None  # (sentence index, [id])
        self.last_group: tuple[int, list[Span], Span] | None = None  # a group's phrases, where named
        self.previous: tuple[int, list[str] | None] = (-1, None)  # (paragraph start, non-author speaker)
        self.index = 0
        self.anchor: tuple[int, dt.date] | None = None  # (sentence index, last day the text named)
        self.reference = None if meta.date else reference_date(doc.text)
        self.nearest = False
        if meta.date is None and self.reference is None:
            # an undated text that states no year: its days are in the year of the known events it
            # reports (the registry's dates), never a year picked from nowhere
            starts = sorted(
                start
                for sentence in doc.sents
                if (event := find_event(sentence, registry, {e.ent_id_ for e in sentence.ents if e.ent_id_}))
                and (start := registry.events[event[0]].start)
            )
            if starts:
                self.reference, self.nearest = starts[len(starts) // 2], True
        self.previous_date: tuple[dt.date | None, str | None] = (None, None)  # the last speaker's statement
        self.previous_dated: list[str] = []  # ... and who made it
        self.ids: set[str] = set()
        self.author = self._author()

    # --- entities ---
    def _propose(self, text: str, types: str, evidence: str) -> str:
        entity_id = slug(text)
        if entity_id in self.registry.entities:
            return entity_id
        if entity_id not in self.drafts.entities:
            proposal: dict = {"id": entity_id, "type": types, "label": DETERMINER.sub("", text.strip()), "draft": True}
            if evidence:
                proposal["evidence"] = {"article": self.meta.id, "quote": evidence}
            self.drafts.entities[entity_id] = proposal
        return entity_id

    def _author(self) -> list[str]:
        if self.meta.creators:
            return list(self.meta.creators)
        byline = (self.meta.byline or "").strip()
        if not byline or byline == "unknown":
            # an unsigned text speaks for its publisher (an editorial, a magazine's unsigned page)
            return [self.meta.publisher] if self.meta.publisher else []
        for known in self.registry.entities.values():
            if any(name.lower() == byline.lower() for name in known.names):
                return [known.id]
        names = re.split(r"\s+and\s+|,\s*", re.sub(r"\s+in\s+\w+$", "", byline))
        types = (
            "Person" if all(re.fullmatch(r"[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)+", n.strip()) for n in names) else "Group"
        )
        if types == "Group":
            names = [byline]
        return [self._propose(n, types, "") for n in names if n.strip()]

    def _resolve(self, span: Span, sentence: Span) -> list[str]:
        """Registry ids in the span (EntityRuler), else one proposed entity for it."""
        # the name that heads the phrase speaks ("Russia's channel RT" is RT; "an Almaty resident" is
        # a resident, not Almaty)
        root = span.root
        if root.ent_id_:
            return [root.ent_id_]  # a registry name covers the head ("bne IntelliNews’ correspondent in Almaty")
        if (
            root.lemma_.lower() in REPORTERS
            and self.author
            and (any(t.lower_ == "our" for t in span) or any(e.ent_id_ == self.meta.publisher for e in span.ents))
        ):
            return list(self.author)  # "our correspondent", "<the publisher>'s reporter": the article's author
        if SOCIAL_MEDIA.search(span.text) and not any(e.ent_id_ for e in span.ents):
            return self._by_name("social media users", sentence)  # "social media posts suggested"
        owners = [e for e in span.ents if e.label_ not in NUMERIC]  # "A second video" has no author
        if root.lemma_.lower() in DOCUMENTS and owners:
            # "the Health Ministry bulletin", "Tokayev's statement": a document speaks for its author
            root = owners[-1].root
        elif root.lemma_.lower() in DOCUMENTS and root.lemma_.lower() in MEDIA:
            # "The footage showed", "A second video shows": footage nobody is named for is hearsay
            return self._unattributed(sentence)
        heads = [ent for ent in span.ents if ent.start <= root.i < ent.end]
        if heads and heads[0].ent_id_:
            return [heads[0].ent_id_]
        if heads and heads[0].label_ in NER_TYPES and heads[0].label_ != "NORP":
            head = heads[0]
            owner = [c for c in head.root.children if c.dep_ == "poss" and c.i < head.start]
            # "Kyrgyzstan’s Foreign Ministry": the owner belongs in the name
            name = self.doc[owner[0].left_edge.i : head.end].text if owner else head.text
            return [self._propose(name, NER_TYPES[head.label_], sentence.text.strip())]
        if root.pos_ not in ("NOUN", "PROPN") or not self.parsed:
            known = [ent.ent_id_ for ent in span.ents if ent.ent_id_]
            if known:
                return known[-1:]
        words = [t for t in span if not t.is_punct]
        if not words:
            return []
        named = all(t.pos_ == "PROPN" for t in words) and len(words) >= 2
        # "the man", "one protester", "a resident": one unnamed person; "the company", "residents": a group
        one = root.tag_ == "NN" and root.lemma_.lower() not in INSTITUTIONS and root.lemma_.lower() not in DOCUMENTS
        return [self._propose(span.text, "Person" if named or one else "Group", sentence.text.strip())]

    # --- claims ---
    def _new_id(self, claimant: str, span_text: str) -> str:
        words = [w for w in re.findall(r"[a-z0-9]+", span_text.lower()) if w not in _ID_FILLER]
        base = f"{self.meta.id}-{claimant}-{'-'.join(words[:4])}".strip("-")[:80].rstrip("-")
        candidate, n = base, 2
        while candidate in self.ids:
            candidate, n = f"{base}-{n}", n + 1
        self.ids.add(candidate)
        return candidate

    def _occurrence(self, start: int, quote: str) -> int:
        pattern = re.compile(r"\s+".join(re.escape(w) for w in quote.split()))
        return 1 + sum(1 for m in pattern.finditer(self.doc.text) if m.start() < start)

    def sentence(self, sentence: Span, following: Sequence[Span] = ()) -> None:
        """Draft one sentence; ``following`` are the next sentences of its paragraph (where an open
        quotation may close on its speaker: "“...” he added")."""
        if not is_statement(sentence, self.parsed):
            self._remember(sentence, None)
            return
        found = attribute(sentence, self.parsed)
        claimant, via = self._claimant(found, sentence, following)
        anchor = self.anchor[1] if self.anchor and self.index - self.anchor[0] <= 3 else None
        dates = find_dates(sentence.text, self.meta.date, sentence.start_char, anchor, self.reference, self.nearest)
        # a quotation goes on as its speaker's, not as the one it quotes in passing
        self._remember(sentence, (via if found.nested else claimant) if found.claimant is not None else None)
        days = [d.date for d in dates if d.date]
        if days:
            self.anchor = (self.index, days[-1])
        before = self.doc[sentence.start - 1].sent.text if sentence.start > 0 else ""
        figures = find_figures(sentence.text, sentence.start_char, before)
        for part, part_found, part_claimant, part_via in self._parts(sentence, found, claimant, via, following):
            figs = [f for f in figures if part.start_char <= f.start < part.end_char]
            # the author's clause is dated by its own words, a speaker's by the date of the saying
            own = [d for d in dates if part.start_char <= d.start < part.end_char]
            said = dates if part_found.claimant is not None else own
            pieces = self._pieces(part, figs) if len(figs) > 1 else [(part.start_char, part.end_char, figs[:1])]
            for piece_start, piece_end, fig in pieces:
                start, end = _trim(self.doc, piece_start, piece_end)
                self._claim(part, start, end, part_found, part_claimant, part_via, said, fig[0] if fig else None)

    def _parts(
        self, sentence: Span, found: Attribution, claimant: list[str], via: list[str], following: Sequence[Span]
    ) -> list[tuple[Span, Attribution, list[str], list[str]]]:
        """The sentence's clauses, when they have different claimants (kzkg.extract.clauses), each
        attributed by itself; else the whole sentence. Context (who spoke last) stays the sentence's."""
        whole = [(sentence, found, claimant, via)]
        pieces = clause_pieces(sentence) if self.parsed else []
        saved = (self.last_claimant, self.last_claimed, dict(self.drafts.entities))
        parts: list[tuple[Span, Attribution, list[str], list[str]]] = []
        for piece in pieces:
            piece_found = attribute(piece, self.parsed)
            if not confined(piece_found, piece):
                parts = []
                break
            piece_claimant, piece_via = self._claimant(piece_found, piece, following)
            if (
                parts
                and parts[-1][2] == piece_claimant
                and (not parts[-1][3] or not piece_via or parts[-1][3] == piece_via)
            ):
                # neighbours with one claimant are one statement: the first with a speaker speaks (a
                # quotation and its "X was quoted as saying by Y" too, relayed by Y)
                kept = parts[-1][1] if parts[-1][1].claimant is not None else piece_found
                relayed = parts[-1][3] or piece_via
                parts[-1] = (self.doc[parts[-1][0].start : piece.end], kept, piece_claimant, relayed)
            else:
                parts.append((piece, piece_found, piece_claimant, piece_via))
        self.last_claimant, self.last_claimed = saved[0], saved[1]
        if len(parts) < 2:
            self.drafts.entities = saved[2]
            return whole
        return parts

    # --- who is speaking: the context of earlier sentences ---
    def _paragraph(self, sentence: Span) -> int:
        return self.doc.text.rfind("\n", 0, sentence.start_char) + 1

    def _quote_open(self, sentence: Span, at_end: bool = False) -> bool:
        """Whether the sentence starts (or ends) inside a quotation opened earlier in its paragraph."""
        text = self.doc.text[self._paragraph(sentence) : sentence.end_char if at_end else sentence.start_char]
        return quotation_open(text)

    def _remember(self, sentence: Span, claimant: list[str] | None) -> None:
        """Keep who spoke last and which person was named last, for the next sentences' pronouns."""
        self.index += 1
        self.previous = (self._paragraph(sentence), claimant if claimant != self.author else None)
        people = [
            e.ent_id_
            for e in sentence.ents
            if e.ent_id_ and e.ent_id_ in self.registry.entities and "Person" in self.registry.entities[e.ent_id_].types
        ]
        if claimant and all(self._is_person(c) for c in claimant):
            people.append(claimant[0])
        if people:
            self.last_person = (self.index, [people[-1]])
        groups = [
            e
            for e in sentence.ents
            if e.ent_id_ in self.registry.entities
            and "Group" in self.registry.entities[e.ent_id_].types
            and e.ent_id_ not in self.author
        ]
        if groups:
            self.last_group = (self.index, listed(groups[-1]), sentence)

    def _is_person(self, entity_id: str) -> bool:
        known = self.registry.entities.get(entity_id)
        if known is not None:
            return "Person" in known.types
        return self.drafts.entities.get(entity_id, {}).get("type") == "Person"

    def _pronoun(self, found: Attribution) -> list[str]:
        """he/she: the person named last in the three sentences before; they, "the crowd": the group
        last a subject (kzkg.extract.attribution.they_name); else, and we: the last speaker."""
        assert found.claimant is not None
        word = found.claimant.root.lower_
        if word in ("he", "she", "him", "her") and self.last_person and self.index - self.last_person[0] <= 3:
            return self.last_person[1]
        if word in QUANTIFIERS | {"rumour", "rumor"} and self.last_group and self.index - self.last_group[0] <= 3:
            # "Others claimed": others of the group (or of the list of groups) just named
            return list(dict.fromkeys(i for g in self.last_group[1] for i in self._resolve(g, self.last_group[2])))
        if named := they_name(found.claimant):
            return list(dict.fromkeys(i for g in named for i in self._resolve(g, found.claimant.sent)))
        return self.last_claimant or self.author

    def _continued(self, sentence: Span, following: Sequence[Span]) -> list[str] | None:
        """A sentence inside a quotation is the quoted speaker's: the one named where the quotation
        closes ("“...” he added"), else the one who spoke just before it in the paragraph."""
        paragraph, speaker = self.previous
        if PARTITION.match(sentence.text.lstrip()) and speaker and paragraph == self._paragraph(sentence):
            return speaker  # "Of these, 45 cases ...": the count just reported, by whoever reported it
        if not self._quote_open(sentence) and not sentence.text.lstrip().startswith(("“", '"')):
            return None
        for later in following:
            if not self._quote_open(later, at_end=True):
                closing = attribute(later, self.parsed)
                if closing.claimant is not None and self._quote_open(later):
                    return self._pronoun(closing) if closing.pronoun else self._resolve(closing.claimant, later)
                break
        paragraph, speaker = self.previous
        if speaker and paragraph == self._paragraph(sentence):
            return speaker
        return None

    def _hearsay(self, sentence: Span) -> list[str]:
        """Unattributed hearsay ("there are reports", "reportedly", "rumours") is not the author's
        own statement: its claimant is the reports, or social media users when those are named."""
        text = sentence.text
        if social := SOCIAL.search(text):
            whose = social.group("whose")
            return self._by_name(f"{whose} social media users" if whose else "social media users", sentence)
        if OFFICIALLY.search(text):
            return self._by_name("official sources", sentence)
        if HEARSAY.search(text):
            return self._unattributed(sentence)
        return []

    def _unattributed(self, sentence: Span) -> list[str]:
        """The article's own group of unnamed sources ("it was reported", "reportedly"): what one
        article reports without a source is not what another does, so each article has its own."""
        entity_id = f"unattributed-reports-{self.meta.id}"
        if entity_id in self.registry.entities:
            return [entity_id]
        if entity_id not in self.drafts.entities:
            self.drafts.entities[entity_id] = {
                "id": entity_id,
                "type": "Group",
                "label": f"unattributed reports in {self.meta.id}",
                "draft": True,
                "evidence": {"article": self.meta.id, "quote": sentence.text.strip()},
            }
        return [entity_id]

    def _by_name(self, name: str, sentence: Span) -> list[str]:
        for known in self.registry.entities.values():
            if name in (n.lower() for n in known.names):
                return [known.id]
        return [self._propose(name, "Group", sentence.text.strip())]

    def _claimant(
        self, found: Attribution, sentence: Span, following: Sequence[Span] = ()
    ) -> tuple[list[str], list[str]]:
        if found.claimant is None:
            continued = self._continued(sentence, following)
            if continued is None and found.passive:
                # "Most of the fatalities were said to have been in Almaty": the source just named
                paragraph, speaker = self.previous
                continued = speaker if speaker and paragraph == self._paragraph(sentence) else None
            if continued:
                found.claimant = sentence[:0]
                found.continued = True
                return continued, []
            hearsay = self._hearsay(sentence)
            if hearsay:
                found.claimant = sentence[:0]  # attributed (dated like one), to a group
                return hearsay, []
            if found.editorial and len(self.author) == 1 and self.meta.publisher and self.meta.creators:
                return [self.meta.publisher], []  # one author's "we emphasise": the publication's voice
            return self.author, []
        if found.pronoun or (
            anaphoric(found.claimant) and self.last_claimed == (self.index - 1, self._paragraph(sentence))
        ):
            claimant = self._pronoun(found)  # "the company said" just after "Magnum said": Magnum
        else:
            claimant = self._resolve(found.claimant, sentence) or self.author
            self.last_claimant, self.last_claimed = claimant, (self.index, self._paragraph(sentence))
        via = self._resolve(found.via, sentence) if found.via is not None else []
        return claimant, via

    def _pieces(self, sentence: Span, figures: list[Figure]) -> list[tuple[int, int, list[Figure]]]:
        """One piece per figure: the clause around it (the subtree of its nearest verb), else the sentence."""
        pieces = []
        for figure in figures:
            start, end = sentence.start_char, sentence.end_char
            if self.parsed:
                span = self.doc.char_span(figure.start, figure.end, alignment_mode="expand")
                token = span.root if span is not None else None
                while token is not None and token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
                    token = token.head
                if token is not None and token.pos_ in ("VERB", "AUX"):
                    left, right = token.left_edge.idx, token.right_edge.idx + len(token.right_edge)
                    others = [f for f in figures if f is not figure and left <= f.start < right]
                    # the clause, when it holds this figure alone and says something by itself
                    if not others and len(self.doc.text[left:right].split()) >= 5:
                        start, end = max(left, sentence.start_char), min(right, sentence.end_char)
            pieces.append((start, end, [figure]))
        return pieces

    def _claim(
        self,
        sentence: Span,
        start: int,
        end: int,
        found: Attribution,
        claimant: list[str],
        via: list[str],
        dates: list[DateMention],
        figure: Figure | None,
    ) -> None:
        quote = self.doc.text[start:end]
        if claimant == self.author:
            # the text names no speaker (a reprint with no byline): a curated statement of the same
            # words names one; a speaker the sentence names itself is never overruled
            claimant = self.registry.carried(quote) or claimant
        if not claimant:
            claimant = [self._propose(f"author of article {self.meta.id}", "Group", "")]
        claim: dict = {
            "id": self._new_id(claimant[0], quote),
            "draft": True,
            "label": re.sub(r"\s+", " ", quote)[:160],
            "claimed_by": claimant,
        }
        if via:
            claim["via"] = via
        date, date_text = self._date(found, dates, claimant)
        if found.claimant is not None:
            self.previous_date = (date, date_text)
            self.previous_dated = claimant
        claim["date"] = date.isoformat() if date else "unknown"
        if date_text:
            claim["date_text"] = date_text
        channel = self._channel(found, sentence, claimant)
        if channel:
            claim["stated_in"] = channel
        span = self.doc.char_span(start, end, alignment_mode="expand")  # None when no token falls inside
        about = [
            e.ent_id_
            for e in (span.ents if span is not None else ())
            if e.ent_id_ and e.ent_id_ not in claimant and e.ent_id_ != channel
        ]
        event = find_event(sentence, self.registry, {e.ent_id_ for e in sentence.ents if e.ent_id_})
        if event:
            about.insert(0, event[0])
        if about:
            claim["about"] = list(dict.fromkeys(about))
        if figure:
            if figure.value is not None:
                claim["quantity"] = figure.value
            claim["quantity_kind"] = figure.kind
            if figure.qualifier:
                claim["qualifier"] = figure.qualifier
            claim["quantity_text"] = figure.quantity_text
            if figure.unit:
                claim["unit"] = figure.unit
        if found.negative or DENIAL.search(quote):
            claim["polarity"] = "negative"
        kind = (
            "prediction"
            if PREDICTION.search(quote) and not figure
            else ("opinion" if OPINION.search(quote) and not figure else None)
        )
        if kind:
            claim["kind"] = kind
        asserts = self._asserts(claim, figure, event)
        if event:
            asserts += assertions(
                sentence,
                event[0],
                event[1],
                self.registry,
                found.verb,
                dates,
                claim.get("polarity") == "negative",
                self.parsed,
            )
        asserts += identity(sentence, self.registry)
        if asserts and not kind:
            claim["asserts"] = asserts
        claim["quote"] = quote
        occurrence = self._occurrence(start, quote)
        if occurrence > 1:
            claim["occurrence"] = occurrence
        self.drafts.claims.append(claim)

    def _date(
        self, found: Attribution, dates: list[DateMention], claimant: list[str]
    ) -> tuple[dt.date | None, str | None]:
        if found.claimant is None:
            # the author's statement is made on the article's date (data/README.md)
            text = dates[0].text if dates else None
            return self.meta.date, text
        verb = found.verb
        if verb is not None and verb.pos_ in ("VERB", "AUX") and self.parsed:
            # the date of the statement is the one on its speech verb ("On 10 January, Tokayev said");
            # a date inside what is said ("said he heard gunfire on January 5") dates the content
            own = [d for d in dates if self._verb_of(d) == verb.i]
            # "As order was restored on 7 January, Tokayev claimed": the clause dates the statement
            own = own or [
                d
                for d in dates
                if (i := self._verb_of(d)) is not None and self.doc[i].dep_ == "advcl" and self.doc[i].head.i == verb.i
            ]
            if own:
                return own[0].date, own[0].text
            # "“...,” he said" after "On January 9, Uali said ...": the same speaker's statement
            if found.continued or claimant == self.previous_dated:
                return self.previous_date
            # "our correspondent says": the author speaks on the article's date, as in unattributed text
            return (self.meta.date, None) if claimant == self.author else (None, None)
        if found.continued:
            return self.previous_date
        if not dates:
            return None, None
        # the date nearest the speech verb is the statement's date
        anchor = verb.idx if verb is not None else dates[0].start
        nearest = min(dates, key=lambda d: abs(d.start - anchor))
        return nearest.date, nearest.text

    def _verb_of(self, mention: DateMention) -> int | None:
        span = self.doc.char_span(mention.start, mention.end, alignment_mode="expand")
        if span is None:
            return None
        token = span.root
        for _ in range(50):
            if token.pos_ in ("VERB", "AUX") or token.head.i == token.i:
                break
            token = token.head
        return token.i if token.pos_ in ("VERB", "AUX") else None

    def _channel(self, found: Attribution, sentence: Span, claimant: list[str]) -> str | None:
        for ent in sentence.ents:
            if ent.ent_id_ and ent.label_ in ("KZ_CHANNEL", "KZ_MEDIAOUTLET") and ent.ent_id_ not in claimant:
                if found.channel is not None and ent.start >= found.channel.start and ent.end <= found.channel.end:
                    return ent.ent_id_
                if ent.label_ == "KZ_CHANNEL":
                    return ent.ent_id_
        if found.channel is not None and found.claimant is not None and not any(e.ent_id_ for e in found.channel.ents):
            # "told RIA": an outlet the registry does not know yet
            return self._propose(found.channel.text, "MediaOutlet", sentence.text.strip())
        match = CHANNEL_WORDS.search(sentence.text)
        if match and found.claimant is not None and claimant:
            return self._propose(f"{claimant[0]} {match.group(0)}", "Channel", sentence.text.strip())
        return None

    def _asserts(self, claim: dict, figure: Figure | None, event: tuple | None) -> list[dict]:
        """A figure of the sentence's event (issue #12's format), with its as-of date. Without an
        event the figure has no subject the extractor could name without guessing: none."""
        counted = (
            "Deaths",
            "Injuries",
            "Hospitalisations",
            "Detentions",
            "CriminalCases",
            "Attackers",
            "Protesters",
            "Troops",
            "LootedStores",
            "Damage",
        )
        if (
            figure
            and figure.value is not None
            and event
            and figure.kind in counted
            and self.registry.events[event[0]].type not in ("Broadcast", "Statement", "Other")
        ):
            statement = {"subject": event[0], "property": "quantity", "kind": figure.kind, "value": figure.value}
            if figure.qualifier:
                statement["qualifier"] = figure.qualifier
            if claim.get("date") not in (None, "unknown"):
                statement["as_of"] = claim["date"]
            if figure.unit:
                statement["unit"] = figure.unit
            return [statement]
        return []


def draft_article(text: str, meta: ArticleMeta, registry: Registry, nlp: Language) -> Drafts:
    """Every draft claim of one article, in text order."""
    doc = nlp(text)
    drafter = _Drafter(doc, meta, registry, nlp)
    sentences = list(doc.sents)
    for i, sentence in enumerate(sentences):
        paragraph = doc.text.rfind("\n", 0, sentence.start_char)
        following = [s for s in sentences[i + 1 : i + 6] if doc.text.rfind("\n", 0, s.start_char) == paragraph]
        drafter.sentence(sentence, following)
    return drafter.drafts
