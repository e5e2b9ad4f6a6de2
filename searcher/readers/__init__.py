"""Readers: source files in, :class:`~searcher.review.Review` records out.

Two kinds of reader. A document reader (``_READERS``: blog text, saved pages)
takes a file's path and whole decoded text and returns one Review. A record
reader (``_RECORD_READERS``: JSON, JSON Lines, CSV, TSV) takes the decoded text
stream and yields many, one at a time, so a file of any size is read in little
memory. :func:`read_file` does what every file type shares — opening, telling
the encoding, rejecting what is not text — and picks the reader by extension
and content; a new file type is one more entry in a table.
"""

from __future__ import annotations

import functools
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, TextIO

from searcher.errors import ReadError
from searcher.readers.encoding import (
    ESCAPE_ERRORS,
    NotTextError,
    UndecodableError,
    WithoutControls,
    check_not_binary,
    decode_head,
    detect_encoding,
    find_decode_error,
    resolve_encoding,
    strip_controls,
    undecodable,
)
from searcher.readers.records import (
    COMMON_NAMES,
    delimited_header,
    headerless_layout,
    read_csv,
    read_headerless,
    read_json,
    read_json_lines,
    read_tsv,
)
from searcher.readers.html import read_html
from searcher.readers.text import read_text
from searcher.review import Review, stable_id

__all__ = ["SUPPORTED_EXTENSIONS", "ReadOptions", "iter_source_files", "read_file", "stable_id"]


@dataclass
class ReadOptions:
    """How to read source files: ``encoding`` overrides detection (``--encoding``); ``fields`` maps
    a Review field to the source column that fills it (``--field body=document``), before the
    common column names are tried."""

    encoding: str | None = None
    fields: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.fields) - set(COMMON_NAMES))
        if unknown:
            raise ValueError(f"unknown review field '{unknown[0]}'; one of: {', '.join(COMMON_NAMES)}")


DocumentReader = Callable[[Path, str], Review]
RecordReader = Callable[[Path, TextIO, ReadOptions], Iterator["Review | ReadError"]]

_READERS: dict[str, DocumentReader] = {
    ".txt": read_text,
    ".md": read_text,
    ".html": read_html,
    ".htm": read_html,
}
_RECORD_READERS: dict[str, RecordReader] = {
    ".json": read_json,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
    ".csv": read_csv,
    ".tsv": read_tsv,
}
#: Reader for a file the user named whose extension has no reader of its own and whose content says nothing.
_FALLBACK_READER: DocumentReader = read_text
#: How much of a file decides its encoding and reader.
_HEAD_SIZE = 1 << 16
_HTML_SUFFIXES = (".html", ".htm")
#: The delimiters a record file may split its rows by when it has no header row.
_HEADERLESS = {".tsv": ("\t",), ".csv": (",", "\t")}
#: Those of a text file without a header row (``rating<TAB>text``; a ``.txt`` or no known extension).
_TEXT_DELIMITERS = ("\t", ",")
#: The start of JSON holding reviews: an array of objects (or empty), an object with a key (or empty).
_JSON_START = re.compile(r"\s*(?:\[\s*[{\]]|\{\s*[\"}])")
_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html)\b", re.IGNORECASE)
#: The first non-blank line (matched, not split off: the head is long).
_FIRST_LINE = re.compile(r"\s*([^\r\n]*)")
_NON_SPACE = re.compile(r"\S")


#: Extensions picked up when walking a folder (lower case, with the dot): those with a reader.
SUPPORTED_EXTENSIONS = frozenset(_READERS) | frozenset(_RECORD_READERS)


def iter_source_files(paths: Iterable[str | Path], others: list[Path] | None = None) -> Iterator[Path | ReadError]:
    """The files to read for the given files and folders.

    A file is yielded as is, whatever its extension: the user named it. A folder
    is walked recursively in sorted order for files with a supported extension,
    skipping hidden entries (names starting with ``.``); the files of other
    types it holds are added to ``others``, if given. Symlinked folders are
    not followed, so a link cycle cannot make the walk endless. A folder or
    entry, or given path, that cannot be listed or examined is yielded as a
    ReadError naming it, and the walk goes on; a given path that does not exist
    is raised.
    """
    for given in paths:
        path = Path(given)
        try:
            is_file, is_dir, exists = path.is_file(), path.is_dir(), path.exists()
        except OSError as exc:  # a parent folder that may not be entered, a name too long
            yield ReadError(path, f"cannot read: {exc.strerror or exc}")
            continue
        if is_file:
            yield path
        elif is_dir:
            yield from _walk(path, others)
        elif exists:
            raise ReadError(path, "not a regular file or folder")
        else:
            raise ReadError(path, "no such file or folder")


