"""Readers for files that hold many reviews: JSON, JSON Lines, CSV and TSV exports.

Each reader takes the file's decoded text stream and yields Reviews one at a
time, so a file of any size is read in little memory. A record that cannot be
used (no review text, not an object, a broken line, a row with the wrong
number of columns or a quote left open, bytes that do not decode) is yielded
as a :class:`ReadError` and the others go on; a value that cannot be read (a
date, a rating) is yielded as a warning (``skipped=False``) after its review.
Problems with the file as a whole (not JSON, JSON cut short, a mapped column
that is not there) are raised. A delimited file without a header row is read
by column position (:func:`headerless_layout`).

All formats share one mapping from a record's fields to Review fields
(:class:`RecordMapper`): an explicit ``fields`` mapping first, then common
names; what is not mapped goes to ``Review.extra``.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import json
import os
import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generator, Iterator, TextIO

from searcher.dates import is_relative_date, parse_date, parse_timestamp
from searcher.errors import ReadError
from searcher.plural import counted
from searcher.readers.encoding import MARK, UndecodableError, read_chunk, undecodable
from searcher.review import Review, parse_rating, stable_id

if TYPE_CHECKING:
    from searcher.readers import ReadOptions

#: Source names (compared case-insensitively) for each Review field, the first found winning.
COMMON_NAMES: dict[str, tuple[str, ...]] = {
    "id": ("id", "review_id", "reviewid"),
    "title": ("title", "subject"),
    "body": ("body", "review", "text", "content", "document", "comment"),
    "author": ("author", "user", "nickname", "writer", "user_name", "username"),
    "date": ("date", "created_at", "publish_date", "written_at", "published_at", "time", "timestamp_created", "timestamp"),
    "keywords": ("keywords", "tags"),
    "rating": ("rating", "score", "stars", "star"),
    "item": (
        "item", "movie_id", "product_id", "item_id", "movie", "product", "product_name", "hotel", "hotel_name",
        "app_id", "app_name",
    ),
    "category": ("category",),
    # a sentiment label, kept in Review.extra["label"] (0 or 1), not as a rating: see RecordMapper
    "label": ("label", "sentiment"),
}
_KEYWORD_SEPARATOR = re.compile(r"[,，]")
#: How many characters of an unreadable value a message quotes.
_SHOWN = 40
#: Why JSON nested deeper than Python's recursion limit is not read.
_TOO_DEEP = "nested too deeply"
#: Longest CSV field accepted (the csv module's default, 128 KiB, is short for a long review).
_FIELD_SIZE_LIMIT = 16 * 1024 * 1024
csv.field_size_limit(max(csv.field_size_limit(), _FIELD_SIZE_LIMIT))


class _TabSeparated(csv.excel_tab):
    """TSV as its IANA definition has it: no quoting, so a review may start with ``"`` (NSMC's do)."""

    quoting = csv.QUOTE_NONE


