"""Index folders that are crafted, or being committed to as they are read: pickles
naming code are refused, never run; an open during a commit reads the commit's result."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from searcher import Review, ReviewIndex
from searcher.errors import IndexDamagedError
from searcher.schema import build_schema

FRUITS = ["사과", "바나나", "포도", "수박", "참외", "자두", "복숭아", "딸기", "귤", "레몬"]


#: What `revsearch query` prints, alone, for an index ``ix`` holding a crafted pickle.
REFUSED = (
    "Error: the index in ix holds a pickled reference to posix.system, which revsearch does not load: its files "
    "were made elsewhere or are damaged; rebuild it with `revsearch index --rebuild --index ix`"
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
    assert query.returncode == 1
    assert query.stderr.strip().splitlines() == [REFUSED]
    checked = run("check", "--index", "ix", cwd=tmp_path)
    assert checked.returncode == 1 and "Traceback" not in checked.stderr
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
    assert query.returncode == 1
    assert query.stderr.strip().splitlines() == [REFUSED]
    checked = run("check", "--index", "ix", cwd=tmp_path)
    assert checked.returncode == 1 and "posix.system, which revsearch does not load" in checked.stdout
    assert not (tmp_path / "pwned").exists()


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
    assert commits >= 100 and opens >= 100, (commits, opens)
