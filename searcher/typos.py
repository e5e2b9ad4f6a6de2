"""Did-you-mean and typo-tolerant recall, measured in keystrokes (jamo).

A query word of two syllables or more that the index does not hold (none of
its analysed terms of two characters or more is in its vocabulary) is a
suspect: the index's word one keystroke from it, the most frequent of them,
is suggested (사마다 → 사만다, 외로음 → 외로움) and also searched for, its
reviews ranked below the query's own (see SearchSettings.typo_weight). A
Latin word the index does not hold that is Korean typed with the keyboard in
English mode is read as that Korean (``tkaksek`` → 사만다). When a query finds
fewer than HANDFUL reviews, its rare words are suggested a more frequent
neighbour too, without widening the search.

Checking a query costs a few vocabulary look-ups on the search's own view
(:func:`suspects`); the lexicon (see searcher.lexicon) is consulted only
for a suspect."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

from .analysis import Analyzer, Term
from .engine import EngineView
from .grouping import Ranked
from .jamo import from_latin, is_syllable
from .lexicon import FIELDS, Lexicon
from .plan import Node, Or
from .particles import without_particle
from .query import QueryPlan

#: Fewer reviews than this found: the query's rare words are suggested a more frequent neighbour.
HANDFUL = 3
_LATIN = re.compile(r"[A-Za-z]{2,}")


@dataclass(frozen=True)
class Suspect:
    """A query word as typed, and whether the index lacks it (else it is only rare)."""

    word: str
    unknown: bool


@dataclass
class Spelling:
    """What a query's suspects came to: ``corrections`` (each word as typed, or
    without its particle, and the index's word also searched for it), the
    query ``recall`` searches besides the one typed (None: none) and how much
    its reviews weigh, and the ``suggestion`` (the query corrected; None if nothing is)."""

    corrections: dict[str, str] = field(default_factory=dict)
    recall: str | None = None
    weight: float = 1.0
    suggestion: str | None = None


def _words(planned: QueryPlan) -> Iterator[tuple[str, list[Term]]]:
    """Each positive word of the query as typed (whitespace-separated) with the terms analysed from it."""
    positive = set(planned.text.split())
    for text, terms in planned.said:
        for m in re.finditer(r"\S+", text):
            if m.group() in positive:
                yield m.group(), [t for t in terms if m.start() <= t.start < m.end()]


def suspects(view: EngineView, planned: QueryPlan, total: int | None = None) -> list[Suspect]:
    """The words of ``planned`` to correct: those of two syllables or more,
    or Latin, that the index lacks (neither their terms of two characters or
    more nor the word itself, particles taken off); and, if the query found ``total`` (given)
    fewer than HANDFUL reviews, its rare ones."""
    found: dict[str, Suspect] = {}
    asked = []  # (word, its terms, whether of two Hangul syllables or more)
    for word, terms in _words(planned):
        # 꿈에, 눈이, 끝까지, 듯한: one-syllable words with a particle, not typos of 꿈게, 눈치, 끝가지, 드한
        hangul = sum(map(is_syllable, without_particle(word))) >= 2
        if terms and (hangul or _LATIN.fullmatch(word)):  # no terms: a word the index leaves out (그녀, 이걸), not a typo
            asked.append((word, terms, hangul))
    texts = list(dict.fromkeys(t.text for _, terms, _ in asked for t in terms if len(t.text) > 1))
    held = {f: dict(zip(texts, view.frequencies(f, texts))) for f in FIELDS}  # every word's terms in one call a field
    for word, terms, hangul in asked:
        if word in found:
            continue
        reviews = [sum(held[f][t.text] for f in FIELDS) for t in terms if len(t.text) > 1]
        if not any(reviews) and not any(view.frequency(f, without_particle(word).lower()) for f in FIELDS):
            found[word] = Suspect(word, True)  # neither its terms nor the word itself (지루, read 지 + 루 alone)
        elif hangul and total is not None and total < HANDFUL and max(reviews) < HANDFUL:
            found[word] = Suspect(word, False)
    return list(found.values())


def spell(query: str, found: list[Suspect], lexicon: Lexicon, analyzer: Analyzer, typo_weight: float) -> Spelling:
    """The corrections of the ``found`` suspects of ``query`` from ``lexicon``."""
    spelling = Spelling()
    suggested, recalled = query, query
    for suspect in found:
        fix = _fix(suspect.word, lexicon, analyzer)
        if fix is None:
            continue
        typed, fixed, typo = fix
        if typo and lexicon.reviews(fixed) < max(HANDFUL, lexicon.reviews(typed) + 1):
            continue  # a word of a few reviews is as likely a typo itself
        word = suspect.word.replace(typed, fixed, 1)
        suggested = _replace(suggested, suspect.word, word)
        if suspect.unknown:
            spelling.corrections[typed] = fixed
            recalled = _replace(recalled, suspect.word, word)
            if typo:
                spelling.weight = typo_weight
    if suggested != query:
        spelling.suggestion = suggested
    if recalled != query:
        spelling.recall = recalled
    return spelling


def _fix(word: str, lexicon: Lexicon, analyzer: Analyzer) -> tuple[str, str, bool] | None:
    """What of ``word`` to replace, with what, and whether it is a typo (else a
    Latin word read as Korean); None if the lexicon offers nothing."""
    if _LATIN.fullmatch(word):
        korean = from_latin(word)
        known = korean and any(lexicon.reviews(t.text) for t in analyzer.analyze(korean) if len(t.text) > 1)
        return (word, korean, False) if known else None
    for core in dict.fromkeys([word, without_particle(word)]):
        nearest = lexicon.nearest(core) if len(core) > 1 else None
        if nearest:
            return core, nearest, True
    return None


def _replace(query: str, word: str, replacement: str) -> str:
    """``query`` with ``word``, where it stands as a word (not inside another), replaced."""
    return re.sub(rf"(?<![^\s(+\-:\"]){re.escape(word)}(?![^\s)\"])", lambda _: replacement, query)


def terms(planned: QueryPlan, recall: QueryPlan) -> dict[str | None, set[str]]:
    """The terms of ``planned`` and of ``recall``, by field: what passages highlight."""
    return {f: planned.terms.get(f, set()) | recall.terms.get(f, set()) for f in {*planned.terms, *recall.terms}}


def tiered(
    view: EngineView, rank: Callable[[QueryPlan, int], tuple[list[Ranked], int]], planned: QueryPlan,
    recall: QueryPlan, weight: float, n: int, within: Node | None,
) -> tuple[list[Ranked], int]:
    """The first ``n`` reviews of ``planned`` with its correction ``recall``
    after it in each tier: every word as typed, then every word corrected,
    then some typed, then some corrected, each ranked by ``rank`` (see
    search.tiered) by its own query, the corrected query's scores times
    ``weight``; and how many reviews either query matches. Each part is the
    start of the same part for more reviews, so pages neither overlap nor skip."""
    ranked: list[Ranked] = []
    seen: set[int] = set()
    strict = [replace(plan, loose=plan.strict) for plan in (planned, recall)]
    for plan, factor in ((strict[0], 1.0), (strict[1], weight), (planned, 1.0), (recall, weight)):
        if len(ranked) >= n:
            break
        for hit in rank(plan, n)[0]:
            if hit.doc not in seen and len(ranked) < n:
                seen.add(hit.doc)
                ranked.append(hit._replace(score=hit.score * factor))
    return ranked, view.count(Or((planned.loose, recall.loose)), within)
