"""Performance on NSMC raw reviews: ingest against a bare-Kiwi floor, query latency, index size.

One run measures everything side by side, so that the ratios hold on a noisy
machine:

- ingest: ``revsearch index RAW --index IX --rebuild --quiet`` as a subprocess,
  its wall time and the peak RSS of its process tree (polled from /proc);
- Kiwi floor: in a fresh process, ``Kiwi(num_workers=2)`` loaded, then its
  ``tokenize`` over the same review texts; the ratio ingest / floor, the floor
  counting the model load (which an ingest pays too) but not the start of
  Python nor the reading of the files;
- warm queries: ``ReviewIndex.search`` (limit 10, passages on) in this process,
  each query's median over its repeats; p50, p95, max and the slowest queries;
- cold query: ``revsearch query Q --json`` end to end in a fresh process: the
  first one, which starts the index's resident query server; later ones, which
  that server answers (the figure held to the target); ``--no-resident`` ones,
  which search in their own process; against ``python -c "import whoosh"``. The
  server is stopped at the end;
- synonyms: the same warm queries with no synonyms, with synonyms none of
  their words has (what a query without synonyms costs on an index that has
  some) and with synonyms of their words, interleaved; set in memory, so a
  read-only index can be measured;
- facets: for queries matching 100,000+ reviews, the plain search (limit 10,
  passages on) side by side with the same search counting every facet but
  ``terms``, and with ``terms`` alone, medians over the repeats (the first
  facet search, which builds the segment's value tables, timed apart);
- pages, groups, explain and similar reviews (issue 22): the same queries
  searched plain, from hit 91, grouped by item and explained, and the reviews
  like their first hits, side by side in one process;
- did-you-mean (queries with typos searched with it and without) and
  as-you-type (``ReviewIndex.suggest`` of every keystroke of some words);
- the index's size on disk, and its segments.

``--engine typesense`` measures the Typesense engine (issue 23) instead, beside
the Whoosh engine on the same reviews in the same run: a local 1-node
typesense-server started in the work folder (the ``cluster`` extra; or the
cluster at ``--url typesense://HOST:PORT/COLLECTION``, its key in
TYPESENSE_API_KEY), then per repeat the ingest into its collection, the
ingest into a folder and the Kiwi floor; the warm queries on both indexes,
interleaved query by query; and the server's memory (VmRSS and VmHWM, the
peak, of its process, from /proc) and data folder.

``--scale 50000,357000,1000000`` measures a curve instead: for each size, a
corpus of that many reviews from the NSMC files (past the 356,803 reviews
they hold, copies of them with new ids: files ``c1-<movie>.json``, ids
``<id>-c1``), the ingest and the Kiwi floor on it, then the warm queries in a
fresh process (its peak RSS is the query process's memory), and the segments.

    python bench/perf.py [--work DIR] [--sample N] [--repeat K] [--query-repeat R] [--cold-repeat C]
                         [--skip-ingest --index PATH [--floor]] [--json PATH]
    python bench/perf.py --scale SIZES [--work DIR] [--repeat K] [--query-repeat R] [--json PATH]
    python bench/perf.py --engine typesense [--url URL] [--work DIR] [--sample N] [--repeat K] [--query-repeat R] [--json PATH]

Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "nsmc" / "nsmc-raw-even.tar.gz"
#: Issue targets: ingest / Kiwi floor, within MAX_RATIO_SMALL below LARGE_RUN reviews, MAX_RATIO from it.
MAX_RATIO_SMALL = 1.3
MAX_RATIO = 1.2
LARGE_RUN = 50_000
MAX_PEAK_BYTES = 2.5e9
MAX_COLD_S = 1.0
MAX_P95_S = 0.015
MAX_WARM_S = 0.060
MAX_QUERY_BYTES = 1e9
#: Issue targets: what counting facets over 100,000+ matches adds to a search, and what ``terms`` adds.
MAX_FACETS_ADDED_S = 0.020
MAX_TERMS_ADDED_S = 0.050
#: Queries matching 100,000+ NSMC reviews, and the facets counted on them.
FACET_QUERIES: tuple[str, ...] = ("*", "rating:[9 TO 10]", "영화 OR 재밌다 OR 최고")
COUNTED_FACETS = ("rating", "date:year", "date:month", "author", "item", "keywords")
#: Seconds between two reads of the process tree's memory.
POLL_S = 0.1
LIMIT = 10
SLOWEST = 5
#: Realistic NSMC queries, one to three words, common and rare, then the query
#: language's phrase, date and rating filters.
QUERIES: tuple[str, ...] = (
    "연기", "배우 연기", "스토리 지루", "결말 반전", "감동 눈물", "액션 최고", "영화", "최고의 영화",
    "시간 아깝다", "돈 아깝다", "노잼", "꿀잼", "강추", "비추", "ost 좋다", "음악 좋다", "영상미", "연출",
    "각본", "원작 소설", "실화", "공포 무섭다", "코미디 웃기다", "가족 영화", "아이들", "애니메이션",
    "디즈니", "마블", "히어로", "로맨스 설렘", "멜로", "주인공", "악역", "반전 대박", "졸작", "명작",
    "인생 영화", "재밌다", "지루하다", "슬프다", "눈물 펑펑", "다시 보고 싶다", "기대 이하", "평점 알바",
    "감독 연출", "배우들 연기력", "송강호", "하정우", "디카프리오", "톰 크루즈", "봉준호", "크리스토퍼 놀란",
    "해리포터", "반지의 제왕", "스타워즈",
    '"배우 연기"', "연기 date:[2010-01-01 TO 2012-12-31]", "감동 rating:[9 TO 10]",
)
#: Queries with the library's filters: (query, keyword arguments of ``search``).
FILTERED: tuple[tuple[str, dict[str, str]], ...] = (
    ("연기", {"since": "2015-01-01"}),
    ("감동", {"sort": "date"}),
)
#: Target of ``ReviewIndex.similar`` (issue 22): p95 over reviews found by QUERIES.
MAX_SIMILAR_P95_S = 0.050
#: Reviews taken as similar's sources per query of QUERIES (its first hits).
SIMILAR_SOURCES = 3
#: The page measured against the first: hits 91-100.
DEEP_OFFSET = 90
#: Did-you-mean: queries with a typo (or typed in English mode), each beside the query it is corrected to.
TYPOS: tuple[tuple[str, str], ...] = (
    ("사마다", "사만다"), ("외로음", "외로움"), ("테오도로", "테오도르"), ("재미업다", "재미없다"),
    ("감동젹", "감동적"), ("tkaksek", "사만다"), ("dhlfhdna", "외로움"),
)
#: As-you-type: every keystroke of these words (사 → ㅅ, 사, 삼, 사마, 사만, …), and 초성 and mixed prefixes.
TYPED = ("사만다", "외로움", "재미있다", "스토리", "감동적", "크리스토퍼", "배우", "연기력", "her")
PREFIXES = ("ㅅㅁㄷ", "ㅇㄹㅇ", "ㅈㅁ", "ㄱㄷ", "사ㅁ", "재ㅁ", "ㅎ", "ㅇ")
MAX_SUGGEST_P95_S = 0.005
MAX_SPELLING_S = 0.005
#: Queries of the cold runs, taken in turn.
COLD_QUERIES: tuple[str, ...] = ("배우 연기", "스토리 지루", "송강호")
#: Synonyms none of QUERIES' words has, and synonyms of some of them (see synonym_cost).
UNMATCHED_SYNONYMS = "넷플릭스, Netflix, 넷플\n디즈니 플러스, 디플\n허 => Her\n"
MATCHED_SYNONYMS = UNMATCHED_SYNONYMS + "연기, 연기력\n지루, 노잼, 졸리다\n감동 => 눈물\n배우, 캐스팅\n"
#: The Kiwi floor, run in a fresh process over the raw files in the folder argv[1];
#: it writes {"reviews", "load_s", "tokenize_s"} as JSON to the file argv[2].
FLOOR_PROGRAM = """
import json, sys, time
from pathlib import Path
texts = [r["review"] for f in sorted(Path(sys.argv[1]).glob("*.json"))
         for r in json.loads(f.read_text(encoding="utf-8"))]
