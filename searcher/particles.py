"""The particles (and endings of 하다) a Korean word may end with, as the
typo check and the query's rereading of broken words strip them: a word
that is one syllable without them (꿈에, 눈이, 상의, 심은) is a one-syllable
word with a particle, not a longer word."""

from __future__ import annotations

#: Particles (and the endings of 하다) a word may carry (사마다는, 꿈에, 듯한), longest first.
PARTICLES = sorted(
    "은 는 이 가 을 를 의 도 에 엔 와 과 로 으로 에서 에선 에게 께 께서 한테 랑 이랑 만 까지 부터 처럼 이나 나 "
    "보다 밖에 조차 마저 에는 에도 으로는 로는 이라 라고 이라고 이란 란 이다 였다 이었다 이야 야 이에요 예요 입니다 "
    "한 할 함 해 했다 하다 하고 하게 하는 합니다 히".split(),
    key=len, reverse=True,
)


def without_particle(word: str) -> str:
    """``word`` without the particle it ends with, if any, and then a plural 들 (팬들에게 → 팬)."""
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) > len(particle):
            word = word[: -len(particle)]
            break
    return word[:-1] if word.endswith("들") and len(word) > 1 else word
