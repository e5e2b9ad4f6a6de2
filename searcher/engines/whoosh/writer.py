"""The Whoosh engine's writing session: batches of analysed reviews into
segments (see segment.SegmentWriter), replacing reviews by id, deleting a
file's reviews, committing with the files' checksums recorded and segments
merged (see segment.TieredMerge)."""

from __future__ import annotations

from pathlib import Path

from whoosh.index import LockError

from ...errors import IndexLockedError
from ...guards import uninterrupted
from ...meta import record_checksums
from .batch import Batch
from .safeload import ReviewFileIndex
from .segment import KeptPostings, RunKeys, SegmentWriter, TieredMerge
from .settings import WhooshSettings


class ReviewWriter:
    """One Whoosh writer: writes reviews a :class:`Batch` at a time. A review
    id repeated within one writer commits first, so the later copy replaces
    the earlier; so does a writer holding ``settings.max_pooled`` postings, which keeps
    memory bounded however many reviews one call adds."""

    def __init__(self, ix: ReviewFileIndex, settings: WhooshSettings):
        self._ix, self._settings = ix, settings
        self._kept = KeptPostings(settings.merge_limit)  # what the session's last commit merges, without reading it back
        self._w = self._open()
        self._keys = RunKeys()
        self._ids: set[str] = set()  # written by the current Whoosh writer
        # When the index was empty to begin with, the ids and files written so far are all it holds:
        # any other is new, and is added without a look-up in every segment for one to replace.
        self._fresh = ix.is_empty()
        self._written: set[str] = set()
        self._files: set[str] = set()
        self._given = False  # whether the Whoosh writer was given reviews or deletions
        self._reach = -1  # the highest tier of the segments the session's commits wrote (see TieredMerge)

    def _open(self) -> SegmentWriter:
        try:
            return SegmentWriter(self._ix, self._settings, self._kept)
        except LockError as e:
            raise IndexLockedError(
                f"the index in {self._ix.storage.folder} is being written by another process"
            ) from e

    def delete(self, review_id: str) -> int:
        """Delete the review with this id; 1 if there was one."""
        self._given = True
        return self._w.delete_by_term("id", review_id)

    def may_hold(self, file: str) -> bool:
        """Whether the index may hold reviews from ``file`` (a resolved path)."""
        return not self._fresh or file in self._files

    def forget_file(self, file: str) -> None:
        """Delete the reviews indexed from ``file`` (a resolved path) before, so
        records since removed from it do not linger."""
        if self.may_hold(file):
            self._given = True
            self._w.delete_by_term("file", file)

    def add(self, batch: Batch, start: int, end: int, files: list[str | None]) -> None:
        """Index reviews ``start`` to ``end`` of ``batch``, each replacing the
        review with its id; ``files[i]`` is the resolved path review ``i`` was
        read from, if any."""
        ids, ends = batch.ids, batch.ends
        self._given = True
        done = start  # reviews before this one are in the Whoosh writer
        for i in range(start, end):
            review_id = ids[i]
            pending = ends[i - 1] - (ends[done - 1] if done else 0) if i > done else 0  # postings of reviews not yet in
            if review_id in self._ids or self._w.pooled + pending >= self._settings.max_pooled:
                if i > done:
                    self._w.add_batch(batch, done, i, files[done:i], self._keys)
                self.flush()
                self._given, done = True, i  # reviews i on go to the new writer
            self._ids.add(review_id)
            if self._fresh and review_id not in self._written:
                self._written.add(review_id)
            else:
                self._w.delete_by_term("id", review_id)
            if self._fresh and files[i]:
                self._files.add(files[i])
        if end > done:
            self._w.add_batch(batch, done, end, files[done:end], self._keys)

    def commit(self, last: bool = True) -> None:
        """Commit, merging segments (see TieredMerge; ``last``: the session's
        last commit, which merges what it wrote), and record the checksums of
        the files written (see meta.record_checksums). Given nothing and with
        nothing to merge, the writer is cancelled: the index stays as it was."""
        policy = TieredMerge(self._settings, last, self._reach)
        with uninterrupted():
            if not self._given and not policy.plan(self._w.segments, 0):
                self._w.cancel()
                return
            self._w.commit(mergetype=policy)
            self._reach = max(self._reach, policy.tier)
            record_checksums(Path(self._ix.storage.folder), self._ix.files())

    def flush(self) -> None:
        """Commit what was written and go on with a new Whoosh writer (the run's lock is kept)."""
        self.commit(last=False)
        self.reopen()

    def reopen(self) -> None:
        """Go on after a commit with a new Whoosh writer."""
        self._w = self._open()
        self._ids.clear()
        self._given = False

    def cancel(self) -> None:
        """Drop what was written since the last commit. A Ctrl-C between a
        flush's commit and its new writer leaves nothing to drop."""
        if not self._w.is_closed:
            self._w.cancel()