start = time.perf_counter()
from kiwipiepy import Kiwi
k = Kiwi(num_workers=2)
k.tokenize("배우들 연기가 정말 좋았어요")
loaded = time.perf_counter()
for _ in k.tokenize(texts):
    pass
done = time.perf_counter()
figures = {"reviews": len(texts), "load_s": loaded - start, "tokenize_s": done - loaded}
Path(sys.argv[2]).write_text(json.dumps(figures))
"""


#: A line of the closing table: figure, value, target, pass (None: no target).
Row = tuple[str, str, str, bool | None]


@dataclass(frozen=True)
class Measured:
    """A finished subprocess: wall time, the peak of its process tree's summed
    RSS (polled every POLL_S) and the kernel's peak RSS of its largest process."""

    wall_s: float
    peak_tree_bytes: int
    peak_process_bytes: int


@dataclass(frozen=True)
class Floor:
    """One Kiwi floor run: model load and tokenize loop (timed by the child), peak memory."""

    load_s: float
    tokenize_s: float
    peak_tree_bytes: int

    @property
    def total_s(self) -> float:
        """What the ratio is taken against: the model load and the tokenizing."""
        return self.load_s + self.tokenize_s


@dataclass(frozen=True)
class Latency:
    """One warm query: its median over the repeats and how many reviews matched."""

    query: str
    median_s: float
    total: int


@dataclass(frozen=True)
class Cold:
    """Wall times of fresh ``revsearch query Q --json`` processes: ``first``, each
    starting the index's resident server; ``resident``, answered by it;
    ``in_process``, run with ``--no-resident``; and ``python -c "import whoosh"``."""

    first: list[float]
    resident: list[float]
    in_process: list[float]
    import_whoosh: list[float]


@dataclass(frozen=True)
class Warm:
    """The warm searches: opening the index, the first search (Kiwi loads), every
    query answered, and the error of every query that raised one."""

    open_s: float
    first_search_s: float
    reviews: int
    latencies: list[Latency]
    errors: dict[str, str]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ data


@contextmanager
def work_folder(work: Path | None) -> Iterator[Path]:
    """``work``, created if needed and kept; or a temporary folder removed at the end."""
    if work is not None:
        work.mkdir(parents=True, exist_ok=True)
        yield work
        return
    with tempfile.TemporaryDirectory(prefix="revsearch-perf-") as folder:
        yield Path(folder)


def prepare(data: Path, work: Path, sample: int | None) -> Path:
    """The folder of raw files to index: ``work/raw`` (extracted from ``data``
    unless already there), or ``work/sample-N`` holding links to its first N files."""
    raw = work / "raw"
    if raw.is_dir():
        log(f"reusing the extraction in {raw}")
    else:
        log(f"extracting {data} into {work}")
        with tarfile.open(data) as tar:
            tar.extractall(work, filter="data")
    if sample is None:
        return raw
    folder = work / f"sample-{sample}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for f in sorted(raw.glob("*.json"))[:sample]:
        os.link(f, folder / f.name)
    return folder


def count_reviews(folder: Path) -> tuple[int, int]:
    """Files and reviews (records) in the raw JSON files of ``folder``."""
    files = sorted(folder.glob("*.json"))
    return len(files), sum(len(json.loads(f.read_text(encoding="utf-8"))) for f in files)


# --------------------------------------------------------------- measuring


def tree_rss(root: int) -> int:
    """Summed VmRSS in bytes of ``root`` and all its descendants (0 once it is gone)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


def run_measured(cmd: list[str]) -> Measured:
    """Run ``cmd`` to the end, polling its process tree's memory every POLL_S;
    its stderr passes through. SystemExit if it fails."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    peak = 0
    stop = threading.Event()

    def poll() -> None:
        nonlocal peak
        while True:
            peak = max(peak, tree_rss(proc.pid))
            if stop.wait(POLL_S):
                return

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    _, status, usage = os.wait4(proc.pid, 0)  # the child's own rusage, which Popen.wait does not give
    wall = time.perf_counter() - start
    stop.set()
    poller.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {proc.returncode})")
    return Measured(wall, peak, usage.ru_maxrss * 1024)


def revsearch_command() -> list[str]:
    """The ``revsearch`` console script beside this interpreter, or the module."""
    script = Path(sys.executable).parent / "revsearch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "searcher.cli"]


def ingest(corpus: Path, index: Path | str) -> Measured:
    """``revsearch index CORPUS --index INDEX --rebuild --quiet``, measured (INDEX a folder or a cluster address)."""
    return run_measured([*revsearch_command(), "index", str(corpus), "--index", str(index), "--rebuild", "--quiet"])


def kiwi_floor(corpus: Path) -> Floor:
    """Bare Kiwi over the same review texts, in a fresh process."""
    with tempfile.TemporaryDirectory(prefix="revsearch-floor-") as folder:
        out = Path(folder, "floor.json")
        run = run_measured([sys.executable, "-c", FLOOR_PROGRAM, str(corpus), str(out)])
        figures = json.loads(out.read_text())
    return Floor(figures["load_s"], figures["tokenize_s"], run.peak_tree_bytes)