class RecordMapper:
    """Turns one file's records (dicts of source fields) into Reviews.

    A ``label``/``sentiment`` column of 0s and 1s is a sentiment label, kept as
    ``extra["label"]``; once it holds another number it is read as the rating,
    with one warning. Per file, one warning groups the relative dates (``3주 전``:
    left empty, as the day they count from is unknown)."""

    def __init__(self, path: Path, fields: dict[str, str]):
        self.path = path
        self._source = str(path)
        self._explicit = tuple(fields.items())
        self._checked = False
        self._reviewed = False  # whether a review was made yet
        #: Lines of the records with no column of review text met before any review was made.
        self._textless: list[int] = []
        #: Their columns, each with the Hangul syllables and characters its values held.
        self._columns: dict[str, list[int]] = {}
        self._labelled = "label" in fields  # mapped by the user: a label, whatever its values
        self._label_is_rating = False  # a label column that turned out to hold ratings
        self._relative: tuple[int, str] | None = None  # the first relative date (line, text), and their count
        self._relative_count = 0

    def check_columns(self, columns: list[str]) -> None:
        """Raise ReadError if a column the user mapped is not among ``columns`` (the header, the first
        record), by name or by 1-based position (``--field body=2``)."""
        self._checked = True
        present = {column.casefold() for column in columns}
        for field, column in self._explicit:
            if column.casefold() not in present and _position(column, len(columns)) is None:
                raise ReadError(
                    self.path, f"no column '{column}' (mapped to {field}) in this file; it has: {', '.join(columns)}"
                )

    def __call__(self, record: Any, number: int, line: int) -> Iterator[Review | ReadError]:
        """The Review for record ``number`` (1-based, for ids) at ``line``, then its warnings;
        or a ReadError when the record has no review text or is not an object."""
        if not isinstance(record, dict):
            yield ReadError(self.path, f"not a review object but {_kind(record)}", line)
            return
        if not self._checked:
            self.check_columns(list(record))
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for (key, value), field in zip(record.items(), _fields_of(tuple(record), self._explicit)):
            if field:
                values[field] = value
            else:
                extra[key] = value
        if "body" not in values and not self._reviewed:
            self._no_text_column(record, line)
            return
        body = _text(values.get("body"))
        if not body:
            yield ReadError(self.path, "no review text", line)
            return
        if not self._reviewed:  # the records before it that had no column of review text, one by one
            self._reviewed = True
            yield from (ReadError(self.path, "no review text", early) for early in self._textless)
            self._textless.clear()
        review = Review(
            id=_text(values.get("id")) or stable_id(self.path, number),
            title=_text(values.get("title")) or "",
            body=body,
            author=_text(values.get("author")),
            keywords=_keywords(values.get("keywords")),
            category=_text(values.get("category")),
            source=self._source,
            item=_text(values.get("item")),
            extra=extra,
        )
        warnings = self._label(values, extra, line) if "label" in values else []
        for field, convert in _CONVERTED:
            if field in values:
                try:
                    setattr(review, field, convert(values[field]))
                except ValueError:
                    if field == "date" and is_relative_date(str(values[field])):
                        self._relative_count += 1
                        self._relative = self._relative or (line, _shown(values[field]))
                        continue
                    warnings.append(
                        ReadError(self.path, f"cannot read {field} '{_shown(values[field])}'", line, skipped=False)
                    )
        yield review
        yield from warnings

    def _label(self, values: dict[str, Any], extra: dict[str, Any], line: int) -> list[ReadError]:
        """Keep a label column's value: 0 or 1 as ``extra["label"]``; another number (unless
        the user mapped the column as label) makes the column the rating, from this record on."""
        value = values.pop("label")
        try:
            number = parse_rating(value)
        except ValueError:
            number = None
        if number is None:
            if _text(value) is not None:
                extra["label"] = _text(value)
            return []
        binary = number in (0, 1) and not self._label_is_rating
        if binary or self._labelled or "rating" in values:
            extra["label"] = int(number) if number in (0, 1) else number
            return []
        values["rating"] = value
        if self._label_is_rating:
            return []
        self._label_is_rating = True
        return [ReadError(
            self.path, f"the label column holds '{_shown(value)}', not only 0 and 1: read as the rating from here on "
            "(the 0s and 1s before it kept as labels); pass --field rating=COLUMN to read it all as ratings",
            line, skipped=False,
        )]

    def finish(self) -> Iterator[ReadError]:
        """At the end of the file: raise the ReadError for a file whose records have no column
        of review text; yield the warning grouping its relative dates."""
        if self._textless:
            raise self._no_text_column_error()
        if self._relative:
            line, text = self._relative
            others = self._relative_count - 1
            also = f" and {counted(others, 'other')} like it" if others else ""
            yield ReadError(
                self.path, f"relative date '{text}'{also} left empty: the day it counts from is unknown; "
                "if another column holds the date, pass --field date=COLUMN", line, skipped=False,
            )

    def _no_text_column(self, record: dict[str, Any], line: int) -> None:
        """Note a record with no column of review text, met before any review: it is reported
        with the records like it, once for the file, unless a review comes after it
        (records differ in JSON). Raises that error after TEXTLESS_SAMPLE of them."""
        self._textless.append(line)
        mapped = {column.casefold() for _, column in self._explicit}
        for key, value in record.items():
            totals = self._columns.setdefault(key, [0, 0])
            if isinstance(value, str) and key.casefold() not in mapped:
                totals[0] += len(_HANGUL.findall(value))
                totals[1] += len(value)
        if len(self._textless) >= TEXTLESS_SAMPLE:
            raise self._no_text_column_error()

    def _no_text_column_error(self) -> ReadError:
        """The error for a file with no column of review text: its columns, and the mapping that names
        the one most like review text (most Hangul, then longest) as the one to try."""
        columns = ", ".join(self._columns)
        hint = "name it with --field body=COLUMN"
        totals, best = max(((totals, column) for column, totals in self._columns.items()), default=((0, 0), ""))
        if totals[1]:
            hint += f", e.g. --field {_shell_word('body=' + best)}"
        return ReadError(self.path, f"no column of review text (its columns: {columns}); {hint}")


