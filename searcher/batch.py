"""Reviews analysed together, in the form the segment writer takes them: their
postings and column values in arrays.

A large run analyses reviews in a child process and hands them to the writer
a batch at a time (see writing). Made into Whoosh documents, a review's
postings cost the writer a Python object and a dictionary look-up each, and
cost pickling and unpickling on the way; as arrays, one batch's postings go
into the writer's pool in a few numpy operations (see segment.SegmentWriter)."""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import Any, Sequence

from whoosh.fields import Schema

from .analysis import Term
from .keywords import derive_keywords
from .review import Review
from .schema import review_bytes

#: The text fields of a review, in the order of the texts Kiwi analyses of it (see writing._texts).
TEXTS = ("title", "body", "keywords", "category")
#: A posting's position as Batch.positions holds it when it has no value (an exact-value field).
NO_VALUE = -1


@dataclass
class Batch:
    """Consecutive reviews: document ``i`` of the batch is the review with
    ``ids[i]``. A posting ``j`` is of term ``keys[terms[j]]`` (field and term
    bytes) in document ``docs[j]`` with weight ``weights[j]``; postings come in
    document order, those of documents up to ``i`` ending at ``ends[i]``.
    ``positions[j]`` is the term's one position in the document, NO_VALUE for
    a field without positions, or ``-2 - k`` for several, Whoosh-encoded in
    ``encoded[k]`` (most terms occur once in a review, and their encodings are
    shared by the writer). ``lengths`` holds each text field's length (terms)
    by document, ``columns`` each column's value by document (None: none)."""

    ids: list[str]
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


def make_batch(analysed: Sequence[tuple[Review, list[list[Term]]]], schema: Schema) -> Batch:
    """The batch of reviews with the terms of their texts (title, body,
    keywords, category: see TEXTS). Reviews without keywords get keywords
    derived from their text, kept in the review (its ``review`` column) but
    not indexed: they are the body's own nouns, which would count twice."""
    keys: dict[tuple[str, bytes], int] = {}
    terms, docs, weights, positions = array("i"), array("i"), array("f"), array("i")
    encoded: list[bytes] = []
    ends: list[int] = []
    n = len(analysed)
    lengths: dict[str, list[int]] = {}
    columns: dict[str, list[Any]] = {}
    for doc, (review, texts) in enumerate(analysed):
        data = review.to_dict()
        if not review.keywords:
            derived = derive_keywords(review.title, texts[0], review.body, texts[1])
            data["keywords"], data["keywords_derived"] = derived, bool(derived)
        indexed_keywords = bool(review.keywords) and not review.keywords_derived
        for name, text_terms in zip(TEXTS, texts):
            if not text_terms or (name == "keywords" and not indexed_keywords):
                continue
            grouped: dict[str, list[int]] = {}
            for term in text_terms:
                grouped.setdefault(term.text, []).append(term.pos)
            encode = schema[name].format.encode
            for text, found in grouped.items():
                terms.append(keys.setdefault((name, text.encode("utf-8")), len(keys)))
                weights.append(len(found))  # Whoosh's Positions format: frequency times the field boost (1)
                if len(found) == 1:
                    positions.append(found[0])
                else:
                    positions.append(-2 - len(encoded))
                    encoded.append(encode(found))
            docs.extend([doc] * len(grouped))
            lengths.setdefault(name, [0] * n)[doc] = len(text_terms)
        values: dict[str, Any] = {"id": review.id}
        for name in ("author", "source", "item"):
            if getattr(review, name):
                values[name] = getattr(review, name)
        if review.date:
            values["date"] = review.date.isoformat()
        if review.rating is not None:
            values["rating"] = review.rating
        for name, value in values.items():
            field = schema[name]
            for tbytes, _, weight, _ in field.index(value):
                terms.append(keys.setdefault((name, tbytes), len(keys)))
                docs.append(doc)
                weights.append(weight)
                positions.append(NO_VALUE)
            if field.column_type:
                columns.setdefault(name, [None] * n)[doc] = field.to_column_value(value)
        columns.setdefault("review", [None] * n)[doc] = schema["review"].to_column_value(review_bytes(data))
        ends.append(len(terms))
    return Batch(
        [review.id for review, _ in analysed], list(keys), terms, docs, weights, positions, encoded, ends,
        lengths, columns,
    )
