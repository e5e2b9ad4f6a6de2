"""ReviewIndex: create or open an index, add reviews and files to it, search it."""

from __future__ import annotations

import datetime as _dt
import errno
import os
import pickle
import shlex
import shutil
import struct
import threading
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from whoosh import query as wq
from whoosh.reading import SegmentReader
from whoosh.searching import Searcher

from .analysis import DEFAULT, Analyzer
from .dates import PERIOD_FORMS, parse_period, period_end
from .errors import IndexAccessError, IndexDamagedError, QueryError, ReadError, RevsearchError
from . import matching
from .highlight import Wanted, passages
from .lock import WriteLock
from .manifest import Manifest, file_key
from .meta import (
    ACCESS_ERRNOS, IndexMeta, access_error, foreign_files, has_index, index_command, index_files, record_checksums,
    remove, remove_leftovers, require_index,
)
from .query import CompiledQuery, parse
from .readers import ReadOptions, iter_source_files
from .safeload import RefusedGlobal, ReviewFileIndex, create_index, open_index, refusal
from .results import Hit, Passage, Results
from .review import Review
from .ranking import RERANK_DEPTH, rerank, weighting
from .schema import analyzer_of, build_schema, stored_reviews
from .options import BATCH_SIZE, SORTS
from .writing import Analysis, IndexingInterrupted, Ingest, IngestReport, OnLoad, Progress, ReviewWriter, rare_collections


#: What reading missing or damaged index files raises (Whoosh's files, the
#: stored reviews' JSON and UTF-8). Anything else a search raises (a
#: RecursionError, a TypeError) is a bug of revsearch, not damage.
STORAGE_ERRORS = (OSError, EOFError, ValueError, struct.error, zlib.error, pickle.UnpicklingError)


