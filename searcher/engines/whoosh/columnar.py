"""Whoosh's per-document columns read a segment at a time, in one piece:
read a document at a time (as Whoosh's readers do) a column cost about 2 µs
a document, seconds on a large segment. Searches read the field lengths and
sortable columns this way (see matching); merges copy them (see segment)."""

from __future__ import annotations

import numpy as np
from whoosh.columns import NumericColumn, VarBytesColumn

#: Whoosh numeric column type codes that numpy reads as they are stored.
_WIDE = frozenset("qQiIhHbB")


def fixed_width(column, doccount: int) -> np.ndarray:
    """A fixed-width column's stored bytes, a row per document (those past the
    last written hold the default, as Whoosh's reader gives)."""
    width = column._fixedlen
    out = np.frombuffer(column._defaultbytes * doccount, np.uint8).reshape(doccount, width).copy()
    stored = np.frombuffer(column._dbfile.get(column._basepos, column._count * width), np.uint8).reshape(-1, width)
    out[: len(stored)] = stored[:doccount]
    return out


def var_bytes(column, doccount: int) -> list[bytes]:
    """A variable-width bytes column's values, by document (b"": none), cut
    from its data by the offsets Whoosh keeps of them."""
    data = column._dbfile.get(column._basepos, column._length)
    values = [data[o : o + n] for o, n in zip(column._offsets, column._lengths)][:doccount]
    return values + [b""] * (doccount - len(values))


def raw_values(column, doccount: int) -> np.ndarray:
    """A column's values by document as stored, before Whoosh translates them:
    numbers of a fixed-width numeric column, else bytes (another layout is
    read a value at a time)."""
    if isinstance(column, NumericColumn.Reader) and column._typecode in _WIDE:
        return fixed_width(column, doccount).view(">" + column._typecode).reshape(-1)
    values = var_bytes(column, doccount) if isinstance(column, VarBytesColumn.Reader) else list(column)
    if values and not isinstance(values[0], bytes):
        return np.array(values)
    return np.array(values, dtype=f"S{max(1, max(map(len, values), default=1))}")
