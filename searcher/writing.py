"""Writing reviews into the index: reading and Kiwi analysis run beside the Whoosh writer.

Files are read and their reviews analysed and made into batches (postings,
keywords, the review as JSON: see batch.Batch) ahead of the writer, which
takes them in order.
For small runs that happens in a thread (:func:`ahead`). Kiwi holds the GIL
for a good part of its work (it builds a Python object per token), so a
thread leaves the writer waiting: large runs read and analyse in a child
process instead, which loads its own Kiwi (about 2 s) and hands the batches
over a pipe (:func:`_analysed_in_child`). Kiwi is loaded (and the child
started) only when there is something to analyse: a run over files that have
not changed reads and analyses nothing."""

from __future__ import annotations

import gc
import itertools
import os
import pickle
import queue
import signal
import struct
import subprocess
import sys
import threading
import traceback
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, TypeVar

from whoosh.index import LockError

from .analysis import Analyzer
from .engine import Batch, BatchEncoder, EngineWriter
from .errors import IndexLockedError, ReadError, RevsearchError
from .manifest import FileState, Manifest, options_key
from .meta import record_checksums
from .options import BATCH_SIZE, child_environment, python_command
from .plural import counted
from .readers import ReadOptions, read_file
from .review import Review
from .guards import rare_collections, uninterrupted

#: Reviews to a frame of the analysis (see Frame).
CHUNK = 256
#: Chunks the analysis thread may run ahead of the writer (bounds memory).
DEPTH = 4
#: Runs reading more than this many bytes of new or changed files analyse in a child process.
PROCESS_BYTES = 16 << 20
#: Frames (about 100 KB each) taken off the child's pipe ahead of the writer.
FRAMES_AHEAD = 256
_FRAME_HEAD = struct.Struct("<Q")

#: Called after each file with (files done, files in all, the file, reviews indexed so far).
Progress = Callable[[int, int, Path, int], None]
#: Told True when Kiwi starts loading (in this process or the analysis process), False once it is loaded.
OnLoad = Callable[[bool], None]