class ReviewIndex:
    """A revsearch index in a folder. Build one with :meth:`create`, open one with :meth:`open`.

    ``wait`` is how long writing methods wait for another process writing
    the same index before raising IndexLockedError; ``on_wait`` is told once
    when they start waiting."""

    def __init__(self, ix: ReviewFileIndex, path: Path, wait: float = 0.0, on_wait: Callable[[str], None] | None = None):
        self._ix = ix
        self.path = path
        self.wait, self.on_wait = wait, on_wait
        #: The analyzer the index was built with (its user dictionary included).
        self.analyzer: Analyzer = analyzer_of(ix.schema)
        self._searcher: Searcher | None = None
        self._searching = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls, path: str | os.PathLike, user_dict: str | os.PathLike | None = None, *, wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None, on_load: OnLoad | None = None,
    ) -> ReviewIndex:
        """A new, empty index at ``path``, replacing an index already there
        (``--rebuild``). The folder must be empty or hold an index: revsearch
        never writes over other files. ``user_dict`` is a Kiwi user dictionary
        file (TSV: word, tag, score): its content is recorded in the index, and
        every text and query of the index is analysed with it (it is checked
        by loading Kiwi with it: ``on_load`` is told)."""
        analyzer = Analyzer.with_user_dict(user_dict, on_load) if user_dict else DEFAULT
        folder = Path(path)
        try:
            _refuse_foreign(folder)
            folder.mkdir(parents=True, exist_ok=True)
            with WriteLock(folder, wait, on_wait):
                for old in index_files(folder):
                    remove(old)
                # what the index records of itself first: a crash before Whoosh's table of
                # contents is written leaves no index, and the next run creates one
                IndexMeta.current(analyzer.user_dict, user_dict).write(folder)
                ix = create_index(str(folder), build_schema(analyzer))
                record_checksums(folder, ix.files())
        except OSError as e:
            raise access_error(folder, e, "create an index in") from e
        return cls(ix, folder, wait, on_wait)

    @classmethod
    def open(cls, path: str | os.PathLike, *, wait: float = 0.0, on_wait: Callable[[str], None] | None = None) -> ReviewIndex:
        """The index at ``path``. IndexNotFoundError if there is none,
        IncompatibleIndexError if it must be rebuilt for this revsearch,
        IndexDamagedError if its files are missing or corrupt."""
        folder = Path(path)
        require_index(folder)
        IndexMeta.read(folder).check_compatible(folder)
        try:
            ix = open_index(str(folder))
            _open_segments(ix)
        except Exception as e:  # Whoosh signals damage with assorted exception types
            raise damaged(folder, e) from e
        return cls(ix, folder, wait, on_wait)

    @classmethod
    def open_or_create(
        cls, path: str | os.PathLike, user_dict: str | os.PathLike | None = None, *, wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None, on_load: OnLoad | None = None,
    ) -> ReviewIndex:
        """The index at ``path``, created empty if there is none. A ``user_dict``
        must be the one the existing index was built with (or None, to keep it)."""
        if not has_index(Path(path)):
            return cls.create(path, user_dict, wait=wait, on_wait=on_wait, on_load=on_load)
        index = cls.open(path, wait=wait, on_wait=on_wait)
        if user_dict and Analyzer.with_user_dict(user_dict, on_load) != index.analyzer:
            index.close()
            raise RevsearchError(
                f"the index in {path} was built with another user dictionary than {user_dict}: rebuild it to use "
                f"this one, {index_command(Path(path), rebuild=True, user_dict=user_dict)}"
            )
        return index

    def __len__(self) -> int:
        """How many reviews the index holds, as its table of contents counts them (no segment is read)."""
        return sum(segment.doc_count() for segment in self._ix._read_toc().segments)

    def reviews(self) -> Iterator[Review]:
        """Every review in the index, as stored (keywords derived, if any, included).
        IndexDamagedError if they cannot be read."""
        try:
            with self._ix.reader() as reader:
                stored = stored_reviews(reader)
                for doc in reader.all_doc_ids():
                    yield Review.from_dict(stored(doc))
        except Exception as e:  # Whoosh and the stored JSON fail in many ways
            raise damaged(self.path, e) from e

    def close(self) -> None:
        self._forget_searcher()
        self._ix.close()

    def __enter__(self) -> ReviewIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _lock(self) -> Iterator[None]:
        """The index's write lock, held for a writing method; what a writer
        killed part way left is cleared first. An OS error while writing (a
        full disk) is a RevsearchError: the last commit stands."""
        try:
            with WriteLock(self.path, self.wait, self.on_wait):
                remove_leftovers(self.path)
                yield
        except OSError as e:
            raise write_failed(self.path, e) from e

    # --------------------------------------------------------------- adding

    def add(self, reviews: Iterable[Review]) -> int:
        """Index reviews, replacing any with the same id. Returns how many were indexed."""
        with self._lock():
            writer = ReviewWriter(self._ix)
            try:
                count = writer.add_all(reviews, self.analyzer)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        return count

    def update(self, review: Review) -> None:
        """Index one review, replacing the one with its id if there is one."""
        self.add([review])

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the reviews with these ids; returns how many there were."""
        with self._lock():
            writer = ReviewWriter(self._ix)
            try:
                count = sum(writer.delete(i) for i in ids)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
        return count

    def add_paths(
        self,
        paths: Iterable[str | os.PathLike],
        progress: Progress | None = None,
        options: ReadOptions | None = None,
        batch_size: int = BATCH_SIZE,
        on_load: OnLoad | None = None,
    ) -> IngestReport:
        """Bring the index up to date with review files (folders are walked).

        Only files that are new or changed since the last run, or last read
        with other ``options``, are read (size and modification time, then
        content digest); their old reviews are replaced. Files recorded under
        ``paths`` that are gone lose their reviews. Work is committed every
        ``batch_size`` reviews, so a crash keeps what was committed and the
        next run finishes the rest. A file or record that cannot be read is
        reported in the result, never fatal; a file that could not be read is
        not read again until it changes (it is reported as still skipped).
        Kiwi is loaded only if there is something to analyse; ``on_load`` is
        told when it starts and ends loading. Ctrl-C raises
        IndexingInterrupted with what was committed."""
        report = IngestReport()
        roots = [Path(p).absolute() for p in paths]
        with self._lock():
            meta = IndexMeta.read(self.path)
            recorded = meta.with_sources([r for r in roots if os.path.lexists(r)])  # what a rebuild command names
            if recorded != meta:
                recorded.write(self.path)
            manifest = Manifest(self.path)
            files, unlisted, others = _listed(roots, manifest, report)
            with Analysis(self.analyzer, on_load) as analysis:
                own = self.path.resolve()
                resolved = [(f, f.resolve()) for f in files]
                keyed = [(f, file_key(r)) for f, r in resolved if own not in r.parents]  # never the index's own files
                report.others = [f for f in others if own not in f.resolve().parents]
                seen = {key for _, key in keyed} | set(manifest.under(unlisted))
                gone = [f for f in manifest.under([r.resolve() for r in roots]) if f not in seen]
                ingest = Ingest(self._ix, manifest, report, batch_size)
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

    # ------------------------------------------------------------ searching

    def search(
        self,
        query: str,
        limit: int = 10,
        *,
        author: str | None = None,
        since: str | _dt.date | None = None,
        until: str | _dt.date | None = None,
        sort: str = "relevance",
        passages_per_hit: int = 3,
    ) -> Results:
        """Search with the query language (see :mod:`searcher.query`).

        Reviews holding every word of the query rank above those holding only
        some. ``author``, ``since`` and ``until`` filter; ``sort="date"``
        orders newest first instead of by relevance. ``passages_per_hit=0``
        leaves passages out (no text analysis after the search)."""
        if limit < 1:
            raise QueryError("limit must be at least 1")
        if sort not in SORTS:
            raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
        compiled = parse(query, self.analyzer)
        filt = _filter(author, since, until)
        ranked, reviews, total = self._find(compiled, limit, filt, sort)
        # Passages are Kiwi's work and use no searcher: other threads' searches run meanwhile.
        shown = self._passages(reviews, compiled.terms, passages_per_hit)
        hits = [Hit(review.id, score, review, p) for review, (_, score), p in zip(reviews, ranked, shown)]
        return Results(query, hits, total)

    def _find(
        self, compiled: CompiledQuery, limit: int, filt, sort: str
    ) -> tuple[list[tuple[int, float]], list[Review], int]:
        """The ranked (docnum, score) pairs, their reviews and how many matched.
        The kept searcher serves one search at a time: Whoosh's readers are not
        safe to share between threads."""
        error: Exception | None = None
        with self._searching:
            for _ in range(2):  # a second time if a commit replaced the segments as they were opened
                try:
                    return self._run(compiled, limit, filt, sort)
                except STORAGE_ERRORS as e:  # a segment file missing or corrupt
                    error = e
                    self._forget_searcher()
        raise damaged(self.path, error) from error

    def _current_searcher(self) -> Searcher:
        """A searcher over the last commit. It is kept between searches, since
        opening one reads every segment's directories (~100 ms on a large
        index), and opened anew after a commit. (Whoosh's ``refresh()`` would
        reuse segment readers, but keeps removed segments and stale deletions.)"""
        if self._searcher is not None and not self._searcher.up_to_date():
            self._forget_searcher()
        if self._searcher is None:
            self._searcher = self._ix.searcher(weighting=weighting())
        return self._searcher

    def _forget_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def _run(
        self, compiled: CompiledQuery, limit: int, filt, sort: str
    ) -> tuple[list[tuple[int, float]], list[Review], int]:
        s = self._current_searcher()
        if sort == "date":
            ranked, total = matching.Evaluation(s, filt).newest(compiled.loose, limit, "date")
        else:
            ranked, total = _tiered(s, compiled, limit, filt)
        stored = stored_reviews(s.reader())
        return ranked, [Review.from_dict(stored(doc)) for doc, _ in ranked], total

    def _passages(self, reviews: list[Review], terms: dict, top: int) -> list[list[Passage]]:
        """Each review's ``top`` best body passages, then its title if it
        matched; every text analysed in one call."""
        if top < 1:
            return [[] for _ in reviews]
        any_field = terms.get(None, set())
        body_terms = any_field | terms.get("body", set())
        title_terms = any_field | terms.get("title", set())
        wanted = [Wanted(r.body, body_terms, "body", top) for r in reviews]
        wanted += [Wanted(r.title, title_terms, "title", 1) for r in reviews]
        found = passages(wanted, self.analyzer)
        bodies, titles = found[: len(reviews)], found[len(reviews) :]
        return [body + [p for p in title if p.highlights] for body, title in zip(bodies, titles)]


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


def _open_segments(ix: ReviewFileIndex) -> None:
    """Open each segment's file and read its directory, so that one missing or
    cut short is found as the index is opened. Not a reader: that would load
    every segment's term index too (30 MB a segment on NSMC), which a search
    needs but an `index` run over files that have not changed does not."""
    for segment in ix._read_toc().segments:
        if segment.is_compound():
            segment.open_compound_file(ix.storage).close()
        else:
            with SegmentReader(ix.storage, ix.schema, segment):
                pass


def discard_empty(path: str | os.PathLike) -> bool:
    """Delete the folder at ``path`` if it holds an index without reviews, or
    nothing, and no other file: what a first run that failed leaves. Whether
    it did; never raises."""
    folder = Path(path)
    try:
        if foreign_files(folder):
            return False
        if has_index(folder):
            with ReviewIndex.open(folder) as ix:
                if len(ix):
                    return False
        shutil.rmtree(folder)
    except (OSError, RevsearchError):
        return False
    return True


def _refuse_foreign(folder: Path) -> None:
    """RevsearchError if ``folder`` holds files that are not an index's."""
    others = foreign_files(folder)
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3} more" if len(others) > 3 else "")
        raise RevsearchError(
            f"{folder} holds other files ({shown}), not a revsearch index: "
            "choose an empty folder or an index folder for --index"
        )


