"""The Typesense engine (experimental): an index in a collection of a
Typesense cluster, behind the seam of :mod:`searcher.engine`.

Reviews are analysed by revsearch and sent as terms (see schema). A plan is
compiled into a ``filter_by`` that decides which reviews match (see
compile); the candidates are those Typesense ranks first for the plan's
terms (``q`` over the text fields, exact terms: no prefix, no typos), then
the other matches, scored by revsearch's BM25F (term counts from the
cluster, each term counted once in a review: the documents keep no term
frequencies) and re-ranked as the Whoosh engine's are. Facets are Typesense
facets; term statistics are counts of filtered searches, the number of
reviews and the fields' average lengths a facet over every review, kept by
the engine until a writer renews the index's stamp (see
ClusterRecords.wrote). Writes are sent as bulk upserts as they come (see
TypesenseWriter), tried again with backoff while the cluster is down or busy."""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

from typesense import exceptions as tse

from ... import plan as p
from ...analysis import Analyzer
from ...engine import Candidate, EngineInfo, Verification
from ...errors import IndexDamagedError, RevsearchError
from ...schema import TEXT_FIELDS, TEXTS
from ...settings import SearchSettings
from .address import READ_PATIENCE, Address, retried
from .compile import both, filter_for, filter_of, held, quoted, scored_terms
from .records import ClusterRecords
from .schema import ALL, EXACT, FACETED, NO_DAY, NO_RATING, ORDER, Batch, Encoder, collection_schema, iso

T = TypeVar("T")
#: Typesense's most hits a page.
PAGE = 250
#: Candidates taken for a plan however few are asked, so that BM25F chooses among enough.
POOL = 100
#: A word held by at most this many of the reviews a plan matches is rare: every one of them is a
#: candidate (Typesense's own ranking drops the rarest words first when too few reviews hold them all).
RARE = 50
#: The rarest words whose reviews are all candidates.
RARE_WORDS = 8
#: Searches one request holds (the server's default ``limit_multi_searches``).
MULTI = 50
#: Documents a bulk import sends at once.
IMPORT_BATCH = 1000
#: A facet of every value asks for at most this many.
ALL_VALUES = 1_000_000
#: ``highlight_fields`` naming no field: Typesense highlights nothing (revsearch makes its own passages);
#: the highlights of a page of candidates were half of the bytes it sent, and half of its time.
NO_HIGHLIGHT = "none"
#: The fields a candidate is scored with: its terms and lengths (its review, two thirds of its bytes,
#: is read only for those the search shows or re-ranks: see stored).
_TERMS = ",".join(["rid", *TEXTS, *(f"{t}_n" for t in TEXTS)])
#: The fields of a review read whole.
_READ = f"{_TERMS},review"


class TypesenseEngine:
    """An open index in the collection at ``address``."""

    def __init__(self, address: Address, analyzer: Analyzer, settings: Any = None):
        self.address, self.analyzer, self.settings = address, analyzer, settings
        self._client = address.client()
        self._records = ClusterRecords(address)
        self._statistics: tuple[str, Statistics] | None = None  # (the stamp they were counted at, the statistics)
        # handles number the review ids the engine's views have seen: valid while the engine is open
        self._ids: list[str] = []
        self._handles: dict[str, int] = {}
        self._numbering = threading.Lock()

    def handle(self, review_id: str) -> int:
        """The handle of a review id (a new one for an id not seen before)."""
        handle = self._handles.get(review_id)
        if handle is None:
            with self._numbering:
                handle = self._handles.get(review_id)
                if handle is None:
                    handle = self._handles[review_id] = len(self._ids)
                    self._ids.append(review_id)
        return handle

    def review_id(self, handle: int) -> str:
        return self._ids[handle]

    def _documents(self) -> Any:
        return self._client.collections[self.address.collection].documents

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, address: Address, analyzer: Analyzer, settings: Any = None) -> TypesenseEngine:
        """A new, empty collection at ``address`` (none there: see ClusterRecords.clear),
        the analyzer's user dictionary recorded with it."""
        engine = cls(address, analyzer, settings)
        retried(address, lambda: engine._client.collections.create(collection_schema(address.collection)))
        engine._records.put("analyzer", json.dumps({"user_dict": analyzer.user_dict}))
        engine._records.wrote()
        return engine

    @classmethod
    def open(cls, address: Address, settings: Any = None) -> TypesenseEngine:
        """The index at ``address``; IndexDamagedError if its collection or analyzer record is missing."""
        records = ClusterRecords(address)
        recorded = records.get("analyzer")
        if recorded is None or not records.has_collection():
            raise damaged(address, LookupError("its collection or its analyzer record is missing"))
        return cls(address, Analyzer(json.loads(recorded)["user_dict"]), settings)

    @staticmethod
    def verify(address: Address) -> Verification:
        engine = TypesenseEngine.open(address)
        return Verification(
            notes=["Typesense keeps its own storage: revsearch checks only that the collection and its records answer"],
            reviews=len(engine),
        )

    def close(self) -> None:
        pass

    def __len__(self) -> int:
        return retried(self.address, lambda: self._client.collections[self.address.collection].retrieve())["num_documents"]

    def damaged(self, error: Exception) -> RevsearchError:
        return damaged(self.address, error)

    def describe(self) -> EngineInfo:
        version = retried(self.address, lambda: self._client.debug.retrieve()).get("version", "?")
        return EngineInfo("typesense", version, str(self.address), len(self), 0, {"nodes": len(self.address.nodes)})

    # ------------------------------------------------------------ reading

    def reviews(self) -> Iterator[dict[str, Any]]:
        exported = retried(self.address, lambda: self._documents().export({"include_fields": "review"}))
        for line in exported.splitlines():
            if line.strip():
                yield json.loads(json.loads(line)["review"])

    def read(self, work: Callable[[TypesenseView], T], settings: SearchSettings | None = None) -> T:
        """``work`` done on a view of the collection (Typesense has no
        snapshots: a write meanwhile may show in part)."""
        return work(TypesenseView(self, settings or SearchSettings()))

    # ------------------------------------------------------------ writing

    def encoder(self) -> Encoder:
        return Encoder(self.analyzer)

    def writer(self) -> TypesenseWriter:
        return TypesenseWriter(self)