#: How many records with no column of review text (and no review before them) tell that
#: a file has none: the file is reported then, not read to its end.
TEXTLESS_SAMPLE = 200
_HANGUL = re.compile("[\uac00-\ud7a3]")
#: What a shell takes as part of a word (Unicode letters and digits included).
_SHELL_SAFE = re.compile(r"[\w@%+=:,./-]+")


def _shell_word(text: str) -> str:
    """``text`` as a shell word: as it is when it can be, else quoted."""
    return text if _SHELL_SAFE.fullmatch(text) else shlex.quote(text)


def read_json(path: Path, stream: TextIO, options: ReadOptions) -> Iterator[Review | ReadError]:
    """Reviews from a JSON file: an array of review objects, an object holding one such array
    (at any depth: the first array of objects), or a single review object.

    A file of up to WHOLE_JSON bytes that is an array of objects, all of them
    reviews without a problem, is parsed in one piece (as most are: the reader
    takes a third less time). Any other is parsed piece by piece, one record
    in memory at a time, which names the line of each problem. A record holding
    bytes that did not decode is left out; JSON that breaks off or goes wrong
    (bytes that did not decode outside a string too) is raised as a ReadError
    naming the line and how many records came before; those records have
    already been yielded.
    """
    if _small(stream):
        text = stream.read()
        # bytes that did not decode are found record by record, piece by piece
        if text.lstrip().startswith("[") and MARK not in text:
            whole = _whole_json(path, text, options)
            if whole is not None:
                yield from whole
                return
        stream = io.StringIO(text)
    document = _JsonStream(path, stream)
    first = document.peek()
    if first not in ("[", "{"):
        reason = "not a JSON array or object" if first else "empty file"
        raise undecodable(path, first, document.line) or ReadError(path, reason, document.line)
    mapper = RecordMapper(path, options.fields)
    number = 0
    try:
        for line, record in document.records():
            number += 1
            if document.undecodable:
                yield document.undecodable
            else:
                yield from mapper(record, number, line)
        yield from mapper.finish()
    except (_JsonError, RecursionError) as exc:
        after = f" after record {number}" if number else ""
        reason, line = (exc.reason, exc.line) if isinstance(exc, _JsonError) else (_TOO_DEEP, document.line)
        raise ReadError(path, f"JSON is truncated or invalid{after}: {reason}", line) from exc


def _small(stream: TextIO) -> bool:
    """Whether ``stream`` reads a file of at most WHOLE_JSON bytes."""
    try:
        return os.fstat(stream.fileno()).st_size <= WHOLE_JSON
    except (OSError, ValueError, io.UnsupportedOperation):
        return False


def _whole_json(path: Path, text: str, options: ReadOptions) -> list[Review] | None:
    """The reviews of a JSON array of review objects, if every record is one
    without a problem; else None (see read_json)."""
    try:
        records = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(records, list):
        return None
    mapper = RecordMapper(path, options.fields)
    reviews = []
    for number, record in enumerate(records, 1):
        for item in mapper(record, number, 0):
            if isinstance(item, ReadError):
                return None
            reviews.append(item)
    if next(mapper.finish(), None) is not None:  # a warning: the pieces name its line
        return None
    return reviews


def read_json_lines(path: Path, stream: TextIO, options: ReadOptions) -> Iterator[Review | ReadError]:
    """Reviews from a JSON Lines file, one object a line; a broken or undecodable line is reported and the rest read."""
    mapper = RecordMapper(path, options.fields)
    number = 0
    for line, text in enumerate(stream, 1):
        text = text.strip()
        if not text:
            continue
        number += 1
        if MARK in text:
            yield undecodable(path, text, line)
            continue
        try:
            record, end = _raw_decode(text, 0)
            if end < len(text):
                raise json.JSONDecodeError("Extra data", text, _WHITESPACE.match(text, end).end())
        except json.JSONDecodeError as exc:
            yield ReadError(path, f"not JSON: {exc.msg} (column {exc.colno})", line)
            continue
        except RecursionError:
            yield ReadError(path, f"not JSON: {_TOO_DEEP}", line)
            continue
        yield from mapper(record, number, line)
    yield from mapper.finish()


