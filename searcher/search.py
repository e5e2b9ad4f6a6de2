"""The search pipeline: a query string becomes a plan (see query), the engine
turns the plan into scored candidates, a tier at a time, the best of each
tier are re-ranked (see ranking), and the reviews shown get their best
passages (see highlight):

    parse → plan → engine candidates (strict tier, then loose) → re-rank → passages → Results

and, if asked, the facets of every match (see facets), counted on the same view.

Only the candidates' stage runs on the engine's view of the index; passages
are Kiwi's work and run after it, so other searches use the view meanwhile.
"""

from __future__ import annotations

from .analysis import Analyzer
from .engine import Candidate, Engine, EngineView
from .facets import Gathered, finished, gather
from .highlight import Wanted, passages
from .plan import Node
from .query import QueryPlan, filters, parse
from .ranking import rerank
from .request import SearchRequest
from .results import Hit, Passage, Results
from .review import Review
from .settings import SearchSettings
from .synonyms import Synonyms


def search(
    engine: Engine, request: SearchRequest, settings: SearchSettings | None = None, synonyms: Synonyms | None = None
) -> Results:
    """The results of ``request`` on ``engine``, its words also finding ``synonyms`` (see ReviewIndex.search)."""
    settings = settings or SearchSettings()
    planned = parse(request.query, engine.analyzer, settings, synonyms)
    within = filters(request.author, request.since, request.until)
    limit = request.limit

    def find(view: EngineView) -> tuple[list[Candidate], list[Review], int, Gathered | None]:
        if request.sort == "date":
            ranked, total = view.highest(planned.loose, "date", limit, within)
        else:
            ranked, total = tiered(view, planned, limit, within, settings)
        gathered = gather(view, request.facets, planned.loose, within, settings) if request.facets else None
        return ranked, [Review.from_dict(r) for r in view.stored([doc for doc, _ in ranked])], total, gathered

    ranked, reviews, total, gathered = engine.read(find, settings)
    shown = best_passages(reviews, planned.terms, request.passages_per_hit, engine.analyzer)
    hits = [Hit(review.id, score, review, p) for review, (_, score), p in zip(reviews, ranked, shown)]
    facets = finished(engine, gathered, request.facets, planned, settings) if gathered else {}
    return Results(request.query, hits, total, facets)


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