def write_failed(folder: Path, error: OSError) -> RevsearchError:
    """The error for an OS error while writing the index in ``folder``, or
    reading a source file the readers do not (its path outside the folder).
    Whoosh writes a commit's segment files before its table of contents, and
    revsearch's records after it, so the last commit is whole."""
    if error.filename is not None and not _inside(Path(os.fsdecode(error.filename)), folder):
        return ReadError(os.fsdecode(error.filename), f"cannot read: {error.strerror or error}")
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        message = f"disk full while writing the index in {folder}; the last commit is intact: free some space and run again"
        return IndexAccessError(message, str(folder), error.errno)
    return access_error(folder, error, "write the index in", intact=True)


def _inside(path: Path, folder: Path) -> bool:
    return path.absolute().is_relative_to(folder.absolute())


def damaged(folder: Path, error: Exception) -> RevsearchError:
    """The error for an index whose files cannot be read: IndexDamagedError,
    or IndexAccessError when the system refuses them (permissions)."""
    if isinstance(error, OSError) and error.errno in ACCESS_ERRNOS:
        return access_error(folder, error, "read the index in")
    if isinstance(error, RefusedGlobal):
        return IndexDamagedError(refusal(folder, error))
    return IndexDamagedError(
        f"the index in {folder} is damaged ({type(error).__name__}: {error}): "
        f"`revsearch check --index {shlex.quote(str(folder))}` says what is wrong; {index_command(folder, rebuild=True)} rebuilds it"
    )


