"""What an index records about itself (``revsearch.json``, ``checksums.json``),
which folders revsearch may write an index into, and what to tell a user the
system refuses there.

The record holds the revsearch version that built the index, the schema
version and the analysis version (bumped whenever a change to either would
make an old index answer differently), a digest of the user dictionary and
its path, and the files and folders it was built from (its sources). An index
opens when its schema and analysis versions are this revsearch's; otherwise the
user is told to rebuild it, with a command that names its sources.

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
import shlex
import shutil
import zlib
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from .errors import IncompatibleIndexError, IndexAccessError, IndexNotFoundError, RevsearchError

#: The layout of the fields and what they hold.
SCHEMA_VERSION = 3
#: How text becomes terms (analysis.py) and queries become Whoosh queries.
ANALYSIS_VERSION = 4
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
    """``sources`` are the files and folders the index was built from (absolute,
    none inside another), ``user_dict_file`` the user dictionary it was
    created with: what a command to rebuild it names. ``synonyms`` is the text
    of its synonym file (see searcher.synonyms), ``synonyms_file`` its path."""

    revsearch: str
    schema: int = SCHEMA_VERSION
    analysis: int = ANALYSIS_VERSION
    user_dict_sha1: str = ""
    user_dict_file: str = ""
    sources: tuple[str, ...] = ()
    synonyms: str = ""
    synonyms_file: str = ""

    @classmethod
    def current(cls, user_dict: str, user_dict_file: str | os.PathLike | None = None) -> IndexMeta:
        from . import __version__

        digest = hashlib.sha1(user_dict.encode("utf-8")).hexdigest() if user_dict else ""
        return cls(__version__, user_dict_sha1=digest, user_dict_file=os.path.abspath(user_dict_file) if user_dict_file else "")

    def write(self, folder: Path) -> None:
        write_atomic(folder / META_FILE, json.dumps(asdict(self), indent=2) + "\n")

    def with_sources(self, roots: list[Path]) -> IndexMeta:
        """The record with ``roots`` among its sources (absolute, ``..`` resolved):
        a root inside another is left out, and drops those inside it."""
        sources = list(self.sources)
        for root in map(os.path.abspath, roots):
            if any(_within(root, s) for s in sources):
                continue
            sources = [s for s in sources if not _within(s, root)] + [root]
        return replace(self, sources=tuple(sources))

    @classmethod
    def read(cls, folder: Path) -> IndexMeta:
        """The record in ``folder``; IncompatibleIndexError if it is missing
        (deleted, or an index from before records were kept) or unreadable,
        IndexAccessError if the system refuses it."""
        path = folder / META_FILE
        try:
            return cls._from(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise IncompatibleIndexError(
                f"the index in {folder} has no {META_FILE}, the record of how it was built (deleted, or made by a "
                f"revsearch older than records): rebuild it with {index_command(folder, rebuild=True)}"
            ) from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            if isinstance(e, OSError) and e.errno in ACCESS_ERRNOS:
                raise access_error(folder, e, "read the index in") from e
            raise IncompatibleIndexError(f"{path} is unreadable ({e}): rebuild it with {index_command(folder, rebuild=True)}") from e

    @classmethod
    def _from(cls, data: dict) -> IndexMeta:
        """The record in the JSON ``data``; what records from older revsearch lack takes its default."""
        meta = cls(**{k: data[k] for k in ("revsearch", "schema", "analysis", "user_dict_sha1")})
        sources, user_dict_file = data.get("sources", []), data.get("user_dict_file", "")
        if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources) or not isinstance(user_dict_file, str):
            raise ValueError("its sources are not a list of paths")
        synonyms = {k: data.get(k, "") for k in ("synonyms", "synonyms_file")}
        if not all(isinstance(v, str) for v in synonyms.values()):
            raise ValueError("its synonyms are not text")
        return replace(meta, sources=tuple(sources), user_dict_file=user_dict_file, **synonyms)

    def check_compatible(self, folder: Path) -> None:
        """IncompatibleIndexError unless this revsearch can use the index as it is."""
        if (self.schema, self.analysis) != (SCHEMA_VERSION, ANALYSIS_VERSION):
            raise IncompatibleIndexError(
                f"the index in {folder} was built by revsearch {self.revsearch} (schema {self.schema}, "
                f"analysis {self.analysis}); this revsearch needs schema {SCHEMA_VERSION}, analysis "
                f"{ANALYSIS_VERSION}: rebuild it with {index_command(folder, rebuild=True)}"
            )


def _within(path: str, folder: str) -> bool:
    """Whether ``path`` is ``folder`` or inside it (both absolute)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def index_command(folder: Path | str, *, rebuild: bool = False, user_dict: str | os.PathLike | None = None) -> str:
    """The `revsearch index` command, in backticks and ready to paste here, that
    brings the index in ``folder`` up to date (or ``rebuild``s it) from what it
    was built from: the sources it records, else the common folder of the files
    it holds (an index from before sources were recorded), else ``PATH...``. A
    rebuild keeps the recorded user dictionary, or takes ``user_dict``, and the recorded synonym file."""
    meta, files = _recorded(folder)
    sources = list(meta.sources) if meta else []
    if not sources:
        sources = [os.path.commonpath(files)] if files else []
    words = [_shell(s) for s in sources] or ["PATH..."]
    if rebuild:
        words.append("--rebuild")
        user_dict = user_dict or (meta.user_dict_file if meta else "")
        if user_dict:
            words += ["--user-dict", _shell(os.path.abspath(user_dict))]
        if meta and meta.synonyms_file:
            words += ["--synonyms", _shell(meta.synonyms_file)]
    return "`" + " ".join(["revsearch", "index", *words, "--index", shlex.quote(str(folder))]) + "`"


def _recorded(location: object) -> tuple[IndexMeta | None, list[str]]:
    """The record of the index at ``location`` (None if it cannot be read) and the files its manifest lists."""
    from .engines import is_cluster, locate

    if is_cluster(str(location)):
        try:
            records = locate(str(location))[1]
            return records.read_meta(), list(records.manifest().files)
        except (RevsearchError, OSError):
            return None, []
    from .manifest import Manifest

    try:
        meta: IndexMeta | None = IndexMeta._from(json.loads((Path(location) / META_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        meta = None
    return meta, list(Manifest(Path(location)).files)


def _shell(path: str) -> str:
    """An absolute ``path`` as a shell word: relative to the working folder when it is inside it."""
    relative = os.path.relpath(path)
    return shlex.quote(path if relative.split(os.sep)[0] == os.pardir else relative)


#: OS errors that say the index folder cannot be used as it is (its permissions,
#: its file system, its path), not that the index is damaged: rebuilding would not help.
ACCESS_ERRNOS = frozenset(
    {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP, errno.ENOSPC, errno.EDQUOT}
)
#: What to do about each (permissions are told in access_error, naming the path).
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


def index_stamp(folder: Path) -> tuple:
    """What changes when a commit or a rebuild changes the index in ``folder``:
    the identity, time and size of its tables of contents and of its record."""
    stamp = []
    for path in sorted(folder.glob("_MAIN_*.toc")) + [folder / META_FILE]:
        try:
            info = path.stat()
        except OSError:
            continue
        stamp.append((path.name, info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(stamp)


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
    raise IndexNotFoundError(f"no index in {folder}: build one with {index_command(folder)}")


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
