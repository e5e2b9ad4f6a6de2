"""What a review says survives analysis: a negated statement is not found as
the positive one, either form of a negation finds the other, compounds Kiwi
mis-cuts are kept, and a word the analyzer cannot classify is still searchable."""

from __future__ import annotations


import pytest

from searcher import Review, ReviewIndex

REVIEWS = {
    "trouble": "이 크림 쓰고 트러블 났어요",
    "no-trouble": "이 크림은 트러블이 나지 않았어요",
    "good": "발림성이 좋았어요",
    "not-good-long": "발림성이 좋지 않았어요",
    "not-good-short": "발림성이 안 좋았어요",
    "saw": "극장에서 봤다",
    "missed": "결국 극장에서 보지 못했다",
    "rude": "직원이 친절하지 않았다",
    "kind": "직원이 친절했다",
    "eye-cream": "아이크림 바르고 붓기가 빠졌어요",
    "cream": "크림이 너무 무거워요",
    "child": "아이가 좋아해요",
    "fast": "두 시간이 순삭",
    "litres": "용량이 3리터라 넉넉해요",
    "gallons": "1갤런짜리 통",
    "kilos": "무게는 2킬로그램",
    "millis": "용량 500밀리",
    "dull": "스토리가 너무 지루했다",
    "solid": "스토리는 탄탄했다",
}


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> ReviewIndex:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("meaning") / "ix")
    ix.add(Review(id=key, body=body) for key, body in REVIEWS.items())
    return ix


def ids(index: ReviewIndex, query: str) -> list[str]:
    return [hit.id for hit in index.search(query, limit=20, passages_per_hit=0)]


def test_a_negated_statement_is_not_found_as_the_positive_one(index: ReviewIndex) -> None:
    found = ids(index, "트러블 났어요")
    assert found[0] == "trouble" and found.index("trouble") < found.index("no-trouble")
    assert ids(index, "좋았어요") == ["good"]
    assert ids(index, "봤다") == ["saw"]
    assert ids(index, "친절했다") == ["kind"]


def test_either_form_of_a_negation_finds_the_other(index: ReviewIndex) -> None:
    for query in ("좋지 않다", "안 좋다", "좋지 않았어요"):
        assert set(ids(index, query)[:2]) == {"not-good-long", "not-good-short"}, query
        assert "good" not in ids(index, query)
    assert ids(index, "트러블 나지 않다")[0] == "no-trouble"
    assert ids(index, "못 봤다")[0] == "missed" and "saw" not in ids(index, "못 봤다")
    assert ids(index, "안 친절하다")[0] == "rude"


def test_a_compound_kiwi_cuts_ranks_what_holds_it_first(index: ReviewIndex) -> None:
    found = ids(index, "아이크림")
    assert found[0] == "eye-cream" and "child" not in found


@pytest.mark.parametrize("query, expected", [("순삭", "fast"), ("아이", "child"), ("리터", "litres"), ("갤런", "gallons"),
                                             ("킬로그램", "kilos"), ("밀리", "millis")])
def test_a_word_the_analyzer_cannot_classify_is_still_searchable(index: ReviewIndex, query: str, expected: str) -> None:
    results = index.search(query)
    assert results.hits and results.hits[0].id == expected
    assert results.hits[0].passages and results.hits[0].passages[0].highlights


def test_a_word_its_query_context_breaks_is_read_alone(index: ReviewIndex) -> None:
    # Kiwi reads 스토리 지루 as 스토리 + 지 + the particle 루; alone, 지루 is the word. In the review
    # Kiwi reads 지루했다 as the adjective 지루하다 (elsewhere 지루 + 하다): indexed with its root 지루 too.
    assert ids(index, "스토리 지루")[0] == "dull" and ids(index, "지루 스토리")[0] == "dull"
    [hit] = index.search("스토리 지루", limit=1)
    assert {p.text[a:b] for p in hit.passages for a, b in p.highlights} == {"스토리", "지루했"}
    assert ids(index, "지루")[0] == "dull" and ids(index, "지루하다")[0] == "dull"
