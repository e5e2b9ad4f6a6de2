"""Hangul as keystrokes: syllables decomposed into the jamo a 2-set
(dubeolsik) keyboard types, with compound vowels and final clusters split
(ㅘ = ㅗ+ㅏ, ㄺ = ㄹ+ㄱ), their edit distance, initial consonants (초성), and
Latin letters typed with the keyboard in English mode read back as Hangul
(``tkaksek`` → 사만다). Typos and as-you-type prefixes are measured in these
units: 외로음 is one keystroke from 외로움, and 삼 is 사 with ㅁ typed so far.
Unicode arithmetic only."""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

_BASE, _LAST = 0xAC00, 0xD7A3
_CHO = "ㄱㄲㄴㄷㄸㄹㅁㅂㅃㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ"
_JUNG = "ㅏㅐㅑㅒㅓㅔㅕㅖㅗㅘㅙㅚㅛㅜㅝㅞㅟㅠㅡㅢㅣ"
_JONG = ("", *"ㄱㄲㄳㄴㄵㄶㄷㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅄㅅㅆㅇㅈㅊㅋㅌㅍㅎ")
#: Compound vowels and final clusters, as the two keys that type them.
_PAIRS = {
    "ㅘ": "ㅗㅏ", "ㅙ": "ㅗㅐ", "ㅚ": "ㅗㅣ", "ㅝ": "ㅜㅓ", "ㅞ": "ㅜㅔ", "ㅟ": "ㅜㅣ", "ㅢ": "ㅡㅣ",
    "ㄳ": "ㄱㅅ", "ㄵ": "ㄴㅈ", "ㄶ": "ㄴㅎ", "ㄺ": "ㄹㄱ", "ㄻ": "ㄹㅁ", "ㄼ": "ㄹㅂ", "ㄽ": "ㄹㅅ",
    "ㄾ": "ㄹㅌ", "ㄿ": "ㄹㅍ", "ㅀ": "ㄹㅎ", "ㅄ": "ㅂㅅ",
}
_JOINED = {keys: one for one, keys in _PAIRS.items()}
_VOWELS = frozenset(_JUNG)
#: Consonants standing alone (compatibility jamo), as typed for 초성.
CONSONANTS = frozenset("ㄱㄲㄳㄴㄵㄶㄷㄸㄹㄺㄻㄼㄽㄾㄿㅀㅁㅂㅃㅄㅅㅆㅇㅈㅉㅊㅋㅌㅍㅎ")
#: The 2-set keyboard: each Latin key and the jamo it types (shift gives ㅃㅉㄸㄲㅆㅒㅖ).
DUBEOLSIK = dict(zip("qwertyuiopasdfghjklzxcvbnm", "ㅂㅈㄷㄱㅅㅛㅕㅑㅐㅔㅁㄴㅇㄹㅎㅗㅓㅏㅣㅋㅌㅊㅍㅠㅜㅡ"))
DUBEOLSIK.update(zip("QWERTOP", "ㅃㅉㄸㄲㅆㅒㅖ"))
DUBEOLSIK.update((k.upper(), v) for k, v in list(DUBEOLSIK.items()) if k.islower() and k.upper() not in DUBEOLSIK)


def is_syllable(char: str) -> bool:
    """Whether ``char`` is a precomposed Hangul syllable (가 to 힣)."""
    return _BASE <= ord(char) <= _LAST


def _syllable_keys(code: int) -> str:
    cho, jung, jong = code // 588, code % 588 // 28, code % 28
    return _CHO[cho] + _PAIRS.get(_JUNG[jung], _JUNG[jung]) + _PAIRS.get(_JONG[jong], _JONG[jong])


#: str.translate tables (one C call a word: the lexicon of a large index decomposes 150,000 words).
_KEYS = {_BASE + code: _syllable_keys(code) for code in range(_LAST - _BASE + 1)}
_KEYS.update((ord(one), two) for one, two in _PAIRS.items())
_INITIALS = {_BASE + code: _CHO[code // 588] for code in range(_LAST - _BASE + 1)}


def keys(text: str) -> str:
    """``text`` as the jamo typed for it: 사만다 → ㅅㅏㅁㅏㄴㄷㅏ, 와 → ㅇㅗㅏ,
    닭 → ㄷㅏㄹㄱ; lone compound jamo split too; other characters as they are."""
    return text.translate(_KEYS)


def initials(text: str) -> str:
    """The initial consonant (초성) of each syllable of ``text``; other characters as they are: 사만다 → ㅅㅁㄷ."""
    return text.translate(_INITIALS)


def distance(a: str, b: str, limit: int | None = None) -> int:
    """The edit distance of ``a`` and ``b`` in keystrokes (jamo): 외로음 / 외로움 → 1.
    With ``limit``, any distance above it is reported as ``limit + 1``."""
    return Levenshtein.distance(keys(a), keys(b), score_cutoff=limit)


def compose(jamo: str) -> str:
    """Jamo typed one after another, composed into syllables as a 2-set
    keyboard does (a consonant before a vowel starts a syllable; compound
    vowels and final clusters are joined): ㅅㅏㅁㅏㄴㄷㅏ → 사만다. What does
    not make a syllable stays a lone jamo."""
    out: list[str] = []
    i, n = 0, len(jamo)

    def starts_syllable(k: int) -> bool:
        return k + 1 < n and jamo[k] in _CHO and jamo[k + 1] in _VOWELS

    while i < n:
        if not starts_syllable(i):
            one = jamo[i]
            if i + 1 < n and jamo[i : i + 2] in _JOINED and one in _VOWELS:
                one, i = _JOINED[jamo[i : i + 2]], i + 1
            out.append(one)
            i += 1
            continue
        cho, jung = jamo[i], jamo[i + 1]
        i += 2
        if i < n and jung + jamo[i] in _JOINED:
            jung, i = _JOINED[jung + jamo[i]], i + 1
        jong = ""
        if i < n and jamo[i] in _JONG and not starts_syllable(i):
            jong, i = jamo[i], i + 1
            if i < n and jong + jamo[i] in _JOINED and not starts_syllable(i):
                jong, i = _JOINED[jong + jamo[i]], i + 1
        out.append(chr(_BASE + _CHO.index(cho) * 588 + _JUNG.index(jung) * 28 + _JONG.index(jong)))
    return "".join(out)


def from_latin(word: str) -> str | None:
    """The Hangul that ``word`` types on a 2-set keyboard left in English
    mode: ``tkaksek`` → 사만다, ``dhlfhdna`` → 외로움. None unless every letter
    is a key and they make whole syllables (``netflix`` does not)."""
    if not word or not all(c in DUBEOLSIK for c in word):
        return None
    hangul = compose("".join(DUBEOLSIK[c] for c in word))
    return hangul if all(is_syllable(c) for c in hangul) else None
