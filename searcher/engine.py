"""The engine seam: what revsearch asks of the store that holds an index, in
revsearch's own terms. The search pipeline, the ingest and the facade
(ReviewIndex) speak only this; each engine (searcher.engines) implements it:
Whoosh files in a folder, the default, or a cluster.

An engine stores reviews with their analysed terms (written in batches that
its own encoder makes, see :meth:`Engine.encoder`), evaluates a plan
(:mod:`searcher.plan`) into scored candidates, returns stored reviews,
counts field values over the reviews a plan matches, gives term statistics
and a field's vocabulary, verifies itself and describes itself. Documents
are known by ``int`` handles, valid within one :class:`EngineView`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Protocol, TypeVar

from .analysis import Analyzer, Term
from .errors import RevsearchError
from .plan import Node
from .review import Review
from .settings import SearchSettings

T = TypeVar("T")
#: A candidate: a document handle of a view and its score.
Candidate = tuple[int, float]


@dataclass
class Verification:
    """What reading an index whole found: ``problems`` (empty when it is
    sound, each in words a user can act on), ``notes`` (what could not be
    verified, without being wrong), its live reviews and its parts (segments)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reviews: int = 0
    segments: int = 0


@dataclass
class EngineInfo:
    """What an engine tells of itself: its kind and version, where it lives,
    how many reviews it holds, its size on disk (bytes; 0 if not local), and
    anything else it finds worth telling (segments, nodes)."""

    engine: str
    version: str
    location: str
    reviews: int
    size: int
    details: dict[str, Any] = field(default_factory=dict)


class BatchEncoder(Protocol):
    """Makes the batches an engine's writer takes, from reviews and the terms
    of their texts (analysed by ``analyzer``). Picklable: an ingest's
    analysis process makes batches with it."""

    analyzer: Analyzer

    def builder(self) -> BatchBuilder: ...


class BatchBuilder(Protocol):
    def __len__(self) -> int: ...

    def add(self, review: Review, texts: list[list[Term]]) -> None:
        """Add a review with the terms of its texts (in the order of schema.TEXTS)."""

    def build(self) -> Batch:
        """The batch of the reviews added since the last build."""


class Batch(Protocol):
    """Analysed reviews, review ``i`` of the batch having the id ``ids[i]``."""

    ids: list[str]

    def __len__(self) -> int: ...


class EngineWriter(Protocol):
    """One writing session. Nothing written is seen by searches until
    :meth:`commit`; :meth:`cancel` drops what was written since."""

    def add(self, batch: Batch, start: int, end: int, files: list[str | None]) -> None:
        """Index reviews ``start`` to ``end`` of ``batch``, each replacing the
        review with its id; ``files[i]`` is the resolved path review ``i`` was
        read from, if any (see :meth:`forget_file`)."""

    def delete(self, review_id: str) -> int:
        """Delete the review with this id; 1 if there was one."""

    def may_hold(self, file: str) -> bool:
        """Whether the index may hold reviews read from ``file``."""

    def forget_file(self, file: str) -> None:
        """Delete the reviews read from ``file``."""

    def commit(self, last: bool = True) -> None:
        """Make what was written visible, durably; writing may go on after
        :meth:`reopen`. ``last``: no commit follows in this session, which
        may tidy up what it wrote (merge segments). Nothing written since the
        last commit and nothing to tidy: the index stays as it was."""

    def reopen(self) -> None:
        """Go on writing after a commit."""

    def cancel(self) -> None:
        """Drop what was written since the last commit."""


