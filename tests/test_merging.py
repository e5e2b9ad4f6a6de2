"""Segments merged as an index is written: a run whose commits make many
segments ends with few, and finds, filters and sorts as an unmerged index of
the same reviews does; reviews deleted between runs stay deleted when the
segments holding them are merged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from searcher import ReviewIndex
from searcher.engines.whoosh.settings import WhooshSettings

SAMPLE = Path(__file__).resolve().parent / "data" / "nsmc-sample"
#: The engine's settings, but commits merge no segments.
UNMERGED = WhooshSettings(merge_limit=0)
SEARCHES = [
    ("연기", {}), ("배우 연기", {}), ("재밌 OR 감동", {}), ('"마지막 편"', {}), ("NOT 영화", {}),
    ("영화", {"sort": "date"}), ("영화 rating:[9 TO 10]", {}), ("영화", {"since": "2014-01-01", "until": "2014-12-31"}),
    ("드라마", {"author": "soul****"}), ("date:[2015-01-01 TO 2015-12-31]", {"sort": "date"}),
]


@pytest.fixture(scope="module")
def indexes(tmp_path_factory) -> tuple[ReviewIndex, ReviewIndex]:
    """The NSMC sample (300 reviews) committed every 20 reviews, merged and not."""
    root = tmp_path_factory.mktemp("merging")
    merged = ReviewIndex.create(root / "merged")
    merged.add_paths([SAMPLE], batch_size=20)
    unmerged = ReviewIndex.create(root / "unmerged", engine_settings=UNMERGED)
    unmerged.add_paths([SAMPLE], batch_size=20)
    return merged, unmerged


def test_a_run_committing_many_times_ends_with_few_segments(indexes) -> None:
    merged, unmerged = indexes
    assert unmerged.describe().details["segments"] == 15
    assert merged.describe().details["segments"] == 1
    assert len(merged) == len(unmerged) == 300
    assert sorted(r.id for r in merged.reviews()) == sorted(r.id for r in unmerged.reviews())


@pytest.mark.parametrize(("query", "options"), SEARCHES)
def test_the_merged_index_finds_filters_and_sorts_as_the_unmerged_one(indexes, query: str, options: dict) -> None:
    # Reviews tied (same score, or same date) may come in another order: a
    # merge numbers the reviews it merges after those the commit wrote.
    ours, theirs = (ix.search(query, limit=300, passages_per_hit=0, **options) for ix in indexes)
    assert ours.total == theirs.total == len(ours) > 0
    order = (lambda hit: hit.review.date) if options.get("sort") == "date" else (lambda hit: round(hit.score, 5))
    assert [order(hit) for hit in ours] == [order(hit) for hit in theirs]
    assert sorted((order(hit), hit.id, hit.review) for hit in ours) == sorted((order(hit), hit.id, hit.review) for hit in theirs)


def test_reviews_deleted_between_runs_stay_deleted_when_their_segments_are_merged(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(SAMPLE, src)
    ReviewIndex.create(tmp_path / "ix", engine_settings=UNMERGED).add_paths([src], batch_size=20)
    removed = json.loads((src / "104488.json").read_text(encoding="utf-8"))
    (src / "104488.json").unlink()
    changed = json.loads((src / "104864.json").read_text(encoding="utf-8"))
    (src / "104864.json").write_text(json.dumps(changed[:10], ensure_ascii=False), encoding="utf-8")
    kept = {r["review_id"] for r in json.loads((src / "10494.json").read_text(encoding="utf-8")) + changed[:10]}
    ix = ReviewIndex.open(tmp_path / "ix")  # the engine's settings: commits merge
    ix.add_paths([src], batch_size=20)
    assert ix.describe().details["segments"] == 1  # the first run's 15, with what it deleted, merged into one
    assert {r.id for r in ix.reviews()} == kept and len(ix) == 110
    assert {hit.id for hit in ix.search("영화 OR 드라마 OR 연기", limit=300, passages_per_hit=0)} <= kept
    assert [hit.id for hit in ix.search("슈스케", passages_per_hit=0)] == []  # only in a removed file's reviews
    assert ix.search(changed[0]["review"], passages_per_hit=0).hits[0].id == changed[0]["review_id"]


@pytest.mark.parametrize(("batch_size", "segments"), [(150, 1), (290, 2)])
def test_a_runs_last_few_reviews_are_not_merged_into_its_large_segment(tmp_path: Path, batch_size: int, segments: int) -> None:
    # 300 reviews: two commits of 150 are merged at the end; 290 then 10 are
    # left as they are, rather than 290 rewritten for the sake of 10.
    ix = ReviewIndex.create(tmp_path / "ix")
    ix.add_paths([SAMPLE], batch_size=batch_size)
    assert ix.describe().details["segments"] == segments
    assert len(ix) == 300 and ix.search("연기", passages_per_hit=0).total > 0