def _walk(folder: Path, others: list[Path] | None) -> Iterator[Path | ReadError]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        yield ReadError(folder, f"cannot list folder: {exc.strerror or exc}")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            is_dir = entry.is_dir() and not entry.is_symlink()
            is_file = not is_dir and entry.is_file()
        except OSError as exc:  # is_dir and is_file raise for a permission denied, not for a missing entry
            yield ReadError(entry, f"cannot read: {exc.strerror or exc}")
            continue
        if is_dir:
            yield from _walk(entry, others)
        elif is_file and entry.suffix.lower() in SUPPORTED_EXTENSIONS:
            yield entry
        elif is_file and others is not None:
            others.append(entry)


def read_file(path: Path, options: ReadOptions | None = None) -> Iterator[Review | ReadError]:
    """The reviews in one file, read as they are needed.

    Yields each Review, and a :class:`ReadError` (not raised) for a problem with
    one record — ``skipped`` when that record was left out, not when the review
    was kept with a value unread (a date). Raises ReadError, naming the file,
    the reason and where known the line, when the file as a whole cannot be
    read: missing, empty, binary, random bytes, undecodable, not the format its
    name or content says, no reviews in it. Such an error can come after some
    reviews were yielded (JSON that breaks off half way); those stand, and the
    message says how many there were. Bytes that do not decode past the first
    review cost only the record holding them; control characters among text
    are dropped as it is read.
    """
    options = options or ReadOptions()
    reviews = 0
    anything = False
    try:
        for item in _read(path, options):
            anything = True
            reviews += isinstance(item, Review)
            yield item
    except ReadError as error:
        if not reviews:
            raise
        read = f"{reviews} review{'s' if reviews > 1 else ''}"
        raise ReadError(error.path, f"{error.reason} ({read} read before it)", error.line) from error
    if not anything:
        raise ReadError(path, "no reviews in file")


def _read(path: Path, options: ReadOptions) -> Iterator[Review | ReadError]:
    """:func:`read_file` without the counting: open, decode, dispatch, and turn OS and codec errors into ReadError.

    The text is decoded with ESCAPE_ERRORS, so a byte that does not decode costs
    only the record that holds it (the readers yield an UndecodableError for it).
    One that comes before any review was read means the file is not in that
    encoding: it is raised for the file, as a document's (one review a file) is.
    """
    try:
        with path.open("rb") as binary:
            head = binary.read(_HEAD_SIZE)
            codec = _encoding(path, head, options)
            reviewed = False
            try:
                reader = _pick_reader(path, head, codec, options)
                del head  # not kept while the file is read
                binary.seek(0)
                # newline="": the csv module's need
                stream = WithoutControls(io.TextIOWrapper(binary, encoding=codec, errors=ESCAPE_ERRORS, newline=""))
                for item in reader(path, stream, options):
                    if isinstance(item, UndecodableError):
                        if not reviewed:
                            raise item
                        item = _undecodable(path, codec, options, item.byte, item.line)
                    reviewed = reviewed or isinstance(item, Review)
                    yield item
            except UndecodableError as exc:
                if reviewed:  # JSON whose structure breaks off at the byte
                    raise _undecodable(path, codec, options, exc.byte, exc.line) from None
                binary.seek(0)
                raise _decode_error(path, binary, codec, options) from None
            except UnicodeError as exc:  # a bare one from codecs such as punycode
                binary.seek(0)
                raise _decode_error(path, binary, codec, options) from exc
    except OSError as exc:
        raise ReadError(path, f"cannot read file: {exc.strerror or exc}") from exc


def _encoding(path: Path, head: bytes, options: ReadOptions) -> str:
    """The codec to read ``path`` with: the user's, else the one its head shows."""
    try:
        if options.encoding is None:
            return detect_encoding(head, html=path.suffix.lower() in _HTML_SUFFIXES)
        try:
            codec = resolve_encoding(options.encoding)
        except LookupError:
            raise ReadError(path, f"unknown encoding '{options.encoding}'") from None
        check_not_binary(head, codec)
        return codec
    except NotTextError as exc:
        raise ReadError(path, exc.reason, exc.line) from exc


def _decode_error(path: Path, binary: io.BufferedReader, codec: str, options: ReadOptions) -> ReadError:
    """The ReadError for a file that does not decode, naming the first bad byte's offset and line
    (found by a second pass, with a strict decoder)."""
    try:
        where = find_decode_error(binary, codec)
    except UnicodeError:
        where = None
    if where is None:  # the codec does not say where, or the error came from inside a reader
        name, advice = _advice(codec, options)
        return ReadError(path, f"cannot decode as {name}: {advice}")
    offset, line, byte = where
    return _undecodable(path, codec, options, byte, line, offset)


