"""Passages analyse only the sentences where a query term may be written (see
searcher.surface): a sentence holding a term in a form unlike its spelling —
an irregular or contracted predicate, a negation written apart, a particle
contracted into a noun, a name across a space — is still found and marked."""

from __future__ import annotations

from pathlib import Path

import pytest

from searcher import Review, ReviewIndex

BEFORE, AFTER = "오늘은 날씨가 맑았다.", "내일은 비가 내린다고 한다."
#: (query, the sentence holding it, what is marked there)
CASES = [
    ("외롭다", "그 밤은 정말 외로운 시간이었다.", ["외로운"]),  # ㅂ-irregular
    ("듣다", "어제 그 노래를 처음 들었다.", ["들"]),  # ㄷ-irregular
    ("모르다", "나는 그 이름을 몰라서 물었다.", ["몰"]),  # 르-irregular
    ("보다", "그 영화를 두 번이나 봤다.", ["봤"]),  # 보 + 았 → 봤
    ("되다", "결국 모든 일이 잘 됐어.", ["됐"]),  # 되 + 었 → 됐
    ("파랗다", "바다가 눈부시게 파래서 좋았다.", ["파래"]),  # ㅎ-irregular
    ("안좋다", "솔직히 음식 맛이 좋지 않았다.", ["좋지 않"]),  # negation after the predicate
    ("안좋다", "서비스는 안 좋았다.", ["안 좋"]),  # negation before it
    ("안친절", "직원이 친절하지 않아서 실망했다.", ["친절하지 않"]),  # a negated noun predicate
    ("아이크림", "선물로 받은 아이크림이 촉촉하다.", ["아이크림"]),  # a compound
    ("때", "어릴 땐 자주 그 공원에 갔다.", ["땐"]),  # 때 + 는 → 땐
    ("테드번디", "테드 번디 사건을 다룬 다큐멘터리였다.", ["테드 번디"]),  # a name read across a space
]


#: Three sentences where 보다 seems written (보도, 보험, 본부) beside 극장, then one
#: with 극장 twice and no 보다: the sentences that may hold both terms are read first,
#: and hold one; the last, which may hold one, is read too, and is the best.
SEEMING = "보도자료에 극장 이름이 있었다. 보험 광고가 극장에 걸렸다. 본부는 극장 옆이다. 극장 앞에도 극장이 있다."


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ReviewIndex:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("surfaces") / "ix")
    ix.add(Review(id=str(i), body=f"{BEFORE} {sentence} {AFTER}") for i, (_, sentence, _) in enumerate(CASES))
    ix.add([Review(id="seeming", body=SEEMING)])
    return ix


@pytest.mark.parametrize("case", range(len(CASES)), ids=[f"{q}:{s[:8]}" for q, s, _ in CASES])
def test_the_sentence_holding_a_term_in_another_form_is_marked(index: ReviewIndex, case: int) -> None:
    query, sentence, marks = CASES[case]
    hit = next(h for h in index.search(query) if h.id == str(case))
    best = hit.passages[0]
    assert best.text == sentence and best.start == len(BEFORE) + 1
    assert [best.text[a:b] for a, b in best.highlights] == marks



def test_a_sentence_read_later_still_makes_the_best_passage(index: ReviewIndex) -> None:
    hit = next(h for h in index.search("봤다 극장") if h.id == "seeming")
    assert [p.text for p in hit.passages] == ["극장 앞에도 극장이 있다.", "보도자료에 극장 이름이 있었다.", "보험 광고가 극장에 걸렸다."]
    best = hit.passages[0]
    assert [best.text[a:b] for a, b in best.highlights] == ["극장", "극장"]
