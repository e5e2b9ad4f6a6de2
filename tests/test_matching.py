"""The numpy evaluation of queries (searcher.matching) finds and scores what
Whoosh's own matchers do, on an index of several segments with deletions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh import query as wq
from whoosh.collectors import FilterCollector, TopCollector

from searcher import ReviewIndex, matching
from searcher.index import _filter
from searcher.query import parse

SAMPLE = Path(__file__).resolve().parent / "data" / "nsmc-sample"
CORPUS = Path(__file__).resolve().parent.parent / "corpus"

QUERIES = [
    "연기", "배우 연기", "스토리 지루", "감동 눈물", "최고의 영화", "재밌 OR 감동", "배우 연기 스토리",
    '"배우 연기"', "연기 date:[2010-01-01 TO 2013-12-31]", "영화 rating:[9 TO 10]", "영화 rating:[* TO 5]", "영화 date:[* TO 2014-12-31]", "사만다 테오도르",
    "인공지능 외로움", "author:yean****", "정말 재미있는 영화 추천", "NOT 연기", "NOT NOT 연기", "NOT 영화 -연기",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> ReviewIndex:
    """NSMC and seed reviews in several segments (small batches), some deleted."""
    ix = ReviewIndex.create(tmp_path_factory.mktemp("matching"))
    ix.add_paths([SAMPLE, CORPUS], batch_size=90)
    deleted = [r["review_id"] for f in sorted(SAMPLE.glob("*.json")) for r in json.loads(f.read_text())][::7]
    assert ix.delete(deleted) == len(deleted)
    searcher = ix._current_searcher()
    assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
    return ix


def _whoosh_top(s, q, limit, allow):
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    if allow is not None:
        collector = FilterCollector(collector, allow=allow)
    s.search_with_collector(q, collector)
    results = collector.results()
    return [(hit.docnum, hit.score) for hit in results], len(results)


@pytest.mark.parametrize("query", QUERIES)
def test_matches_and_scores_are_whooshs(index: ReviewIndex, query: str) -> None:
    s = index._current_searcher()
    compiled = parse(query, index.analyzer)
    for q in (compiled.strict, compiled.loose):
        for allow in (None, _filter(None, "2014-01-01", None)):
            expected, expected_total = _whoosh_top(s, q, 30, allow)
            found, total = matching.Evaluation(s, allow).top(q, 30)
            assert total == expected_total
            assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=1e-9)
            # documents agree, but for ties at the cut (scores equal to the last bit or not)
            last = expected[-1][1] if expected else None
            assert [d for d, sc in found if sc != pytest.approx(last)] == [d for d, sc in expected if sc != pytest.approx(last)]


@pytest.mark.parametrize(
    "words, slop",
    [(["배우", "연기"], 1), (["소피", "마르소", "미모"], 1), (["이해", "안", "되다"], 1), (["영화", "보다"], 2), (["사만다", "테오도르"], 4), (["심사", "점수"], 3)],
)
def test_phrases_match_and_score_as_whooshs(index: ReviewIndex, words: list[str], slop: int) -> None:
    # Phrases are read from the postings' positions in bulk, not by Whoosh's matcher.
    s = index._current_searcher()
    q = wq.Phrase("body", words, slop=slop, boost=1.5)
    expected, expected_total = _whoosh_top(s, q, 1000, None)
    found, total = matching.Evaluation(s, None).top(q, 1000)
    assert total == expected_total > 0
    assert dict(found) == pytest.approx(dict(expected), rel=1e-9)


def test_phrase_needs_its_words_in_order_side_by_side(index: ReviewIndex) -> None:
    s = index._current_searcher()
    count = matching.Evaluation(s, None).count
    anywhere = count(wq.And([wq.Term("body", "영화"), wq.Term("body", "보다")]))
    side_by_side = count(wq.Phrase("body", ["영화", "보다"]))
    assert 0 < side_by_side < count(wq.Phrase("body", ["영화", "보다"], slop=3)) < anywhere
    assert count(wq.Phrase("body", ["보다", "영화"])) != side_by_side


def test_proximity_bonus_is_confirmed_review_by_review(index: ReviewIndex) -> None:
    s = index._current_searcher()
    strict = parse("영화 보다", index.analyzer).strict  # AndMaybe(both words, the two near each other)
    with_bonus = dict(matching.Evaluation(s, None).top(strict, 100)[0])
    plain = dict(matching.Evaluation(s, None).top(strict.a, 100)[0])
    gained = {doc for doc in plain if with_bonus[doc] > plain[doc] * (1 + 1e-9)}
    assert gained and gained != set(plain)  # some reviews have the words near each other, not all
    assert with_bonus == pytest.approx(dict(_whoosh_top(s, strict, 100, None)[0]), rel=1e-9)


def test_not_drops_every_review_holding_the_word(index: ReviewIndex) -> None:
    # Whoosh's AndNot matcher lets through a review holding the excluded word
    # when it is the first of its segment; this evaluation does not.
    results = index.search("연기 -배우", limit=100, passages_per_hit=0)
    s = index._current_searcher()
    both = matching.Evaluation(s, None).top(parse("연기 배우", index.analyzer).strict, 1)[1]
    assert results.total == index.search("연기", limit=1).total - both
    assert results.hits and not any("배우" in hit.review.body for hit in results.hits)


def test_newest_first_with_scores(index: ReviewIndex) -> None:
    results = index.search("영화", sort="date", limit=20, passages_per_hit=0)
    dates = [hit.review.date for hit in results.hits]
    assert dates == sorted(dates, reverse=True) and results.total > 20
    assert all(hit.score > 0 for hit in results.hits)
