"""The Whoosh schema of a revsearch index and the field weights over it."""

from __future__ import annotations

import json
import weakref
from typing import Any, Callable, Iterable

from whoosh.analysis import IDTokenizer, LowercaseFilter
from whoosh import columns
from whoosh.fields import COLUMN, ID, NUMERIC, TEXT, Schema
from whoosh.reading import IndexReader

from .analysis import DEFAULT, Analyzer, KiwiTokenizer

#: Free-text fields searched by plain query words, with their weight in BM25F:
#: a word in the title or the keywords says more about a review than one in its body.
TEXT_FIELDS: dict[str, float] = {"title": 1.2, "keywords": 1.5, "body": 1.0, "category": 1.0}
#: Exact-value fields (compared case-insensitively, but for id).
EXACT_FIELDS = ("id", "author", "source", "item")
#: Fields searched with ranges: ``date:[2025-03-01 TO 2025-04-30]``, ``rating:[8 TO 10]``.
RANGE_FIELDS = ("date", "rating")


class KoreanText(TEXT):
    """A text field analysed by Kiwi (see analysis.KiwiTokenizer). Documents
    bring their postings already made (see batch.Batch); the field analyses
    what Whoosh itself analyses, a query's words and phrases. (Its own class:
    index schemas name it.)"""


class Exact(ID):
    """An exact-value field: the whole value is its one term, lowercased if
    ``lowercase`` — what ID with an IDTokenizer (and a LowercaseFilter) gives,
    without Whoosh's token machinery, which costs more than the term."""

    def __init__(self, lowercase: bool = False, **kwargs):
        super().__init__(analyzer=IDTokenizer() | LowercaseFilter() if lowercase else None, **kwargs)
        self.lowercase = lowercase

    def index(self, value, **kwargs) -> Iterable[tuple[bytes, int, float, bytes]]:
        if not isinstance(value, str):
            return super().index(value, **kwargs)
        text = value.lower() if self.lowercase else value
        return [(text.encode("utf-8"), 1, self.format.field_boost, b"")]


def build_schema(analyzer: Analyzer = DEFAULT) -> Schema:
    """A fresh schema. The whole Review is kept as JSON in the ``review``
    column (see :func:`stored_reviews`); the other fields are for matching,
    ranking, filtering and sorting only.
    ``date`` holds one ISO term per review (``2025-04-02``) and ``rating`` one
    numeric term (no trie terms: few distinct values, so ranges over plain
    terms are fast and indexing stays cheap); their sortable columns order
    results. ``file`` is the resolved path of the file a review came from, so
    re-reading a file can replace all it held. The text fields share
    ``analyzer``, which the index records."""
    korean = KiwiTokenizer(analyzer)
    return Schema(
        id=Exact(unique=True),
        title=KoreanText(analyzer=korean, phrase=True),
        body=KoreanText(analyzer=korean, phrase=True),
        keywords=KoreanText(analyzer=korean, phrase=True),
        category=KoreanText(analyzer=korean, phrase=True),
        author=Exact(lowercase=True),
        source=Exact(lowercase=True),
        item=Exact(lowercase=True),
        date=Exact(sortable=True),
        # Whoosh's own float column packs its NaN default as an integer and
        # fails; 0 is the lowest sortable value, so unrated reviews sort last.
        rating=NUMERIC(float, shift_step=0, sortable=columns.NumericColumn("Q", default=0)),
        file=Exact(),
        # offsets written at every size: else opening the column sums each segment's lengths in Python
        review=COLUMN(columns.VarBytesColumn(write_offsets_cutoff=0)),
    )


def analyzer_of(schema: Schema) -> Analyzer:
    """The analyzer an index's documents were analysed with."""
    return schema["body"].analyzer.analyzer


def review_bytes(review: dict[str, Any]) -> bytes:
    """What the ``review`` column holds for a review (its dict). Not Whoosh's
    stored fields: those are zlib-compressed document by document, which cost
    an eighth of indexing time to save a fifth of a few hundred bytes."""
    return _ENCODER.encode(review).encode("utf-8", "surrogatepass")


#: json.dumps with options other than its defaults makes an encoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False)


#: The review column's reader of each open index reader: opening one walks
#: every segment's lengths in Python (~20 ms for 350K reviews).
_columns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def stored_reviews(reader: IndexReader) -> Callable[[int], dict[str, Any]]:
    """Reads the review dict of a document number of ``reader``. The column is
    opened on the first read (an index with no segment has none to open) and
    kept while ``reader`` lives."""

    def read(doc: int) -> dict[str, Any]:
        column = _columns.get(reader)
        if column is None:
            column = _columns[reader] = reader.column_reader("review")
        return json.loads(column[doc].decode("utf-8", "surrogatepass"))

    return read
