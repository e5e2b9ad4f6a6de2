"""The Whoosh schema of a revsearch index: its field types, the analyzer
Whoosh runs on text (Kiwi's, through :class:`KiwiTokenizer`), and the stored
review column.

Tables of contents pickle the schema, naming these classes by the modules
that defined them before the engine package (``searcher.schema.KoreanText``,
``searcher.analysis.KiwiTokenizer``): the classes keep those names, which
those modules resolve, so index files stay as they were."""

from __future__ import annotations

import json
import weakref
from typing import Any, Callable, Iterable, Iterator

from whoosh.analysis import IDTokenizer, LowercaseFilter, Token, Tokenizer
from whoosh import columns
from whoosh.fields import COLUMN, ID, NUMERIC, TEXT, Schema
from whoosh.reading import IndexReader

from ...analysis import DEFAULT, Analyzer


class KiwiTokenizer(Tokenizer):
    """Whoosh analyzer over an :class:`Analyzer`. Holds no Kiwi, so it pickles
    into the index schema (recording the user dictionary with the index).
    Reviews bring their postings already made (see batch.Batch): this
    analyses what Whoosh itself analyses (a query's words, a phrase)."""

    __module__ = "searcher.analysis"

    #: Indexes from before user dictionaries pickled no analyzer: they used the default.
    analyzer: Analyzer = DEFAULT

    def __init__(self, analyzer: Analyzer = DEFAULT):
        self.analyzer = analyzer

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs,
    ) -> Iterator[Token]:
        terms = self.analyzer.analyze(value)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term in terms:
            token.text = term.text
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = value[term.start : term.end]
            if positions:
                token.pos = start_pos + term.pos
            if chars:
                token.startchar = start_char + term.start
                token.endchar = start_char + term.end
            yield token


class KoreanText(TEXT):
    """A text field analysed by Kiwi (see analysis.KiwiTokenizer). Documents
    bring their postings already made (see batch.Batch); the field analyses
    what Whoosh itself analyses, a query's words and phrases. (Its own class:
    index schemas name it.)"""

    __module__ = "searcher.schema"


class Exact(ID):
    """An exact-value field: the whole value is its one term, lowercased if
    ``lowercase`` — what ID with an IDTokenizer (and a LowercaseFilter) gives,
    without Whoosh's token machinery, which costs more than the term."""

    __module__ = "searcher.schema"

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


def stored_reviews(reader: IndexReader, columns: weakref.WeakKeyDictionary | None = None) -> Callable[[int], dict[str, Any]]:
    """Reads the review dict of a document number of ``reader``. The column is
    opened on the first read (an index with no segment has none to open) and
    kept in ``columns`` (an engine's, by reader) while ``reader`` lives:
    opening one walks every segment's lengths in Python (~20 ms for 350K reviews)."""
    kept = columns if columns is not None else weakref.WeakKeyDictionary()

    def read(doc: int) -> dict[str, Any]:
        column = kept.get(reader)
        if column is None:
            column = kept[reader] = reader.column_reader("review")
        return json.loads(column[doc].decode("utf-8", "surrogatepass"))

    return read
