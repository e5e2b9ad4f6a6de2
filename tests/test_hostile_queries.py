"""Hostile queries and reviews: a query holding more than a query may is refused
with a message naming the limit, before any analysis; what is allowed (long NOT
chains, deep nesting, a pasted paragraph) is answered; and the passages of a
huge review are looked for in its head only."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import QueryError, Review, ReviewIndex, highlight
from searcher.cli import main
from searcher.errors import IndexDamagedError
from searcher.highlight import SCAN_CHARS, Wanted, passages
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
    assert result.exit_code == 2
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


def test_passages_of_a_huge_review_are_found_in_its_head(tmp_path: Path) -> None:
    # ㅋ runs are blanked before Kiwi, which keeps the review quick to index
    early, late = "주인공의 연기가 정말 좋았다.", "마지막 장면의 연기도 좋았다."
    body = "ㅋ" * 40_000 + " " + early + " " + "ㅋ" * 20_000 + " " + late
    with ReviewIndex.create(tmp_path) as ix:
        ix.add([Review(id="huge", body=body)])
        (hit,) = ix.search("연기")
    assert body.index(late) > SCAN_CHARS > body.index(early)
    (passage,) = hit.passages  # the sentence past the scanned head is not looked at
    assert passage.text == early and passage.start == body.index(early)
    assert [passage.text[a:b] for a, b in passage.highlights] == ["연기"]


def _lines_run(module, call):
    """``call()``'s result and how many lines of ``module`` it ran (sys.settrace)."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        count += event == "line"
        return local

    sys.settrace(lambda frame, event, arg: local if frame.f_code.co_filename == module.__file__ else None)
    try:
        return call(), count
    finally:
        sys.settrace(None)


def test_passages_cost_no_more_past_the_scanned_head() -> None:
    """Whatever follows the head, the work of choosing passages stays that of
    the head: a review of megabytes is not split into sentences, nor its
    sentences compared with every match."""
    head = "좋은 영화였다. " + "ㅋ" * SCAN_CHARS
    tail = "영화 정말 좋다. 영화 또 보고 싶다.\n" * 30_000  # 600,000 characters
    terms = {"영화"}
    found, lines = _lines_run(highlight, lambda: passages([Wanted(head + tail, terms)]))
    alone, lines_alone = _lines_run(highlight, lambda: passages([Wanted(head, terms)]))
    assert found == alone and found[0][0].text == "좋은 영화였다."
    assert lines == lines_alone


def test_passages_cost_grows_with_the_matches_not_their_square() -> None:
    def lines(sentences: int) -> int:
        return _lines_run(highlight, lambda: passages([Wanted("영화 좋다. " * sentences, {"영화"})]))[1]

    assert lines(2000) < 2.2 * lines(1000)