def ingest_and_floor(
    corpus: Path, indexes: dict[str, Path | str], repeat: int, ingesting: bool
) -> tuple[dict[str, list[Measured]], list[Floor]]:
    """Ingest into each of ``indexes`` (by engine; unless not ``ingesting``) and
    the Kiwi floor, in turn, ``repeat`` times."""
    ingests: dict[str, list[Measured]] = {engine: [] for engine in indexes} if ingesting else {}
    floors: list[Floor] = []
    for k in range(repeat):
        for engine, runs in ingests.items():
            log(f"ingest {k + 1}/{repeat}: revsearch index --rebuild --quiet{f' ({engine})' if engine else ''}")
            runs.append(ingest(corpus, indexes[engine]))
            log(f"  {runs[-1].wall_s:.1f} s, peak {mb(runs[-1].peak_tree_bytes)}")
        log(f"Kiwi floor {k + 1}/{repeat}")
        floors.append(kiwi_floor(corpus))
        log(f"  {floors[-1].tokenize_s:.1f} s (model load {floors[-1].load_s:.1f} s)")
    return ingests, floors


def warm(indexes: dict[str, Path | str], repeat: int) -> dict[str, Warm]:
    """Open each of ``indexes`` (by engine) in this process, search once (Kiwi
    loads), then time every query of QUERIES and FILTERED ``repeat`` times, in
    passes over the whole list, each query on every index in turn (the first
    to go alternating). A query that raises RevsearchError on an index is
    recorded and not run again there."""
    from searcher import ReviewIndex, RevsearchError

    queries: list[tuple[str, str, dict[str, str]]] = [(q, q, {}) for q in QUERIES]
    queries += [(f"{q} ({', '.join(f'{k}={v}' for k, v in kw.items())})", q, kw) for q, kw in FILTERED]
    engines = list(indexes)
    times = {e: {label: [] for label, _, _ in queries} for e in engines}
    totals: dict[str, dict[str, int]] = {e: {} for e in engines}
    errors: dict[str, dict[str, str]] = {e: {} for e in engines}
    opened: dict[str, ReviewIndex] = {}
    open_s, first_s = {}, {}
    try:
        for e in engines:
            start = time.perf_counter()
            opened[e] = ReviewIndex.open(indexes[e])
            open_s[e] = time.perf_counter() - start
            opened[e].search(QUERIES[0], limit=LIMIT)
            first_s[e] = time.perf_counter() - start - open_s[e]
        for r in range(repeat):
            log(f"warm queries: pass {r + 1}/{repeat}")
            for i, (label, q, kw) in enumerate(queries):
                for e in engines[(r + i) % len(engines) :] + engines[: (r + i) % len(engines)]:
                    if label in errors[e]:
                        continue
                    start_q = time.perf_counter()
                    try:
                        results = opened[e].search(q, limit=LIMIT, **kw)
                    except RevsearchError as error:
                        errors[e][label] = f"{type(error).__name__}: {error}"
                        log(f"  {label}{f' ({e})' if e else ''}: {errors[e][label]}")
                        continue
                    times[e][label].append(time.perf_counter() - start_q)
                    totals[e][label] = results.total
        reviews = {e: len(ix) for e, ix in opened.items()}
    finally:
        for ix in opened.values():
            ix.close()
    return {
        e: Warm(open_s[e], first_s[e], reviews[e], [
            Latency(label, statistics.median(t), totals[e][label]) for label, t in times[e].items() if label not in errors[e]
        ], errors[e])
        for e in engines
    }


def synonym_cost(index: Path, repeat: int, report: dict) -> list[Row]:
    """Each of QUERIES searched ``repeat`` times with no synonyms, unmatched
    ones and matched ones, the three interleaved (in turns, so none always
    goes first); each variant's median of the queries' medians, and the median
    of the per-query differences to none (for matched, over the queries it expands)."""
    from searcher import ReviewIndex
    from searcher.synonyms import Synonyms

    variants = {
        "none": None, "unmatched": Synonyms.parse(UNMATCHED_SYNONYMS), "matched": Synonyms.parse(MATCHED_SYNONYMS),
    }
    times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in QUERIES} for name in variants}
    with ReviewIndex.open(index) as ix:
        for synonyms in variants.values():
            ix.synonyms = synonyms  # in memory only: the index is not written
            ix.search(QUERIES[0], limit=LIMIT)  # Kiwi loaded, the synonyms analysed
        for r in range(repeat):
            log(f"synonyms: pass {r + 1}/{repeat}")
            for i, q in enumerate(QUERIES):
                names = list(variants)
                for name in names[(r + i) % 3 :] + names[: (r + i) % 3]:
                    ix.synonyms = variants[name]
                    start = time.perf_counter()
                    ix.search(q, limit=LIMIT)
                    times[name][q].append(time.perf_counter() - start)
        ix.synonyms = variants["matched"]
        expanded = [q for q in QUERIES if ix.plan(q).synonyms]
    medians = {name: {q: statistics.median(t) for q, t in by_query.items()} for name, by_query in times.items()}
    print(f"\nsynonyms: {len(QUERIES)} warm queries x {repeat} repeats, interleaved (median of each query's median)")
    figures = {}
    for name in variants:
        overall = statistics.median(medians[name].values())
        compared = expanded if name == "matched" else QUERIES
        added = statistics.median(medians[name][q] - medians["none"][q] for q in compared)
        figures[name] = {"p50_s": overall, "added_s": added}
        over = f" (the {len(expanded)} queries expanded)" if name == "matched" else ""
        print(f"  {name:<10} p50 {overall * 1000:6.1f} ms   added to none {added * 1000:+6.2f} ms{over}")
    report["synonyms"] = figures
    return [("synonyms unmatched, +", f"{figures['unmatched']['added_s'] * 1000:+.2f} ms", "", None)]


def narrowing(index: Path, repeat: int, report: dict) -> list[Row]:
    """The engine's part of each of QUERIES (its first tier's candidates and
    its second tier's count), with words searched together scoring only the
    reviews holding them all (``narrow_from``, the default) and scoring every
    posting; the index opened both ways in this process, in turns. Each
    way's p50/p95/max of the queries' medians."""
    from searcher import ReviewIndex, WhooshSettings
    from searcher.query import parse

    ways = {"every posting": WhooshSettings(narrow_from=2**62), "narrowed": WhooshSettings()}
    times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in QUERIES} for name in ways}
    opened = {name: ReviewIndex.open(index, engine_settings=settings) for name, settings in ways.items()}
    try:
        plans = {q: parse(q, opened["narrowed"].analyzer) for q in QUERIES}
        for r in range(repeat):
            log(f"narrowing: pass {r + 1}/{repeat}")
            for i, q in enumerate(QUERIES):
                names = list(ways)[::-1] if (r + i) % 2 else list(ways)
                for name in names:
                    engine, plan = opened[name].engine, plans[q]
                    start = time.perf_counter()
                    engine.read(lambda view: (view.top(plan.strict, LIMIT), view.count(plan.loose)))
                    times[name][q].append(time.perf_counter() - start)
    finally:
        for ix in opened.values():
            ix.close()
    print(f"\nengine's part of {len(QUERIES)} queries x {repeat} (first tier, second tier's count), in turns")
    figures = {}
    for name, by_query in times.items():
        medians = sorted(statistics.median(t) for t in by_query.values())
        figures[name] = {"p50_s": percentile(medians, 50), "p95_s": percentile(medians, 95), "max_s": medians[-1]}
        print(f"  {name:<14}" + "   ".join(f"{k[:-2]} {v * 1000:5.1f} ms" for k, v in figures[name].items()))
    report["narrowing"] = figures
    return [("engine p95, narrowed / every posting", f"{figures['narrowed']['p95_s'] * 1000:.1f} / "
             f"{figures['every posting']['p95_s'] * 1000:.1f} ms", "", None)]


