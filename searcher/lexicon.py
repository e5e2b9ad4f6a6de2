"""The words of an index, arranged for typing: completions of a prefix at
keystroke level (as-you-type, 초성) and the nearest word to a typo, both in
jamo (see :mod:`searcher.jamo`), the most frequent first.

Built once per opened index from the engine's vocabulary of the fields
people's words are in (:meth:`EngineView.vocabulary` of body and title): the
terms Kiwi indexes — nouns, joined compounds, predicates as lemmas (외롭다) —
of two characters or more (single syllables are mostly fragments Kiwi cut
from words it did not know). Each term is kept with the number of reviews
holding it. Lookups are bisections over the terms sorted by their jamo, and
by their 초성."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from typing import Iterable, Iterator

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .engine import EngineView
from .jamo import CONSONANTS, initials, is_syllable, keys

#: The fields whose words are completed and corrected.
FIELDS = ("body", "title")
_END = "\U0010ffff"  # sorts after every key: the end of a prefix's range


@dataclass(frozen=True)
class Completion:
    """A word of the index that a prefix may be the start of, and how many reviews hold it."""

    text: str
    reviews: int

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "reviews": self.reviews}


def _kept(term: str) -> bool:
    """Whether a term is worth completing and correcting to: two characters or more, a letter among them."""
    return len(term) > 1 and any(c.isalpha() for c in term)


class Lexicon:
    """The words of an index with their review counts; see the module."""

    def __init__(self, counts: dict[str, int]):
        ordered = sorted(((keys(t), t) for t in counts), key=lambda kt: kt[0])
        self._keys = [k for k, _ in ordered]
        self._terms = [t for _, t in ordered]
        self._counts = np.array([counts[t] for t in self._terms], dtype=np.int64)
        # the same terms by their keys read backwards (a typo's intact end), and the Hangul ones by 초성
        backwards = sorted(range(len(ordered)), key=lambda i: self._keys[i][::-1])
        self._backward_keys = [self._keys[i][::-1] for i in backwards]
        self._backward = np.array(backwards, dtype=np.int64)
        hangul = sorted(
            (initials(t), i) for i, t in enumerate(self._terms) if all(is_syllable(c) for c in t)
        )
        self._initial_keys = [k for k, _ in hangul]
        self._initial = np.array([i for _, i in hangul], dtype=np.int64)

    @classmethod
    def of(cls, view: EngineView, fields: Iterable[str] = FIELDS) -> Lexicon:
        """The lexicon of the index ``view`` sees: each kept term of ``fields``
        with the most reviews holding it in one of them."""
        counts: dict[str, int] = {}
        for field in fields:
            for term, reviews in view.vocabulary(field):
                if reviews > counts.get(term, 0) and _kept(term):
                    counts[term] = reviews
        return cls(counts)

    def __len__(self) -> int:
        return len(self._terms)

    def reviews(self, term: str) -> int:
        """How many reviews hold ``term`` (0 if it is not a word of the lexicon)."""
        k = keys(term)
        i = bisect_left(self._keys, k)
        while i < len(self._keys) and self._keys[i] == k:
            if self._terms[i] == term:
                return int(self._counts[i])
            i += 1
        return 0

    # ------------------------------------------------------------ as-you-type

    def complete(self, prefix: str, limit: int = 10) -> list[Completion]:
        """The ``limit`` most frequent words that ``prefix`` may be the start of,
        typed key by key: 'ㅅ', '사', '삼' (사, then ㅁ) and '사만' all reach
        사만다; so do its 초성 'ㅅㅁㄷ' and a mix such as '사ㅁ' or '사ㅁㄷ'."""
        prefix = prefix.strip().lower()
        if not prefix or limit < 1:
            return []
        typed = keys(prefix)
        lo, hi = bisect_left(self._keys, typed), bisect_left(self._keys, typed + _END)
        found = dict.fromkeys(self._best(np.arange(lo, hi), limit))
        if any(c in CONSONANTS for c in prefix) and len(prefix) > 1:
            found.update(dict.fromkeys(self._by_initials(prefix, limit)))
        best = sorted(found, key=lambda i: (-self._counts[i], self._terms[i]))[:limit]
        return [Completion(self._terms[i], int(self._counts[i])) for i in best]

    def _best(self, candidates: np.ndarray, limit: int) -> list[int]:
        """The ``limit`` candidates held by the most reviews."""
        if len(candidates) > limit:
            counts = self._counts[candidates]
            candidates = candidates[np.argpartition(-counts, limit - 1)[:limit]]
        return candidates.tolist()

    def _by_initials(self, prefix: str, limit: int) -> Iterator[int]:
        """Words whose syllables start as ``prefix`` says: a lone consonant is a
        syllable's 초성, a syllable itself (the last one: its keys so far)."""
        wanted = initials(prefix)
        lo, hi = bisect_left(self._initial_keys, wanted), bisect_left(self._initial_keys, wanted + _END)
        candidates = self._initial[lo:hi]
        if all(c in CONSONANTS for c in prefix):
            yield from self._best(candidates, limit)
            return
        taken = 0
        for i in candidates[np.argsort(-self._counts[candidates], kind="stable")].tolist():
            if _fits(prefix, self._terms[i]):
                yield i
                taken += 1
                if taken == limit:
                    return

    # ---------------------------------------------------------------- typos

    def nearest(self, word: str) -> str | None:
        """The word of the lexicon one keystroke (jamo) from ``word``: of those
        differing from it in the fewest syllables (a key missed inside one
        syllable, as 사마다 for 사만다, rather than keys moving to the syllable
        before, as in 삼다 or 삼가다), the one in the most reviews; None if
        there is none."""
        typed = keys(word)
        # one key changed, added or dropped: either the first half of the keys is intact, or the rest is
        half = len(typed) // 2
        lo, hi = bisect_left(self._keys, typed[:half]), bisect_left(self._keys, typed[:half] + _END)
        tail = typed[half:][::-1]
        blo, bhi = bisect_left(self._backward_keys, tail), bisect_left(self._backward_keys, tail + _END)
        candidates = [
            i for i in (*range(lo, hi), *self._backward[blo:bhi].tolist())
            if abs(len(self._keys[i]) - len(typed)) <= 1 and self._terms[i] != word
        ]
        scored = process.extract(
            typed, [self._keys[i] for i in candidates], scorer=Levenshtein.distance, score_cutoff=1, limit=None
        )
        if not scored:
            return None
        best = min(
            (candidates[s[2]] for s in scored),
            key=lambda i: (_syllables_apart(word, self._terms[i]), -self._counts[i], self._terms[i]),
        )
        return self._terms[best]


def _syllables_apart(a: str, b: str) -> int:
    """How many characters of ``a`` and ``b``, aligned from the start, differ."""
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def _fits(prefix: str, term: str) -> bool:
    """Whether ``term`` starts as ``prefix`` (a mix of syllables and 초성) says."""
    if len(term) < len(prefix):
        return False
    for n, (p, t) in enumerate(zip(prefix, term)):
        if p in CONSONANTS:
            if initials(t) != p:
                return False
        elif n == len(prefix) - 1:
            return keys(term[n:]).startswith(keys(p))
        elif p != t:
            return False
    return True
