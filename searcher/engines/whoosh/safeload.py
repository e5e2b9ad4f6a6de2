"""Opening a Whoosh index folder without running what its files hold.

Whoosh keeps pickles in an index folder: the schema and the segment list in
the table of contents (``_MAIN_N.toc``); in the segment files, posting blocks
and their headers, a term's inlined postings, positions, the hash tables'
extras and the compound file's directory. ``pickle`` builds whatever a pickle
names, so an index folder from elsewhere could run code as it is opened. Here
every one of those pickles is loaded by an unpickler that takes only the
globals that revsearch's own indexes hold (:data:`TOC_GLOBALS`,
:data:`SEGMENT_GLOBALS`: found with pickletools, and by recording every
global loaded, on indexes built from corpus/ and NSMC samples with merges,
deletions and a user dictionary, then read whole and searched); any other
raises :class:`RefusedGlobal`, which readers report as a damaged index.

The table of contents is read by :class:`ReviewFileIndex`, Whoosh's
FileIndex with a reader of its own (:func:`read_toc`). Segment files are read
by Whoosh's W3 codec, which unpickles through module-level names: ``loads``
in whoosh.codec.whoosh3, whoosh.formats and whoosh.columns, and
``load_pickle`` behind StructFile.read_pickle. They are looked up at each
call, so rebinding them here, once, as this module is imported, covers every
reader of segment files, Whoosh's and matching.py's. The engine opens and
creates indexes only with :func:`open_index` and :func:`create_index`, so no
index file is read before this module is imported.
"""

from __future__ import annotations

import _codecs
import pickle
import re
from pathlib import Path
from typing import Any, BinaryIO

import whoosh.codec.whoosh3
import whoosh.columns
import whoosh.filedb.structfile
import whoosh.formats
from whoosh.codec.whoosh3 import W3Segment
from whoosh.fields import Schema, ensure_schema
from whoosh.filedb.filestore import FileStorage, Storage
from whoosh.index import _CURRENT_TOC_VERSION, TOC, EmptyIndexError, FileIndex, IndexVersionError
from whoosh.system import _FLOAT_SIZE, _INT_SIZE, _LONG_SIZE

#: Whoosh's name for an index in a folder (its files are ``_MAIN_N.toc`` and ``MAIN_<id>.<ext>``).
INDEX_NAME = "MAIN"

#: What a revsearch table of contents names: the schema's classes (pickled by
#: Whoosh with protocol 2, which names builtins ``__builtin__``), then the
#: segment list's (protocol 5).
TOC_GLOBALS = frozenset({
    ("__builtin__", "float"),  # NUMERIC's numtype (rating)
    ("searcher.analysis", "Analyzer"),
    ("searcher.analysis", "KiwiTokenizer"),
    ("searcher.schema", "Exact"),
    ("searcher.schema", "KoreanText"),
    ("whoosh.analysis.analyzers", "CompositeAnalyzer"),
    ("whoosh.analysis.filters", "LowercaseFilter"),
    ("whoosh.analysis.tokenizers", "IDTokenizer"),
    ("whoosh.columns", "NumericColumn"),
    ("whoosh.columns", "VarBytesColumn"),
    ("whoosh.fields", "COLUMN"),
    ("whoosh.fields", "NUMERIC"),
    ("whoosh.fields", "Schema"),
    ("whoosh.formats", "Existence"),
    ("whoosh.formats", "Positions"),
    ("builtins", "int"),  # the default of a segment's field lengths (a defaultdict)
    ("collections", "defaultdict"),
    ("whoosh.codec.whoosh3", "W3Codec"),
    ("whoosh.codec.whoosh3", "W3Segment"),
})
#: What segment files name, and what it is: only the function protocol 2 rebuilds
#: bytes with (the values, encoded positions, of posting blocks and inlined postings).
SEGMENT_GLOBALS = {("_codecs", "encode"): _codecs.encode}
#: A segment's id, as Whoosh makes them: the segment list names the files that are opened.
_SEGMENT_ID = re.compile(rf"{INDEX_NAME}_[0-9a-z]+")
#: Times a table of contents is looked for again when a commit deleted it as it was opened.
_TOC_ATTEMPTS = 50


class RefusedGlobal(pickle.UnpicklingError):
    """A pickle in an index names something revsearch does not load."""

    def __init__(self, module: str, name: str):
        super().__init__(f"{module}.{name}")


class _TocUnpickler(pickle.Unpickler):
    """The C unpickler, which calls find_class once per global a pickle names."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in TOC_GLOBALS:
            return super().find_class(module, name)
        raise RefusedGlobal(module, name)


class _SegmentUnpickler(pickle.Unpickler):
    """The unpickler of segment files, which are read as queries run: what they
    name is looked up in SEGMENT_GLOBALS, not imported."""

    def find_class(self, module: str, name: str) -> Any:
        found = SEGMENT_GLOBALS.get((module, name))
        if found is None:
            raise RefusedGlobal(module, name)
        return found


class _Bytes:
    """A pickle's bytes as a file for the unpickler. Its ``peek`` hands the
    unpickler all of them at once: given an io.BytesIO, which has none, it
    reads opcode by opcode (a posting block of 128 took 2.7 times as long as
    pickle.loads; this way, 1.1 times)."""

    __slots__ = ("data", "at")

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def peek(self, size: int = 0) -> bytes:
        return self.data[self.at :]

    def read(self, size: int = -1) -> bytes:
        start = self.at
        self.at = len(self.data) if size < 0 else min(start + size, len(self.data))
        return self.data[start : self.at]

    def readline(self) -> bytes:
        start, end = self.at, self.data.find(b"\n", self.at)
        self.at = len(self.data) if end < 0 else end + 1
        return self.data[start : self.at]


def _loads(data: bytes) -> Any:
    return _SegmentUnpickler(_Bytes(bytes(data))).load()


def load_at(data: bytes, at: int) -> tuple[Any, int]:
    """The pickle at ``at`` in ``data``, loaded as segment files' are, and where it ends."""
    file = _Bytes(data)
    file.at = at
    return _SegmentUnpickler(file).load(), file.at


