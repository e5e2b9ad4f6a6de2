"""Index folders that are crafted, damaged, or being committed to as they are read:
pickles naming code are refused, damage is reported (by checksums where reading
cannot tell), and an open during a commit reads the commit's result."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from searcher import Review, ReviewIndex
from searcher.check import check
from searcher.errors import IndexDamagedError
from searcher.meta import foreign_files
from searcher.engines.whoosh.schema import build_schema

FRUITS = ["사과", "바나나", "포도", "수박", "참외", "자두", "복숭아", "딸기", "귤", "레몬"]


#: What `revsearch query` prints, alone, for an index ``ix`` holding a crafted pickle.
REFUSED = (
    "Error: the index in ix holds a pickled reference to posix.system, which revsearch does not load: its files "
    "were made elsewhere or are damaged; rebuild it with `revsearch index PATH... --rebuild --index ix`"
)


def make_index(folder: Path, count: int) -> Path:
    """An index of ``count`` short reviews, each with an author, a date and a rating."""
    with ReviewIndex.create(folder) as ix:
        ix.add(
            Review(
                id=f"r{i}", title=f"{FRUITS[i % 10]} 후기",
                body=f"{FRUITS[i % 10]} 맛이 좋았다 {FRUITS[i * 3 % 10]}도 샀다", author=f"user{i % 4}",
                date=dt.date(2024, 1 + i % 12, 1 + i % 28), rating=float(i % 10),
            )
            for i in range(count)
        )
    return folder


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searcher.cli", *args], cwd=cwd, capture_output=True, text=True)


def touch(marker: Path) -> tuple:
    """What a crafted pickle calls as it is loaded: a command creating ``marker``."""
    return (os.system, (f"touch '{marker}'",))


class Payload:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return touch(self.marker)


class CraftedSchema(Schema):
    def __init__(self, marker: Path):
        super().__init__()
        self.marker = marker

    def __reduce__(self):
        return touch(self.marker)


# ------------------------------------------------------------------ crafted pickles


@pytest.mark.parametrize("where", ["schema", "segment list"])
def test_a_crafted_table_of_contents_is_refused_not_run(tmp_path: Path, where: str) -> None:
    folder = make_index(tmp_path / "ix", 5)
    marker = tmp_path / "pwned"
    storage = FileStorage(str(folder))
    generation = TOC._latest_generation(storage, "MAIN")
    if where == "schema":
        toc = TOC(CraftedSchema(marker), [], generation + 1)
    else:
        toc = TOC(build_schema(), [Payload(marker)], generation + 1)
    toc.write(storage, "MAIN")

    with pytest.raises(IndexDamagedError, match=r"holds a pickled reference to posix\.system, which revsearch does"):
        ReviewIndex.open(folder)
    query = run("query", "사과", "--index", "ix", cwd=tmp_path)
    assert query.returncode == 2
    assert query.stderr.strip().splitlines() == [REFUSED]
    checked = run("check", "--index", "ix", cwd=tmp_path)
    assert checked.returncode == 2 and "Traceback" not in checked.stderr
    assert "posix.system, which revsearch does not load" in checked.stdout
    assert not marker.exists()


def test_a_crafted_posting_block_is_refused_not_run(tmp_path: Path) -> None:
    folder = make_index(tmp_path / "ix", 120)  # a word in 12 or more reviews: its block is compressed
    # a relative path, short enough for most blocks: what runs, runs in revsearch's folder
    evil = zlib.compress(pickle.dumps(Payload(Path("pwned")), 2))
    segment = next(folder.glob("MAIN_*.seg"))
    data = bytearray(segment.read_bytes())
    crafted = 0
    for at in range(len(data)):  # each zlib-compressed pickle in the file becomes the payload, padded to its size
        if data[at] != 0x78:  # zlib's first byte
            continue
        inflate = zlib.decompressobj()
        try:
            block = inflate.decompress(bytes(data[at : at + 4096]))
        except zlib.error:
            continue
        size = min(4096, len(data) - at) - len(inflate.unused_data)
        if inflate.eof and block.startswith(b"\x80\x02") and size >= len(evil):
            data[at : at + size] = evil + bytes(size - len(evil))
            crafted += 1
    assert crafted >= 10
    segment.write_bytes(bytes(data))

    query = run("query", "맛이 좋았다", "--index", "ix", cwd=tmp_path)
    assert query.returncode == 2
    assert query.stderr.strip().splitlines() == [REFUSED]
    checked = run("check", "--index", "ix", cwd=tmp_path)
    assert checked.returncode == 2 and "posix.system, which revsearch does not load" in checked.stdout
    assert not (tmp_path / "pwned").exists()


# ------------------------------------------------------------------ damage and checksums


QUERIES = ["사과", "맛이 좋았다", '"맛이 좋았다"', "포도 -수박", "rating:[3 TO 5]"]


def answers(folder: Path) -> tuple[list[dict], list[list[tuple[str, float]]]]:
    with ReviewIndex.open(folder) as ix:
        reviews = [r.to_dict() for r in ix.reviews()]
        return reviews, [[(h.id, round(h.score, 5)) for h in ix.search(q, limit=100)] for q in QUERIES]


def test_flipped_bytes_in_a_segment_are_damage_never_a_traceback_and_check_reports_each(tmp_path: Path) -> None:
    sound = make_index(tmp_path / "sound", 60)
    expected = answers(sound)
    assert check(sound).problems == []
    segment = next(sound.glob("MAIN_*.seg")).name
    size = (sound / segment).stat().st_size
    outcomes = []
    for k in range(16):
        at = k * size // 16 + 7
        folder = tmp_path / f"flip{k}"
        shutil.copytree(sound, folder)
        with open(folder / segment, "r+b") as f:
            f.seek(at)
            byte = f.read(1)[0]
            f.seek(at)
            f.write(bytes([byte ^ 0x55]))
        try:
            outcomes.append("same" if answers(folder) == expected else "changed")
        except IndexDamagedError:
            outcomes.append("damaged")
        assert any(f"segment file {segment} does not match its checksum" in p for p in check(folder).problems), at
    assert "damaged" in outcomes, outcomes


def test_an_index_without_checksums_is_noted_and_the_next_commit_records_them(tmp_path: Path) -> None:
    folder = make_index(tmp_path / "ix", 3)
    assert "checksums.json" not in foreign_files(folder) and (folder / "checksums.json").exists()
    (folder / "checksums.json").unlink()  # as an index from before checksums were kept
    report = check(folder)
    assert report.problems == [] and len(report.notes) == 1 and "no checksums are recorded" in report.notes[0]
    with ReviewIndex.open(folder) as ix:
        ix.add([Review(id="new", body="수박 맛이 좋았다")])
    assert check(folder).notes == [] and check(folder).problems == []
    ReviewIndex.create(folder).close()  # a rebuild starts the record anew
    assert check(folder).notes == [] and check(folder).problems == []


# ------------------------------------------------------------------ commits while reading


#: A writer committing deletions in a loop, ``argv[2]`` seconds: each commit writes a new
#: table of contents and deletes the old one (no Kiwi to load, so commits come fast).
#: (Segment files deleted by merges as an opener reads them are Whoosh's reader's to retry.)
WRITER = """
import sys, time
from searcher import ReviewIndex
ix = ReviewIndex.open(sys.argv[1])
ix.delete(["absent"])
print("ready", flush=True)
commits, end = 1, time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    ix.delete(["absent"])
    commits += 1
