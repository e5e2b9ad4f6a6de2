"""The Whoosh engine: an index in a folder of Whoosh files, behind the seam
of :mod:`searcher.engine`. Plans are compiled into Whoosh queries (see
compile) and evaluated over whole posting lists with numpy (see matching);
batches are written by revsearch's segment writer (see segment)."""

from __future__ import annotations

import os
import pickle
import shlex
import struct
import threading
import zlib
from pathlib import Path
from typing import Any, Callable, Iterator, TypeVar

import whoosh
from whoosh.reading import SegmentReader
from whoosh.scoring import BM25F
from whoosh.searching import Searcher

from ... import plan as p
from ...analysis import Analyzer
from ...engine import Candidate, EngineInfo, Verification
from ...errors import IndexDamagedError, RevsearchError
from ...meta import ACCESS_ERRNOS, access_error, index_command, record_checksums
from ...settings import SearchSettings
from .batch import Encoder
from .compile import whoosh_query
from .matching import Caches, Evaluation, holding
from .safeload import RefusedGlobal, ReviewFileIndex, create_index, open_index, refusal
from .schema import analyzer_of, build_schema, stored_reviews
from .settings import WhooshSettings
from .verify import verify
from .writer import ReviewWriter

T = TypeVar("T")

#: What reading missing or damaged index files raises (Whoosh's files, the
#: stored reviews' JSON and UTF-8). Anything else a search raises (a
#: RecursionError, a TypeError) is a bug of revsearch, not damage.
STORAGE_ERRORS = (OSError, EOFError, ValueError, struct.error, zlib.error, pickle.UnpicklingError)


