"""Whoosh's segment writer, taking documents a :class:`Batch` at a time and
writing their postings a term at a time.

Whoosh pools every posting of a segment as a tuple, sorts them all when the
segment is flushed, then hands them one by one to its postings writer, which
reads the document's field length from disk for each. Here a batch's postings
join the pool as arrays (its terms numbered for the segment), its field
lengths and column values go to Whoosh's columns in one piece, and at flush
the postings are sorted by term with numpy (documents stay in order within a
term); each term's blocks (up to 128 postings each), term info and
terms-table entry are encoded as Whoosh's W3 codec encodes them and written
in one piece. Small blocks are left uncompressed and a term's lone posting
is kept in its term info (see WhooshSettings); but for that, the
files are byte for byte the ones Whoosh's own writer makes (tested, merges
included). Segments merged into the one being written (add_reader) join
the pool the same way, read in one piece, or taken from memory when the
writing session wrote them itself (see KeptPostings); commits choose them by
tiers of size (TieredMerge)."""

from __future__ import annotations

import math
import pickle
import struct
import zlib
from array import array
from functools import lru_cache
from hashlib import md5
from itertools import accumulate
from operator import sub
from typing import Any, NamedTuple, Sequence

import numpy as np

from whoosh.columns import ColumnWriter, NumericColumn, VarBytesColumn
from whoosh.formats import Positions
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermInfo, _lenfield
from whoosh.filedb.filetables import HashWriter, md5_hash
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.util.numlists import GrowableArray
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter as WhooshSegmentWriter

from .batch import NO_VALUE, Batch, encoded_at, is_several, several
from .columnar import fixed_width, var_bytes
from .safeload import _loads, load_at
from .settings import WhooshSettings

#: The length a length byte stands for; 0 for none, as Whoosh's postings writer skips it.
_LENGTHS = [byte_to_length(b) if b else 0 for b in range(256)]
_TERM_INFO = W3TermInfo._struct
#: The length byte of field lengths (but 0, which Whoosh's columns leave out: None).
_LENGTH_BYTES = [None, *(length_to_byte(n) for n in range(1, 1 << 12))]
#: The lengths of a key and its value before them in a Whoosh hash file.
_KEY_VALUE = struct.Struct("!ii")
#: A slot of a Whoosh hash file's tables: hash, position of the key.
_POINTER = struct.Struct("!Iq")
#: Postings a segment writer turns into Python lists at a time as it writes them.
_WINDOW = 1 << 18
#: A block's signed length in a postings file.
_INT = struct.Struct("!i")
#: Where a term's blocks are in the postings file, after its term info's head.
_EXTENT = struct.Struct("!qi")
_USHORT = struct.Struct("!H")


@lru_cache(maxsize=4096)
def _one_position(pos: int) -> bytes:
    """Whoosh's encoding of a lone position (most terms occur once in a review)."""
    return Positions().encode([pos])


