"""Wrong-sense matches and highlights (issue 21): a part of a word written
together (순 in 지능순, 향 in 무향, 맛집 in 뷰맛집, 후 in 전/후) weighs less than
a word on its own and a single syllable of it is not marked alone; passages
prefer the places where the query's words stand together."""

from __future__ import annotations

import pytest

from searcher import Passage, Review, ReviewIndex

REVIEWS = {
    "iq-order": "지능순으로 줄 세우면 이 게임이 꼴찌다. 시간이 아깝다",
    "gone-fast": "두 시간이 순삭됐어요 진짜 재밌음",
    "before-after": "사용 전/후 사진 비교해봤는데 별 차이 없어요",
    "unscented": "무향이라 좋아요",
    "scented": "향이 은은하고 오래 가서 너무 좋아요 재구매 의사 있어요",
    "view-spot": "뷰맛집",
    "food-spot": "동네 맛집으로 유명한 곳이에요 음식이 맛있고 사장님도 친절해요 주차는 어려워요",
    "cream": "무향 크림을 찾다가 샀어요",
    "clauses": (
        "사이즈가 안 맞아서 교환하려니 번거롭지만 결국 환불은 됐어요. "
        "색상은 사진이랑 똑같아요. 그리고 앱 연동이 안 돼요."
    ),
    "one-long-line": (
        "처음에는 안 어울릴 줄 알았는데 막상 써 보니 디자인이 깔끔하고 가볍고 배터리도 오래 가고 "
        "화면도 밝고 스피커 소리도 크고 카메라도 선명하고 충전도 빠르고 무게도 가볍고 가격도 적당하고 "
        "포장도 꼼꼼하고 배송도 빨랐고 설명서도 친절했고 색상도 사진과 같았고 마감도 훌륭했고 "
        "케이스도 튼튼하고 버튼도 누르기 편하고 발열도 적고 소음도 없고 화질도 좋고 음질도 좋았는데 "
        "블루투스 이어폰 연결이 안 돼요"
    ),
}


@pytest.fixture(scope="module")
def reviews(tmp_path_factory) -> ReviewIndex:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("sense"))
    ix.add(Review(id=key, body=body) for key, body in REVIEWS.items())
    yield ix
    ix.close()


def marked(passage: Passage) -> list[str]:
    return [passage.text[a:b] for a, b in passage.highlights]


def marks(ix: ReviewIndex, query: str) -> dict[str, list[str]]:
    return {hit.id: [w for p in hit.passages for w in marked(p)] for hit in ix.search(query)}


def test_a_syllable_inside_a_longer_word_is_not_marked(reviews: ReviewIndex) -> None:
    # 순삭 analyses to 순: 순 of 지능순 is not the query's word.
    assert marks(reviews, "시간 순삭")["iq-order"] == ["시간"]
    # 후 of 전/후 is not marked for the 후 of 세안 후.
    assert "후" not in marks(reviews, "세안 후").get("before-after", [])
    # 향 of 무향 (unscented) is not marked; its 좋아요 is.
    assert marks(reviews, "향 좋아요")["unscented"] == ["좋"]


def test_a_word_written_joined_is_still_marked_whole(reviews: ReviewIndex) -> None:
    assert marks(reviews, "무향")["cream"] == ["무향"]
    assert marks(reviews, "뷰맛집")["view-spot"] == ["뷰맛집"]


def test_a_word_on_its_own_outranks_it_as_part_of_a_longer_word(reviews: ReviewIndex) -> None:
    ranked = [hit.id for hit in reviews.search("향 좋아요")]
    assert ranked.index("scented") < ranked.index("unscented")
    ranked = [hit.id for hit in reviews.search("맛집")]
    assert ranked == ["food-spot", "view-spot"]


def test_the_best_passage_has_the_query_words_together(reviews: ReviewIndex) -> None:
    hit = next(hit for hit in reviews.search("안 돼요") if hit.id == "clauses")
    best = hit.passages[0]
    assert "연동이 안 돼요" in best.text
    assert marked(best) == ["안 돼"]  # the negated verb, marked whole


def test_a_long_sentence_is_cut_around_the_query_words_together(reviews: ReviewIndex) -> None:
    hit = next(hit for hit in reviews.search("연결 안 돼요") if hit.id == "one-long-line")
    best = hit.passages[0]
    assert best.text.endswith("연결이 안 돼요")
    assert marked(best)[-2:] == ["연결", "안 돼"]
