"""An ingest run: the files under the paths given listed and compared with
the manifest, those new or changed read and analysed ahead of the writer
(see worker), written, committed every ``batch_size`` reviews, and recorded
in the manifest once committed; the reviews of files gone deleted."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

from ..engine import Batch, BatchEncoder, Engine, EngineWriter
from ..errors import ReadError
from ..guards import rare_collections, uninterrupted
from ..manifest import PENDING, FileState, Manifest, file_key
from ..readers import ReadOptions, iter_source_files
from ..records import Records
from ..review import Review
from ..settings import IngestSettings
from .events import Analysed, Failed, FileChecked, FileEnd, Note, ReviewRead, Unreadable
from .report import IndexingInterrupted, IngestReport
from .worker import Analysis, Keyed, OnLoad, ahead, analysed

#: Called after each file with (files done, files in all, the file, reviews indexed so far).
Progress = Callable[[int, int, Path, int], None]


def add_reviews(writer: EngineWriter, encoder: BatchEncoder, reviews: Iterable[Review], settings: IngestSettings) -> int:
    """Write ``reviews`` with ``writer`` (not committed), analysed in a thread
    while they are written; how many were written."""
    count = 0
    frames = ahead(analysed((ReviewRead(r) for r in reviews), encoder, settings.chunk), settings.frames_ahead)
    for _, batch in frames:
        writer.add(batch, 0, len(batch), [None] * len(batch))
        count += len(batch)
    return count


def add_paths(
    engine: Engine, records: Records, paths: Iterable[str | os.PathLike], settings: IngestSettings, *,
    progress: Progress | None = None, options: ReadOptions | None = None, batch_size: int | None = None,
    on_load: OnLoad | None = None,
) -> IngestReport:
    """Bring the index of ``engine`` (its ``records``) up to date with the
    files under ``paths``: see ReviewIndex.add_paths. The caller holds the
    index's write lock. Ctrl-C raises IndexingInterrupted with what was committed."""
    report = IngestReport()
    roots = [Path(p).absolute() for p in paths]
    meta = records.read_meta()
    recorded = meta.with_sources([r for r in roots if os.path.lexists(r)])  # what a rebuild command names
    if recorded != meta:
        records.write_meta(recorded)
    manifest = records.manifest()
    files, unlisted, others = _listed(roots, manifest, report)
    with Analysis(engine.encoder(), settings, on_load) as analysis:
        own = records.folder.resolve() if records.folder is not None else None
        resolved = [(f, f.resolve()) for f in files]
        keyed = [(f, file_key(r)) for f, r in resolved if own not in r.parents]  # never the index's own files
        report.others = [f for f in others if own not in f.resolve().parents]
        seen = {key for _, key in keyed} | set(manifest.under(unlisted))
        gone = [f for f in manifest.under([r.resolve() for r in roots]) if f not in seen]
        first = [key for _, key in keyed if key not in manifest.files]
        if first:  # listed before anything of theirs is written (see manifest.PENDING)
            manifest.files.update(dict.fromkeys(first, PENDING))
            manifest.save()
        ingest = Ingest(engine.writer(), manifest, report, batch_size or settings.batch_size)
        try:
            for key in gone:
                ingest.remove(key)
            with rare_collections():
                ingest.run(keyed, analysis, options, progress)
        except KeyboardInterrupt:
            ingest.cancel()
            raise IndexingInterrupted(report) from None
        except BaseException:
            ingest.cancel()
            raise
    return report


def _listed(roots: list[Path], manifest: Manifest, report: IngestReport) -> tuple[list[Path], list[Path], list[Path]]:
    """The files to read under ``roots``; the folders and entries that could
    not be listed or examined (resolved): the files recorded under those are
    kept as they are, not removed as if gone; and the files of other types
    found. What cannot be listed is reported; a root that does not exist is
    reported only if nothing was indexed from it (else its files are removals)."""
    files: list[Path] = []
    unlisted: list[Path] = []
    others: list[Path] = []
    for root in roots:
        try:
            for found in iter_source_files([root], others):
                if isinstance(found, ReadError):
                    report.note(found)
                    unlisted.append(Path(found.path).resolve())
                else:
                    files.append(found)
        except ReadError as e:
            if not manifest.under([root]):
                report.note(e)
    return files, unlisted, others


@dataclass
class _File:
    """A file being read in a run: where it is, what the manifest said, and the
    run's review count when it began."""

    path: Path
    key: str
    status: str
    state: FileState
    before: int
    failed: ReadError | None = None


