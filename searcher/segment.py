"""Whoosh's segment writer, with its postings kept by term in memory and
written a term at a time.

Whoosh pools every posting of a segment as a tuple, sorts them all when the
segment is flushed, then hands them one by one to its postings writer, which
reads the document's field length from disk for each. Documents arrive in
order, so a term's postings are already sorted as they come: here they are
appended to the term's list, the terms alone are sorted at flush, the field
lengths are read once per field, and each term's blocks (up to 128 postings
each), term info and terms-table entry are encoded as Whoosh's W3 codec
encodes them and written in one piece. Small blocks are left uncompressed
(see COMPRESS_FROM); but for that, the files are byte for byte the ones
Whoosh's own writer makes (tested, merges included)."""

from __future__ import annotations

import pickle
import struct
import zlib
from array import array
from typing import Any

from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3TermInfo, _lenfield
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter as WhooshSegmentWriter

#: A posting as pooled: (document number, weight, encoded value).
Pooled = tuple[int, float, bytes]
#: The length a length byte stands for; 0 for none, as Whoosh's postings writer skips it.
_LENGTHS = [byte_to_length(b) if b else 0 for b in range(256)]
_TERM_INFO = W3TermInfo._struct
#: Blocks whose pickle is shorter than this are written uncompressed, which W3
#: records block by block. zlib makes them no smaller (a lone posting's ~30
#: bytes gain its header) and took a tenth of the writer's time, most of it on
#: the many terms a segment has once. Whoosh's own writer meant to leave blocks
#: under 20 bytes alone but compresses all (whoosh3.W3PostingsWriter._write_block).
COMPRESS_FROM = 64
#: The lengths of a key and its value before them in a Whoosh hash file.
_KEY_VALUE = struct.Struct("!ii")


