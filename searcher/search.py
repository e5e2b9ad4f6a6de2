"""The search pipeline: a query string becomes a plan (see query), the engine
turns the plan into scored candidates, a tier at a time, the best of each
tier are re-ranked (see ranking), and the reviews shown get their best
passages (see highlight):

    parse → plan → engine candidates (strict tier, then loose) → re-rank → passages → Results

A query word the index lacks is corrected (see typos): the reviews of the
corrected query follow the query's own, found on the same view.

Only the candidates' stage runs on the engine's view of the index; passages
are Kiwi's work and run after it, so other searches use the view meanwhile.
"""

from __future__ import annotations

from typing import Callable

from . import typos
from .analysis import Analyzer
from .engine import Candidate, Engine, EngineView
from .highlight import Wanted, passages
from .lexicon import Lexicon
from .plan import Node, Or
from .query import QueryPlan, filters, parse
from .ranking import rerank
from .request import SearchRequest
from .results import Hit, Passage, Results
from .review import Review
from .settings import SearchSettings


def search(
    engine: Engine, request: SearchRequest, settings: SearchSettings | None = None,
    lexicon: Callable[[EngineView], Lexicon] | None = None,
) -> Results:
    """The results of ``request`` on ``engine`` (see ReviewIndex.search); with
    ``lexicon`` (the index's, from a view), with did-you-mean and typo recall
    (see typos): the reviews a corrected query finds follow the query's own."""
    settings = settings or SearchSettings()
    planned = parse(request.query, engine.analyzer, settings)
    within = filters(request.author, request.since, request.until)
    limit = request.limit
    spelling: typos.Spelling | None = None

    def find(view: EngineView) -> tuple[list[Candidate], list[Review], int]:
        nonlocal spelling, planned
        if request.sort == "date":
            ranked, total = view.highest(planned.loose, "date", limit, within)
        else:
            ranked, total = tiered(view, planned, limit, within, settings)
        found = typos.suspects(view, planned, total) if lexicon is not None else []
        if found:  # the words are corrected and searched on this view: its handles stay valid
            spelling = typos.spell(request.query, found, lexicon(view), engine.analyzer, settings.typo_weight)
            if spelling.recall:
                recall = parse(spelling.recall, engine.analyzer, settings)
                if request.sort == "date":
                    ranked, total = view.highest(Or((planned.loose, recall.loose)), "date", limit, within)
                else:
                    ranked, total = typos.tiered(view, planned, recall, spelling.weight, limit, within, settings)
                planned = typos.also(planned, recall)
        return ranked, [Review.from_dict(r) for r in view.stored([doc for doc, _ in ranked])], total

    ranked, reviews, total = engine.read(find, settings)
    shown = best_passages(reviews, planned.terms, request.passages_per_hit, engine.analyzer)
    hits = [Hit(review.id, score, review, p) for review, (_, score), p in zip(reviews, ranked, shown)]
    if spelling is None:
        return Results(request.query, hits, total)
    return Results(request.query, hits, total, spelling.suggestion, spelling.corrections)


def tiered(
    view: EngineView, planned: QueryPlan, limit: int, within: Node | None, settings: SearchSettings
) -> tuple[list[Candidate], int]:
    """Reviews matching ``planned.strict`` first, then the rest of
    ``planned.loose``, each tier's best re-ranked by coverage; and how many
    matched ``loose``."""
    depth = max(limit, settings.rerank_depth)
    first, total = view.top(planned.strict, depth, within)
    first = rerank(view, first, planned, settings)[:limit]
    if planned.strict == planned.loose:
        return first, total
    if len(first) == limit:  # the second tier is only counted
        return first, view.count(planned.loose, within)
    seen = {doc for doc, _ in first}
    rest, total = view.top(planned.loose, depth + len(first), within)
    first += rerank(view, [hit for hit in rest if hit[0] not in seen], planned, settings)[: limit - len(first)]
    return first, total


def best_passages(reviews: list[Review], terms: dict, top: int, analyzer: Analyzer) -> list[list[Passage]]:
    """Each review's ``top`` best body passages, then its title if it
    matched; every text analysed in one call. None if ``top`` is 0."""
    if top < 1:
        return [[] for _ in reviews]
    any_field = terms.get(None, set())
    body_terms = any_field | terms.get("body", set())
    title_terms = any_field | terms.get("title", set())
    wanted = [Wanted(r.body, body_terms, "body", top) for r in reviews]
    wanted += [Wanted(r.title, title_terms, "title", 1) for r in reviews]
    found = passages(wanted, analyzer)
    bodies, titles = found[: len(reviews)], found[len(reviews) :]
    return [body + [p for p in title if p.highlights] for body, title in zip(bodies, titles)]
