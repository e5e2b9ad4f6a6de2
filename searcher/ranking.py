"""Ranking: the re-ranking of an engine's best candidates (scored by BM25F) by
how much of the query they hold and how closely their text echoes it.

BM25 adds up what each query word scores, so a review that repeats one rare
word can outscore one holding every word but that. Within each tier of a
search (reviews with every word, then the rest), the best candidates
(``SearchSettings.rerank_depth``) are re-ordered by

    score × coverage × (1 + surface_weight × surface) × (1 + closeness_weight × closeness)

- *coverage*: the share of the query's words a review holds, each word
  weighed by its IDF (a coordination factor, as in Lucene's classic scoring).
  A word no term of the review matches still counts for the share of its
  character pairs found in the review's text, when that share is at least
  ``fuzzy_min``: typos (쇼화 / 쇼와), names Kiwi cuts differently (생시르 / 생 시르)
  and unknown words get partial credit.
  A word the review holds only as part of longer words written together
  (맛집 in 뷰맛집, 향 in 무향: see parts) counts ``part_weight`` of its
  weight, ``syllable_part_weight`` if that part is a single syllable: it is
  mostly another sense.
- *surface*: the share of the character pairs of the query as typed (spaces
  and punctuation left out) found in the review's text: wording close to the
  query, particles and endings included, breaks near-ties.

Measured on KorQuAD dev (bench/README.md): coverage +0.29 MRR points, the
character-pair credit and the surface likeness +0.49 more, closeness +0.10. It needs of an
engine only stored reviews, IDFs and which candidates hold a term, so every
engine's candidates are re-ranked alike.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .engine import Candidate, EngineView
from .parts import standalone_anywhere
from .query import QueryPlan
from .settings import SearchSettings

_NOT_LETTERS = re.compile(r"[\W_]+")


def char_pairs(text: str) -> set[str]:
    """The overlapping pairs of letters and digits of ``text``, lowercased,
    spaces and punctuation left out (디지털 노마드 → 디지, 지털, 털노, 노마, 마드)."""
    return _pairs(_letters(text))


def _letters(text: str) -> str:
    """``text`` lowercased, spaces and punctuation left out."""
    return _NOT_LETTERS.sub("", text.lower())


def _pairs(letters: str) -> set[str]:
    return {letters[i : i + 2] for i in range(len(letters) - 1)}


def _densest(letters: str, asked: set[str], window: int) -> int:
    """The most of the pairs ``asked`` found within any ``window`` consecutive
    letters of ``letters`` (see _letters); each pair's occurrences are found by
    str.find, so a long text costs little more than its matches."""
    found = []
    for pair in asked:
        at = letters.find(pair)
        while at >= 0:
            found.append((at, pair))
            at = letters.find(pair, at + 1)
    found.sort()
    inside: dict[str, int] = {}
    best = first = 0
    for at, pair in found:
        inside[pair] = inside.get(pair, 0) + 1
        while found[first][0] < at - window + 2:  # the window's letters: from ``at + 2 - window`` to ``at + 1``
            gone = found[first][1]
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
            first += 1
        best = max(best, len(inside))
    return best


class Factors(NamedTuple):
    """What re-ranking multiplies a review's score by (see the module)."""

    coverage: float
    surface: float
    closeness: float

    def product(self, settings: SearchSettings) -> float:
        likeness = (1 + settings.surface_weight * self.surface) * (1 + settings.closeness_weight * self.closeness)
        return self.coverage * likeness


def rerank(view: EngineView, hits: list[Candidate], query: QueryPlan, settings: SearchSettings) -> list[Candidate]:
    """``hits`` (handle, score), best first, re-ordered as the module says
    (ties in the order given); the scores returned are the products."""
    found = factors(view, [doc for doc, _ in hits], query, settings)
    rescored = [(doc, score * found[doc].product(settings)) for doc, score in hits]
    return sorted(rescored, key=lambda hit: -hit[1])


def factors(view: EngineView, docs: list[int], query: QueryPlan, settings: SearchSettings) -> dict[int, Factors]:
    """Each document's re-ranking factors for ``query`` (each its own: they do
    not depend on the other documents)."""
    texts = {doc: _text(review, settings.text_chars).lower() for doc, review in zip(docs, view.stored(docs))}
    letters = {doc: _letters(text) for doc, text in texts.items()}
    pairs = {doc: _pairs(text) for doc, text in letters.items()}
    coverage = _coverage(view, docs, query, texts, pairs, settings)
    asked = char_pairs(query.text)
    found = {}
    for doc in docs:
        surface = closeness = 0.0
        if asked:
            surface = len(asked & pairs[doc]) / len(asked)
            closeness = _densest(letters[doc], asked, settings.closeness_chars) / len(asked)
        found[doc] = Factors(coverage[doc], surface, closeness)
    return found


def _text(review: dict, chars: int) -> str:
    """A review's title and body, its first ``chars`` characters: a huge review costs no more."""
    return f"{review.get('title') or ''}\n{review.get('body') or ''}"[:chars]


def _coverage(
    view: EngineView, docs: list[int], query: QueryPlan, texts: dict[int, str], pairs: dict[int, set[str]],
    settings: SearchSettings,
) -> dict[int, float]:
    """Per document, the IDF-weighted share of the query's words it holds in
    any of their fields (less for a word held only as part of longer words:
    see _standing), or (partly: at least ``fuzzy_min`` of them) in its
    character pairs. A word's weight is the highest IDF of its terms in the
    body (or its first field)."""
    if not query.words:
        return {doc: 1.0 for doc in docs}
    asked = query.text.lower()
    held = {doc: 0.0 for doc in docs}
    total = 0.0
    for fields, alts in query.words:
        weight = max(view.idf("body" if "body" in fields else fields[0], t) for t in alts)
        total += weight
        found: set[int] = set()
        for name in fields:
            for term in alts:
                found |= view.holding(name, term, docs)
        written = [t for t in alts if t in asked]  # lemmas (좋다 for 좋아요) are not looked for as written
        word_pairs = char_pairs(max(alts, key=len))
        for doc in docs:
            if doc in found:
                held[doc] += weight * _standing(texts[doc], written, asked, settings)
            elif word_pairs:
                share = len(word_pairs & pairs[doc]) / len(word_pairs)
                if share >= settings.fuzzy_min:
                    held[doc] += weight * share
    return {doc: h / total for doc, h in held.items()}


def _standing(text: str, written: list[str], asked: str, settings: SearchSettings) -> float:
    """What a word whose terms as the query writes them are ``written``
    counts in ``text``: fully if one of them stands on its own there (or none
    is in it as written), else the part weight of its longest."""
    parts = []
    for term in written:
        alone = standalone_anywhere(text, term, asked)
        if alone:
            return 1.0
        if alone is False:
            parts.append(term)
    if not parts:
        return 1.0
    return settings.part_weight if len(max(parts, key=len)) > 1 else settings.syllable_part_weight
