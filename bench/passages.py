"""What passages cost a query, and whether two revsearch trees build the same ones.

Two indexes are built in the work folder (and reused): the 964 paragraphs of
KorQuAD 1.0 dev (long texts, article title as title) and the first ``--sample``
NSMC raw files (short reviews). Each measuring process opens them in turn and,
per query (after one untimed pass), times ``ReviewIndex.search(q, limit=10)``
with passages (3 per hit) and with ``passages_per_hit=0`` — wall time, and
the process's CPU time (all threads, Kiwi's included: the work done, which a
loaded machine moves less) — and records every hit's passages. Queries: KorQuAD dev questions (even articles, every
``--every``-th, at most ``--queries``), and perf.py's QUERIES on NSMC.

With ``--base TREE`` (another checkout, e.g. main; may be repeated), each
round runs one process of each TREE and one of this tree, in turn,
``--pairs`` times; the figures are the medians over rounds of each process's
p50 and p95 and mean CPU time, and the hits whose passages (text, highlights,
field, start) differ between each TREE and this tree are counted and shown.

    python bench/passages.py --work DIR [--base TREE ...] [--pairs P] [--sample N] [--queries Q] [--show D]

Progress goes to stderr, figures to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from perf import QUERIES, revsearch_command  # noqa: E402
from quality import DEFAULT_DATA, load  # noqa: E402

NSMC_RAW = Path("/tmp/nsmc/raw")
LIMIT = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build(work: Path, korquad: Path, nsmc: Path, sample: int) -> dict[str, Path]:
    """The two indexes in ``work``, built unless there."""
    from searcher import Review, ReviewIndex

    indexes = {"korquad": work / "korquad-ix", "nsmc": work / f"nsmc-{sample}-ix"}
    if not indexes["korquad"].exists():
        log("indexing the KorQuAD dev paragraphs")
        docs, _ = load(korquad, "dev")
        with ReviewIndex.create(indexes["korquad"]) as ix:
            ix.add(Review(id=d.id, title=d.title, body=d.body) for d in docs)
    if not indexes["nsmc"].exists():
        log(f"indexing the first {sample} NSMC files")
        corpus = work / f"nsmc-{sample}"
        shutil.rmtree(corpus, ignore_errors=True)
        corpus.mkdir()
        for f in sorted(nsmc.glob("*.json"))[:sample]:
            os.link(f, corpus / f.name)
        subprocess.run([*revsearch_command(), "index", str(corpus), "--index", str(indexes["nsmc"]), "--quiet"], check=True)
    return indexes


def measure(indexes: dict[str, list[str]], out: Path) -> None:
    """Time every query of each index (path → queries) with and without
    passages, in this process; write the times and passages to ``out``."""
    import searcher
    from searcher import QueryError, ReviewIndex

    report: dict = {"searcher": searcher.__file__, "sets": {}}
    for path, queries in indexes.items():
        with ReviewIndex.open(path) as ix:
            for q in queries:  # untimed: Kiwi loads, caches fill
                try:
                    ix.search(q, limit=LIMIT)
                except QueryError:
                    pass
            times: dict[str, list[float]] = {"on": [], "off": [], "cpu on": [], "cpu off": []}
            shown = {}
            for q in queries:
                try:
                    for kind, per_hit in (("on", 3), ("off", 0)):
                        start, cpu = time.perf_counter(), time.process_time()
                        found = ix.search(q, limit=LIMIT, passages_per_hit=per_hit)
                        times[kind].append(time.perf_counter() - start)
                        times[f"cpu {kind}"].append(time.process_time() - cpu)
                        if per_hit:
                            shown[q] = [[h.id, [p.to_dict() for p in h.passages]] for h in found]
                except QueryError:
                    continue
        report["sets"][path] = {**times, "passages": shown}
    out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run_tree(tree: Path, indexes: dict[str, list[str]], folder: Path, label: str) -> dict:
    """One measuring process on ``tree`` (its ``searcher`` first on the path), run from ``folder``."""
    spec, out = folder / f"{label}-spec.json", folder / f"{label}-out.json"
    spec.write_text(json.dumps(indexes, ensure_ascii=False), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, __file__, "--measure", str(spec), str(out)], check=True, cwd=folder, env=env)
    return json.loads(out.read_text(encoding="utf-8"))


def differences(base: dict, this: dict, show: int) -> dict[str, tuple[int, int]]:
    """Per index: hits compared, hits whose passages differ; the first ``show`` differences printed."""
    counts = {}
    for path, theirs in base["sets"].items():
        ours = this["sets"][path]["passages"]
        compared = differ = 0
        for q, hits in theirs["passages"].items():
            for (their_id, their_p), (our_id, our_p) in zip(hits, ours.get(q, [])):
                if their_id != our_id:
                    continue
                compared += 1
                if their_p != our_p:
                    differ += 1
                    if differ <= show:
                        print(f"\n{Path(path).name} {q!r} hit {their_id}:\n  base: {their_p}\n  this: {our_p}")
        counts[path] = (compared, differ)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="where the indexes are built and kept")
    parser.add_argument("--base", type=Path, action="append", default=[], help="another revsearch tree to compare with (A/B); may be repeated")
    parser.add_argument("--pairs", type=int, default=3, help="rounds of processes (default 3)")
    parser.add_argument("--sample", type=int, default=300, help="NSMC files indexed (default 300)")
    parser.add_argument("--queries", type=int, default=300, help="KorQuAD questions (default 300)")
    parser.add_argument("--every", type=int, default=10, help="take every N-th dev question (default 10)")
    parser.add_argument("--korquad", type=Path, default=DEFAULT_DATA, help="KorQuAD_v1.0_dev.json")
    parser.add_argument("--nsmc", type=Path, default=NSMC_RAW, help="folder of NSMC raw JSON files")
    parser.add_argument("--show", type=int, default=20, help="differing passages printed (default 20)")
    parser.add_argument("--measure", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        spec, out = args.measure
        measure(json.loads(spec.read_text(encoding="utf-8")), out)
        return
    if args.work is None:
        parser.error("--work is required")
    args.work.mkdir(parents=True, exist_ok=True)
    built = build(args.work, args.korquad, args.nsmc, args.sample)
    _, questions = load(args.korquad, "dev")
    indexes = {
        str(built["korquad"]): [q.text for q in questions[:: args.every]][: args.queries],
        str(built["nsmc"]): list(QUERIES),
    }
    trees = [(f"base{i + 1}" if len(args.base) > 1 else "base", base.resolve()) for i, base in enumerate(args.base)]
    trees.append(("this", ROOT))
    runs: dict[str, list[dict]] = {label: [] for label, _ in trees}
    with tempfile.TemporaryDirectory(prefix="revsearch-passages-") as folder:
        for r in range(args.pairs):
            for label, tree in trees:
                log(f"round {r + 1}/{args.pairs}: {label} ({tree})")
                runs[label].append(run_tree(tree, indexes, Path(folder), f"{label}-{r}"))
    print(f"{'set':<9} {'tree':<5} {'queries':>7} {'p50 on':>8} {'p95 on':>8} {'p50 off':>8} {'p95 off':>8} {'cpu on':>8} {'cpu off':>8}")
    for path in indexes:
        for label, _ in trees:
            sets = [run["sets"][path] for run in runs[label]]
            cells = [
                statistics.median(percentile(s[kind], p) * 1000 for s in sets)
                for kind in ("on", "off")
                for p in (50, 95)
            ]
            cells += [statistics.median(statistics.mean(s[kind]) * 1000 for s in sets) for kind in ("cpu on", "cpu off")]
            name = Path(path).name.removesuffix("-ix")
            print(f"{name:<9} {label:<5} {len(sets[0]['on']):>7} " + " ".join(f"{c:>8.1f}" for c in cells))
    print(f"(ms: wall p50 and p95, mean CPU time of the process; medians of {args.pairs} processes per tree)")
    for label, tree in trees[:-1]:
        print(f"\nagainst {label} ({tree}):")
        counts = differences(runs[label][0], runs["this"][0], args.show)
        for path, (compared, differ) in counts.items():
            print(f"{Path(path).name}: {differ} of {compared} hits with other passages than {label}")


if __name__ == "__main__":
    main()
