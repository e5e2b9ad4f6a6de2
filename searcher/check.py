"""`revsearch check`: what, if anything, is wrong with an index on disk.

Reads everything an index holds — its record, its table of contents, and each
segment's stored reviews, terms and postings — and compares each of its files
with the checksum recorded when it was written; reports each problem found in
words a user can act on, instead of the traceback a search would hit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .engines import locate
from .errors import IncompatibleIndexError
from .meta import index_command


@dataclass
class CheckReport:
    """``problems`` is empty when the index is sound; ``notes`` are what could
    not be verified, without being wrong."""

    folder: Path | object
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reviews: int = 0
    segments: int = 0
    files: int = 0

    @property
    def rebuild(self) -> str:
        """The command, in backticks and ready to paste, that rebuilds the index from its sources."""
        return index_command(self.folder, rebuild=True)


def check(path: str | os.PathLike) -> CheckReport:
    """Check the index at ``path`` thoroughly (every posting is read: this
    takes a while on a large index). IndexNotFoundError if there is no index,
    IndexAccessError if the system refuses its files: neither is damage."""
    kind, records = locate(path)
    report = CheckReport(records.where)
    records.require()
    try:
        records.read_meta().check_compatible(records.where)
    except IncompatibleIndexError as e:
        report.problems.append(str(e))
    found = kind.verify(records.where)
    report.problems += found.problems
    report.notes += found.notes
    report.reviews, report.segments = found.reviews, found.segments
    report.files = records.manifest().recorded()
    return report
