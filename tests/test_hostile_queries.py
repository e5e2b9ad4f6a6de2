"""Hostile queries: a query holding more than a query may is refused with a
message naming the limit, before any analysis; what is allowed (long NOT
chains, deep nesting, a pasted paragraph) is answered."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import QueryError, Review, ReviewIndex
from searcher.cli import main
from searcher.errors import IndexDamagedError
from searcher.query import MAX_QUERY_CHARS, MAX_QUERY_DEPTH, MAX_QUERY_WORDS

MOVIE = {  # reviews saying 영화 (film), and the others
    "film-actor": "배우들 연기가 좋았던 영화",
    "film-story": "스토리가 탄탄한 영화였다",
    "film-music": "음악이 아름다운 영화",
    "drama": "드라마 주인공의 연기가 좋았다",
    "book": "원작 소설이 더 재미있다",
}
WITH_FILM = {"film-actor", "film-story", "film-music"}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> ReviewIndex:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("hostile"))
    ix.add(Review(id=key, body=body) for key, body in MOVIE.items())
    return ix


def ids(results) -> set[str]:
    return {hit.id for hit in results}


TOO_LONG = "영화 " * (MAX_QUERY_CHARS // 3 + 1)
OVER_LIMITS = [
    (TOO_LONG, f"too long: {len(TOO_LONG):,} characters, at most {MAX_QUERY_CHARS:,}"),
    ("영화 " * (MAX_QUERY_WORDS + 1), f"too many words: {MAX_QUERY_WORDS + 1} words and operators, at most"),
    ("-" * MAX_QUERY_WORDS + "영화", f"too many words: {MAX_QUERY_WORDS + 1} words and operators"),
    ("(" * (MAX_QUERY_DEPTH + 1) + "영화" + ")" * (MAX_QUERY_DEPTH + 1), f"{MAX_QUERY_DEPTH + 1} levels, at most"),
    ("(" * 250 + "영화", "nests parentheses too deeply: 250 levels"),
]


@pytest.mark.parametrize("query, message", OVER_LIMITS, ids=["chars", "words", "signs", "depth", "unclosed"])
def test_a_query_over_a_limit_is_refused_naming_it(small: ReviewIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        small.search(query)


def test_not_chains_within_the_limits_are_answered(small: ReviewIndex) -> None:
    # an even number of NOTs keeps the reviews with the word, an odd number the others
    assert ids(small.search("NOT " * (MAX_QUERY_WORDS - 2) + "영화", 10)) == WITH_FILM
    assert ids(small.search("NOT " * (MAX_QUERY_WORDS - 3) + "영화", 10)) == set(MOVIE) - WITH_FILM
    assert ids(small.search("-" * (MAX_QUERY_WORDS - 1) + "영화", 10)) == set(MOVIE) - WITH_FILM
    assert ids(small.search("연기 " + "NOT " * 300 + "영화", 10)) == {"film-actor"}
    assert ids(small.search("연기 " + "NOT " * 301 + "영화", 10)) == {"drama"}


def test_nesting_up_to_the_limit_is_answered(small: ReviewIndex) -> None:
    deep = MAX_QUERY_DEPTH
    assert ids(small.search("(" * deep + "영화" + ")" * deep, 10)) == WITH_FILM
    assert ids(small.search("NOT (" * deep + "영화" + ")" * deep, 10)) == WITH_FILM  # an even number of NOTs
    mixed = "(연기 AND " * (deep - 1) + "(영화 OR 드라마" + ")" * deep
    assert ids(small.search(mixed, 10)) == {"film-actor", "drama"}
    assert ids(small.search("영화 ) " * (MAX_QUERY_WORDS // 2), 10)) == WITH_FILM  # stray ')' closing nothing


def test_a_pasted_paragraph_finds_its_review(seed_index: ReviewIndex) -> None:
    for review in seed_index.reviews():
        paragraph = max(review.body.split("\n"), key=len)
        assert seed_index.search(paragraph, 1)[0].id == review.id


def test_cli_query_over_a_limit_is_one_line(small: ReviewIndex) -> None:
    query = "(" * 250 + "영화" + ")" * 250
    result = CliRunner().invoke(main, ["query", query, "--index", str(small.path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: the query nests parentheses too deeply: 250 levels, at most {MAX_QUERY_DEPTH}; "
        "remove the parentheses that group a single part\n"
    )


def test_shell_goes_on_after_hostile_queries(small: ReviewIndex, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # the history file goes here
    hostile = ["(" * 250 + "영화" + ")" * 250, "가 " * 600, "x" * 100_000, "NOT " * 300 + "영화"]
    result = CliRunner().invoke(main, ["shell", "--index", str(small.path)], input="\n".join(hostile + ["원작", ""]))
    assert result.exit_code == 0, result.output
    assert "nests parentheses too deeply" in result.output
    assert "too many words" in result.output and "too long: 100,000 characters" in result.output
    assert "3 of 3 matching reviews for NOT NOT" in result.output
    assert "1 of 1 matching reviews for 원작" in result.output  # the last query, after all the others


def test_a_search_failing_for_another_reason_is_not_called_damage(small: ReviewIndex) -> None:
    # a limit that is no whole number fails in the search itself: nothing is wrong with the index
    with pytest.raises(Exception) as raised:
        small.search("영화", limit=2.5)
    assert not isinstance(raised.value, IndexDamagedError)