@dataclass(frozen=True)
class Faceted:
    """One facet query's medians: the plain search, with the counted facets, with ``terms``."""

    query: str
    total: int
    plain_s: float
    facets_s: float
    terms_s: float


def faceted(index: Path, repeat: int) -> tuple[float, list[Faceted]]:
    """The first facet search (it builds the value tables), then each of
    FACET_QUERIES plain, with COUNTED_FACETS and with ``terms``, ``repeat``
    times in turn; medians."""
    from searcher import ReviewIndex

    def clock(ix, query: str, facets: tuple[str, ...]) -> float:
        start = time.perf_counter()
        ix.search(query, limit=LIMIT, facets=facets)
        return time.perf_counter() - start

    rows = []
    with ReviewIndex.open(index) as ix:
        ix.search(FACET_QUERIES[0], limit=LIMIT)  # Kiwi loads
        first = clock(ix, FACET_QUERIES[0], COUNTED_FACETS)
        for query in FACET_QUERIES:
            times: dict[tuple[str, ...], list[float]] = {(): [], COUNTED_FACETS: [], ("terms",): []}
            for _ in range(repeat):
                for facets, kept in times.items():
                    kept.append(clock(ix, query, facets))
            medians = [statistics.median(kept) for kept in times.values()]
            rows.append(Faceted(query, ix.search(query, limit=1).total, *medians))
    return first, rows


def print_faceted(first: float, rows: list[Faceted], repeat: int, report: dict) -> list[Row]:
    print(f"\nfacets (median of {repeat}; {', '.join(COUNTED_FACETS)}), first facet search (builds the tables) {first:.2f} s")
    print(f"  {'matches':>9}  {'plain':>8}  {'facets':>8}  {'terms':>8}  query")
    for r in rows:
        print(f"  {r.total:>9,}  {r.plain_s * 1000:6.1f}ms  {r.facets_s * 1000:6.1f}ms  {r.terms_s * 1000:6.1f}ms  {r.query}")
    report["facets"] = {"first_s": first, "queries": [asdict(r) for r in rows]}
    big = [r for r in rows if r.total >= 100_000] or rows
    added = max(r.facets_s - r.plain_s for r in big)
    terms = max(r.terms_s - r.plain_s for r in rows)
    return [
        ("facets added, 100K+", f"{added * 1000:.1f} ms", f"<= {MAX_FACETS_ADDED_S * 1000:g} ms", added <= MAX_FACETS_ADDED_S),
        ("terms added", f"{terms * 1000:.1f} ms", f"<= {MAX_TERMS_ADDED_S * 1000:g} ms", terms <= MAX_TERMS_ADDED_S),
    ]


def features(index: Path, repeat: int) -> dict[str, list[float]]:
    """Per kind of search, each query's median over ``repeat`` passes, timed in
    one process side by side: ``plain`` (each of QUERIES, limit 10), ``page``
    (the same from DEEP_OFFSET), ``group`` (by item), ``explain``, and
    ``similar`` (to each of the first SIMILAR_SOURCES hits of each query)."""
    from searcher import ReviewIndex

    kinds: dict[str, Callable] = {
        "plain": lambda ix, q: ix.search(q, LIMIT),
        "page": lambda ix, q: ix.search(q, LIMIT, offset=DEEP_OFFSET),
        "group": lambda ix, q: ix.search(q, LIMIT, group="item"),
        "explain": lambda ix, q: ix.search(q, LIMIT, explain=True),
    }
    times: dict[str, dict[str, list[float]]] = {kind: {} for kind in [*kinds, "similar"]}
    with ReviewIndex.open(index) as ix:
        sources = [hit.id for q in QUERIES for hit in ix.search(q, SIMILAR_SOURCES, passages_per_hit=0)]
        ix.similar(sources[0])
        for r in range(repeat):
            log(f"pages, groups, explain, similar: pass {r + 1}/{repeat}")
            for q in QUERIES:
                for kind, run in kinds.items():
                    start = time.perf_counter()
                    run(ix, q)
                    times[kind].setdefault(q, []).append(time.perf_counter() - start)
            for source in sources:
                start = time.perf_counter()
                ix.similar(source, LIMIT)
                times["similar"].setdefault(source, []).append(time.perf_counter() - start)
    return {kind: [statistics.median(t) for t in by.values()] for kind, by in times.items()}


def print_features(medians: dict[str, list[float]], repeat: int, report: dict) -> list[Row]:
    print(f"\npages, groups, explain, similar: median of {repeat} runs each, limit {LIMIT}, passages on")
    for kind, values in medians.items():
        what = f"{len(values)} {'reviews' if kind == 'similar' else 'queries'}"
        print(
            f"  {kind:<8} p50 {statistics.median(values) * 1000:6.1f} ms   p95 {percentile(values, 95) * 1000:6.1f} ms"
            f"   max {max(values) * 1000:6.1f} ms  ({what})"
        )
    report["features"] = medians
    p95 = percentile(medians["similar"], 95)
    return [("similar p95", f"{p95 * 1000:.1f} ms", f"<= {MAX_SIMILAR_P95_S * 1000:g} ms", p95 <= MAX_SIMILAR_P95_S)]


def cold(index: Path, repeat: int) -> Cold:
    """``repeat`` cycles of: stop the index's resident server, then time a first
    query (it starts the server), each query of COLD_QUERIES answered by the
    server, a ``--no-resident`` query and ``python -c "import whoosh"``; after one
    untimed run of each to warm the page cache. The server is stopped at the end.
    SystemExit if no server starts (REVSEARCH_RESIDENT=0, or see its log)."""
    from searcher import resident

    def query(q: str, *flags: str) -> float:
        return timed([*revsearch_command(), "query", q, "--index", str(index), "--json", *flags])

    def baseline() -> float:
        return timed([sys.executable, "-c", "import whoosh"])

    runs = Cold([], [], [], [])
    try:
        for q in COLD_QUERIES:
            query(q, "--no-resident")
        query(COLD_QUERIES[0])
        if not any(server["index"] == str(index.resolve()) for server in resident.servers()):
            raise SystemExit(
                f"no resident server started for {index}: is REVSEARCH_RESIDENT=0? (logs in {resident.runtime_dir()})"
            )
        baseline()
        for i in range(repeat):
            log(f"cold query {i + 1}/{repeat}")
            q = COLD_QUERIES[i % len(COLD_QUERIES)]
            resident.stop(index)
            runs.first.append(query(q))
            runs.resident.extend(query(each) for each in COLD_QUERIES)
            runs.in_process.append(query(q, "--no-resident"))
            runs.import_whoosh.append(baseline())
    finally:
        resident.stop(index)
    return runs


