"""Retrieval quality on KorQuAD 1.0 (issue 4): revsearch against two BM25 baselines.

The corpus is every paragraph of the KorQuAD 1.0 dev set (title = article
title); each question's relevant document is its own paragraph. Questions of
even-index articles are the dev split; odd-index articles are held out
(``--split test``): never tune on them. The dev split's MRR@10 is also given
for its two halves by article (A: index 0, 4, 8…; B: 2, 6, 10…): a change
worth keeping gains on both.

    python bench/quality.py [--systems revsearch ...] [--engine whoosh|typesense] [--limit-queries N] [--failures N] [--json PATH]

``--engine typesense`` runs revsearch on a local 1-node Typesense server (the
``cluster`` extra) started for the run and stopped after it.

Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "korquad" / "KorQuAD_v1.0_dev.json"
#: Hits asked of each system per query; Recall is measured up to this depth.
DEPTH = 20
#: MRR@10 of other systems on the dev split, as reported in issue 4.
REFERENCES: list[tuple[str, str]] = [
    ("whitespace BM25", "0.811"),
    ("Hangul-bigram BM25", "0.944"),
    ("naive Whoosh + Kiwi", "0.939"),
    ("Nori (Elasticsearch)", "0.953"),
    ("Nori (Elasticsearch), tuned", "0.956"),
    ("target", ">= 0.965, with R@20 >= 0.998"),
]


@dataclass(frozen=True)
class Doc:
    """One KorQuAD paragraph: id ``article-paragraph``, the article title, the paragraph."""

    id: str
    title: str
    body: str


@dataclass(frozen=True)
class Question:
    """A question, the index of its paragraph in the corpus, its first answer
    and the index of its article."""

    text: str
    doc: int
    answer: str
    article: int = 0

    @property
    def half(self) -> str:
        """The half of its split the question is in, by article: A or B."""
        return "A" if self.article % 4 < 2 else "B"


@dataclass
class Run:
    """What one system returned: per question, the corpus indices it ranked
    (best first), or None when the query was rejected (``errors`` maps the
    question's index to the message); and its timings."""

    name: str
    ranked: list[list[int] | None] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)
    index_s: float = 0.0
    query_s: float = 0.0

    def rank(self, i: int, q: Question) -> int | None:
        """1-based rank of question ``i``'s paragraph, None if not returned."""
        found = self.ranked[i]
        return found.index(q.doc) + 1 if found and q.doc in found else None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load(path: Path, split: str) -> tuple[list[Doc], list[Question]]:
    """All paragraphs, and the questions of the even (dev) or odd (test) articles."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    docs: list[Doc] = []
    questions: list[Question] = []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            if a % 2 == (0 if split == "dev" else 1):
                questions.extend(
                    Question(qa["question"], len(docs), qa["answers"][0]["text"], a) for qa in paragraph["qas"]
                )
            docs.append(Doc(f"{a}-{p}", article["title"], paragraph["context"]))
    return docs, questions


# ------------------------------------------------------------------ systems


def run_revsearch(docs: list[Doc], questions: list[Question], engine: str = "whoosh") -> Run:
    """Index and search through revsearch's library API, as a user would, on ``engine``."""
    from searcher import QueryError, Review, ReviewIndex
    from searcher.analysis import DEFAULT

    run = Run("revsearch" if engine == "whoosh" else f"revsearch-{engine}")
    start = time.perf_counter()
    DEFAULT.model()  # load the Kiwi model once, outside the timings
    log(f"revsearch: Kiwi model loaded in {time.perf_counter() - start:.1f} s (not counted below)")
    position = {d.id: i for i, d in enumerate(docs)}
    with _location(engine) as where:
        start = time.perf_counter()
        ix = ReviewIndex.create(where)
        ix.add(Review(id=d.id, title=d.title, body=d.body) for d in _progress(docs, "revsearch: indexing"))
        run.index_s = time.perf_counter() - start
        start = time.perf_counter()
        for i, q in enumerate(_progress(questions, "revsearch: searching")):
            try:
                hits = ix.search(q.text, limit=DEPTH, passages_per_hit=0)
            except QueryError as e:
                run.ranked.append(None)
                run.errors[i] = str(e)
                continue
            run.ranked.append([position[h.id] for h in hits])
        run.query_s = time.perf_counter() - start
        ix.close()
    return run


