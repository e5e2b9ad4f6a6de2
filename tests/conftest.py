"""Shared fixtures: the bundled corpus indexed once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from searcher import ReviewIndex

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"

# Searches run in the test process (and in the revsearch processes tests start):
# only tests/test_resident.py turns resident query servers on.
os.environ["REVSEARCH_RESIDENT"] = "0"


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> ReviewIndex:
    """An index of the four seed reviews (read only: tests must not add to it)."""
    ix = ReviewIndex.create(tmp_path_factory.mktemp("seed-index"))
    report = ix.add_paths([CORPUS])
    assert (report.files_read, report.reviews_indexed, report.skipped) == (4, 4, [])
    return ix


def seed_title(hit) -> str:
    return hit.review.title
