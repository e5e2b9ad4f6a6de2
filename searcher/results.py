"""What a search returns: hits carrying the stored Review and its best passages.

Light to import (no Whoosh, no Kiwi): the command line rebuilds results sent by
the resident query server with :meth:`Results.from_dict`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Iterator

from .review import Review


@dataclass
class Passage:
    """A piece of a review's ``field`` (``body`` or ``title``), starting at
    character ``start`` of that field, with ``highlights`` as ``(start, end)``
    offsets into ``text`` of the matched words."""

    text: str
    highlights: list[tuple[int, int]] = field(default_factory=list)
    field: str = "body"
    start: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["highlights"] = [list(span) for span in self.highlights]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        """Inverse of :meth:`to_dict`."""
        return cls(data["text"], [(a, b) for a, b in data["highlights"]], data["field"], data["start"])


@dataclass
class Hit:
    """One matching review: its id, score, the stored Review and its passages;
    in a grouped search its ``group`` (``{"by", "value", "count"}``), and when
    asked, the ``explain`` of its score (see searcher.explain)."""

    id: str
    score: float
    review: Review
    passages: list[Passage] = field(default_factory=list)
    group: dict[str, Any] | None = None
    explain: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the review's fields, score and passages (highlights
        as offsets); ``group`` and ``explain`` when there are."""
        data = {
            "id": self.id,
            "score": round(self.score, 4),
            "review": self.review.to_dict(),
            "passages": [p.to_dict() for p in self.passages],
        }
        data.update({k: v for k, v in (("group", self.group), ("explain", self.explain)) if v is not None})
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hit:
        """Inverse of :meth:`to_dict` (the score as rounded there)."""
        passages = [Passage.from_dict(p) for p in data["passages"]]
        review = Review.from_dict(data["review"])
        return cls(data["id"], data["score"], review, passages, data.get("group"), data.get("explain"))


@dataclass
class Results:
    """The hits returned (``len(results)``) out of ``total`` reviews that
    matched, from the ``offset``-th on; in a grouped search, ``groups`` is how
    many groups matched (each hit the best of its group); the ``facets`` asked
    for of all of them (see searcher.facets): by name, a list of ``{"value",
    "count"}`` (``{"term", "count", "score"}`` for ``terms``). ``suggestion``:
    the query corrected, if a word of it seems mistyped (did-you-mean);
    ``corrections``: the mistyped words (as typed) and the index's words also
    searched for them (see searcher.typos)."""

    query: str
    hits: list[Hit]
    total: int
    offset: int = 0
    groups: int | None = None
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    suggestion: str | None = None
    corrections: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, n: int) -> Hit:
        return self.hits[n]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``groups`` and ``facets`` only when asked for."""
        data = {
            "query": self.query, "total": self.total, "offset": self.offset,
            "suggestion": self.suggestion, "corrections": dict(self.corrections),
        }
        if self.groups is not None:
            data["groups"] = self.groups
        if self.facets:
            data["facets"] = self.facets
        return {**data, "hits": [h.to_dict() for h in self.hits]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Results:
        """Inverse of :meth:`to_dict`."""
        hits = [Hit.from_dict(h) for h in data["hits"]]
        return cls(
            data["query"], hits, data["total"], data.get("offset", 0), data.get("groups"), data.get("facets", {}),
            data.get("suggestion"), dict(data.get("corrections", {})),
        )
