"""The words that tell a sentence's kind and its source, before any parse: cues the drafter reads.

Kept apart from :mod:`kzkg.extract.draft` so that the word lists a reviewer may want to extend
(reporting nouns, institutions, hedges) sit in one place and read as lists, not inside the
drafting logic. They are general English cues; none names a person, place or event of the corpus.
"""

from __future__ import annotations

import re

PREDICTION = re.compile(
    r"\b(?:will|would|is\s+likely\s+to|are\s+likely\s+to|is\s+expected\s+to|are\s+expected\s+to|"
    r"going\s+to)\b",
    re.I,
)
OPINION = re.compile(
    r"\b(?:should|must|seems?\s+to|appears?\s+to|it\s+seems|in\s+(?:my|our)\s+view|"
    r"clearly|obviously|highly\s+suspect|disingenuous|likely)\b",
    re.I,
)
DENIAL = re.compile(
    r"\b(?:there\s+(?:was|were|is|are|has\s+been|have\s+been)\s+no|nothing\s+(?:is|was)\s+happening)\b", re.I
)


HEARSAY = re.compile(
    r"\b(?:there\s+(?:are|were|have\s+been|has\s+been)\s+(?:\w+\s+){0,2}(?:reports|rumours|rumors)|"
    r"reportedly|unconfirmed\s+(?:reports|information|claims)|unverified\s+(?:reports|information|claims)|rumours|rumors|"
    # "it was announced that": a report whose source the text leaves out
    r"it\s+(?:is|was|has\s+been|had\s+been)\s+(?:reported|announced|said|claimed|alleged|rumou?red)|"
    # "Video has also surfaced", "The first reports of those killed were received": reports that
    # arrive with no source
    r"(?:reports?|videos?|footage|images|photos|claims)\s+(?:[\w’'-]+\s+){0,4}?(?:has|have|had|were|was)\s+"
    r"(?:also\s+|already\s+)?(?:surfaced|emerged|appeared|circulated|received))\b",
    re.I,
)
# "The death toll officially stood at": a count given on official sources' word
OFFICIALLY = re.compile(
    r"\bofficially\s+(?:stood|stands|put|estimated|recorded|registered|confirmed|reported|numbered|counted|"
    r"reached|rose|totall?ed)\b",
    re.I,
)
# "on Kazakh social media": whose social media, when the text says (a proper adjective, "local")
SOCIAL = re.compile(
    r"\b(?i:on|from)\s+(?:(?P<whose>[A-Z][\w-]+|local)\s+)?(?i:social\s+media)\b|"
    r"(?i:\bsocial\s+media\s+(?:footage|posts?|videos?|clips?)\b)"
)
REPORTERS = frozenset("correspondent reporter journalist author writer".split())
DOCUMENTS = frozenset(
    "bulletin statement report data figure account channel tweet video footage post message "
    "release announcement website page feed clip outlet agency service source".split()
)
PARTITION = re.compile(r"(?:of|among)\s+(?:these|those|them|which)\b", re.I)
INSTITUTIONS = frozenset(
    "company ministry government committee office agency party council service court bank group board "
    "administration department authority organisation organization parliament embassy police army media "
    "regime state side team family community crowd press public opposition leadership staff".split()
)
SOCIAL_MEDIA = re.compile(r"\bsocial\s+media\b", re.I)
MEDIA = frozenset("footage video clip post".split())
DETERMINER = re.compile(r"^(?:the|a|an|one|another|some|several|many|this|that|these|those)\s+", re.I)
# nouns of what someone states: "an observation made by several eyewitnesses", "the notion put
# forward by X", "emphasis has been made by X" give their agent as the speaker
STATEMENTS = frozenset(
    "claim allegation notion observation emphasis argument assertion suggestion accusation statement "
    "assessment finding conclusion view".split()
)
# what "according to" cites that is no speaker: a rule, a plan, a principle ("according to the
# CSTO principle that ...", "according to the law") is the author's reading of it
NORMS = frozenset(
    "principle rule law constitution plan schedule procedure regulation custom tradition logic theory "
    "definition protocol charter doctrine script scenario".split()
)
# nouns of what is said whose source a preposition may name: "claims from citizens", "accounts of
# people who took part", "a rumour spread among the crowd", "Arguments appeared in the press"
SOURCED = STATEMENTS | frozenset(
    "rumour rumor account testimony confession recollection story complaint argument warning denial speculation".split()
)
# nouns of people, who can be a source
PEOPLE = frozenset(
    "people person citizen resident witness eyewitness protester demonstrator activist crowd man woman "
    "journalist reporter expert analyst official observer local participant survivor victim relative "
    "doctor nurse driver worker student user blogger pundit politician diplomat lawyer soldier officer".split()
)
# where a statement appears that stands for its unnamed outlets: "in the press", "in the media"
OUTLETS = frozenset("press media newspaper newspapers outlet outlets".split())
# spaCy's entity labels of numbers and times: never an author or a speaker
NUMERIC = frozenset("ORDINAL CARDINAL DATE TIME QUANTITY PERCENT MONEY".split())
