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

from whoosh.reading import SegmentReader

from .errors import IncompatibleIndexError
from .manifest import Manifest
from .meta import (
    ACCESS_ERRNOS, CHECKSUM_FILE, IndexMeta, access_error, file_checksum, index_command, read_checksums, require_index,
)
from .safeload import RefusedGlobal, open_index, refusal
from .schema import stored_reviews


@dataclass
class CheckReport:
    """``problems`` is empty when the index is sound; ``notes`` are what could
    not be verified, without being wrong."""

    folder: Path
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
    folder = Path(path)
    report = CheckReport(folder)
    require_index(folder)
    try:
        IndexMeta.read(folder).check_compatible(folder)
    except IncompatibleIndexError as e:
        report.problems.append(str(e))
    try:
        ix = open_index(str(folder))
        toc = ix._read_toc()
    except Exception as e:  # noqa: BLE001 - any failure here means the TOC is unusable
        report.problems.append(_unreadable(folder, "the table of contents cannot be read", e))
        return report
    report.segments = len(toc.segments)
    for segment in toc.segments:
        name = f"segment {segment.segment_id()}"
        try:
            report.reviews += _read_segment(ix, segment)
        except Exception as e:  # noqa: BLE001 - damaged files fail in many ways
            report.problems.append(_unreadable(folder, f"{name} is damaged or incomplete", e))
    try:
        _compare_checksums(folder, ix.files(toc), report)
    except OSError as e:
        report.problems.append(_unreadable(folder, "a file of the index cannot be read", e))
    report.files = len(Manifest(folder).files)
    return report


def _unreadable(folder: Path, what: str, error: Exception) -> str:
    """The problem to report for ``error``; an OS refusal (permissions) is
    raised instead, as IndexAccessError: rebuilding would not mend it."""
    if isinstance(error, OSError) and error.errno in ACCESS_ERRNOS:
        raise access_error(folder, error, "read the index in") from error
    if isinstance(error, RefusedGlobal):
        return refusal(folder, error)
    return f"{what} ({type(error).__name__}: {error})"


def _read_segment(ix, segment) -> int:
    """Read one segment whole; returns its live review count."""
    with SegmentReader(ix.storage, ix.schema, segment) as reader:
        stored = stored_reviews(reader)
        live = 0
        for doc in reader.all_doc_ids():
            stored(doc)
            live += 1
        for fieldname, term in reader.all_terms():
            for _ in reader.postings(fieldname, term).all_ids():
                pass
        return live


def _compare_checksums(folder: Path, names: list[str], report: CheckReport) -> None:
    """Each file of the index against its recorded checksum: a file that
    differs is damaged; one without a checksum (an index from an older
    revsearch, a commit stopped before recording) is only noted."""
    rebuild = f"rebuild it with {index_command(folder, rebuild=True)}"
    try:
        recorded = read_checksums(folder)
    except ValueError as e:
        report.problems.append(f"{e}: the index cannot be verified; {rebuild}")
        return
    if recorded is None:
        report.notes.append(
            f"no checksums are recorded ({CHECKSUM_FILE}: an index from an older revsearch), so its files "
            f"were read but not verified; the next {index_command(folder)} records them"
        )
        return
    unrecorded = []
    for name in names:
        if name not in recorded:
            unrecorded.append(name)
        elif file_checksum(folder / name) != recorded[name]:
            kind = "the table of contents" if name.startswith("_") else "segment file"
            report.problems.append(f"{kind} {name} does not match its checksum: the index is damaged; {rebuild}")
    if unrecorded:
        report.notes.append(
            f"{len(unrecorded)} file(s) have no recorded checksum, so were read but not verified "
            f"({', '.join(unrecorded)}); the next {index_command(folder)} records them"
        )