def read_csv(path: Path, stream: TextIO, options: ReadOptions) -> Iterator[Review | ReadError]:
    """Reviews from a CSV file with a header row: Excel's dialect (``"`` quotes), its delimiter —
    comma, semicolon (Excel's where the comma is the decimal mark), tab or ``|`` — told from the header."""
    return _read_delimited(path, stream, options, csv.excel, sniff=True)


def read_tsv(path: Path, stream: TextIO, options: ReadOptions) -> Iterator[Review | ReadError]:
    """Reviews from a tab-separated file with a header row, such as NSMC's ``ratings.txt``."""
    return _read_delimited(path, stream, options, _TabSeparated)


#: Delimiters a header may be split by, in the order they are tried.
_DELIMITERS = ("\t", ",", ";", "|")


def delimited_header(line: str, options: ReadOptions) -> str | None:
    """The delimiter (tab, comma, semicolon or ``|``) if ``line`` is the header of a delimited file of
    reviews: split by it, it names a review text column (a common name or the one mapped to body)."""
    body_names = {name.casefold() for name in COMMON_NAMES["body"]}
    if "body" in options.fields:
        body_names.add(options.fields["body"].casefold())
    for delimiter in _DELIMITERS:
        if delimiter in line:
            columns = next(csv.reader([line], delimiter=delimiter))
            if any(column.strip().casefold() in body_names for column in columns):
                return delimiter
    return None


def _delimiter(header: str, options: ReadOptions) -> str:
    """The delimiter of a CSV file whose header line is ``header``: the one that splits it into
    a review text column, else the one it holds most of (a comma when none)."""
    return delimited_header(header, options) or max((",", ";", "\t", "|"), key=header.count)


@dataclass(frozen=True)
class Headerless:
    """How to read a delimited file that has no header row: its ``delimiter``, its number of
    columns, and the column (1-based) guessed for each field the user did not map."""

    delimiter: str
    width: int
    guessed: dict[str, int]

    def columns(self) -> list[str]:
        """The names its columns go by: ``column1``, ``column2`` … (``--field body=column2`` or ``body=2``)."""
        return [f"column{number}" for number in range(1, self.width + 1)]

    def warning(self, path: Path) -> ReadError | None:
        """What was assumed, to tell once for the file; None if the user mapped all of it."""
        if not self.guessed:
            return None
        read = ", ".join(f"column {number} as {field}" for field, number in self.guessed.items())
        choose = " ".join(f"--field {field}=N" for field in self.guessed)
        return ReadError(path, f"no header: read {read}; pass {choose} to choose", skipped=False)


#: The fewest rows (the first among them) that can tell a file without a header.
_HEADERLESS_ROWS = 2
#: How many rows of a file's head tell whether it has a header.
_HEADERLESS_SAMPLE = 1000
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")
#: A first-row cell this long, or holding a space, is a value rather than a column name.
_NAME_LENGTH = 20


def headerless_layout(
    lines: list[str], options: ReadOptions, delimiters: tuple[str, ...], strict: bool
) -> Headerless | None:
    """The layout of a delimited file without a header row whose first ``lines`` (whole lines, a
    sample) are given, or None when they are not that: every non-blank line (a blank line only at the
    end, if ``strict``) splits into the same number of cells, at least 2, and the first row is data,
    not column names (no known name, no text where the rows below hold numbers; a number, a long text
    or a space in it). ``strict`` (a ``.txt`` file, which is a blog post unless shown otherwise) also
    asks for a column of numbers and one of text; 1-based positions in ``options.fields`` (``body=2``)
    say that the first row is data."""
    strict = strict and not _by_position(options)  # --field body=2: the user says the file has columns
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if strict and any(not line.strip() for line in lines):
        return None
    lines = [line for line in lines if line.strip()][:_HEADERLESS_SAMPLE]
    if len(lines) < _HEADERLESS_ROWS:
        return None
    for delimiter in delimiters:
        if delimiter not in lines[0]:
            continue
        try:
            rows = [row for row in csv.reader(lines, _TabSeparated if delimiter == "\t" else csv.excel, delimiter=delimiter)]
        except csv.Error:
            continue
        width = len(rows[0])
        if width < 2 or len(rows) < _HEADERLESS_ROWS or any(len(row) != width for row in rows):
            continue
        columns = list(zip(*rows))
        numeric = [_numbers(column) for column in columns]
        if strict and not (any(numeric) and not all(numeric)):
            continue
        if _header_like(rows, options):
            continue
        guessed = _guess_columns(columns, numeric, options)
        if "body" not in guessed and "body" not in options.fields:
            continue
        return Headerless(delimiter, width, guessed)
    return None


