"""Passages: the pieces of a review's original text that best show why it matched.

A text is analysed with the same analyzer as the index, so a query for 외롭다
marks 외로운 and 외로움; spans come from the terms' character offsets and are
always slices of the original text, never re-spelled token forms.
:class:`Passage` lives in :mod:`searcher.results`, which needs no analysis.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from typing import NamedTuple

from .analysis import DEFAULT, Analyzer, Term
from .parts import is_part
from .results import Passage
from .surface import pattern

#: Longest passage; a longer sentence is cut to a window around its matches.
MAX_CHARS = 200
#: Context kept before the first match when a sentence has to be cut.
LEAD_CHARS = 50
#: Passages are looked for in this much of a text (its sentences cut at the
#: end of it): analysing a huge review in full at query time would cost
#: seconds per hit.
SCAN_CHARS = 50_000
#: Matches this close (from the first's start to the last's) stand together:
#: a passage where several query words do is preferred to one where they lie
#: in unrelated clauses.
TOGETHER_CHARS = 24
#: The tags of terms that are words of their own, not lemmas nor adverbs: a
#: single syllable of these written into a longer word is not marked alone.
_PREDICATES_AND_ADVERBS = frozenset({"VV", "VA", "MAG"})

_SENTENCE = re.compile(r"[^\n.!?。…]*(?:[.!?。…]+|\n|$)")
_WORDS = re.compile(r"\W+")


class Wanted(NamedTuple):
    """The passages asked of one text: the ``top`` best for ``terms``, from ``fieldname``."""

    text: str
    terms: set[str]
    fieldname: str = "body"
    top: int = 3


def _spans(text: str, analysed: list[Term], terms: set[str]) -> list[tuple[int, int, str]]:
    """Character spans of the words whose terms are in ``terms``, merged
    where they overlap, each with the term that matched. A single syllable
    written into a longer word (순 in 지능순, 향 in 무향, 후 in 전/후) is left
    out unless it touches another match: it is mostly another sense."""
    spans: list[tuple[int, int, str]] = []
    for term in sorted((t for t in analysed if t.text in terms), key=lambda t: t.start):
        if spans and term.start < spans[-1][1]:
            start, end, t = spans[-1]
            spans[-1] = (start, max(end, term.end), t)
        elif not (
            term.end - term.start == 1
            and term.tag not in _PREDICATES_AND_ADVERBS
            and is_part(text, term.start)
            and not (spans and term.start - spans[-1][1] <= 1)
        ):
            spans.append((term.start, term.end, term.text))
    return spans


def _together(spans: list[tuple[int, int, str]]) -> tuple[int, int]:
    """The most distinct terms among ``spans`` (ascending) standing within
    TOGETHER_CHARS of each other, and the index of the first span of the
    earliest such run. Two pointers: linear in the spans."""
    best, at, first = 0, 0, 0
    counts: dict[str, int] = {}
    for start, _, term in spans:
        counts[term] = counts.get(term, 0) + 1
        while start - spans[first][0] > TOGETHER_CHARS:
            gone = spans[first][2]
            counts[gone] -= 1
            if not counts[gone]:
                del counts[gone]
            first += 1
        if len(counts) > best:
            best, at = len(counts), first
    return best, at


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
    """Cut [start, end) to at most MAX_CHARS around the first of its matches
    that stand most together, at spaces."""
    if end - start <= MAX_CHARS:
        return start, end
    first = spans[_together(spans)[1]][0] if spans else start
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
    terms standing together (see TOGETHER_CHARS), then the most distinct
    matched terms, then the most matches; without any match, the text's opening as
    one passage. Only the sentences where a term may be written (see
    :mod:`searcher.surface`) are analysed, each run of them as one piece, and all
    the pieces go to Kiwi in one call, so its threads share them (a search's
    ten hits cost half as much as one call each). ``analyzer`` is the index's."""
    heads = [w.text[:SCAN_CHARS] for w in wanted]
    sentences = [_sentences(head) for head in heads]
    runs = [_runs(head, w.terms, s) if w.terms else [] for w, head, s in zip(wanted, heads, sentences)]
    analysed = analyzer.analyze_many(head[a:b] for head, text_runs in zip(heads, runs) for a, b in text_runs)
    out = []
    for w, head, text_sentences, text_runs in zip(wanted, heads, sentences, runs):
        found = [
            t._replace(start=t.start + a, end=t.end + a)
            for a, _ in text_runs
            for t in next(analysed)
            if t.text in w.terms
        ]
        out.append(_best(w, head, text_sentences, _spans(head, found, w.terms)))
    return out


def _runs(text: str, terms: set[str], sentences: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of ``text`` to analyse: each run of consecutive
    ``sentences`` where one of ``terms`` may be written, from the first's
    start to the last's end (the whole text if that cannot be told)."""
    if not sentences:
        return []
    find = pattern(frozenset(terms))
    lowered = text.lower()
    if find is None or len(lowered) != len(text):
        return [(0, len(text))]
    starts = [start for start, _ in sentences]
    held = [False] * len(sentences)
    for m in find.finditer(lowered):
        i = max(bisect_right(starts, m.start()) - 1, 0)
        while i < len(sentences) and sentences[i][0] < m.end():
            held[i] = held[i] or sentences[i][1] > m.start()
            i += 1
    # a sentence cut inside a word (138.6, Boney M.의) is held, and read, with its neighbour
    glued = [i for i in range(1, len(sentences)) if sentences[i][0] == sentences[i - 1][1]]
    for i in glued:
        held[i] = held[i] or held[i - 1]
    for i in reversed(glued):
        held[i - 1] = held[i - 1] or held[i]
    runs: list[tuple[int, int]] = []
    for (start, end), hold, previous in zip(sentences, held, [False, *held]):
        if hold and previous:
            runs[-1] = (runs[-1][0], end)
        elif hold:
            runs.append((start, end))
    return runs


def _best(wanted: Wanted, text: str, sentences: list[tuple[int, int]], spans: list[tuple[int, int, str]]) -> list[Passage]:
    """The passages of ``text`` (the scanned head of ``wanted.text``, cut into
    ``sentences``) around ``spans`` (ascending, apart). Each sentence takes the
    spans inside it by bisection, so a hit costs time in proportion to its
    scanned text and matches, whatever the length of the review."""
    fieldname, top = wanted.fieldname, wanted.top
    if not sentences:
        return []
    starts, ends = [sp[0] for sp in spans], [sp[1] for sp in spans]  # both ascending
    scored = []
    for s_start, s_end in sentences:
        first = bisect_left(starts, s_start)
        inside = spans[first : bisect_right(ends, s_end, first)]
        if not inside:
            continue
        lo, hi = _window(text, s_start, s_end, inside)
        marks = [(a - lo, b - lo, t) for a, b, t in inside if lo <= a and b <= hi]
        scored.append((-_together(marks)[0], -len({t for _, _, t in marks}), -len(marks), lo, hi, marks))
    if not scored:
        lo, hi = _window(text, sentences[0][0], sentences[-1][1], [])
        return [Passage(text[lo:hi], [], fieldname, lo)]
    scored.sort()  # most terms together, most distinct terms, most matches, earliest
    best, seen = [], set()
    for *_, lo, hi, marks in scored:
        if len(best) == top:
            break
        key = _WORDS.sub("", text[lo:hi])  # a heading repeated in a table of contents shows once
        if key not in seen:
            seen.add(key)
            best.append(Passage(text[lo:hi], [(a, b) for a, b, _ in marks], fieldname, lo))
    return best
