"""ReviewIndex: create or open an index, add reviews and files to it, search it."""

from __future__ import annotations

import datetime as _dt
import json
import os
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Iterable

from whoosh import index as windex
from whoosh.collectors import FilterCollector, TopCollector
from whoosh import query as wq
from whoosh.index import LockError

from .analysis import DEFAULT, SURROGATES, Analyzed, Analyzer
from .dates import parse_date
from .errors import IndexLockedError, IndexNotFoundError, QueryError, ReadError, RevsearchError
from .highlight import passages
from .keywords import derive_keywords
from .query import CompiledQuery, parse
from .readers import ReadOptions, iter_source_files, read_file
from .results import Hit, Results
from .review import Review
from .ranking import RERANK_DEPTH, rerank, weighting
from .schema import analyzer_of, build_schema

SORTS = ("relevance", "date")


@dataclass
class IngestReport:
    """What an :meth:`ReviewIndex.add_paths` run did: ``skipped`` files and records
    were not indexed; ``warnings`` were indexed with something left out."""

    files_read: int = 0
    reviews_indexed: int = 0
    skipped: list[ReadError] = field(default_factory=list)
    warnings: list[ReadError] = field(default_factory=list)

    def note(self, error: ReadError) -> None:
        (self.skipped if error.skipped else self.warnings).append(error)

    @staticmethod
    def by_kind(skips: list[ReadError]) -> dict[str, list[ReadError]]:
        """Problems grouped by :attr:`ReadError.kind`, the largest group first."""
        groups: dict[str, list[ReadError]] = defaultdict(list)
        for s in skips:
            groups[s.kind].append(s)
        return dict(sorted(groups.items(), key=lambda kv: -len(kv[1])))


#: Called after each file with (files done, files in all, the file).
Progress = Callable[[int, int, Path], None]


class ReviewIndex:
    """A revsearch index in a folder. Build one with :meth:`create`, open one with :meth:`open`."""

    def __init__(self, ix: windex.Index, path: Path):
        self._ix = ix
        self.path = path
        #: The analyzer the index was built with (its user dictionary included).
        self.analyzer: Analyzer = analyzer_of(ix.schema)

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, path: str | os.PathLike, user_dict: str | os.PathLike | None = None) -> ReviewIndex:
        """A new, empty index at ``path`` (replacing an index already there).
        ``user_dict`` is a Kiwi user dictionary file (TSV: word, tag, score):
        its content is recorded in the index, and every text and query of the
        index is analysed with it."""
        analyzer = Analyzer.with_user_dict(user_dict) if user_dict else DEFAULT
        folder = Path(path)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return cls(windex.create_in(str(folder), build_schema(analyzer)), folder)
        except OSError as e:
            raise RevsearchError(f"cannot create an index in {folder}: {e.strerror or e}") from e

    @classmethod
    def open(cls, path: str | os.PathLike) -> ReviewIndex:
        """The index at ``path``; IndexNotFoundError if there is none."""
        folder = Path(path)
        if not windex.exists_in(str(folder)):
            raise IndexNotFoundError(f"no index in {folder}: run `revsearch index` first")
        try:
            return cls(windex.open_dir(str(folder)), folder)
        except Exception as e:  # Whoosh signals damage with assorted exception types
            raise RevsearchError(f"cannot open the index in {folder}: {e}") from e

    @classmethod
    def open_or_create(cls, path: str | os.PathLike, user_dict: str | os.PathLike | None = None) -> ReviewIndex:
        """The index at ``path``, created empty if there is none. A ``user_dict``
        must be the one the existing index was built with (or None, to keep it)."""
        if not windex.exists_in(str(path)):
            return cls.create(path, user_dict)
        index = cls.open(path)
        if user_dict and Analyzer.with_user_dict(user_dict) != index.analyzer:
            index.close()
            raise RevsearchError(
                f"the index in {path} was built with another user dictionary than {user_dict}: "
                "index into a new folder to use it"
            )
        return index

    def __len__(self) -> int:
        return self._ix.doc_count()

    def close(self) -> None:
        self._ix.close()

    def __enter__(self) -> ReviewIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --------------------------------------------------------------- adding

    def add(self, reviews: Iterable[Review]) -> int:
        """Index reviews, replacing any with the same id. Returns how many were indexed."""
        writer = _Writer(self._ix, self.analyzer)
        try:
            count = writer.add_all(reviews)
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
    ) -> IngestReport:
        """Read review files (folders are walked) and index what they hold,
        streaming. A file or record that cannot be read is reported in the
        result, never fatal; everything else is indexed."""
        report = IngestReport()
        files: list[Path] = []
        for p in paths:
            try:
                files.extend(iter_source_files([p]))
            except ReadError as e:
                report.note(e)
        writer = _Writer(self._ix, self.analyzer)
        try:
            for done, path in enumerate(files, 1):
                before = report.reviews_indexed
                file = str(path.resolve())
                try:
                    for item in read_file(path, options):
                        if isinstance(item, ReadError):
                            report.note(item)
                            continue
                        if report.reviews_indexed == before:
                            writer.forget_file(file)  # what it held before goes; a file that can't be read keeps it
                        writer.add(item, file)
                        report.reviews_indexed += 1
                except ReadError as e:
                    report.note(e)
                report.files_read += report.reviews_indexed > before
                if progress:
                    progress(done, len(files), path)
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
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
        with self._ix.searcher(weighting=weighting()) as s:
            if sort == "date":
                ranked, total = _by_date(s, compiled.loose, limit, filt)
            else:
                ranked, total = _tiered(s, compiled, limit, filt)
            hits = [self._hit(s.stored_fields(doc), score, compiled.terms, passages_per_hit) for doc, score in ranked]
        return Results(query, hits, total)

    def _hit(self, stored: dict, score: float, terms: dict, top: int) -> Hit:
        review = Review.from_dict(json.loads(stored["review"]))
        if top < 1:
            return Hit(review.id, score, review)
        any_field = terms.get(None, set())
        shown = passages(review.body, any_field | terms.get("body", set()), "body", top, self.analyzer)
        title_terms = any_field | terms.get("title", set())
        titled = passages(review.title, title_terms, "title", 1, self.analyzer) if title_terms else []
        shown.extend(p for p in titled if p.highlights)
        return Hit(review.id, score, review, shown)