@contextmanager
def _location(engine: str) -> Iterator[str]:
    """Where the run's index goes: a temporary folder, or a collection of a
    1-node Typesense server started in one (its key exported meanwhile)."""
    with tempfile.TemporaryDirectory(prefix="revsearch-bench-") as folder:
        if engine == "whoosh":
            yield folder
            return
        from searcher.engines.typesense.cluster import LocalCluster

        cluster = LocalCluster.start(Path(folder) / "cluster", nodes=1)
        os.environ["TYPESENSE_API_KEY"] = cluster.api_key
        try:
            yield cluster.url("korquad")
        finally:
            cluster.stop()


def whitespace_tokens(text: str) -> list[str]:
    """Lowercased whitespace tokens."""
    return text.lower().split()


def bigram_tokens(text: str) -> list[str]:
    """Overlapping character bigrams of each whitespace token; a one-character token as itself."""
    return [t[i : i + 2] for t in whitespace_tokens(text) for i in range(max(len(t) - 1, 1))]


def run_bm25(name: str, tokenize: Callable[[str], list[str]], docs: list[Doc], questions: list[Question]) -> Run:
    """BM25 (bm25s defaults) over ``tokenize(title + paragraph)``; documents scoring 0 are not hits."""
    import bm25s

    run = Run(name)
    log(f"{name}: indexing and searching")
    start = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index([tokenize(f"{d.title}\n{d.body}") for d in docs], show_progress=False)
    run.index_s = time.perf_counter() - start
    start = time.perf_counter()
    found, scores = retriever.retrieve([tokenize(q.text) for q in questions], k=DEPTH, show_progress=False)
    run.ranked = [[int(d) for d, s in zip(row, srow) if s > 0] for row, srow in zip(found, scores)]
    run.query_s = time.perf_counter() - start
    return run


SYSTEMS: dict[str, Callable[[list[Doc], list[Question]], Run]] = {
    "revsearch": run_revsearch,
    "bm25-whitespace": partial(run_bm25, "bm25-whitespace", whitespace_tokens),
    "bm25-bigram": partial(run_bm25, "bm25-bigram", bigram_tokens),
}

T = TypeVar("T")


def _progress(items: Sequence[T], what: str, every: int = 250) -> Iterator[T]:
    """Yield ``items``, logging how far along every ``every`` items."""
    start = time.perf_counter()
    for n, item in enumerate(items, 1):
        yield item
        if n % every == 0 or n == len(items):
            log(f"{what} {n}/{len(items)} ({time.perf_counter() - start:.0f} s)")


# ------------------------------------------------------------------ figures


def metrics(run: Run, questions: list[Question]) -> dict[str, float | int]:
    """MRR@10 (all, and each half by article), Recall@1/5/20, timings and the
    number of rejected queries."""
    ranks = [run.rank(i, q) for i, q in enumerate(questions)]
    n = len(ranks)
    halves = {}
    for half in "AB":
        mine = [r for r, q in zip(ranks, questions) if q.half == half]
        halves[f"mrr@10 {half}"] = sum(1 / r for r in mine if r and r <= 10) / max(len(mine), 1)
    return {
        "mrr@10": sum(1 / r for r in ranks if r and r <= 10) / n,
        **halves,
        "recall@1": sum(1 for r in ranks if r and r <= 1) / n,
        "recall@5": sum(1 for r in ranks if r and r <= 5) / n,
        "recall@20": sum(1 for r in ranks if r and r <= 20) / n,
        "index_s": round(run.index_s, 3),
        "query_s": round(run.query_s, 3),
        "query_errors": len(run.errors),
    }


def table(figures: dict[str, dict[str, float | int]], queries: int) -> str:
    """The systems side by side, then the reference figures."""
    lines = [
        f"{'system':<18} {'MRR@10':>7} {'half A':>7} {'half B':>7} {'R@1':>7} {'R@5':>7} {'R@20':>7} {'index s':>8}"
        f" {'query s':>8} {'ms/query':>9}",
    ]
    for name, f in figures.items():
        lines.append(
            f"{name:<18} {f['mrr@10']:7.4f} {f['mrr@10 A']:7.4f} {f['mrr@10 B']:7.4f}"
            f" {f['recall@1']:7.4f} {f['recall@5']:7.4f} {f['recall@20']:7.4f}"
            f" {f['index_s']:8.1f} {f['query_s']:8.1f} {1000 * f['query_s'] / queries:9.2f}"
        )
    lines += ["", "reference MRR@10 (issue 4, dev split):"]
    lines += [f"  {name:<30} {value}" for name, value in REFERENCES]
    return "\n".join(lines)


