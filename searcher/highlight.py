"""Passages: the pieces of a review's original text that best show why it matched.

A text is analysed with the same analyzer as the index, so a query for 외롭다
marks 외로운 and 외로움; spans come from the terms' character offsets and are
always slices of the original text, never re-spelled token forms.
:class:`Passage` lives in :mod:`searcher.results`, which needs no analysis.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from .analysis import DEFAULT, Analyzer, Term
from .results import Passage

#: Longest passage; a longer sentence is cut to a window around its matches.
MAX_CHARS = 200
#: Context kept before the first match when a sentence has to be cut.
LEAD_CHARS = 50
#: Passages are looked for in this much of a text: analysing a huge review in
#: full at query time would cost seconds per hit.
SCAN_CHARS = 50_000

_SENTENCE = re.compile(r"[^\n.!?。…]*(?:[.!?。…]+|\n|$)")
_WORDS = re.compile(r"\W+")


class Wanted(NamedTuple):
    """The passages asked of one text: the ``top`` best for ``terms``, from ``fieldname``."""

    text: str
    terms: set[str]
    fieldname: str = "body"
    top: int = 3


def _spans(analysed: list[Term], terms: set[str]) -> list[tuple[int, int, str]]:
    """Character spans of the words whose terms are in ``terms``, merged
    where they overlap, each with the term that matched."""
    spans: list[tuple[int, int, str]] = []
    for term in sorted((t for t in analysed if t.text in terms), key=lambda t: t.start):
        if spans and term.start < spans[-1][1]:
            start, end, t = spans[-1]
            spans[-1] = (start, max(end, term.end), t)
        else:
            spans.append((term.start, term.end, term.text))
    return spans


def _sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each non-blank sentence or line, whitespace trimmed."""
    out = []
    for m in _SENTENCE.finditer(text):
        start, end = m.span()
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            out.append((start, end))
    return out


def _window(text: str, start: int, end: int, spans) -> tuple[int, int]:
    """Cut [start, end) to at most MAX_CHARS around its first match, at spaces."""
    if end - start <= MAX_CHARS:
        return start, end
    first = spans[0][0] if spans else start
    lo = max(start, first - LEAD_CHARS)
    if lo > start:
        space = text.find(" ", lo, first)
        lo = space + 1 if space != -1 else lo
    hi = min(end, lo + MAX_CHARS)
    if hi < end:
        space = text.rfind(" ", lo + MAX_CHARS // 2, hi)
        hi = space if space != -1 else hi
    return lo, hi


def passages(wanted: list[Wanted], analyzer: Analyzer = DEFAULT) -> list[list[Passage]]:
    """For each of ``wanted``, the ``top`` best passages of its text, best
    first: a sentence (or a window of it) with the most distinct matched
    terms, then the most matches; without any match, the text's opening as
    one passage. All the texts go to Kiwi in one call, so its threads share
    them (a search's ten hits cost half as much as one call each).
    ``analyzer`` is the index's."""
    scanned = [w.text[:SCAN_CHARS] if w.terms and w.text.strip() else "" for w in wanted]
    return [_best(w, _spans(analysed, w.terms)) for w, analysed in zip(wanted, analyzer.analyze_many(scanned))]


def _best(wanted: Wanted, spans: list[tuple[int, int, str]]) -> list[Passage]:
    text, fieldname, top = wanted.text, wanted.fieldname, wanted.top
    if not text.strip():
        return []
    scored = []
    for s_start, s_end in _sentences(text):
        inside = [sp for sp in spans if s_start <= sp[0] and sp[1] <= s_end]
        if not inside:
            continue
        lo, hi = _window(text, s_start, s_end, inside)
        marks = [(a - lo, b - lo) for a, b, _ in inside if lo <= a and b <= hi]
        distinct = len({t for a, b, t in inside if lo <= a and b <= hi})
        scored.append(((-distinct, -len(marks), lo), Passage(text[lo:hi], marks, fieldname, lo)))
    if not scored:
        sentences = _sentences(text)
        lo, hi = _window(text, sentences[0][0], sentences[-1][1], [])
        return [Passage(text[lo:hi], [], fieldname, lo)]
    scored.sort(key=lambda item: item[0])
    best, seen = [], set()
    for _, p in scored:
        key = _WORDS.sub("", p.text)  # a heading repeated in a table of contents shows once
        if key not in seen:
            seen.add(key)
            best.append(p)
    return best[:top]
