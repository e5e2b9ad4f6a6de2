"""Ranking: the BM25F weighting, and the re-ranking of the best candidates by
how much of the query they hold and how closely their text echoes it.

BM25 adds up what each query word scores, so a review that repeats one rare
word can outscore one holding every word but that. Within each tier of a
search (reviews with every word, then the rest), the best RERANK_DEPTH
candidates are re-ordered by

    score × coverage × (1 + SURFACE_WEIGHT × surface)

- *coverage*: the share of the query's words a review holds, each word
  weighed by its IDF (a coordination factor, as in Lucene's classic scoring).
  A word no term of the review matches still counts for the share of its
  character pairs found in the review's text, when that share is at least
  FUZZY_MIN: typos (쇼화 / 쇼와), names Kiwi cuts differently (생시르 / 생 시르)
  and unknown words get partial credit.
- *surface*: the share of the character pairs of the query as typed (spaces
  and punctuation left out) found in the review's text: wording close to the
  query, particles and endings included, breaks near-ties.

Measured on KorQuAD dev (bench/README.md): coverage +0.29 MRR points, the
character-pair credit and the surface likeness +0.49 more.
"""

from __future__ import annotations

import re

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from .matching import holding
from .query import CompiledQuery
from .schema import stored_reviews

#: How many candidates of each tier are re-ranked.
RERANK_DEPTH = 30
#: An unmatched query word gets credit only if at least this share of its character pairs is in the text.
FUZZY_MIN = 0.5
#: How much surface likeness weighs against the score (measured flat from 0.5 to 2).
SURFACE_WEIGHT = 1.0
#: Characters of a review's text looked at for character pairs: a huge review costs no more than this.
TEXT_CHARS = 50_000

_NOT_LETTERS = re.compile(r"[\W_]+")


def weighting() -> BM25F:
    """The ranking function used for every search. A low K1 saturates term
    frequency early, which suits Korean morphemes (measured on KorQuAD dev:
    K1 1.2 -> 0.5 gained 0.4 MRR points; see bench/README.md)."""
    return BM25F(B=0.75, K1=0.5)


def char_pairs(text: str) -> set[str]:
    """The overlapping pairs of letters and digits of ``text``, lowercased,
    spaces and punctuation left out (디지털 노마드 → 디지, 지털, 털노, 노마, 마드)."""
    letters = _NOT_LETTERS.sub("", text.lower())
    return {letters[i : i + 2] for i in range(len(letters) - 1)}


def rerank(s: Searcher, hits: list[tuple[int, float]], query: CompiledQuery) -> list[tuple[int, float]]:
    """``hits`` (docnum, score), best first, re-ordered as the module says;
    the scores returned are the products."""
    if len(hits) < 2:
        return hits
    docs = [doc for doc, _ in hits]
    stored = stored_reviews(s.reader())
    pairs = {doc: char_pairs(_text(stored(doc))) for doc in docs}
    coverage = _coverage(s, docs, query.words, pairs)
    asked = char_pairs(query.text)
    rescored = []
    for doc, score in hits:
        surface = len(asked & pairs[doc]) / len(asked) if asked else 0.0
        rescored.append((doc, score * coverage[doc] * (1 + SURFACE_WEIGHT * surface)))
    return sorted(rescored, key=lambda hit: -hit[1])


def _text(review: dict) -> str:
    return f"{review.get('title') or ''}\n{review.get('body') or ''}"[:TEXT_CHARS]


def _coverage(s: Searcher, docs: list[int], words, pairs: dict[int, set[str]]) -> dict[int, float]:
    """Per document, the IDF-weighted share of ``words`` it holds in any of
    their fields, or (partly) in its character pairs. A word's weight is the
    highest IDF of its terms in the body (or its first field)."""
    if not words:
        return {doc: 1.0 for doc in docs}
    held = {doc: 0.0 for doc in docs}
    total = 0.0
    for fields, alts in words:
        weight = max(s.idf("body" if "body" in fields else fields[0], t) for t in alts)
        total += weight
        found: set[int] = set()
        for name in fields:
            for term in alts:
                found |= holding(s, name, term, docs)
        word_pairs = char_pairs(max(alts, key=len))
        for doc in docs:
            if doc in found:
                held[doc] += weight
            elif word_pairs:
                share = len(word_pairs & pairs[doc]) / len(word_pairs)
                if share >= FUZZY_MIN:
                    held[doc] += weight * share
    return {doc: h / total for doc, h in held.items()}
