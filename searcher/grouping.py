"""Grouped results: the best review of each item or author, with how many
reviews of the group match, groups in the order of their best reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, NamedTuple

from .engine import EngineView
from .plan import Node

#: How much deeper each look for more groups reads the ranking.
DEEPER = 4


class Ranked(NamedTuple):
    """A review in a search's order: its handle, its score, and the tier that
    found it ("strict": every word, "loose": some; None when sorted by a field)."""

    doc: int
    score: float
    tier: str | None


@dataclass
class Groups:
    """The best review of each group matching a search, best first (``best``,
    each of ``values[i]`` of ``field``, ``counts[i]`` reviews of it matching);
    how many groups and reviews match in all (``count``, ``total``)."""

    field: str
    best: list[Ranked]
    values: list[Any]
    counts: list[int]
    count: int
    total: int

    def of(self, n: int) -> dict[str, Any]:
        """What a hit's JSON says of its group: ``{"by", "value", "count"}``."""
        return {"by": self.field, "value": self.values[n], "count": self.counts[n]}


def grouped(
    view: EngineView, first: Callable[[int], tuple[list[Ranked], int]], field: str, n: int, plan: Node,
    within: Node | None,
) -> Groups:
    """The first ``n`` groups by ``field`` of the reviews ``plan`` matches
    (among ``within``), read from the ranking ``first(k)`` (its first ``k``
    reviews and how many match), deeper until it has ``n`` groups or every
    review. A review without a value of ``field`` is a group of its own."""
    k = n
    while True:
        ranked, total = first(k)
        best: dict[Any, tuple[Ranked, Any]] = {}
        for hit, review in zip(ranked, view.stored([hit.doc for hit in ranked])):
            value = review.get(field) or None
            best.setdefault(value if value is not None else ("", review["id"]), (hit, value))
        if len(best) >= n or len(ranked) < k or len(ranked) >= total:
            break
        k *= DEEPER
    counts = view.values(field, plan, within)
    chosen = list(best.values())[:n]
    return Groups(
        field,
        [hit for hit, _ in chosen],
        [value for _, value in chosen],
        [counts.get(value, 0) if value is not None else 1 for _, value in chosen],
        len(counts) + total - sum(counts.values()),
        total,
    )
