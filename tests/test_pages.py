"""Sorting, pages, grouping, explain and similar reviews, over a real index of
300 NSMC reviews (three films, ratings, dates, authors), through the library
and the command line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import QueryError, ReviewIndex
from searcher.cli import main
from searcher.settings import SearchSettings

SAMPLE = Path(__file__).resolve().parent / "data" / "nsmc-sample"
#: Queries whose first tier (every word) is short of the pages read, so pages cross tiers.
QUERIES = ("영화 최고", "재미 없다", "연기 배우", "영화")


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pages") / "ix"
    with ReviewIndex.create(folder) as ix:
        assert ix.add_paths([SAMPLE]).reviews_indexed == 300
    return folder


@pytest.fixture(scope="module")
def ix(index_dir: Path) -> ReviewIndex:
    with ReviewIndex.open(index_dir) as opened:
        yield opened


def ids(results) -> list[str]:
    return [hit.id for hit in results]


def cli(index_dir: Path, *args: str):
    return CliRunner().invoke(main, [*args, "--index", str(index_dir)])


# ------------------------------------------------------------------ sorting


@pytest.mark.parametrize("sort", ["rating", "date"])
def test_sorted_by_rating_or_date_highest_first_and_reversed_lowest_first(ix: ReviewIndex, sort: str) -> None:
    key = (lambda hit: hit.review.rating) if sort == "rating" else (lambda hit: hit.review.date)
    highest = ix.search("영화", 100, sort=sort, passages_per_hit=0)
    lowest = ix.search("영화", 100, sort=sort, reverse=True, passages_per_hit=0)
    assert len(highest) == len(lowest) == highest.total == 40
    assert [key(h) for h in highest] == sorted((key(h) for h in highest), reverse=True)
    assert [key(h) for h in lowest] == sorted(key(h) for h in lowest)
    assert key(highest[0]) > key(lowest[0])
    # ties: the best first, the same order every time
    for results in (highest, lowest):
        for a, b in zip(results, results[1:]):
            if key(a) == key(b):
                assert a.score >= b.score
    assert ids(ix.search("영화", 100, sort=sort, passages_per_hit=0)) == ids(highest)


def test_reverse_needs_a_sort_by_date_or_rating(ix: ReviewIndex, index_dir: Path) -> None:
    with pytest.raises(QueryError, match="reverse"):
        ix.search("영화", reverse=True)
    result = cli(index_dir, "query", "영화", "--reverse")
    assert result.exit_code == 2 and "--sort date" in result.output
    result = cli(index_dir, "query", "영화", "--sort", "rating", "--reverse", "--json", "-n", "3")
    assert result.exit_code == 0
    assert [h["id"] for h in json.loads(result.output)["hits"]] == ids(ix.search("영화", 3, sort="rating", reverse=True))


# -------------------------------------------------------------------- pages


@pytest.mark.parametrize("depth", [4, 30])
def test_pages_put_together_are_one_long_page(index_dir: Path, depth: int) -> None:
    """Across the two tiers and several re-ranking windows (of 4 and of 30): no
    review twice, none skipped, and every page's total is the number of matches."""
    with ReviewIndex.open(index_dir, settings=SearchSettings(rerank_depth=depth)) as ix:
        for query in QUERIES:
            whole = ix.search(query, 100, passages_per_hit=0)
            assert len(whole) == whole.total > 10
            pages = [ix.search(query, 7, offset=at, passages_per_hit=0) for at in range(0, whole.total, 7)]
            assert [hit.id for page in pages for hit in page] == ids(whole), query
            assert {page.total for page in pages} == {whole.total}
            assert [hit.score for page in pages for hit in page] == [hit.score for hit in whole]


def test_pages_sorted_by_date_put_together_are_one_long_page(ix: ReviewIndex) -> None:
    whole = ix.search("재미 없다", 100, sort="date", passages_per_hit=0)
    pages = [hit.id for at in range(0, whole.total, 5) for hit in ix.search("재미 없다", 5, sort="date", offset=at)]
    assert pages == ids(whole)