def _tiered(s, compiled: CompiledQuery, limit: int, filt) -> tuple[list[tuple[int, float]], int]:
    """Reviews matching ``compiled.strict`` first, then the rest of ``compiled.loose``,
    each tier's best re-ranked by coverage; and how many matched ``loose``."""
    evaluation = matching.Evaluation(s, filt)
    depth = max(limit, RERANK_DEPTH)
    first, total = evaluation.top(compiled.strict, depth)
    first = rerank(s, first, compiled)[:limit]
    if compiled.strict == compiled.loose:
        return first, total
    if len(first) == limit:  # the second tier is only counted
        return first, evaluation.count(compiled.loose)
    seen = {doc for doc, _ in first}
    rest, total = evaluation.top(compiled.loose, depth + len(first))
    first += rerank(s, [hit for hit in rest if hit[0] not in seen], compiled)[: limit - len(first)]
    return first, total


def _date_bound(value: str | _dt.date | None, name: str) -> str | None:
    """``since`` or ``until`` as ISO text: a day, or a month or a year (dates.parse_period)."""
    if value is None or isinstance(value, _dt.date):
        return value.isoformat() if value else None
    period = parse_period(value)
    if period is None:
        raise QueryError(f"cannot read the {name} date {value!r}; write it as {PERIOD_FORMS}")
    return period if name == "since" else period_end(period)


def _filter(author: str | None, since, until) -> wq.Query | None:
    clauses: list[wq.Query] = []
    if author:
        clauses.append(wq.Term("author", author.strip().lower()))
    start, end = _date_bound(since, "since"), _date_bound(until, "until")
    if start or end:
        clauses.append(wq.TermRange("date", start, end))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else wq.And(clauses)
