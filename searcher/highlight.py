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
from .surface import patterns

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
    one passage.

    Only the sentences where a term may be written are analysed (see
    :mod:`searcher.surface`), and at first only those that may hold the most
    distinct terms, enough for ``top`` passages; the others then only if they
    could still make one. Each round's sentences go to Kiwi in one call, a run
    of adjacent ones as one piece, so Kiwi's threads share them (a search's ten
    hits cost half as much as one call each). ``analyzer`` is the index's."""
    heads = [w.text[:SCAN_CHARS] for w in wanted]
    sentences = [_sentences(head) for head in heads]
    units = [_units(head, w.terms, s) for w, head, s in zip(wanted, heads, sentences)]
    floors = [_floor(text_units, w.top) for w, text_units in zip(wanted, units)]
    found: list[list[Term]] = [[] for _ in wanted]
    _analyse(heads, [[u for u in us if u[2] >= floor] for us, floor in zip(units, floors)], wanted, found, analyzer)
    best = [_best(w, head, s, _spans(head, f, w.terms)) for w, head, s, f in zip(wanted, heads, sentences, found)]
    rests = [[u for u in us if u[2] < floor] for us, floor in zip(units, floors)]
    rests = [rest if _open(rest, chosen[1]) else [] for rest, chosen in zip(rests, best)]
    if any(rests):
        _analyse(heads, rests, wanted, found, analyzer)
        for i, rest in enumerate(rests):
            if rest:
                best[i] = _best(wanted[i], heads[i], sentences[i], _spans(heads[i], found[i], wanted[i].terms))
    return [chosen for chosen, _ in best]


def _units(text: str, terms: set[str], sentences: list[tuple[int, int]]) -> list[tuple[int, int, int]]:
    """The sentences of ``text`` where one of ``terms`` may be written, as
    ``(start, end, most)``: each with the sentences glued to it (a sentence cut
    inside a word, 138.6 or Boney M.의, is read with its neighbour), and the
    most distinct terms one of them may hold. All the text as one, if that
    cannot be told."""
    if not terms or not sentences:
        return []
    found = patterns(frozenset(terms))
    lowered = text.lower()
    if found is None or len(lowered) != len(text):
        return [(0, len(text), len(terms))]
    starts = [start for start, _ in sentences]
    held: list[set[str]] = [set() for _ in sentences]
    for term, written in found:
        for m in written.finditer(lowered):
            i = max(bisect_right(starts, m.start()) - 1, 0)
            while i < len(sentences) and sentences[i][0] < m.end():
                if sentences[i][1] > m.start():
                    held[i].add(term)
                i += 1
    units: list[tuple[int, int, int]] = []
    for i, ((start, end), there) in enumerate(zip(sentences, held)):
        if units and start == sentences[i - 1][1]:
            units[-1] = (units[-1][0], end, max(units[-1][2], len(there)))
        else:
            units.append((start, end, len(there)))
    return [unit for unit in units if unit[2]]


def _floor(units: list[tuple[int, int, int]], top: int) -> int:
    """The least of the ``top`` highest bounds of ``units``: the units analysed first are those at or above it."""
    bounds = sorted((most for *_, most in units), reverse=True)
    return bounds[min(top, len(bounds)) - 1] if bounds else 0


def _open(units: list[tuple[int, int, int]], last: tuple[int, int] | None) -> bool:
    """Whether a sentence of ``units`` could still rank among the passages
    chosen, the last of which has ``last`` (terms together, distinct terms;
    None if fewer than asked were found): it may hold as many distinct terms
    as its bound, all together, and more matches."""
    most = max((most for *_, most in units), default=0)
    return bool(most) and (last is None or most > last[0] or (most == last[0] and most >= last[1]))


def _analyse(
    heads: list[str], units: list[list[tuple[int, int, int]]], wanted: list[Wanted], found: list[list[Term]], analyzer: Analyzer
) -> None:
    """Analyse ``units`` of each text in one call, adjacent ones as one piece,
    adding the terms wanted there to ``found``, at their offsets in the text."""
    pieces: list[list[tuple[int, int]]] = []
    for head, text_units in zip(heads, units):
        runs: list[tuple[int, int]] = []
        for start, end, _ in text_units:
            if runs and not head[runs[-1][1] : start].strip():
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))
        pieces.append(runs)
    analysed = analyzer.analyze_many(head[a:b] for head, runs in zip(heads, pieces) for a, b in runs)
    for w, runs, text_found in zip(wanted, pieces, found):
        for a, _ in runs:
            text_found.extend(t._replace(start=t.start + a, end=t.end + a) for t in next(analysed) if t.text in w.terms)


def _best(
    wanted: Wanted, text: str, sentences: list[tuple[int, int]], spans: list[tuple[int, int, str]]
) -> tuple[list[Passage], tuple[int, int] | None]:
    """The passages of ``text`` (the scanned head of ``wanted.text``, cut into
    ``sentences``) around ``spans`` (ascending, apart), and the terms together
    and distinct terms of the last if there are ``top`` of them. Each sentence
    takes the spans inside it by bisection, so a hit costs time in proportion to its
    scanned text and matches, whatever the length of the review."""
    fieldname, top = wanted.fieldname, wanted.top
    if not sentences:
        return [], None
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
        return [Passage(text[lo:hi], [], fieldname, lo)], None
    scored.sort()  # most terms together, most distinct terms, most matches, earliest
    best, seen, last = [], set(), None
    for together, distinct, _, lo, hi, marks in scored:
        if len(best) == top:
            break
        key = _WORDS.sub("", text[lo:hi])  # a heading repeated in a table of contents shows once
        if key not in seen:
            seen.add(key)
            best.append(Passage(text[lo:hi], [(a, b) for a, b, _ in marks], fieldname, lo))
            last = (-together, -distinct)
    return best, last if len(best) == top else None
