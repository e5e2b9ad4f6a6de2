"""What an index records about itself (``revsearch.json``, ``checksums.json``),
and which folders revsearch may write an index into.

The record holds the revsearch version that built the index, the schema
version and the analysis version (bumped whenever a change to either would
make an old index answer differently), and a digest of the user dictionary.
An index opens when its schema and analysis versions are this revsearch's;
otherwise the user is told to rebuild it.

Whoosh keeps no checksums, so a flipped bit in a segment file can change
answers silently. Each commit records a checksum of each file it wrote: an
index's files never change once written (a commit writes new segment files
and a new table of contents, and deletes those it no longer needs), so only
new files are summed. ``revsearch check`` compares.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import os
import re
import shutil
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import IncompatibleIndexError, IndexAccessError, IndexNotFoundError

#: The layout of the fields and what they hold.
SCHEMA_VERSION = 3
#: How text becomes terms (analysis.py) and queries become Whoosh queries.
ANALYSIS_VERSION = 2
META_FILE = "revsearch.json"
#: The checksum of each file of the index's last commit, by name (see record_checksums).
CHECKSUM_FILE = "checksums.json"
#: Files in an index folder that are revsearch's (or Whoosh's, on its behalf).
_OURS = re.compile(r"(revsearch|files|checksums)\.json(\.tmp)?|revsearch\.lock|MAIN_WRITELOCK|_?MAIN[_.][\w.]+|README\.md|\.gitignore")
#: What a writer killed part way leaves, which no reader uses: Whoosh's folder of pooled postings
#: (``MAIN.tmp/``), a table of contents written but not yet renamed (``_MAIN_3.toc.1733212345.6``),
#: and the temporary copies of revsearch's records.
_LEFTOVERS = re.compile(r"MAIN\.tmp|_MAIN_\d+\.toc\.[\d.]+|(revsearch|files|checksums)\.json\.tmp")


@dataclass(frozen=True)
class IndexMeta:
    revsearch: str
    schema: int = SCHEMA_VERSION
    analysis: int = ANALYSIS_VERSION
    user_dict_sha1: str = ""

    @classmethod
    def current(cls, user_dict: str) -> IndexMeta:
        from . import __version__

        digest = hashlib.sha1(user_dict.encode("utf-8")).hexdigest() if user_dict else ""
        return cls(__version__, user_dict_sha1=digest)

    def write(self, folder: Path) -> None:
        write_atomic(folder / META_FILE, json.dumps(asdict(self), indent=2) + "\n")

    @classmethod
    def read(cls, folder: Path) -> IndexMeta:
        """The record in ``folder``; IncompatibleIndexError if it is missing
        (deleted, or an index from before records were kept) or unreadable."""
        path = folder / META_FILE
        rebuild = f"rebuild it with `revsearch index --rebuild --index {folder}`"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: data[k] for k in ("revsearch", "schema", "analysis", "user_dict_sha1")})
        except FileNotFoundError:
            raise IncompatibleIndexError(
                f"the index in {folder} has no {META_FILE}, the record of how it was built (deleted, or made by a "
                f"revsearch older than records): {rebuild}"
            ) from None
        except OSError as e:
            if e.errno in ACCESS_ERRNOS:
                raise access_error(folder, e, "read the index in") from e
            raise IncompatibleIndexError(f"{path} is unreadable ({e}): {rebuild}") from e
        except (ValueError, KeyError, TypeError) as e:
            raise IncompatibleIndexError(f"{path} is unreadable ({e}): {rebuild}") from e

    def check_compatible(self, folder: Path) -> None:
        """IncompatibleIndexError unless this revsearch can use the index as it is."""
        if (self.schema, self.analysis) != (SCHEMA_VERSION, ANALYSIS_VERSION):
            raise IncompatibleIndexError(
                f"the index in {folder} was built by revsearch {self.revsearch} (schema {self.schema}, "
                f"analysis {self.analysis}); this revsearch needs schema {SCHEMA_VERSION}, analysis "
                f"{ANALYSIS_VERSION}: rebuild it with `revsearch index --rebuild --index {folder}`"
            )


#: OS errors that say the index folder cannot be used as it is (its permissions,
#: its file system, its path), not that the index is damaged: rebuilding would not help.
ACCESS_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.ENOSPC, errno.EDQUOT}
)
#: What to do about each, after the error; {path} is the file or folder refused.
_ACCESS_HINTS = {
    errno.EROFS: "it is on a read-only file system; choose a folder on a writable one with --index",
    errno.ENOTDIR: "part of the path is a file, not a folder; choose a folder for --index",
    errno.ENAMETOOLONG: "choose a shorter path for --index",
    errno.ELOOP: "too many symbolic links in the path; choose another folder for --index",
    errno.ENOSPC: "free some space and run again",
    errno.EDQUOT: "free some space and run again",
}


def access_error(folder: Path, error: OSError, doing: str, *, intact: bool = False) -> IndexAccessError:
    """The one-line error for the operating system refusing to ``doing`` (e.g.
    "read the index in") ``folder``: the reason, the file refused if it is not
    the folder, and what to do. ``intact``: an index was there, and its last
    commit stands."""
    refused = _shown(folder, error.filename)
    where = f" ({refused})" if refused != str(folder) else ""
    hint = _ACCESS_HINTS.get(error.errno, "")
    if error.errno in (errno.EACCES, errno.EPERM):
        # a folder not made yet is refused by its parent
        blocked = refused if os.path.lexists(refused) else str(Path(refused).parent)
        hint = f"check the permissions of {blocked}" + ("" if doing.startswith("read") else ", or choose a folder you can write with --index")
    message = f"cannot {doing} {folder}: {error.strerror or error}{where}"
    message += "; the last commit is intact" if intact else ""
    return IndexAccessError(message + (f": {hint}" if hint else ""), refused, error.errno)


def _shown(folder: Path, filename: object) -> str:
    """A path an OS error named, as the user wrote the index folder (Whoosh names its files absolute)."""
    if filename is None:
        return str(folder)
    path = Path(os.fsdecode(filename))
    try:
        return str(folder / path.absolute().relative_to(Path(folder).absolute()))
    except ValueError:
        return str(path)


def _names(folder: Path) -> list[str]:
    """The names in ``folder``; none if it does not exist. OSError if it cannot be listed."""
    try:
        return os.listdir(folder)
    except FileNotFoundError:
        return []


def _is_toc(name: str) -> bool:
    return fnmatch.fnmatchcase(name, "_MAIN_*.toc")


def has_index(folder: Path) -> bool:
    """Whether ``folder`` holds an index's table of contents (read or not: it
    may be damaged); False as well if the folder cannot be listed."""
    try:
        return any(map(_is_toc, _names(folder)))
    except OSError:
        return False


def require_index(folder: Path) -> None:
    """IndexNotFoundError unless ``folder`` holds an index's table of contents,
    IndexAccessError if it cannot be listed."""
    try:
        names = _names(folder)
    except OSError as e:
        raise access_error(folder, e, "read the index in") from e
    if any(map(_is_toc, names)):
        return
    if any(not _OURS.fullmatch(name) for name in names):
        raise IndexNotFoundError(f"{folder} is not a revsearch index")
    raise IndexNotFoundError(f"no index in {folder}: run `revsearch index` first")


def foreign_files(folder: Path) -> list[str]:
    """Names in ``folder`` that are not an index's files (empty if the folder
    does not exist); OSError if it cannot be listed."""
    return sorted(name for name in _names(folder) if not _OURS.fullmatch(name))


def index_files(folder: Path) -> list[Path]:
    """The files (and Whoosh's temporary folder) of an index in ``folder``: what a
    rebuild deletes, READMEs and the lock aside. Tables of contents come first, so
    a rebuild cut short leaves no index rather than one missing its segments."""
    ours = [p for p in folder.iterdir() if _OURS.fullmatch(p.name) and p.name not in ("README.md", ".gitignore", "revsearch.lock")]
    return sorted(ours, key=lambda p: not p.name.endswith(".toc"))


def remove_leftovers(folder: Path) -> None:
    """Delete what a writer killed part way left in ``folder`` (see _LEFTOVERS);
    called with the index's write lock held, so no writer is using them."""
    for path in folder.iterdir():
        if _LEFTOVERS.fullmatch(path.name):
            remove(path)


def remove(path: Path) -> None:
    """Delete a file, or a folder with what it holds."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def file_checksum(path: Path) -> str:
    """The CRC-32 of a file's content, as 8 hex digits."""
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return f"{crc:08x}"


def read_checksums(folder: Path) -> dict[str, str] | None:
    """The checksums recorded in ``folder``; None if there are none (an index
    from before they were kept). ValueError if the record cannot be read,
    OSError if the system refuses it (ACCESS_ERRNOS)."""
    try:
        data = json.loads((folder / CHECKSUM_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except OSError as e:
        if e.errno in ACCESS_ERRNOS:
            raise
        raise ValueError(f"{CHECKSUM_FILE} cannot be read ({e})") from e
    except ValueError as e:  # a decoding error is a ValueError
        raise ValueError(f"{CHECKSUM_FILE} cannot be read ({e})") from e
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{CHECKSUM_FILE} is not a record of checksums")
    return data


def record_checksums(folder: Path, names: list[str]) -> None:
    """Record the checksums of the files ``names`` of an index (those of its
    last commit): files recorded already keep theirs, the others are summed,
    files no longer named are forgotten. A record that cannot be read is made
    anew."""
    try:
        known = read_checksums(folder) or {}
    except ValueError:
        known = {}
    sums = {name: known.get(name) or file_checksum(folder / name) for name in names}
    write_atomic(folder / CHECKSUM_FILE, json.dumps(sums, indent=1) + "\n")


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves either the old or the new content."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
