"""Hostile queries and reviews: what a search costs at the limits of a query and on huge reviews.

Every case is ``ReviewIndex.search`` (limit 10) in this process, timed --repeat
times after one untimed run (Kiwi loaded, postings cached as in a warm
server); the median and min–max are printed with what the search returned (how
many reviews matched, or its error):

- NOT chains: ``NOT`` × 300 + 영화 (the issue's) and as many NOTs as the word
  limit allows;
- a long query: NSMC review texts joined up to the character limit (a pasted
  paragraph), and half of it: the two should cost in proportion;
- deep nesting: parentheses nested as deep as allowed, plain and each opened
  by a NOT;
- past the limits: 100,000 characters of review text, 250 nested parentheses
  (refused: the time to refuse them);
- huge reviews: 영화 among one review of 300 KB and one of 10 MB (an author
  filter singles each out), and a 300 KB review with 영화 in each of its 33,000
  sentences, with passages and without.

The query cases run on --index (an NSMC index) or on one built in the work
folder from the first --sample files of the NSMC archive (548: about 30,000
reviews). The huge reviews, NSMC review texts joined into sentences, are
indexed into their own small index in the work folder, kept there: Kiwi takes
minutes over 10 MB, so give --work to build it once.

    python bench/hostile.py [--data PATH] [--work DIR] [--sample N | --index PATH] [--repeat R] [--json PATH]

Progress goes to stderr, figures to stdout. The same script runs on a revsearch
without the query limits (the cases are built with the limits of this one), to
compare before and after.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from perf import DEFAULT_DATA, log, prepare, work_folder

LIMIT = 10
#: The limits the cases are built at: searcher.query's MAX_QUERY_CHARS, _WORDS
#: and _DEPTH, written out so that a revsearch without them runs the same cases.
CHARS, WORDS, DEPTH = 2000, 500, 32
#: The huge reviews, each filed under its id as author, and their size in
#: characters: NSMC review texts joined as sentences; and one short sentence
#: saying 영화 over and over (a match in every sentence).
HUGE = {"huge-300k": 300_000, "huge-10m": 10_000_000, "dense-300k": 300_000}
DENSE = "영화가 좋았다."
#: Filler reviews indexed beside the huge ones.
FILLER = 2000


@dataclass(frozen=True)
class Case:
    """One hostile search: its label, the query, keyword arguments of ``search``."""

    label: str
    query: str
    options: dict


@dataclass(frozen=True)
class Timed:
    """A case's label, its query's length, its timed runs and what the last returned."""

    label: str
    chars: int
    times: list[float]
    outcome: str


def nsmc_texts(raw: Path, files: slice) -> list[str]:
    """The review texts of some of the raw NSMC files, in sorted order."""
    return [r["review"] for f in sorted(raw.glob("*.json"))[files] for r in json.loads(f.read_text(encoding="utf-8"))]


def sentences(texts: list[str], size: int) -> str:
    """``texts`` joined as sentences (each closed by a full stop), repeated up to ``size`` characters."""
    closed = [t if t[-1] in ".!?" else t + "." for t in (t.strip() for t in texts) if t]
    out, length, i = [], 0, 0
    while length < size:
        out.append(closed[i % len(closed)])
        length += len(out[-1]) + 1
        i += 1
    return " ".join(out)[:size]


def query_cases(texts: list[str]) -> list[Case]:
    """The cases on the NSMC index; ``texts`` make the pasted text."""
    pasted = sentences(texts, 100_000)
    return [
        Case("NOT x 300 + 영화", "NOT " * 300 + "영화", {}),
        Case(f"NOT x {WORDS - 2} + 영화", "NOT " * (WORDS - 2) + "영화", {}),
        Case(f"pasted text, {CHARS // 2:,} chars", pasted[: CHARS // 2], {}),
        Case(f"pasted text, {CHARS:,} chars", pasted[:CHARS], {}),
        Case(f"{DEPTH} nested (", "(영화 " * DEPTH + "배우" + ")" * DEPTH, {}),
        Case(f"{DEPTH} nested NOT (", "NOT (" * DEPTH + "배우" + ")" * DEPTH, {}),
        Case("past the limit: 100,000 chars", pasted, {}),
        Case("past the limit: 250 nested (", "(" * 250 + "영화" + ")" * 250, {}),
    ]


def huge_cases() -> list[Case]:
    """영화 among each huge review, with passages and without."""
    return [
        Case(f"영화, {author}{suffix}", "영화", {"author": author, "passages_per_hit": passages})
        for author in HUGE
        for suffix, passages in (("", 3), (", no passages", 0))
    ]


def query_index(args: argparse.Namespace, work: Path) -> Path:
    """--index, or an index of the first --sample NSMC files in ``work`` (built unless there)."""
    from searcher import ReviewIndex

    if args.index:
        return args.index
    index = work / f"ix-{args.sample}"
    if not index.is_dir():
        corpus = prepare(args.data, work, args.sample)
        log(f"indexing {corpus} into {index}")
        with ReviewIndex.create(index) as ix:
            ix.add_paths([corpus])
    return index


def huge_index(args: argparse.Namespace, work: Path) -> Path:
    """An index in ``work`` of FILLER NSMC reviews and the HUGE reviews (built unless there)."""
    from searcher import Review, ReviewIndex

    index = work / "ix-huge"
    if index.is_dir():
        log(f"reusing {index}")
        return index
    texts = nsmc_texts(prepare(args.data, work, None), slice(1000, 1400))
    with ReviewIndex.create(index) as ix:
        ix.add(Review(id=f"filler-{i}", body=t, author="filler") for i, t in enumerate(texts[:FILLER]))
        for author, size in HUGE.items():
            log(f"indexing {author}, {size:,} characters (Kiwi takes minutes over megabytes)")
            body = sentences([DENSE] if author.startswith("dense") else texts, size)
            ix.add([Review(id=author, body=body, author=author, title="긴 리뷰")])
    return index


def run(index: Path, cases: list[Case], repeat: int) -> list[Timed]:
    """Each case searched once untimed, then ``repeat`` times timed."""
    from searcher import ReviewIndex

    out = []
    with ReviewIndex.open(index) as ix:
        ix.search("영화", limit=LIMIT)  # Kiwi loads
        for case in cases:
            times, outcome = [], ""
            for r in range(repeat + 1):
                start = time.perf_counter()
                try:
                    results = ix.search(case.query, limit=LIMIT, **case.options)
                    outcome = f"{results.total:,} matched"
                except Exception as e:  # noqa: BLE001 - a revsearch before the fixes fails in many ways
                    outcome = f"{type(e).__name__}: {e}"[:90]
                if r:
                    times.append(time.perf_counter() - start)
            log(f"  {case.label}: {statistics.median(times):.3f} s, {outcome}")
            out.append(Timed(case.label, len(case.query), times, outcome))
    return out


def show(timed: list[Timed]) -> None:
    width = max(len(t.label) for t in timed)
    for t in timed:
        median = statistics.median(t.times)
        spread = f"{min(t.times):.3f}–{max(t.times):.3f}"
        print(f"  {t.label:<{width}}  {median:8.3f} s  ({spread})  {t.chars:>7,} chars  {t.outcome}")


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="nsmc-raw-even.tar.gz (raw/<movie_id>.json)")
    parser.add_argument(
        "--work", type=Path, metavar="DIR",
        help="extract and build indexes here, and reuse them (default: a temporary folder)",
    )
    parser.add_argument(
        "--sample", type=int, default=548, metavar="N", help="index the first N NSMC files (548: ~30,000 reviews)"
    )
    parser.add_argument("--index", type=Path, metavar="PATH", help="run the query cases on this index instead")
    parser.add_argument("--repeat", type=int, default=5, metavar="R", help="timed runs of each case")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures to PATH")
    args = parser.parse_args(argv)
    if args.sample < 1 or args.repeat < 1:
        parser.error("--sample and --repeat must be at least 1")
    if args.index is not None and not args.index.is_dir():
        parser.error(f"no index at {args.index}")
    extracted = args.work is not None and (args.work / "raw").is_dir()
    if not extracted and not args.data.is_file():
        parser.error(f"no NSMC archive at {args.data}; give its path with --data")
    return args


def main(argv: Iterable[str] | None = None) -> None:
    args = parse_args(argv)
    with work_folder(args.work) as work:
        queries_on = query_index(args, work)
        texts = nsmc_texts(prepare(args.data, work, None), slice(600, 700))
        huge_on = huge_index(args, work)
        log(f"query cases on {queries_on}")
        queried = run(queries_on, query_cases(texts), args.repeat)
        log(f"huge reviews on {huge_on}")
        huge = run(huge_on, huge_cases(), args.repeat)
    print(f"hostile searches, median of {args.repeat} (min–max), limit {LIMIT}")
    print(f"\nqueries ({queries_on})")
    show(queried)
    print(f"\nhuge reviews ({huge_on})")
    show(huge)
    if args.json:
        figures = {"repeat": args.repeat, "queries": [asdict(t) for t in queried], "huge": [asdict(t) for t in huge]}
        args.json.write_text(json.dumps(figures, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
