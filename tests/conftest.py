"""Shared fixtures: the bundled corpus indexed once per test session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from searcher import ReviewIndex
from searcher.engines.typesense.cluster import ClusterError, LocalCluster, server_binary

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

# Searches run in the test process (and in the revsearch processes tests start):
# only tests/test_resident.py turns resident query servers on.
os.environ["REVSEARCH_RESIDENT"] = "0"


@pytest.fixture(scope="session")
def typesense_cluster(tmp_path_factory) -> Iterator[LocalCluster]:
    """A real 1-node Typesense server (the ``cluster`` extra's binary), started
    as ``revsearch cluster start`` starts one, its API key in TYPESENSE_API_KEY
    meanwhile; stopped at the end. Skipped only if the binary is not installed."""
    try:
        server_binary()
    except ClusterError as e:
        pytest.skip(str(e))
    cluster = LocalCluster.start(tmp_path_factory.mktemp("typesense"), nodes=1)
    before = os.environ.get("TYPESENSE_API_KEY")
    os.environ["TYPESENSE_API_KEY"] = cluster.api_key
    try:
        yield cluster
    finally:
        cluster.stop()
        if before is None:
            os.environ.pop("TYPESENSE_API_KEY", None)
        else:
            os.environ["TYPESENSE_API_KEY"] = before


@pytest.fixture(scope="session", autouse=True)
def three_nodes_launched(request, tmp_path_factory) -> Iterator[LocalCluster | None]:
    """The 3-node cluster of tests/test_typesense_failover.py, launched as the
    session starts when that test is to run (else None), so that its first
    leader election (some 10 s) goes on while the other tests run; stopped at
    the end if that test has not stopped it."""
    wanted = any(item.path.name == "test_typesense_failover.py" for item in request.session.items)
    try:
        server_binary()
    except ClusterError:
        wanted = False
    if not wanted:
        yield None
        return
    cluster = LocalCluster.launch(tmp_path_factory.mktemp("three-nodes"), nodes=3)
    try:
        yield cluster
    finally:
        cluster.stop(timeout=5)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> ReviewIndex:
    """An index of the four seed reviews (read only: tests must not add to it)."""
    ix = ReviewIndex.create(tmp_path_factory.mktemp("seed-index"))
    report = ix.add_paths([CORPUS])
    assert (report.files_read, report.reviews_indexed, report.skipped) == (4, 4, [])
    return ix


def seed_title(hit) -> str:
    return hit.review.title