def _by_position(options: ReadOptions) -> bool:
    """Whether the user maps a field to a column by its number (``--field body=2``)."""
    return any(column.isdecimal() for column in options.fields.values())


def _numbers(column: tuple[str, ...]) -> bool:
    """Whether a column's cells are numbers (some of them empty)."""
    cells = [cell.strip() for cell in column if cell.strip()]
    return bool(cells) and all(_NUMBER.fullmatch(cell) for cell in cells)


def _header_like(rows: list[list[str]], options: ReadOptions) -> bool:
    """Whether the first of ``rows`` names columns: a known name (or one the user mapped by name),
    text above a column of numbers, or cells all short, spaceless and not numbers; never when the
    user maps columns by position (``--field body=2``) and the row has no such name."""
    known = {name for names in COMMON_NAMES.values() for name in names}
    known |= {column.casefold() for column in options.fields.values()}
    first = [cell.strip() for cell in rows[0]]
    if any(cell.casefold() in known for cell in first):
        return True
    if _by_position(options):
        return False
    if any(cell and not _NUMBER.fullmatch(cell) and _numbers(column) for cell, column in zip(first, zip(*rows[1:]))):
        return True
    return all(len(cell) <= _NAME_LENGTH and " " not in cell and not _NUMBER.fullmatch(cell) for cell in first)


def _guess_columns(columns: list[tuple[str, ...]], numeric: list[bool], options: ReadOptions) -> dict[str, int]:
    """The 1-based column guessed for each field the user did not map: body the text column
    with the longest cells; of the columns of numbers, 0s and 1s a label, numbers up to 10 a
    rating, epoch timestamps the date, other distinct whole numbers the id."""
    guessed: dict[str, int] = {}
    mapped = {column.casefold() for column in options.fields.values()}
    free = [
        (number, column, is_number) for number, (column, is_number) in enumerate(zip(columns, numeric), 1)
        if str(number) not in mapped and f"column{number}" not in mapped
    ]
    texts = [
        (sum(len(cell) for cell in column), number) for number, column, is_number in free
        if not is_number and 2 * sum(any(char.isalpha() for char in cell) for cell in column) >= len(column)
    ]
    if texts and "body" not in options.fields:
        guessed["body"] = max(texts, key=lambda text: (text[0], -text[1]))[1]
    for number, column, is_number in free:
        if not is_number:
            continue
        cells = [cell.strip() for cell in column if cell.strip()]
        values = [float(cell) for cell in cells]
        whole = all(value.is_integer() for value in values)
        if set(values) <= {0, 1}:
            field = "label"
        elif all(0 <= value <= 10 for value in values):
            field = "rating"
        elif whole and all(parse_timestamp(cell) for cell in cells):
            field = "date"
        elif whole and len(set(values)) == len(values):
            field = "id"
        else:
            continue
        if field not in guessed and field not in options.fields:
            guessed[field] = number
    return guessed


def read_headerless(layout: Headerless, path: Path, stream: TextIO, options: ReadOptions) -> Iterator[Review | ReadError]:
    """Reviews from a delimited file without a header row (see headerless_layout), its columns
    read by position: those the user mapped (``--field body=2``), else as guessed, with one warning
    saying so after the first review."""
    dialect = _TabSeparated if layout.delimiter == "\t" else csv.excel
    fields = {field: f"column{number}" for field, number in layout.guessed.items()}
    fields.update(options.fields)
    warning = layout.warning(path)
    for item in _read_delimited(path, stream, replace(options, fields=fields), dialect, layout=layout):
        yield item
        if warning is not None and isinstance(item, Review):
            yield warning
            warning = None


