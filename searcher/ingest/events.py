"""What the worker hands the writer, in order, for each file of a run:
:class:`FileChecked` (or :class:`Unreadable`, then nothing of it), then, for
a file to read, its :class:`ReviewRead` and :class:`Note` events,
:class:`Failed` if it ends early, and :class:`FileEnd`. In a :class:`Frame`,
each review's event is :data:`ANALYSED`, the review itself being in the
frame's batch. The consumer dispatches on the event's type."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Union

from ..engine import Batch
from ..errors import ReadError
from ..manifest import FileState
from ..review import Review


@dataclass(frozen=True)
class FileChecked:
    """A file compared with the manifest (see Manifest.status): ``key`` is
    its resolved path, ``status`` "unchanged", "changed" or "new"."""

    path: Path
    key: str
    status: str
    state: FileState


@dataclass(frozen=True)
class Unreadable:
    """A file that cannot even be examined."""

    path: Path
    error: ReadError


@dataclass(frozen=True)
class ReviewRead:
    """A review read from the current file."""

    review: Review


@dataclass(frozen=True)
class Analysed:
    """A review of the current file, analysed: the next review of the frame's batch."""


#: The event a frame holds in place of each :class:`ReviewRead`: one object,
#: which pickles once per frame.
ANALYSED = Analysed()


@dataclass(frozen=True)
class Note:
    """Something in the current file was skipped or left out (its review, if any, is read)."""

    error: ReadError


@dataclass(frozen=True)
class Failed:
    """The current file could not be read further."""

    error: ReadError


@dataclass(frozen=True)
class FileEnd:
    """The current file is read."""


Event = Union[FileChecked, Unreadable, ReviewRead, Analysed, Note, Failed, FileEnd]


class Frame(NamedTuple):
    """A part of a run, analysed: its events, and its reviews' batch (the
    ``i``-th :data:`ANALYSED` event being review ``i`` of the batch)."""

    events: list[Event]
    batch: Batch
