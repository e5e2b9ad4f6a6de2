"""Reading a Whoosh index whole, as `revsearch check` does: its table of
contents, each segment's stored reviews, terms and postings, and each file
against the checksum recorded when it was written."""

from __future__ import annotations

from pathlib import Path

from whoosh.reading import SegmentReader

from ...engine import Verification
from ...meta import ACCESS_ERRNOS, CHECKSUM_FILE, access_error, file_checksum, index_command, read_checksums
from .safeload import RefusedGlobal, open_index, refusal
from .schema import stored_reviews


def verify(folder: Path) -> Verification:
    """Read the index in ``folder`` whole (every posting: this takes a while
    on a large index). IndexAccessError if the system refuses its files."""
    found = Verification()
    try:
        ix = open_index(str(folder))
        toc = ix._read_toc()
    except Exception as e:  # noqa: BLE001 - any failure here means the TOC is unusable
        found.problems.append(_unreadable(folder, "the table of contents cannot be read", e))
        return found
    found.segments = len(toc.segments)
    for segment in toc.segments:
        name = f"segment {segment.segment_id()}"
        try:
            found.reviews += _read_segment(ix, segment)
        except Exception as e:  # noqa: BLE001 - damaged files fail in many ways
            found.problems.append(_unreadable(folder, f"{name} is damaged or incomplete", e))
    try:
        _compare_checksums(folder, ix.files(toc), found)
    except OSError as e:
        found.problems.append(_unreadable(folder, "a file of the index cannot be read", e))
    return found


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


def _compare_checksums(folder: Path, names: list[str], report: Verification) -> None:
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
