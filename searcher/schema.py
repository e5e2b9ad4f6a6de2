"""The Whoosh schema of a revsearch index and the ranking weights over it."""

from __future__ import annotations

from whoosh.analysis import IDTokenizer, LowercaseFilter
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.scoring import BM25F

from .analysis import KiwiTokenizer

#: Free-text fields searched by plain query words, with their weight in BM25F:
#: a word in the title or the keywords says more about a review than one in its body.
TEXT_FIELDS: dict[str, float] = {"title": 2.0, "keywords": 1.5, "body": 1.0, "category": 1.0}
#: Exact-value fields (compared case-insensitively).
EXACT_FIELDS = ("id", "author", "source")


def build_schema() -> Schema:
    """A fresh schema. The whole Review is stored as JSON in ``review``; the
    other fields are for matching, ranking, filtering and sorting only.
    ``date`` holds one ISO term per review (``2025-04-02``): ranges run over
    its terms and its sortable column orders results by date."""
    korean = KiwiTokenizer()
    exact = IDTokenizer() | LowercaseFilter()
    return Schema(
        id=ID(unique=True, stored=True),
        title=TEXT(analyzer=korean, phrase=True),
        body=TEXT(analyzer=korean, phrase=True),
        keywords=TEXT(analyzer=korean, phrase=True),
        category=TEXT(analyzer=korean, phrase=True),
        author=ID(analyzer=exact),
        source=ID(analyzer=exact),
        date=ID(sortable=True),
        review=STORED(),
    )


def weighting() -> BM25F:
    """The ranking function used for every search."""
    return BM25F(B=0.75, K1=1.2)
