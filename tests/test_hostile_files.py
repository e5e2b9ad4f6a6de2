"""Hostile source files (issue 18): a bad record, byte, quote or page costs itself, never the run.

Each test reads a small file made in ``tmp_path`` through :func:`read_file`, the
readers' public entry; the last one indexes them all with ``ReviewIndex.add_paths``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_records import problems, read, write

# ---------------------------------------------------------- numbers past Python's limits

#: A rating past float's range, and a number past Python's int-string conversion limit (4,300 digits).
HUGE_RATING, HUGE_NUMBER = "9" * 400, "7" * 5000
RATING_SHOWN = "cannot read rating '" + "9" * 40 + "…'"


@pytest.mark.parametrize("whole", [True, False], ids=["array", "wrapped-array"])
def test_json_numbers_too_big_for_python_keep_the_review(tmp_path: Path, whole: bool) -> None:
    # an array is parsed in one piece, the array inside an object piece by piece; a
    # number longer than the 16 KiB the piece-by-piece reader takes at a time is read too
    records = (
        f'{{"body": "하나", "rating": {HUGE_RATING}}},\n'
        f'{{"body": "둘", "rating": 8, "count": {HUGE_NUMBER}}},\n'
        f'{{"body": "셋", "views": {"1" * 40_000}}}'
    )
    text = f"[{records}]" if whole else f'{{"reviews": [{records}]}}'
    reviews, errors = read(write(tmp_path, "big-numbers.json", text))
    assert [(r.body, r.rating) for r in reviews] == [("하나", None), ("둘", 8.0), ("셋", None)]
    assert reviews[1].extra == {"count": HUGE_NUMBER} and reviews[2].extra == {"views": "1" * 40_000}
    assert problems(errors) == [(1, RATING_SHOWN, False)]


def test_json_lines_numbers_too_big_for_python(tmp_path: Path) -> None:
    lines = [
        f'{{"body": "하나", "rating": {HUGE_RATING}}}',
        f'{{"body": "둘", "rating": {HUGE_NUMBER}}}',
        f'{{"body": "셋", "n": {HUGE_NUMBER}}}  {{"body": "넷"}}',
        '{"body": "다섯", "rating": 1e999}',
    ]
    reviews, errors = read(write(tmp_path, "big-numbers.jsonl", "\n".join(lines)))
    assert [(r.body, r.rating) for r in reviews] == [("하나", None), ("둘", None), ("다섯", None)]
    assert problems(errors) == [
        (1, RATING_SHOWN, False),
        (2, "cannot read rating '" + "7" * 40 + "…'", False),
        (3, f"not JSON: Extra data (column {len(lines[2]) - 12})", True),
        (4, "cannot read rating 'inf'", False),
    ]


def test_csv_rating_of_thousands_of_digits(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", f"review,rating\n좋다,{HUGE_NUMBER}\n별로,2\n")
    reviews, errors = read(path)
    assert [(r.body, r.rating) for r in reviews] == [("좋다", None), ("별로", 2.0)]
    assert problems(errors) == [(2, "cannot read rating '" + "7" * 40 + "…'", False)]


def test_page_with_json_ld_nested_too_deeply(tmp_path: Path) -> None:
    # the JSON-LD block is left out like one that is not JSON; the page is read
    deep = "[" * 5_000 + "]" * 5_000  # past Python's recursion limit (1,000)
    page = (
        f'<html><head><title>소금빵 후기</title><script type="application/ld+json">{deep}</script></head>'
        "<body><article><p>소금빵이 정말 맛있었어요. 버터 향이 진하고 겉은 바삭했습니다.</p></article></body></html>"
    )
    [review], errors = read(write(tmp_path, "deep.html", page))
    assert errors == [] and review.title == "소금빵 후기"
    assert review.body == "소금빵이 정말 맛있었어요. 버터 향이 진하고 겉은 바삭했습니다."