print(commits, flush=True)
"""


def test_opening_and_searching_while_a_writer_commits(tmp_path: Path) -> None:
    folder = make_index(tmp_path / "ix", 5)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(folder), "3"], stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        errors, opens = [], 0
        while writer.poll() is None:
            try:
                with ReviewIndex.open(folder) as ix:
                    if opens % 8 == 0:
                        assert [h.id for h in ix.search("사과")] == ["r0"]
                opens += 1
            except Exception as e:  # noqa: BLE001 - every one is a failure, counted
                errors.append(f"{type(e).__name__}: {e}")
        commits = int(writer.communicate(timeout=30)[0])
    finally:
        writer.kill()
        writer.wait()
    assert errors == []
    assert commits >= 30 and opens >= 100, (commits, opens)


def test_a_stored_review_damaged_into_an_invalid_one_is_damage_when_listed_or_found(tmp_path: Path) -> None:
    # A flipped byte can leave the stored JSON readable but no review (a date that is no date).
    with ReviewIndex.create(tmp_path / "ix") as ix:
        ix.add([Review(id="a", body="사과 맛이 좋았다", date="2024-05-01")])
    segment = next((tmp_path / "ix").glob("MAIN_*.seg"))
    data = segment.read_bytes()
    at = data.index(b'"2024-05-01"')
    segment.write_bytes(data[: at + 10] + b"b" + data[at + 11 :])
    with ReviewIndex.open(tmp_path / "ix") as ix:
        with pytest.raises(IndexDamagedError, match="is damaged .*Review.date"):
            list(ix.reviews())
        with pytest.raises(IndexDamagedError, match="is damaged"):
            ix.search("사과")
