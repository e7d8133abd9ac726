"""Who says it: dependency rules for attribution, with lexical fall-backs when there is no parse.

Rules (issue #13): a speech verb's subject ("X said / told / reported / claimed / denied / talked
about"), "according to X" (not a rule cited, "according to the CSTO principle", nor unconfirmed
information), "X cited Y as saying" (Y claims, X relays), "X was quoted as saying by Y" (X claims,
Y relays), "X's Telegram channel / Twitter account". A name in apposition speaks ("the channel RT
reports"), and so does a name right before a speech verb the parse left without a subject; a
speech verb inside a quotation yields to the one outside it; a negated subject ("no one could
say") claims nothing; "we" outside quotations is the author (``editorial``). People who hold a
view of a that-clause state it ("activists do not exclude that", "those in the square were sure
that"), as does a light verb with a noun of statement ("drawing parallels"). Where no verb names a
speaker, a noun of statement may name its source ("claims from citizens", "a rumour spread among
the crowd", "Arguments appeared in the press"). A pronoun or quantifier subject ("he said",
"others claimed", "someone spoke") is resolved by the drafter from the sentences before; so are
reports in the passive with no agent ("were said to have been"), which are flagged ``passive``;
"they" and a bare "the crowd" name again the last group that was a subject (``they_name``), a
quantifier after a list of groups is all of them (``listed``), and an unsourced rumour spreads among
the group named last. Who carries placards with quoted words says them.
A sentence with none of these is the author's own statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.tokens import Span, Token

from kzkg.extract.cues import INSTITUTIONS, NORMS, OUTLETS, PEOPLE, REPORTERS, SOURCED, STATEMENTS
from kzkg.extract.text import quotation_open

SPEECH_VERBS = frozenset(
    "say tell report claim deny state announce insist warn add write confirm acknowledge allege accuse "
    "estimate argue suggest note explain post tweet broadcast admit declare assert blame describe "
    "reveal stress maintain predict promise complain call show quote cite reject refute dismiss "
    "believe think propose express appeal vow pledge urge recount recall assure demand "
    "analyse analyze assess document verify notice perceive feel fear talk speak refer".split()
)
# "were said to have been", "it was reported that": reporting with the source left out ("were told
# to pay" is an order, not a report)
PASSIVE_REPORTS = frozenset("say report claim believe allege announce state estimate confirm".split())
DENIAL_VERBS = frozenset({"deny", "reject", "refute", "dismiss"})
RELAY_VERBS = frozenset({"cite", "quote"})
SUBJECTS = frozenset({"nsubj", "nsubjpass", "expl", "csubj"})
# "were sure that": an adjective of certainty states what follows as the subject's view
CERTAIN = frozenset("sure certain convinced confident adamant aware".split())
# "drawing parallels", "made the claim", "voiced concern": a light verb and a noun of statement
LIGHT_VERBS = frozenset("draw make voice raise level put repeat offer give sound".split())
SAID = STATEMENTS | frozenset("parallel comparison concern alarm point case warning accusation charge promise".split())
# part of a group named before: "Others claimed", "Someone spoke about the death of several people"
# (someone in the crowd just described)
QUANTIFIERS = frozenset(
    {"some", "others", "many", "most", "several", "few", "someone", "somebody", "everyone", "everybody"}
)
# what people carry their words on: "swept past with placards: ‘...’"
DISPLAYS = frozenset({"placard", "banner", "poster", "sign", "slogan"})
COLLECTIVES = frozenset({"crowd", "group", "mob", "gathering"})
PRONOUNS = frozenset({"he", "she", "they", "it", "we", "i", "you", "him", "her", "them"})
CHANNEL_WORDS = re.compile(
    r"\b(?:Telegram\s+(?:channel|account)|Twitter(?:\s+account)?|state\s+(?:TV|television)|"
    r"video\s+(?:message|address)|televised\s+address|press\s+conference|Instagram|Facebook|YouTube)\b",
    re.I,
)


@dataclass
class Attribution:
    claimant: Span | None  # None: the author's own statement
    pronoun: bool = False  # the claimant is a pronoun: resolve to the last named one
    via: Span | None = None
    channel: Span | None = None  # a named outlet in "told RIA", or the channel phrase
    verb: Token | None = None
    negative: bool = False
    passive: bool = False  # "X was said to / were reported": a speech verb with no speaker
    continued: bool = False  # no speaker of its own: the one quoted or named just before
    nested: bool = False  # a speaker quoted inside another's quotation; ``via`` is the one quoting
    editorial: bool = False  # "we" outside quotations: the authors, or the publication a single author speaks for


def anaphoric(span: Span) -> bool:
    """A definite description with no name ("the company", "the reporter", "the ministry"): it names
    again the speaker just named, as a pronoun would, rather than a new, unnamed one."""
    root = span.root
    return (
        root.dep_ in ("nsubj", "nsubjpass")
        and root.pos_ == "NOUN"
        and root.tag_ == "NN"
        and (root.lemma_.lower() in INSTITUTIONS or root.lemma_.lower() in REPORTERS)
        and any(c.dep_ == "det" and c.lower_ == "the" for c in root.children)
        and not any(t.ent_type_ for t in span)
        and not any(c.dep_ in ("amod", "compound", "poss", "prep") for c in root.children)
    )


def listed(span: Span) -> list[Span]:
    """The noun phrases listed with ``span`` ("Peaceful demonstrators, journalists and human rights
    activists"): "many of these people" after a list is all of them, not the last one named. A
    conjunct counts when it names people as a group (a plural noun) or a registry name."""
    head = span.root
    while head.dep_ == "conj" and head.head.pos_ in ("NOUN", "PROPN"):
        head = head.head
    members, todo = [head], [head]
    while todo:
        more = [c for c in todo.pop().children if c.dep_ == "conj" and c.pos_ in ("NOUN", "PROPN")]
        members += more
        todo += more
    if len(members) < 2 or not all(m.ent_id_ or m.tag_ in ("NNS", "NNPS") for m in members):
        return [span]
    return [_phrase(m) for m in sorted(members, key=lambda m: m.i)]


def _names_group(token: Token) -> bool:
    """A subject "they" can name again: a group, an institution or people in the plural."""
    return (
        token.dep_ in ("nsubj", "nsubjpass")
        and token.pos_ in ("NOUN", "PROPN")
        and token.lower_ not in QUANTIFIERS
        and (
            token.ent_type_ in ("KZ_GROUP", "KZ_ORGANIZATION", "ORG", "NORP")
            or token.lemma_.lower() in INSTITUTIONS
            or (token.tag_ in ("NNS", "NNPS") and token.lemma_.lower() in PEOPLE)
        )
    )


def collective(span: Span) -> bool:
    """ "the crowd", "the group": a bare definite collective names again a group named before, as
    "they" does ("Peaceful protesters tried to contain their fervour ... a rumour spread among the crowd")."""
    root = span.root
    return (
        root.lemma_.lower() in COLLECTIVES
        and any(c.dep_ == "det" and c.lower_ == "the" for c in root.children)
        and not any(c.dep_ in ("amod", "compound", "poss", "prep", "nummod") for c in root.children)
        and not root.ent_id_
    )


def they_name(pronoun: Span) -> list[Span]:
    """What "they" names again: the last group that was a subject before it, in its sentence or the
    one before ("pro-government experts began to echo him. ..., they claimed"; "The government
    stepped back ... but only now they say"), not the last speaker; nothing when none was."""
    if pronoun.root.lower_ not in ("they", "them") and not collective(pronoun):
        return []
    sentence = pronoun.sent
    said = {t.i for t in pronoun.root.head.subtree}  # "Almaty would have turned ..., they claimed": what is said
    named = [t for t in sentence if t.i < pronoun.start and t.i not in said and _names_group(t)]
    if not named and sentence.start > 0:
        named = [t for t in pronoun.doc[sentence.start - 1].sent if _names_group(t)]
    return listed(_phrase(named[-1])) if named else []


def _phrase(token: Token) -> Span:
    """The noun phrase headed by ``token``, without trailing clauses (relative clauses, appositions)."""
    left = token.left_edge.i
    right = token.i
    for child in token.rights:
        if child.dep_ in ("compound", "flat", "poss", "case") or (child.dep_ == "prep" and child.text.lower() == "of"):
            right = max(right, child.right_edge.i)
    return token.doc[left : right + 1]


def _named(token: Token) -> Token:
    """The name in an apposition: "the channel RT", "Tokayev's spokesman, Berik Uali" speak as RT
    and Berik Uali; a name with a description ("Uali, the spokesman") is already the name."""
    if token.pos_ == "PROPN":
        return token
    if token.lemma_.lower() in COLLECTIVES:  # "a group of protesters" are protesters
        members = [g for c in token.children if c.lower_ == "of" for g in c.children if g.tag_ in ("NNS", "NNPS")]
        if members:
            return members[0]
    for child in token.children:
        if child.dep_ == "appos" and child.pos_ == "PROPN":
            return child
    return token


def _nobody(subject: Token) -> bool:
    """A negated subject: "no one", "nobody", "none of them", "neither X nor Y"."""
    if subject.lower_ in ("nobody", "none", "noone"):
        return True
    return any(c.lower_ in ("no", "neither") for c in subject.children) or subject.lower_ == "neither"


def in_quotation(token: Token) -> bool:
    """Whether the token stands inside a quotation (counted from its paragraph's start): a speech
    verb there is part of what is quoted, not who says it ("“... they started showing ...,” X told")."""
    text = token.doc.text
    return quotation_open(text[text.rfind("\n", 0, token.idx) + 1 : token.idx])


def _stated_by(agent: Token) -> Token | None:
    """The agent of a statement in the passive: "an observation made by several eyewitnesses", "the
    notion that has been put forward by X", "emphasis has been made by X" (X states it)."""
    verb = agent.head
    subjects = [c for c in verb.children if c.dep_ == "nsubjpass" and c.tag_ not in ("WDT", "WP")]
    noun = subjects[0] if subjects else (verb.head if verb.dep_ in ("acl", "relcl") else None)
    objects = [c for c in agent.children if c.dep_ == "pobj"]
    return objects[0] if noun is not None and noun.lemma_.lower() in STATEMENTS and objects else None


def _entity_before(verb: Token) -> Span | None:
    """A name right before a speech verb the parse gave no subject ("bne IntelliNews’ correspondent
    in Almaty warns" parsed with "bne" as an adjective): the name speaks."""
    i = verb.i - 1
    if i >= 0 and verb.doc[i].text == ",":
        i -= 1
    if i < 0 or verb.doc[i].ent_iob_ == "O":
        return None
    ent = next((e for e in verb.doc.ents if e.start <= i < e.end), None)
    return ent if ent is not None and ent.end == i + 1 and ent.label_ not in ("DATE", "TIME", "CARDINAL") else None


def _human(token: Token) -> bool:
    """Whether a noun names people or an outlet (a possible source), not what is said about them."""
    if any(c.dep_ == "nummod" for c in token.children):
        return False  # "reports of eight policemen that died": a count of people is the content
    if token.ent_id_ or token.ent_type_ in ("PERSON", "NORP", "ORG"):
        return True
    return token.lemma_.lower() in PEOPLE or any(
        c.dep_ == "relcl" and c.lower_ != "that" and any(g.lower_ in ("who", "whom") for g in c.children)
        for c in token.children
    )


def _statement_source(sentence: Span) -> Attribution | None:
    """A noun of statement that names its source where no verb names a speaker: "claims from
    citizens", "accounts of people who took part", "a rumour spread among the crowd", "Arguments
    appeared in the press"."""
    for token in sentence:
        if token.pos_ != "NOUN" or token.lemma_.lower() not in SOURCED:
            continue
        preps = [(c, token) for c in token.children if c.dep_ == "prep"]
        if token.dep_ == "nsubj":
            preps += [(c, token.head) for c in token.head.children if c.dep_ == "prep" and c.i > token.i]
        for prep, owner in preps:
            objects = [g for g in prep.children if g.dep_ == "pobj"]
            if not objects:
                continue
            source = objects[0]
            word = prep.lower_
            if word in ("from", "by") or (word == "of" and owner is token) or word == "among":
                ok = _human(source)
            elif word in ("in", "on"):
                ok = source.lemma_.lower() in OUTLETS
            else:
                ok = False
            if ok:
                # dated by the verb the noun hangs on ("There has been ... claims"), not by a date
                # inside what is said ("the order issued on January 7")
                verb = token
                while verb.pos_ not in ("VERB", "AUX") and verb.head.i != verb.i:
                    verb = verb.head
                if verb.tag_ == "VB" and verb.dep_ == "ROOT" and not any(c.dep_ in SUBJECTS for c in verb.children):
                    return None  # "Reflect on the gathered accounts of people ...": the author asks the reader
                said = {t.i for t in token.subtree} | {
                    t.i for c in verb.children if c.dep_ in ("ccomp", "advcl", "xcomp") for t in c.subtree
                }
                if any(t.ent_type_ == "DATE" and t.i not in said for t in sentence):
                    # "state media on January 9 broadcast the confession of a man": a date outside
                    # what is said dates the statement, however the parse attached it
                    return Attribution(_phrase(_named(source)))
                return Attribution(_phrase(_named(source)), verb=verb if verb.pos_ in ("VERB", "AUX") else None)
        if (
            token.lemma_.lower() in ("rumour", "rumor")
            and token.dep_ == "nsubj"
            and not any(c.dep_ in ("prep", "poss", "compound", "amod") or c.lower_ == "the" for c in token.children)
        ):
            # "Soon a rumour began to spread that ...": a rumour nobody is named for spreads among
            # the group named last, resolved by the drafter like "others"
            return Attribution(_phrase(token), pronoun=True, verb=token.head)
    return None


def _acts(verb: Token) -> bool:
    """Calling or appealing as an act, not speech: "called a rally", "appealed to the heads of state
    with a request to send troops" (an appeal whose words the sentence does not give). "called them
    terrorists", "called for calm", "called on X" and an appeal quoted ("appealed ... “to help”") say
    something."""
    lemma = verb.lemma_.lower()
    children = list(verb.children)
    if (
        any(c.dep_ == "conj" and c.pos_ == "VERB" and c.lemma_.lower() not in SPEECH_VERBS for c in children)
        and not any(c.dep_ in ("ccomp", "xcomp", "prep", "dobj") for c in children)
        and not any(t.text in '“”"' for t in verb.sent)
    ):
        return True  # "He blamed and sacked the government": one act on one object, nothing said
    if lemma == "appeal":
        return not any(c.dep_ in ("ccomp", "xcomp") for c in children) and not any(t.text in '“”"' for t in verb.sent)
    if lemma != "call":
        return False
    says = any(c.dep_ in ("oprd", "ccomp", "xcomp") for c in children) or any(
        c.dep_ == "prep" and c.lower_ in ("for", "on", "upon") for c in children
    )
    return not says and any(c.dep_ == "dobj" for c in children)


def _opines(verb: Token) -> bool:
    """A verb of no speech that still states a view of its subject's: "Human rights activists do not
    exclude that ...", "Some of those in the square were sure that ..." (people, not things: "This
    means that" is the author's)."""
    if verb.pos_ not in ("VERB", "AUX") or verb.lemma_.lower() in SPEECH_VERBS:
        return False
    holders = [verb] + [c for c in verb.children if c.dep_ == "acomp" and c.lower_ in CERTAIN]
    said = [
        c
        for h in holders
        for c in h.children
        if c.dep_ == "ccomp" and (h is not verb or any(m.dep_ == "mark" and m.lower_ == "that" for m in c.children))
    ]
    subjects = [c for c in verb.children if c.dep_ == "nsubj"]
    if not said or not subjects:
        return False
    subject = subjects[0]
    if subject.lower_ in QUANTIFIERS:
        return True  # "Some of those in the square were sure": part of a group named before
    # "we emphasise that": the authors; another pronoun ("they hope that") measured no better and no
    # worse: left out
    return subject.lower_ in ("we", "i") or (subject.lower_ not in PRONOUNS and _human(subject))


def _states(verb: Token) -> bool:
    """A light verb whose object is a statement states it: "Some pundits have been drawing
    parallels", "made the claim", "voiced concern", "raised the alarm"."""
    return (
        verb.pos_ == "VERB"
        and verb.lemma_.lower() in LIGHT_VERBS
        and any(c.dep_ == "dobj" and c.lemma_.lower() in SAID for c in verb.children)
    )


def _quoted_as_saying(verb: Token, subjects: list[Token]) -> Attribution | None:
    """ "X was quoted as saying by Y", "X is cited as saying": X says it, Y relays it."""
    if verb.lemma_.lower() not in RELAY_VERBS or not subjects or subjects[0].dep_ != "nsubjpass":
        return None
    saying = [g for c in verb.children if c.lower_ == "as" for g in c.children if g.lemma_.lower() in SPEECH_VERBS]
    if not saying:
        return None
    by = [
        g
        for t in (verb, saying[0])
        for c in t.children
        if c.dep_ == "agent" or (c.dep_ == "prep" and c.lower_ == "by")
        for g in c.children
        if g.dep_ == "pobj"
    ]
    subject = _named(subjects[0])
    if subject.lower_ in PRONOUNS:
        return None  # "he was quoted as saying": resolved like any pronoun, by the drafter
    return Attribution(_phrase(subject), via=_phrase(by[0]) if by else None, verb=verb)


def _unsourced(noun: Token) -> bool:
    """ "so far unconfirmed information", "unverified reports": information that names no source."""
    return (
        noun.lemma_.lower() in ("information", "report", "rumour", "rumor", "claim", "data")
        and any(c.dep_ == "amod" and c.lower_.startswith(("unconfirmed", "unverified")) for c in noun.children)
        and not any(c.dep_ in ("poss", "compound", "prep") for c in noun.children)
    )


def _depth(token: Token) -> int:
    depth = 0
    while token.head.i != token.i and depth < 50:  # spaCy makes a new Token per access: compare indices
        token, depth = token.head, depth + 1
    return depth


def attribute(sentence: Span, parsed: bool) -> Attribution:
    """The sentence's attribution, or an author attribution (claimant None)."""
    found = _attribute(sentence, parsed)
    if found.claimant is not None and not found.pronoun and collective(found.claimant) and they_name(found.claimant):
        found.pronoun = True  # "the crowd" after "Peaceful protesters tried ...": resolved like "they"
    return found


def _attribute(sentence: Span, parsed: bool) -> Attribution:
    if not parsed:
        return _lexical(sentence)
    candidates = []
    passive = False
    for token in sentence:
        lemma = token.lemma_.lower()
        if token.lower_ == "according" and any(c.lower_ == "to" for c in token.children):
            to = next(c for c in token.children if c.lower_ == "to")
            objects = [c for c in to.children if c.dep_ == "pobj"]
            if objects and _unsourced(objects[0]):
                continue  # "according to so far unconfirmed information": hearsay, no speaker
            # "according to the CSTO principle that ...": a rule cited, no speaker
            if objects and objects[0].lemma_.lower() not in NORMS:
                candidates.append((_depth(token) + 0.5, Attribution(_phrase(_named(objects[0])), verb=token)))
        elif token.dep_ == "agent" and (stated := _stated_by(token)) is not None:
            candidates.append((_depth(token.head), Attribution(_phrase(_named(stated)), verb=token.head)))
        elif (
            ((token.pos_ == "VERB" and lemma in SPEECH_VERBS) or _opines(token) or _states(token))
            and not any(c.dep_ == "prt" for c in token.children)
            and not _acts(token)
        ):
            # a particle makes another verb: "what these events add up to", "called off"
            subjects = [c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")]
            passive_verb = any(c.dep_ == "auxpass" for c in token.children)
            if (
                not subjects
                and token.dep_ in ("xcomp", "conj", "advcl")
                and token.head.pos_ == "VERB"
                and not passive_verb
            ):
                # "The RT report went on to say" / "he blamed and sacked": the governing verb's subject
                subjects = [c for c in token.head.children if c.dep_ == "nsubj"]
            if not subjects and not passive_verb:
                named = _entity_before(token)
                if named is not None:
                    candidates.append((_depth(token), Attribution(named, verb=token, negative=lemma in DENIAL_VERBS)))
                    continue
            relayed = _quoted_as_saying(token, subjects)
            if relayed is not None:
                candidates.append((_depth(token), relayed))
                continue
            if not subjects or subjects[0].dep_ == "nsubjpass":
                # "it was reported": no named speaker on this verb
                agent = [g for c in token.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
                if not agent:
                    passive = passive or (bool(subjects) and lemma in PASSIVE_REPORTS)
                    continue
                subjects = agent
            subject = _named(subjects[0])
            if subject.lower_ in ("it", "this", "that", "there", "which", "who"):
                continue
            if subject.lower_ == "you":
                continue  # generic "you": "when you talk to people who live there"
            if lemma in ("talk", "speak") and token.tag_ == "VBG" and token.dep_ in ("advcl", "acl"):
                continue  # "experts, speaking of the need to ..., still praise": an aside, not the statement
            if _unsourced(subject):
                continue  # "Unconfirmed information ... refers to": hearsay, no speaker named
            if _nobody(subject):
                continue  # "no one could say", "Neither the experts nor ... explained": nobody claims it
            if subject.lower_ in ("we", "i") and not in_quotation(subject):
                return Attribution(None, editorial=True)  # "We could not confirm": the authors themselves
            pronoun = subject.lower_ in PRONOUNS
            if subject.lower_ in QUANTIFIERS:
                # "Some of the residents said": the residents; "Others claimed", "Some of those in the
                # square were sure": part of a group named before, resolved like a pronoun
                of = [g for c in subject.children if c.lower_ == "of" for g in c.children if g.dep_ == "pobj"]
                anaphor = bool(of) and (
                    of[0].lower_ in ("them", "these", "those", "us")
                    or any(d.lower_ in ("these", "those") for d in of[0].children)
                )
                if of and (not anaphor or any(c.dep_ == "relcl" for c in of[0].children)):  # "those who ..."
                    subject = _named(of[0])
                else:
                    pronoun = True
            found = Attribution(_phrase(subject), pronoun=pronoun, verb=token, negative=lemma in DENIAL_VERBS)
            objects = [c for c in token.children if c.dep_ in ("dobj", "dative")]
            if lemma in RELAY_VERBS and objects:
                found = Attribution(_phrase(objects[0]), via=found.claimant, verb=token)
            elif lemma == "tell" and objects and objects[0].pos_ == "PROPN":
                found.channel = _phrase(objects[0])
            # a speech verb inside a quotation yields to the one outside it ("“... they started
            # showing ...,” X told"), unless it names its own speaker: "“The Russian media are
            # reporting that ...,” the correspondent said" is the Russian media's claim, relayed
            nested = 0 if not in_quotation(token) else (10 if pronoun or subject.lower_ in ("we", "i") else -10)
            candidates.append((_depth(token) + nested, found))
    if candidates:
        best = min(candidates, key=lambda c: c[0])
        outside = [c for c in candidates if c[0] < 10 and c[1].verb is not None and not in_quotation(c[1].verb)]
        if best[0] < 0 and outside and best[1].via is None:
            # the nested speaker claims it; the one outside the quotation relays it
            via = min(outside, key=lambda c: c[0])[1].claimant
            closing = [t.i for t in via or () if t.text in ("”", '"')]  # the parse may span the quotation
            best[1].via = via.doc[closing[-1] + 1 : via.end] if via is not None and closing else via
            best[1].nested = True
        return best[1]
    sourced = _statement_source(sentence)
    if sourced is not None:
        return sourced
    whole = sentence.doc[sentence.start].sent  # a clause of the slogans is still on the placards
    for token in whole:
        # "a group of protesters swept past with placards: ‘The people are awake!’": who carries the
        # words says them
        if token.lemma_.lower() in DISPLAYS and any(t.text in '‘“"' for t in whole[token.i - whole.start :]):
            verb = token.head.head if token.dep_ == "pobj" else token.head
            subjects = [c for c in verb.children if c.dep_ == "nsubj" and c.lower_ not in PRONOUNS]
            if token.dep_ in ("pobj", "dobj") and subjects:
                return Attribution(_phrase(_named(subjects[0])), verb=verb)
    # the parse missed it ("Speaking to Khabar, Tokayev’s spokesman, Berik Uali, said" parsed with
    # "Speaking" as the subject): a name right before a speech verb still speaks
    lexical = _lexical(sentence, verbs_only=True)
    if lexical.claimant is not None and not lexical.pronoun:
        return lexical
    for token in sentence:
        # "X's Telegram channel" / "X's Twitter account": X speaks through it
        if token.dep_ == "poss" and CHANNEL_WORDS.search(sentence.doc[token.i : token.head.i + 1].text):
            return Attribution(
                _phrase(token)[:-1] if token.nbor(1).tag_ == "POS" else _phrase(token),
                channel=sentence.doc[token.i : token.head.i + 1],
            )
    return Attribution(None, passive=passive)


_LEXICAL_VERBS = re.compile(
    r"^(?:said|says|told|tells|reported|reports|claimed|claims|denied|denies|stated|"
    r"announced|insisted|warned|added|wrote|confirmed|alleged|tweeted)$",
    re.I,
)


def _lexical(sentence: Span, verbs_only: bool = False) -> Attribution:
    """Without a parse: a registry name or pronoun right before a speech verb, or 'according to X'."""
    tokens = list(sentence)
    for i, token in enumerate(tokens):
        if not verbs_only and token.lower_ == "according" and i + 2 < len(tokens) and tokens[i + 1].lower_ == "to":
            for ent in sentence.ents:
                if ent.start >= tokens[i + 2].i and ent.start <= tokens[i + 2].i + 2:
                    return Attribution(ent, verb=token)
        if _LEXICAL_VERBS.match(token.text) and i > 0 and (not verbs_only or token.pos_ == "VERB"):
            before = tokens[i - 2] if tokens[i - 1].text == "," and i > 1 else tokens[i - 1]
            if before.lower_ in PRONOUNS - {"it"}:
                return Attribution(
                    sentence.doc[before.i : before.i + 1],
                    pronoun=True,
                    verb=token,
                    negative=token.lower_.startswith("den"),
                )
            for ent in sentence.ents:
                if ent.end == before.i + 1:
                    return Attribution(ent, verb=token, negative=token.lower_.startswith("den"))
    return Attribution(None)
