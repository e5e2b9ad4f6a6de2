"""Where an index keeps what revsearch records of it, beside what its engine
holds: its record (:class:`~searcher.meta.IndexMeta`), the manifest of the
files it was built from (:class:`~searcher.manifest.Manifest`) and its write
lock (one writer at a time). An index in a folder keeps them in files there
(:class:`FolderRecords`); a cluster engine keeps them in the cluster, so that
every machine writing or reading the index sees the same (see
searcher.engines.typesense.records)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, ContextManager, Iterator, Protocol

from .errors import RevsearchError
from .lock import WriteLock
from .manifest import Manifest
from .meta import IndexMeta, foreign_files, has_index, index_files, index_stamp, remove, remove_leftovers, require_index

OnWait = Callable[[str], None]


class Records(Protocol):
    """The records of the index at one location. ``where`` is what the
    engine is created and opened at (a folder, a cluster address); ``folder``
    the local folder the index lives in, None if it lives elsewhere."""

    where: object
    folder: Path | None

    def exists(self) -> bool:
        """Whether an index is there (readable or not)."""

    def require(self) -> None:
        """IndexNotFoundError unless an index is there."""

    def prepare(self) -> None:
        """Make ready for a new index (RevsearchError if something else is there)."""

    def clear(self) -> None:
        """Delete the index there and its records, the lock aside (held by the caller)."""

    def read_meta(self) -> IndexMeta:
        """The index's record; IncompatibleIndexError if it is missing or unreadable."""

    def write_meta(self, meta: IndexMeta) -> None: ...

    def manifest(self) -> Manifest:
        """The files the index was built from, as last saved."""

    def lock(self, wait: float = 0.0, on_wait: OnWait | None = None) -> ContextManager[None]:
        """Hold the index's write lock: wait at most ``wait`` seconds for
        another writer (``on_wait`` told once), then IndexLockedError.
        What a writer killed part way left is cleared once it is held."""

    def size(self) -> int:
        """Bytes the index takes on local disk (0 if it is not local)."""

    def stamp(self) -> object:
        """What changes when a writer changes the index: a reader that kept
        it open (the resident server) reopens it when this differs."""


class FolderRecords:
    """The records of an index in a folder: ``revsearch.json``, ``files.json``
    and ``revsearch.lock`` there (see meta, manifest, lock)."""

    def __init__(self, folder: Path):
        self.where = self.folder = folder

    def exists(self) -> bool:
        return has_index(self.folder)

    def require(self) -> None:
        require_index(self.folder)

    def prepare(self) -> None:
        _refuse_foreign(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def clear(self) -> None:
        for old in index_files(self.folder):
            remove(old)

    def read_meta(self) -> IndexMeta:
        return IndexMeta.read(self.folder)

    def write_meta(self, meta: IndexMeta) -> None:
        meta.write(self.folder)

    def manifest(self) -> Manifest:
        return Manifest(self.folder)

    @contextmanager
    def lock(self, wait: float = 0.0, on_wait: OnWait | None = None) -> Iterator[None]:
        with WriteLock(self.folder, wait, on_wait):
            remove_leftovers(self.folder)
            yield

    def size(self) -> int:
        return sum(os.path.getsize(path) for path in index_files(self.folder) if path.is_file())

    def stamp(self) -> object:
        return index_stamp(self.folder)


def _refuse_foreign(folder: Path) -> None:
    """RevsearchError if ``folder`` holds files that are not an index's."""
    others = foreign_files(folder)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise RevsearchError(
            f"{folder} holds other files ({shown}), not a revsearch index: "
            "choose an empty folder or an index folder for --index"
        )
