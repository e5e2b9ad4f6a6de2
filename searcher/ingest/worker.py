"""The work ahead of the writer: files compared with the manifest, read, and
their reviews analysed and made into batches by the engine's encoder (see
engine.BatchEncoder), handed to the writer in frames (see events.Frame).

For small runs that happens in a thread (:func:`ahead`). Kiwi holds the GIL
for a good part of its work (it builds a Python object per token), so a
thread leaves the writer waiting: large runs read and analyse in a child
process instead (:func:`main`, its entry point), which loads its own Kiwi
(about 2 s) and hands the frames over a pipe (framed by searcher.ipc). Kiwi
is loaded (and the child started) only when there is something to analyse:
a run over files that have not changed reads and analyses nothing."""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import traceback
from pathlib import Path
from typing import Callable, Iterable, Iterator, TypeVar

from .. import ipc
from ..engine import BatchEncoder
from ..errors import ReadError, RevsearchError
from ..guards import rare_collections
from ..manifest import Manifest, options_key
from ..options import child_environment, python_command
from ..readers import ReadOptions, read_file
from ..review import Review
from ..settings import IngestSettings
from .events import ANALYSED, Event, Failed, FileChecked, FileEnd, Frame, Note, ReviewRead, Unreadable

#: Told True when Kiwi starts loading (in this process or the analysis process), False once it is loaded.
OnLoad = Callable[[bool], None]
#: A file to read, and its key in the manifest: its resolved path.
Keyed = tuple[Path, str]

T = TypeVar("T")
_END = object()


def ahead(items: Iterable[T], depth: int) -> Iterator[T]:
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


def analysed(events: Iterable[Event], encoder: BatchEncoder, chunk: int, on_load: OnLoad | None = None) -> Iterator[Frame]:
    """``events`` in frames of about ``chunk`` reviews (see events.Frame).
    Kiwi analyses the reviews as one stream (see :meth:`Analyzer.stream`); it
    is loaded when the first review comes (``on_load`` is told), not before:
    the events before it pass in frames of their own."""
    analyzer = encoder.analyzer
    events = iter(events)
    out: list[Event] = []
    for event in events:
        if isinstance(event, ReviewRead):
            break
        out.append(event)
        if len(out) >= chunk:
            yield Frame(out, encoder.builder().build())
            out = []
    else:
        if out:
            yield Frame(out, encoder.builder().build())
        return
    analyzer.model(on_load)
    builder = encoder.builder()
    valid = (ReviewRead(e.review.cleaned()) if isinstance(e, ReviewRead) else e for e in itertools.chain([event], events))
    for event, terms in analyzer.stream(valid, lambda e: _texts(e.review) if isinstance(e, ReviewRead) else ()):
        if isinstance(event, ReviewRead):
            builder.add(event.review, terms)
            event = ANALYSED
        out.append(event)
        if len(builder) >= chunk:
            yield Frame(out, builder.build())
            out, builder = [], encoder.builder()
    if out:
        yield Frame(out, builder.build())


def _texts(review: Review) -> tuple[str, str, str, str]:
    """What Kiwi analyses of a review: its texts in the order of schema.TEXTS.
    Derived keywords are not indexed (see BatchBuilder.add)."""
    keywords = "" if review.keywords_derived else "\n".join(review.keywords)
    return review.title, review.body, keywords, review.category or ""


def checked(path: Path, key: str, manifest: Manifest, read_with: str) -> FileChecked | Unreadable:
    """What the manifest says of a file (see :meth:`Manifest.status`), or
    :class:`Unreadable` if it cannot even be examined."""
    try:
        return FileChecked(path, key, *manifest.status(key, path, read_with))
    except OSError as e:
        return Unreadable(path, ReadError(path, f"cannot read file: {e.strerror or e}"))


def read_events(files: list[FileChecked | Unreadable], options: ReadOptions | None) -> Iterator[Event]:
    """What reading the checked ``files`` finds, in order (see events)."""
    for event in files:
        yield event
        if not isinstance(event, FileChecked) or event.status == "unchanged":
            continue
        try:
            for item in read_file(event.path, options):
                yield Note(item) if isinstance(item, ReadError) else ReviewRead(item)
        except ReadError as e:
            yield Failed(e)
        yield FileEnd()