def test_a_page_past_the_end_is_empty_in_the_library_and_said_so_by_the_command(ix: ReviewIndex, index_dir: Path) -> None:
    past = ix.search("영화", 10, offset=40)
    assert len(past) == 0 and past.total == 40 and past.offset == 40
    result = cli(index_dir, "query", "영화", "--page", "5")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "no hits from 41 on" in result.output and "40 matching reviews" in result.output and "--page" in result.output
    result = cli(index_dir, "query", "영화", "--page", "4", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["offset"] == 30 and data["total"] == 40 and len(data["hits"]) == 10
    assert [h["id"] for h in data["hits"]] == ids(ix.search("영화", 10, offset=30))
    result = cli(index_dir, "query", "영화", "--page", "2", "--offset", "3")
    assert result.exit_code == 2 and "--page or --offset" in result.output
    assert cli(index_dir, "query", "영화", "--page", "0").exit_code == 2


def test_the_terminal_numbers_a_page_from_its_offset(index_dir: Path) -> None:
    result = cli(index_dir, "query", "영화", "--page", "2", "-n", "3", "--color", "never")
    assert result.exit_code == 0 and result.output.startswith("4–6 of 40 matching reviews for 영화")
    assert "\n4. " in result.output and "\n6. " in result.output and "\n1. " not in result.output


# ----------------------------------------------------------------- grouping


@pytest.mark.parametrize("field", ["item", "author"])
def test_grouped_the_best_review_of_each_group_with_its_count(ix: ReviewIndex, field: str) -> None:
    query = "재미 없다"
    every = ix.search(query, 300, passages_per_hit=0)
    value = (lambda hit: hit.review.item) if field == "item" else (lambda hit: hit.review.author)
    counts = Counter(value(hit) for hit in every)
    best = list({value(hit): hit.id for hit in reversed(every.hits)}.items())  # each group's first hit
    best.sort(key=lambda group: ids(every).index(group[1]))
    grouped = ix.search(query, 5, group=field, passages_per_hit=0)
    assert grouped.total == every.total and grouped.groups == len(counts)
    assert ids(grouped) == [hit for _, hit in best[:5]]
    assert [(h.group["by"], h.group["value"], h.group["count"]) for h in grouped] == [
        (field, v, counts[v]) for v, _ in best[:5]
    ]
    if field == "author":  # pages of groups too
        rest = ix.search(query, 5, group=field, offset=5, passages_per_hit=0)
        assert ids(rest) == [hit for _, hit in best[5:10]]


def test_grouped_by_item_in_json_and_in_the_terminal(index_dir: Path) -> None:
    result = cli(index_dir, "query", "영화", "--group", "item", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and data["groups"] == 3 and data["total"] == 40
    assert sorted(h["group"]["value"] for h in data["hits"]) == ["104488", "104864", "10494"]
    assert sum(h["group"]["count"] for h in data["hits"]) == 40
    shown = cli(index_dir, "query", "영화", "--group", "item", "--color", "never").output
    assert shown.startswith("3 of 3 items (40 matching reviews) for 영화")
    first = data["hits"][0]["group"]
    assert f"{first['count']} matching reviews of item {first['value']}" in shown
    assert cli(index_dir, "query", "영화", "--group", "title").exit_code == 2


# ------------------------------------------------------------------ explain


def test_explain_adds_up_to_the_score(ix: ReviewIndex) -> None:
    plan = ix.plan("재미 없다")
    results = ix.search("재미 없다", 40, explain=True, passages_per_hit=0)
    tiers = [hit.explain["tier"] for hit in results]
    assert tiers[0] == "strict" and "loose" in tiers and tiers == sorted(tiers, key=["strict", "loose"].index)
    for hit in results:
        why = hit.explain
        assert why["plan"] == str(plan.strict if why["tier"] == "strict" else plan.loose)
        assert why["bm25f"] == pytest.approx(sum(c["score"] for c in why["clauses"]) + why["proximity"], abs=1e-3)
        assert why["bm25f"] * why["rerank"]["factor"] == pytest.approx(hit.score, rel=1e-3)
        assert {c["term"] for c in why["clauses"]} <= {"재미", "없다"}
        # the first tier holds both words; the second one of them
        assert len({c["term"] for c in why["clauses"]}) == (2 if why["tier"] == "strict" else 1)
    near = [hit.explain for hit in results if hit.explain["proximity"] > 0]
    assert near  # 재미가 없다: the words side by side
    for why in near:  # a two-word query's lone proximity bonus weighs near_boost of its words' body scores
        body = sum(c["score"] for c in why["clauses"] if c["field"] == "body")
        assert why["proximity"] == pytest.approx(SearchSettings().near_boost * body, rel=1e-3)
    assert results[0].explain["rerank"]["surface"] > 0
    assert all(hit.explain is None for hit in ix.search("재미 없다", 3))


def test_explain_sorted_by_date_has_no_re_ranking(ix: ReviewIndex) -> None:
    for hit in ix.search("재미", 5, sort="date", explain=True, passages_per_hit=0):
        assert hit.explain["tier"] is None and hit.explain["rerank"] is None
        assert hit.explain["clauses"] and hit.explain["bm25f"] == pytest.approx(hit.score, rel=1e-3)


def test_explain_in_json_and_in_the_terminal(index_dir: Path) -> None:
    data = json.loads(cli(index_dir, "query", "재미 없다", "-n", "2", "--explain", "--json").output)
    assert {"plan", "tier", "bm25f", "clauses", "proximity", "rerank", "score"} <= set(data["hits"][0]["explain"])
    shown = cli(index_dir, "query", "재미 없다", "-n", "2", "--explain", "--color", "never").output
    assert "why: strict tier, BM25F" in shown and "body:재미" in shown and "coverage 1.00" in shown
    assert "plan: (((title:재미" in shown
    assert "why:" not in cli(index_dir, "query", "재미 없다", "-n", "2", "--color", "never").output


# ------------------------------------------------------------------ similar


def test_similar_reviews_share_its_telling_words(ix: ReviewIndex) -> None:
    source = ix.search("id:8837052").hits[0].review
    assert source.body == "너무식상하고재미없음"
    like = ix.similar("8837052", 5)
    assert len(like) == like.total == 4 and "8837052" not in ids(like)
    assert set(like.query.split()) == {"식상", "재미없다"}  # 너무, in more than 5% of the reviews, tells nothing
    assert len(ix.search("너무", 300)) > 300 * 0.05
    assert [h.score for h in like] == sorted((h.score for h in like), reverse=True)
    for hit in like:  # each holds some of its words, highlighted
        assert any(p.highlights for p in hit.passages)
    assert "재미없" in like[0].review.body
    assert len(ix.similar("8837052", 2)) == 2 and ids(ix.similar("8837052", 2)) == ids(like)[:2]


def test_similar_with_an_unknown_id_is_a_clear_error(ix: ReviewIndex, index_dir: Path) -> None:
    with pytest.raises(QueryError, match="no review has the id 'nope'"):
        ix.similar("nope")
    result = cli(index_dir, "similar", "nope")
    assert result.exit_code == 2 and "no review has the id 'nope'" in result.output and "Traceback" not in result.output


def test_similar_from_the_command_line(index_dir: Path, ix: ReviewIndex) -> None:
    result = cli(index_dir, "similar", "8837052", "-n", "3", "--json")
    data = json.loads(result.output)
    assert result.exit_code == 0 and [h["id"] for h in data["hits"]] == ids(ix.similar("8837052", 3))
    shown = cli(index_dir, "similar", "8837052", "-n", "3", "--color", "never").output
    assert "3 of" in shown and "[재미없]" in shown
