"""What an ingest run tells its caller: its report, and the error of a run stopped part way."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReadError, RevsearchError
from ..plural import counted


@dataclass
class IngestReport:
    """What an :meth:`ReviewIndex.add_paths` run did: ``skipped`` files and records
    were not indexed; ``warnings`` were indexed with something left out. Files
    are counted as ``unchanged`` (not read), ``changed``, ``new`` and ``removed``
    (their reviews deleted); ``failed`` files could not be read at all (they are
    in ``skipped``). ``still_skipped`` are files that could not be read in an
    earlier run and have not changed since (not read again); ``others`` are the
    files of other types found in the folders walked (not read).
    ``reviews_committed`` is what the last commit holds of this run, all of it
    unless the run was interrupted. ``analysed_in`` says where the files read
    were analysed: ``"thread"`` or ``"process"`` (a child process, for large
    runs), ``""`` if the run read nothing."""

    files_read: int = 0
    reviews_indexed: int = 0
    skipped: list[ReadError] = field(default_factory=list)
    warnings: list[ReadError] = field(default_factory=list)
    unchanged: int = 0
    changed: int = 0
    new: int = 0
    removed: int = 0
    failed: int = 0
    still_skipped: list[ReadError] = field(default_factory=list)
    others: list[Path] = field(default_factory=list)
    reviews_committed: int = 0
    files_committed: int = 0
    analysed_in: str = ""

    def note(self, error: ReadError) -> None:
        (self.skipped if error.skipped else self.warnings).append(error)

    def count_file(self, status: str) -> None:
        """Count a file found ``status`` (see Manifest.status): ``"unchanged"``, ``"changed"`` or ``"new"``."""
        if status == "unchanged":
            self.unchanged += 1
        elif status == "changed":
            self.changed += 1
        elif status == "new":
            self.new += 1
        else:
            raise ValueError(f"unknown file status {status!r}")

    @property
    def nothing_indexed(self) -> bool:
        """Whether the run failed as a whole: something was skipped and no review
        indexed, though files were read in this run, or nothing was found to read.
        A run that finds every file as the last run left it has not failed."""
        read = self.changed + self.new + self.failed
        found = read or self.unchanged or self.still_skipped
        return self.reviews_indexed == 0 and bool(self.skipped) and (read > 0 or not found)

    @staticmethod
    def by_kind(skips: list[ReadError]) -> dict[str, list[ReadError]]:
        """Problems grouped by :attr:`ReadError.kind`, the largest group first."""
        groups: dict[str, list[ReadError]] = defaultdict(list)
        for s in skips:
            groups[s.kind].append(s)
        return dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))


class IndexingInterrupted(RevsearchError):
    """Indexing was stopped (Ctrl-C, SIGTERM) part way; ``report`` says what was committed."""

    def __init__(self, report: IngestReport):
        super().__init__(
            f"interrupted: {counted(report.reviews_committed, 'review')} from "
            f"{counted(report.files_committed, 'file')} committed; run again to finish"
        )
        self.report = report
