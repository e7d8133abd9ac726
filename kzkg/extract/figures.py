"""Figures: the number as written (digits, number words, "a dozen", "dozens"), its qualifier as
written ("at least", "nearly", "a little over") and what it counts (kind and unit).

Lexical rules over the sentence's text, so they work with or without the statistical model. A
number is only proposed as a figure when it counts something: a bare number (a year, an age, a
street number) is no figure. The kind comes from the counted noun ("protesters", "criminal
cases"), from the clause ("people died"), from the sentence before for elliptic counts ("Of these,
45 cases"; "36 – mass unrest" in a list), else it is ``Other`` with the noun as unit, for the
reviewer to refine. A range ("$2-3bn", "five or six") keeps no single value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}
_SCALES = {
    "thousand": 1_000,
    "million": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "mn": 1_000_000,
    "m": 1_000_000,
}
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"

# qualifiers as written, longest first; value = the kz:quantityQualifier name
_QUALIFIERS = [
    ("a little over", "a-little-over"),
    ("a little more than", "a-little-over"),
    ("at least", "at-least"),
    ("more than", "more-than"),
    ("over", "more-than"),
    ("nearly", "nearly"),
    ("almost", "nearly"),
    ("up to", "up-to"),
    ("an estimated", "about"),
    ("approximately", "about"),
    ("about", "about"),
    ("around", "about"),
    ("roughly", "about"),
    ("some", "about"),
]
_DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
_WORDS = r"(?:(?:" + "|".join(_UNITS) + r")(?:[- ](?:" + "|".join(list(_UNITS)[:9]) + r"))?)"
_NUMBER = (
    r"(?:\$\s?)?" + _DIGITS + r"(?:\s*[-–]\s*" + _DIGITS + r")?(?:\s*(?:bn|mn|m)\b|\s+(?:thousand|million|billion))?"
    r"|" + _WORDS + r"(?:\s+or\s+" + _WORDS + r")?(?:\s+(?:thousand|million|billion))?"
)
_VAGUE = [
    (r"a couple of dozen", "a-couple-of-dozen", None),
    (r"two dozen", None, 24),
    (r"a dozen", None, 12),
    (r"dozens", "dozens", None),
    (r"hundreds", "hundreds", None),
    (r"several thousand", "thousands", None),
    (r"thousands", "thousands", None),
    (r"the (?:vast|overwhelming) majority", "most", None),
    (r"the majority", "most", None),
    (r"most", "most", None),
    (r"many", "many", None),
    (r"several", "several", None),
]
_QUAL_RE = "|".join(re.escape(q) for q, _ in _QUALIFIERS)
FIGURE = re.compile(
    r"(?<![\w$.,])(?P<qual>(?:"
    + _QUAL_RE
    + r")\s+)?(?P<num>"
    + "|".join(v for v, _, _ in _VAGUE)
    + "|"
    + _NUMBER
    + r")(?![\w%])(?=(?P<tail>(?:-|\s)[^.;:]{0,60})?)",
    re.IGNORECASE,
)

_PEOPLE = (
    r"(?:people|persons|civilians|citizens|residents|children|policemen|police(?:\s+officers)?|officers|"
    r"personnel|employees|staff|workers|officials|deputies|servicemen|members|individuals|men|women|"
    r"journalists|of (?:them|those|us))"
)
# (kind, unit, pattern on the words right after the number)
_NOUN_KINDS = [
    ("Deaths", "people", r"(?:\w+\s+)?(?:dead|deaths|fatalities|lives|bodies|corpses|body\s+bags|killed)"),
    ("Injuries", "people", r"(?:injured|wounded|injuries)"),
    ("Hospitalisations", "people", r"(?:hospitali[sz]ed)"),
    ("Detentions", "people", r"(?:detained|arrested|detentions|arrests|detainees)"),
    ("CriminalCases", "cases", r"(?:criminal\s+(?:cases|investigations|proceedings))"),
    ("AdministrativeCases", "cases", r"(?:administrative\s+(?:cases|offences))"),
    (
        "Troops",
        "troops",
        (
            r"(?:\w+\s+)?(?:troops|soldiers|paratroopers|peacekeepers)"
            r"|(?:people|personnel|men|servicemen)\s+in\s+(?:its|the|their)\s+(?:armed\s+forces|army|military)"
        ),
    ),
    (
        "Attackers",
        "people",
        r"(?:[\w-]+\s+)?[‘'\"“]?(?:terrorists|bandits|attackers|militants|gunmen|armed men|men carrying)",
    ),
    ("Protesters", "people", r"(?:\w+\s+)?(?:protesters|protestors|demonstrators)"),
    (
        "LootedStores",
        "stores",
        r"(?:of\s+(?:its|their)\s+)?(?:stores|shops|outlets)\s+(?:were\s+|had been\s+)?(?:looted|robbed)",
    ),
    ("Stores", "stores", r"(?:\w+\s+)?(?:stores|shops|supermarkets|outlets)"),
    ("Weapons", "weapons", r"(?:\w+\s+)?(?:weapons|guns|firearms|rifles)"),
    ("Vehicles", "vehicles", r"(?:\w+\s+)?(?:cars|vehicles|buses)"),
    ("Buildings", "buildings", r"(?:\w+\s+)?(?:buildings)"),
    ("Videos", "videos", r"(?:videos)"),
    ("Incidents", "incidents", r"(?:incidents)"),
    ("Duration", None, r"(?:-?(?:day|week|month|year|hour|decade)s?(?:-long)?\b)"),
]
_CLAUSE_KINDS = [
    ("Deaths", r"\b(?:killed|died|dead|deaths?|lost their lives|murdered|perished)\b"),
    ("Injuries", r"\b(?:injured|wounded)\b"),
    ("Hospitalisations", r"\bhospitali[sz]ed\b"),
    ("Detentions", r"\b(?:detained|arrested)\b"),
    ("Dismissals", r"\b(?:removed\s+from\s+(?:their|his|her)\s+posts?|dismissed|sacked)\b"),
    # people who rally, march or protest are protesters
    ("Protesters", r"\b(?:protest\w*|rall(?:y|ies|ied)|march(?:ed|es|ing)?|demonstrat\w*|discontent)\b"),
]
# what a count of things looks like when no kind fits: a plural noun after at most two modifiers
# ("three main international airports"), a unit joined by a hyphen ("an 18-kilometre journey"), or
# "eight of us"; such a figure is proposed with kind Other for the reviewer to refine
_COUNTED = re.compile(
    r"^(?:-[a-z]+\b|\s+of\s+(?:us|them|these|those|you)\b|(?:\s+[a-z][\w’'-]*){0,2}\s+[a-z][\w’'-]*[^s\W]s\b)",
    re.IGNORECASE,
)
_LOOTING = re.compile(r"\b(?:looted|ransacked|robbed|plundered|pillaged)\b", re.IGNORECASE)
_CURRENCY = re.compile(r"^\s*(?:tenge|dollars|rubles|roubles|euros)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    start: int  # offsets in the text searched
    end: int
    value: int | float | None
    kind: str
    qualifier: str | None
    quantity_text: str
    unit: str | None


def number_value(words: str) -> int | float | None:
    """Digits, number words and scales as a number: "8.5 billion" → 8500000000, "Eighty" → 80."""
    words = words.lower().replace("$", "").strip()
    for phrase, _, value in _VAGUE:
        if re.fullmatch(phrase, words):
            return value
    total: float = 0
    for part in re.split(r"[\s-]+|(?<=\d)(?=bn|mn|m\b)", words):
        if not part:
            continue
        if part in _SCALES:
            total = (total or 1) * _SCALES[part]
        elif part in _UNITS:
            total = total * 100 if part == "hundred" and total else total + _UNITS[part]
        else:
            try:
                total += float(part.replace(",", ""))
            except ValueError:
                return None
    return int(total) if float(total).is_integer() else total


def _kind(tail: str, clause: str, money: bool, context: str = "") -> tuple[str, str | None] | None:
    if money:
        return ("Damage" if re.search(r"\b(damage|losses|worth)\b", clause, re.IGNORECASE) else "Money"), None
    tail = tail.lstrip(" -")
    # "38 of its 68 outlets", "most of the fatalities": what is counted comes after "of"
    tail = re.sub(r"^of\s+(?:the|its|their|these|those)\s+(?:[\d,]+\s+)?", "", tail, flags=re.IGNORECASE)
    if re.match(r"(?:cases|investigations|proceedings)\b", tail, re.IGNORECASE):
        # "Of these, 45 cases concerned ...": the kind of cases the text just counted
        for kind, unit, pattern in _NOUN_KINDS:
            if unit == "cases" and re.search(pattern, context, re.IGNORECASE):
                return kind, unit
    for kind, unit, pattern in _NOUN_KINDS:
        if re.match(pattern, tail, re.IGNORECASE):
            if kind == "Stores" and _LOOTING.search(clause):
                return "LootedStores", unit
            if kind == "Duration" and (
                duration := re.match(r"-?(day|week|month|year|hour|decade)", tail, re.IGNORECASE)
            ):
                word = duration.group(1).lower()
                return kind, word + ("" if tail.lower().startswith(word + "-") else "s")
            return kind, unit
    if (
        re.match(r"(?:[\w’'-]+\s+){0,3}" + _PEOPLE + r"\b", tail, re.IGNORECASE)
        or not tail.strip()
        or re.match(r"(?:were|had|have|are|was)\b", tail, re.IGNORECASE)
    ):
        for kind, pattern in _CLAUSE_KINDS:
            if re.search(pattern, clause, re.IGNORECASE):
                return kind, "people"
        # "Rallies continued to be peaceful. Thousands of people remained in the squares": the
        # people a sentence counts right after one about rallies are the rallies' protesters
        kind, pattern = _CLAUSE_KINDS[-1]
        if re.search(pattern, context, re.IGNORECASE):
            return kind, "people"
    return None


_DURATION = re.compile(r"\b(?:(?P<unit1>day|week|month|year)-?long|(?:a|one)\s+(?P<unit2>day|week|month|year))\b", re.I)


def find_figures(text: str, offset: int = 0, context: str = "") -> list[Figure]:
    """The figures of one sentence (``offset``: where the sentence starts in the article;
    ``context``: the sentence before, for what an elliptic count counts: "Of these, 45 cases")."""
    found: list[Figure] = []
    for match in _DURATION.finditer(text):
        unit = (match.group("unit1") or match.group("unit2")).lower()
        found.append(Figure(offset + match.start(), offset + match.end(), 1, "Duration", None, match.group(0), unit))
    for match in FIGURE.finditer(text):
        number, tail = match.group("num"), match.group("tail") or ""
        before = text[max(0, match.start() - 12) : match.start()].lower()
        if re.search(r"\b(" + _MONTHS + r")\s*$", before) or re.match(r"\s*(" + _MONTHS + r")\b", tail, re.IGNORECASE):
            continue  # a day of the month
        if re.fullmatch(r"(19|20)\d\d", number):
            continue  # a year
        if re.search(r"\b(aged|age|between|page|article|part|no\.|number)\s*$", before):
            continue
        lowered = number.lower()
        vague = next(((q, v) for p, q, v in _VAGUE if re.fullmatch(p, lowered)), None)
        # "2-3bn", "five or six": a range is no single number (kept as words, with no value)
        ranged = bool(re.search(r"\d\s*[-–]\s*\d|\sor\s", lowered))
        currency = _CURRENCY.match(tail)
        money = number.startswith("$") or currency is not None
        kind = _kind(tail if not currency else "", text, money, context)
        qualifier = None
        if match.group("qual"):
            written = match.group("qual").strip().lower()
            qualifier = dict(_QUALIFIERS).get(written)
        if kind is None and found and re.match(r"\s*[–—-]\s", tail):
            kind = (found[-1].kind, found[-1].unit)  # "45 cases of terrorism, 36 – mass unrest": the list's kind
        counted = (
            _COUNTED.match(tail)
            if lowered != "one"
            # "at least one police chief": one thing, singular; a bare "one" is mostly a pronoun
            else (re.match(r"^(?:\s+[a-z][\w’'-]*){1,2}\b", tail, re.IGNORECASE) if qualifier else None)
        )
        if kind is None and not vague and counted:
            noun = counted.group(0).strip(" -").split()[-1].lower()
            kind = ("Other", "people" if noun in ("us", "them", "these", "those", "you") else noun)
        if kind is None:
            continue
        if (
            vague
            and vague[1] is None
            and not re.match(r"\s+(?:of\s+(?:the|its|their|these|those|them)\b|[a-z]+\b)", tail, re.IGNORECASE)
        ):
            continue  # "many", "most", "dozens" count something only when a noun follows
        if vague and vague[0]:
            qualifier = vague[0]
        value = None if (vague and vague[1] is None) or ranged else number_value(number)
        if value is None and not qualifier and not ranged:
            continue
        unit = kind[1]
        if kind[0] == "Duration" and unit and value not in (None, 1) and not unit.endswith("s"):
            unit += "s"  # "three-decade-long": 3 decades
        if number.startswith("$"):
            unit = "USD"
        elif currency:
            unit = {"tenge": "KZT", "dollars": "USD", "rubles": "RUB", "roubles": "RUB", "euros": "EUR"}[
                currency.group(0).strip().lower()
            ]
        start = match.start()
        end = match.end("num")
        if currency and not number.startswith("$"):
            end += currency.end()
        found.append(Figure(offset + start, offset + end, value, kind[0], qualifier, text[start:end], unit))
    return found
