"""ReviewIndex: the library's facade. Creates or opens an index (its engine:
see searcher.engines), adds reviews and files to it (see searcher.ingest), searches
it (see search); each method a few lines over those."""

from __future__ import annotations

import datetime as _dt
import errno
import os
import shutil
import threading
from dataclasses import replace
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator

from .analysis import DEFAULT, Analyzer
from .engine import Engine, EngineInfo, EngineView, EngineWriter
from .engines import locate
from .errors import IndexAccessError, QueryError, ReadError, RevsearchError
from .lexicon import Completion, Lexicon
from .ingest import run
from .ingest.report import IngestReport
from .ingest.run import OnLoad, Progress
from .meta import IndexMeta, access_error, foreign_files, has_index, index_command
from .readers import ReadOptions
from .records import Records
from .results import Results
from .request import SearchRequest
from .review import Review
from .query import QueryPlan, parse
from .search import search
from .similar import similar
from .settings import IngestSettings, SearchSettings
from .synonyms import Synonyms
from .stats import IndexStats, index_stats


class ReviewIndex:
    """A revsearch index. Build one with :meth:`create`, open one with :meth:`open`.

    ``wait`` is how long writing methods wait for another process writing
    the same index before raising IndexLockedError; ``on_wait`` is told once
    when they start waiting. ``settings`` are how searches plan and rank
    (see SearchSettings); ``ingest`` how files are read, analysed and written."""

    def __init__(
        self, engine: Engine, records: Records, wait: float = 0.0, on_wait: Callable[[str], None] | None = None, *,
        settings: SearchSettings | None = None, ingest: IngestSettings | None = None, synonyms: Synonyms | None = None,
    ):
        self._engine, self._records = engine, records
        #: Where the index is: its folder, or its cluster address (see searcher.engines).
        self.path: Path | str = str(records.where) if records.folder is None else records.folder
        self.wait, self.on_wait = wait, on_wait
        self.settings = settings or SearchSettings()
        self.ingest_settings = ingest or IngestSettings()
        #: The analyzer the index was built with (its user dictionary included).
        self.analyzer: Analyzer = engine.analyzer
        #: The synonyms searches expand their words with (see searcher.synonyms); None if none are set.
        self.synonyms: Synonyms | None = synonyms
        self._lexicon: Lexicon | None = None  # built on first use, dropped when this instance writes
        self._lexicon_lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(
        cls, path: str | os.PathLike, user_dict: str | os.PathLike | None = None, *, wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None, on_load: OnLoad | None = None,
        settings: SearchSettings | None = None, ingest: IngestSettings | None = None, engine_settings: object = None,
        synonyms: str | os.PathLike | None = None,
    ) -> ReviewIndex:
        """A new, empty index at ``path``, replacing an index already there
        (``--rebuild``). The folder must be empty or hold an index: revsearch
        never writes over other files. ``user_dict`` is a Kiwi user dictionary
        file (TSV: word, tag, score): its content is recorded in the index, and
        every text and query of the index is analysed with it (it is checked
        by loading Kiwi with it: ``on_load`` is told). ``engine_settings`` are
        the engine's own knobs (WhooshSettings for an index in a folder; None:
        its defaults); ``settings``: see the class. ``synonyms`` is a synonym
        file, recorded as :meth:`set_synonyms` does."""
        analyzer = Analyzer.with_user_dict(user_dict, on_load) if user_dict else DEFAULT
        chosen = _checked_synonyms(synonyms, analyzer, on_load)
        kind, records = locate(path)
        try:
            records.prepare()
            with records.lock(wait, on_wait):
                records.clear()
                # what the index records of itself first: a crash before the engine's
                # files are written leaves no index, and the next run creates one
                records.write_meta(_with_synonyms(IndexMeta.current(analyzer.user_dict, user_dict), chosen))
                engine = kind.create(records.where, analyzer, engine_settings)
        except OSError as e:
            if records.folder is None:
                raise
            raise access_error(records.folder, e, "create an index in") from e
        return cls(engine, records, wait, on_wait, settings=settings, ingest=ingest, synonyms=chosen)

    @classmethod
    def open(
        cls, path: str | os.PathLike, *, wait: float = 0.0, on_wait: Callable[[str], None] | None = None,
        settings: SearchSettings | None = None, ingest: IngestSettings | None = None, engine_settings: object = None,
    ) -> ReviewIndex:
        """The index at ``path``. IndexNotFoundError if there is none,
        IncompatibleIndexError if it must be rebuilt for this revsearch,
        IndexDamagedError if its files are missing or corrupt. ``engine_settings``:
        see :meth:`create`."""
        kind, records = locate(path)
        records.require()
        meta = records.read_meta()
        meta.check_compatible(records.where)
        synonyms = Synonyms.parse(meta.synonyms, meta.synonyms_file or "the synonyms recorded") if meta.synonyms else None
        engine = kind.open(records.where, engine_settings)
        return cls(engine, records, wait, on_wait, settings=settings, ingest=ingest, synonyms=synonyms)

    @classmethod
    def open_or_create(
        cls, path: str | os.PathLike, user_dict: str | os.PathLike | None = None, *, wait: float = 0.0,
        on_wait: Callable[[str], None] | None = None, on_load: OnLoad | None = None,
        settings: SearchSettings | None = None, ingest: IngestSettings | None = None, engine_settings: object = None,
        synonyms: str | os.PathLike | None = None,
    ) -> ReviewIndex:
        """The index at ``path``, created empty if there is none. A ``user_dict``
        must be the one the existing index was built with (or None, to keep it);
        ``synonyms`` replace those of an existing index (None: kept).
        ``engine_settings`` and ``settings``: see :meth:`create`."""
        chosen = dict(settings=settings, ingest=ingest, engine_settings=engine_settings)
        if not locate(path)[1].exists():
            return cls.create(path, user_dict, wait=wait, on_wait=on_wait, on_load=on_load, synonyms=synonyms, **chosen)
        index = cls.open(path, wait=wait, on_wait=on_wait, **chosen)
        if user_dict and Analyzer.with_user_dict(user_dict, on_load) != index.analyzer:
            index.close()
            raise RevsearchError(
                f"the index in {path} was built with another user dictionary than {user_dict}: rebuild it to use "
                f"this one, {index_command(path, rebuild=True, user_dict=user_dict)}"
            )
        if synonyms:
            try:
                index.set_synonyms(synonyms, on_load)
            except BaseException:
                index.close()
                raise
        return index

    def set_synonyms(self, path: str | os.PathLike | None, on_load: OnLoad | None = None) -> None:
        """Record the synonym file at ``path`` with the index (its text: later
        edits to the file change nothing until it is set again), replacing the
        synonyms recorded; None removes them. Searches expand their words with
        them from now on, no rebuild needed; a resident server reopens the index.
        SynonymError naming the file and line of a malformed one, nothing recorded."""
        chosen = _checked_synonyms(path, self.analyzer, on_load)
        with self._lock():
            self._records.write_meta(_with_synonyms(self._records.read_meta(), chosen))
        self.synonyms = chosen

    def __len__(self) -> int:
        """How many reviews the index holds (cheap: nothing is searched)."""
        return len(self._engine)

    def reviews(self) -> Iterator[Review]:
        """Every review in the index, as stored (keywords derived, if any, included).
        IndexDamagedError if they cannot be read."""
        for stored in self._engine.reviews():
            try:
                review = Review.from_dict(stored)
            except (ValueError, TypeError, KeyError) as e:  # stored data that is no review: damage
                raise self._engine.damaged(e) from e
            yield review

    @property
    def engine(self) -> Engine:
        """The engine holding the index (see searcher.engine)."""
        return self._engine

    def describe(self) -> EngineInfo:
        """What the index's engine tells of itself: kind, version, reviews, size on disk."""
        return self._engine.describe()

    def close(self) -> None:
        self._engine.close()

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
            with self._records.lock(self.wait, self.on_wait):
                try:
                    yield
                finally:
                    self._lexicon = None
        except OSError as e:
            if self._records.folder is None:
                raise
            raise write_failed(self._records.folder, e) from e

    @contextmanager
    def _writing(self) -> Iterator[EngineWriter]:
        """A writer of the engine, under the write lock: committed if the block ends well, else cancelled."""
        with self._lock():
            writer = self._engine.writer()
            try:
                yield writer
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    # --------------------------------------------------------------- adding

    def add(self, reviews: Iterable[Review]) -> int:
        """Index reviews, replacing any with the same id. Returns how many were
        indexed. They are analysed in a thread while they are written."""
        with self._writing() as writer:
            return run.add_reviews(writer, self._engine.encoder(), reviews, self.ingest_settings)

    def update(self, review: Review) -> None:
        """Index one review, replacing the one with its id if there is one."""
        self.add([review])

    def delete(self, ids: Iterable[str]) -> int:
        """Delete the reviews with these ids; returns how many there were."""
        with self._writing() as writer:
            return sum(writer.delete(i) for i in ids)

    def add_paths(
        self,
        paths: Iterable[str | os.PathLike],
        progress: Progress | None = None,
        options: ReadOptions | None = None,
        batch_size: int | None = None,
        on_load: OnLoad | None = None,
    ) -> IngestReport:
        """Bring the index up to date with review files (folders are walked).

        Only files that are new or changed since the last run, or last read
        with other ``options``, are read (size and modification time, then
        content digest); their old reviews are replaced. Files recorded under
        ``paths`` that are gone lose their reviews. Work is committed every
        ``batch_size`` reviews (default: the ingest settings'), so a crash keeps what was committed and the
        next run finishes the rest. A file or record that cannot be read is
        reported in the result, never fatal; a file that could not be read is
        not read again until it changes (it is reported as still skipped).
        Kiwi is loaded only if there is something to analyse; ``on_load`` is
        told when it starts and ends loading. Ctrl-C raises
        IndexingInterrupted with what was committed."""
        with self._lock():
            return run.add_paths(
                self._engine, self._records, paths, self.ingest_settings, progress=progress, options=options,
                batch_size=batch_size, on_load=on_load,
            )

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
        reverse: bool = False,
        offset: int = 0,
        group: str | None = None,
        explain: bool = False,
        facets: Iterable[str] = (),
    ) -> Results:
        """Search with the query language (see :mod:`searcher.query`).

        Reviews holding every word of the query rank above those holding only
        some. ``author``, ``since`` and ``until`` filter; ``sort="date"`` or
        ``"rating"`` orders newest or highest first instead of by relevance
        (``reverse``: oldest or lowest first). ``offset`` skips that many hits
        (pages: ``offset=(page - 1) * limit``; past the end, no hits).
        ``group="item"`` or ``"author"``: the best review of each, with its
        group's count (``hit.group``). ``explain``: each hit's ``explain``
        says why it ranks there. ``facets`` (any of ``rating``, ``date:year``,
        ``date:month``, ``author``, ``item``, ``keywords``, ``terms``) are
        counted over every review matched, into ``results.facets`` (see
        searcher.facets). ``passages_per_hit=0`` leaves passages out (no text
        analysis after the search)."""
        return self.execute(SearchRequest(
            query, limit, author, since, until, sort, passages_per_hit, reverse, offset, group, explain, tuple(facets),
        ))

    def execute(self, request: SearchRequest) -> Results:
        """The results of a search asked as a :class:`SearchRequest` (see :meth:`search`)."""
        return search(self._engine, request, self.settings, self.synonyms, self.lexicon)

    def stats(self) -> IndexStats:
        """What the index holds: reviews, files, date range, ratings, top items
        and authors, size on disk, analyzer settings (see searcher.stats)."""
        return index_stats(self._engine, self._records, self.settings)

    def similar(self, review_id: str, limit: int = 10, *, passages_per_hit: int = 3) -> Results:
        """The ``limit`` reviews most like the one with id ``review_id``: its
        most distinctive terms (weighed as BM25 weighs them) searched for in the
        others, itself left out, each hit with its passages. ``results.query``
        is the terms searched for. QueryError if no review has that id."""
        return similar(self._engine, review_id, limit, self.settings, passages_per_hit)

    def lexicon(self, view: EngineView | None = None) -> Lexicon:
        """The index's words arranged for completion and correction (see
        searcher.lexicon): built on first use (seconds on 350,000 reviews),
        from ``view`` if given (a search's), and kept until this instance
        writes to the index."""
        with self._lexicon_lock:
            if self._lexicon is None:
                self._lexicon = Lexicon.of(view) if view is not None else self._engine.read(Lexicon.of)
            return self._lexicon

    def suggest(self, prefix: str, limit: int = 10) -> list[Completion]:
        """The index's words that ``prefix`` may be the start of, held by the
        most reviews first, typed key by key ('ㅅ', '사', '삼' and '사만' reach
        사만다) or as 초성 ('ㅅㅁㄷ', '사ㅁ'). QueryError for an empty prefix."""
        if not prefix.strip():
            raise QueryError("the prefix is empty: give the start of a word, e.g. 사만 or ㅅㅁㄷ")
        if limit < 1:
            raise QueryError("limit must be at least 1")
        return self.lexicon().complete(prefix, limit)

    def plan(self, query: str) -> QueryPlan:
        """The plan a search for ``query`` evaluates (printable, synonyms it was expanded with included; see searcher.plan)."""
        return parse(query, self.analyzer, self.settings, self.synonyms)


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


def _checked_synonyms(path: str | os.PathLike | None, analyzer: Analyzer, on_load: OnLoad | None) -> Synonyms | None:
    """The synonyms in the file at ``path`` (None: none), every entry analysed
    with ``analyzer`` (Kiwi loaded if need be: ``on_load`` is told); SynonymError
    naming the file and line of the first that is malformed."""
    if path is None:
        return None
    synonyms = Synonyms.read(path)
    analyzer.model(on_load)
    synonyms.compiled(analyzer)
    return synonyms


def _with_synonyms(meta: IndexMeta, synonyms: Synonyms | None) -> IndexMeta:
    """``meta`` recording ``synonyms`` (their text and file)."""
    if synonyms is None:
        return replace(meta, synonyms="", synonyms_file="")
    return replace(meta, synonyms=synonyms.text, synonyms_file=os.path.abspath(synonyms.name))


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