@contextmanager
def typesense_location(url: str | None, work: Path) -> Iterator[tuple[str, int | None, Path | None]]:
    """The collection measured: ``url``'s, or ``perf`` on a local 1-node server
    started in WORK/typesense (its key exported meanwhile, for the ingest's
    processes too; stopped at the end); the local server's process id and data
    folder (None for ``url``)."""
    if url:
        yield url, None, None
        return
    from searcher.engines.typesense.cluster import LocalCluster

    folder = work / "typesense"
    log(f"starting a 1-node typesense-server in {folder}")
    cluster = LocalCluster.start(folder, nodes=1)
    os.environ["TYPESENSE_API_KEY"] = cluster.api_key
    try:
        yield cluster.url("perf"), cluster.nodes[0].pid, folder / "node1" / "data"
    finally:
        cluster.stop()


def process_memory(pid: int) -> tuple[int, int]:
    """VmRSS and VmHWM (its peak so far) of process ``pid``, in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    values = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith(("VmRSS:", "VmHWM:"))}
    return values["VmRSS"], values["VmHWM"]


def measure_typesense(args: argparse.Namespace, work: Path, report: dict) -> list[Row]:
    """The Typesense engine beside the Whoosh engine on the same reviews (see
    the module): ingests and Kiwi floor, warm queries interleaved, the server's memory."""
    from searcher import ReviewIndex

    rows: list[Row] = []
    corpus = prepare(args.data, work, args.sample)
    files, reviews = count_reviews(corpus)
    log(f"{files} files, {reviews} reviews in {corpus}")
    print(f"corpus: {files:,} files, {reviews:,} reviews ({corpus})")
    report |= {"corpus": str(corpus), "files": files, "reviews": reviews}
    with typesense_location(args.url, work) as (url, pid, data):
        indexes: dict[str, Path | str] = {"typesense": url, "whoosh": args.index or work / "ix"}
        ingests, floors = ingest_and_floor(corpus, indexes, args.repeat, True)
        memory = {"after ingest": process_memory(pid)} if pid else {}
        for engine, runs in ingests.items():
            rows += print_ingest(runs, reviews, report, engine)
        rows += print_floor(floors, ingests, reviews, report)
        log("warm queries on both indexes")
        for engine, warmed in warm(indexes, args.query_repeat).items():
            rows += print_warm(warmed, args.query_repeat, report, engine)
        with ReviewIndex.open(url) as ix:
            report["engine"] = asdict(ix.describe())
        if pid and data:
            memory["after queries"] = process_memory(pid)
            rows += print_server(memory, data, report)
    return rows + print_size(indexes["whoosh"], folder_bytes(indexes["whoosh"]), reviews, report)


def print_server(memory: dict[str, tuple[int, int]], data: Path, report: dict) -> list[Row]:
    size = folder_bytes(data)
    print("\ntypesense-server, 1 local node (its process, from /proc)")
    for when, (rss, peak) in memory.items():
        print(f"  {when:<14} RSS {mb(rss)}, peak so far {mb(peak)}")
    print(f"  data folder {size / 1e6:.1f} MB ({data})")
    report["typesense_server"] = {
        "memory": {when: {"rss_bytes": rss, "peak_bytes": peak} for when, (rss, peak) in memory.items()},
        "data_bytes": size,
    }
    rss, peak = memory["after queries"]
    return [
        ("typesense: server RSS", mb(rss), "", None),
        ("typesense: server peak", mb(peak), "", None),
        ("typesense: data folder", f"{size / 1e6:.1f} MB", "", None),
    ]


def timed(cmd: list[str]) -> float:
    """Wall time of ``cmd`` run to the end; SystemExit if it fails."""
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed (exit {done.returncode}): {done.stderr.strip()}")
    return elapsed


