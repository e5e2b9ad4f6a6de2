"""The fields of a revsearch index, in revsearch's own terms: what a query may
name, how each field is matched, and what a word in it weighs. Every engine
stores these fields; how is the engine's business (see searcher.engines)."""

from __future__ import annotations

from typing import Any

#: Free-text fields searched by plain query words, with their weight in BM25F:
#: a word in the title or the keywords says more about a review than one in its body.
TEXT_FIELDS: dict[str, float] = {"title": 1.2, "keywords": 1.5, "body": 1.0, "category": 1.0}
#: The text fields of a review, in the order of the texts Kiwi analyses of it.
TEXTS = ("title", "body", "keywords", "category")
#: Exact-value fields (compared case-insensitively, but for id).
EXACT_FIELDS = ("id", "author", "source", "item")
#: Fields searched with ranges: ``date:[2025-03-01 TO 2025-04-30]``, ``rating:[8 TO 10]``.
RANGE_FIELDS = ("date", "rating")
#: Exact fields whose values are compared as they are (the others lowercased).
CASED_FIELDS = ("id", "date")



def exact_value(field: str, value: str) -> str:
    """The term an exact field holds for ``value``: stripped, lowercased but for CASED_FIELDS."""
    value = value.strip()
    return value if field in CASED_FIELDS else value.lower()


def __getattr__(name: str) -> Any:
    """``KoreanText`` and ``Exact``: the names Whoosh indexes' tables of
    contents record for the Whoosh engine's field classes (pickled as
    ``searcher.schema.KoreanText``); they resolve to those classes, so that
    indexes open and are written as before (see engines.whoosh.schema)."""
    if name in ("KoreanText", "Exact"):
        from .engines.whoosh import schema

        return getattr(schema, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
