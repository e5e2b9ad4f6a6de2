"""Why a hit ranks where it does: the plan its tier evaluated, what each of
the plan's scoring clauses (a word in a field, a phrase, a filter) adds to
its BM25F score, the proximity bonus (words found near each other), and the
re-ranking factors its score was multiplied by (see ranking).

Each clause is scored by the engine alone over the hits (through the seam's
``top``), times the boosts of the nodes above it, so the contributions add up
to the engine's score: nothing is recomputed outside the engine.
"""

from __future__ import annotations

from typing import Any, Iterator

from . import plan as p
from .engine import EngineView
from .grouping import Ranked
from .query import QueryPlan
from .ranking import factors
from .settings import SearchSettings

#: Digits kept of the figures of an explanation.
DIGITS = 4


def explain(
    view: EngineView, planned: QueryPlan, ranked: list[Ranked], stored: list[dict], settings: SearchSettings
) -> list[dict[str, Any]]:
    """The explanation of each of ``ranked`` (whose stored reviews are ``stored``), as JSON-ready dicts."""
    if not ranked:
        return []
    ids = p.any_of([p.Term("id", review["id"]) for review in stored])
    scored: dict[p.Node, dict[int, float]] = {}

    def scores(node: p.Node) -> dict[int, float]:
        if node not in scored:
            found, _ = view.top(node, len(ranked), ids)
            scored[node] = dict(found)
        return scored[node]

    reranked = [hit.doc for hit in ranked if hit.tier is not None]
    found = factors(view, reranked, planned, settings) if reranked else {}
    out = []
    for hit in ranked:
        plan = planned.strict if hit.tier == "strict" else planned.loose
        clauses, proximity = [], 0.0
        for node, boost in _clauses(plan):
            score = scores(node).get(hit.doc, 0.0) * boost
            if not score:
                continue
            if isinstance(node, p.Near):
                proximity += score
            else:
                term = node.text if isinstance(node, p.Term) else str(node)
                clauses.append({"field": getattr(node, "field", None), "term": term, "score": round(score, DIGITS)})
        bm25f = sum(c["score"] for c in clauses) + proximity
        explained: dict[str, Any] = {
            "plan": str(plan), "tier": hit.tier, "bm25f": round(bm25f, DIGITS), "clauses": clauses,
            "proximity": round(proximity, DIGITS), "rerank": None, "score": round(hit.score, DIGITS),
        }
        if hit.doc in found:
            f = found[hit.doc]
            explained["rerank"] = {
                "coverage": round(f.coverage, DIGITS), "surface": round(f.surface, DIGITS),
                "closeness": round(f.closeness, DIGITS), "factor": round(f.product(settings), DIGITS),
            }
        out.append(explained)
    return out


def _clauses(node: p.Node, boost: float = 1.0) -> Iterator[tuple[p.Node, float]]:
    """The clauses of a plan that score (all but what AND NOT takes away), each
    with the product of the boosts above it."""
    if isinstance(node, (p.Or, p.And)):
        for child in node.children:
            yield from _clauses(child, boost * node.boost)
    elif isinstance(node, p.AndMaybe):
        yield from _clauses(node.required, boost)
        yield from _clauses(node.optional, boost)
    elif isinstance(node, p.AndNot):
        yield from _clauses(node.positive, boost)
    else:
        yield node, boost
