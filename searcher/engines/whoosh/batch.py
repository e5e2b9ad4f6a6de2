"""Reviews analysed together, in the form the segment writer takes them: their
postings and column values in arrays.

A large run analyses reviews in a child process and hands them to the writer
a batch at a time (see searcher.ingest). Made into Whoosh documents, a review's
postings cost the writer a Python object and a dictionary look-up each, and
cost pickling and unpickling on the way; as arrays, one batch's postings go
into the writer's pool in a few numpy operations (see segment.SegmentWriter)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any

from whoosh.fields import FieldType, Schema

from ...analysis import Analyzer, Term
from ...keywords import derive_keywords
from ...review import Review
from ...schema import TEXTS
from .schema import build_schema, review_bytes

#: A posting's position as Batch.positions holds it when it has no value (an exact-value field).
NO_VALUE = -1


def several(k: int) -> int:
    """The position marker of a posting whose positions are the ``k``-th encoded."""
    return -2 - k


def encoded_at(marker):
    """The index in the encoded positions of a marker made by :func:`several`
    (an int, or an array of them); :func:`is_several` tells which markers are."""
    return -2 - marker


def is_several(marker):
    """Whether a marker (or each of an array of them) stands for several positions, encoded."""
    return marker <= -2


@dataclass
class Batch:
    """Consecutive reviews: document ``i`` of the batch is the review with
    ``ids[i]``. A posting ``j`` is of term number ``terms[j]`` in document
    ``docs[j]`` with weight ``weights[j]``. Terms are numbered across a run's
    batches (see TermNumbers): ``keys`` (field and term bytes) are those of
    the numbers from ``first_key`` on, new in this batch, and a batch with
    ``first_key`` 0 starts the numbering anew. Postings come in
    document order, those of documents up to ``i`` ending at ``ends[i]``.
    ``positions[j]`` is the term's one position in the document, NO_VALUE for
    a field without positions, or the marker :func:`several` makes of ``k`` for
    several positions, Whoosh-encoded in ``encoded[k]`` (most terms occur once in a review, and their encodings are
    shared by the writer). ``lengths`` holds each text field's length (terms)
    by document, ``columns`` each column's value by document (None: none)."""

    ids: list[str]
    first_key: int
    keys: list[tuple[str, bytes]]
    terms: array
    docs: array
    weights: array
    positions: array
    encoded: list[bytes]
    ends: list[int]
    lengths: dict[str, list[int]]
    columns: dict[str, list[Any]]

    def __len__(self) -> int:
        return len(self.ids)


class TermNumbers:
    """The numbers of the terms of a run's batches, kept from one batch to the
    next: most of a batch's terms were in an earlier one, and only the new
    ones are named in a batch, encoded and pickled, and looked up by the
    writer. Terms are numbered in order of first use, whatever the field;
    past ``held`` the numbering starts again from 0 with the next batch, which
    bounds its memory (and the writer's copy of the keys) however long the run."""

    def __init__(self, held: int) -> None:
        self.held = held
        self.by_field: dict[str, _Numbers] = {}  # by field: term (text, or bytes) -> number
        self.new: list[tuple[str, Any]] = []  # (field, term) of each number given since the last batch
        self.first = 0  # the number of new[0]

    def field(self, name: str) -> _Numbers:
        numbers = self.by_field.get(name)
        if numbers is None:
            numbers = self.by_field[name] = _Numbers(name, self)
        return numbers

    def take_new(self) -> tuple[int, list[tuple[str, bytes]]]:
        """The number of the first term numbered since the last call, and the
        keys of those terms; the next batch starts the numbering anew if it
        holds ``held`` terms."""
        first, new = self.first, self.new
        keys = [(name, term.encode("utf-8") if isinstance(term, str) else term) for name, term in new]
        self.first, self.new = first + len(new), []
        if self.first >= self.held:
            self.by_field.clear()
            self.first = 0
        return first, keys


class _Numbers(dict):
    """One field's terms and their numbers; a term not in it gets the next."""

    __slots__ = ("name", "numbering")

    def __init__(self, name: str, numbering: TermNumbers):
        super().__init__()
        self.name, self.numbering = name, numbering

    def __missing__(self, term: Any) -> int:
        numbering = self.numbering
        number = self[term] = numbering.first + len(numbering.new)
        numbering.new.append((self.name, term))
        return number