def folder_bytes(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def scaled(raw: Path, work: Path, size: int) -> Path:
    """``work/scale-SIZE``: the first ``size`` reviews of the files of ``raw``
    in sorted order (the last file cut), and past their end copies of them
    with new ids (see the module). Made once; ``work/scale-SIZE.done`` marks it whole."""
    folder, done = work / f"scale-{size}", work / f"scale-{size}.done"
    if done.is_file():
        log(f"reusing {folder}")
        return folder
    log(f"making {folder}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    files, left, copy = sorted(raw.glob("*.json")), size, 0
    while left > 0:
        for f in files:
            records = json.loads(f.read_text(encoding="utf-8"))
            taken = records[:left]
            left -= len(taken)
            if copy == 0 and len(taken) == len(records):
                os.link(f, folder / f.name)
            else:
                for r in taken:
                    r["review_id"] = f"{r['review_id']}-c{copy}" if copy else r["review_id"]
                (folder / (f"c{copy}-{f.name}" if copy else f.name)).write_text(json.dumps(taken, ensure_ascii=False))
            if left <= 0:
                break
        copy += 1
    done.touch()
    return folder


def measure_queries(index: Path, repeat: int) -> tuple[dict, Measured]:
    """This script's warm queries on ``index`` (``--skip-ingest --cold-repeat 0``)
    in a fresh process: its figures, and the process measured (its peak RSS
    is a query process's)."""
    with tempfile.TemporaryDirectory(prefix="revsearch-perf-") as folder:
        out = Path(folder, "warm.json")
        run = run_measured([
            sys.executable, __file__, "--skip-ingest", "--index", str(index), "--cold-repeat", "0",
            "--query-repeat", str(repeat), "--json", str(out),
        ])
        return json.loads(out.read_text(encoding="utf-8")), run


def scale(args: argparse.Namespace, work: Path, report: dict) -> list[Row]:
    """The curve of ``--scale``: per size, ingest and floor (``--repeat`` pairs),
    warm queries in a fresh process, segments, size on disk."""
    raw, curve, rows = prepare(args.data, work, None), [], []
    for size in args.scale:
        corpus, index = scaled(raw, work, size), work / f"ix-scale-{size}"
        files, reviews = count_reviews(corpus)
        log(f"scale {reviews:,} reviews ({files:,} files)")
        runs, floors = ingest_and_floor(corpus, {"": index}, args.repeat, True)
        ingests = runs[""]
        log(f"warm queries on {index}")
        queries, process = measure_queries(index, args.query_repeat)
        warm_figures, ratios = queries["warm"], [m.wall_s / f.total_s for m, f in zip(ingests, floors)]
        point = {
            "reviews": reviews, "ingest_s": statistics.median(m.wall_s for m in ingests),
            "floor_s": statistics.median(f.total_s for f in floors), "ratio": statistics.median(ratios),
            "ingest_peak_tree_bytes": max(m.peak_tree_bytes for m in ingests),
            "p50_s": warm_figures["p50_s"], "p95_s": warm_figures["p95_s"], "max_s": warm_figures["max_s"],
            "first_search_s": warm_figures["first_search_s"], "query_process_bytes": process.peak_process_bytes,
            "segments": queries["engine"]["details"].get("segments"), "index_bytes": queries["index"]["bytes"],
        }
        curve.append(point)
        log(f"  {point}")
    print(f"\n{'reviews':>10} {'ingest':>8} {'floor':>7} {'ratio':>6} {'p50':>7} {'p95':>7} {'max':>7}"
          f" {'query RSS':>10} {'segments':>8} {'bytes/review':>12}")
    for p in curve:
        print(f"{p['reviews']:>10,} {p['ingest_s']:>7.1f}s {p['floor_s']:>6.1f}s {p['ratio']:>5.2f}x"
              f" {p['p50_s'] * 1000:>5.1f}ms {p['p95_s'] * 1000:>5.1f}ms {p['max_s'] * 1000:>5.1f}ms"
              f" {mb(p['query_process_bytes']):>10} {p['segments']:>8} {p['index_bytes'] / p['reviews']:>12,.0f}")
        size = f"{p['reviews']:,}"
        target = ratio_target(p["reviews"])
        rows += [
            (f"{size}: ingest / floor", f"{p['ratio']:.2f}x", f"<= {target}x", p["ratio"] <= target),
            (f"{size}: warm p95", f"{p['p95_s'] * 1000:.1f} ms", f"<= {MAX_P95_S * 1000:g} ms", p["p95_s"] <= MAX_P95_S),
            (f"{size}: warm max", f"{p['max_s'] * 1000:.1f} ms", f"<= {MAX_WARM_S * 1000:g} ms", p["max_s"] <= MAX_WARM_S),
            (f"{size}: query RSS", mb(p["query_process_bytes"]), f"<= {MAX_QUERY_BYTES / 1e9:g} GB",
             p["query_process_bytes"] <= MAX_QUERY_BYTES),
        ]
    report["scale"] = curve
    return rows


# ------------------------------------------------------------------ figures


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def show(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """The median of ``values``, with their min–max when there are several."""
    s = spread(values)
    text = f"{s['median']:,.{digits}f} {unit}"
    return text if len(values) == 1 else f"{text} (min–max {s['min']:,.{digits}f}–{s['max']:,.{digits}f})"


def mb(n: float) -> str:
    return f"{n / 1e6:,.0f} MB"


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def print_ingest(ingests: list[Measured], reviews: int, report: dict, engine: str = "") -> list[Row]:
    """The ingest's figures; those of ``engine``'s index when several engines are measured."""
    walls = [m.wall_s for m in ingests]
    rates = [reviews / w for w in walls]
    peak = max(m.peak_tree_bytes for m in ingests)
    largest = max(m.peak_process_bytes for m in ingests)
    on = f", {engine} engine" if engine else ""
    print(f"\ningest (revsearch index --rebuild --quiet{on}), {len(ingests)} run(s)")
    print(f"  wall                  {show(walls)}")
    print(f"  rate                  {show(rates, 'reviews/s', 0)}")
    print(f"  peak RSS, tree sum    {mb(peak)} (largest process, kernel: {mb(largest)})")
    report[f"ingest_{engine}" if engine else "ingest"] = {
        "runs": [asdict(m) for m in ingests], "wall_s": spread(walls), "reviews_per_s": spread(rates),
        "peak_tree_bytes": peak,
    }
    label = f"{engine}: " if engine else ""
    return [
        (f"{label}ingest wall", f"{statistics.median(walls):.1f} s", "", None),
        (f"{label}ingest rate", f"{statistics.median(rates):,.0f}/s", "", None),
        (f"{label}ingest peak RSS (tree)", mb(peak), f"<= {MAX_PEAK_BYTES / 1e9:g} GB", peak <= MAX_PEAK_BYTES),
    ]


def print_floor(floors: list[Floor], ingests: dict[str, list[Measured]], reviews: int, report: dict) -> list[Row]:
    """The Kiwi floor's figures, and the ratio of each engine's ingest (paired run by run) to it."""
    totals = [f.total_s for f in floors]
    rates = [reviews / t for t in totals]
    print(f"\nKiwi floor (Kiwi(num_workers=2) loaded, then tokenize; fresh process), {len(floors)} run(s)")
    print(f"  model load            {show([f.load_s for f in floors])}")
    print(f"  tokenize              {show([f.tokenize_s for f in floors])}")
    print(f"  load + tokenize       {show(totals)}")
    print(f"  rate                  {show(rates, 'reviews/s', 0)}")
    print(f"  peak RSS, tree sum    {mb(max(f.peak_tree_bytes for f in floors))}")
    report["kiwi_floor"] = {
        "runs": [asdict(f) for f in floors], "total_s": spread(totals), "reviews_per_s": spread(rates),
    }
    rows: list[Row] = [("Kiwi floor load+tokenize", f"{statistics.median(totals):.1f} s", "", None)]
    for engine, runs in ingests.items():
        ratios = [m.wall_s / f.total_s for m, f in zip(runs, floors)]
        ratio, target = statistics.median(ratios), ratio_target(reviews)
        print(f"  ratio ingest / floor  {show(ratios, 'x')} (median of the pairs){f', {engine} engine' if engine else ''}")
        report[f"ratio_ingest_floor_{engine}" if engine else "ratio_ingest_floor"] = spread(ratios)
        label = f"{engine}: " if engine else ""
        rows.append((f"{label}ratio ingest / floor", f"{ratio:.2f}x", f"<= {target}x", ratio <= target))
    return rows


def ratio_target(reviews: int) -> float:
    """The issue's ingest / floor target for a run of ``reviews``."""
    return MAX_RATIO if reviews >= LARGE_RUN else MAX_RATIO_SMALL


def print_warm(w: Warm, repeat: int, report: dict, engine: str = "") -> list[Row]:
    """The warm queries' figures; those of ``engine``'s index when several engines are measured."""
    on = f" ({engine} engine)" if engine else ""
    print(
        f"\nwarm queries{on}: {len(w.latencies)} queries x {repeat} repeats (median of each), limit {LIMIT}, passages on;"
        f" {w.reviews:,} reviews in the index"
    )
    print(f"  open {w.open_s * 1000:.0f} ms, first search (loads Kiwi) {w.first_search_s:.2f} s")
    rows: list[Row] = []
    if w.errors:
        print(f"  queries failed: {len(w.errors)}")
        for label, message in w.errors.items():
            print(f"    {label}: {message}")
        rows.append((f"{engine + ': ' if engine else ''}warm queries failed", f"{len(w.errors)}", "0", False))
    key = f"warm_{engine}" if engine else "warm"
    report[key] = asdict(w)
    if not w.latencies:
        return rows
    medians = [lat.median_s for lat in w.latencies]
    p50, p95, worst = statistics.median(medians), percentile(medians, 95), max(medians)
    print(f"  p50 {p50 * 1000:.1f} ms   p95 {p95 * 1000:.1f} ms   max {worst * 1000:.1f} ms")
    print(f"  the {SLOWEST} slowest:")
    for lat in sorted(w.latencies, key=lambda lat: -lat.median_s)[:SLOWEST]:
        print(f"    {lat.median_s * 1000:8.1f} ms {lat.total:>9,} matches  {lat.query}")
    report[key] |= {"p50_s": p50, "p95_s": p95, "max_s": worst}
    label = f"{engine}: " if engine else ""
    return rows + [
        (f"{label}warm query p50", f"{p50 * 1000:.1f} ms", "", None),
        (f"{label}warm query p95", f"{p95 * 1000:.1f} ms", f"<= {MAX_P95_S * 1000:g} ms", p95 <= MAX_P95_S),
        (f"{label}warm query max", f"{worst * 1000:.1f} ms", f"<= {MAX_WARM_S * 1000:g} ms", worst <= MAX_WARM_S),
    ]


def print_cold(runs: Cold, report: dict) -> list[Row]:
    median = statistics.median(runs.resident)
    print(f"\ncold query (revsearch query Q --json, fresh process), {len(runs.first)} cycles")
    print(f"  first, starting the resident server  {show(runs.first)}")
    print(f"  answered by the resident server      {show(runs.resident)} ({len(runs.resident)} runs)")
    print(f"  --no-resident, in its own process    {show(runs.in_process)}")
    print(f"  python -c \"import whoosh\"            {show(runs.import_whoosh)}")
    report["cold"] = {name: spread(values) for name, values in asdict(runs).items()}
    return [
        ("cold query, resident", f"{median:.2f} s", f"<= {MAX_COLD_S:g} s", median <= MAX_COLD_S),
        ("  first (starts server)", f"{statistics.median(runs.first):.2f} s", "", None),
        ("  --no-resident", f"{statistics.median(runs.in_process):.2f} s", "", None),
    ]


def typing(index: Path, repeat: int, report: dict) -> list[Row]:
    """Did-you-mean and as-you-type on the index, side by side with plain
    searches in the same process: the index's lexicon built once, then
    ``repeat`` runs of each (medians). Did-you-mean: each TYPOS query
    searched with it and without (passages off, so that only the search
    differs), and the QUERIES, where it does not trigger, likewise (passages
    on). As-you-type: ReviewIndex.suggest of every keystroke of TYPED and of PREFIXES."""
    from searcher import ReviewIndex, typos
    from searcher.jamo import compose, keys
    from searcher.query import parse
    from searcher.request import SearchRequest
    from searcher.search import search

    def median_s(work) -> float:
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    with ReviewIndex.open(index) as ix:
        ix.search(QUERIES[0])  # Kiwi
        start = time.perf_counter()
        words = len(ix.lexicon())
        built = time.perf_counter() - start

        def pair(query: str, passages: int) -> tuple[float, float]:
            request = SearchRequest(query, LIMIT, passages_per_hit=passages)
            plain = median_s(lambda: search(ix.engine, request, ix.settings))
            return plain, median_s(lambda: search(ix.engine, request, ix.settings, lexicon=ix.lexicon))

        print(f"\ndid-you-mean and as-you-type: lexicon of {words:,} words built in {built:.2f} s; {repeat} runs each (medians)")
        print(f"  {'query':<10} {'plain':>8} {'spelled':>8} {'added':>8} {'of which':>9}  suggestion (passages off;"
              " added: did-you-mean and the recall search; of which: did-you-mean alone)")
        added, alone = [], []
        for typo, meant in TYPOS:
            plain, spelled = pair(typo, 0)
            planned = parse(typo, ix.analyzer, ix.settings)
            spelling = median_s(lambda: ix.engine.read(
                lambda view: typos.spell(typo, typos.suspects(view, planned), ix.lexicon(view), ix.analyzer, 0.5)
            ))
            fixed = ix.search(typo, passages_per_hit=0)
            added.append(spelled - plain)
            alone.append(spelling)
            print(f"  {typo:<10} {plain * 1000:6.2f}ms {spelled * 1000:6.2f}ms {(spelled - plain) * 1000:6.2f}ms"
                  f" {spelling * 1000:7.2f}ms  {fixed.suggestion} ({fixed.total:,} found; {meant}: "
                  f"{ix.search(meant, passages_per_hit=0).total:,})")
        untouched = [pair(q, 3) for q in QUERIES]
        quiet = statistics.median([with_ - plain for plain, with_ in untouched])
        print(f"  {len(QUERIES)} QUERIES (not triggered): plain p50 {statistics.median([p for p, _ in untouched]) * 1000:.1f} ms,"
              f" with {statistics.median([w for _, w in untouched]) * 1000:.1f} ms, median added {quiet * 1000:+.2f} ms")
        typed = [compose(keys(word)[:n]) for word in TYPED for n in range(1, len(keys(word)) + 1)]
        prefixes = list(dict.fromkeys(typed + list(PREFIXES)))
        latencies = sorted((median_s(lambda: ix.suggest(prefix)), prefix) for prefix in prefixes)
    medians = [t for t, _ in latencies]
    p50, p95 = statistics.median(medians), percentile(medians, 95)
    print(f"  suggest: {len(prefixes)} prefixes, p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms,"
          f" slowest {latencies[-1][0] * 1000:.2f} ms ({latencies[-1][1]})")
    worst = max(alone)
    report["typing"] = {
        "lexicon_words": words, "lexicon_s": built, "spelling_and_recall_added_s": added, "spelling_s": alone,
        "not_triggered_added_s": quiet, "suggest_p50_s": p50, "suggest_p95_s": p95,
    }
    return [
        ("did-you-mean added", f"{worst * 1000:.2f} ms", f"<= {MAX_SPELLING_S * 1000:g} ms", worst <= MAX_SPELLING_S),
        ("  with recall search", f"{max(added) * 1000:.2f} ms", "", None),
        ("  when not triggered", f"{quiet * 1000:+.2f} ms", "", None),
        ("suggest p95", f"{p95 * 1000:.2f} ms", f"<= {MAX_SUGGEST_P95_S * 1000:g} ms", p95 <= MAX_SUGGEST_P95_S),
        ("lexicon build", f"{built:.2f} s", "", None),
    ]


def print_size(index: Path, size: int, reviews: int, report: dict) -> list[Row]:
    per_review = size / reviews if reviews else 0.0
    print(f"\nindex on disk: {size / 1e6:.1f} MB, {per_review:,.0f} bytes/review ({index})")
    report["index"] = {"path": str(index), "bytes": size, "reviews": reviews, "bytes_per_review": per_review}
    return [("index size", f"{size / 1e6:.1f} MB", "", None), ("index bytes/review", f"{per_review:,.0f}", "", None)]


def table(rows: list[Row]) -> str:
    """Figure, value, target and pass/fail, one a line."""
    width = max([24, *(len(name) for name, _, _, _ in rows)])
    lines = [f"{'figure':<{width}} {'value':>12}  target"]
    for name, value, target, ok in rows:
        verdict = "" if ok is None else "pass" if ok else "FAIL"
        lines.append(f"{name:<{width}} {value:>12}  {target:<10} {verdict}".rstrip())
    return "\n".join(lines)


# --------------------------------------------------------------------- main


def sizes(text: str) -> list[int]:
    """``50000,357000,1000000`` → the sizes, each at least 1."""
    try:
        found = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not sizes: {text!r} (numbers of reviews, comma-separated)") from None
    if not found or min(found) < 1:
        raise argparse.ArgumentTypeError("sizes must be at least 1")
    return found


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="nsmc-raw-even.tar.gz (raw/<movie_id>.json)")
    parser.add_argument(
        "--work", type=Path, metavar="DIR", help="extract and index here, reusing DIR/raw (default: a temporary folder)"
    )
    parser.add_argument("--sample", type=int, metavar="N", help="only the first N files, in sorted order")
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="K", help="run ingest and Kiwi floor K times each, alternately"
    )
    parser.add_argument("--query-repeat", type=int, default=5, metavar="R", help="runs of each warm query")
    parser.add_argument(
        "--cold-repeat", type=int, default=5, metavar="C",
        help="cold query cycles (first, resident, --no-resident, baseline); 0: none",
    )
    parser.add_argument("--index", type=Path, metavar="PATH", help="the index (default: WORK/ix)")
    parser.add_argument(
        "--skip-ingest", action="store_true", help="measure the existing index at --index; no ingest, no Kiwi floor"
    )
    parser.add_argument("--floor", action="store_true", help="with --skip-ingest, run the Kiwi floor all the same")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures to PATH")
    parser.add_argument(
        "--scale", type=sizes, metavar="SIZES", help="the curve over these corpus sizes (reviews, comma-separated: 50000,1000000)"
    )
    parser.add_argument(
        "--engine", choices=("whoosh", "typesense"), default="whoosh",
        help="typesense: the Typesense engine beside the Whoosh engine (a local 1-node server, the cluster extra)",
    )
    parser.add_argument(
        "--url", metavar="URL", help="with --engine typesense: the cluster's collection to index into (key in TYPESENSE_API_KEY)"
    )
    args = parser.parse_args(argv)
    if args.url and args.engine != "typesense":
        parser.error("--url goes with --engine typesense")
    if args.engine == "typesense" and (args.scale or args.skip_ingest):
        parser.error("--engine typesense ingests into both engines: no --scale or --skip-ingest with it")
    for name in ("sample", "repeat", "query_repeat"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.cold_repeat < 0:
        parser.error("--cold-repeat must be at least 0")
    if args.scale and (args.sample or args.skip_ingest or args.index):
        parser.error("--scale builds its own corpora and indexes: no --sample, --skip-ingest or --index with it")
    if args.floor and not args.skip_ingest:
        parser.error("--floor goes with --skip-ingest: without it the floor always runs")
    if args.skip_ingest and args.index is None and args.work is None:
        parser.error("--skip-ingest measures an existing index: give --index PATH (or --work DIR holding ix/)")
    extracted = args.work is not None and (args.work / "raw").is_dir()
    if (not args.skip_ingest or args.floor) and not extracted and not args.data.is_file():
        parser.error(f"no NSMC archive at {args.data}; give its path with --data")
    return args


def main(argv: Iterable[str] | None = None) -> None:
    args = parse_args(argv)
    ingesting, flooring = not args.skip_ingest, not args.skip_ingest or args.floor
    report: dict[str, object] = {"cores": os.cpu_count(), "sample_files": args.sample}
    rows: list[Row] = []
    print(f"revsearch performance on NSMC raw reviews, {os.cpu_count()} cores")
    with work_folder(args.work) as work:
        if args.scale:
            rows += scale(args, work, report)
        elif args.engine == "typesense":
            rows += measure_typesense(args, work, report)
        else:
            rows += measure(args, work, ingesting, flooring, report)
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"figures written to {args.json}")


def measure(args: argparse.Namespace, work: Path, ingesting: bool, flooring: bool, report: dict) -> list[Row]:
    """One index: ingest and floor (unless skipped), warm and cold queries, size and segments."""
    from searcher import ReviewIndex

    rows: list[Row] = []
    index = args.index or work / "ix"
    if args.skip_ingest and not index.is_dir():
        raise SystemExit(f"no index at {index}")
    if flooring:
        corpus = prepare(args.data, work, args.sample)
        files, reviews = count_reviews(corpus)
        log(f"{files} files, {reviews} reviews in {corpus}")
        print(f"corpus: {files:,} files, {reviews:,} reviews ({corpus})")
        report |= {"corpus": str(corpus), "files": files, "reviews": reviews}
        ingests, floors = ingest_and_floor(corpus, {"": index}, args.repeat, ingesting)
        if ingests:
            rows += print_ingest(ingests[""], reviews, report)
        rows += print_floor(floors, ingests, reviews, report)
    log(f"warm queries on {index}")
    warmed = warm({"": index}, args.query_repeat)[""]
    rows += print_warm(warmed, args.query_repeat, report)
    rows += synonym_cost(index, args.query_repeat, report)
    rows += narrowing(index, args.query_repeat, report)
    log(f"facet queries on {index}")
    rows += print_faceted(*faceted(index, args.query_repeat), args.query_repeat, report)
    rows += print_features(features(index, args.query_repeat), args.query_repeat, report)
    rows += typing(index, args.query_repeat, report)
    if args.cold_repeat:
        rows += print_cold(cold(index, args.cold_repeat), report)
    with ReviewIndex.open(index) as ix:
        info = ix.describe()
    report["engine"] = asdict(info)
    return rows + print_size(index, folder_bytes(index), warmed.reviews, report) + [
        ("index segments", f"{info.details.get('segments', '-')}", "", None)
    ]


if __name__ == "__main__":
    main()
