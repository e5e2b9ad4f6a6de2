"""Errors a user can cause. Everything revsearch raises on purpose derives from RevsearchError,
so embedding programs and the CLI catch one type instead of Whoosh's or Kiwi's internals."""

from __future__ import annotations

import re


class RevsearchError(Exception):
    """Base class of revsearch's own errors."""


class IndexNotFoundError(RevsearchError):
    """No index at the given location."""


class IndexAccessError(RevsearchError):
    """The operating system refuses the index folder or a file in it: permission
    denied, read-only file system, not a folder, name too long, disk full …
    ``path`` is the file or folder it named; ``errno`` its error number."""

    def __init__(self, message: str, path: str, errno: int | None = None):
        self.path = path
        self.errno = errno
        super().__init__(message)

    def __reduce__(self):
        return (self.__class__, (str(self), self.path, self.errno))


class IndexLockedError(RevsearchError):
    """Another process is writing to the index."""


class QueryError(RevsearchError):
    """The query cannot be understood."""


class ReadError(RevsearchError):
    """A source file (or one record in it) cannot be read; names the file and, where known, the line.

    ``skipped`` is False for a warning: the review was kept, with a value left unread (a date).
    """

    def __init__(self, path: str, reason: str, line: int | None = None, *, skipped: bool = True):
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.skipped = skipped
        super().__init__(f"{self.where}: {reason}")

    def __reduce__(self):
        # pickled by the analysis process of large runs; the default passes the message as the only argument
        return (self.__class__, (self.path, self.reason, self.line), {"skipped": self.skipped})

    @property
    def where(self) -> str:
        """``path`` or ``path:line``."""
        return f"{self.path}:{self.line}" if self.line is not None else self.path

    @property
    def kind(self) -> str:
        """The reason without its particulars, to group like problems: "cannot read
        date" for "cannot read date '2025-13-01'", "expected N columns, found N" …"""
        head = re.split(r"[:(]", self.reason, maxsplit=1)[0]
        return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "…", head)).strip()


class IncompatibleIndexError(RevsearchError):
    """The index was built with settings this revsearch cannot use: it must be rebuilt."""


class IndexDamagedError(RevsearchError):
    """Files of the index are missing or corrupt."""


class ResidentUnavailable(RevsearchError):
    """No resident query server can be used here: no Unix sockets, or no private folder for them."""
