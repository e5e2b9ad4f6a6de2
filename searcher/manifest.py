"""The files an index was built from, so re-runs read only what changed.

``files.json`` maps each file's absolute path to its size, modification time,
content digest, the read options it was read with and its review count as of
the last commit; a file that could not be read is recorded with the reason, so
that it is not read again (and reported again) until it changes. It is saved after each
commit and is only a cache: a file it does not list is read again, and
re-reading a file replaces the reviews it held. Before a run writes anything,
the files it is about to read for the first time are saved as :data:`PENDING`:
a run killed part way (its reviews of those files committed, or on a cluster
already sent) leaves them listed, so the next run reads them again as new, or
deletes their reviews if they are gone. A crash costs a re-read, never a
duplicate, a loss or a review of a file no longer there.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .meta import write_atomic

if TYPE_CHECKING:  # pragma: no cover
    from .readers import ReadOptions

MANIFEST_FILE = "files.json"


@dataclass(frozen=True)
class FileState:
    """A file as last read: ``sha1`` is empty if it could not be opened;
    ``read_with`` is :func:`options_key` of the options it was read with;
    ``failed`` is why it could not be read (to its end), empty if it was."""

    size: int
    mtime_ns: int
    sha1: str
    reviews: int = 0
    read_with: str = ""
    failed: str = ""


#: The state of a file a run is about to read for the first time (see the module's docstring).
PENDING = FileState(-1, -1, "")


def options_key(options: ReadOptions | None) -> str:
    """The read options (``--encoding``, ``--field``) as recorded with each file
    read with them: empty for the defaults, so files recorded before options
    were are read with the defaults."""
    if options is None or (options.encoding is None and not options.fields):
        return ""
    return json.dumps({"encoding": options.encoding, "fields": options.fields}, ensure_ascii=False, sort_keys=True)


def file_key(path: Path) -> str:
    """A file's key in the manifest and the index, from its resolved path: the
    path as text, bytes of a name that is not UTF-8 (from another system)
    written as ``\\xNN``, so that the key can be stored."""
    text = str(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(path).decode("utf-8", "backslashreplace")
    return text


def digest(path: Path) -> str:
    """sha1 of the file's content, read in chunks."""
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class Manifest:
    """The recorded files of the index in ``folder``."""

    def __init__(self, folder: Path):
        self.path = folder / MANIFEST_FILE
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError:
            text = None
        self.files = self.parse(text)

    @staticmethod
    def parse(text: str | None) -> dict[str, FileState]:
        """The files recorded in the manifest's JSON ``text``: none if there is
        none yet or it is unreadable (every file is read again)."""
        try:
            return {k: FileState(**v) for k, v in json.loads(text)["files"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            return {}

    def dumps(self) -> str:
        """The manifest as JSON text."""
        return json.dumps({"files": {k: asdict(v) for k, v in sorted(self.files.items())}}, ensure_ascii=False) + "\n"

    def status(self, key: str, path: Path, read_with: str = "") -> tuple[str, FileState]:
        """``unchanged``, ``changed`` or ``new``, and the file's current state.
        Size and modification time decide; when they differ, the content digest.
        A file recorded with other read options (``read_with``) is changed; one
        that could not be opened is unchanged while it still cannot. OSError if
        the file cannot be examined."""
        st = path.stat()
        known = self.files.get(key)
        if known == PENDING:
            known, status = None, "new"  # a run stopped before it was recorded
        elif known is not None and known.read_with != read_with:
            known = None  # read again, as if new
            status = "changed"
        else:
            status = "new" if known is None else "changed"
        same_stat = known is not None and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns)
        if same_stat and known.sha1:
            return "unchanged", known
        try:
            sha1 = digest(path)
        except OSError:
            sha1 = ""  # cannot be opened: reading it says why
        state = FileState(st.st_size, st.st_mtime_ns, sha1, read_with=read_with)
        if known is not None and known.sha1 == sha1 and (sha1 or same_stat):
            self.files[key] = replace(state, reviews=known.reviews, failed=known.failed)
            return "unchanged", self.files[key]
        return status, state

    def recorded(self) -> int:
        """How many files are recorded as read (not PENDING)."""
        return sum(state != PENDING for state in self.files.values())

    def under(self, roots: list[Path]) -> list[str]:
        """Recorded files that are, or are inside, one of ``roots`` (absolute)."""
        prefixes = [file_key(r) for r in roots]
        return [f for f in self.files if any(f == p or f.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)]

    def save(self) -> None:
        write_atomic(self.path, self.dumps())
