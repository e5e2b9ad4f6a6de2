"""Informal review text: negation, laughter and elongation, missing spaces, slang, model names."""

from __future__ import annotations

import pytest

from searcher import Review, ReviewIndex

REVIEWS = {
    "rude": "직원이 너무 불친절해서 다시는 안 갈 거예요",
    "kind": "직원분들이 친절하고 매장이 깨끗했어요",
    "dislike": "주인공이 비호감이라 몰입이 안 됐다",
    "like": "주인공이 호감형이라 끝까지 재밌게 봤다",
    "not-good": "기대했는데 결말이 안 좋았어요",
    "good": "결말이 좋았어요 여운이 남네요",
    "laugh": "진짜 재밌었닼ㅋㅋㅋㅋㅋ",
    "best": "최고최고!!!! 배우들 연기 최고",
    "long-vowel": "음악이 좋아요오오오오",
    "unspaced": "이영화진짜재밌고감동적이었어요",
    "spaced": "이 영화 진짜 재밌고 감동적이었어요",
    "fun": "완전 존잼 꿀잼 인정",
    "boring": "솔직히 노잼이다 시간 아까움",
    "not-recommended": "이 영화는 비추합니다",
    "ugly": "악역 분장이 너무 추하다",
    "phone": "iPhone15를 샀는데 OS1과 달리 배터리가 200에 가깝게 버틴다",
}


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> ReviewIndex:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("reviews"))
    ix.add(Review(id=key, body=body) for key, body in REVIEWS.items())
    return ix


def found(ix: ReviewIndex, query: str) -> set[str]:
    return {hit.id for hit in ix.search(query, limit=50)}


def test_negating_prefixes_keep_their_meaning(reviews: ReviewIndex) -> None:
    assert found(reviews, "불친절") == {"rude"}
    assert found(reviews, "친절") == {"kind"}
    assert found(reviews, "비호감") == {"dislike"}
    assert "dislike" not in found(reviews, "호감")


def test_negated_phrase(reviews: ReviewIndex) -> None:
    assert found(reviews, '"안 좋다"') == {"not-good"}
    assert "good" in found(reviews, "좋다")
    assert reviews.search("안 좋다")[0].id == "not-good"  # both words rank first


def test_laughter_and_elongation_do_not_break_words(reviews: ReviewIndex) -> None:
    assert "laugh" in found(reviews, "재밌다")
    assert "best" in found(reviews, "최고")
    assert "long-vowel" in found(reviews, "좋다")
    [hit] = reviews.search("id:long-vowel 좋다")
    assert [hit.passages[0].text[a:b] for a, b in hit.passages[0].highlights] == ["좋"]


def test_unspaced_text_matches_spaced_text(reviews: ReviewIndex) -> None:
    both = {"unspaced", "spaced"}
    assert found(reviews, "이영화진짜재밌고감동적이었어요") >= both
    assert found(reviews, "영화 진짜 재밌고 감동적") >= both
    assert reviews.search("감동 AND 영화").total == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [("존잼", {"fun"}), ("꿀잼", {"fun"}), ("노잼", {"boring"}), ("비추", {"not-recommended"})],
)
def test_review_slang_is_searchable(reviews: ReviewIndex, query: str, expected: set[str]) -> None:
    assert found(reviews, query) == expected


def test_not_recommended_is_not_ugly(reviews: ReviewIndex) -> None:
    # Kiwi alone reads 비추합니다 as 비 + 추하다 ("ugly").
    assert "not-recommended" not in found(reviews, "추하다")
    assert found(reviews, "추하다") == {"ugly"}


@pytest.mark.parametrize("query", ["iphone15", "iPhone15", "OS1", "os1과", "200"])
def test_model_names_and_numbers_with_particles(reviews: ReviewIndex, query: str) -> None:
    assert found(reviews, query) == {"phone"}
