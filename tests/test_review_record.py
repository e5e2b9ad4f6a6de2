"""A Review made by a library user: values checked and converted when it is made, errors naming the field."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from searcher import Review, ReviewIndex


def test_a_review_with_a_date_and_rating_as_text_is_indexed_and_found(tmp_path: Path) -> None:
    reviews = [
        Review(id="r1", body="국물이 진하고 따뜻했다", date="2024-05-01", rating="8"),
        Review(id="r2", body="국물이 싱거웠다", date="2024. 6. 2.", rating=3, source=tmp_path / "notes.txt"),
    ]
    with ReviewIndex.create(tmp_path / "ix") as ix:
        ix.add(reviews)
        hits = {hit.id: hit.review for hit in ix.search("국물")}
    assert (hits["r1"].date, hits["r1"].rating) == (dt.date(2024, 5, 1), 8.0)
    r2 = hits["r2"]
    assert (r2.date, r2.rating, r2.source) == (dt.date(2024, 6, 2), 3.0, str(tmp_path / "notes.txt"))


@pytest.mark.parametrize(
    ("given", "field", "value"),
    [
        ({"date": "2024년 5월 1일"}, "date", dt.date(2024, 5, 1)),
        ({"date": dt.datetime(2024, 5, 1, 23, 30)}, "date", dt.date(2024, 5, 1)),
        ({"date": " "}, "date", None),
        ({"rating": " 4.5 "}, "rating", 4.5),
        ({"rating": ""}, "rating", None),
        ({"keywords": ("국물", "면")}, "keywords", ["국물", "면"]),
    ],
)
def test_values_the_readers_would_read_are_converted(given: dict, field: str, value: object) -> None:
    assert getattr(Review(id="r", body="좋다", **given), field) == value


@pytest.mark.parametrize(
    ("given", "error", "message"),
    [
        ({"id": 5}, TypeError, "Review.id must be a non-empty str, not int 5"),
        ({"id": ""}, ValueError, "Review.id must be a non-empty str, not str ''"),
        ({"body": None}, TypeError, "Review.body must be a str, not NoneType None"),
        ({"author": 7}, TypeError, "Review.author must be a str or None, not int 7"),
        ({"date": "어제"}, ValueError, "Review.date '어제' is not a date in a form revsearch reads (2024-05-01, "),
        ({"date": 20240501}, TypeError, "Review.date must be a date, date text or None, not int 20240501"),
        ({"rating": "좋음"}, ValueError, "Review.rating must be a finite number, not str '좋음'"),
        ({"rating": float("inf")}, ValueError, "Review.rating must be a finite number, not float inf"),
        ({"rating": True}, TypeError, "Review.rating must be a number, numeric text or None, not bool True"),
        ({"keywords": "국물, 면"}, TypeError, "Review.keywords must be a list of str, not str '국물, 면'"),
        ({"extra": None}, TypeError, "Review.extra must be a dict, not NoneType None"),
    ],
)
def test_a_wrong_value_is_an_error_naming_the_field(given: dict, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        Review(**{"id": "r", "body": "좋다", **given})
    assert str(caught.value).startswith(message)


def test_a_review_survives_its_dict() -> None:
    review = Review(id="r", body="좋다", date="15.05.23", rating="10", keywords=["맛"], extra={"n": 1})
    assert Review.from_dict(review.to_dict()) == review
