"""The Whoosh engine keeps revsearch's index format: an index written at
this format (schema 3, analysis 4: tests/data/index-s3a4, the four corpus
reviews under fixed ids, two added again, one deleted) opens and answers
without a rebuild, and the same reviews written today make the same files,
byte for byte. (The engine seam was checked this way against an index written
before it. A change of the analysis or the schema bumps its version in
meta.py, which makes older indexes rebuild: then write this one anew with
_build.)"""

from __future__ import annotations

import dataclasses
import random
import shutil
from pathlib import Path

from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from searcher import ReviewIndex, check
from searcher.readers import read_file

DATA = Path(__file__).resolve().parents[1] / "data"
WRITTEN_BEFORE = DATA / "index-s3a4"
CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def _reviews():
    for path in sorted(CORPUS.iterdir()):
        for review in read_file(path):
            yield dataclasses.replace(review, id=path.stem, source=path.name)


def _build(folder: Path) -> None:
    """What tests/data/index-s3a4 was built by (random seeded: Whoosh names segments at random)."""
    state = random.getstate()
    random.seed(20)
    try:
        with ReviewIndex.create(folder) as ix:
            ix.add(_reviews())
            ix.add([dataclasses.replace(r, id=r.id + "-2") for r in _reviews()][:2])
            ix.delete(["000_2f24d16e98901be4"])
    finally:
        random.setstate(state)


def _contents(folder: Path) -> dict[str, bytes]:
    """The index's files; a segment's compound file by its inner files (its
    directory records their modification times)."""
    out, storage = {}, FileStorage(str(folder))
    for path in sorted(folder.iterdir()):
        if path.suffix == ".seg":
            compound = CompoundStorage(storage.open_file(path.name), use_mmap=False)
            out.update({f"{path.name}/{name}": compound.open_file(name).read() for name in compound.list()})
        elif path.name.endswith(".toc"):
            out[path.name] = path.read_bytes()
    return out


def test_an_index_written_before_opens_and_answers(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    shutil.copytree(WRITTEN_BEFORE, folder)
    assert check.check(folder).problems == []
    with ReviewIndex.open(folder) as ix:
        assert len(ix) == 5
        results = ix.search("사만다와의 이별")
        assert results.total == 5 and results.hits[0].passages[0].highlights


def test_the_same_reviews_make_the_same_files(tmp_path: Path) -> None:
    _build(tmp_path / "ix")
    before, now = _contents(WRITTEN_BEFORE), _contents(tmp_path / "ix")
    assert len(before) > 10 and sum(map(len, before.values())) > 200_000
    assert sorted(now) == sorted(before)
    assert [name for name in before if now[name] != before[name]] == []
