"""Which registry event a sentence is about, and what it asserts about it (issue #12's format).

An event is a candidate when the sentence uses a word of its type ("looted" → Looting, "stormed"
→ Seizure); it is chosen when the sentence also names a participant or words of its label
beyond its type and places (the best-scoring one, places adding weight); otherwise no event.
From the parse, the sentence then gives the event's agent (the subject of the event's verb, or
"by X"), its date (a date phrase attached to the event's verb, not to the speech verb), or its
denial ("there was no looting").
"""

from __future__ import annotations

import re

from spacy.tokens import Span, Token

from kzkg.extract.dates import DateMention
from kzkg.extract.registry import Registry

TRIGGERS = {
    "Looting": r"loot\w*|ransack\w*|robbed",
    "Shooting": r"shoot\w*|shot|gunfire|fired",
    "Killing": r"kill\w*|murder\w*",
    "Arson": r"set\s+(?:on\s+)?fire|torch\w*|arson",
    "Seizure": r"seiz\w*|storm\w*|taken\s+over|took\s+over|captur\w*",
    "Protest": r"protest\w*|demonstrat\w*|rall(?:y|ies)",
    "Riot": r"riot\w*",
    "Clash": r"clash\w*|fight\w*|battle\w*",
    "InternetShutdown": r"internet\s+(?:was\s+|has\s+been\s+)?(?:shut|down|block\w*|cut|turned\s+off)|shutdown",
    "InternetRestoration": r"internet\s+(?:was\s+|has\s+been\s+)?restor\w*",
    "RequestForAssistance": r"appeal\w*|request\w*|asked\s+for\s+(?:help|assistance)",
    "MilitaryDeployment": r"deploy\w*|troops\s+(?:arriv|land)\w*|flying\s+into",
    "MilitaryWithdrawal": r"withdr[ae]w\w*",
    "Detention": r"detain\w*|arrest\w*|detention",
    "Release": r"releas\w*",
    "Dismissal": r"sack\w*|dismiss\w*|removed",
    "Resignation": r"resign\w*",
    "Appointment": r"appoint\w*",
    "CriminalCase": r"criminal\s+case|charged|investigat\w*",
    "Broadcast": r"broadcast\w*|televised|confession",
    "Statement": r"address\w*|speech",
    "Attack": r"attack\w*|assault\w*",
    "CounterTerroristOperation": r"(?:anti|counter)-?terror\w*\s+operation",
    "StateOfEmergency": r"state\s+of\s+emergency",
    "Curfew": r"curfew",
    "PriceRise": r"price\s+(?:rise|hike|increase)|prices\s+(?:rose|doubled)",
    "Fire": r"fire|burn\w*",
    "Departure": r"fled|flee\w*|left\s+the\s+country",
    "Closure": r"clos\w*",
    "Crackdown": r"crackdown|repress\w*",
    "Funeral": r"funeral\w*",
    "Unrest": r"unrest",
    "MilitaryOperation": r"military\s+operation",
}
_STOP = frozenset("the a an of in on to and by at for from with was were kazakhstan january".split())


def find_event(sentence: Span, registry: Registry, mentioned: set[str]) -> tuple[str, re.Match] | None:
    """(event id, the trigger's match) for the sentence's event, or None."""
    text = sentence.text
    best: tuple[int, str, re.Match] | None = None
    for event in sorted(registry.events.values(), key=lambda e: e.id):
        pattern = TRIGGERS.get(event.type)
        if not pattern:
            continue
        # "attackers", "protesters": people, not the event
        match = next(
            (
                m
                for m in re.finditer(r"\b(?:" + pattern + r")\b", text, re.I)
                if not re.search(r"(?:ers|ors)$", m.group(0), re.I)
            ),
            None,
        )
        if not match:
            continue
        # words of the label beyond the event's type and places: what tells this event from others
        places = {w for p in event.places if p in registry.entities for w in registry.entities[p].label.lower().split()}
        label_words = {
            w
            for w in re.findall(r"[a-z]+", event.label.lower())
            if w not in _STOP and len(w) > 3 and w not in places and not re.fullmatch(pattern, w, re.I)
        }
        specific = len(mentioned & set(event.participants)) + len(
            label_words & set(re.findall(r"[a-z]+", text.lower()))
        )
        if not specific:
            continue  # a type word and a place do not tell which event: no guess
        score = 2 * len(mentioned & set(event.places)) + 2 * specific
        if best is None or score > best[0]:
            best = (score, event.id, match)
    return (best[1], best[2]) if best else None


def _verb_of(token: Token) -> Token | None:
    while token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
        token = token.head
    return token if token.pos_ in ("VERB", "AUX") else None


def assertions(
    sentence: Span,
    event: str,
    trigger: re.Match,
    registry: Registry,
    speech: Token | None,
    dates: list[DateMention],
    negative: bool,
    parsed: bool,
) -> list[dict]:
    """The statements the sentence makes about ``event``: agent, date or date text, occurrence."""
    statements: list[dict] = []
    doc = sentence.doc
    span = doc.char_span(
        sentence.start_char + trigger.start(), sentence.start_char + trigger.end(), alignment_mode="expand"
    )
    # only a verb of the event itself has the event's agent and date ("expressed indignation over
    # the arrest" says nothing about who arrested)
    verb = span.root if (span is not None and parsed and span.root.pos_ == "VERB") else None
    if verb is not None and verb is not speech:
        agents = [c for c in verb.children if c.dep_ == "nsubj"]
        agents += [g for c in verb.children if c.dep_ == "agent" for g in c.children if g.dep_ == "pobj"]
        for agent in agents:
            known = [
                e.ent_id_
                for e in doc[agent.left_edge.i : agent.right_edge.i + 1].ents
                if e.ent_id_ in registry.entities and "Place" not in registry.entities[e.ent_id_].types
            ]
            if known:
                statements.append({"subject": event, "property": "agent", "value": known[0]})
        for mention in dates:
            token = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if token is not None and _verb_of(token.root) is verb:
                if mention.date is not None:
                    statements.append({"subject": event, "property": "startDate", "value": mention.date.isoformat()})
                else:
                    statements.append({"subject": event, "property": "dateText", "value": mention.text})
    if negative:
        statements.append({"subject": event, "property": "eventType", "value": registry.events[event].type})
    return statements


_IDENTITY = re.compile(
    r"\b(?:identified\s+(?:himself|herself|him|her)?\s*as|was\s+(?:in\s+fact\s+)?(?:another\s+)?(?:[\w-]+\s+){0,3}called|"
    r"was\s+actually|real\s+name\s+(?:is|was))\b",
    re.I,
)


def identity(sentence: Span, registry: Registry) -> list[dict]:
    """ "the man in the footage was … called Zakir Uburov": who the claim says a person is."""
    match = _IDENTITY.search(sentence.text)
    if not match:
        return []
    cut = sentence.start_char + match.start()
    people = [
        e for e in sentence.ents if e.ent_id_ in registry.entities and "Person" in registry.entities[e.ent_id_].types
    ]
    before = [e for e in people if e.end_char <= cut]
    after = [e for e in people if e.start_char >= cut]
    if before and after and before[-1].ent_id_ != after[0].ent_id_:
        return [{"subject": before[-1].ent_id_, "property": "identifiedAs", "value": after[0].ent_id_}]
    return []