class SegmentWriter(WhooshSegmentWriter):
    """A Whoosh segment writer for schemas without term vectors or spelling
    fields (revsearch's), taking documents a :class:`Batch` at a time and
    pooling their postings in arrays."""

    def __init__(self, ix, settings: WhooshSettings, kept: KeptPostings | None = None, **kwargs: Any):
        super().__init__(ix, **kwargs)
        self._ix, self._settings, self._kept = ix, settings, kept
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling() or field.stored:
                raise ValueError(f"field {name!r} is stored or has term vectors or spelling, which this writer does not write")
        #: The segment's terms, (field, term bytes), numbered in order of arrival (the dict's order).
        self._numbers: dict[tuple[str, bytes], int] = {}
        #: Pooled postings, in document order: arrays of terms (numbers), documents, weights, positions.
        self._pool: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._encoded: list[bytes] = []  # see Batch.positions
        #: Postings pooled so far (about 30 bytes of memory each, and some 150 more while a commit writes them).
        self.pooled = 0
        #: The segment's number of each of the run's term numbers (-1: none yet), of RunKeys.epoch _epoch.
        self._ours, self._epoch = np.empty(0, np.int64), -1

    def add_document(self, **fields: Any) -> None:
        raise TypeError("this writer takes documents a Batch at a time (add_batch)")

    def add_batch(self, batch: Batch, start: int, end: int, files: Sequence[str | None], keys: RunKeys) -> None:
        """Add documents ``start`` to ``end`` of ``batch``, in order; ``files``
        gives each one's ``file`` value (the file it was read from), if any;
        ``keys`` are those of the run's term numbers, which the batch's extend."""
        self._check_state()
        keys.take(batch)
        if self._epoch != keys.epoch:
            self._epoch, self._ours = keys.epoch, np.empty(0, np.int64)
        if len(self._ours) < len(keys.keys):
            grown = np.full(max(len(keys.keys), 2 * len(self._ours)), -1, np.int64)
            grown[: len(self._ours)] = self._ours
            self._ours = grown
        base = self.docnum
        first, last = batch.ends[start - 1] if start else 0, batch.ends[end - 1] if end else 0
        terms = np.frombuffer(batch.terms, np.int32)[first:last]
        numbers = self._ours[terms]
        unnumbered = numbers < 0
        if unnumbered.any():  # terms new to the segment
            new = np.unique(terms[unnumbered])
            self._ours[new] = self._number([keys.keys[k] for k in new.tolist()])
            numbers = self._ours[terms]
        positions = np.frombuffer(batch.positions, np.int32)[first:last]
        many = is_several(positions)
        if many.any():  # their encodings, a run of batch.encoded, join the segment's
            ks = encoded_at(positions[many])
            low, high = int(ks.min()), int(ks.max()) + 1
            positions = positions.copy()
            positions[many] += low - len(self._encoded)
            self._encoded.extend(batch.encoded[low:high])
        docs = np.frombuffer(batch.docs, np.int32)[first:last] + (base - start)
        self._add_postings(numbers, docs, np.frombuffer(batch.weights, np.float32)[first:last], positions)
        named = [(i, f.encode("utf-8")) for i, f in enumerate(files) if f]
        if named:
            file_terms = self._number([("file", f) for _, f in named])
            at = np.array([base + i for i, _ in named], np.int32)
            self._add_postings(np.array(file_terms, np.int64), at, np.ones(len(at), np.float32),
                               np.full(len(at), NO_VALUE, np.int32))
        self._add_columns(batch, start, end)
        self.perdocwriter._doccount += end - start
        self.docnum += end - start
        self._added = True

    def _number(self, keys: list[tuple[str, bytes]]) -> list[int]:
        """The segment's numbers of these terms, new ones numbered next."""
        numbers = self._numbers
        number = numbers.setdefault
        return [number(key, len(numbers)) for key in keys]  # len() is taken before a new key goes in

    def _add_postings(self, terms: np.ndarray, docs: np.ndarray, weights: np.ndarray, positions: np.ndarray) -> None:
        self._pool.append((terms.astype(np.int64), docs.astype(np.int64), weights, positions))
        self.pooled += len(terms)

    def _add_columns(self, batch: Batch, start: int, end: int) -> None:
        """The batch's documents' field lengths and column values, given to the
        per-document writer's columns as its add_field and add_column_value
        would; columns new to the segment are made in the order Whoosh's
        add_document would make them (document, then field name), so that its
        files are laid out the same."""
        perdoc, base = self.perdocwriter, self.docnum
        wanted = []  # (column name, column type, field name, values of documents start to end)
        for name, lengths in batch.lengths.items():
            part = lengths[start:end]
            wanted.append((_lenfield(name), LENGTHS_COLUMN, name, _length_bytes(part)))
            perdoc._fieldlengths[name] += sum(part)
        for name, values in batch.columns.items():
            wanted.append((name, self.schema[name].column_type, name, values[start:end]))
        new = []
        for column, column_type, name, values in wanted:
            if column not in perdoc._colwriters:
                first = next((i for i, value in enumerate(values) if value is not None), None)
                if first is not None:
                    new.append((first, name, column, column_type))
        for _, _, column, column_type in sorted(new, key=lambda c: c[:2]):
            perdoc._create_column(column, column_type)
        writers = perdoc._colwriters
        for column, _, _, values in wanted:
            writer = writers.get(column)
            if writer is not None:
                _add_values(writer, base, values)

    def add_reader(self, reader) -> None:
        """Whoosh's add_reader, which its merge policies call for each segment
        merged into this one: the segment's documents but the deleted ones go
        after this writer's, in order. Whoosh copies them a document and a
        posting at a time (0.26 ms of CPU a review of NSMC, half what
        analysing it costs); here the columns are copied in one piece and the
        postings read a term at a time into the pool (0.07 ms, as much as
        writing them). The files are those Whoosh's merge
        writes; the field lengths' totals are the segment's own (Whoosh sums
        the one-byte approximations), less those of deleted documents."""
        self._check_state()
        count, base = reader.doc_count_all(), self.docnum
        deleted = np.fromiter(reader.deleted_docs_set, np.int64) if reader.has_deletions() else np.empty(0, np.int64)
        keep = np.ones(count, bool)
        keep[deleted] = False
        kept = np.flatnonzero(keep)
        docmap = np.full(count, -1, np.int64)
        docmap[kept] = np.arange(base, base + len(kept))
        self._copy_columns(reader, kept, deleted)
        pooled = self._kept.take(reader.segment().segment_id()) if self._kept is not None else None
        if pooled is not None:
            self._pool_kept(pooled, docmap)
        else:
            self._pool_postings(reader._terms, docmap)
        self.perdocwriter._doccount += len(kept)
        self.docnum += len(kept)
        self._added = True

    def _copy_columns(self, reader, kept: np.ndarray, deleted: np.ndarray) -> None:
        """The kept documents' field lengths and column values, as Whoosh's
        merge adds them: a length column is made at the first document with a
        length, a column of the schema at the first document."""
        perdoc, base, source = self.perdocwriter, self.docnum, reader._perdoc
        for name in sorted(self.schema.names()):
            field = self.schema[name]
            lenfield = _lenfield(name)
            if source.has_column(lenfield):
                column = source.column_reader(lenfield, LENGTHS_COLUMN)
                lengths = fixed_width(column, source.doc_count_all()).reshape(-1)
                dropped = sum(_LENGTHS[b] for b in lengths[deleted].tolist())
                perdoc._fieldlengths[name] += max(0, reader.field_length(name) - dropped)
                if lengths[kept].any():
                    if lenfield not in perdoc._colwriters:
                        perdoc._create_column(lenfield, LENGTHS_COLUMN)
                    _add_fixed(perdoc._colwriters[lenfield], base, lengths[kept])
            if field.column_type and source.has_column(name) and len(kept):
                if name not in perdoc._colwriters:
                    perdoc._create_column(name, field.column_type)
                writer, column = perdoc._colwriters[name], source.column_reader(name, field.column_type)
                if isinstance(column, NumericColumn.Reader) and type(writer) is NumericColumn.Writer:
                    _add_fixed(writer, base, fixed_width(column, source.doc_count_all())[kept])
                elif isinstance(column, VarBytesColumn.Reader):
                    values = var_bytes(column, source.doc_count_all())
                    _add_values(writer, base, [values[d] for d in kept.tolist()])
                else:
                    _add_values(writer, base, [column[d] for d in kept.tolist()])

    def _pool_postings(self, terms, docmap: np.ndarray) -> None:
        """A segment's postings into the pool, a term at a time from its
        ordered terms table, documents renumbered (``docmap``: -1 for a
        deleted one). The positions keep the objects the segment's blocks
        unpickle to, as Whoosh's merge does (pickle shares equal objects)."""
        schema = self.schema
        table = _terms_table(terms)
        end = max((offset + length for *_, offset, length in table), default=0)
        posted = terms._postfile.get(0, end)  # the postings file, read in one piece
        keys, counts, docs, weights, values = [], [], [], [], []
        for name, tbytes, inlined, offset, length in table:
            if name not in schema:
                continue
            before = len(docs)
            if length:
                _read_blocks(posted, offset, offset + length, schema[name].format.fixed_value_size(), docs, weights, values)
            else:
                ids, ws, vs = inlined
                docs.extend(ids)
                weights.extend(ws)
                values.extend(vs or (b"",) * len(ids))
            keys.append((name, tbytes))
            counts.append(len(docs) - before)
        if not keys:
            return
        local = np.repeat(np.arange(len(keys)), counts)
        new_docs = docmap[np.array(docs, np.int64)]
        weights = np.array(weights, np.float32)
        alive = new_docs >= 0
        if not alive.all():
            local, new_docs, weights = local[alive], new_docs[alive], weights[alive]
            values = [v for v, a in zip(values, alive.tolist()) if a]
        first = len(self._encoded)
        self._encoded.extend(values)
        positions = several(np.arange(first, first + len(values), dtype=np.int32))
        self._add_postings(self._renumber(keys, local), new_docs, weights, positions)

    def _pool_kept(self, pooled: _Kept, docmap: np.ndarray) -> None:
        """A segment's postings into the pool from the arrays that wrote it
        (see KeptPostings), documents renumbered (``docmap``: -1 for a deleted one)."""
        terms, docs, weights, positions = pooled.terms, docmap[pooled.docs], pooled.weights, pooled.positions
        alive = docs >= 0
        if not alive.all():
            terms, docs, weights, positions = terms[alive], docs[alive], weights[alive], positions[alive]
        many = is_several(positions)
        if many.any():  # their encodings join the segment's, after those it has
            positions = positions.copy()
            positions[many] -= len(self._encoded)
        self._encoded.extend(pooled.encoded)
        self._add_postings(self._renumber(pooled.keys, terms), docs, weights, positions)

    def _renumber(self, keys: list[tuple[str, bytes]], local: np.ndarray) -> np.ndarray:
        """The segment's numbers of the terms ``local`` (indexes into ``keys``,
        a merged segment's terms); only terms some posting still has are
        numbered (a term whose every document was deleted goes)."""
        present = np.flatnonzero(np.bincount(local, minlength=len(keys)))
        numbers = np.full(len(keys), -1, np.int64)
        numbers[present] = self._number([keys[i] for i in present.tolist()])
        return numbers[local]

    def cancel(self) -> None:
        """Whoosh's cancel, which also frees the lock and the pool folder when
        closing the segment's files fails again, and deletes those files unless
        a commit made them part of the index: a commit that failed part way (a
        full disk) leaves them, taking the room the next run needs."""
        try:
            super().cancel()
        finally:
            if not self.is_closed:
                self._finish()
            if self._kept is not None:
                self._kept.take(self.newsegment.segment_id())
            prefix = self.newsegment.segment_id() + "."
            if all(s.segment_id() != self.newsegment.segment_id() for s in self._ix._segments()):
                for name in [n for n in self.storage.list() if n.startswith(prefix)]:
                    self.storage.delete_file(name)

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            fields, pooled = self._sorted()
            for name, terms, starts in fields:
                self._write_field(name, terms, starts, pooled, lengths)
        finally:
            lengths.close()
        table = self.fieldwriter._tindex
        table._write_hashes = lambda: _write_hashes(table)
        self.fieldwriter.close()

    def _sorted(self) -> tuple[list[tuple[str, list[bytes], list[int]]], _Pooled]:
        """The pooled postings in order of field and term (each term's in
        document order), and the fields in order, each with its terms in order
        and where each term's postings start (and, last, where the field's
        end). A field that had values but no terms, such as empty titles, has
        none and is not in Whoosh's files."""
        by_field: dict[str, dict[bytes, int]] = {}
        for (name, tbytes), number in self._numbers.items():
            numbers = by_field.get(name)
            if numbers is None:
                numbers = by_field[name] = {}
            numbers[tbytes] = number
        fields, order = [], []
        for name in sorted(by_field):  # sorting each field's bytes is twice as fast as sorting (field, bytes) pairs
            numbers = by_field[name]
            terms = sorted(numbers)
            order.extend(map(numbers.__getitem__, terms))
            fields.append((name, terms))
        if not order:
            return [], _Pooled(np.empty(0, np.int64), np.empty(0, np.float32), np.empty(0, np.int32), self._encoded)
        terms, docs, weights, positions = (np.concatenate(column) for column in zip(*self._pool))
        self._pool.clear()  # the writer is flushing: its parts are copied
        if self._kept is not None:
            self._kept.keep(self.newsegment.segment_id(), _Kept(list(self._numbers), terms, docs, weights, positions, self._encoded))
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(len(order))
        ranks = rank[terms]
        by_term = np.argsort(ranks, kind="stable")  # the pool is in document order, and stays so within a term
        starts = [0, *np.cumsum(np.bincount(ranks, minlength=len(order))).tolist()]
        out, first = [], 0
        for name, field_terms in fields:
            out.append((name, field_terms, starts[first : first + len(field_terms) + 1]))
            first += len(field_terms)
        pooled = _Pooled(docs[by_term], weights[by_term], positions[by_term], self._encoded)
        return out, pooled

    def _write_field(self, name: str, terms: list[bytes], starts: list[int], pooled: _Pooled, lengths) -> None:
        """One field's terms in order (term ``i``'s postings from ``starts[i]``
        to ``starts[i + 1]`` of ``pooled``): each term's blocks written to the
        postings file in one piece, its term info to the terms table, encoded
        as Whoosh's W3 postings writer and term info do (see _block). A term
        with one posting is the most common case and is done here, inline."""
        fw = self.fieldwriter
        fw.start_field(name, self.schema[name])
        key, postfile, table = pack_ushort(fw._fieldid), fw._postfile, fw._tindex
        lenfield = _lenfield(name)
        column = lengths.column_reader(lenfield, LENGTHS_COLUMN).load() if lengths.has_column(lenfield) else None
        fixed = self.schema[name].format.fixed_value_size()
        valued = fixed != 0  # a field without values (Existence: id, author, date…) has only empty ones
        limit, level = self.codec._blocklimit, self.codec._compression
        # the terms table is an OrderedHashWriter: its add(), inlined (positions counted here)
        offset, tpos, at, buckets, hashfn = postfile.tell(), table.dbfile.tell(), [], table.buckets, table.hashfn
        hashfn = _md5_hash if hashfn is md5_hash else hashfn
        posted, entries = _Buffer(postfile), _Buffer(table.dbfile)
        value_of, lo, hi = pooled.value, 0, 0
        inline, head, dumps, entry = self._settings.inline, _TERM_INFO.pack, pickle.dumps, _KEY_VALUE.pack
        compress_from = self._settings.compress_from
        for tbytes, a, b in zip(terms, starts, starts[1:]):
            if b > hi:  # the next window of postings as lists, which cost some 100 bytes a posting
                lo, hi = a, max(b, a + _WINDOW)
                docs, weights, positions = (column[lo:hi].tolist() for column in pooled[:3])
            a, b = a - lo, b - lo
            k = key + tbytes
            if inline and b - a == 1:
                # W3TermInfo.to_bytes of a term holding its one posting (see WhooshSettings.inline): its
                # statistics are the posting's, its length byte both the least and the greatest
                doc, weight, value = docs[a], weights[a], value_of(positions[a]) if valued else b""
                length = column[doc] if column is not None else 0
                v = head(True, weight, 1, length, length, max(0, weight), doc, doc) + dumps(
                    ((doc,), (weight,), (value,) if value else ()), 2
                )
            else:
                parts, info = [WHOOSH3_HEADER_MAGIC], _TermStats()
                values = list(map(value_of, positions[a:b])) if valued else ()
                for start in range(a, b, limit):
                    end = min(start + limit, b)
                    parts.extend(_block(docs[start:end], weights[start:end], values[start - a : end - a], column,
                                        fixed, level, compress_from, end == b, info))
                data = b"".join(parts)
                posted.write(data)
                v = info.to_bytes(docs[a], docs[b - 1], b - a, offset, len(data))
                offset += len(data)
            at.append(tpos)
            entries.write(entry(len(k), len(v)) + k + v)
            h = hashfn(k)
            buckets[h & 255].append((h, tpos))
            tpos += _KEY_VALUE.size + len(k) + len(v)
        posted.flush()
        entries.flush()
        _extend(table.index, at)
        table.lastkey = k
        fw.finish_field()


