"""Dates as Korean sources write them, read into :class:`datetime.date`.

Blogs, shops and exports write the same day as ``2025-04-02``, ``2025. 4. 2.``,
``2025년 4월 2일``, ``25.04.02``, ``20250402`` or an ISO date-time. Only the
calendar date is kept: a date-time's time and zone are ignored (no conversion),
because a review's day is what the source printed.

A search takes a day, a month or a year (:func:`parse_period`), in ``date:``
and in ``--since`` / ``--until`` alike.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re

#: An optional time and zone after the date (ISO ``T10:30:00+09:00``, ``Z``; Naver's ``2025. 4. 2. 14:05``).
_TIME = r"(?:[T ]\s*(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?)?"
_FORMS = [
    # 2025-04-02, 2025/04/02, 2025.04.02, 2025. 4. 2., 15.05.23 (same separator twice), then a time
    re.compile(r"(?P<y>\d{4}|\d{2})\s*(?P<sep>[-./])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})\.?" + _TIME),
    re.compile(r"(?P<y>\d{4})\s*년\s*(?P<m>\d{1,2})\s*월\s*(?P<d>\d{1,2})\s*일"),
    re.compile(r"(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})"),
]


def parse_date(text: str) -> _dt.date | None:
    """The date ``text`` writes, or None when it is not a date in a known form or not a real day.

    A two-digit year YY is 20YY, unless that year is still to come, then 19YY.
    """
    return _parse(text.strip(), _dt.date.today().year)


@functools.lru_cache(maxsize=4096)
def _parse(text: str, this_year: int) -> _dt.date | None:
    """parse_date of stripped text in ``this_year``. Kept: a collection's reviews share few dates."""
    for form in _FORMS:
        match = form.fullmatch(text)
        if match:
            return _make_date(match["y"], match["m"], match["d"], this_year)
    return None


def _make_date(year: str, month: str, day: str, this_year: int) -> _dt.date | None:
    full_year = int(year)
    if len(year) == 2:
        full_year += 2000 if 2000 + full_year <= this_year else 1900
    try:
        return _dt.date(full_year, int(month), int(day))
    except ValueError:
        return None


#: A month or a year, as a search takes them: 2025-04, 2025.4, 2025/04, 2025년 4월, 2025년, 2025.
_PERIODS = [
    re.compile(r"(?P<y>\d{4})(?:\s*[-./]\s*(?P<m>\d{1,2})\.?)?"),
    re.compile(r"(?P<y>\d{4})\s*년(?:\s*(?P<m>\d{1,2})\s*월)?"),
]
#: How to write what parse_period reads, for messages.
PERIOD_FORMS = "YYYY-MM-DD, YYYY-MM or YYYY"


def parse_period(text: str) -> str | None:
    """The day, month or year ``text`` writes, as the ISO text the dates of its
    days start with ("2025-04-02", "2025-04", "2025"); None when it is none."""
    day = parse_date(text)
    if day is not None:
        return day.isoformat()
    for form in _PERIODS:
        match = form.fullmatch(text.strip())
        if match:
            if match["m"] is None:
                return match["y"]
            return f"{match['y']}-{int(match['m']):02d}" if 1 <= int(match["m"]) <= 12 else None
    return None


def period_end(period: str) -> str:
    """A period from parse_period as the upper end of a range of ISO dates: a month or a year includes all its days."""
    return period if len(period) == 10 else period + "-99"


#: Seconds since 1970 (10 digits: 2001 to 2286) or milliseconds (13 digits), as exports such as
#: Steam's ``timestamp_created`` write them; a fraction of a second may follow.
_EPOCH = re.compile(r"(?P<seconds>\d{10})(?:\.\d+)?|(?P<milliseconds>\d{13})")


def parse_timestamp(text: str) -> _dt.date | None:
    """The local day of an epoch timestamp in seconds or milliseconds (see _EPOCH), or None when
    ``text`` is no such number. An 8-digit number is a date (20250402), never a timestamp."""
    match = _EPOCH.fullmatch(text.strip())
    if match is None:
        return None
    seconds = int(match["seconds"]) if match["seconds"] else int(match["milliseconds"]) // 1000
    return _dt.date.fromtimestamp(seconds)


#: How shops and apps print a review's age instead of its date: 방금 전, 17시간 전, 3주 전, 2달 전, 어제.
_RELATIVE = re.compile(r"방금(?:\s*전)?|어제|그저께|그제|오늘|\d+\s*(?:초|분|시간|일|주|개월|달|년)\s*전")


def is_relative_date(text: str) -> bool:
    """Whether ``text`` is a review's age (``3주 전``) rather than its date: it cannot be placed
    in time without knowing when the page was saved."""
    return _RELATIVE.fullmatch(text.strip()) is not None