T = TypeVar("T")


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
    unless the run was interrupted."""

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

    def note(self, error: ReadError) -> None:
        (self.skipped if error.skipped else self.warnings).append(error)

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


# ------------------------------------------------------------------ the thread


_END = object()


def ahead(items: Iterable[T], depth: int = DEPTH) -> Iterator[T]:
    """``items``, produced in a background thread up to ``depth`` ahead of the
    consumer. An exception in the thread is raised here; when the consumer
    stops early (an error, Ctrl-C) the thread stops after its current item."""
    handoff: queue.Queue = queue.Queue(depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as e:  # handed to the consumer, which raises it
            put((_END, e))

    thread = threading.Thread(target=produce, name="revsearch-analysis", daemon=True)
    thread.start()
    try:
        while True:
            item, error = handoff.get()
            if item is _END:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        thread.join()


#: A frame of the analysis: events in order, each ``("review", review)`` made
#: ``("review",)``, and those reviews (document ``i`` of the batch the ``i``-th).
Frame = tuple[list[tuple], Batch]
_REVIEW = ("review",)


def _analysed(events: Iterable[tuple], encoder: BatchEncoder, on_load: OnLoad | None = None) -> Iterator[Frame]:
    """``events`` in frames of about CHUNK reviews (see :data:`Frame`). Kiwi
    analyses the reviews as one stream (see :meth:`Analyzer.stream`); it is
    loaded when the first review comes (``on_load`` is told), not before:
    the events before it pass in frames of their own."""
    analyzer = encoder.analyzer
    events = iter(events)
    out: list[tuple] = []
    for event in events:
        if event[0] == "review":
            break
        out.append(event)
        if len(out) >= CHUNK:
            yield out, encoder.builder().build()
            out = []
    else:
        if out:
            yield out, encoder.builder().build()
        return
    analyzer.model(on_load)
    builder = encoder.builder()
    valid = (("review", e[1].cleaned()) if e[0] == "review" else e for e in itertools.chain([event], events))
    for event, terms in analyzer.stream(valid, lambda e: _texts(e[1]) if e[0] == "review" else ()):
        if event[0] == "review":
            builder.add(event[1], terms)
            event = _REVIEW
        out.append(event)
        if len(builder) >= CHUNK:
            yield out, builder.build()
            out, builder = [], encoder.builder()
    if out:
        yield out, builder.build()


def _texts(review: Review) -> tuple[str, str, str, str]:
    """What Kiwi analyses of a review: its texts in the order of batch.TEXTS.
    Derived keywords are not indexed (see BatchBuilder.add)."""
    keywords = "" if review.keywords_derived else "\n".join(review.keywords)
    return review.title, review.body, keywords, review.category or ""


# ------------------------------------------------------------------ the writer


# ------------------------------------------------------------------ a run over files


#: A file to read, and its key in the manifest: its resolved path.
Keyed = tuple[Path, str]


def _checked(path: Path, key: str, manifest: Manifest, read_with: str) -> tuple:
    """What the manifest says of a file: ``("file", path, key, status, state)``
    (see :meth:`Manifest.status`), or ``("unreadable", path, error)`` if it
    cannot even be examined."""
    try:
        return ("file", path, key, *manifest.status(key, path, read_with))
    except OSError as e:
        return ("unreadable", path, ReadError(path, f"cannot read file: {e.strerror or e}"))


def _events(checked: list[tuple], options: ReadOptions | None) -> Iterator[tuple]:
    """What reading the ``checked`` files (see :func:`_checked`) finds, in
    order: each file's event (status "unchanged", or "unreadable": nothing
    follows), then its ``("review", review)`` and ``("note", error)`` events,
    ``("failed", error)`` if it ends early, and ``("end",)``."""
    for event in checked:
        yield event
        if event[0] != "file" or event[3] == "unchanged":
            continue
        path = event[1]
        try:
            for item in read_file(path, options):
                yield ("note", item) if isinstance(item, ReadError) else ("review", item)
        except ReadError as e:
            yield ("failed", e)
        yield ("end",)


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


class Analysis:
    """Where a run's files are read and analysed (see :func:`_analysed`): in a
    thread, or, for runs reading over PROCESS_BYTES of new or changed files,
    in a child process (see :func:`_analysed_in_child`). The child starts as
    soon as the files compared with the manifest pass that size, and loads
    Kiwi (2–3 s, one core) while the rest are compared; it is stopped if the
    run stops early. ``on_load`` is told when Kiwi loads."""

    def __init__(self, encoder: BatchEncoder, on_load: OnLoad | None = None):
        self.encoder, self.on_load = encoder, on_load
        self._child: subprocess.Popen | None = None

    def __enter__(self) -> Analysis:
        return self

    def __exit__(self, *exc) -> None:
        if self._child is not None:
            _stop(self._child)

    def check(self, files: list[Keyed], manifest: Manifest, options: ReadOptions | None) -> list[tuple]:
        """Each file compared with the manifest (see :func:`_checked`), a child
        started once the files to read pass PROCESS_BYTES."""
        read_with, size, checked = options_key(options), 0, []
        for path, key in files:
            event = _checked(path, key, manifest, read_with)
            if event[0] == "file" and event[3] != "unchanged":
                size += event[4].size
                if self._child is None and size > PROCESS_BYTES:
                    self._child = _start_child(self.encoder, self.on_load)
            checked.append(event)
        return checked

    def frames(self, checked: list[tuple], options: ReadOptions | None) -> Iterator[Frame]:
        """The :func:`_events` of reading the ``checked`` files, analysed, in frames."""
        if self._child is None:
            return ahead(_analysed(_events(checked, options), self.encoder, self.on_load))
        return _analysed_in_child(self._child, checked, options, self.on_load)


def _start_child(encoder: BatchEncoder, on_load: OnLoad | None) -> subprocess.Popen:
    """The child process of :func:`_analysed_in_child` (a plain subprocess, not
    multiprocessing: that would re-run the caller's main script), given its
    analyzer, whose model it loads while it waits for its files (``on_load``
    is told True now, False when the child says it is loaded)."""
    if on_load:
        on_load(True)
    child = subprocess.Popen(
        python_command("searcher.writing", "_child"),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_environment(),
    )
    _give(child, encoder)
    return child


def _give(child: subprocess.Popen, item: object, last: bool = False) -> None:
    """Send ``item`` pickled to the child's stdin (closed after the ``last``).
    A child that has died is not an error here: reading its frames says so."""
    try:
        pickle.dump(item, child.stdin)
        if last:
            child.stdin.close()
        else:
            child.stdin.flush()
    except BrokenPipeError:
        pass


def _stop(child: subprocess.Popen) -> None:
    """Stop the child if it is still running, and wait for it."""
    if child.poll() is None:
        child.kill()
    child.wait()
    for pipe in (child.stdin, child.stdout):
        try:
            pipe.close()
        except BrokenPipeError:
            pass  # what the child never read


def _analysed_in_child(
    child: subprocess.Popen, checked: list[tuple], options: ReadOptions | None, on_load: OnLoad | None
) -> Iterator[Frame]:
    """:func:`_analysed` frames produced by the child, which is given its
    ``checked`` files now. Pickles come over its stdout, each after its
    length: first True, once its Kiwi is loaded (``on_load`` is told), then the
    frames. A thread takes them off the pipe as they come, up to FRAMES_AHEAD:
    the child goes on analysing while the writer commits, which takes
    seconds. The child is stopped if the caller stops early."""
    frames = ahead(_frames(child.stdout), FRAMES_AHEAD)
    try:
        _give(child, (checked, options), last=True)
        for frame in frames:
            if frame is None:
                raise RevsearchError(f"the analysis process stopped unexpectedly (exit code {child.wait()})")
            item = pickle.loads(frame)
            if item is True:
                if on_load:
                    on_load(False)
                continue
            if item is None:
                return
            if isinstance(item, str):
                raise RevsearchError(f"the analysis process failed: {item}")
            yield item
    finally:
        if child.poll() is None:
            child.kill()  # first, so that the thread reading the pipe meets its end
        frames.close()
        _stop(child)


def _frames(pipe: BinaryIO) -> Iterator[bytes | None]:
    """The length-prefixed frames read from ``pipe``; None, last, if it ends part way."""
    while True:
        head = pipe.read(_FRAME_HEAD.size)
        body = pipe.read(_FRAME_HEAD.unpack(head)[0]) if len(head) == _FRAME_HEAD.size else b""
        if not body:
            yield None
            return
        yield body


def _send(out: BinaryIO, item: object) -> None:
    """Write ``item`` pickled, as one frame."""
    frame = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
    out.write(_FRAME_HEAD.pack(len(frame)))
    out.write(frame)


def _child() -> None:
    """The child process of :func:`_analysed_in_child`: reads its analyzer
    from stdin and loads its model (sends True), reads its checked files,
    sends frames, then None, or the traceback of what went wrong. Ctrl-C is
    the parent's to handle; anything else printing to stdout is sent to
    stderr, away from the frames."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        encoder = pickle.load(sys.stdin.buffer)
        encoder.analyzer.model()  # loaded before the files come: the parent is meanwhile comparing them
        _send(out, True)
        out.flush()
        checked, options = pickle.load(sys.stdin.buffer)
        with rare_collections():
            for frame in _analysed(_events(checked, options), encoder):
                _send(out, frame)
        _send(out, None)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        _send(out, traceback.format_exc())
    out.close()


class Ingest:
    """One add_paths run: writes what the files hold, commits every
    ``batch_size`` reviews, and records a file in the manifest once all its
    reviews are committed (a file cut by a commit is read again if the run dies)."""

    def __init__(self, writer: EngineWriter, manifest: Manifest, report: IngestReport, batch_size: int = BATCH_SIZE):
        self.writer = writer
        self.manifest, self.report, self.batch_size = manifest, report, max(1, batch_size)
        self.pending: dict = {}  # file -> FileState (None: remove), done but not committed
        self.reviews = 0  # reviews written since the last commit
        self.changed = False  # whether the writer was given reviews or deletions since the last commit
        # the frame being written: its batch, the file of each of its reviews seen so far, how many the writer has
        self._batch: Batch | None = None
        self._files: list[str | None] = []
        self._written = 0

    def remove(self, key: str) -> None:
        self._forget(key)
        self.pending[key] = None
        self.report.removed += 1

    def run(self, files: list[Keyed], analysis: Analysis, options: ReadOptions | None, progress: Progress | None) -> None:
        """Read, analyse and write ``files`` (each with its key) that are not
        as the manifest has them; commit at the end."""
        report, done = self.report, 0
        file: _File | None = None  # the file being read
        for events, batch in analysis.frames(analysis.check(files, self.manifest, options), options):
            self._batch, self._files, self._written = batch, [], 0
            for event in events:
                kind = event[0]
                if kind == "review":
                    if report.reviews_indexed == file.before:
                        self._forget(file.key)  # what it held before goes; a file that can't be read keeps it
                    self._files.append(file.key)
                    report.reviews_indexed += 1
                    self.reviews += 1
                    if self.reviews >= self.batch_size:
                        self.commit()
                    continue
                if kind == "note":
                    report.note(event[1])
                    continue
                if kind == "failed":
                    report.note(event[1])
                    file.failed = event[1]
                    continue
                if kind == "file":
                    file = _File(*event[1:], before=report.reviews_indexed)
                    if file.status != "unchanged":
                        continue
                    self.manifest.files[file.key] = file.state  # its digest may be new (touched, same content)
                    if file.state.failed:
                        report.still_skipped.append(ReadError(file.path, file.state.failed))
                    else:
                        report.unchanged += 1
                    path = file.path
                elif kind == "end":
                    self._finish(file)
                    path = file.path
                else:  # unreadable
                    report.note(event[2])
                    path = event[1]
                done += 1
                if progress:
                    progress(done, len(files), path, report.reviews_indexed)
            self._write()
        self.commit(final=True)

    def _write(self) -> None:
        """Hand the writer the reviews of the current frame seen so far."""
        if len(self._files) > self._written:
            self.writer.add(self._batch, self._written, len(self._files), self._files)
            self._written = len(self._files)
            self.changed = True

    def _forget(self, key: str) -> None:
        """Forget a file's reviews (see ReviewWriter.forget_file), after the
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
            setattr(report, file.status, getattr(report, file.status) + 1)
            return
        if count:
            setattr(report, file.status, getattr(report, file.status) + 1)
        else:  # a file that could not be read at all is counted as skipped only
            report.failed += 1
            known = self.manifest.files.get(file.key)
            count = known.reviews if known else 0
        self.pending[file.key] = replace(file.state, reviews=count, failed=file.failed.reason)

    def commit(self, final: bool = False) -> None:
        """Commit; the report and the manifest follow (a Ctrl-C meanwhile is
        raised once they have). Unless ``final``, writing goes on. A writer
        given nothing is cancelled: the index stays as it was (an unchanged
        re-run makes no new generation for searchers to reopen)."""
        self._write()
        with uninterrupted():
            if self.changed:
                self.writer.commit()
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