class TieredMerge:
    """A Whoosh merge policy (what ``commit(mergetype=...)`` takes) by tiers
    of size, as Lucene's log merge policy: a segment's size is its words
    (the sum of its field lengths: about its postings) and its tier the
    power of ``merge_factor`` of that size (see _tier). A tier holding
    ``merge_factor`` segments, the one being written counted, is merged into
    it; so is, at a run's ``last`` commit, every tier up to the highest the
    run wrote (``reach``, or the tier of the segment being written) holding
    two or more, so a large run ends with few segments. There the segment
    being written counts whatever its tier, unless it is under a
    ``merge_factor``-th of the tier's smallest: the last few reviews of a
    run are not worth rewriting a large segment (42 reviews after 50,000 took
    4 s to merge, against 2.5 s to write the 50,000). Smaller tiers go first, so merges cascade; a merged segment
    stays within ``merge_limit`` words (the smallest of a tier go in first).
    Searches go on meanwhile: they read the segments of the commit they
    opened, and the commit swaps the merged ones for the new one at once."""

    def __init__(self, settings: WhooshSettings, last: bool, reach: int):
        self.factor, self.limit, self.last, self.reach = settings.merge_factor, settings.merge_limit, last, reach
        #: The tier of the segment the commit wrote (-1: none).
        self.tier = -1

    def plan(self, segments: list, pending: int) -> list:
        """The segments to merge into one being written of ``pending`` words."""
        tiers: dict[int, list] = {}
        for segment in sorted(segments, key=_words):
            tiers.setdefault(_tier(_words(segment), self.factor), []).append(segment)
        merged, reach = [], max(self.reach, _tier(pending, self.factor) if pending else -1)
        for tier in sorted(tiers):
            members = tiers[tier]
            if self.last and tier <= reach:
                joins = pending > 0 and pending * self.factor >= _words(members[0])
                due = len(members) + joins >= 2
            else:
                due = len(members) + (pending > 0 and _tier(pending, self.factor) == tier) >= self.factor
            if not due:
                continue
            taken, words = [], pending
            for segment in members:
                if words + _words(segment) > self.limit:
                    break
                taken.append(segment)
                words += _words(segment)
            if len(taken) + (pending > 0) >= 2:
                merged += taken
                pending = words
        return merged

    def __call__(self, writer: WhooshSegmentWriter, segments: list) -> list:
        merged = self.plan(segments, _pending_words(writer))
        for segment in merged:
            reader = SegmentReader(writer.storage, writer.schema, segment)
            try:
                writer.add_reader(reader)
            finally:
                reader.close()
        self.tier = _tier(_pending_words(writer), self.factor) if writer._added else -1
        return [segment for segment in segments if segment not in merged]


