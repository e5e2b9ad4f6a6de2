from __future__ import annotations

import datetime as dt

import pytest

from searcher.dates import parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-11-05", dt.date(2025, 11, 5)),
        ("2025. 4. 2.", dt.date(2025, 4, 2)),
        ("2025. 4. 2", dt.date(2025, 4, 2)),
        ("2025.04.02", dt.date(2025, 4, 2)),
        ("2025/04/02", dt.date(2025, 4, 2)),
        ("2025년 4월 2일", dt.date(2025, 4, 2)),
        ("2025년4월2일", dt.date(2025, 4, 2)),
        ("15.05.23", dt.date(2015, 5, 23)),
        ("99.12.31", dt.date(1999, 12, 31)),
        ("2025-04-02T10:30:00+09:00", dt.date(2025, 4, 2)),
        ("2025-04-02T23:30:00-05:00", dt.date(2025, 4, 2)),  # no zone conversion
        ("2025-04-02 10:30:00", dt.date(2025, 4, 2)),
        ("2025-04-02T10:30:00Z", dt.date(2025, 4, 2)),
        ("2025-04-02T10:30:00.123456Z", dt.date(2025, 4, 2)),
        ("2025. 4. 2. 14:05", dt.date(2025, 4, 2)),  # Naver blog style
        ("20250402", dt.date(2025, 4, 2)),
        ("  2025-11-05 \n", dt.date(2025, 11, 5)),
        ("2024-02-29", dt.date(2024, 2, 29)),
    ],
)
def test_known_forms(text: str, expected: dt.date) -> None:
    assert parse_date(text) == expected


def test_two_digit_year_not_in_the_future() -> None:
    this_year = dt.date.today().year
    past = this_year % 100
    future = (this_year + 1) % 100
    assert parse_date(f"{past:02d}.01.15") == dt.date(2000 + past, 1, 15)
    assert parse_date(f"{future:02d}.01.15") == dt.date(1900 + future, 1, 15)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "2025-02-30",  # not a day of the calendar
        "2023-02-29",
        "2025-13-01",
        "2025. 4. 32.",
        "2025년 2월 30일",
        "20250230",
        "2025-04/02",  # mixed separators
        "2025-04-02T25:00:00",
        "April 2, 2025",
        "2025",
        "어제",
        "2025-04-02 그리고 더",
    ],
)
def test_not_a_date(text: str) -> None:
    assert parse_date(text) is None