def _undecodable(
    path: Path, codec: str, options: ReadOptions, byte: int, line: int, offset: int | None = None
) -> ReadError:
    """The ReadError for ``byte`` at ``line`` that ``codec`` cannot decode."""
    name, advice = _advice(codec, options)
    at = "" if offset is None else f" at offset {offset}"
    return ReadError(path, f"cannot decode as {name} (byte 0x{byte:02x}{at}): {advice}", line)


def _advice(codec: str, options: ReadOptions) -> tuple[str, str]:
    """The encoding's name for a decode error, and what to do about it."""
    if options.encoding is None:
        name = codec.removesuffix("-sig").upper()
        return name, f"the file starts as {name}; give its encoding with --encoding"
    return options.encoding, f"is --encoding {options.encoding} right?"


def _pick_reader(path: Path, head_bytes: bytes, codec: str, options: ReadOptions) -> RecordReader:
    """The reader for ``path`` by its extension and its head (raises ReadError for an empty file).

    A ``.json`` file whose first line is a whole object with more lines after
    it is JSON Lines; a ``.txt`` file whose first line is a tab-separated header
    naming a review text column (NSMC's ``ratings.txt``) is TSV, and so is one
    of ``rating<TAB>text`` rows without a header (see headerless_layout). A
    ``.csv``/``.tsv`` file whose first row is data is read without a header. A
    file with an extension no reader knows is sniffed: JSON, then a TSV/CSV
    header, then rows without one, then an HTML page, else blog text.
    """
    head = strip_controls(decode_head(head_bytes, codec, ESCAPE_ERRORS))
    if len(head_bytes) < _HEAD_SIZE and not head.strip():
        raise ReadError(path, "empty file")
    suffix = path.suffix.lower()
    if suffix == ".json" and _is_json_lines(head):
        return read_json_lines
    first_line = _FIRST_LINE.match(head)[1]

    def headerless(delimiters: tuple[str, ...], strict: bool) -> RecordReader | None:
        layout = headerless_layout(_whole_lines(head, len(head_bytes) < _HEAD_SIZE), options, delimiters, strict)
        return functools.partial(read_headerless, layout) if layout else None

    if suffix in _RECORD_READERS:
        if suffix in _HEADERLESS and not delimited_header(first_line, options):
            return headerless(_HEADERLESS[suffix], strict=False) or _RECORD_READERS[suffix]
        return _RECORD_READERS[suffix]
    if suffix == ".txt" and delimited_header(first_line, options) == "\t":
        return read_tsv
    if suffix == ".txt" and (reader := headerless(_TEXT_DELIMITERS, strict=True)):
        return reader
    if suffix in _READERS:
        return _as_record_reader(_READERS[suffix])
    if _JSON_START.match(head):
        return read_json_lines if _is_json_lines(head) else read_json
    delimiter = delimited_header(first_line, options)
    if delimiter:
        return read_tsv if delimiter == "\t" else read_csv
    if reader := headerless(_TEXT_DELIMITERS, strict=True):
        return reader
    if _HTML_START.match(head) and ".html" in _READERS:
        return _as_record_reader(_READERS[".html"])
    return _as_record_reader(_FALLBACK_READER)


def _whole_lines(head: str, whole_file: bool) -> list[str]:
    """The lines of a file's head, with their line breaks; the last left out when the head cuts it."""
    lines = list(io.StringIO(head, newline=""))
    return lines if whole_file or len(lines) < 2 else lines[:-1]


def _is_json_lines(head: str) -> bool:
    """Whether the first non-blank line is a whole JSON object and more lines follow: a JSON
    document spread over lines never has a whole object on its first line, and one on
    a single line followed by more is JSON Lines or nothing."""
    first = _FIRST_LINE.match(head)
    if not _NON_SPACE.search(head, first.end()):
        return False
    try:
        return isinstance(json.loads(first[1]), dict)
    except ValueError:
        return False


def _as_record_reader(reader: DocumentReader) -> RecordReader:
    return functools.partial(_read_document, reader)


def _read_document(reader: DocumentReader, path: Path, stream: TextIO, options: ReadOptions) -> Iterator[Review]:
    """A document reader's one Review; a ReadError if it has no review text, or holds bytes that do not decode."""
    text = stream.read()
    if (error := undecodable(path, text, 1)) is not None:
        raise error
    review = reader(path, text)
    if not review.body.strip():
        raise ReadError(path, "no review text")
    yield review
