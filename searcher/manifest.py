"""The files an index was built from, so re-runs read only what changed.

``files.json`` maps each file's absolute path to its size, modification time,
content digest and review count as of the last commit. It is saved after each
commit and is only a cache: a file it does not list is read again, and
re-reading a file replaces the reviews it held, so a crash between a commit and
the save costs a re-read, never a duplicate or a loss.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from .meta import write_atomic

MANIFEST_FILE = "files.json"


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    sha1: str
    reviews: int = 0


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
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self.files = {k: FileState(**v) for k, v in data["files"].items()}
        except (OSError, ValueError, KeyError, TypeError):
            self.files = {}  # none yet, or unreadable: every file is read again

    def status(self, key: str, path: Path) -> tuple[str, FileState]:
        """``unchanged``, ``changed`` or ``new``, and the file's current state.
        Size and modification time decide; when they differ, the content digest."""
        st = path.stat()
        known = self.files.get(key)
        if known and (known.size, known.mtime_ns) == (st.st_size, st.st_mtime_ns):
            return "unchanged", known
        state = FileState(st.st_size, st.st_mtime_ns, digest(path))
        if known is None:
            return "new", state
        if known.sha1 == state.sha1:
            self.files[key] = FileState(state.size, state.mtime_ns, state.sha1, known.reviews)
            return "unchanged", self.files[key]
        return "changed", state

    def under(self, roots: list[Path]) -> list[str]:
        """Recorded files that are, or are inside, one of ``roots`` (absolute)."""
        prefixes = [file_key(r) for r in roots]
        return [f for f in self.files if any(f == p or f.startswith(p.rstrip(os.sep) + os.sep) for p in prefixes)]

    def save(self) -> None:
        write_atomic(self.path, json.dumps({"files": {k: asdict(v) for k, v in sorted(self.files.items())}}, ensure_ascii=False) + "\n")
