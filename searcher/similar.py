"""Reviews like a given one ("more like this"): the review's most distinctive
terms, each weighed as BM25 weighs it in that review (the engine's IDF, the
term's frequency saturated by K1), but for those most reviews hold,
searched for in the titles and bodies of the others; the best of those, with
their passages, the review itself left out."""

from __future__ import annotations

from collections import Counter

from . import plan as p
from .engine import Engine, EngineView
from .errors import QueryError
from .results import Hit, Results
from .review import Review
from .schema import exact_value
from .search import best_passages
from .settings import SearchSettings

#: The most terms of a review that a search for reviews like it asks for.
MOST_TERMS = 12
#: A term held by more than this share of the reviews (영화, 보다 in film
#: reviews) tells nothing of a review, and costs the most to search for: it is
#: left out, unless the review has no other.
MAX_SHARE = 0.05
#: The fields they are searched for in.
FIELDS = ("title", "body")


def similar(
    engine: Engine, review_id: str, limit: int = 10, settings: SearchSettings | None = None, passages_per_hit: int = 3
) -> Results:
    """The ``limit`` reviews most like the review with id ``review_id`` (see
    the module); ``Results.query`` is the terms searched for, most telling
    first. QueryError if no review has that id."""
    if limit < 1:
        raise QueryError("limit must be at least 1")
    settings = settings or SearchSettings()
    wanted = p.Term("id", exact_value("id", review_id))
    found = engine.read(lambda view: view.stored([doc for doc, _ in view.top(wanted, 1)[0]]), settings)
    if not found:
        raise QueryError(
            f"no review has the id {review_id!r}: ids are the \"id\" of `revsearch query WORDS --json`'s hits"
        )
    source = Review.from_dict(found[0])
    reviews = len(engine)
    counts = [Counter(t.text for t in terms) for terms in engine.analyzer.analyze_many([source.title, source.body])]

    def find(view: EngineView) -> tuple[list[str], list[tuple[int, float]], list[dict], int]:
        weights: dict[str, float] = {}
        for name, tf in zip(FIELDS, counts):
            weight = settings.field_weights.get(name, 1.0)
            for term, n in tf.items():
                saturated = n * (settings.k1 + 1) / (n + settings.k1)
                weights[term] = weights.get(term, 0.0) + weight * view.idf(name, term) * saturated
        ranked_terms = sorted(weights, key=lambda t: (-weights[t], t))[: 2 * MOST_TERMS]
        if not ranked_terms:
            return [], [], [], 0
        common = reviews * MAX_SHARE
        terms = [t for t in ranked_terms if view.count(p.Term("body", t)) <= common][:MOST_TERMS]
        terms = terms or ranked_terms[:MOST_TERMS]
        top = weights[terms[0]]
        plan = p.Or(tuple(p.Term(f, t, weights[t] / top) for t in terms for f in FIELDS))
        itself = {doc for doc, _ in view.top(wanted, 1)[0]}
        ranked, total = view.top(plan, limit + 1)
        ranked = [hit for hit in ranked if hit[0] not in itself][:limit]
        return terms, ranked, view.stored([doc for doc, _ in ranked]), total - 1

    terms, ranked, stored, total = engine.read(find, settings)
    reviews = [Review.from_dict(r) for r in stored]
    shown = best_passages(reviews, {None: set(terms)}, passages_per_hit, engine.analyzer)
    hits = [Hit(review.id, score, review, passages) for review, (_, score), passages in zip(reviews, ranked, shown)]
    return Results(" ".join(terms), hits, total)
