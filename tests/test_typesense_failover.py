"""Failover on a real 3-node Typesense cluster (issue 23), started by the
code ``revsearch cluster start`` runs: the Raft leader is killed (SIGKILL,
as a machine dying) part way through an ingest while a loop of searches
goes on beside it. One kill, one cluster for both: the searches keep
answering, in bounded time, with the same reviews; the ingest finishes once
the two nodes left elect a new leader (Typesense 0.24.1 waits 5-10 s for
that, its election timeout fixed in the server); and the index then holds
exactly the reviews of the files. Skipped only if the ``cluster`` extra is
not installed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Iterator

import pytest

from searcher import Review, ReviewIndex
from searcher.engines.typesense.cluster import ClusterError, LocalCluster, Node, server_binary
from searcher.readers import read_file

from .conftest import CORPUS, ROOT

pytest.importorskip("typesense", reason="the cluster extra is not installed: pip install -e '.[test,cluster]'")

NSMC = ROOT / "tests" / "data" / "nsmc-sample"  # 3 files of 100 reviews
#: Reviews committed at a time: the leader dies after the first file's two commits, before the other four.
BATCH = 50
#: Seconds a search may take while the leader is dead (a search that waited out its
#: patience, 10 s, would have raised instead).
MAX_SEARCH_S = 3.0
#: Seconds between two searches of the loop (some 20 searches a second: the ingest shares the two cores).
PAUSE_S = 0.02
#: Seconds the ingest may take to finish after the kill: the election (5-10 s) and the rest of its writes.
MAX_RESUME_S = 40.0


@pytest.fixture(scope="module")
def three_nodes(three_nodes_launched: LocalCluster | None) -> Iterator[LocalCluster]:
    """Three typesense-server processes on free loopback ports (launched as the
    session started: see conftest), once they have a leader; their key in
    TYPESENSE_API_KEY meanwhile. All killed at the end, however the test went
    (their data is thrown away)."""
    try:
        server_binary()
    except ClusterError as e:
        pytest.skip(str(e))
    cluster = three_nodes_launched
    assert cluster is not None
    try:
        cluster.wait_ready(60)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("TYPESENSE_API_KEY", cluster.api_key)
            yield cluster
    finally:
        for node in cluster.nodes:
            cluster.kill(node)
        cluster.stop(timeout=5)


def _ids_in(folder: Path) -> set[str]:
    """The ids of the reviews in the files of ``folder``, as the readers read them."""
    return {r.id for f in sorted(folder.iterdir()) for r in read_file(f) if isinstance(r, Review)}


def test_searches_and_an_ingest_go_on_when_the_leader_is_killed(three_nodes) -> None:
    cluster = three_nodes
    url = cluster.url("failover")
    writer = ReviewIndex.create(url)
    writer.add_paths([CORPUS])
    reader = ReviewIndex.open(url)  # another client, as another machine searching
    lonely = {hit.id for hit in reader.search("외로움", passages_per_hit=0)}
    assert len(lonely) == 4  # every review of the film Her; none of the NSMC sample says 외로움

    answers: list[tuple[float, float, object]] = []  # (started, seconds, the ids found or the error)
    done = threading.Event()

    def search_loop() -> None:
        while not done.wait(PAUSE_S):
            started = time.monotonic()
            try:
                found: object = {hit.id for hit in reader.search("외로움", passages_per_hit=0)}
            except Exception as e:  # recorded, so that the assertion shows it
                found = f"{type(e).__name__}: {e}"
            answers.append((started, time.monotonic() - started, found))

    killed: list[tuple[float, Node, int]] = []

    def kill_the_leader_once(files_done: int, files: int, path: Path, reviews: int) -> None:
        """Called by the ingest after each file: the first time, the leader dies."""
        if not killed:
            leader = cluster.leader()
            assert leader is not None
            cluster.kill(leader)
            killed.append((time.monotonic(), leader, reviews))

    searcher = threading.Thread(target=search_loop, daemon=True)
    searcher.start()
    try:
        report = writer.add_paths([NSMC], progress=kill_the_leader_once, batch_size=BATCH)
        finished = time.monotonic()
    finally:
        done.set()
        searcher.join(timeout=2 * MAX_SEARCH_S)

    at, dead, reviews = killed[0]
    assert reviews == 100 and not cluster.alive(dead)  # killed mid-ingest: 100 of 300 committed
    assert (report.reviews_indexed, report.reviews_committed, report.skipped) == (300, 300, [])
    assert finished - at < MAX_RESUME_S
    assert [found for _, _, found in answers if found != lonely] == []  # each answered, the same four reviews
    after = [seconds for started, seconds, _ in answers if started >= at]
    assert len(after) >= 10 and max(after) < MAX_SEARCH_S  # searches went on all through the election
    new = cluster.leader()
    assert new is not None and new != dead
    assert sorted(r.id for r in ReviewIndex.open(url).reviews()) == sorted(_ids_in(CORPUS) | _ids_in(NSMC))
