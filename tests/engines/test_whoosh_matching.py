"""The Whoosh engine's compatibility with Whoosh: its numpy evaluation of
plans (engines/whoosh/matching.py) finds and scores what Whoosh's own
matchers do on the same plans compiled to Whoosh queries, on an index of
several segments with deletions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from whoosh.collectors import FilterCollector, TopCollector

from searcher import ReviewIndex
from searcher import plan as p
from searcher.engines.whoosh.compile import whoosh_query
from searcher.engines.whoosh.settings import WhooshSettings
from searcher.query import filters, parse

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "nsmc-sample"
CORPUS = Path(__file__).resolve().parents[2] / "corpus"

QUERIES = [
    "연기", "배우 연기", "스토리 지루", "감동 눈물", "최고의 영화", "재밌 OR 감동", "배우 연기 스토리",
    '"배우 연기"', "연기 date:[2010-01-01 TO 2013-12-31]", "영화 rating:[9 TO 10]", "영화 rating:[* TO 5]", "영화 date:[* TO 2014-12-31]", "사만다 테오도르",
    "인공지능 외로움", "author:yean****", "정말 재미있는 영화 추천", "NOT 연기", "NOT NOT 연기", "NOT 영화 -연기",
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> ReviewIndex:
    """NSMC and seed reviews in several segments (small batches), some deleted."""
    ix = ReviewIndex.create(tmp_path_factory.mktemp("matching"), engine_settings=WhooshSettings(merge_limit=0))
    ix.add_paths([SAMPLE, CORPUS], batch_size=90)
    deleted = [r["review_id"] for f in sorted(SAMPLE.glob("*.json")) for r in json.loads(f.read_text())][::7]
    assert ix.delete(deleted) == len(deleted)
    searcher = ix.engine.read(lambda view: view.searcher)
    assert len(searcher.leaf_searchers()) > 1 and searcher.reader().has_deletions()
    return ix


def _whoosh_top(s, plan, limit, within):
    """What Whoosh's own collector finds for the plan compiled to a Whoosh query."""
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    if within is not None:
        collector = FilterCollector(collector, allow=whoosh_query(within))
    s.search_with_collector(whoosh_query(plan), collector)
    results = collector.results()
    return [(hit.docnum, hit.score) for hit in results], len(results)


@pytest.fixture(scope="module")
def narrowed(index: ReviewIndex) -> ReviewIndex:
    """The same index, each search for words together scoring only the reviews holding them all
    (what a million reviews do for common words, see WhooshSettings.narrow_from)."""
    with ReviewIndex.open(index.path, engine_settings=WhooshSettings(narrow_from=0)) as ix:
        yield ix


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("evaluated", ["whole", "narrowed"])
def test_matches_and_scores_are_whooshs(index: ReviewIndex, narrowed: ReviewIndex, query: str, evaluated: str) -> None:
    ours = index if evaluated == "whole" else narrowed
    planned = parse(query, index.analyzer)
    for q in (planned.strict, planned.loose):
        for within in (None, filters(None, "2014-01-01", None)):
            expected, expected_total = index.engine.read(lambda view: _whoosh_top(view.searcher, q, 30, within))
            found, total = ours.engine.read(lambda view: view.top(q, 30, within))
            assert total == expected_total == ours.engine.read(lambda view: view.count(q, within))
            assert [score for _, score in found] == pytest.approx([score for _, score in expected], rel=1e-9)
            # documents agree, but for ties at the cut (scores equal to the last bit or not)
            last = expected[-1][1] if expected else None
            assert [d for d, sc in found if sc != pytest.approx(last)] == [d for d, sc in expected if sc != pytest.approx(last)]


@pytest.mark.parametrize(
    "words, slop",
    [(["배우", "연기"], 1), (["소피", "마르소", "미모"], 1), (["이해", "안되다"], 1), (["영화", "보다"], 2), (["사만다", "테오도르"], 4), (["심사", "점수"], 3)],
)
def test_phrases_match_and_score_as_whooshs(index: ReviewIndex, words: list[str], slop: int) -> None:
    # Phrases are read from the postings' positions in bulk, not by Whoosh's matcher.
    q = p.Phrase("body", tuple(words), 1.5, slop)
    expected, expected_total = index.engine.read(lambda view: _whoosh_top(view.searcher, q, 1000, None))
    found, total = index.engine.read(lambda view: view.top(q, 1000))
    assert total == expected_total > 0
    assert dict(found) == pytest.approx(dict(expected), rel=1e-9)


def test_phrase_needs_its_words_in_order_side_by_side(index: ReviewIndex) -> None:
    def count(plan: p.Node) -> int:
        return index.engine.read(lambda view: view.count(plan))

    anywhere = count(p.And((p.Term("body", "영화"), p.Term("body", "보다"))))
    side_by_side = count(p.Phrase("body", ("영화", "보다")))
    assert 0 < side_by_side < count(p.Phrase("body", ("영화", "보다"), slop=3)) < anywhere
    assert count(p.Phrase("body", ("보다", "영화"))) != side_by_side


def test_proximity_bonus_is_confirmed_review_by_review(index: ReviewIndex) -> None:
    strict = parse("영화 보다", index.analyzer).strict  # AndMaybe(both words, the two near each other)
    assert isinstance(strict, p.AndMaybe)
    with_bonus = dict(index.engine.read(lambda view: view.top(strict, 100))[0])
    plain = dict(index.engine.read(lambda view: view.top(strict.required, 100))[0])
    gained = {doc for doc in plain if with_bonus[doc] > plain[doc] * (1 + 1e-9)}
    assert gained and gained != set(plain)  # some reviews have the words near each other, not all
    whooshs = index.engine.read(lambda view: _whoosh_top(view.searcher, strict, 100, None))[0]
    assert with_bonus == pytest.approx(dict(whooshs), rel=1e-9)


def test_not_drops_every_review_holding_the_word(index: ReviewIndex) -> None:
    # Whoosh's AndNot matcher lets through a review holding the excluded word
    # when it is the first of its segment; this evaluation does not.
    results = index.search("연기 -배우", limit=100, passages_per_hit=0)
    both = index.engine.read(lambda view: view.count(parse("연기 배우", index.analyzer).strict))
    assert results.total == index.search("연기", limit=1).total - both
    assert results.hits and not any("배우" in hit.review.body for hit in results.hits)


def test_newest_first_with_scores(index: ReviewIndex) -> None:
    results = index.search("영화", sort="date", limit=20, passages_per_hit=0)
    dates = [hit.review.date for hit in results.hits]
    assert dates == sorted(dates, reverse=True) and results.total > 20
    assert all(hit.score > 0 for hit in results.hits)


@pytest.mark.parametrize("size", [50, 20_000])
def test_document_sets_are_compared_as_numpy_compares_them_small_or_large(size: int) -> None:
    # Large dense arrays (a segment's common words) go through a table, small or sparse ones a search.
    from searcher.engines.whoosh.matching import _among, _common

    rng = np.random.default_rng(size)
    for spread in (2, 40, 10_000):
        a, b = (np.unique(rng.integers(0, size * spread, size)) for _ in range(2))
        ids, left, right = _common(a, b)
        assert [x.tolist() for x in (ids, left, right)] == [x.tolist() for x in np.intersect1d(a, b, return_indices=True)]
        assert _among(a, b).tolist() == np.isin(a, b).tolist() and _among(b, a).tolist() == np.isin(b, a).tolist()
        # numbers outside the ids' range, below 0 too (another segment's documents), are never among them
        outside = np.concatenate([-a[:50] - 1, a[:50] + size * spread])
        assert not _among(outside, b).any()
