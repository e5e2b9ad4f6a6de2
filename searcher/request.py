"""What a search asks: its query and options, one object from the command line
(or a program) through the resident server's protocol to the search pipeline,
so that an option is added in one place. Imports nothing heavy: the command
line builds one before anything is loaded."""

from __future__ import annotations

import dataclasses
import datetime as _dt
from dataclasses import dataclass
from typing import Any

from .errors import QueryError
from .options import FACETS, GROUPS, SORTS


@dataclass(frozen=True)
class SearchRequest:
    """A search of ``query``: at most ``limit`` hits, filtered by ``author``
    and dates from ``since`` to ``until`` (a date, or a day, month or year as
    text), ordered by ``sort`` (see SORTS; ``reverse``: oldest or lowest
    first), from the ``offset``-th hit on (a page), each hit with up to
    ``passages_per_hit`` passages (0: none, and no text analysis after the
    search); ``group``: the best review of each item or author (see GROUPS);
    ``explain``: why each hit ranks where it does; ``facets`` (see FACETS):
    counted over all the reviews it matched. QueryError if an option is out
    of its range."""

    query: str
    limit: int = 10
    author: str | None = None
    since: str | _dt.date | None = None
    until: str | _dt.date | None = None
    sort: str = "relevance"
    passages_per_hit: int = 3
    reverse: bool = False
    offset: int = 0
    group: str | None = None
    explain: bool = False
    facets: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "facets", tuple(self.facets))  # a list, from JSON or a caller
        unknown = [name for name in self.facets if name not in FACETS]
        if unknown:
            raise QueryError(f"unknown facet {', '.join(map(repr, unknown))}; facets: {','.join(FACETS)}")
        if self.limit < 1:
            raise QueryError("limit must be at least 1")
        if self.sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {self.sort!r}")
        if self.reverse and self.sort == "relevance":
            raise QueryError("reverse applies to sort date or rating, not relevance: add --sort date (or rating)")
        if self.offset < 0:
            raise QueryError("offset must be 0 or more")
        if self.group is not None and self.group not in GROUPS:
            raise QueryError(f"group must be one of {', '.join(GROUPS)}, not {self.group!r}")
        if self.passages_per_hit < 0:
            raise QueryError("passages_per_hit must be 0 or more")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (dates as ISO text), as the resident protocol carries it."""
        return {f.name: _json_ready(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchRequest:
        """Inverse of :meth:`to_dict`; QueryError for a key it does not know."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise QueryError(f"unknown search option: {', '.join(unknown)}")
        return cls(**data)


def _json_ready(value: Any) -> Any:
    """A date as ISO text, a tuple as a list (as JSON brings them back); else the value."""
    if isinstance(value, _dt.date):
        return value.isoformat()
    return list(value) if isinstance(value, tuple) else value