class TypesenseView:
    """One search's view: the documents its searches returned, by handle
    (the engine's, see TypesenseEngine.handle), and the counts it made."""

    def __init__(self, engine: TypesenseEngine, settings: SearchSettings):
        self._engine, self._settings = engine, settings
        self._docs: dict[int, dict[str, Any]] = {}
        self._counts: dict[str, int] = {}
        self._statistics: Statistics | None = None

    # ------------------------------------------------------------ requests

    def _search(self, searches: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The answers of ``searches``, made in one request."""
        engine = self._engine
        for search in searches:
            search.setdefault("collection", engine.address.collection)
            search.setdefault("q", "*")
            search.setdefault("query_by", ",".join(TEXTS))
            search.setdefault("highlight_fields", NO_HIGHLIGHT)
        answers = []
        for at in range(0, len(searches), MULTI):
            part = {"searches": searches[at : at + MULTI]}
            answers += retried(engine.address, lambda: engine._client.multi_search.perform(part, {}), READ_PATIENCE)["results"]
        for answer in answers:
            if "error" in answer:
                raise RevsearchError(f"the Typesense cluster at {engine.address} refused a search: {answer['error']}")
        return answers

    def _handle(self, doc: dict[str, Any]) -> int:
        handle = self._engine.handle(doc["rid"])
        self._docs.setdefault(handle, {}).update(doc)
        return handle

    def _hits(self, search: dict[str, Any], n: int, fields: str = _READ) -> tuple[list[int], int]:
        """The handles of the first ``n`` hits of ``search`` (paged, read with
        ``fields``), and how many it found."""
        handles: list[int] = []
        found, page = 0, 1
        while len(handles) < n:
            per_page = min(PAGE, n - len(handles))
            answer = self._search([dict(search, page=page, per_page=per_page, include_fields=fields)])[0]
            found = answer["found"]
            handles += [self._handle(hit["document"]) for hit in answer["hits"]]
            if len(answer["hits"]) < per_page:
                break
            page += 1
        return handles, found

    def _firsts(
        self, searches: list[dict[str, Any]], n: int, fields: str, counting: list[str | None] = ()
    ) -> list[tuple[list[int], int]]:
        """:meth:`_hits` of each of ``searches``, in one request when ``n`` fits a
        page, with the counts of the filters ``counting`` (see _count)."""
        if n > PAGE:
            self._count(counting)
            return [self._hits(search, n, fields) for search in searches]
        asked = self._uncounted(counting)
        answers = self._search([dict(search, per_page=n, include_fields=fields) for search in searches] + _counting(asked))
        for f, answer in zip(asked, answers[len(searches) :]):
            self._counts[f] = answer["found"]
        return [([self._handle(hit["document"]) for hit in a["hits"]], a["found"]) for a in answers[: len(searches)]]

    def _fetch(self, docs: list[int], review: bool) -> None:
        """Read the documents of the handles ``docs`` not read yet and, ``review``,
        the reviews of those read without (the candidates: see top). A filter
        on ``rid`` may match more than its ids (Typesense drops the symbols of
        a string: ``8-11`` matches ``81-1``): only the documents asked are kept."""
        missing = [d for d in dict.fromkeys(docs) if d not in self._docs or (review and "review" not in self._docs[d])]
        fields = "rid,review" if all(d in self._docs for d in missing) else _READ
        for at in range(0, len(missing), PAGE):
            part = {self._engine.review_id(d) for d in missing[at : at + PAGE]}
            search = {"filter_by": f"rid:=[{','.join(quoted(i) for i in part)}]", "per_page": PAGE, "include_fields": fields}
            for page in itertools.count(1):
                hits = self._search([dict(search, page=page)])[0]["hits"]
                for hit in hits:
                    if hit["document"]["rid"] in part:
                        self._handle(hit["document"])
                if len(hits) < PAGE:
                    break

    def _count(self, filters: list[str | None]) -> list[int]:
        """How many reviews each filter matches (None: every review)."""
        asked = self._uncounted(filters)
        if asked:
            for f, answer in zip(asked, self._search(_counting(asked))):
                self._counts[f] = answer["found"]
        return [self._counts[f or ""] for f in filters]

    def _uncounted(self, filters: list[str | None]) -> list[str]:
        """The filters not counted yet ("": every review)."""
        return [f for f in dict.fromkeys(f or "" for f in filters) if f not in self._counts]

    # ------------------------------------------------------------ scoring

    def _counted(self) -> Statistics:
        """The number of reviews and the text fields' average lengths in terms:
        a search over every review and a facet of them (on 357K reviews the
        count alone takes 8 ms of the server's time), made again only when the
        index's stamp changed since the engine made it."""
        if self._statistics is None:
            engine = self._engine
            stamp = engine._records.stamp()
            if engine._statistics is not None and stamp is not None and engine._statistics[0] == stamp:
                self._statistics = engine._statistics[1]
                return self._statistics
            answer = self._search([{"per_page": 0, "facet_by": ",".join(f"{t}_n" for t in TEXTS), "max_facet_values": 1}])[0]
            stats = {c["field_name"][:-2]: c.get("stats", {}).get("avg", 1.0) for c in answer.get("facet_counts", [])}
            self._statistics = Statistics(answer["found"], {t: max(1.0, stats.get(t, 1.0)) for t in TEXTS})
            if stamp is not None:
                engine._statistics = (stamp, self._statistics)
        return self._statistics

    def _scores(self, handles: list[int], terms: dict[tuple[str, str], float]) -> list[float]:
        """BM25F of each document of ``handles`` for ``terms`` (each term once in a review)."""
        if not terms:
            return [1.0] * len(handles)
        keys = list(terms)
        self._count(_idf_filters(terms))  # in one request (none if top counted them)
        idfs = dict(zip(keys, (self.idf(field, text) for field, text in keys)))
        k1, b = self._settings.k1, self._settings.b
        lengths = self._counted().lengths
        weights = [  # each term's part of its score but for the length norm, worked out once
            (field, text, f"{field}_n", boost * TEXT_FIELDS[field] * idfs[field, text] * (k1 + 1))
            for (field, text), boost in terms.items()
        ]
        scores = []
        for handle in handles:
            doc, score = self._docs[handle], 0.0
            for field, text, length, weight in weights:
                if text in doc.get(field, ()):
                    norm = 1 - b + b * doc.get(length, 0) / lengths[field]
                    score += weight / (1 + k1 * norm)
            scores.append(score)
        return scores

    # ------------------------------------------------------------ EngineView

    def top(self, plan: p.Node, limit: int, within: p.Node | None = None) -> tuple[list[Candidate], int]:
        wanted = filter_for(plan, within)
        terms = scored_terms(plan)
        pool = max(limit, POOL)
        words = list(dict.fromkeys(text for _, text in terms))
        searches: list[dict[str, Any]] = []
        if terms:  # those Typesense ranks first for the words
            fields = [t for t in TEXTS if any(f == t for f, _ in terms)]
            searches.append({"q": " ".join(words), "query_by": ",".join(fields), "prefix": "false", "num_typos": 0,
                             "drop_tokens_threshold": pool, "typo_tokens_threshold": 0, "filter_by": wanted})
        searches.append({"filter_by": wanted, "sort_by": f"{ORDER}:asc"})  # then every match, in index order
        # the reviews of each word among the matches: as many as the matches for a word every match holds,
        # the others counted in the same request (with the IDFs', see _scores)
        every = held(plan) | held(within)
        holding = {w: both(wanted, f"{ALL}:=[{quoted(w)}]") for w in words}
        counting = [holding[w] for w in words if w not in every] + _idf_filters(terms)
        found = self._firsts([{k: v for k, v in s.items() if v is not None} for s in searches], pool, _TERMS, counting)
        total = found[-1][1]
        counts = {w: total if w in every else self._counts[holding[w]] for w in words}
        rare = sorted((n, w) for w, n in counts.items() if 0 < n <= RARE)[:RARE_WORDS]
        if rare:  # every review holding a rare word, after those Typesense ranks first
            found[1:1] = self._firsts([{"filter_by": holding[w]} for _, w in rare], pool, _TERMS)
        handles = list(dict.fromkeys(h for hits, _ in found for h in hits))
        scores = self._scores(handles, terms)
        order = sorted(range(len(handles)), key=lambda i: -scores[i])
        return [(handles[i], scores[i]) for i in order[:limit]], total

    def count(self, plan: p.Node, within: p.Node | None = None) -> int:
        return self._count([filter_for(plan, within)])[0]

    def highest(
        self, plan: p.Node, field: str, limit: int, within: p.Node | None = None, lowest: bool = False
    ) -> tuple[list[Candidate], int]:
        wanted = filter_for(plan, within)
        order = f"{field}:{'asc' if lowest else 'desc'},{ORDER}:asc"
        if field == "date" and not lowest and limit:  # those without a date (NO_DAY, before any day) come last by themselves
            newest, total = self._hits({"sort_by": order, **({"filter_by": wanted} if wanted else {})}, limit)
            return [(h, 1.0) for h in newest], total
        missing = NO_DAY if field == "date" else NO_RATING
        valued, _ = self._hits({"filter_by": both(wanted, f"{field}:>{missing}"), "sort_by": order}, limit)
        if len(valued) < limit:
            rest = {"filter_by": both(wanted, f"{field}:={missing}"), "sort_by": f"{ORDER}:asc"}
            valued += self._hits(rest, limit - len(valued))[0]
        return [(h, 1.0) for h in valued], self._count([wanted])[0]

    def sample(self, plan: p.Node, size: int, within: p.Node | None = None) -> list[int]:
        """The best scoring among the pool Typesense gives (not spread over the index: see the README)."""
        return [doc for doc, _ in self.top(plan, size, within)[0]]

    def stored(self, docs: list[int]) -> list[dict[str, Any]]:
        self._fetch(docs, review=True)
        return [json.loads(self._docs[d]["review"]) for d in docs]

    def idf(self, field: str, term: str) -> float:
        """As Whoosh's: log(N / (df + 1)) + 1."""
        return math.log(self._counted().reviews / (self.frequency(field, term) + 1)) + 1.0

    def holding(self, field: str, term: str, docs: list[int]) -> set[int]:
        self._fetch(docs, review=False)
        return {d for d in docs if term in self._docs[d].get(field, ())}

    def values(self, field: str, plan: p.Node, within: p.Node | None = None, top: int | None = None) -> dict[Any, int]:
        wanted = filter_for(plan, within)
        name = FACETED[field]
        search = {"per_page": 0, "facet_by": name, "max_facet_values": top + 20 if top else ALL_VALUES}
        if wanted:
            search["filter_by"] = wanted
        answer = self._search([search])[0]
        counts = next((c["counts"] for c in answer.get("facet_counts", []) if c["field_name"] == name), [])
        found: dict[Any, int] = {}
        for entry in counts:
            value = entry["value"]
            if field == "date":
                if int(value) == NO_DAY:
                    continue
                value = iso(int(value))
            elif field == "rating":
                value = float(value)
            found[value] = entry["count"]
        if top is not None and len(found) > top:
            last = sorted(found.values(), reverse=True)[top - 1]
            found = {v: c for v, c in found.items() if c >= last}
        return found

    def frequencies(self, field: str, terms: list[str]) -> list[int]:
        if field not in TEXT_FIELDS and field not in EXACT:
            return [0] * len(terms)
        if terms and field in TEXT_FIELDS:  # the terms' IDFs in every text field are counted in the same request
            self._count(_idf_filters({(f, t): 1.0 for t in terms for f in TEXTS}))
        return self._count([filter_of(p.Term(field, term)) for term in terms])

    def vocabulary(self, field: str) -> Iterator[tuple[str, int]]:
        """A text field's terms, from a facet over every review (costly on a large
        collection); an exact field's values are not listed (facets count them: see values)."""
        if field not in TEXT_FIELDS:
            return
        answer = self._search([{"per_page": 0, "facet_by": field, "max_facet_values": ALL_VALUES}])[0]
        counts = next((c["counts"] for c in answer.get("facet_counts", []) if c["field_name"] == field), [])
        yield from sorted((c["value"], c["count"]) for c in counts)

    def frequency(self, field: str, term: str) -> int:
        return self.frequencies(field, [term])[0]


def _counting(filters: list[str]) -> list[dict[str, Any]]:
    """The searches that count the reviews of ``filters`` ("": every review)."""
    return [{"filter_by": f, "per_page": 0} if f else {"per_page": 0} for f in filters]


def _idf_filters(terms: dict[tuple[str, str], float]) -> list[str | None]:
    """The filters whose counts the IDFs of ``terms`` take (and the number of reviews: see TypesenseView._counted)."""
    return [filter_of(p.Term(field, text)) for field, text in terms]


@dataclass(frozen=True)
class Statistics:
    """What BM25F takes of the whole collection: its number of reviews, the text fields' average lengths."""

    reviews: int
    lengths: dict[str, float]


class TypesenseWriter:
    """A writing session, written through: additions are sent as bulk upserts
    of IMPORT_BATCH reviews, deletions in their turn after the additions
    before them. Typesense has no transactions: what was sent is seen at
    once and stays if the session is cancelled (only what was not sent yet
    is dropped); a run cut short is completed by the next, which upserts by
    id and deletes a re-read file's reviews first. Memory stays bounded
    however many reviews a commit holds. The index's stamp is renewed when a
    session that wrote commits or is cancelled (one write of the cluster's
    a commit, not one a batch)."""

    def __init__(self, engine: TypesenseEngine):
        self._engine = engine
        self._pending: list[dict[str, Any]] = []
        self._wrote = False  # since the stamp was renewed

    def add(self, batch: Batch, start: int, end: int, files: list[str | None]) -> None:
        order = time.time_ns()
        for i in range(start, end):
            doc = dict(batch.docs[i], **{ORDER: order + i})
            if files[i]:
                doc["file"] = files[i]
            self._pending.append(doc)
            if len(self._pending) >= IMPORT_BATCH:
                self._send()

    def delete(self, review_id: str) -> int:
        engine = self._engine
        self._send()
        try:  # by its document id, the review id: a filter on rid would also take ids equal but for symbols (8-11, 81-1)
            retried(engine.address, lambda: engine._documents()[urllib.parse.quote(review_id, safe="")].delete())
        except tse.ObjectNotFound:
            return 0
        self._wrote = True
        return 1

    def may_hold(self, file: str) -> bool:
        return True

    def forget_file(self, file: str) -> None:
        engine = self._engine
        self._send()
        forgotten = retried(engine.address, lambda: engine._documents().delete({"filter_by": f"file:={quoted(file)}"}))
        self._wrote |= forgotten.get("num_deleted", 0) > 0

    def _send(self) -> None:
        """Upsert the reviews added and not sent yet."""
        engine = self._engine
        part, self._pending = self._pending, []
        if not part:
            return
        self._wrote = True
        results = retried(engine.address, lambda: engine._documents().import_(part, {"action": "upsert"}))
        failed = [(doc["id"], r.get("error")) for doc, r in zip(part, results) if not r.get("success")]
        if failed:
            raise RevsearchError(
                f"the Typesense cluster at {engine.address} refused {len(failed)} of {len(part)} reviews "
                f"(review {failed[0][0]!r}: {failed[0][1]})"
            )

    def commit(self, last: bool = True) -> None:
        self._send()
        self._stamp()

    def reopen(self) -> None:
        pass

    def cancel(self) -> None:
        self._pending = []
        self._stamp()

    def _stamp(self) -> None:
        """Renew the index's stamp if reviews were written since it was (see ClusterRecords.wrote)."""
        if self._wrote:
            self._engine._records.wrote()
            self._wrote = False


def damaged(address: Address, error: Exception) -> RevsearchError:
    return IndexDamagedError(
        f"the index at {address} cannot be read ({type(error).__name__}: {error}): "
        f"rebuild it with `revsearch index PATH... --rebuild --index {address}`"
    )
