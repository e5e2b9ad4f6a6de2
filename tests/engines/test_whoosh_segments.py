"""The Whoosh engine's compatibility with Whoosh on the writing side: the
batches the analysis makes hold the postings Whoosh's own fields make, and
revsearch's segment writer (engines/whoosh/segment.py) writes the files
Whoosh's own writer writes, whatever the batches' term numbering; its pool
of postings stays bounded. These tests use Whoosh and the engine package's
modules directly, and pass the engine's knobs as WhooshSettings."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path

import pytest

from searcher import Review, ReviewIndex
from searcher.analysis import DEFAULT, analyze
from searcher.engines.whoosh import writer
from searcher.engines.whoosh.batch import NO_VALUE, Encoder, TermNumbers, encoded_at, is_several
from searcher.engines.whoosh.safeload import open_index
from searcher.engines.whoosh.schema import KiwiTokenizer, stored_reviews
from searcher.engines.whoosh.segment import SegmentWriter
from searcher.engines.whoosh.settings import WhooshSettings
from searcher.settings import IngestSettings

NSMC_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "nsmc-sample"
#: Segments byte for byte those of Whoosh's own writer: small blocks compressed, lone postings not inlined
#: (and commits merging none, as the tests here compare the segments a run writes).
AS_WHOOSH = WhooshSettings(compress_from=0, inline=False, merge_limit=0)
#: The engine's settings, but commits merge no segments.
UNMERGED = WhooshSettings(merge_limit=0)


def write(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def found_by(ix: ReviewIndex, query: str) -> list[str]:
    return [hit.id for hit in ix.search(query, limit=100)]


@pytest.mark.parametrize(
    "text",
    ["테오도르는 사만다와 헤어지고 테오도르의 편지를 쓴다", "ㅋㅋㅋㅋㅋ 연기 연기 연기 최고!!", "", "인공지능 OS와의 사랑, 인공 지능"],
)
def test_a_batch_holds_the_postings_whooshs_own_fields_make(text: str) -> None:
    # Reviews are indexed from the postings their batch holds, made where they
    # were analysed: they must be the ones Whoosh's own fields make of the same
    # values (positions decoded, as phrase queries read them).
    from whoosh.analysis import IDTokenizer, LowercaseFilter
    from whoosh.fields import ID, NUMERIC, TEXT
    from whoosh.formats import Positions

    builder = Encoder(DEFAULT, WhooshSettings().numbers_held).builder()
    # the review follows one with a title but no author, date or rating: its lengths and values line up all the same
    builder.add(Review(id="R0", title="제목", body="본문"), [analyze("제목"), analyze("본문"), [], []])
    review = Review(id="R1", body=text, author="Yean****", date=datetime.date(2015, 3, 1), rating=8.0, item="Ä")
    builder.add(review, [[], analyze(text), [], []])
    batch = builder.build()
    ours: dict[str, set] = {}
    for term, doc, weight, pos in zip(batch.terms, batch.docs, batch.weights, batch.positions):
        if doc == 0:
            continue
        name, tbytes = batch.keys[term]
        if pos == NO_VALUE:
            found = ()
        elif is_several(pos):
            found = tuple(Positions().decode_positions(batch.encoded[encoded_at(pos)]))
        else:
            found = (pos,)
        ours.setdefault(name, set()).add((tbytes, weight, found))
    lower = ID(analyzer=IDTokenizer() | LowercaseFilter())
    fields = {
        "body": (TEXT(analyzer=KiwiTokenizer(), phrase=True), text), "id": (ID(), "R1"), "author": (lower, "Yean****"),
        "item": (lower, "Ä"), "date": (ID(), "2015-03-01"), "rating": (NUMERIC(float, shift_step=0), 8.0),
    }
    theirs = {
        name: {(t, w, tuple(Positions().decode_positions(v)) if v else ()) for t, _, w, v in field.index(value)}
        for name, (field, value) in fields.items()
    }
    assert ours == {name: found for name, found in theirs.items() if found}
    assert batch.lengths["title"] == [1, 0] and batch.lengths["body"] == [1, len(analyze(text))]
    assert batch.columns["date"] == [None, b"2015-03-01"] and batch.columns["rating"][0] is None
    assert [json.loads(r)["id"] for r in batch.columns["review"]] == ["R0", "R1"] and batch.ids == ["R0", "R1"]


def postings(folder: Path) -> dict:
    """Each term's statistics and postings (document, weight, value), as a reader gets them."""
    out = {}
    with open_index(str(folder)).reader() as reader:
        for name, text in reader.all_terms():
            info, found = reader.term_info(name, text), []
            matcher = reader.postings(name, text)
            while matcher.is_active():
                found.append((matcher.id(), matcher.weight(), matcher.value() or None))  # no value: None or ""
                matcher.next()
            stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(), info.max_weight())
            out[name, text] = stats, found
    return out


