"""The Typesense collection of a revsearch index, and the documents of its
reviews, made by revsearch's own analysis (Typesense has no Korean
morphology: its ``ko`` locale matches whole eojeol only).

Each text field (title, body, keywords, category) holds the review's
analysed terms as a ``string[]``, each term once (in order of first use),
with its length in terms (``title_n`` …, faceted for their average) for
BM25F's length normalisation, and ``all`` their union:
a plan's terms are matched exactly with ``filter_by``, counted with facets.
The review itself is kept whole as JSON in ``review``, a field the schema does
not name, so Typesense stores it and indexes nothing of it. ``rid`` is the
review id (filterable, as the document ``id`` is not in 0.24); ``author``,
``source``, ``item`` hold the lowercased values filters compare, and
``author_v``, ``source_v``, ``item_v``, ``keywords_v`` the values as the
review holds them, for facets. ``date`` (days since 1970-01-01) and
``rating`` are typed and sortable, a review without one holding NO_DAY or
NO_RATING, so that filters can tell it and sorting puts it last. Ratings
are counted from ``rating_v``, the rating as text: typesense-server 0.24.1
miscounts a float field's facet (10.0 counted as 1.0)."""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass, field
from typing import Any

from ...analysis import Analyzer, Term
from ...keywords import derive_keywords
from ...review import Review
from ...schema import TEXTS

EPOCH = _dt.date(1970, 1, 1)
#: What ``date`` and ``rating`` hold for a review without one.
NO_DAY, NO_RATING = -(10**9), -1.0
#: When a review was written (nanoseconds, then its place in its batch): index order, which breaks ties of sorts.
ORDER = "order"
#: The union of a review's text terms: one filter condition for a word asked in every text field.
ALL = "all"
#: The fields facets count, by the name revsearch gives them.
FACETED = {"author": "author_v", "source": "source_v", "item": "item_v", "keywords": "keywords_v", "date": "date", "rating": "rating_v"}
#: The field filters compare, by the name of an exact field in a plan.
EXACT = {"id": "rid", "author": "author", "source": "source", "item": "item", "file": "file"}


def collection_schema(name: str) -> dict[str, Any]:
    """The schema of the collection ``name``."""
    fields: list[dict[str, Any]] = []
    for text in TEXTS:
        fields += [{"name": text, "type": "string[]", "facet": True}, {"name": f"{text}_n", "type": "int32", "facet": True}]
    fields += [
        {"name": ALL, "type": "string[]"},
        {"name": ORDER, "type": "int64"},
        {"name": "rid", "type": "string"},
        {"name": "file", "type": "string", "optional": True},
        {"name": "date", "type": "int32", "facet": True},
        {"name": "rating", "type": "float"},
        {"name": "rating_v", "type": "string", "optional": True, "facet": True},
    ]
    for exact in ("author", "source", "item"):
        fields += [{"name": exact, "type": "string", "optional": True}, {"name": f"{exact}_v", "type": "string", "optional": True, "facet": True}]
    fields.append({"name": "keywords_v", "type": "string[]", "facet": True})
    return {"name": name, "fields": fields}


def day(date: _dt.date) -> int:
    return (date - EPOCH).days


def iso(days: int) -> str:
    return (EPOCH + _dt.timedelta(days=days)).isoformat()


def document(review: Review, texts: list[list[Term]], file: str | None = None) -> dict[str, Any]:
    """The Typesense document of ``review``, the terms of its texts (see TEXTS)
    given. A review without keywords gets keywords derived from its text,
    kept in the review but not indexed (they are the body's own nouns), as
    the Whoosh engine does."""
    data = review.to_dict()
    if not review.keywords:
        derived = derive_keywords(review.title, texts[0], review.body, texts[1])
        data["keywords"], data["keywords_derived"] = derived, bool(derived)
    indexed_keywords = bool(review.keywords) and not review.keywords_derived
    doc: dict[str, Any] = {"id": review.id, "rid": review.id}
    for name, terms in zip(TEXTS, texts):
        if name == "keywords" and not indexed_keywords:
            terms = []
        doc[name] = list(dict.fromkeys(term.text for term in terms))
        doc[f"{name}_n"] = len(terms)
    doc[ALL] = list(dict.fromkeys(term for name in TEXTS for term in doc[name]))
    for name in ("author", "source", "item"):
        value = getattr(review, name)
        if value:
            doc[name], doc[f"{name}_v"] = value.strip().lower(), value
    doc["keywords_v"] = list(data["keywords"])
    doc["date"] = day(review.date) if review.date else NO_DAY
    doc["rating"] = review.rating if review.rating is not None else NO_RATING
    if review.rating is not None:
        doc["rating_v"] = repr(review.rating)
    if file:
        doc["file"] = file
    doc["review"] = json.dumps(data, ensure_ascii=False)
    return doc


@dataclass
class Batch:
    """Reviews made into documents: review ``i`` has the id ``ids[i]``."""

    ids: list[str] = field(default_factory=list)
    docs: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


class BatchBuilder:
    def __init__(self) -> None:
        self._batch = Batch()

    def __len__(self) -> int:
        return len(self._batch)

    def add(self, review: Review, texts: list[list[Term]]) -> None:
        self._batch.ids.append(review.id)
        self._batch.docs.append(document(review, texts))

    def build(self) -> Batch:
        batch, self._batch = self._batch, Batch()
        return batch


class Encoder:
    """The Typesense engine's batch encoder (see engine.BatchEncoder): picklable, its analyzer only."""

    def __init__(self, analyzer: Analyzer):
        self.analyzer = analyzer

    def builder(self) -> BatchBuilder:
        return BatchBuilder()