def _tiered(s, compiled: CompiledQuery, limit: int, filt) -> tuple[list[tuple[int, float]], int]:
    """Reviews matching ``compiled.strict`` first, then the rest of ``compiled.loose``,
    each tier's best re-ranked by coverage; and how many matched ``loose``."""
    depth = max(limit, RERANK_DEPTH)
    first, total = _top(s, compiled.strict, depth, filt)
    first = rerank(s, first, compiled)[:limit]
    if compiled.strict == compiled.loose:
        return first, total
    seen = {doc for doc, _ in first}
    rest, total = _top(s, compiled.loose, depth + len(first), filt)
    if len(first) < limit:
        first += rerank(s, [hit for hit in rest if hit[0] not in seen], compiled)[: limit - len(first)]
    return first, total


def _top(s, q: wq.Query, limit: int, filt) -> tuple[list[tuple[int, float]], int]:
    """The best ``limit`` (docnum, score) for ``q`` and how many reviews match.
    Every match is visited: no block skipping, which would leave the count
    unknown, and no matcher replacement, which in Whoosh loses matches of
    proximity (span) queries."""
    collector = TopCollector(limit=limit, usequality=False, replace=0)
    if filt is not None:
        collector = FilterCollector(collector, allow=filt)
    s.search_with_collector(q, collector)
    results = collector.results()
    return [(h.docnum, h.score) for h in results], len(results)


def _by_date(s, loose: wq.Query, limit: int, filt) -> tuple[list[tuple[int, float]], int]:
    """The newest ``limit`` reviews matching ``loose``, with their relevance scores
    (a date-sorted Whoosh search reports the sort key as the score)."""
    found = s.search(loose, limit=limit, filter=filt, sortedby="date", reverse=True)
    docs = [h.docnum for h in found]
    scores = {h.docnum: h.score for h in s.search(loose, limit=len(docs), filter=set(docs))} if docs else {}
    return [(doc, scores.get(doc, 0.0)) for doc in docs], len(found)


def _date_bound(value: str | _dt.date | None, name: str) -> str | None:
    if value is None or isinstance(value, _dt.date):
        return value.isoformat() if value else None
    parsed = parse_date(value)
    if parsed is None:
        raise QueryError(f"cannot read the date {value!r} given to {name}; write it as YYYY-MM-DD")
    return parsed.isoformat()


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


def _valid_text(text: str) -> str:
    """Text that can be written out: lone surrogates (from JSON escapes such as
    ``"\\ud800"``) become U+FFFD."""
    return SURROGATES.sub("\ufffd", text) if text else text


class _Writer:
    """One Whoosh writer: analyses each review once, derives missing keywords
    and stores the whole review. A review id repeated within one writer
    commits first, so the later copy replaces the earlier."""

    def __init__(self, ix: windex.Index, analyzer: Analyzer):
        self._ix, self._analyzer = ix, analyzer
        self._w = self._open()
        self._ids: set[str] = set()

    def _open(self):
        try:
            return self._ix.writer(limitmb=256)
        except LockError as e:
            raise IndexLockedError(
                f"the index in {self._ix.storage.folder} is being written by another process"
            ) from e

    def add_all(self, reviews: Iterable[Review]) -> int:
        count = 0
        for review in reviews:
            self.add(review)
            count += 1
        return count

    def forget_file(self, file: str) -> None:
        """Delete the reviews indexed from ``file`` (a resolved path) before, so
        records since removed from it do not linger."""
        self._w.delete_by_term("file", file)

    def add(self, review: Review, file: str | None = None) -> None:
        """Index one review (replacing one with its id); ``file`` is the resolved path it was read from."""
        review = replace(review, title=_valid_text(review.title), body=_valid_text(review.body))
        if review.id in self._ids:
            self.commit()
            self._w = self._open()
            self._ids.clear()
        self._ids.add(review.id)
        title_terms, body_terms = self._analyzer.analyze_many([review.title, review.body])
        if not review.keywords:
            derived = derive_keywords(review.title, title_terms, review.body, body_terms)
            review = replace(review, keywords=derived, keywords_derived=bool(derived))
        fields = dict(
            id=review.id,
            title=Analyzed(review.title, title_terms),
            body=Analyzed(review.body, body_terms),
            # derived keywords are the body's own nouns: indexing them again would count them twice
            keywords="" if review.keywords_derived else "\n".join(review.keywords),
            category=review.category or "",
            review=json.dumps(review.to_dict(), ensure_ascii=False),
        )
        if file:
            fields["file"] = file
        for name in ("author", "source", "item"):
            if getattr(review, name):
                fields[name] = getattr(review, name)
        if review.date:
            fields["date"] = review.date.isoformat()
        if review.rating is not None:
            fields["rating"] = review.rating
        self._w.update_document(**fields)

    def commit(self) -> None:
        self._w.commit()

    def cancel(self) -> None:
        self._w.cancel()