def by_review(folder: Path) -> dict:
    """Each term's postings as (review id, weight, value), whatever the document numbers."""
    with open_index(str(folder)).reader() as reader:
        review = stored_reviews(reader)
        return {
            term: sorted((review(doc)["id"], weight, value) for doc, weight, value in found)
            for term, (_, found) in postings(folder).items()
        }


def test_terms_numbered_across_batches_and_anew_index_the_same_postings(tmp_path: Path, monkeypatch) -> None:
    # Batches name only the terms new to the run, and the numbering starts
    # again from 0 past WhooshSettings.numbers_held terms; small batches,
    # numbering started anew every few batches and commits between must give the same index.
    ReviewIndex.create(tmp_path / "one").add_paths([NSMC_SAMPLE])
    anew = []
    real_take = TermNumbers.take_new

    def take_new(numbers):
        first, keys = real_take(numbers)
        anew.append(first == 0)
        return first, keys

    monkeypatch.setattr(TermNumbers, "take_new", take_new)
    small = ReviewIndex.create(tmp_path / "many", ingest=IngestSettings(chunk=7), engine_settings=WhooshSettings(numbers_held=60, merge_limit=0))
    small.add_paths([NSMC_SAMPLE], batch_size=50)
    assert len(anew) > 20 and sum(anew) > 5
    one, many = ReviewIndex.open(tmp_path / "one"), ReviewIndex.open(tmp_path / "many")
    assert len(one) == len(many) > 100 and many.describe().details["segments"] > 1
    assert found_by(one, "연기") == found_by(many, "연기") != []
    assert by_review(tmp_path / "one") == by_review(tmp_path / "many")


