"""Facet counts: how many of a search's matches hold each value of a field,
counted with numpy over a table of each segment's values by document.

The table of a field is made once per segment and kept as long as its
reader (Lucene's "uninverted" field cache): ``rating`` and ``date`` from
their sortable columns; ``author``, ``item``, ``source`` and ``keywords``
(derived keywords are stored, not indexed) from the stored review column,
decoded once for all four (msgspec reads only those keys: 0.9 s for NSMC's
357,000 reviews, where json.loads took 5 s). A search's counts are then a
``bincount`` of its matches' value codes.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Callable

import msgspec
import numpy as np
from whoosh.reading import IndexReader

from .columnar import var_bytes

#: Fields counted from the stored review column, decoded together.
STORED = ("author", "item", "source", "keywords")


class _Stored(msgspec.Struct):
    """The keys of a stored review that facets count (the rest is skipped unread)."""

    author: str | None = None
    item: str | None = None
    source: str | None = None
    keywords: list[str] = []


_DECODER = msgspec.json.Decoder(_Stored)


@dataclass(eq=False)
class ValueTable:
    """A field's values in one segment: ``labels`` are its distinct values;
    document ``d`` holds ``labels[codes[d]]`` (-1: none) or, when ``offsets``
    is given (many values a document), ``codes[offsets[d]:offsets[d + 1]]``."""

    labels: list[Any]
    codes: np.ndarray
    offsets: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._codes: dict[Any, int] | None = None
        self._every: np.ndarray | None = None  # the counts of every document, once made

    def counts(self, ids: np.ndarray) -> np.ndarray:
        """How many of the documents ``ids`` (distinct) hold each value, by
        code. Those of every document of the segment (``*``, or a query every
        review matches) are kept once counted."""
        documents = len(self.codes) if self.offsets is None else len(self.offsets) - 1
        if len(ids) == documents:
            if self._every is None:
                self._every = self._counted(np.arange(documents))
            return self._every
        return self._counted(ids)

    def _counted(self, ids: np.ndarray) -> np.ndarray:
        if self.offsets is None:
            return np.bincount(self.codes[ids] + 1, minlength=len(self.labels) + 1)[1:]  # -1 (none) counted apart
        starts, ends = self.offsets[ids], self.offsets[ids + 1]
        lengths = ends - starts
        at = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return np.bincount(self.codes[at], minlength=len(self.labels))

    def code(self, label: Any) -> int | None:
        """The code of a value (None: no document of the segment holds it)."""
        if self._codes is None:
            self._codes = {value: i for i, value in enumerate(self.labels)}
        return self._codes.get(label)


def merged(tables: list[ValueTable], counts: list[np.ndarray], top: int | None) -> dict[Any, int]:
    """The values counted in each segment (``counts`` by code of ``tables``)
    summed over the segments: all of them, or the ``top`` most frequent
    (those tied with the last included). With several segments, as
    Elasticsearch's terms over shards, each segment's ``top * 1.5 + 10`` most
    frequent are the candidates, counted exactly in every segment."""
    depth = None if top is None else top if len(tables) == 1 else top + top // 2 + 10
    picks = [_highest(c, depth) for c in counts]
    if len(tables) == 1:
        return dict(zip([tables[0].labels[i] for i in picks[0].tolist()], counts[0][picks[0]].tolist()))
    labels = {table.labels[i] for table, pick in zip(tables, picks) for i in pick.tolist()}
    return {
        label: sum(int(c[code]) for table, c in zip(tables, counts) for code in [table.code(label)] if code is not None)
        for label in labels
    }


def _highest(counts: np.ndarray, n: int | None) -> np.ndarray:
    """The codes of the ``n`` highest counts (all of them tied with the last; None: every code counted).
    The floor is read off a histogram of the counts, which are small numbers: a
    partition of 180,000 authors' counts took 4 ms, the histogram a tenth of it."""
    if n is None:
        return np.flatnonzero(counts)
    at_least = np.cumsum(np.bincount(counts)[:0:-1])  # codes counted at least max, max - 1, … 1 times
    floor = len(at_least) - int(np.searchsorted(at_least, n)) if len(at_least) else 1
    return np.flatnonzero(counts >= max(floor, 1))


class ValueTables:
    """The value tables of one segment's reader, made when first asked for;
    ``numbers`` and ``column`` read a numeric and a bytes sortable column."""

    def __init__(self, reader: IndexReader, numbers: Callable[[str], np.ndarray], column: Callable[[str], np.ndarray]):
        self.reader = reader
        self._numbers, self._column = numbers, column
        self._tables: dict[str, ValueTable] = {}
        self._lock = threading.Lock()

    def table(self, fieldname: str) -> ValueTable:
        with self._lock:
            if fieldname not in self._tables:
                if fieldname in STORED:
                    self._tables.update(self._stored())
                elif fieldname == "rating":
                    self._tables[fieldname] = _single(self._numbers(fieldname), lambda v: not np.isnan(v), float)
                else:
                    self._tables[fieldname] = _single(self._column(fieldname), bool, lambda v: v.decode("utf-8"))
            return self._tables[fieldname]

    def _stored(self) -> dict[str, ValueTable]:
        """The tables of the STORED fields, from one pass over the review column."""
        doccount = self.reader.doc_count_all()
        rows = [_DECODER.decode(raw) if raw else _Stored() for raw in var_bytes(self.reader.column_reader("review", translate=False), doccount)]
        tables = {}
        for name in ("author", "item", "source"):
            index: dict[str, int] = {}
            codes = np.fromiter(
                (-1 if v is None or v == "" else index.setdefault(v, len(index)) for v in (getattr(r, name) for r in rows)),
                dtype=np.int32, count=doccount,
            )
            tables[name] = ValueTable(list(index), codes)
        index = {}
        flat = [index.setdefault(k, len(index)) for r in rows for k in r.keywords]
        lengths = np.fromiter((len(r.keywords) for r in rows), dtype=np.int64, count=doccount)
        offsets = np.concatenate([[0], np.cumsum(lengths)])
        tables["keywords"] = ValueTable(list(index), np.array(flat, dtype=np.int32), offsets)
        return tables


def _single(values: np.ndarray, held, label) -> ValueTable:
    """The table of a column of one value a document (``held``: whether it is one), each label made by ``label``."""
    distinct, codes = np.unique(values, return_inverse=True)
    keep = [bool(held(v)) for v in distinct]
    renumber = np.cumsum(keep) - 1
    codes = np.where(np.array(keep)[codes.reshape(-1)], renumber[codes.reshape(-1)], -1).astype(np.int32)
    return ValueTable([label(v) for v, k in zip(distinct, keep) if k], codes)
