"""Query evaluation with numpy: which reviews match a compiled query and how
they score, computed over whole posting lists at once.

Whoosh's matchers walk postings one at a time in Python: a query with a word
found in 100,000 reviews (영화) took half a second. Here every posting list of
a term is read block by block into arrays, scored with the same BM25F
formula and statistics Whoosh uses (so the scores are Whoosh's), and
combined with array set operations: And, Or, AndMaybe, AndNot and Not of
terms, every document, and ranges over sortable columns. Phrases are those
words' documents kept where their positions (decoded in bulk for those
documents only) follow one another. Whatever else a query holds is evaluated
with Whoosh's own matcher, posting by posting.

Proximity (span) queries only ever add to a score here: they are not
evaluated for every candidate but taken as *maybe* bonuses, bounded above by
the scores of their two words, and confirmed (from the cached postings'
positions, as Whoosh's SpanNear decides) only for the few candidates whose
bound could still put them in the top ``limit``. The ranking is the one
Whoosh gives, ties in document order.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.fields import NUMERIC
from whoosh.matching.wrappers import FilterMatcher
from whoosh.query.spans import SpanNear, SpanQuery
from whoosh.reading import IndexReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .columnar import fixed_width, raw_values
from .facets import ValueTables, merged

#: Whoosh stores field lengths as one byte each; this decodes them.
_LENGTHS = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_NO_IDS = np.zeros(0, dtype=np.int64)


#: Arrays of document numbers this long, covering at least 1/_DENSE of their
#: range, are compared through a table over the range rather than by binary
#: search: 300,000 numbers among 200,000 of a 500,000-review segment took 9 ms
#: by search, 1.2 ms by table.
_TABLE_FROM = 4096
_DENSE = 16

#: An And narrowed (see WhooshSettings.narrow_from) has this many times fewer
#: documents than its words' postings.
NARROW_RATIO = 4


def _dense(values: np.ndarray, sorted_ids: np.ndarray) -> int:
    """The size of the table to compare ``values`` with ``sorted_ids`` through
    (one past the greatest id), or 0 if binary search is the better way."""
    n = len(values) + len(sorted_ids)
    if n < _TABLE_FROM or not len(sorted_ids):
        return 0
    top = int(sorted_ids[-1]) + 1
    return top if top <= _DENSE * n else 0


def _among(values: np.ndarray, sorted_ids: np.ndarray) -> np.ndarray:
    """Which of ``values`` are in ``sorted_ids`` (ascending, numbers >= 0):
    by a table (see _dense) or binary search, where np.isin sorts both
    arrays again on every call."""
    if not len(sorted_ids):
        return np.zeros(len(values), dtype=bool)
    top = _dense(values, sorted_ids)
    if top:
        table = np.zeros(top, dtype=bool)
        table[sorted_ids] = True
        found = np.zeros(len(values), dtype=bool)
        inside = (values >= 0) & (values < top)  # a negative number would index the table from its end
        found[inside] = table[values[inside]]
        return found
    at = np.minimum(np.searchsorted(sorted_ids, values), len(sorted_ids) - 1)
    return sorted_ids[at] == values


def _within(ids: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Where in ``ids`` (ascending) those of ``among`` (ascending) are: the
    few looked up in the many by binary search (ids[at] then costs as
    many as are found, not a mask over all of ``ids``)."""
    if len(among) * 8 > len(ids):
        return np.flatnonzero(_among(ids, among))
    at = np.minimum(np.searchsorted(ids, among), len(ids) - 1)
    return at[ids[at] == among]