class Ingest:
    """One add_paths run's writing: writes what the files hold, commits every
    ``batch_size`` reviews, and records a file in the manifest once all its
    reviews are committed (a file cut by a commit is read again if the run dies)."""

    def __init__(self, writer: EngineWriter, manifest: Manifest, report: IngestReport, batch_size: int):
        self.writer = writer
        self.manifest, self.report, self.batch_size = manifest, report, max(1, batch_size)
        self.pending: dict[str, FileState | None] = {}  # done but not committed (None: remove)
        self.reviews = 0  # reviews written since the last commit
        self.changed = False  # whether the writer was given reviews or deletions since the last commit
        # the frame being written: its batch, the file of each of its reviews seen so far, how many the writer has
        self._batch: Batch | None = None
        self._files: list[str | None] = []
        self._written = 0
        self._ids: dict[str, Path] = {}  # the ids of the reviews read in this run, each with its file (see _check_id)

    def remove(self, key: str) -> None:
        self._forget(key)
        self.pending[key] = None
        self.report.removed += 1

    def run(self, files: list[Keyed], analysis: Analysis, options: ReadOptions | None, progress: Progress | None) -> None:
        """Read, analyse and write ``files`` (each with its key) that are not
        as the manifest has them; commit at the end."""
        report, done = self.report, 0
        file: _File | None = None  # the file being read
        checked = analysis.check(files, self.manifest, options)
        if any(isinstance(event, FileChecked) and event.status != "unchanged" for event in checked):
            report.analysed_in = analysis.place
        for events, batch in analysis.frames(checked, options):
            self._batch, self._files, self._written = batch, [], 0
            for event in events:
                if isinstance(event, Analysed):
                    if report.reviews_indexed == file.before:
                        self._forget(file.key)  # what it held before goes; a file that can't be read keeps it
                    self._check_id(self._batch.ids[len(self._files)], file.path)
                    self._files.append(file.key)
                    report.reviews_indexed += 1
                    self.reviews += 1
                    if self.reviews >= self.batch_size:
                        self.commit()
                    continue
                if isinstance(event, Note):
                    report.note(event.error)
                    continue
                if isinstance(event, Failed):
                    report.note(event.error)
                    file.failed = event.error
                    continue
                if isinstance(event, FileChecked):
                    file = _File(event.path, event.key, event.status, event.state, before=report.reviews_indexed)
                    if file.status != "unchanged":
                        continue
                    self.manifest.files[file.key] = file.state  # its digest may be new (touched, same content)
                    if file.state.failed:
                        report.still_skipped.append(ReadError(file.path, file.state.failed))
                    else:
                        report.unchanged += 1
                    path = file.path
                elif isinstance(event, FileEnd):
                    self._finish(file)
                    path = file.path
                elif isinstance(event, Unreadable):
                    report.note(event.error)
                    path = event.path
                else:
                    raise TypeError(f"not an event of a frame: {event!r}")
                done += 1
                if progress:
                    progress(done, len(files), path, report.reviews_indexed)
            self._write()
        self.commit(final=True)

    def _check_id(self, review_id: str, path: Path) -> None:
        """Report a review whose id a review read before in this run has: the index keeps one review per id."""
        first = self._ids.get(review_id)
        if first is None:
            self._ids[review_id] = path
            return
        shown = review_id if len(review_id) <= 40 else review_id[:40] + "…"
        where = "this file" if first == path else str(first)
        self.report.note(ReadError(path, f"id '{shown}' is also the id of a review in {where}; only one is kept", skipped=False))

    def _write(self) -> None:
        """Hand the writer the reviews of the current frame seen so far."""
        if len(self._files) > self._written:
            self.writer.add(self._batch, self._written, len(self._files), self._files)
            self._written = len(self._files)
            self.changed = True

    def _forget(self, key: str) -> None:
        """Forget a file's reviews (see EngineWriter.forget_file), after the
        writer has the reviews before, so a commit between cannot reorder them.
        Nothing to forget (a new file in a new index): the frame is not cut,
        which would cost the writer a batch per file."""
        if self.writer.may_hold(key) or key in self._files[self._written :]:
            self._write()
            self.writer.forget_file(key)
            self.changed = True

    def _finish(self, file: _File) -> None:
        """Count a file read, and record it. A file that failed is recorded with
        why, and not read again until it changes; if it failed before its first
        review, the reviews it held before are kept (and counted)."""
        report = self.report
        count = report.reviews_indexed - file.before
        report.files_read += count > 0
        if file.failed is None:
            if count == 0:
                self._forget(file.key)  # read fine, but holds no reviews any more
            self.pending[file.key] = replace(file.state, reviews=count)
            report.count_file(file.status)
            return
        if count:
            report.count_file(file.status)
        else:  # a file that could not be read at all is counted as skipped only
            report.failed += 1
            known = self.manifest.files.get(file.key)
            count = known.reviews if known else 0
        self.pending[file.key] = replace(file.state, reviews=count, failed=file.failed.reason)

    def commit(self, final: bool = False) -> None:
        """Commit; the report and the manifest follow (a Ctrl-C meanwhile is
        raised once they have). Unless ``final``, writing goes on. A writer
        given nothing is cancelled, unless the run's last commit has segments
        to merge: the index stays as it was (an unchanged re-run makes no new
        generation for searchers to reopen)."""
        self._write()
        with uninterrupted():
            if self.changed or final:
                self.writer.commit(last=final)  # given nothing, the writer commits merges only
            else:
                self.writer.cancel()
            self.changed = False
            self.report.reviews_committed += self.reviews
            self.reviews = 0
            for key, state in self.pending.items():
                if state is None:
                    self.manifest.files.pop(key, None)
                else:
                    self.manifest.files[key] = state
                    self.report.files_committed += 1
            self.pending.clear()
            self.manifest.save()
        if not final:
            self.writer.reopen()

    def cancel(self) -> None:
        self.writer.cancel()