#: Why a row is left out whose quote runs on over the rows below it.
_UNTERMINATED = "unterminated quote: the field it opens runs into the lines below, which are read as rows"


def _read_delimited(
    path: Path, stream: TextIO, options: ReadOptions, dialect: type[csv.Dialect], sniff: bool = False,
    layout: Headerless | None = None,
) -> Iterator[Review | ReadError]:
    """Reviews from a delimited file: the header is its first non-blank line, its delimiter told
    from it if ``sniff``; a file without one is read by the ``layout`` given. A row that spans lines
    but is a quote left open (see _runaway_quote) is reported at its first line, and the lines after
    that are read again as rows."""
    lines = _Lines(path, stream)
    if layout is not None:
        rows = csv.reader(lines, dialect, delimiter=layout.delimiter)
        columns = layout.columns()
    else:
        first = next((text for text in lines if text.strip()), None)
        if first is None:
            raise ReadError(path, "empty file")
        if lines.undecodable:
            raise lines.undecodable
        rows = csv.reader(lines, dialect, delimiter=_delimiter(first, options) if sniff else dialect.delimiter)
        header = next(csv.reader([first], rows.dialect))
        # an empty header cell (a pandas index column) still needs a name
        columns = [name.strip() or f"column{index}" for index, name in enumerate(header, 1)]
    mapper = RecordMapper(path, options.fields)
    mapper.check_columns(columns)
    number = 0
    while True:
        line = lines.start_row()
        try:
            row: list[str] | csv.Error = next(rows)
        except StopIteration:
            yield from mapper.finish()
            return
        except csv.Error as exc:  # a field past the size limit: the reader goes on with the next line
            row = exc
        spans = len(lines.row) > 1
        if spans and (isinstance(row, csv.Error) or _runaway_quote(lines.row, row, len(columns), rows.dialect)):
            yield ReadError(path, _UNTERMINATED, line)
            lines.again(lines.row[1:], line + 1)
            continue
        if isinstance(row, csv.Error):
            yield ReadError(path, f"cannot read as CSV: {row}", line)
            continue
        if not any(cell.strip() for cell in row):  # a blank line, or a row of empty cells
            continue
        number += 1
        if lines.undecodable:
            yield lines.undecodable
        elif len(row) != len(columns):
            yield ReadError(path, f"expected {len(columns)} columns, found {len(row)}", line)
        else:
            yield from mapper(dict(zip(columns, row)), number, line)


def _runaway_quote(lines: list[str], row: list[str], columns: int, dialect: csv.Dialect) -> bool:
    """Whether a row that spans ``lines`` is a quote left open that swallowed the rows below it,
    not a review with line breaks in quotes: its quote runs to the end of the file or closes
    mid-field (``"…"x``: no CSV writer makes that, a stray quote does), it has the wrong number
    of columns, or each line inside it is on its own a row of the header's columns."""
    if len(row) != columns:
        return True
    try:
        for _ in csv.reader(lines, dialect, strict=True):
            pass
    except csv.Error:
        return True
    inside = lines[1:-1]
    return bool(inside) and all(len(next(csv.reader([text], dialect))) == columns for text in inside)


class _Lines:
    """A text stream's lines as the csv module reads them, each ending in a line break (so that only
    an open quote asks for a line past the last). Keeps the lines of the row being read, to check
    them or give them again, and the first byte among them that did not decode."""

    def __init__(self, path: Path, stream: TextIO):
        self._path = path
        self._stream = iter(stream)
        self._again: list[str] = []  # lines to give again, the next one last
        self.line = 0  # the number of the line given last
        self.row: list[str] = []  # the lines given since start_row
        self.undecodable: UndecodableError | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._again:
            text = self._again.pop()
        else:
            text = next(self._stream)
            if not text.endswith(("\n", "\r")):
                text += "\n"
        self.line += 1
        self.row.append(text)
        if MARK in text and self.undecodable is None:
            self.undecodable = undecodable(self._path, text, self.line)
        return text

    def start_row(self) -> int:
        """Forget the last row's lines; the number of the line the next row starts at."""
        self.row = []
        self.undecodable = None
        return self.line + 1

    def again(self, lines: list[str], first: int) -> None:
        """Give ``lines`` again, the first of them numbered ``first``."""
        self._again.extend(reversed(lines))
        self.line = first - 1


