"""Readers: source files in, :class:`~searcher.review.Review` records out.

A reader takes a file's path and decoded text and returns one Review, or a list
of them for files that hold many; it raises :class:`ReadError` for input it
cannot make sense of. :func:`read_file` does what every file type shares —
reading, decoding, rejecting what is not review text — and picks the reader by
extension from ``_READERS``; a new file type is one more entry there.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator

from searcher.errors import ReadError
from searcher.readers.text import read_text
from searcher.review import Review, stable_id

__all__ = ["SUPPORTED_EXTENSIONS", "iter_source_files", "read_file", "stable_id"]

Reader = Callable[[Path, str], "Review | list[Review]"]

_READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_text,
}
#: Extensions picked up when walking a folder (lower case, with the dot).
SUPPORTED_EXTENSIONS = frozenset(_READERS)
#: Reader for a file the user named whose extension has no reader of its own.
_FALLBACK_READER: Reader = read_text


def iter_source_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The files to read for the given files and folders.

    A file is yielded as is, whatever its extension: the user named it. A folder
    is walked recursively in sorted order for files with a supported extension,
    skipping hidden entries (names starting with ``.``); symlinked folders are
    not followed, so a link cycle cannot make the walk endless.
    """
    for given in paths:
        path = Path(given)
        if path.is_file():
            yield path
        elif path.is_dir():
            yield from _walk(path)
        elif path.exists():
            raise ReadError(path, "not a regular file or folder")
        else:
            raise ReadError(path, "no such file or folder")


def _walk(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise ReadError(folder, f"cannot list folder: {exc.strerror or exc}") from exc
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            if not entry.is_symlink():
                yield from _walk(entry)
        elif entry.suffix.lower() in SUPPORTED_EXTENSIONS and entry.is_file():
            yield entry


def read_file(path: Path) -> list[Review]:
    """The reviews in one file.

    Raises :class:`ReadError`, naming the file and the reason, when it cannot be
    read, is empty, is binary, is not UTF-8 (a BOM is fine) or holds no review text.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(path, f"cannot read file: {exc.strerror or exc}") from exc
    if b"\0" in data:
        raise ReadError(path, "binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        reason = f"cannot decode as UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        raise ReadError(path, f"{reason}; save the file as UTF-8", line=line) from exc
    if not text.strip():
        raise ReadError(path, "empty file")
    reader = _READERS.get(path.suffix.lower(), _FALLBACK_READER)
    result = reader(path, text)
    reviews = result if isinstance(result, list) else [result]
    if any(not review.body.strip() for review in reviews):
        raise ReadError(path, "no review text")
    return reviews