class EngineView(Protocol):
    """A consistent view of the index for one search: what it evaluates and
    reads is of one commit, and its handles are valid only within it."""

    def top(self, plan: Node, limit: int, within: Node | None = None) -> tuple[list[Candidate], int]:
        """The best ``limit`` candidates for ``plan`` (among the reviews
        ``within`` matches, if given), best first, ties in index order; and how
        many reviews match."""

    def count(self, plan: Node, within: Node | None = None) -> int:
        """How many reviews match ``plan`` (among those ``within`` matches)."""

    def highest(
        self, plan: Node, field: str, limit: int, within: Node | None = None, lowest: bool = False
    ) -> tuple[list[Candidate], int]:
        """The ``limit`` reviews matching ``plan`` with the highest values of
        the range field ``field`` (the newest dates, the best ratings; the
        lowest if ``lowest``), those without one last; on one value, the best
        first, then in index order; and how many match."""

    def sample(self, plan: Node, size: int, within: Node | None = None) -> list[int]:
        """Up to ``size`` handles of reviews matching ``plan``: the best
        scoring, those tied at the last score taken evenly spread over the
        index, so that a query of only filters (every review scoring alike)
        is sampled throughout, not by its first reviews."""

    def stored(self, docs: list[int]) -> list[dict[str, Any]]:
        """The stored reviews (as :meth:`Review.to_dict`) of these handles."""

    def idf(self, field: str, term: str) -> float:
        """The inverse document frequency of a term of a field, as the engine scores it."""

    def holding(self, field: str, term: str, docs: list[int]) -> set[int]:
        """Which of the handles ``docs`` hold the term in ``field``."""

    def values(self, field: str, plan: Node, within: Node | None = None, top: int | None = None) -> dict[Any, int]:
        """For each value of ``field`` (rating, date, author, item, source or
        keywords), how many reviews matching ``plan`` hold it, as the review
        holds it (a rating as a float, a date as ISO text, derived keywords
        included): facets. ``top``: only the ``top`` most frequent values
        (with those tied with the last), which an engine finds without
        listing the others. Quick enough for a facet over every review."""

    def frequencies(self, field: str, terms: list[str]) -> list[int]:
        """How many reviews hold each of ``terms`` in ``field`` (as ``idf`` counts them)."""

    def vocabulary(self, field: str) -> Iterator[tuple[str, int]]:
        """The terms of ``field``, in order, each with how many reviews hold it."""

    def frequency(self, field: str, term: str) -> int:
        """How many reviews hold ``term`` in ``field`` (0: the field's vocabulary lacks it), cheaply."""


class Engine(Protocol):
    """An open index. ``analyzer`` is the one its texts were analysed with."""

    analyzer: Analyzer

    def __len__(self) -> int:
        """How many reviews it holds, cheaply (no segment read)."""

    def reviews(self) -> Iterator[dict[str, Any]]:
        """Every stored review."""

    @classmethod
    def create(cls, location: Any, analyzer: Analyzer, settings: Any = None) -> Engine:
        """A new, empty index at ``location`` (a folder, a cluster address: what
        the index's records name, see searcher.records), its texts analysed by
        ``analyzer``; ``settings``: the engine's own knobs (None: its defaults)."""

    @classmethod
    def open(cls, location: Any, settings: Any = None) -> Engine:
        """The index at ``location``; IndexDamagedError if it cannot be read."""

    @staticmethod
    def verify(location: Any) -> Verification:
        """Everything the index at ``location`` holds read and checked (see `revsearch check`)."""

    def read(self, work: Callable[[EngineView], T], settings: SearchSettings | None = None) -> T:
        """``work`` done on a view of the last commit, scoring as ``settings``
        say (BM25F's k1 and b). The engine serialises or pools views as it
        must, and redoes ``work`` once on a fresh view if the index changed
        under it; IndexDamagedError if it cannot be read."""

    def encoder(self) -> BatchEncoder:
        """What makes the batches its writer takes."""

    def writer(self) -> EngineWriter:
        """A writing session (the caller holds the index's write lock)."""

    def damaged(self, error: Exception) -> RevsearchError:
        """The error to raise for what the index holds that cannot be read
        (IndexDamagedError, saying how to check and rebuild it)."""

    def describe(self) -> EngineInfo: ...

    def close(self) -> None: ...