#: Segments of fewer words than this are all of tier 0.
_FLOOR = 1000


def _tier(words: int, factor: int) -> int:
    """The tier of a segment of so many words: 0 below _FLOOR, then one more
    each ``factor`` times as many."""
    return 0 if words < _FLOOR else int(math.log(words / _FLOOR, factor)) + 1


def _pending_words(writer: WhooshSegmentWriter) -> int:
    """The words of the documents a writer has written so far, merged ones included."""
    return sum(writer.perdocwriter._fieldlengths.values())


def _words(segment) -> int:
    """A segment's words: the sum of its field lengths (deleted documents' included)."""
    return sum(segment._fieldlengths.values())


class _Pooled(NamedTuple):
    """A segment's postings in order of field and term: documents, weights and
    positions (see Batch.positions; ``encoded`` holds those of several)."""

    docs: np.ndarray
    weights: np.ndarray
    positions: np.ndarray
    encoded: list[bytes]

    def value(self, position: int) -> bytes:
        """A posting's value: its encoded positions, or none."""
        if position >= 0:
            return _one_position(position)
        return b"" if position == NO_VALUE else self.encoded[encoded_at(position)]


class _Kept(NamedTuple):
    """A segment's postings as its writer pooled them, in document order:
    their terms (numbers, ``keys[n]`` the n-th term's field and bytes),
    documents, weights and positions (see Batch.positions)."""

    keys: list[tuple[str, bytes]]
    terms: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    positions: np.ndarray
    encoded: list[bytes]