class WhooshEngine:
    """An open Whoosh index in ``folder``. Its caches (segments' columns,
    posting lists, the searcher kept between searches) are its own."""

    def __init__(self, ix: ReviewFileIndex, folder: Path, settings: WhooshSettings | None = None):
        self._ix, self.folder = ix, folder
        self.settings = settings or WhooshSettings()
        #: The analyzer the index was built with (its user dictionary included).
        self.analyzer: Analyzer = analyzer_of(ix.schema)
        self._caches = Caches(self.settings.postings_cached, self.settings.narrow_from)
        self._searcher: Searcher | None = None
        self._searching = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, folder: Path, analyzer: Analyzer, settings: WhooshSettings | None = None) -> WhooshEngine:
        """A new, empty index in ``folder`` (which holds no other index), its files' checksums recorded."""
        ix = create_index(str(folder), build_schema(analyzer))
        record_checksums(folder, ix.files())
        return cls(ix, folder, settings)

    @classmethod
    def open(cls, folder: Path, settings: WhooshSettings | None = None) -> WhooshEngine:
        """The index in ``folder``, each segment's file opened and its
        directory read, so that one missing or cut short is found now.
        IndexDamagedError (or IndexAccessError) if it cannot be."""
        try:
            ix = open_index(str(folder))
            for segment in ix._read_toc().segments:
                # not a reader: that would load every segment's term index too (30 MB a segment on
                # NSMC), which a search needs but an `index` run over unchanged files does not
                if segment.is_compound():
                    segment.open_compound_file(ix.storage).close()
                else:
                    with SegmentReader(ix.storage, ix.schema, segment):
                        pass
        except Exception as e:  # Whoosh signals damage with assorted exception types
            raise damaged(folder, e) from e
        return cls(ix, folder, settings)

    @staticmethod
    def verify(folder: Path) -> Verification:
        return verify(folder)

    def close(self) -> None:
        self._forget_searcher()
        self._ix.close()

    def __len__(self) -> int:
        """How many reviews the index holds, as its table of contents counts them (no segment is read)."""
        return sum(segment.doc_count() for segment in self._ix._read_toc().segments)

    def damaged(self, error: Exception) -> RevsearchError:
        return damaged(self.folder, error)

    def describe(self) -> EngineInfo:
        names = self._ix.files()
        size = sum(os.path.getsize(self.folder / name) for name in names)
        segments = len(self._ix._read_toc().segments)
        return EngineInfo("whoosh", whoosh.versionstring(), str(self.folder), len(self), size, {"segments": segments})

    # ------------------------------------------------------------ reading

    def reviews(self) -> Iterator[dict[str, Any]]:
        """Every stored review. IndexDamagedError if they cannot be read."""
        try:
            with self._ix.reader() as reader:
                stored = stored_reviews(reader)
                for doc in reader.all_doc_ids():
                    yield stored(doc)
        except Exception as e:  # Whoosh and the stored JSON fail in many ways
            raise damaged(self.folder, e) from e

    def read(self, work: Callable[[WhooshView], T], settings: SearchSettings | None = None) -> T:
        """``work`` done on a view of the last commit, one at a time (Whoosh's
        readers are not safe to share between threads); done again on a fresh
        view if a commit replaced the segments as they were opened."""
        settings = settings or SearchSettings()
        error: Exception | None = None
        with self._searching:
            for _ in range(2):
                try:
                    return work(WhooshView(self._current_searcher(settings), self._caches))
                except STORAGE_ERRORS as e:  # a segment file missing or corrupt
                    error = e
                    self._forget_searcher()
        raise damaged(self.folder, error) from error

    def _current_searcher(self, settings: SearchSettings) -> Searcher:
        """A searcher over the last commit. It is kept between searches, since
        opening one reads every segment's directories (~100 ms on a large
        index), and opened anew after a commit. (Whoosh's ``refresh()`` would
        reuse segment readers, but keeps removed segments and stale deletions.)"""
        s = self._searcher
        if s is not None and (not s.up_to_date() or (s.weighting.K1, s.weighting.B) != (settings.k1, settings.b)):
            self._forget_searcher()
        if self._searcher is None:
            self._searcher = self._ix.searcher(weighting=BM25F(B=settings.b, K1=settings.k1))
        return self._searcher

    def _forget_searcher(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    # ------------------------------------------------------------ writing

    def encoder(self) -> Encoder:
        return Encoder(self.analyzer, self.settings.numbers_held)

    def writer(self) -> ReviewWriter:
        return ReviewWriter(self._ix, self.settings)


class WhooshView:
    """One search's view of a Whoosh index: a searcher and the evaluations
    made on it, one per filter, so that each word the search asks again (by
    another tier, its count) is read and scored once."""

    def __init__(self, searcher: Searcher, caches: Caches):
        self._s, self._caches = searcher, caches
        self._evaluations: dict[p.Node | None, Evaluation] = {}

    @property
    def searcher(self) -> Searcher:
        """Whoosh's searcher under the view: what the engine's compatibility tests compare with."""
        return self._s

    def _evaluation(self, within: p.Node | None) -> Evaluation:
        found = self._evaluations.get(within)
        if found is None:
            allow = whoosh_query(within) if within is not None else None
            found = self._evaluations[within] = Evaluation(self._s, self._caches, allow)
        return found

    def top(self, plan: p.Node, limit: int, within: p.Node | None = None) -> tuple[list[Candidate], int]:
        return self._evaluation(within).top(whoosh_query(plan), limit)

    def count(self, plan: p.Node, within: p.Node | None = None) -> int:
        return self._evaluation(within).count(whoosh_query(plan))

    def highest(
        self, plan: p.Node, field: str, limit: int, within: p.Node | None = None, lowest: bool = False
    ) -> tuple[list[Candidate], int]:
        return self._evaluation(within).highest(whoosh_query(plan), limit, field, lowest)

    def sample(self, plan: p.Node, size: int, within: p.Node | None = None) -> list[int]:
        return self._evaluation(within).sample(whoosh_query(plan), size)

    def stored(self, docs: list[int]) -> list[dict[str, Any]]:
        read = stored_reviews(self._s.reader(), self._caches.review_columns)
        return [read(doc) for doc in docs]

    def idf(self, field: str, term: str) -> float:
        return self._s.idf(field, term)

    def holding(self, field: str, term: str, docs: list[int]) -> set[int]:
        return holding(self._s, self._caches, field, term, docs)

    def values(self, field: str, plan: p.Node, within: p.Node | None = None, top: int | None = None) -> dict[Any, int]:
        return self._evaluation(within).values(whoosh_query(plan), field, top)

    def frequencies(self, field: str, terms: list[str]) -> list[int]:
        """Counted as IDF counts them: deleted reviews too, until their segment is merged."""
        if field not in self._s.schema:
            return [0] * len(terms)
        return [self._s.doc_frequency(field, term) for term in terms]

    def vocabulary(self, field: str) -> Iterator[tuple[str, int]]:
        """Each term's document frequency counts deleted reviews until their segment is merged, as its IDF does."""
        if field not in self._s.schema:
            return
        decode = self._s.schema[field].from_bytes
        for tbytes, info in self._s.reader().iter_field(field):
            yield decode(tbytes), info.doc_frequency()

    def frequency(self, field: str, term: str) -> int:
        return self._s.doc_frequency(field, term) if field in self._s.schema else 0


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
