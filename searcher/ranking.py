"""Ranking: the BM25F weighting, and the re-ranking of the best candidates by
how much of the query they hold.

BM25 adds up what each query word scores, so a review that repeats one rare
word can outscore one holding every word but that. Within each tier of a
search (reviews with every word, then the rest), the best RERANK_DEPTH
candidates are re-ordered by their score times their *coverage*: the share of
the query's words they hold, each word weighed by its IDF (a coordination
factor, as in Lucene's classic scoring). Measured on KorQuAD dev: +0.29 MRR
points (see bench/README.md).
"""

from __future__ import annotations

from whoosh.scoring import BM25F
from whoosh.searching import Searcher

#: How many candidates of each tier are re-ranked by coverage.
RERANK_DEPTH = 30

#: A query word as (the fields it is searched in, its alternative terms).
Word = tuple[tuple[str, ...], tuple[str, ...]]


def weighting() -> BM25F:
    """The ranking function used for every search. A low K1 saturates term
    frequency early, which suits Korean morphemes (measured on KorQuAD dev:
    K1 1.2 -> 0.5 gained 0.4 MRR points; see bench/README.md)."""
    return BM25F(B=0.75, K1=0.5)


def rerank(s: Searcher, hits: list[tuple[int, float]], words: list[Word]) -> list[tuple[int, float]]:
    """``hits`` (docnum, score), best first, re-ordered by score times coverage;
    the scores returned are the products."""
    if len(hits) < 2 or len(words) < 2:
        return hits
    coverage = _coverage(s, [doc for doc, _ in hits], words)
    rescored = [(doc, score * coverage[doc]) for doc, score in hits]
    return sorted(rescored, key=lambda hit: -hit[1])


def _coverage(s: Searcher, docs: list[int], words: list[Word]) -> dict[int, float]:
    """Per document, the IDF-weighted share of ``words`` it holds in any of
    their fields. A word's weight is the highest IDF of its terms in the body
    (or its first field)."""
    reader = s.reader()
    held = {doc: 0.0 for doc in docs}
    wanted = sorted(held)
    total = 0.0
    for fields, alts in words:
        weight_field = "body" if "body" in fields else fields[0]
        weight = max(s.idf(weight_field, t) for t in alts)
        total += weight
        found: set[int] = set()
        for name in fields:
            for term in alts:
                if (name, term) in reader:
                    found |= _holding(s.postings(name, term), wanted)
        for doc in found:
            held[doc] += weight
    return {doc: h / total for doc, h in held.items()}


def _holding(matcher, docs: list[int]) -> set[int]:
    """Which of ``docs`` (ascending) a posting list holds."""
    out = set()
    for doc in docs:
        if not matcher.is_active():
            break
        if matcher.id() < doc:
            matcher.skip_to(doc)
        if matcher.is_active() and matcher.id() == doc:
            out.add(doc)
    return out