def _common(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ids in both ascending arrays, with their indices in each (as
    np.intersect1d returns them): through a table of where each of ``b``
    is (see _dense), or searching the shorter in the longer."""
    top = _dense(a, b)
    if top and top < 2**31:
        where = np.full(top, -1, dtype=np.int32)
        where[b] = np.arange(len(b), dtype=np.int32)
        at = np.full(len(a), -1, dtype=np.int32)
        inside = a < top
        at[inside] = where[a[inside]]
        left = np.flatnonzero(at >= 0)
        return a[left], left, at[left].astype(np.int64)
    if len(a) > len(b):
        ids, right, left = _common(b, a)
        return ids, left, right
    left = np.flatnonzero(_among(a, b))
    ids = a[left]
    return ids, left, np.searchsorted(b, ids)


@dataclass
class _Maybe:
    """A bonus the documents ``ids`` get if ``query`` (a span query) matches
    them; ``bound`` is its most, ``boost`` what encloses it multiplies."""

    query: wq.Query
    ids: np.ndarray
    bound: np.ndarray
    boost: float = 1.0

    def within(self, ids: np.ndarray) -> _Maybe:
        keep = _among(self.ids, ids)
        return _Maybe(self.query, self.ids[keep], self.bound[keep], self.boost)


@dataclass
class _Matches:
    """Matching documents of one segment (ascending) with their scores, and
    bonuses still to be confirmed (their ids are always among ``ids``)."""

    ids: np.ndarray
    scores: np.ndarray
    maybe: list[_Maybe] = field(default_factory=list)

    @classmethod
    def none(cls) -> _Matches:
        return cls(_NO_IDS, np.zeros(0))

    def only(self, among: np.ndarray) -> _Matches:
        """These matches and bonuses for the documents ``among`` (ascending) only."""
        keep = _among(self.ids, among)
        return _Matches(self.ids[keep], self.scores[keep], [b.within(among) for b in self.maybe])

    def boosted(self, boost: float) -> _Matches:
        if boost == 1.0:
            return self
        return _Matches(self.ids, self.scores * boost, [_Maybe(m.query, m.ids, m.bound, m.boost * boost) for m in self.maybe])


class _SegmentCache:
    """What is read once per segment: its field lengths and sortable columns.
    Segments never change, so this lives as long as the segment's reader."""

    def __init__(self, reader: IndexReader):
        self.reader = reader
        self.lengths: dict[str, np.ndarray] = {}
        self.columns: dict[str, np.ndarray] = {}
        self.numeric: dict[str, np.ndarray] = {}
        self.ranked: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        #: Each field's values by document, for facets.
        self.tables = ValueTables(reader, self.numbers, self.column)

    def length(self, fieldname: str) -> np.ndarray:
        if fieldname not in self.lengths:
            doccount = self.reader.doc_count_all()
            lengths = self.reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
            if lengths is None:
                self.lengths[fieldname] = np.ones(doccount)
            else:
                self.lengths[fieldname] = _LENGTHS[fixed_width(lengths, doccount).reshape(-1)]
        return self.lengths[fieldname]

    def numbers(self, fieldname: str) -> np.ndarray:
        """A numeric field's values by document; NaN where a review has none
        (the schema's column default, 0, reads back as NaN)."""
        if fieldname not in self.numeric:
            field = self.reader.schema[fieldname]
            raw = self._raw(fieldname)
            distinct, at = np.unique(raw, return_inverse=True)  # a few ratings: each decoded once, as Whoosh does
            decoded = np.array([field.from_column_value(v) for v in distinct.tolist()], dtype=np.float64)
            self.numeric[fieldname] = decoded[at.reshape(-1)]
        return self.numeric[fieldname]

    def column(self, fieldname: str) -> np.ndarray:
        """A bytes column's values by document (b"": none), as stored."""
        if fieldname not in self.columns:
            self.columns[fieldname] = self._raw(fieldname)
        return self.columns[fieldname]

    def ranks(self, fieldname: str) -> tuple[np.ndarray, np.ndarray]:
        """A bytes column's distinct values (ascending) and each document's
        index among them: ranges and sorting by date compare these numbers,
        not a million byte strings."""
        if fieldname not in self.ranked:
            distinct, at = np.unique(self.column(fieldname), return_inverse=True)
            self.ranked[fieldname] = distinct, at.reshape(-1)
        return self.ranked[fieldname]

    def _raw(self, fieldname: str) -> np.ndarray:
        return raw_values(self.reader.column_reader(fieldname, translate=False), self.reader.doc_count_all())


class _Segment:
    """Evaluates queries on one segment of a searcher."""

    def __init__(self, leaf: Searcher, parent: Searcher, caches: Caches):
        self.leaf, self.parent, self.caches = leaf, parent, caches
        self.reader = leaf.reader()
        self.cache = caches.segment(self.reader)
        self.deleted = np.fromiter(self.reader.deleted_docs_set, dtype=np.int64)
        self.deleted.sort()
        self._terms: dict[tuple, _Matches] = {}  # words asked again (by another tier) are scored once
        self._narrowed: dict[tuple, tuple[np.ndarray, _Matches]] = {}  # words scored for the documents of an And
        self._allowed: np.ndarray | None = None

    def allowed(self, allow: wq.Query) -> np.ndarray:
        """The documents of this segment a filter lets through."""
        if self._allowed is None:
            self._allowed = self.settled(self.evaluate(allow)).ids
        return self._allowed

    def evaluate(self, q: wq.Query) -> _Matches:
        """The matches of ``q`` in this segment. Span queries come back as
        bonuses only (no ids); every other query's bonuses are all on its own
        ids."""
        q = _lone(q)  # as Whoosh does: the boost of a lone child's compound is ignored
        if isinstance(q, wq.Term):  # scored once per search whatever its boosts (a proximity bonus's are a quarter)
            key = (q.fieldname, q.text)
            if key not in self._terms:
                self._terms[key] = self._term(wq.Term(q.fieldname, q.text))
            return self._terms[key].boosted(q.boost)
        if isinstance(q, wq.Or):
            return self.settled(_union([self.evaluate(c) for c in q.subqueries])).boosted(q.boost)
        if isinstance(q, wq.And):
            among = self._narrow(q)
            if among is not None:  # a rare word with common ones: only the documents holding all are scored
                parts = [self.settled(self.within(c, among)) for c in q.subqueries]
                if all(len(part.ids) == len(among) for part in parts):  # each holds them all: nothing to intersect
                    return _Matches(among, sum(part.scores for part in parts), [b for part in parts for b in part.maybe]).boosted(q.boost)
                return _intersection(parts).boosted(q.boost)
            return _intersection([self.settled(self.evaluate(c)) for c in q.subqueries]).boosted(q.boost)
        if isinstance(q, wq.AndMaybe):
            # the optional side only adds to the required side's documents: its bonuses need no settling
            required = self.settled(self.evaluate(q.a))
            return _and_maybe(required, self.within(q.b, required.ids)).boosted(q.boost)
        if isinstance(q, wq.AndNot):
            return _and_not(self.settled(self.evaluate(q.a)), self.settled(self.evaluate(q.b))).boosted(q.boost)
        if isinstance(q, wq.Not):
            # Whoosh's inverse matcher steps through every document, once per NOT nested
            return self._every(1.0, but=self.settled(self.evaluate(q.query)).ids)
        if isinstance(q, wq.Every) and q.fieldname in (None, "", "*"):
            return self._every(q.boost)
        if isinstance(q, wq.TermRange) and self._has_column(q.fieldname):
            return self._column_range(q)
        if isinstance(q, wq.NumericRange) and self._has_column(q.fieldname):
            return self._numeric_range(q)
        if isinstance(q, wq.Phrase) and self._positional(q.fieldname):
            return self._phrase(q)
        if isinstance(q, SpanQuery) and isinstance(getattr(q, "q", None), wq.Query):
            return self._span(q)
        return self._whoosh(q)

    def within(self, q: wq.Query, among: np.ndarray) -> _Matches:
        """``evaluate(q)`` for the documents ``among`` (ascending) only: the
        same scores and bonuses, but a common word's postings outside them are
        skipped, not scored."""
        q = _lone(q)
        if isinstance(q, wq.Term) and (q.fieldname, q.text) not in self._terms:
            key = (q.fieldname, q.text)
            known = self._narrowed.get(key)
            if known is None or not np.array_equal(known[0], among):  # a word of the proximity bonus is asked again
                known = self._narrowed[key] = (among, self._term(wq.Term(q.fieldname, q.text), among))
            return known[1].boosted(q.boost)
        if isinstance(q, wq.Or):
            return self.settled(_union([self.within(c, among) for c in q.subqueries])).boosted(q.boost)
        if isinstance(q, wq.And):
            return _intersection([self.settled(self.within(c, among)) for c in q.subqueries]).boosted(q.boost)
        if isinstance(q, SpanQuery) and isinstance(getattr(q, "q", None), wq.Query):
            return self._span(q, among)
        return self.evaluate(q).only(among)

    def ids(self, q: wq.Query) -> np.ndarray | None:
        """The documents ``q`` matches (ascending), found without scoring
        them; None for a query only :meth:`evaluate` tells."""
        q = _lone(q)
        if isinstance(q, wq.Term):
            known = self._terms.get((q.fieldname, q.text))
            return known.ids if known is not None else self._term_ids(q)
        if isinstance(q, wq.Or):
            parts = self._parts(q, _words(q))
            if parts is None:
                return None
            parts = [ids for ids in parts if len(ids)]
            if len(parts) <= 1:  # a word found in one field only: its postings as they are
                return parts[0] if parts else _NO_IDS
            table = np.zeros(self.reader.doc_count_all(), dtype=bool)
            for ids in parts:
                table[ids] = True
            return np.flatnonzero(table)
        if isinstance(q, wq.And):
            parts = [self.ids(c) for c in q.subqueries]
            if any(p is None for p in parts):
                return None
            parts.sort(key=len)
            ids = parts[0]
            for p in parts[1:]:
                ids = ids[_among(ids, p)]
            return ids
        return None

    def _parts(self, q: wq.Or, words: set[tuple[str, str]]) -> list[np.ndarray] | None:
        """The documents of each part of the Or ``q`` (whose plain words are
        ``words``), nested Ors' parts included; None if one of them only
        evaluate() tells. A proximity part of two words, one of them among
        ``words``, adds none."""
        found: list[np.ndarray] = []
        for child in map(_lone, q.subqueries):
            if isinstance(child, SpanNear) and _pair(child) and {_word(child.a), _word(child.b)} & words:
                continue
            nested = self._parts(child, words) if isinstance(child, wq.Or) else [self.ids(child)]
            if nested is None or any(ids is None for ids in nested):
                return None
            found += nested
        return found

    def _narrow(self, q: wq.And) -> np.ndarray | None:
        """The documents of ``q`` found without scoring, when they are few
        (NARROW_RATIO times fewer) beside the postings scoring it would take,
        at least ``narrow_from`` (see WhooshSettings); else None."""
        scale = sum(len(p.ids) for p in map(self._postings, {wq.Term(*t) for t in q.iter_all_terms()}) if p is not None)
        if scale < self.caches.narrow_from:
            return None
        ids = self.ids(q)
        return ids if ids is not None and len(ids) * NARROW_RATIO <= scale else None

    def settled(self, m: _Matches) -> _Matches:
        """``m`` with the documents only a bonus brings confirmed (and added
        to its ids, scored by the bonus), so that its ids are exact. Within an
        Or, the other words' documents cover the span's, and nothing is confirmed."""
        extra = [(b, b.ids[~_among(b.ids, m.ids)]) for b in m.maybe]
        if not any(len(ids) for _, ids in extra):
            return m
        added = [_Matches(*self.confirmed(b, ids)) for b, ids in extra if len(ids)]
        kept = [b.within(m.ids) for b in m.maybe]
        return _union([_Matches(m.ids, m.scores)] + added + [_Matches(m.ids, np.zeros(len(m.ids)), kept)])

    # ---------------------------------------------------------------- leaves

    def _term(self, q: wq.Term, among: np.ndarray | None = None) -> _Matches:
        """A term's matches (those of ``among`` only, if given), scored as
        Whoosh's BM25F scores them (times its boost)."""
        weighting = self.parent.weighting
        if not isinstance(weighting, BM25F):
            found = self._whoosh(q)
            return found if among is None else found.only(among)
        postings = self._postings(q)
        if postings is None or not len(postings.ids):
            return _Matches.none()
        ids, weights = self._live(postings.ids, postings.weights)
        if among is not None:
            at = _within(ids, among)
            ids, weights = ids[at], weights[at]
        field = self.leaf.schema[q.fieldname]
        if not field.scorable:  # Whoosh scores these by the weight alone
            return _Matches(ids, weights * q.boost)
        idf = self.parent.idf(q.fieldname, field.to_bytes(q.text))
        avgfl = self.caches.average_length(self.parent, q.fieldname)
        B, K1 = weighting._field_B.get(q.fieldname, weighting.B), weighting.K1
        lengths = self.cache.length(q.fieldname)[ids]
        scores = idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / avgfl)))
        return _Matches(ids, scores * q.boost)

    def _positional(self, fieldname: str) -> bool:
        schema = self.leaf.schema
        return fieldname in schema and bool(schema[fieldname].format) and schema[fieldname].format.supports("positions")

    def numeric(self, fieldname: str) -> bool:
        """Whether a field's sortable column holds numbers (else bytes)."""
        return isinstance(self.leaf.schema[fieldname], NUMERIC)

    def _has_column(self, fieldname: str) -> bool:
        schema = self.leaf.schema
        return fieldname in schema and schema[fieldname].column_type is not None and not schema[fieldname].scorable

    def _column_range(self, q: wq.TermRange) -> _Matches:
        """A range over an exact field with one value per review, compared on
        its sortable column; each match scores 1, as in Whoosh."""
        distinct, at = self.cache.ranks(q.fieldname)
        field = self.leaf.schema[q.fieldname]
        lo = int(len(distinct) > 0 and distinct[0] == b"")  # none is b"", the least value
        if q.start is not None:
            lo = max(lo, int(np.searchsorted(distinct, field.to_bytes(q.start), "right" if q.startexcl else "left")))
        hi = len(distinct)
        if q.end is not None:
            hi = int(np.searchsorted(distinct, field.to_bytes(q.end), "left" if q.endexcl else "right"))
        ids = np.flatnonzero((at >= lo) & (at < hi)).astype(np.int64)
        ids, _ = self._live(ids, None)
        return _Matches(ids, np.full(len(ids), float(q.boost)))

    def _numeric_range(self, q: wq.NumericRange) -> _Matches:
        """A range over a numeric field with one value per review, compared on
        its sortable column; each match scores 1, as in Whoosh."""
        values = self.cache.numbers(q.fieldname)  # NaN: no value
        keep = ~np.isnan(values)
        if q.start is not None:
            keep &= (values > q.start) if q.startexcl else (values >= q.start)
        if q.end is not None:
            keep &= (values < q.end) if q.endexcl else (values <= q.end)
        ids, _ = self._live(np.flatnonzero(keep).astype(np.int64), None)
        return _Matches(ids, np.full(len(ids), float(q.boost)))

    def _span(self, q: SpanQuery, among: np.ndarray | None = None) -> _Matches:
        """A proximity query as a bonus to confirm: its candidates are the
        documents of the query it narrows (its words all together; those of
        ``among`` only, if given), its bound their score there."""
        inner = self.settled(self.evaluate(q.q) if among is None else self.within(q.q, among))
        return _Matches(_NO_IDS, np.zeros(0), [_Maybe(q, inner.ids, inner.scores)])

    def _every(self, score: float, but: np.ndarray = _NO_IDS) -> _Matches:
        """Every live document of the segment but the (ascending) ids ``but``,
        each scoring ``score``: what Whoosh gives for Every (its boost) and
        for Not (1, whatever the boost)."""
        ids = np.arange(self.reader.doc_count_all(), dtype=np.int64)
        ids, _ = self._live(ids[~_among(ids, but)], None)
        return _Matches(ids, np.full(len(ids), score))

    def _whoosh(self, q: wq.Query) -> _Matches:
        """Any other query, through Whoosh's matcher."""
        matcher = q.matcher(self.leaf, self.leaf.context(weighting=self.parent.weighting))
        ids, scores = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
        return _Matches(np.array(ids, dtype=np.int64), np.array(scores, dtype=np.float64))

    def _live(self, ids: np.ndarray, weights: np.ndarray | None):
        if not len(self.deleted):
            return ids, weights
        keep = ~_among(ids, self.deleted)
        return ids[keep], (weights[keep] if weights is not None else None)

    # ----------------------------------------------------------- confirming

    def confirmed(self, maybe: _Maybe, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Of ``ids`` (ascending, among ``maybe.ids``), those the span query
        matches, and the bonus each gets."""
        q = maybe.query
        if isinstance(q, SpanNear) and _pair(q) and self._positional(q.a.fieldname):
            near = self._near(q, ids)
            found = ids[near]
        else:
            found = self._spans(q, ids)
        bonus = maybe.bound[np.searchsorted(maybe.ids, found)] * maybe.boost
        return found, bonus

    def _near(self, q: SpanNear, ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` (all holding both words) have the two words of
        ``q`` within its slop, as Whoosh's SpanNear decides, read from the
        cached postings' positions. Few documents are asked at a time, so
        they are looked at one by one."""
        lists = [self._postings(t) for t in (q.a, q.b)]
        at = [np.searchsorted(p.ids, ids).tolist() for p in lists]
        near = np.zeros(len(ids), dtype=bool)
        for i, (a_at, b_at) in enumerate(zip(*at)):
            first, second = lists[0].positions_of(a_at), lists[1].positions_of(b_at)
            near[i] = any(
                q.mindist <= abs(b - a) <= q.slop and (not q.ordered or b >= a) for a in first for b in second
            )
        return near

    def _phrase(self, q: wq.Phrase) -> _Matches:
        """A phrase: the documents holding all its words, scored as Whoosh's
        phrase matcher scores them (their words' scores summed), kept where
        each word follows the one before within the slop, read from the
        cached postings' positions."""
        words = [wq.Term(q.fieldname, w) for w in q.words]
        both = _intersection([self.evaluate(t) for t in words])
        if not len(both.ids):
            return _Matches.none()
        owner, pos = self._positions(words[0], both.ids)  # partial matches: their document and last position
        for word in words[1:]:
            w_owner, w_pos = self._positions(word, both.ids)
            base = max(pos.max(initial=0), w_pos.max(initial=0)) + q.slop + 1
            present = np.unique(w_owner * base + w_pos)
            steps = [(d, _among(owner * base + pos + d, present)) for d in range(1, q.slop + 1)]
            owner = np.concatenate([owner[hit] for _, hit in steps])
            pos = np.concatenate([pos[hit] + d for d, hit in steps])
            if q.slop > 1:  # a partial match reached in several ways goes on once
                owner, pos = np.unique(np.stack([owner, pos]), axis=1)
        keep = np.unique(owner)
        return _Matches(both.ids[keep], both.scores[keep] * q.boost)

    def _positions(self, term: wq.Term, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of ``term`` in each of ``ids`` (all holding it): which
        of ``ids`` each belongs to, and the position."""
        postings = self._postings(term)
        return postings.positions(np.searchsorted(postings.ids, ids))

    def _postings(self, term: wq.Term) -> _Postings | None:
        """A term's postings (cached); None if the segment's schema has no such field or value."""
        if term.fieldname not in self.leaf.schema:
            return None
        try:
            text = self.leaf.schema[term.fieldname].to_bytes(term.text)
        except ValueError:
            return None
        return self.caches.postings.get(self.reader, term.fieldname, text)

    def _term_ids(self, q: wq.Term) -> np.ndarray:
        """A term's live documents, unscored."""
        postings = self._postings(q)
        return _NO_IDS if postings is None else self._live(postings.ids, None)[0]

    def _spans(self, q: wq.Query, ids: np.ndarray) -> np.ndarray:
        """Which of ``ids`` (ascending) any other span query matches, by Whoosh's matcher."""
        matcher = q.matcher(self.leaf, self.leaf.context(weighting=self.parent.weighting))
        found = []
        for doc in ids.tolist():
            if not matcher.is_active():
                break
            if matcher.id() < doc:
                matcher.skip_to(doc)
            if matcher.is_active() and matcher.id() == doc:
                found.append(doc)
        return np.array(found, dtype=np.int64)


def holding(s: Searcher, caches: Caches, fieldname: str, text: str, docs: list[int]) -> set[int]:
    """Which of the (live) documents ``docs`` hold the term, from the cached postings."""
    wanted = np.array(docs, dtype=np.int64)
    found: set[int] = set()
    if fieldname not in s.schema:
        return found
    btext = s.schema[fieldname].to_bytes(text)
    for leaf, offset in s.leaf_searchers():
        mine = wanted[(wanted >= offset) & (wanted < offset + leaf.doc_count_all())]  # this segment's
        if len(mine):
            ids = caches.postings.get(leaf.reader(), fieldname, btext).ids
            found.update(mine[_among(mine - offset, ids)].tolist())
    return found


def _lone(q: wq.Query) -> wq.Query:
    """The query a compound of one child stands for (its boost ignored, as Whoosh does; see evaluate)."""
    while isinstance(q, wq.CompoundQuery) and len(q.subqueries) == 1:
        q = q.subqueries[0]
    return q


def _word(term: wq.Term) -> tuple[str, str]:
    return term.fieldname, term.text


def _words(q: wq.Or) -> set[tuple[str, str]]:
    """The plain words of an Or, its nested Ors' included: every document of one is a document of the Or."""
    found = set()
    for child in map(_lone, q.subqueries):
        if isinstance(child, wq.Term):
            found.add(_word(child))
        elif isinstance(child, wq.Or):
            found |= _words(child)
    return found


def _pair(q: SpanNear) -> bool:
    """A span query of two plain words of one field."""
    return isinstance(q.a, wq.Term) and isinstance(q.b, wq.Term) and q.a.fieldname == q.b.fieldname


@dataclass
class _Postings:
    """A term's postings in one segment: documents (ascending, deleted ones
    included), weights, and each posting's encoded positions (None for
    fields without positions) with the field's format, which decodes them."""

    ids: np.ndarray
    weights: np.ndarray
    values: list | None
    format: object = None

    def positions(self, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The positions of the postings at indices ``at``, as two arrays:
        which of ``at`` each position belongs to, and the position. Only
        those postings are decoded: a common word has 100,000."""
        counts, flat = _decode_positions([self.values[i] for i in at.tolist()], self.format)
        return np.repeat(np.arange(len(at)), counts), flat

    def positions_of(self, index: int) -> list[int]:
        """The positions of one posting."""
        return self.format.decode_positions(self.values[index])


def _decode_positions(values: list[bytes], format_) -> tuple[np.ndarray, np.ndarray]:
    """The positions of postings, as how many each has and all of them in a
    row.

    Whoosh encodes a posting's positions as a 4-byte count and a pickled list
    of deltas. Nearly always every delta is below 256, and the pickle is then
    laid out byte for byte the same way (``K`` and one byte per delta), which
    its length tells: those are read with array indexing, the rest by Whoosh."""
    n = len(values)
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=n)
    buf = np.frombuffer(b"".join(values), dtype=np.uint8)
    starts = np.cumsum(lengths) - lengths
    counts = np.zeros(n, dtype=np.int64)
    for k in range(4):  # big-endian
        counts = (counts << 8) | buf[starts + k]
    simple = ((counts == 1) & (lengths == 13)) | ((counts > 1) & (lengths == 12 + 2 * counts))
    other = np.flatnonzero(~simple)
    decoded = [np.array(format_.decode_positions(values[i]), dtype=np.int64) for i in other.tolist()]
    counts[other] = [len(d) for d in decoded]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    flat = np.zeros(offsets[-1], dtype=np.int64)
    # simple postings: one delta at byte 10 (a single one), or at 11, 13, 15…
    simple_counts = counts[simple]
    owner = np.repeat(np.flatnonzero(simple), simple_counts)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(simple_counts) - simple_counts, simple_counts)
    flat[offsets[owner] + k] = buf[starts[owner] + np.where(counts[owner] == 1, 10, 11 + 2 * k)]
    for i, d in zip(other.tolist(), decoded):
        flat[offsets[i] : offsets[i + 1]] = np.diff(d, prepend=0)
    # deltas to positions, restarting at each posting
    total = np.cumsum(flat)
    before = np.repeat(np.concatenate([[0], total])[offsets[:-1]], counts)
    return counts, total - before


class _PostingCache:
    """Recently read posting lists, up to ``budget`` postings in all: a word
    asked again (by the next tier of a search, its proximity check, or the
    next search) is not read again. Keyed by segment id, since segments
    never change; deletions are applied after."""

    def __init__(self, budget: int):
        self.budget, self.size = budget, 0
        self.lists: OrderedDict[tuple, _Postings] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, reader: IndexReader, fieldname: str, text: bytes) -> _Postings:
        key = (reader.segment().segment_id(), fieldname, text)
        with self.lock:
            found = self.lists.get(key)
            if found is not None:
                self.lists.move_to_end(key)
                return found
        found = _read_postings(reader, fieldname, text)
        with self.lock:
            if key not in self.lists:
                self.lists[key] = found
                self.size += len(found.ids) + 1
            while self.size > self.budget and len(self.lists) > 1:
                _, dropped = self.lists.popitem(last=False)
                self.size -= len(dropped.ids) + 1
        return found


class Caches:
    """What an engine keeps between searches: each open segment's field
    lengths and columns (see _SegmentCache), recently read posting lists up
    to ``postings_cached`` postings, each searcher's average field lengths
    and each reader's stored review column. They belong to one engine (one index): another index in the
    same process has its own. ``narrow_from``: see WhooshSettings."""

    def __init__(self, postings_cached: int, narrow_from: int):
        self.postings = _PostingCache(postings_cached)
        self.narrow_from = narrow_from
        self._segments: weakref.WeakKeyDictionary[IndexReader, _SegmentCache] = weakref.WeakKeyDictionary()
        self._averages: weakref.WeakKeyDictionary[Searcher, dict[str, float]] = weakref.WeakKeyDictionary()
        #: The review column's reader of each open index reader (see schema.stored_reviews).
        self.review_columns: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def segment(self, reader: IndexReader) -> _SegmentCache:
        cache = self._segments.get(reader)
        if cache is None:
            cache = self._segments[reader] = _SegmentCache(reader)
        return cache

    def average_length(self, s: Searcher, fieldname: str) -> float:
        """A field's average length over the index, as BM25F takes it (summing
        over segments each time cost more than scoring a common word)."""
        averages = self._averages.setdefault(s, {})
        if fieldname not in averages:
            averages[fieldname] = s.avg_field_length(fieldname) or 1
        return averages[fieldname]


def _read_postings(reader: IndexReader, fieldname: str, text: bytes) -> _Postings:
    format_ = reader.schema[fieldname].format
    positional = format_.supports("positions")
    ids, weights, values = [], [], []  # arrays per block; values: each posting's
    matcher = reader.postings(fieldname, text) if (fieldname, text) in reader else None
    if isinstance(matcher, FilterMatcher):
        matcher = matcher.child
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            # One block: delta-encoded ids, weights (None: all 1, a number: all that), values.
            matcher._read_data()
            deltas, block_weights, block_values = matcher._data
            n = matcher._blocklength
            ids.append(np.cumsum(np.array(deltas, dtype=np.int64)))
            if block_weights is None:
                weights.append(np.ones(n))
            elif isinstance(block_weights, float):
                weights.append(np.full(n, block_weights))
            else:
                weights.append(np.array(block_weights, dtype=np.float64))
            if positional:
                values.extend(block_values)
            matcher._next_block()
    elif matcher is not None:  # another posting format: walked one by one
        one = []
        while matcher.is_active():
            one.append((matcher.id(), matcher.weight()))
            if positional:
                values.append(matcher.value())
            matcher.next()
        ids.append(np.array([doc for doc, _ in one], dtype=np.int64))
        weights.append(np.array([w for _, w in one], dtype=np.float64))
    if not ids:
        ids, weights = [_NO_IDS], [np.zeros(0)]
    return _Postings(np.concatenate(ids), np.concatenate(weights), values if positional else None, format_)


def _union(parts: list[_Matches]) -> _Matches:
    """Documents of any part, scores summed. Counted per document number
    (bincount) rather than sorted: linear in the segment's size."""
    parts = [p for p in parts if len(p.ids) or p.maybe]
    if not parts:
        return _Matches.none()
    if len(parts) == 1:
        return parts[0]
    ids = np.concatenate([p.ids for p in parts])
    maybe = [b for p in parts for b in p.maybe]
    if not len(ids):
        return _Matches(_NO_IDS, np.zeros(0), maybe)
    scores = np.concatenate([p.scores for p in parts])
    unique = np.flatnonzero(np.bincount(ids))
    return _Matches(unique, np.bincount(ids, weights=scores)[unique], maybe)


def _intersection(parts: list[_Matches]) -> _Matches:
    if not parts:
        return _Matches.none()
    ids, scores = parts[0].ids, parts[0].scores
    for p in parts[1:]:
        ids, left, right = _common(ids, p.ids)
        scores = scores[left] + p.scores[right]
    maybe = [b.within(ids) for p in parts for b in p.maybe]
    return _Matches(ids, scores, maybe)


def _and_maybe(required: _Matches, optional: _Matches) -> _Matches:
    _, left, right = _common(required.ids, optional.ids)
    scores = required.scores.copy()
    scores[left] += optional.scores[right]
    maybe = required.maybe + [b.within(required.ids) for b in optional.maybe]
    return _Matches(required.ids, scores, maybe)


def _and_not(positive: _Matches, negative: _Matches) -> _Matches:
    keep = ~_among(positive.ids, negative.ids)
    ids = positive.ids[keep]
    return _Matches(ids, positive.scores[keep], [b.within(ids) for b in positive.maybe])


# ------------------------------------------------------------------ ranking

#: Candidates whose span bonuses are confirmed together, best bound first.
CONFIRM_CHUNK = 64


class Evaluation:
    """Queries evaluated over one searcher, among the documents ``allow``
    matches (all if None). The queries of one search (its tiers, its count)
    share one Evaluation, so each word is read and scored once."""

    def __init__(self, s: Searcher, caches: Caches, allow: wq.Query | None = None):
        self.allow = allow
        self._last: tuple[wq.Query, list] | None = None  # the query evaluated last and its matches
        self.segments = [(_Segment(leaf, s, caches), offset) for leaf, offset in s.leaf_searchers() if leaf.doc_count_all()]

    def top(self, q: wq.Query, limit: int) -> tuple[list[tuple[int, float]], int]:
        """The best ``limit`` (docnum, score) for ``q``, best first and ties in
        document order, as Whoosh's TopCollector ranks them; and how many
        documents match."""
        found = self._matches(q)
        total = sum(len(m.ids) for _, _, m in found)
        if not found:
            return [], 0
        ids = np.concatenate([m.ids + offset for _, offset, m in found])
        scores = np.concatenate([m.scores for _, _, m in found])
        bound = scores.copy()
        maybes = []  # (segment, its first docnum, a bonus)
        for segment, offset, m in found:
            for b in m.maybe:
                np.add.at(bound, np.searchsorted(ids, b.ids + offset), b.bound * b.boost)
                maybes.append((segment, offset, b))
        # Only documents whose bound reaches the limit-th surest score can be in the top.
        floor = np.partition(scores, len(scores) - limit)[len(scores) - limit] if len(scores) > limit else -np.inf
        candidates = np.flatnonzero(bound >= floor)
        candidates = candidates[np.lexsort((ids[candidates], -bound[candidates]))]
        best: list[tuple[float, int]] = []
        for start in range(0, len(candidates), CONFIRM_CHUNK):
            first = candidates[start]
            if len(best) == limit and (bound[first], -ids[first]) < (best[-1][0], -best[-1][1]):
                break  # neither a higher score nor a tie won by document order is left
            chunk = np.sort(candidates[start : start + CONFIRM_CHUNK])
            docs, exact = ids[chunk], scores[chunk].copy()  # docs ascending, as chunk is
            for segment, offset, b in maybes:
                asked = b.ids[_among(b.ids + offset, docs)]
                if len(asked):
                    confirmed, bonus = segment.confirmed(b, asked)
                    exact[np.searchsorted(docs, confirmed + offset)] += bonus
            best = sorted(best + list(zip(exact.tolist(), docs.tolist())), key=lambda hit: (-hit[0], hit[1]))[:limit]
        return [(doc, score) for score, doc in best], total

    def count(self, q: wq.Query) -> int:
        """How many documents match ``q`` (nothing ranked, no bonus confirmed;
        nothing scored if its documents can be told without)."""
        if self._last is None or self._last[0] != q:
            total = 0
            for segment, _ in self.segments:
                ids = segment.ids(q)
                if ids is None:
                    break
                total += len(ids) if self.allow is None else int(_among(ids, segment.allowed(self.allow)).sum())
            else:
                return total
        return sum(len(m.ids) for _, _, m in self._matches(q))

    def matching(self, q: wq.Query) -> list[int]:
        """The document numbers ``q`` matches, ascending."""
        return [doc for _, offset, m in self._matches(q) for doc in (m.ids + offset).tolist()]

    def values(self, q: wq.Query, fieldname: str, top: int | None = None) -> dict[object, int]:
        """How many documents matching ``q`` hold each value of ``fieldname``, or its ``top`` most frequent (see facets)."""
        found = [(segment.cache.tables.table(fieldname), m.ids) for segment, _, m in self._matches(q)]
        return merged([table for table, _ in found], [table.counts(ids) for table, ids in found], top)

    def sample(self, q: wq.Query, size: int) -> list[int]:
        """Up to ``size`` documents matching ``q``: the best scoring (span
        bonuses left out), those tied at the last score evenly spread."""
        found = self._matches(q)
        if not found:
            return []
        ids = np.concatenate([m.ids + offset for _, offset, m in found])
        scores = np.concatenate([m.scores for _, _, m in found])
        if len(ids) <= size:
            return ids.tolist()
        floor = np.partition(scores, len(scores) - size)[len(scores) - size]
        above, tied = ids[scores > floor], ids[scores == floor]
        spread = tied[np.linspace(0, len(tied) - 1, size - len(above)).astype(np.int64)]
        return np.concatenate([above, spread]).tolist()

    def highest(
        self, q: wq.Query, limit: int, fieldname: str, lowest: bool = False
    ) -> tuple[list[tuple[int, float]], int]:
        """The ``limit`` documents matching ``q`` with the highest values of the
        sortable column ``fieldname`` (the newest dates; the lowest if
        ``lowest``), those without one last; on one value, the best first, then
        in document order; with their scores (span bonuses left out), and how
        many match."""
        found = self._matches(q)
        if not found:
            return [], 0
        ids = np.concatenate([m.ids + offset for _, offset, m in found])
        scores = np.concatenate([m.scores for _, _, m in found])
        if self.segments[0][0].numeric(fieldname):
            rank = np.concatenate([segment.cache.numbers(fieldname)[m.ids] for segment, _, m in found])
            missing = np.isnan(rank)
        else:  # text, compared as bytes (each segment's ranks, on the values of all): none is b""
            ranked = [(segment.cache.ranks(fieldname), m.ids) for segment, _, m in found]
            everything = np.unique(np.concatenate([distinct for (distinct, _), _ in ranked]))
            rank = np.concatenate([np.searchsorted(everything, d)[at[ids]] for (d, at), ids in ranked]).astype(np.float64)
            missing = np.concatenate([(d == b"")[at[ids]] for (d, at), ids in ranked])
        if lowest:
            rank = -rank
        rank[missing] = -np.inf
        order = np.lexsort((ids, -scores, -rank))[:limit]
        return [(int(ids[i]), float(scores[i])) for i in order], len(ids)

    def _matches(self, q: wq.Query) -> list[tuple[_Segment, int, _Matches]]:
        """Per segment with matches: the segment, its first docnum, its matches.
        The last query's are kept: a search's ranking, count and facets ask for them again."""
        if self._last is not None and self._last[0] == q:
            return self._last[1]
        found = []
        for segment, offset in self.segments:
            m = segment.settled(segment.evaluate(q))
            if self.allow is not None and len(m.ids):
                keep = _among(m.ids, segment.allowed(self.allow))
                ids = m.ids[keep]
                m = _Matches(ids, m.scores[keep], [b.within(ids) for b in m.maybe])
            if len(m.ids):
                found.append((segment, offset, m))
        self._last = (q, found)
        return found