class SegmentWriter(WhooshSegmentWriter):
    """A Whoosh segment writer for schemas without term vectors or spelling
    fields (revsearch's), pooling postings by field and term."""

    def __init__(self, ix, **kwargs: Any):
        super().__init__(ix, **kwargs)
        for name, field in self.schema.items():
            if field.vector or field.separate_spelling():
                raise ValueError(f"field {name!r} has term vectors or spelling, which this writer does not write")
        self._postings: dict[str, dict[bytes, list[Pooled]]] = {}
        self._plans: dict[str, tuple] = {}
        #: Postings pooled so far (about 100 bytes of memory each).
        self.pooled = 0

    def add_document(self, **fields: Any) -> None:
        """Whoosh's add_document without boosts (revsearch sets none): each
        field's terms are appended to their posting lists."""
        self._check_state()
        docnum, perdoc = self.docnum, self.perdocwriter
        # the per-document writer's columns: once made, values go to them straight
        columns, lengths = perdoc._colwriters, perdoc._fieldlengths
        perdoc.start_doc(docnum)
        try:
            for name in sorted(fields):
                value = fields[name]
                if value is None:
                    continue
                field, terms, scorable, stored, column, lengths_column = self._plan(name)
                length = 0
                if terms is not None:
                    n = 0
                    for tbytes, freq, weight, vbytes in field.index(value):
                        n += 1
                        if scorable:
                            length += freq
                        postings = terms.get(tbytes)
                        if postings is None:
                            terms[tbytes] = [(docnum, weight, vbytes)]
                        else:
                            postings.append((docnum, weight, vbytes))
                    self.pooled += n
                if stored or (length and lengths_column not in columns):  # else Whoosh's add_field does no more than:
                    perdoc.add_field(name, field, value if stored else None, length)
                elif length:
                    columns[lengths_column].add(docnum, length_to_byte(length))
                    lengths[name] += length
                if column:
                    if name in columns:
                        columns[name].add(docnum, field.to_column_value(value))
                    else:
                        perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _plan(self, name: str) -> tuple:
        """What add_document needs of a field: the field, its postings by term
        (None if not indexed), whether it is scorable and stored, its column
        and the column of its lengths."""
        plan = self._plans.get(name)
        if plan is None:
            field = self.schema[name]
            terms = self._postings.setdefault(name, {}) if field.indexed else None
            plan = (field, terms, field.scorable, field.stored, field.column_type, _lenfield(name))
            self._plans[name] = plan
        return plan

    def add_postings_to_pool(self, reader, startdoc: int, docmap) -> None:
        """A merged segment's postings, after this writer's documents: each
        term's list stays in document order."""
        for name, tbytes, docnum, weight, vbytes in self._process_posts(reader.iter_postings(), startdoc, docmap):
            self._postings.setdefault(name, {}).setdefault(tbytes, []).append((docnum, weight, vbytes))
            self.pooled += 1

    def _flush_segment(self) -> None:
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            for name, terms in sorted(self._postings.items()):
                if terms:  # a field that had values but no terms (empty titles) is not in Whoosh's files
                    self._write_field(name, terms, lengths)
        finally:
            lengths.close()
        self.fieldwriter.close()

    def _write_field(self, name: str, terms: dict[bytes, list[Pooled]], lengths) -> None:
        """One field's terms in order: each term's blocks written to the postings
        file in one piece, its term info to the terms table, encoded as Whoosh's
        W3 postings writer and term info do (see _block)."""
        fw = self.fieldwriter
        fw.start_field(name, self.schema[name])
        key, postfile, table = pack_ushort(fw._fieldid), fw._postfile, fw._tindex
        lenfield = _lenfield(name)
        column = lengths.column_reader(lenfield, LENGTHS_COLUMN).load() if lengths.has_column(lenfield) else None
        fixed = self.schema[name].format.fixed_value_size()
        limit, level = self.codec._blocklimit, self.codec._compression
        # the terms table is an OrderedHashWriter: its add(), inlined (positions counted here)
        offset, tpos, index, buckets, hashfn = postfile.tell(), table.dbfile.tell(), table.index, table.buckets, table.hashfn
        posted, entries = _Buffer(postfile), _Buffer(table.dbfile)
        for tbytes in sorted(terms):
            postings = terms[tbytes]
            parts, info = [WHOOSH3_HEADER_MAGIC], _TermStats()
            for start in range(0, len(postings), limit):
                last = start + limit >= len(postings)
                parts.extend(_block(postings[start : start + limit], column, fixed, level, last, info))
            data = b"".join(parts)
            posted.write(data)
            k, v = key + tbytes, info.to_bytes(postings, offset, len(data))
            offset += len(data)
            index.append(tpos)
            entries.write(_KEY_VALUE.pack(len(k), len(v)) + k + v)
            h = hashfn(k)
            buckets[h & 255].append((h, tpos))
            tpos += _KEY_VALUE.size + len(k) + len(v)
        posted.flush()
        entries.flush()
        table.lastkey = k
        fw.finish_field()


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

    def to_bytes(self, postings: list[Pooled], offset: int, length: int) -> bytes:
        """W3TermInfo.to_bytes of a term whose postings are not inlined."""
        return _TERM_INFO.pack(
            False, self.weight, len(postings), length_to_byte(self.minlength), length_to_byte(self.maxlength),
            self.maxweight, postings[0][0], postings[-1][0],
        ) + pack_long(offset) + pack_int(length)


def _block(
    postings: list[Pooled], column: array | None, fixed: int | None, level: int, last: bool, stats: _TermStats
) -> tuple[bytes, bytes, bytes]:
    """One block of postings as W3PostingsWriter._write_block writes it: its
    signed length (negative for a term's last block), its pickled info and its
    pickled data, compressed from COMPRESS_FROM bytes."""
    ids = [p[0] for p in postings]
    raw = [p[1] for p in postings]
    weights = array("f", raw)
    values = [p[2] for p in postings if p[2]]
    maxweight = max(0, max(raw))
    found = [n for n in (_LENGTHS[column[d]] for d in ids) if n] if column is not None else ()
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
    deltas = tuple(b - a for a, b in zip([0, *ids], ids))
    data = pickle.dumps((deltas, mini_weights, mini_values), 2)
    level = level if len(data) >= COMPRESS_FROM else 0
    if level:
        data = zlib.compress(data, level)
    info = pickle.dumps(
        (len(ids), ids[-1], maxweight, level, length_to_byte(minlength), length_to_byte(maxlength)), 2
    )
    size = len(info) + len(data)
    return pack_int(-size if last else size), info, data
