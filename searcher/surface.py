"""Where a term may be written: a cheap test on the original text, no analysis.

A term is what analysis makes of a word (외롭다 of 외로운, 안좋다 of 좋지 않아,
아이크림 of 아이크림), so the text need not contain it as spelled. The pattern of
a term matches every place where it may be written, and more: a sentence it
does not match does not hold the term, so passages analyse only the sentences
some term's pattern matches, the ones that may hold the most terms first (see
highlight).

How terms surface, and what the pattern allows:

- a noun, a number, a foreign word, a compound, an adverb: as spelled, in
  the text lowercased (as analysis lowercases them);
- a lemma (stem + 다): every syllable of the stem with its initial consonant and
  vowel but any final (모르 → 몰라, 살 → 사는), the last one also with the vowels it
  contracts to (보 → 봐, 되 → 돼, 하 → 해, 지 → 져, 쓰 → 써, 파랗 → 파래, 외롭 → 외로운);
- a negated term (안좋다, 못보다, 안친절): as what it negates, written apart (좋지 않아);
"""

from __future__ import annotations

import re
from functools import lru_cache

_BASE, _LAST = 0xAC00, 0xD7A3
_VOWELS, _FINALS = 21, 28
#: Vowel indices: what the last vowel of a stem may contract or change to
#: before an ending (ㅗ+ㅏ → ㅘ, ㅚ+ㅓ → ㅙ, ㅣ+ㅓ → ㅕ, ㅡ drops, ㅎ-irregular ㅏ → ㅐ …).
_A, _AE, _YA, _YAE, _EO, _E, _YEO, _YE, _O, _WA, _WAE, _OE = range(12)
_U, _WO, _WI, _EU, _I = 13, 14, 16, 18, 20
_CHANGES: dict[int, tuple[int, ...]] = {
    _A: (_AE,), _YA: (_YAE,), _EO: (_AE, _E), _YEO: (_YE,), _O: (_WA,), _OE: (_WAE,),
    _U: (_WO, _EO), _WI: (_YEO,), _EU: (_EO, _A), _I: (_YEO,),
}
#: Finals a particle or ending contracts into a noun's last syllable: 영화는 →
#: 영환, 영화를 → 영활, 영화임 → 영홤, 영화입니다 → 영홥니다.
_NO_FINAL, _NIEUN, _RIEUL, _MIEUM, _BIEUP = 0, 4, 8, 16, 17
_PARTICLE_FINALS = (_NO_FINAL, _NIEUN, _RIEUL, _MIEUM, _BIEUP)
#: Nouns whose last syllable a particle changes more: 것이 → 게, 것은 → 건, 터이니 → 테니.
_CONTRACTED = {"것": "[거-겋게-겧]", "터": "[터-텋테-텧]"}
#: Terms that may be written nowhere: Kiwi reads a 하다 into quotations
#: contracted to nothing (있다더라, 오라는, 밋밋함).
_UNWRITTEN = frozenset({"하다"})
#: Negations written before the term of a negated predicate (see analysis._emit).
_NEGATIONS = ("안", "못")


def _syllable(ch: str) -> tuple[int, int] | None:
    """(initial, vowel) of a Hangul syllable, None for any other character."""
    code = ord(ch) - _BASE
    if not 0 <= code <= _LAST - _BASE:
        return None
    return code // (_VOWELS * _FINALS), code // _FINALS % _VOWELS


def _block(initial: int, *vowels: int, finals: tuple[int, ...] = ()) -> str:
    """A character class of the syllables with ``initial`` and any of ``vowels``,
    with any final, or only those of ``finals`` if given (0 for none)."""
    ranges = []
    for v in sorted(set(vowels)):
        first = _BASE + (initial * _VOWELS + v) * _FINALS
        if finals:
            ranges.extend(chr(first + f) for f in finals)
        else:
            ranges.append(f"{chr(first)}-{chr(first + _FINALS - 1)}")
    return "[" + "".join(ranges) + "]"


def _stem(stem: str) -> str:
    """The pattern of a predicate's stem as written with any ending: its last
    syllable with any final and the vowels it changes to, the one before it
    with a final ㄹ if the stem ends in 르 (모르 → 몰라, 흐르 → 흘러)."""
    out = [re.escape(ch) for ch in stem]
    parts = _syllable(stem[-1])
    if parts is not None:
        initial, vowel = parts
        out[-1] = _block(initial, vowel, *_CHANGES.get(vowel, ()))
        before = _syllable(stem[-2]) if stem.endswith("르") and len(stem) > 1 else None
        if before is not None and (ord(stem[-2]) - _BASE) % _FINALS == 0:
            out[-2] = _block(*before, finals=(0, _RIEUL))
    return "".join(out)


def _literal(word: str) -> str:
    """The pattern of a word written as spelled: spaces may stand between its
    letters (Kiwi reads some names across a space: 테드 번디 → 테드번디), and its
    last syllable may take the final of a particle contracted into it (영화는 →
    영환, 때는 → 땐, 것이 → 게)."""
    out = [re.escape(ch) for ch in word]
    last = word[-1:]
    parts = _syllable(last) if last else None
    if last in _CONTRACTED:
        out[-1] = _CONTRACTED[last]
    elif parts is not None and (ord(last) - _BASE) % _FINALS == 0:
        out[-1] = _block(*parts, finals=_PARTICLE_FINALS)
    return r"\s*".join(out)


def _term(term: str) -> str | None:
    """The pattern of one term; None if it may be written nowhere."""
    if term in _UNWRITTEN:
        return None
    own = _literal(term)
    if len(term) > 1 and term.endswith("다"):  # a lemma, or a name such as 니키 라우다
        own = f"{_stem(term[:-1])}|{own}"
    if len(term) > 1 and term.startswith(_NEGATIONS):  # 안좋다 is written 좋지 않아, 안친절 친절하지 않아
        rest = _term(term[1:])
        return None if rest is None else f"{own}|{rest}"
    return own


@lru_cache(maxsize=256)
def patterns(terms: frozenset[str]) -> tuple[tuple[str, re.Pattern[str]], ...] | None:
    """Each of ``terms`` with a pattern matching, in a lowercased text, wherever
    it may be written (see the module); None if one of them may be written
    nowhere, so no text can be ruled out."""
    found = [(term, _term(term)) for term in sorted(terms)]
    if any(alt is None for _, alt in found):
        return None
    return tuple((term, re.compile(alt)) for term, alt in found)