class Analysis:
    """Where a run's files are read and analysed (see :func:`analysed`): in a
    thread, or, for runs reading over ``settings.process_bytes`` of new or
    changed files, in a child process (see :func:`main`). The child starts as
    soon as the files compared with the manifest pass that size, and loads
    Kiwi (2–3 s, one core) while the rest are compared; it is stopped if the
    run stops early. ``on_load`` is told when Kiwi loads."""

    def __init__(self, encoder: BatchEncoder, settings: IngestSettings, on_load: OnLoad | None = None):
        self.encoder, self.settings, self.on_load = encoder, settings, on_load
        self._child: subprocess.Popen | None = None

    @property
    def place(self) -> str:
        """Where the files are analysed: ``"process"`` or ``"thread"`` (see IngestReport.analysed_in)."""
        return "thread" if self._child is None else "process"

    def __enter__(self) -> Analysis:
        return self

    def __exit__(self, *exc) -> None:
        if self._child is not None:
            _stop(self._child)

    def check(self, files: list[Keyed], manifest: Manifest, options: ReadOptions | None) -> list[FileChecked | Unreadable]:
        """Each file compared with the manifest (see :func:`checked`), a child
        started once the files to read pass ``settings.process_bytes``."""
        read_with, size, found = options_key(options), 0, []
        for path, key in files:
            event = checked(path, key, manifest, read_with)
            if isinstance(event, FileChecked) and event.status != "unchanged":
                size += event.state.size
                if self._child is None and size > self.settings.process_bytes:
                    self._child = self._start_child()
            found.append(event)
        return found

    def frames(self, files: list[FileChecked | Unreadable], options: ReadOptions | None) -> Iterator[Frame]:
        """The :func:`read_events` of the checked ``files``, analysed, in frames."""
        if self._child is None:
            events = read_events(files, options)
            return ahead(analysed(events, self.encoder, self.settings.chunk, self.on_load), self.settings.frames_ahead)
        return self._from_child(files, options)

    def _start_child(self) -> subprocess.Popen:
        """The child process (a plain subprocess, not multiprocessing: that
        would re-run the caller's main script), given the encoder, whose
        analyzer's model it loads while it waits for its files (``on_load`` is
        told True now, False when the child says it is loaded)."""
        if self.on_load:
            self.on_load(True)
        child = subprocess.Popen(
            python_command("searcher.ingest.worker", "main"), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=child_environment(),
        )
        _give(child, (self.encoder, self.settings.chunk))
        return child

    def _from_child(self, files: list[FileChecked | Unreadable], options: ReadOptions | None) -> Iterator[Frame]:
        """:func:`analysed` frames produced by the child, which is given its
        checked ``files`` now. Its answers come as ipc frames: first True, once
        its Kiwi is loaded (``on_load`` is told), then the frames, then None
        (or the traceback of what went wrong). A thread takes them off the
        pipe as they come, up to ``settings.frames_ahead``: the child goes on
        analysing while the writer commits, which takes seconds. The child is
        stopped if the caller stops early."""
        child, on_load = self._child, self.on_load
        bodies = ahead(ipc.frames(child.stdout), self.settings.frames_ahead)
        try:
            _give(child, (files, options), last=True)
            for body in bodies:
                if body is None:
                    raise RevsearchError(f"the analysis process stopped unexpectedly (exit code {child.wait()})")
                item = pickle.loads(body)  # the bodies ipc.send makes, unpickled as the writer takes them
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
            bodies.close()
            _stop(child)


def _give(child: subprocess.Popen, item: object, last: bool = False) -> None:
    """Send ``item`` to the child's stdin (closed after the ``last``). A child
    that has died is not an error here: reading its frames says so."""
    try:
        ipc.send(child.stdin, item)
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


def main() -> None:
    """The analysis process's entry point (see :class:`Analysis`): receives
    the encoder and the frame size and loads Kiwi (sends True), receives the
    checked files and the read options, sends the frames, then None, or the
    traceback of what went wrong. Ctrl-C is the parent's to handle; anything
    else printing to stdout is sent to stderr, away from the frames."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    try:
        encoder, chunk = ipc.receive(sys.stdin.buffer)
        encoder.analyzer.model()  # loaded before the files come: the parent is meanwhile comparing them
        ipc.send(out, True)
        out.flush()
        files, options = ipc.receive(sys.stdin.buffer)
        with rare_collections():
            for frame in analysed(read_events(files, options), encoder, chunk):
                ipc.send(out, frame)
        ipc.send(out, None)
    except BaseException:  # noqa: BLE001 - reported to the parent, which raises it
        ipc.send(out, traceback.format_exc())
    out.close()