class BatchBuilder:
    """Makes a :class:`Batch` a review at a time. Where reviews are analysed,
    each is added as Kiwi hands back its terms: Kiwi's threads have 32 texts
    queued, and a whole batch made at once (some 10 ms) would leave them idle.
    ``numbers``: the run's term numbering."""

    def __init__(self, schema: Schema, numbers: TermNumbers):
        self._fields = {name: schema[name] for name in schema.names()}
        self._numbers = numbers
        # Batch's arrays, as lists until build() (appending to a list costs less)
        self._terms: list[int] = []
        self._docs: list[int] = []
        self._weights: list[float] = []
        self._positions: list[int] = []
        self._encoded: list[bytes] = []
        self._ends: list[int] = []
        self._ids: list[str] = []
        self._lengths: dict[str, list[int]] = {}
        self._columns: dict[str, list[Any]] = {}
        self._made: dict[tuple[str, Any], tuple[list[tuple[bytes, float]], Any]] = {}  # see _exact

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, review: Review, texts: list[list[Term]]) -> None:
        """Add a review with the terms of its texts (title, body, keywords,
        category: see TEXTS). A review without keywords gets keywords derived
        from its text, kept in the review (its ``review`` column) but not
        indexed: they are the body's own nouns, which would count twice."""
        doc = len(self._ids)
        self._ids.append(review.id)
        field_numbers = self._numbers.field
        terms, docs, weights, positions = self._terms, self._docs, self._weights, self._positions
        data = review.to_dict()
        if not review.keywords:
            derived = derive_keywords(review.title, texts[0], review.body, texts[1])
            data["keywords"], data["keywords_derived"] = derived, bool(derived)
        indexed_keywords = bool(review.keywords) and not review.keywords_derived
        for name, text_terms in zip(TEXTS, texts):
            if not text_terms or (name == "keywords" and not indexed_keywords):
                continue
            numbering = field_numbers(name)
            words = [term.text for term in text_terms]
            if len(set(words)) == len(words):  # each term once: most reviews
                terms.extend([numbering[w] for w in words])
                weights.extend([1] * len(words))  # Whoosh's Positions: frequency times the field boost (1)
                positions.extend([term.pos for term in text_terms])
                docs.extend([doc] * len(words))
            else:
                grouped: dict[str, list[int]] = {}
                for term in text_terms:
                    grouped.setdefault(term.text, []).append(term.pos)
                encode, encoded = self._fields[name].format.encode, self._encoded
                for word, found in grouped.items():
                    terms.append(numbering[word])
                    weights.append(len(found))
                    if len(found) == 1:
                        positions.append(found[0])
                    else:
                        positions.append(several(len(encoded)))
                        encoded.append(encode(found))
                docs.extend([doc] * len(grouped))
            _put(self._lengths, name, doc, len(text_terms), 0)
        made = self._made
        for name, value in (
            ("id", review.id), ("author", review.author or None), ("source", review.source or None),
            ("item", review.item or None), ("date", review.date.isoformat() if review.date else None),
            ("rating", review.rating),
        ):
            if value is None:
                continue
            found = made.get((name, value))
            if found is None:
                found = made[name, value] = _exact(self._fields[name], value)
            numbering = field_numbers(name)
            for tbytes, weight in found[0]:
                terms.append(numbering[tbytes])
                docs.append(doc)
                weights.append(weight)
                positions.append(NO_VALUE)
            if found[1] is not None:
                _put(self._columns, name, doc, found[1], None)
        _put(self._columns, "review", doc, self._fields["review"].to_column_value(review_bytes(data)), None)
        self._ends.append(len(terms))

    def build(self) -> Batch:
        """The batch of the reviews added."""
        n = len(self._ids)
        for table, fill in ((self._lengths, 0), (self._columns, None)):
            for values in table.values():
                values.extend([fill] * (n - len(values)))
        first_key, keys = self._numbers.take_new()
        return Batch(
            self._ids, first_key, keys, array("i", self._terms), array("i", self._docs), array("f", self._weights),
            array("i", self._positions), self._encoded, self._ends, self._lengths, self._columns,
        )


def _put(table: dict[str, list[Any]], name: str, doc: int, value: Any, fill: Any) -> None:
    """Set document ``doc``'s value in ``table[name]``, documents before it
    that have none given ``fill``."""
    values = table.get(name)
    if values is None:
        values = table[name] = []
    if len(values) < doc:
        values.extend([fill] * (doc - len(values)))
    values.append(value)


def _exact(field: FieldType, value: Any) -> tuple[list[tuple[bytes, float]], Any]:
    """The terms (bytes, weight) an exact-value field indexes of a value, and
    its column value (None: no column). Kept for the batch: dates, ratings and
    authors repeat, and a rating's terms cost Whoosh some work."""
    terms = [(tbytes, weight) for tbytes, _, weight, _ in field.index(value)]
    return terms, field.to_column_value(value) if field.column_type else None


class Encoder:
    """The Whoosh engine's batch encoder (see engine.BatchEncoder): makes the
    builders of one run's batches, which share its term numbering. Pickled
    to an analysis process as its analyzer and settings: the schema and the
    numbering are made where it is used."""

    def __init__(self, analyzer: Analyzer, numbers_held: int):
        self.analyzer, self.numbers_held = analyzer, numbers_held
        self._schema: Schema | None = None
        self._numbers: TermNumbers | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"analyzer": self.analyzer, "numbers_held": self.numbers_held}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["analyzer"], state["numbers_held"])

    def builder(self) -> BatchBuilder:
        if self._schema is None:
            self._schema, self._numbers = build_schema(self.analyzer), TermNumbers(self.numbers_held)
        return BatchBuilder(self._schema, self._numbers)