def print_errors(run: Run, questions: list[Question], examples: int = 5) -> None:
    """How many queries the system rejected, with a few of them and why."""
    print(f"\n{run.name}: {len(run.errors)} queries raised QueryError (counted as misses)")
    for i, message in list(run.errors.items())[:examples]:
        print(f"  {questions[i].text!r}: {message}")


def print_failures(run: Run, docs: list[Doc], questions: list[Question], count: int) -> None:
    """The ``count`` worst misses: rejected or not returned first, then by rank, lowest first."""
    missed = [(run.rank(i, q), i) for i, q in enumerate(questions)]
    missed = [(r, i) for r, i in missed if r != 1]
    missed.sort(key=lambda ri: (-(ri[0] or DEPTH + 1), ri[1]))
    print(
        f"\n{run.name}: {len(missed)} misses (expected paragraph not ranked first); the {min(count, len(missed))} worst:"
    )
    for r, i in missed[:count]:
        q = questions[i]
        expected = docs[q.doc]
        where = "QueryError" if run.ranked[i] is None else f"rank {r}" if r else f"not in top {DEPTH}"
        print(f"\n[{where}] {q.text}  (answer: {q.answer})")
        print(f"  expected {_describe(expected)}")
        if run.ranked[i]:
            print(f"  first    {_describe(docs[run.ranked[i][0]])}")
        elif run.ranked[i] is None:
            print(f"  error    {run.errors[i]}")


def _describe(doc: Doc, chars: int = 70) -> str:
    """A paragraph's id, title and opening."""
    return f"{doc.id} {doc.title} | {doc.body[:chars]}…"


# --------------------------------------------------------------------- main


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="KorQuAD_v1.0_dev.json")
    parser.add_argument(
        "--split",
        choices=("dev", "test"),
        default="dev",
        help="dev: even-index articles; test: the held-out odd-index articles (never tune on them)",
    )
    parser.add_argument("--systems", nargs="+", choices=list(SYSTEMS), default=list(SYSTEMS))
    parser.add_argument(
        "--engine", choices=("whoosh", "typesense"), default="whoosh",
        help="the engine revsearch runs on (typesense: a local 1-node server, the cluster extra)",
    )
    parser.add_argument("--limit-queries", type=int, metavar="N", help="only the first N questions")
    parser.add_argument(
        "--failures", type=int, default=0, metavar="N", help="print revsearch's N worst misses (dev only)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all figures to PATH")
    args = parser.parse_args(argv)
    if args.limit_queries is not None and args.limit_queries < 1:
        parser.error("--limit-queries must be at least 1")
    if args.failures and args.split != "dev":
        parser.error("--failures is for the dev split only: do not study the held-out questions")
    if args.failures and "revsearch" not in args.systems:
        parser.error("--failures analyses revsearch: include it in --systems")
    if not args.data.is_file():
        parser.error(f"no KorQuAD file at {args.data}; give its path with --data")
    return args


def main(argv: Iterable[str] | None = None) -> None:
    args = parse_args(argv)
    docs, questions = load(args.data, args.split)
    questions = questions[: args.limit_queries] if args.limit_queries else questions
    log(f"{len(docs)} paragraphs, {len(questions)} {args.split} questions")
    if args.split == "test":
        log("held-out test split: report these figures, never tune on them")
    runs = [
        run_revsearch(docs, questions, args.engine) if name == "revsearch" else SYSTEMS[name](docs, questions)
        for name in args.systems
    ]
    figures = {run.name: metrics(run, questions) for run in runs}
    print(
        f"KorQuAD 1.0 passage retrieval: {len(docs)} paragraphs, {len(questions)} {args.split} questions, top {DEPTH}\n"
    )
    print(table(figures, len(questions)))
    for run in runs:
        if run.name.startswith("revsearch"):
            print_errors(run, questions)
            if args.failures:
                print_failures(run, docs, questions, args.failures)
    if args.json:
        report = {
            "data": str(args.data),
            "split": args.split,
            "paragraphs": len(docs),
            "queries": len(questions),
            "depth": DEPTH,
            "systems": figures,
            "query_errors": {
                run.name: [{"query": questions[i].text, "error": m} for i, m in run.errors.items()]
                for run in runs
                if run.errors
            },
            "references_mrr@10": dict(REFERENCES),
            "ranks": {run.name: [run.rank(i, q) for i, q in enumerate(questions)] for run in runs},
        }
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        log(f"figures written to {args.json}")


if __name__ == "__main__":
    main()