def test_the_segment_writer_writes_the_files_whooshs_own_writer_writes(tmp_path: Path, monkeypatch) -> None:
    # revsearch pools batches' postings in arrays and writes them a term at a
    # time; its segments, and one merged from them with a review deleted, must
    # be byte for byte what Whoosh's own writer makes of the same reviews once
    # small blocks are compressed and lone postings not inlined, as Whoosh
    # does; as they are written, they must hold the same postings and term
    # statistics.
    from whoosh.formats import Positions
    from whoosh.writing import SegmentWriter as WhooshSegmentWriter

    def files(folder: Path) -> list[dict[str, bytes]]:
        out, ix = [], open_index(str(folder))
        for seg in ix._segments():
            compound = seg.open_compound_file(ix.storage)
            out.append({name.split(".", 1)[1]: compound.open_file(name).read() for name in compound.list()})
        return out

    src = tmp_path / "src"
    shutil.copytree(NSMC_SAMPLE, src)
    many = [{"review": f"영화 {i}번째 감상", "author": "같은이", "date": "2024-01-02", "rating": 9} for i in range(300)]
    write(src / "many.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in many))  # terms in 3 blocks of postings

    def build(folder: str, settings: WhooshSettings) -> tuple[list[dict[str, bytes]], list[dict[str, bytes]]]:
        ix = ReviewIndex.create(tmp_path / folder, engine_settings=settings)
        ix.add_paths([src], batch_size=200)
        written = files(tmp_path / folder)
        merging = writer.SegmentWriter(open_index(str(tmp_path / folder)), settings)
        merging.delete_by_term("id", min(r.id for r in ix.reviews()))
        merging.commit(optimize=True)
        return written, files(tmp_path / folder)

    class Whooshs(WhooshSegmentWriter):
        pooled = 0  # Whoosh's own pool spills to disk: never a reason to commit

        def __init__(self, ix, settings: WhooshSettings, kept=None):
            super().__init__(ix)  # Whoosh's own writer reads the segments it merges back from disk

        def add_batch(self, batch, start: int, end: int, files: list, keys) -> None:
            """Each review to Whoosh's own add_document, as its values (read back from its JSON)."""
            if not hasattr(self, "shared"):
                # revsearch's writer shares the encoding of each lone position, so
                # that pickle stores it once per block; Whoosh's encodes it anew
                add, self.shared = self.pool.add, {}

                def add_shared(posting: tuple) -> None:
                    *rest, value = posting
                    if value and len(Positions().decode_positions(value)) == 1:
                        value = self.shared.setdefault(value, value)
                    add((*rest, value))

                self.pool.add = add_shared
            for i, file in zip(range(start, end), files):
                r = json.loads(batch.columns["review"][i])
                fields = {"id": r["id"], "title": r["title"], "body": r["body"], "review": batch.columns["review"][i]}
                if r["keywords"] and not r["keywords_derived"]:
                    fields["keywords"] = "\n".join(r["keywords"])
                fields.update({name: r[name] for name in ("category", "author", "source", "item", "date") if r[name]})
                if r["rating"] is not None:
                    fields["rating"] = r["rating"]
                if file:
                    fields["file"] = file
                self.add_document(**fields)

    as_written = build("as written", UNMERGED)
    ours = build("ours", AS_WHOOSH)
    monkeypatch.setattr(writer, "SegmentWriter", Whooshs)  # the engine's writer writing with Whoosh's own
    theirs = build("whoosh", AS_WHOOSH)
    assert (len(ours[0]), len(ours[1])) == (3, 1)
    assert {"pst", "trm", "_body_len.col", "review.col", "date.col", "rating.col"} <= set(ours[1][0])
    assert ours == theirs
    assert as_written[1][0]["pst"] != theirs[1][0]["pst"]
    assert len(postings(tmp_path / "as written")) > 1000 and postings(tmp_path / "as written") == postings(tmp_path / "whoosh")


def test_adding_many_reviews_in_one_call_commits_along_the_way_and_keeps_them_all(tmp_path: Path, monkeypatch) -> None:
    # The writer pools postings in memory: past WhooshSettings.max_pooled it
    # commits and goes on, so one add() of any size keeps memory bounded and loses nothing.
    commits = []  # the postings pooled at each commit of a segment
    real_commit = SegmentWriter.commit
    monkeypatch.setattr(SegmentWriter, "commit", lambda self, *a, **k: commits.append(self.pooled) or real_commit(self, *a, **k))
    ix = ReviewIndex.create(tmp_path / "ix", engine_settings=WhooshSettings(max_pooled=50))
    reviews = [Review(id=f"r{i}", title="", body=f"배우 연기 {i}번째 감상이 좋았다") for i in range(60)]
    assert ix.add(reviews) == 60
    flushes = commits[:-1]  # the last is add()'s own commit at its end
    assert len(flushes) > 5 and all(50 <= n < 70 for n in flushes)  # committed along the way
    assert len(ix) == 60
    assert len(ix.search("배우 연기", limit=100)) == 60
    assert ix.add([Review(id="r7", body="다시 보니 별로")]) == 1 and len(ix) == 60
    assert [hit.review.id for hit in ix.search("별로")] == ["r7"]


def test_a_runs_segments_merged_at_its_end_hold_what_merging_them_read_back_from_disk_holds(tmp_path: Path) -> None:
    # A session's last commit merges the segments it wrote from the postings
    # it kept in memory, reading none back: the merged segment must hold what
    # merging the same segments read back from disk holds, and not the
    # reviews the run replaced (ids given again later, in another segment).
    texts = [r["review"] for f in sorted(NSMC_SAMPLE.glob("*.json")) for r in json.loads(f.read_text(encoding="utf-8"))]
    reviews = [
        Review(id=f"r{i % 200}", title="다시 본 영화" if i % 7 == 0 else "", body=f"{text} {text}" if i % 3 == 0 else text)
        for i, text in enumerate(texts)
    ]
    memory = ReviewIndex.create(tmp_path / "memory", engine_settings=WhooshSettings(max_pooled=400))
    memory.add(reviews)
    disk = ReviewIndex.create(tmp_path / "disk", engine_settings=WhooshSettings(max_pooled=400, merge_limit=0))
    disk.add(reviews)
    assert disk.describe().details["segments"] > 5
    writer.SegmentWriter(open_index(str(tmp_path / "disk")), WhooshSettings()).commit(optimize=True)
    assert memory.describe().details["segments"] == disk.describe().details["segments"] == 1
    assert len(memory) == 200 and {r.id: r.body for r in memory.reviews()}["r5"] == reviews[205].body
    merged = by_review(tmp_path / "memory")
    assert len(merged) > 1000 and merged == by_review(tmp_path / "disk")