class KeptPostings:
    """The postings of the segments one writing session wrote, kept in
    memory as their writer pooled them (up to ``limit`` postings in all, the
    most one merge takes: WhooshSettings.merge_limit) so that merging them,
    as the session's last commit does, reads none of them back: reading
    took 7.6 of the 20 s of merging the 357K NSMC reviews' 8 segments."""

    def __init__(self, limit: int) -> None:
        self._limit, self._held = limit, 0
        self._kept: dict[str, _Kept] = {}

    def keep(self, segment_id: str, pooled: _Kept) -> None:
        """Keep the postings of a segment being written, if there is room."""
        if self._held + len(pooled.docs) <= self._limit:
            self._kept[segment_id] = pooled
            self._held += len(pooled.docs)

    def take(self, segment_id: str) -> _Kept | None:
        """The kept postings of a segment (merged into another, or not
        written after all), no longer kept; None if they were not."""
        pooled = self._kept.pop(segment_id, None)
        if pooled is not None:
            self._held -= len(pooled.docs)
        return pooled


class RunKeys:
    """The keys (field, term bytes) of a run's term numbers (see
    batch.TermNumbers), as its batches bring them. ``epoch`` counts the
    times the numbering started anew."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, bytes]] = []
        self.epoch = 0
        self._last: Batch | None = None  # a batch is written in parts, and taken once

    def take(self, batch: Batch) -> None:
        """Extend the keys with a batch's, which come in order."""
        if batch is self._last:
            return
        self._last = batch
        if batch.first_key == 0 and self.keys:
            self.keys, self.epoch = [], self.epoch + 1
        if batch.first_key != len(self.keys):
            raise ValueError(f"a batch's terms are numbered from {batch.first_key}, not {len(self.keys)}")
        self.keys.extend(batch.keys)