@functools.lru_cache(maxsize=256)
def _fields_of(keys: tuple[str, ...], explicit: tuple[tuple[str, str], ...]) -> tuple[str | None, ...]:
    """The Review field each source key fills (None: it goes to extra). Records of a file
    share their keys, hence the cache."""
    position = {}
    for index, key in enumerate(keys):
        position.setdefault(key.casefold(), index)
    fields: list[str | None] = [None] * len(keys)
    for field, column in explicit:
        index = position.get(column.casefold(), _position(column, len(keys)))
        if index is not None:
            fields[index] = field
    mapped = {field for field, _ in explicit}
    for field, names in COMMON_NAMES.items():
        if field in mapped:
            continue
        for name in names:
            index = position.get(name)
            if index is not None and fields[index] is None:
                fields[index] = field
                break
    return tuple(fields)


def _position(column: str, width: int) -> int | None:
    """The 0-based index a 1-based column number such as ``2`` names among ``width`` columns, or None."""
    return int(column) - 1 if column.isdecimal() and len(column) < 6 and 1 <= int(column) <= width else None


def _text(value: Any) -> str | None:
    """A source value as stripped text; None when missing or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
    return value.strip() or None


def _keywords(value: Any) -> list[str]:
    """Keywords from a list or a comma-separated string."""
    if value is None:
        return []
    items = value if isinstance(value, list) else _KEYWORD_SEPARATOR.split(value) if isinstance(value, str) else [value]
    return [text for text in map(_text, items) if text]


def _date(value: Any) -> _dt.date | None:
    """A date from text such as ``15.05.23``, a number such as 20150523 or an epoch timestamp
    (1611234567, in seconds or milliseconds); ValueError if unreadable."""
    text = _text(value)
    if text is None:
        return None
    date = parse_date(text) or parse_timestamp(text)
    if date is None:
        raise ValueError(text)
    return date


#: Review fields read from their source value by a function that raises ValueError when it cannot.
_CONVERTED = (("date", _date), ("rating", parse_rating))


def _shown(value: Any) -> str:
    """A source value as a message quotes it: cut short when long (a rating of 5,000 digits)."""
    text = str(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _kind(value: Any) -> str:
    """What a JSON value that is not an object is, for a message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string" if isinstance(value, str) else "an array"


class _JsonError(Exception):
    """JSON that breaks off or goes wrong, at ``line``."""

    def __init__(self, reason: str, line: int):
        super().__init__(reason)
        self.reason = reason
        self.line = line


#: A walk through a JSON value: yields (line, record) for the records found in it, returns the value.
_Walk = Generator[tuple[int, Any], None, Any]
_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_CHUNK = 1 << 14
#: JSON files of up to this many bytes may be parsed in one piece (see
#: read_json), in some 10 MB of memory at most.
WHOLE_JSON = 1 << 20
#: How near the end of the buffer a decode error may be and still mean "read more" (``tru``, ``\u12``).
_NEAR_END = 6


def _digits(text: str) -> int | str:
    """An integer, or its digits as they stand when it is past Python's int-string conversion limit (4,300 digits)."""
    try:
        return int(text)
    except ValueError:
        return text


#: Decodes what _DECODER refuses for a number past that limit (with a plain ValueError, no place named).
_LENIENT_DECODER = json.JSONDecoder(parse_int=_digits)


def _raw_decode(text: str, pos: int) -> tuple[Any, int]:
    """The JSON value at ``pos`` in ``text`` and where it ends; an integer too long for Python
    is kept as its digits (the record kept: a rating of 5,000 digits is then a value not read)."""
    try:
        return _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError:
        raise
    except ValueError:
        return _LENIENT_DECODER.raw_decode(text, pos)


