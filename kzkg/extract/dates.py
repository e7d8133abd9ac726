"""Dates in the text, resolved against the article's own date only where the words fix a day.

"on January 9" in an article of 2022-01-09 is 2022-01-09 (year from the article); "on Sunday" is
the last Sunday on or before the article's date; "yesterday" the day before it. "The same day",
"the next day" and "the day before" resolve against the day the text named just before (the
drafter passes it as ``anchor``), and stay words without one. An undated article's "January 7"
takes its year from the latest date the text states ("bne magazine February 2022"), else from the
known events it reports. Anything vaguer ("in the last two days", "since that time") stays words
(``date_text``) with no day, as data/README.md asks: a date is never guessed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_M = "|".join(MONTHS)
_W = "|".join(WEEKDAYS)
_LEAD = (
    r"(?:(?:on|by|since|from|until|during|before|after)\s+)?"
    r"(?:(?:the\s+)?(?:night|morning|evening|afternoon|end)\s+of\s+)?"
)
_PATTERNS = [
    (
        "md",
        re.compile(
            r"\b"
            + _LEAD
            + r"(?P<month>"
            + _M
            + r")\s+(?P<day>\d{1,2})(?:\s*[-–]\s*\d{1,2})?(?:st|nd|rd|th)?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
            re.I,
        ),
    ),
    (
        "dm",
        re.compile(
            r"\b"
            + _LEAD
            + r"(?P<day>\d{1,2})(?:\s*[-–]\s*\d{1,2})?(?:st|nd|rd|th)?\s+(?P<month>"
            + _M
            + r")(?:,?\s+(?P<year>(?:19|20)\d\d))?\b",
            re.I,
        ),
    ),
    ("wd", re.compile(r"\b(?:on\s+|last\s+)?(?P<weekday>" + _W + r")\b", re.I)),
    ("rel", re.compile(r"\b(?P<rel>yesterday|today)\b", re.I)),
    (
        "vague",
        re.compile(
            r"\b(?:(?:on\s+)?the\s+(?:next|following|previous)\s+day|the\s+day\s+before|(?:on\s+)?the\s+same\s+day|"
            r"(?:in|over)\s+the\s+(?:last|past)\s+(?:few|two|three|several)\s+days|"
            r"(?:earlier|later)\s+(?:this|that)\s+(?:week|month)|last\s+week|this\s+week|"
            r"since\s+that\s+time|within\s+hours|(?:on\s+)?the\s+(?:first|second|third)\s+day|to\s+date|"
            r"(?:this|that)\s+(?:morning|evening|afternoon))\b",
            re.I,
        ),
    ),
]


@dataclass(frozen=True)
class DateMention:
    start: int
    end: int
    text: str
    date: dt.date | None  # a day only where the words fix it


_SAME_DAY = re.compile(r"the\s+same\s+day", re.I)
_NEXT_DAY = re.compile(r"the\s+(?:next|following)\s+day", re.I)
_DAY_BEFORE = re.compile(r"the\s+(?:previous\s+day|day\s+before)", re.I)


def reference_date(text: str) -> dt.date | None:
    """The latest date the text states with its year ("February 2022", "January 9, 2022"): for an
    undated article, a day written without a year ("on January 7") is the last one before it."""
    latest = None
    for match in re.finditer(r"\b(" + _M + r")\s+(?:(\d{1,2}),?\s+)?((?:19|20)\d\d)\b", text, re.I):
        month, year = MONTHS.index(match.group(1).lower()) + 1, int(match.group(3))
        try:
            day = (
                dt.date(year, month, int(match.group(2)))
                if match.group(2)
                else dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
            )
        except ValueError:
            continue
        latest = max(latest, day) if latest else day
    return latest


def _year(
    month: int, day: int, article_date: dt.date | None, reference: dt.date | None, nearest: bool = False
) -> int | None:
    if article_date:
        return article_date.year
    if reference and nearest:
        # the year that puts the day closest to the reference (the known events the text reports)
        def distance(year: int) -> int:
            try:
                return abs((dt.date(year, month, day) - reference).days)
            except ValueError:
                return 10**6

        return min((reference.year - 1, reference.year, reference.year + 1), key=distance)
    if reference:
        return reference.year if (month, day) <= (reference.month, reference.day) else reference.year - 1
    return None


def find_dates(
    text: str,
    article_date: dt.date | None,
    offset: int = 0,
    anchor: dt.date | None = None,
    reference: dt.date | None = None,
    nearest: bool = False,
) -> list[DateMention]:
    """The date mentions of ``text``. ``anchor``: the day the text just before named, against which
    "the same day", "the next day" and "the day before" resolve (without one they stay words);
    ``reference``: for an undated article, the latest date it states (see reference_date), a day
    without a year being the last one before it; with ``nearest``, the date of the known events it
    reports, a day without a year being the one nearest to it."""
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(match.start() < e and s < match.end() for s, e in taken):
                continue
            day = None
            words = match.group(0)
            vague_lead = re.match(
                r"(?:by|since|from|until|during|before|after)\b|(?:on\s+)?(?:the\s+)?(?:night|morning|evening|afternoon|end)",
                words,
                re.I,
            )
            ranged = re.search(r"\d\s*[-–]\s*\d", words)
            if kind in ("md", "dm") and not vague_lead and not ranged:
                month = MONTHS.index(match.group("month").lower()) + 1
                year = (
                    int(match.group("year"))
                    if match.group("year")
                    else _year(month, int(match.group("day")), article_date, reference, nearest)
                )
                if year:
                    try:
                        day = dt.date(year, month, int(match.group("day")))
                    except ValueError:
                        day = None
            elif kind == "wd" and article_date and not words.lower().startswith("last"):
                back = (article_date.weekday() - WEEKDAYS.index(match.group("weekday").lower())) % 7
                day = article_date - dt.timedelta(days=back)
            elif kind == "rel" and article_date:
                day = article_date - dt.timedelta(days=1 if match.group("rel").lower() == "yesterday" else 0)
            elif kind == "vague" and anchor:
                if _SAME_DAY.search(words):
                    day = anchor
                elif _NEXT_DAY.search(words):
                    day = anchor + dt.timedelta(days=1)
                elif _DAY_BEFORE.search(words):
                    day = anchor - dt.timedelta(days=1)
            taken.append((match.start(), match.end()))
            found.append(DateMention(offset + match.start(), offset + match.end(), words, day))
    return sorted(found, key=lambda m: m.start)