def _md5_hash(key: bytes) -> int:
    """Whoosh's md5_hash (the low 32 bits of the key's MD5) without its hex round trip."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[12:], "big")


def _write_hashes(table: HashWriter) -> None:
    """HashWriter._write_hashes: a hash table per bucket, each written in one
    piece (Whoosh writes slot by slot through three layers of Python)."""
    dbfile, pack = table.dbfile, _POINTER.pack
    for entries in table.buckets:
        numslots = 2 * len(entries)
        table.directory.append((dbfile.tell(), numslots))
        slots: list[tuple[int, int]] = [(0, 0)] * numslots  # (0, 0): empty (no key is at position 0)
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while slots[slot] != (0, 0):
                slot = (slot + 1) % numslots
            slots[slot] = (hashval, position)
        dbfile.write(b"".join([pack(h, p) for h, p in slots]))


def _length_bytes(lengths: list[int]) -> list[int | None]:
    table, size = _LENGTH_BYTES, len(_LENGTH_BYTES)
    return [table[n] if n < size else length_to_byte(n) for n in lengths]


def _add_values(writer: ColumnWriter, docnum: int, values: list[Any]) -> None:
    """Add the values of documents from ``docnum`` on to a column (None: the
    document has none), as ``writer.add`` would one by one. Whoosh's
    variable-bytes and numeric columns take them in one piece."""
    if isinstance(writer, VarBytesColumn.Writer):
        values = [v or b"" for v in values]  # what a document without a value gets: no bytes
        writer.fill(docnum)
        data = b"".join(values)
        writer._dbfile.write(data)
        lengths = [len(v) for v in values]
        _extend(writer._offsets, list(accumulate(lengths[:-1], initial=writer._offset_base)))
        _extend(writer._lengths, lengths)
        writer._offset_base += len(data)
        writer._count = docnum + len(values)
    elif type(writer) is NumericColumn.Writer:
        if docnum > writer._count:
            writer.fill(docnum)
        default, pack = writer._default, writer._pack
        writer._dbfile.write(b"".join([pack(default if v is None else v) for v in values]))
        writer._count = docnum + len(values)  # the default, written out, is what fill() writes
    else:
        for i, value in enumerate(values):
            if value is not None:
                writer.add(docnum + i, value)


def _add_fixed(writer: ColumnWriter, docnum: int, rows: np.ndarray) -> None:
    """Add the values of documents from ``docnum`` on to a fixed-width column,
    as their stored bytes (one row each)."""
    if docnum > writer._count:
        writer.fill(docnum)
    writer._dbfile.write(rows.tobytes())
    writer._count = docnum + len(rows)


def _terms_table(terms) -> list[tuple[str, bytes, Any, int, int]]:
    """A segment's terms in order, read from its terms table in one piece
    (Whoosh reads each entry in four calls): field, term bytes, and either
    the inlined postings or where the term's blocks are in the postings file."""
    table = terms._tindex
    data = table.dbfile.get(table.startofdata, table.endofdata - table.startofdata)
    fields, size, head, at, out = terms._fieldunmap, _KEY_VALUE.size, _TERM_INFO.size, 0, []
    unpack_entry, unpack_extent = _KEY_VALUE.unpack_from, _EXTENT.unpack_from
    while at < len(data):
        klen, vlen = unpack_entry(data, at)
        key, info = at + size, at + size + klen
        name, tbytes = fields[_USHORT.unpack_from(data, key)[0]], data[key + 2 : info]
        if data[info]:  # the flags: postings inlined
            out.append((name, tbytes, _loads(data[info + head : info + vlen]), 0, 0))
        else:
            out.append((name, tbytes, None, *unpack_extent(data, info + head)))
        at = info + vlen
    return out


