"""Keywords for reviews whose source gives none: their most salient nouns."""

from __future__ import annotations

from .analysis import Term

#: Nouns too common in reviews to say what one is about.
GENERIC_NOUNS = frozenset(
    "영화 작품 리뷰 후기 감상 이야기 사람 생각 정도 부분 내용 자신 우리 때문 경우 "
    "모습 마음 시간 순간 이번 하나 모두 무엇 누구 정말 진짜 너무 조금 다시 그냥 "
    "오늘 지금 처음 마지막 관련 추천 이유 결론 특징 줄거리".split()
)
NOUN_TAGS = frozenset({"NNG", "NNP", "SL"})


def derive_keywords(title: str, title_terms: list[Term], body: str, body_terms: list[Term], limit: int = 7) -> list[str]:
    """Up to ``limit`` nouns ranked by frequency, a title occurrence counting
    three times, proper nouns and foreign words twice. Shown as written in
    the text (AI, not ai); generic review words and single syllables left out."""
    score: dict[str, int] = {}
    surface: dict[str, str] = {}
    for text, terms, weight in ((title, title_terms, 3), (body, body_terms, 1)):
        for word, _, start, end, tag in terms:
            if tag not in NOUN_TAGS or len(word) < 2 or word in GENERIC_NOUNS:
                continue
            gain = weight if tag == "NNG" else 2 * weight
            if word in score:
                score[word] += gain
            else:
                score[word] = gain
                surface[word] = text[start:end]
    ranked = sorted((item for item in score.items() if item[1] > 1), key=lambda item: (-item[1], item[0]))
    return [surface[word] for word, _ in ranked[:limit]]