def _load(file: BinaryIO) -> Any:
    return _SegmentUnpickler(file).load()


whoosh.codec.whoosh3.loads = whoosh.formats.loads = whoosh.columns.loads = _loads
whoosh.filedb.structfile.load_pickle = _load


def refusal(folder: Path, error: RefusedGlobal) -> str:
    """What to tell a user about an index holding a pickle that is refused."""
    from ...meta import index_command

    return (
        f"the index in {folder} holds a pickled reference to {error}, which revsearch does not load: "
        f"its files were made elsewhere or are damaged; rebuild it with {index_command(folder, rebuild=True)}"
    )


def read_toc(storage: Storage, schema: Schema | None = None) -> TOC:
    """The index's latest table of contents, as Whoosh's TOC.read reads the
    version it writes (no other: older versions unpickle otherwise), its
    pickles loaded with :data:`TOC_GLOBALS`; ``schema``, if given, is taken
    instead of the pickled one. A commit writes a new generation and then
    deletes the old one: a table of contents gone as it is opened, while a
    newer one is there, was replaced, and the newer one is read."""
    for _ in range(_TOC_ATTEMPTS):
        generation = TOC._latest_generation(storage, INDEX_NAME)
        if generation < 0:
            raise EmptyIndexError(f"no table of contents in {storage}")
        try:
            stream = storage.open_file(TOC._filename(INDEX_NAME, generation))
        except FileNotFoundError:
            if TOC._latest_generation(storage, INDEX_NAME) > generation:
                continue
            raise
        with stream:
            return _read_toc(stream, generation, schema)
    raise FileNotFoundError(f"the table of contents of {storage} kept changing as it was read")


def _read_toc(stream, generation: int, schema: Schema | None) -> TOC:
    sizes = tuple(stream.read_varint() for _ in range(3))
    if sizes != (_INT_SIZE, _LONG_SIZE, _FLOAT_SIZE) or stream.read_int() != -12345:
        raise IndexVersionError("the table of contents was written on another architecture", None)
    version = stream.read_int()
    release = tuple(stream.read_varint() for _ in range(3))
    if version != _CURRENT_TOC_VERSION:
        raise IndexVersionError(f"table of contents version {version}, not {_CURRENT_TOC_VERSION}", version)
    if schema is not None:
        stream.skip_string()
    else:
        schema = ensure_schema(_TocUnpickler(_Bytes(stream.read_string())).load())
    if stream.read_int() != generation:
        raise IndexVersionError(f"the table of contents of generation {generation} names another", version)
    stream.read_int()  # unused
    segments = _TocUnpickler(stream.file).load()
    if not isinstance(segments, list) or not all(
        isinstance(s, W3Segment) and _SEGMENT_ID.fullmatch(str(s.segment_id())) for s in segments
    ):
        raise IndexVersionError("the table of contents lists segments that are not Whoosh's", version)
    return TOC(schema, segments, generation, version=version, release=release)


class ReviewFileIndex(FileIndex):
    """Whoosh's FileIndex over a folder, its table of contents read by
    :func:`read_toc`; the schema is read once, as it is opened."""

    def __init__(self, storage: Storage, schema: Schema | None = None, indexname: str = INDEX_NAME):
        if indexname != INDEX_NAME:
            raise ValueError(f"a revsearch index is named {INDEX_NAME}, not {indexname!r}")
        self.storage, self.indexname = storage, indexname
        self._schema = schema if schema is not None else read_toc(storage).schema

    def _read_toc(self) -> TOC:
        return read_toc(self.storage, self._schema)

    def files(self, toc: TOC | None = None) -> list[str]:
        """The names of the files of the index as ``toc`` has it (default: as
        its latest commit has it): the table of contents, then each segment's."""
        if toc is None:
            toc = self._read_toc()
        names = [TOC._filename(self.indexname, toc.generation)]
        for segment in toc.segments:
            names.extend(sorted(segment.list_files(self.storage)))
        return names


def _storage(folder: str) -> FileStorage:
    """The folder's files, read with reads rather than memory maps: Whoosh
    copies each file of a mapped segment it opens (a segment's term index:
    tens of MB) into memory, and the pages a search touches count in the
    process's memory besides, which made a query process over 357K reviews
    1.0 GB instead of 0.55 GB, no faster. The system's page cache keeps
    the files as warm either way."""
    return FileStorage(folder, supports_mmap=False)


def open_index(folder: str) -> ReviewFileIndex:
    """The index in ``folder`` (Whoosh's ``open_dir``)."""
    return ReviewFileIndex(_storage(folder))


def create_index(folder: str, schema: Schema) -> ReviewFileIndex:
    """A new, empty index in ``folder`` (Whoosh's ``create_in``)."""
    return ReviewFileIndex.create(_storage(folder), schema, INDEX_NAME)