def _read_blocks(data: bytes, at: int, end: int, fixed: int | None, docs: list, weights: list, values: list) -> None:
    """Extend ``docs``, ``weights`` and ``values`` with the postings of the
    term's blocks from ``at`` to ``end`` of ``data``, as W3LeafMatcher reads
    them (see _block)."""
    at += len(WHOOSH3_HEADER_MAGIC)
    while at < end:
        size = abs(_INT.unpack_from(data, at)[0])
        block = data[at + _INT.size : at + _INT.size + size]
        at += _INT.size + size
        (count, _, _, compression, _, _), start = load_at(block, 0)
        block = block[start:]
        ids, ws, vs = _loads(zlib.decompress(block) if compression else block)
        docs.extend(accumulate(ids))
        if ws is None:
            weights.extend([1.0] * count)
        elif isinstance(ws, float):
            weights.extend([ws] * count)
        else:
            weights.extend(ws)
        if fixed is None or fixed < 0:
            values.extend(vs)
        elif fixed == 0:
            values.extend([b""] * count)
        else:
            values.extend(vs[i : i + fixed] for i in range(0, len(vs), fixed))


def _extend(numbers: GrowableArray, more: list[int]) -> None:
    """GrowableArray.extend, in one step when ``more`` fits its array's type."""
    if isinstance(numbers.array, array):
        try:
            numbers.array.extend(array(numbers.array.typecode, more))
            return
        except OverflowError:
            pass
    numbers.extend(more)


