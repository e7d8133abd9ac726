"""Dates in the text, resolved against the article's own date only where the words fix a day.

"on January 9" in an article of 2022-01-09 is 2022-01-09 (year from the article); "on Sunday" is
the last Sunday on or before the article's date; "yesterday" the day before it. Anything vaguer
("the next day", "in the last two days", "since that time") stays words (``date_text``) with no
day, as data/README.md asks: a date is never guessed.
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
            r"\b(?:the\s+(?:next|following|previous)\s+day|the\s+day\s+before|the\s+same\s+day|"
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


def find_dates(text: str, article_date: dt.date | None, offset: int = 0) -> list[DateMention]:
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
                year = (
                    int(match.group("year")) if match.group("year") else (article_date.year if article_date else None)
                )
                if year:
                    try:
                        day = dt.date(year, MONTHS.index(match.group("month").lower()) + 1, int(match.group("day")))
                    except ValueError:
                        day = None
            elif kind == "wd" and article_date and not words.lower().startswith("last"):
                back = (article_date.weekday() - WEEKDAYS.index(match.group("weekday").lower())) % 7
                day = article_date - dt.timedelta(days=back)
            elif kind == "rel" and article_date:
                day = article_date - dt.timedelta(days=1 if match.group("rel").lower() == "yesterday" else 0)
            taken.append((match.start(), match.end()))
            found.append(DateMention(offset + match.start(), offset + match.end(), words, day))
    return sorted(found, key=lambda m: m.start)
