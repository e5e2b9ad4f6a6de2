"""The search pipeline: a query string becomes a plan (see query), the engine
turns the plan into scored candidates, a tier at a time, the best of each
tier are re-ranked (see ranking), and the reviews shown get their best
passages (see highlight):

    parse → plan → engine candidates (strict tier, then loose) → re-rank → passages → Results

and, if asked, the facets of every match (see facets), counted on the same view.

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
from .explain import explain
from .grouping import Groups, Ranked, grouped
from .facets import Gathered, finished, gather
from .highlight import Wanted, passages
from .lexicon import Lexicon
from .plan import Node, Or
from .query import QueryPlan, filters, parse
from .ranking import rerank
from .request import SearchRequest
from .results import Hit, Passage, Results
from .review import Review
from .settings import SearchSettings
from .synonyms import Synonyms


def search(
    engine: Engine, request: SearchRequest, settings: SearchSettings | None = None, synonyms: Synonyms | None = None,
    lexicon: Callable[[EngineView], Lexicon] | None = None,
) -> Results:
    """The results of ``request`` on ``engine``, its words also finding
    ``synonyms`` (see ReviewIndex.search); with ``lexicon`` (the index's, from
    a view), with did-you-mean and typo recall (see typos): the reviews a
    corrected query finds follow the query's own."""
    settings = settings or SearchSettings()
    planned = parse(request.query, engine.analyzer, settings, synonyms)
    within = filters(request.author, request.since, request.until)
    wanted = request.offset + request.limit
    spelling: typos.Spelling | None = None
    recall: QueryPlan | None = None

    def first(view: EngineView, n: int) -> tuple[list[Ranked], int]:
        if request.sort == "relevance" and recall is not None:
            return typos.tiered(
                view, lambda plan, k: tiered(view, plan, k, within, settings), planned, recall, spelling.weight, n, within
            )
        if request.sort == "relevance":
            return tiered(view, planned, n, within, settings)
        ranked, total = view.highest(matching(), request.sort, n, within, lowest=request.reverse)
        return [Ranked(doc, score, None) for doc, score in ranked], total

    def matching() -> Node:
        """What the search matches: the query's loose plan, or the corrected one's too."""
        return planned.loose if recall is None else Or((planned.loose, recall.loose))

    def find(view: EngineView) -> tuple[list[Ranked], list[Review], int, Groups | None, list[dict] | None, Gathered | None]:
        nonlocal spelling, recall
        spelling = recall = None  # (work is redone on a fresh view if the index changed)
        found = typos.suspects(view, planned) if lexicon is not None else []
        if found:  # words the index lacks: corrected, and searched for on this view
            spelling = typos.spell(request.query, found, lexicon(view), engine.analyzer, settings.typo_weight)
            recall = parse(spelling.recall, engine.analyzer, settings, synonyms) if spelling.recall else None
        groups = None
        if request.group:
            groups = grouped(view, lambda n: first(view, n), request.group, wanted, matching(), within)
            ranked, total = groups.best, groups.total
        else:
            ranked, total = first(view, wanted)
        if lexicon is not None and spelling is None and total < typos.HANDFUL:  # rare words: a suggestion only
            rare = typos.suspects(view, planned, total)
            spelling = typos.spell(request.query, rare, lexicon(view), engine.analyzer, settings.typo_weight) if rare else None
        ranked = ranked[request.offset :]
        stored = view.stored([hit.doc for hit in ranked])
        explained = explain(view, planned, ranked, stored, settings) if request.explain else None
        gathered = gather(view, request.facets, matching(), within, settings) if request.facets else None
        return ranked, [Review.from_dict(r) for r in stored], total, groups, explained, gathered

    ranked, reviews, total, groups, explained, gathered = engine.read(find, settings)
    terms = planned.terms if recall is None else typos.terms(planned, recall)
    shown = best_passages(reviews, terms, request.passages_per_hit, engine.analyzer)
    hits = [Hit(review.id, hit.score, review, p) for review, hit, p in zip(reviews, ranked, shown)]
    for n, hit in enumerate(hits):
        if groups is not None:
            hit.group = groups.of(request.offset + n)
        if explained is not None:
            hit.explain = explained[n]
    facets = finished(engine, gathered, request.facets, planned, settings) if gathered else {}
    results = Results(request.query, hits, total, request.offset, groups.count if groups else None, facets)
    if spelling is not None:
        results.suggestion, results.corrections = spelling.suggestion, spelling.corrections
    return results


def tiered(
    view: EngineView, planned: QueryPlan, n: int, within: Node | None, settings: SearchSettings
) -> tuple[list[Ranked], int]:
    """The first ``n`` reviews matching ``planned.strict``, then the rest of
    ``planned.loose``, each tier re-ranked (see ranking); and how many matched
    ``loose``. Each tier's candidates, in the engine's order, are re-ranked a
    window of ``rerank_depth`` at a time, so the first ``n`` are the start of
    the first ``n + k``: pages neither overlap nor skip a review."""
    depth = settings.rerank_depth
    first, total = view.top(planned.strict, _whole_windows(n, depth), within)
    ranked = [Ranked(doc, score, "strict") for doc, score in _windows(view, first, planned, settings)]
    if planned.strict == planned.loose:
        return ranked[:n], total
    if len(ranked) >= n:  # the second tier is only counted
        return ranked[:n], view.count(planned.loose, within)
    # ``first`` holds every review of the first tier
    seen = {doc for doc, _ in first}
    more = _whole_windows(n - len(first), depth)
    rest, total = view.top(planned.loose, len(first) + more, within)
    rest = [hit for hit in rest if hit[0] not in seen][:more]
    ranked += [Ranked(doc, score, "loose") for doc, score in _windows(view, rest, planned, settings)]
    return ranked[:n], total


def _whole_windows(n: int, depth: int) -> int:
    """``n`` rounded up to whole windows of ``depth``."""
    return -(-n // depth) * depth


def _windows(view: EngineView, hits: list[Candidate], planned: QueryPlan, settings: SearchSettings) -> list[Candidate]:
    """``hits`` re-ranked a window of ``rerank_depth`` at a time."""
    depth = settings.rerank_depth
    return [hit for at in range(0, len(hits), depth) for hit in rerank(view, hits[at : at + depth], planned, settings)]


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