class _Buffer:
    """Writes to a Whoosh file a megabyte at a time: a write per term went
    through three layers of Python (structfile, compound file, io)."""

    __slots__ = ("file", "parts", "size")

    def __init__(self, file):
        self.file, self.parts, self.size = file, [], 0

    def write(self, data: bytes) -> None:
        self.parts.append(data)
        self.size += len(data)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.file.write(b"".join(self.parts))
        self.parts, self.size = [], 0


class _TermStats:
    """What a term info records of a term's blocks, gathered as W3TermInfo.add_block does."""

    __slots__ = ("weight", "minlength", "maxlength", "maxweight")

    def __init__(self):
        self.weight, self.minlength, self.maxlength, self.maxweight = 0, None, 0, 0

    def add(self, weights: array, minlength: int | None, maxlength: int, maxweight: float) -> None:
        self.weight += sum(weights)
        self.minlength = minlength if self.minlength is None else min(self.minlength, minlength)
        self.maxlength = max(self.maxlength, maxlength)
        self.maxweight = max(self.maxweight, maxweight)

    def to_bytes(self, first: int, last: int, count: int, offset: int, length: int) -> bytes:
        """W3TermInfo.to_bytes of a term in ``count`` documents, ``first`` to
        ``last``, whose postings are not inlined."""
        head = _TERM_INFO.pack(
            False, self.weight, count, length_to_byte(self.minlength), length_to_byte(self.maxlength),
            self.maxweight, first, last,
        )
        return head + pack_long(offset) + pack_int(length)


def _block(
    ids: list[int], raw: list[float], values: list[bytes], column: array | None, fixed: int | None, level: int,
    compress_from: int, last: bool, stats: _TermStats,
) -> tuple[bytes, bytes, bytes]:
    """One block of postings as W3PostingsWriter._write_block writes it: its
    signed length (negative for a term's last block), its pickled info and its
    pickled data, compressed from ``compress_from`` bytes."""
    weights = array("f", raw)
    values = [v for v in values if v]
    maxweight = max(0, max(raw))
    found = [n for n in map(_LENGTHS.__getitem__, map(column.__getitem__, ids)) if n] if column is not None else ()
    minlength, maxlength = (min(found), max(found)) if found else (None, 0)
    stats.add(weights, minlength, maxlength, maxweight)
    if weights.count(1.0) == len(weights):
        mini_weights = None
    elif weights.count(weights[0]) == len(weights):
        mini_weights = weights[0]
    else:
        mini_weights = tuple(weights)
    if fixed is None or fixed < 0:
        mini_values = tuple(values)
    else:
        mini_values = b"".join(values) if fixed else None
    deltas = tuple(map(sub, ids, [0, *ids]))
    data = pickle.dumps((deltas, mini_weights, mini_values), 2)
    level = level if len(data) >= compress_from else 0
    if level:
        data = zlib.compress(data, level)
    info = pickle.dumps(
        (len(ids), ids[-1], maxweight, level, length_to_byte(minlength), length_to_byte(maxlength)), 2
    )
    size = len(info) + len(data)
    return pack_int(-size if last else size), info, data
