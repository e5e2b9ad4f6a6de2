"""What the search pipeline and the next features (facets, suggestions) ask
of an engine, through the seam (searcher.engine), answered in revsearch's
own terms: plans in, handles, counts and stored reviews out. Each engine
answers alike: the Whoosh engine (a folder) and the Typesense engine (a
collection of a real 1-node server, see conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from searcher import EngineInfo, Review, ReviewIndex
from searcher import plan as p
from searcher.query import parse

REVIEWS = [
    Review(id="a", title="최고", body="배우들 연기가 정말 좋았다", rating=10.0, author="Kim", item="m1", date="2024-05-01"),
    Review(id="b", body="연기는 좋은데 스토리가 지루했다", rating=6.0, author="Lee", item="m1", date="2024-06-01"),
    Review(id="c", body="스토리 최고, 연기 최고", rating=10.0, author="Kim", item="m2", date="2023-01-05"),
    Review(id="d", body="음악만 좋았다", rating=4.0, item="m2"),
]


@pytest.fixture(scope="module", params=["whoosh", "typesense"])
def index(request, tmp_path_factory) -> ReviewIndex:
    if request.param == "typesense":
        location = request.getfixturevalue("typesense_cluster").url("seam")
    else:
        location = tmp_path_factory.mktemp("seam") / "ix"
    ix = ReviewIndex.create(location)
    ix.add(REVIEWS)
    return ix


def test_candidates_counts_and_stored_reviews(index: ReviewIndex) -> None:
    acting = parse("연기", index.analyzer).loose
    top, total = index.engine.read(lambda view: view.top(acting, 10))
    assert total == 3 and len(top) == 3 and [s for _, s in top] == sorted((s for _, s in top), reverse=True)
    stored = index.engine.read(lambda view: view.stored([doc for doc, _ in top]))
    assert {r["id"] for r in stored} == {"a", "b", "c"}
    assert index.engine.read(lambda view: view.count(acting, within=p.Term("author", "kim"))) == 2
    for field, expected in (("date", ["b", "a", "c", "d"]), ("rating", ["a", "c", "b", "d"])):
        best, _ = index.engine.read(lambda view: view.highest(p.Every(), field, 4))
        assert [r["id"] for r in index.engine.read(lambda view: view.stored([d for d, _ in best]))] == expected


def test_values_of_a_field_over_what_a_plan_matches_are_facets(index: ReviewIndex) -> None:
    acting = parse("연기", index.analyzer).loose
    assert index.engine.read(lambda view: view.values("rating", acting)) == {10.0: 2, 6.0: 1}
    assert index.engine.read(lambda view: view.values("item", p.Every())) == {"m1": 2, "m2": 2}
    assert index.engine.read(lambda view: view.values("author", p.Every(), within=p.Range("rating", 5.0, None))) == {"Kim": 2, "Lee": 1}


def test_term_statistics_and_vocabulary(index: ReviewIndex) -> None:
    vocabulary = dict(index.engine.read(lambda view: list(view.vocabulary("body"))))
    assert vocabulary["연기"] == 3 and vocabulary["스토리"] == 2 and "배우" in vocabulary
    assert list(vocabulary) == sorted(vocabulary, key=lambda t: t.encode("utf-8"))
    rare, common = (index.engine.read(lambda view: view.idf("body", t)) for t in ("음악", "연기"))
    assert rare > common > 0
    top, _ = index.engine.read(lambda view: view.top(p.Every(), 4))
    holding = index.engine.read(lambda view: view.holding("body", "스토리", [d for d, _ in top]))
    assert {r["id"] for r in index.engine.read(lambda view: view.stored(sorted(holding)))} == {"b", "c"}


def test_the_engine_describes_itself(index: ReviewIndex) -> None:
    info = index.describe()
    assert isinstance(info, EngineInfo) and info.reviews == 4 == len(index)
    if info.engine == "whoosh":
        assert info.size > 1000 and Path(info.location) == index.path and info.details["segments"] >= 1
    else:
        assert info.engine == "typesense" and info.version.startswith("0.24") and info.location == index.path
        assert info.details["nodes"] == 1
