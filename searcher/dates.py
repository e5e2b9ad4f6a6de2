"""Dates as Korean sources write them, read into :class:`datetime.date`.

Blogs, shops and exports write the same day as ``2025-04-02``, ``2025. 4. 2.``,
``2025년 4월 2일``, ``25.04.02``, ``20250402`` or an ISO date-time. Only the
calendar date is kept: a date-time's time and zone are ignored (no conversion),
because a review's day is what the source printed.
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