class _JsonStream:
    """A JSON text read piece by piece: whole values are decoded with ``raw_decode`` over a
    sliding buffer of the stream, while arrays and objects that may hold the records are
    walked member by member, so memory holds one record, not the file."""

    def __init__(self, path: Path, stream: TextIO):
        self._path = path
        self._stream = stream
        #: The first byte that did not decode in the record last yielded by records() (see _value).
        self.undecodable: UndecodableError | None = None
        self._buffer = ""
        self._pos = 0
        self._end_of_stream = False
        self._found = False  # whether the array of records was found yet
        self.line = 1  # the line at _pos

    def records(self) -> Iterator[tuple[int, Any]]:
        """(line, value) for each element of the array of records; a top-level object holding no
        such array is one record. Checks that nothing but whitespace follows."""
        line = self.line
        self.undecodable = None
        value = yield from self._walk(top=True)
        if not self._found:
            yield line, value
        if self.peek():
            raise self._error("Extra data")

    def peek(self) -> str:
        """The next character that is not whitespace, moving to it; "" at the end."""
        while True:
            self._advance(_WHITESPACE.match(self._buffer, self._pos).end())
            if self._pos < len(self._buffer):
                return self._buffer[self._pos]
            if not self._read_more(_CHUNK):
                return ""

    def _walk(self, top: bool = False) -> _Walk:
        """Walk the value here; return it (None once the records were found: not kept)."""
        char = self.peek()
        if char == "{":
            return (yield from self._walk_object())
        if char == "[":
            return (yield from self._walk_array(top))
        return self._value()

    def _walk_object(self) -> _Walk:
        self._expect("{")
        members: dict[str, Any] = {}
        if self._take("}"):
            return members
        while True:
            if self.peek() != '"':
                raise self._error("Expecting property name enclosed in double quotes")
            key = self._value()
            self._expect(":")
            value = yield from self._walk()
            if not self._found:
                members[key] = value
            if self._take("}"):
                return None if self._found else members
            self._expect(",")

    def _walk_array(self, top: bool) -> _Walk:
        """The records if this is the first array of objects (or the top-level array), else a value."""
        self._expect("[")
        records = not self._found and (top or self.peek() == "{")
        self._found |= records
        items: list[Any] = []
        if self._take("]"):
            return None if self._found else items
        while True:
            if records:
                self.peek()
                self.undecodable = None
                yield self.line, self._value()
            else:
                value = yield from self._walk()
                if not self._found:
                    items.append(value)
            if self._take("]"):
                return None if self._found else items
            self._expect(",")

    def _value(self) -> Any:
        """Decode the whole value at the current position, reading more of the stream as needed."""
        self.peek()
        while True:
            try:
                value, end = _raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as exc:
                if self._incomplete(exc) and self._read_more(max(_CHUNK, len(self._buffer) - self._pos)):
                    continue
                raise self._error(exc.msg.removesuffix(" starting at"), exc.pos) from exc
            if end == len(self._buffer) and self._read_more(_CHUNK):
                continue  # a number at the end of the buffer may go on
            if self.undecodable is None:  # bytes that did not decode in a string
                self.undecodable = undecodable(self._path, self._buffer, self.line, self._pos, end)
            self._advance(end)
            return value

    def _incomplete(self, exc: json.JSONDecodeError) -> bool:
        """Whether the error may only be the buffer ending mid-value."""
        return exc.msg.startswith("Unterminated string") or exc.pos >= len(self._buffer) - _NEAR_END

    def _read_more(self, size: int) -> bool:
        """Append up to ``size`` more characters to the buffer, dropping what was consumed; False at the end."""
        if self._end_of_stream:
            return False
        chunk = read_chunk(self._stream, size)
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        self._end_of_stream = not chunk
        return bool(chunk)

    def _advance(self, end: int) -> None:
        self.line += self._buffer.count("\n", self._pos, end)
        self._pos = end

    def _take(self, char: str) -> bool:
        if self.peek() != char:
            return False
        self._advance(self._pos + 1)
        return True

    def _expect(self, char: str) -> None:
        if not self._take(char):
            found = self.peek()
            raise self._error(f"Expecting '{char}'" + (f", found '{found}'" if found else ", found the end"))

    def _error(self, reason: str, pos: int | None = None) -> _JsonError | UndecodableError:
        """The error to raise at ``pos`` (the current position if None): an UndecodableError
        when a byte that did not decode stands there, else the JSON error."""
        pos = self._pos if pos is None else pos
        line = self.line + self._buffer.count("\n", self._pos, pos)
        return undecodable(self._path, self._buffer, line, pos, pos + 1) or _JsonError(reason, line)
