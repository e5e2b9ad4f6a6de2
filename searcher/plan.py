"""revsearch's query plan: what a search asks of an engine, in revsearch's own
terms, made by the query parser (see :mod:`searcher.query`) before any index
is opened, and turned by each engine into its own evaluation.

A plan is a tree of frozen nodes: analysed terms of a field, phrases, two
words near each other, and/or/and-maybe/and-not, every review, ranges. Nodes
compare equal when they ask the same, and print as a readable expression,
so a plan can be tested and shown (``ReviewIndex.plan(query)``) without searching.

Scores are BM25F: each Term scores by its field's statistics, times its
boost; Or and And add their children's scores, times their boost; AndMaybe
adds what the optional side scores to the required side's documents; Near
only ever adds to a score (a bonus for two words found together); a filter
(Range, Not, Every) scores 1 per document it lets through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

#: Any plan node.
Node = Union["Term", "Phrase", "Sequence", "Near", "Or", "And", "AndMaybe", "AndNot", "Not", "Every", "Range"]


def _boosted(text: str, boost: float) -> str:
    return text if boost == 1.0 else f"{text}^{boost:g}"


@dataclass(frozen=True)
class Term:
    """Documents whose ``field`` holds the (analysed, or exact) term ``text``."""

    field: str
    text: str
    boost: float = 1.0

    def __str__(self) -> str:
        return _boosted(f"{self.field}:{self.text}", self.boost)


@dataclass(frozen=True)
class Phrase:
    """The ``words`` of ``field`` one after the other (each within ``slop``
    positions of the one before), scored as their terms summed."""

    field: str
    words: tuple[str, ...]
    boost: float = 1.0
    slop: int = 1

    def __str__(self) -> str:
        slop = f"~{self.slop}" if self.slop != 1 else ""
        return _boosted(f'{self.field}:"{" ".join(self.words)}"{slop}', self.boost)


@dataclass(frozen=True)
class Sequence:
    """The ``parts`` (each an Or of a position's alternative terms, or a Term)
    at consecutive positions of one field."""

    parts: tuple[Node, ...]
    boost: float = 1.0

    def __str__(self) -> str:
        return _boosted("SEQ(" + " ".join(map(str, self.parts)) + ")", self.boost)


@dataclass(frozen=True)
class Near:
    """A bonus: the terms ``a`` and ``b`` (of one field) within ``slop``
    positions of each other, in either order unless ``ordered``. It matches
    the documents holding both and scores what they score there."""

    a: Term
    b: Term
    slop: int
    ordered: bool = False

    def __str__(self) -> str:
        return f"NEAR/{self.slop}({self.a} {self.b})"


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]
    boost: float = 1.0

    def __str__(self) -> str:
        return _boosted("(" + " OR ".join(map(str, self.children)) + ")", self.boost)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]
    boost: float = 1.0

    def __str__(self) -> str:
        return _boosted("(" + " AND ".join(map(str, self.children)) + ")", self.boost)


@dataclass(frozen=True)
class AndMaybe:
    """The documents of ``required``; those also matching ``optional`` score its score too."""

    required: Node
    optional: Node

    def __str__(self) -> str:
        return f"({self.required} ANDMAYBE {self.optional})"


@dataclass(frozen=True)
class AndNot:
    """The documents of ``positive`` that ``negative`` does not match."""

    positive: Node
    negative: Node

    def __str__(self) -> str:
        return f"({self.positive} ANDNOT {self.negative})"


@dataclass(frozen=True)
class Not:
    """Every review that ``child`` does not match, each scoring 1."""

    child: Node

    def __str__(self) -> str:
        return f"NOT {self.child}"


@dataclass(frozen=True)
class Every:
    """Every review."""

    def __str__(self) -> str:
        return "*"


@dataclass(frozen=True)
class Range:
    """Reviews whose ``field`` (a range field: date as ISO text, rating as a
    number) lies between ``start`` and ``end`` (None: open), each end
    included unless excluded."""

    field: str
    start: str | float | None
    end: str | float | None
    start_excl: bool = False
    end_excl: bool = False

    def __str__(self) -> str:
        low = "*" if self.start is None else f"{self.start:g}" if isinstance(self.start, float) else self.start
        high = "*" if self.end is None else f"{self.end:g}" if isinstance(self.end, float) else self.end
        return f"{self.field}:{'{' if self.start_excl else '['}{low} TO {high}{'}' if self.end_excl else ']'}"


def any_of(children: list[Node]) -> Node | None:
    """The Or of ``children``; the child itself if there is one; None if none."""
    if not children:
        return None
    return children[0] if len(children) == 1 else Or(tuple(children))


def all_of(children: list[Node]) -> Node | None:
    """The And of ``children``; the child itself if there is one; None if none."""
    if not children:
        return None
    return children[0] if len(children) == 1 else And(tuple(children))
