"""Facets: what the reviews a search matched hold, counted over all of them
(not only the hits shown), and their significant terms.

The engine counts each field's values over a plan's matches
(:meth:`EngineView.values`); here those counts become facets: ratings and
dates (by year or month) in their natural order, authors, items and keywords
most frequent first. ``terms`` are the significant terms of the matches, as
Elasticsearch's ``significant_text`` finds them: the content words (lemmas)
of a sample of the best matches, analysed again, scored by JLH against how
many reviews of the whole index hold them (see :func:`significant`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .analysis import Analyzer
from .engine import Engine, EngineView
from .plan import Node
from .query import QueryPlan
from .review import Review
from .settings import SearchSettings

#: The engine field each counted facet is made of, and the length of the ISO date's prefix it counts by (None: all of the value).
_FIELDS: dict[str, tuple[str, int | None]] = {
    "rating": ("rating", None),
    "date:year": ("date", 4),
    "date:month": ("date", 7),
    "author": ("author", None),
    "item": ("item", None),
    "keywords": ("keywords", None),
}
#: Facets listed in the order of their values; the others most frequent first.
ORDERED = frozenset({"rating", "date:year", "date:month"})
#: The tags of the terms that ``terms`` may show: nouns, roots, foreign words and verbs' and adjectives' lemmas.
CONTENT = frozenset({"NNG", "NNP", "XR", "SL", "SH", "VV", "VA"})
#: The field whose document frequencies are the background of ``terms``.
BACKGROUND_FIELD = "body"

Facet = list[dict[str, Any]]


def counted(view: EngineView, names: tuple[str, ...], plan: Node, within: Node | None, size: int) -> dict[str, Facet]:
    """The facets ``names`` (but ``terms``) of the reviews ``plan`` matches
    among those ``within`` matches: ``{"value", "count"}`` each, ordered
    facets whole, the others their ``size`` most frequent."""
    by_field: dict[tuple[str, int | None], list[tuple[Any, int]]] = {}
    facets = {}
    for name in names:
        if name not in _FIELDS:
            continue
        field, prefix = _FIELDS[name]
        top = None if name in ORDERED else size
        if (field, top) not in by_field:
            by_field[field, top] = sorted(view.values(field, plan, within, top).items())
        ranked = by_field[field, top]
        if prefix is not None:  # the days, in order, summed by year or month
            summed: dict[str, int] = {}
            for day, n in ranked:
                summed[day[:prefix]] = summed.get(day[:prefix], 0) + n
            ranked = list(summed.items())
        if name not in ORDERED:
            ranked = sorted(ranked, key=lambda item: -item[1])[:size]  # stable: ties stay in value order
        facets[name] = [{"value": value, "count": n} for value, n in ranked]
    return facets


@dataclass
class Gathered:
    """What a search's facets need of its view: the counted facets and, for
    ``terms``, the sample of best matches."""

    facets: dict[str, Facet]
    sample: list[Review]


def gather(view: EngineView, names: tuple[str, ...], plan: Node, within: Node | None, settings: SearchSettings) -> Gathered:
    """The facets ``names`` of ``plan``'s matches counted (see :func:`counted`),
    and a sample of ``settings.terms_sample`` of them, the best (see
    EngineView.sample), if ``terms`` is asked for."""
    facets = counted(view, names, plan, within, settings.facet_size)
    reviews = []
    if "terms" in names:
        reviews = [Review.from_dict(r) for r in view.stored(view.sample(plan, settings.terms_sample, within))]
    return Gathered(facets, reviews)


def finished(
    engine: Engine, gathered: Gathered, names: tuple[str, ...], planned: QueryPlan, settings: SearchSettings
) -> dict[str, Facet]:
    """The facets ``names`` in that order: those counted, and ``terms`` of the
    gathered sample (analysed here, off the engine's view)."""
    facets = dict(gathered.facets)
    if "terms" in names:
        held = sample_terms(gathered.sample, planned, engine.analyzer, settings.terms_chars)
        # as Elasticsearch's min_doc_count (3): a term of one or two reviews of the sample says little
        held = {term: n for term, n in held.items() if n >= settings.terms_min_count}
        words = sorted(held)
        frequencies = engine.read(lambda view: view.frequencies(BACKGROUND_FIELD, words), settings)
        background = dict(zip(words, frequencies))
        facets["terms"] = significant(held, len(gathered.sample), background, len(engine), settings.facet_size)
    return {name: facets[name] for name in names}


def sample_terms(reviews: list[Review], planned: QueryPlan, analyzer: Analyzer, chars: int) -> dict[str, int]:
    """How many of ``reviews`` hold each content term in their title or the
    first ``chars`` of their body; the query's own terms left out (they are
    significant by construction)."""
    asked = {t for terms in planned.terms.values() for t in terms}
    held: dict[str, int] = {}
    texts = [f"{r.title}\n{r.body[:chars]}" for r in reviews]
    for terms in analyzer.analyze_many(texts):
        for text in {t.text for t in terms if t.tag in CONTENT and t.text not in asked}:
            held[text] = held.get(text, 0) + 1
    return held


def significant(held: dict[str, int], subset: int, background: dict[str, int], superset: int, size: int) -> Facet:
    """The ``size`` terms scoring highest by JLH (Elasticsearch's default
    significance score): with ``fg`` the share of the ``subset`` reviews
    holding a term (``held``) and ``bg`` the share of the ``superset`` (the
    index) holding it (``background``), ``(fg - bg) * fg / bg``; terms with
    ``fg <= bg`` are left out. ``{"term", "count", "score"}`` each, ``count``
    the subset reviews holding it."""
    scored = []
    for term, n in held.items():
        fg = n / subset
        bg = max(background.get(term, 0), n) / max(superset, 1)
        if fg > bg:
            scored.append((round((fg - bg) * fg / bg, 4), n, term))
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    return [{"term": term, "count": n, "score": score} for score, n, term in scored[:size]]
