"""What a search returns: hits carrying the stored Review and its best passages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .highlight import Passage
from .review import Review


@dataclass
class Hit:
    """One matching review: its id, score, the stored Review and its passages."""

    id: str
    score: float
    review: Review
    passages: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: the review's fields, score and passages (highlights as offsets)."""
        return {
            "id": self.id,
            "score": round(self.score, 4),
            "review": self.review.to_dict(),
            "passages": [p.to_dict() for p in self.passages],
        }


@dataclass
class Results:
    """The hits returned (``len(results)``) out of ``total`` reviews that matched."""

    query: str
    hits: list[Hit]
    total: int

    def __len__(self) -> int:
        return len(self.hits)

    def __iter__(self) -> Iterator[Hit]:
        return iter(self.hits)

    def __getitem__(self, n: int) -> Hit:
        return self.hits[n]

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "hits": [h.to_dict() for h in self.hits]}
