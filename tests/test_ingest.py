"""Ingest end to end (issue 3): every source shape through ``ReviewIndex.add_paths`` and ``revsearch index``.

Folders are walked recursively; each bad file or record is reported with its file (and line) and
everything else in the run is indexed and found by a query afterwards. The reader-level details
(every reason, every column name) are in test_records.py, test_encoding.py and test_html.py; here
the files go through the index and the command line, and the checks are what a user sees: counts,
messages, and the reviews a query finds.
"""

from __future__ import annotations

import codecs
import json
import re
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import IndexingInterrupted, IngestReport, ReviewIndex, RevsearchError
from searcher.analysis import analyze
from searcher.cli import main
from searcher.dates import parse_date
from searcher.ingest import worker
from searcher.readers import stable_id
from searcher.settings import IngestSettings

DATA = Path(__file__).resolve().parent / "data"
NSMC = DATA / "nsmc"
PAGES = DATA / "html"

#: Every review with a rating (NSMC, a "stars"/"label"/"rating" column) makes the Whoosh writer raise.


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def line_of(text: str, needle: str) -> int:
    """The 1-based line of ``text`` on which ``needle`` starts."""
    return text[: text.index(needle)].count("\n") + 1


def invoke(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args])


def query_json(index_dir: Path, query: str, *options: str) -> dict:
    result = invoke("query", query, "--index", index_dir, "--json", *options)
    assert result.exit_code in (0, 1), result.output
    assert (result.exit_code == 1) == (json.loads(result.stdout)["hits"] == []), result.output
    return json.loads(result.stdout)


def found_by(ix: ReviewIndex, query: str) -> list[str]:
    return [hit.id for hit in ix.search(query, limit=100)]


# ------------------------------------------------------------ the mixed folder


@dataclass(frozen=True)
class Good:
    """A review that must be indexed: a query that finds it alone, its file, its id."""

    query: str
    rel: str
    id: str


@dataclass
class Mixed:
    root: Path
    good: list[Good] = field(default_factory=list)
    #: (word, the sentence holding it) of records and files that must not be indexed
    absent: list[tuple[str, str]] = field(default_factory=list)
    #: (file, line, reason as a regular expression) of what add_paths must skip, and of its warnings
    skipped: list[tuple[str, int | None, str]] = field(default_factory=list)
    warnings: list[tuple[str, int | None, str]] = field(default_factory=list)
    nsmc: list[dict] = field(default_factory=list)

    def path(self, rel: str) -> str:
        return str(self.root / rel)

    def rel(self, path: str) -> str:
        return Path(path).relative_to(self.root).as_posix()


UTF8_POST = "[여행기] 두물머리 산책\nby 나그네 2024. 5. 3.\n두물머리에서 연꽃을 보며 걸었다. 백일홍도 피어 있었다.\n"
CP949_POST = "[맛집] 똠양꿍 후기\nby 먹보 2023. 11. 20.\n똠방각하 식당의 똠양꿍은 새콤했다. 곶감 디저트도 좋았다.\n"
GARBLED = bytes([0xC9, 0x20, 0xFF, 0xA1, 0x30]) * 20
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06\x00\x00\x00"


def build_mixed(root: Path) -> Mixed:
    """Good and bad files side by side in nested folders, and what indexing them must give."""
    m = Mixed(root)

    def doc(rel: str, content: str | bytes, *words: str) -> Path:
        path = write(root / rel, content)
        m.good.extend(Good(word, rel, stable_id(path)) for word in words)
        return path

    # blog text: UTF-8, and CP949 (똠 is in CP949 only, not in EUC-KR)
    doc("blog/2024/utf8-post.txt", UTF8_POST, "두물머리", "연꽃")
    cp949 = CP949_POST.encode("cp949")
    with pytest.raises(UnicodeDecodeError):
        cp949.decode("utf-8")
    doc("blog/old/cp949-post.txt", cp949, "똠양꿍", "곶감")
    # a saved page, and an image with an extension no reader takes (not walked)
    doc("pages/tistory.html", (PAGES / "tistory.html").read_bytes(), "테오도르")
    write(root / "pages/cover.png", PNG)
    # NSMC as published: a JSON array per movie, source ids
    rel = "nsmc/10002.json"
    shutil.copy(NSMC / "10002.json", write(root / rel, b""))
    m.nsmc = json.loads((NSMC / "10002.json").read_text(encoding="utf-8"))
    m.good.extend(Good(f"id:{r['review_id']}", rel, r["review_id"]) for r in m.nsmc)

    # JSON Lines with a broken line between good ones; one record without an id
    rel = "exports/reviews.jsonl"
    text = (
        '{"id": "j1", "review": "청포도 에이드가 상큼했다", "rating": 4}\n'
        '{"id": "j2", "review": "해바라기 밭이 넓었다"\n'
        '{"review": "팥빙수 위에 흑임자 가루를 뿌렸다"}\n'
        '{"id": "j4", "review": "한라봉 주스는 달콤했다", "date": "2024-02-03"}\n'
    )
    path = write(root / rel, text)
    m.good += [Good("청포도", rel, "j1"), Good("팥빙수", rel, stable_id(path, 3)), Good("한라봉", rel, "j4")]
    m.absent.append(("해바라기", "해바라기 밭이 넓었다"))
    m.skipped.append((rel, line_of(text, '"j2"'), r"not JSON: .+"))

    # CSV with one row short of a column
    rel = "exports/rows.csv"
    text = (
        "id,title,review,author\r\n"
        "c1,가을 소풍,은행나무 아래에서 도시락을 먹었다,kim\r\n"
        "c2,잘못된 줄,다람쥐가 도토리를 숨겼다\r\n"
        "c3,겨울,보름달 뜬 밤에 수제비를 끓였다,lee\r\n"
    )
    write(root / rel, text)
    m.good += [Good("은행나무", rel, "c1"), Good("보름달", rel, "c3")]
    m.absent.append(("다람쥐", "다람쥐가 도토리를 숨겼다"))
    m.skipped.append((rel, line_of(text, "c2,"), r"expected 4 columns, found 3"))

    # Excel's "Unicode text": UTF-16 with a BOM
    rel = "exports/excel-utf16.csv"
    content = "review_id,content,stars\r\nu1,청둥오리가 호수를 헤엄쳤다,5\r\nu2,도토리묵 무침이 고소했다,3\r\n".encode("utf-16")
    assert content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    write(root / rel, content)
    m.good += [Good("청둥오리", rel, "u1"), Good("도토리묵", rel, "u2")]

    # NSMC's ratings.txt shape: a .txt that is TSV
    rel = "exports/ratings.txt"
    write(root / rel, "id\tdocument\tlabel\n101\t오미자 차가 향긋했다\t1\n102\t가마솥 밥이 최고\t1\n103\t너구리 인형이 귀엽다\t0\n")
    m.good += [Good("오미자", rel, "101"), Good("가마솥", rel, "102"), Good("너구리", rel, "103")]

    # JSON with a record without review text and one with a date no one can read
    rel = "exports/partial.json"
    records = [
        {"review_id": "p1", "review": "매실 장아찌를 담갔다", "date": "2024-06-01"},
        {"review_id": "p2", "title": "본문 없는 기록"},
        {"review_id": "p3", "review": "산수유 꽃이 노랗게 피었다", "date": "어제쯤"},
    ]
    text = "[\n" + ",\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n]\n"
    write(root / rel, text)
    m.good += [Good("매실", rel, "p1"), Good("산수유", rel, "p3")]
    m.skipped.append((rel, line_of(text, '"p2"'), r"no review text"))
    m.warnings.append((rel, line_of(text, '"p3"'), r"cannot read date '어제쯤'"))

    # bad files
    write(root / "bad/empty.txt", b"")
    m.skipped.append(("bad/empty.txt", None, r"empty file"))
    write(root / "bad/scan.txt", PNG)
    m.skipped.append(("bad/scan.txt", None, r"binary file, not text"))
    inner = "id,review\n1,모과 차를 마셨다\n"
    with zipfile.ZipFile(write(root / "bad/backup.csv", b""), "w") as zipped:  # stored: the CSV text is in the bytes
        zipped.writestr("reviews.csv", inner)
    assert "모과".encode() in (root / "bad/backup.csv").read_bytes()
    m.absent.append(("모과", "모과 차를 마셨다"))
    m.skipped.append(("bad/backup.csv", None, r"binary file, not text"))

    rel = "bad/cut.json"
    whole = "[\n" + ",\n".join(
        json.dumps({"review": t}, ensure_ascii=False) for t in ["진달래가 활짝 피었다", "동백꽃이 붉게 졌다", "개나리가 노랗다"]
    ) + "\n]\n"
    path = write(root / rel, whole[: whole.index("개나리") + 2])
    m.good += [Good("진달래", rel, stable_id(path, 1)), Good("동백꽃", rel, stable_id(path, 2))]  # read before the cut
    m.absent.append(("개나리", "개나리가 노랗다"))
    m.skipped.append(
        (rel, line_of(whole, "개나리"), r"JSON is truncated or invalid after record 2: .+ \(2 reviews read before it\)")
    )

    write(root / "bad/notjson.json", "이건 JSON이 아니라 석류 이야기다\n")
    m.absent.append(("석류", "이건 JSON이 아니라 석류 이야기다"))
    m.skipped.append(("bad/notjson.json", 1, r"not a JSON array or object"))

    prefix = b"Review\n"
    for codec in ("utf-8", "cp949"):
        with pytest.raises(UnicodeDecodeError):
            GARBLED.decode(codec)
    write(root / "bad/garbled.txt", prefix + GARBLED + b"\n")
    m.skipped.append(
        (
            "bad/garbled.txt",
            2,
            rf"cannot decode as UTF-8 or CP949 \(byte 0x{GARBLED[0]:02x} at offset {len(prefix)}\); .*--encoding",
        )
    )

    # hidden entries are not walked
    write(root / ".hidden.txt", "앵두 숨김 파일이다\n")
    write(root / "blog/.drafts/draft.json", '[{"review": "자두를 한 바구니 샀다"}]')
    m.absent += [("앵두", "앵두 숨김 파일이다"), ("자두", "자두를 한 바구니 샀다")]
    return m


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> Mixed:
    return build_mixed(tmp_path_factory.mktemp("mixed"))


@pytest.fixture(scope="module")
def mixed_run(mixed: Mixed, tmp_path_factory) -> tuple[ReviewIndex, IngestReport]:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("mixed-index"))
    return ix, ix.add_paths([mixed.root])


def where(m: Mixed, skips) -> list[tuple[str, int | None, str]]:
    return sorted(((m.rel(s.path), s.line, s.reason) for s in skips), key=lambda s: (s[0], s[1] or 0))


def assert_skips(m: Mixed, skips, expected) -> None:
    got = where(m, skips)
    expected = sorted(expected, key=lambda s: (s[0], s[1] or 0))
    assert [(p, line) for p, line, _ in got] == [(p, line) for p, line, _ in expected], got
    for (path, _, reason), (_, _, pattern) in zip(got, expected):
        assert re.fullmatch(pattern, reason), (path, reason, pattern)


def test_mixed_folder_report(mixed: Mixed, mixed_run) -> None:
    ix, report = mixed_run
    assert report.reviews_indexed == len({g.id for g in mixed.good}) == len(ix)
    assert report.files_read == len({g.rel for g in mixed.good})
    assert_skips(mixed, report.skipped, mixed.skipped)
    assert_skips(mixed, report.warnings, mixed.warnings)
    # hidden files and files without a reader are neither read nor reported
    assert not [s for s in report.skipped + report.warnings if "/." in s.path or s.path.endswith(".png")]
    groups = IngestReport.by_kind(report.skipped)
    assert next(iter(groups)) == "binary file, not text"
    assert {mixed.rel(s.path) for s in groups["binary file, not text"]} == {"bad/scan.txt", "bad/backup.csv"}


def test_mixed_folder_every_good_review_is_found(mixed: Mixed, mixed_run) -> None:
    ix, _ = mixed_run
    for good in mixed.good:
        hits = ix.search(good.query, limit=5)
        assert [(h.id, h.review.source) for h in hits] == [(good.id, mixed.path(good.rel))], good
    for word, sentence in mixed.absent:
        assert analyze(word)[0].text in {t.text for t in analyze(sentence)}  # it would be found if indexed
        assert ix.search(word).total == 0, word
    # decoded right: the CP949 post's header reads as Korean (a UTF-8 query found its body above)
    [hit] = ix.search("똠양꿍")
    assert (hit.review.title, hit.review.author) == ("[맛집] 똠양꿍 후기", "먹보")
    # the NSMC records, as published
    for record in mixed.nsmc:
        [hit] = ix.search(f"id:{record['review_id']}")
        assert (hit.review.body, hit.review.author) == (record["review"].strip(), record["author"])
    # a record with an unreadable date is indexed without it; its neighbour keeps its date
    [kept] = ix.search("산수유")
    [dated] = ix.search("매실")
    assert (kept.review.date, dated.review.date.isoformat()) == (None, "2024-06-01")


def test_mixed_folder_indexed_twice_is_not_duplicated(mixed: Mixed, tmp_path: Path) -> None:
    ix = ReviewIndex.create(tmp_path / "ix")
    first = ix.add_paths([mixed.root])
    size = len(ix)
    again = ix.add_paths([mixed.root])
    assert len(ix) == size == first.reviews_indexed
    # Nothing is read again: the files that could not be read, wholly or from a point on (bad/cut.json,
    # whose first records are indexed), have not changed and are still skipped, not reported anew.
    failed = {s.path: s.reason for s in first.skipped if Path(s.path).parent == mixed.root / "bad"}
    assert len(failed) == 6
    assert (again.unchanged, again.changed, again.new, again.files_read, again.reviews_indexed) == (first.new - 1, 0, 0, 0, 0)
    assert (again.skipped, {s.path: s.reason for s in again.still_skipped}) == ([], failed)
    for good in mixed.good:
        assert found_by(ix, good.query) == [good.id], good


# ------------------------------------------------------------- rating and item


@pytest.fixture(scope="module")
def nsmc_records() -> list[dict]:
    """The records of both NSMC samples that hold review text (the others are not indexed)."""
    records = []
    for path in sorted(NSMC.glob("*.json")):
        records += [r for r in json.loads(path.read_text(encoding="utf-8")) if r["review"].strip()]
    return records


@pytest.fixture(scope="module")
def nsmc_index(tmp_path_factory, nsmc_records) -> Path:
    folder = tmp_path_factory.mktemp("nsmc-index")
    ix = ReviewIndex.create(folder)
    report = ix.add_paths([NSMC])
    assert report.reviews_indexed == len(nsmc_records)
    ix.close()
    return folder


def test_rating_and_item_are_filterable(nsmc_index: Path, nsmc_records: list[dict]) -> None:
    ix = ReviewIndex.open(nsmc_index)

    def ids(keep) -> set[str]:
        return {r["review_id"] for r in nsmc_records if keep(r)}

    high = ids(lambda r: 8 <= float(r["rating"]) <= 10)
    assert high and high != ids(lambda r: True)  # the samples have both
    assert set(found_by(ix, "rating:[8 TO 10]")) == high
    assert set(found_by(ix, "rating:10")) == ids(lambda r: float(r["rating"]) == 10)
    assert set(found_by(ix, "rating:[* TO 5]")) == ids(lambda r: float(r["rating"]) <= 5)
    for movie in {r["movie_id"] for r in nsmc_records}:
        assert set(found_by(ix, f"item:{movie}")) == ids(lambda r: r["movie_id"] == movie)
        assert set(found_by(ix, f"item:{movie} rating:[8 TO 10]")) == ids(
            lambda r: r["movie_id"] == movie and float(r["rating"]) >= 8
        )
    by_id = {r["review_id"]: r for r in nsmc_records}
    for hit in ix.search("rating:[* TO *]", limit=100):
        record = by_id[hit.id]
        assert (hit.review.rating, hit.review.item) == (float(record["rating"]), record["movie_id"])


def test_cli_shows_rating_and_item(nsmc_index: Path, nsmc_records: list[dict]) -> None:
    record = next(r for r in nsmc_records if float(r["rating"]) < 8)
    result = invoke("query", f"id:{record['review_id']}", "--index", nsmc_index)
    assert result.exit_code == 0, result.output
    rating, date = f"★ {float(record['rating']):g}", parse_date(record["date"]).isoformat()
    assert f"{record['author']} · {date} · {rating}\n" in result.output
    assert f"1. item {record['movie_id']} · " in result.output  # a review without a title: its item heads it
    data = query_json(nsmc_index, f"item:{record['movie_id']} rating:{record['rating']}")
    assert {h["review"]["item"] for h in data["hits"]} == {record["movie_id"]}
    assert {h["review"]["rating"] for h in data["hits"]} == {float(record["rating"])}
    assert record["review_id"] in {h["id"] for h in data["hits"]}


# ------------------------------------------------------------------ re-indexing


def test_reindexing_replaces_reviews_of_records_without_ids(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "src"
    notes = write(src / "notes.jsonl", '{"review": "청포도 에이드가 상큼했다"}\n{"review": "한라봉 주스는 달콤했다"}\n')
    rows = write(src / "sub/rows.csv", "review,author\n은행나무 아래에서 도시락을 먹었다,kim\n보름달 뜬 밤에 수제비를 끓였다,lee\n")
    post = write(src / "post.txt", UTF8_POST)
    words = {"청포도": stable_id(notes, 1), "한라봉": stable_id(notes, 2), "은행나무": stable_id(rows, 1),
             "보름달": stable_id(rows, 2), "두물머리": stable_id(post)}
    ix = ReviewIndex.create(tmp_path / "ix")
    first = ix.add_paths([src])
    assert first.reviews_indexed == len(ix) == len(words)
    again = ix.add_paths([src])
    assert (again.unchanged, again.reviews_indexed, len(ix)) == (3, 0, len(words))
    # the same file named another way (a relative path) has the same ids
    monkeypatch.chdir(tmp_path)
    ix.add_paths(["src"])
    assert len(ix) == len(words)
    for word, review_id in words.items():
        assert found_by(ix, word) == [review_id], word
    # a record edited in place replaces the old text
    write(notes, '{"review": "석류 주스는 시큼했다"}\n{"review": "한라봉 주스는 달콤했다"}\n')
    ix.add_paths([src])
    assert len(ix) == len(words)
    assert (found_by(ix, "청포도"), found_by(ix, "석류")) == ([], [stable_id(notes, 1)])


def test_reindexing_a_file_with_a_record_removed_does_not_duplicate(tmp_path: Path) -> None:
    lines = ['{"review": "청포도 에이드가 상큼했다"}', '{"review": "보름달 뜬 밤에 수제비를 끓였다"}',
             '{"review": "한라봉 주스는 달콤했다"}']
    notes = write(tmp_path / "src/notes.jsonl", "\n".join(lines) + "\n")
    ix = ReviewIndex.create(tmp_path / "ix")
    ix.add_paths([notes])
    write(notes, "\n".join(lines[1:]) + "\n")
    report = ix.add_paths([notes])
    assert report.reviews_indexed == 2
    assert found_by(ix, "한라봉") == [stable_id(notes, 2)]
    assert found_by(ix, "청포도") == []
    assert len(ix) == 2


# ---------------------------------------------------------- a file that vanishes


def test_file_vanishing_mid_run_is_reported_and_the_rest_indexed(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "src"
    files = {
        "a/first.json": ('[{"review": "청포도 에이드가 상큼했다"}]', "청포도"),
        "b/second.jsonl": ('{"review": "한라봉 주스는 달콤했다"}\n', "한라봉"),
        "c.csv": ("review\n은행나무 아래에서 도시락을 먹었다\n", "은행나무"),
        "d/last.txt": (UTF8_POST, "두물머리"),
    }
    for rel, (content, _) in files.items():
        write(src / rel, content)
    doomed = src / "d/last.txt"
    calls = []

    def progress(done: int, total: int, path: Path, reviews: int) -> None:
        calls.append((done, total, path))

    def read_file(path: Path, options=None):
        if path.name == "first.json":  # files are listed, then read: this one goes in between
            doomed.unlink()
        return real_read_file(path, options)

    real_read_file = worker.read_file
    monkeypatch.setattr(worker, "read_file", read_file)
    ix = ReviewIndex.create(tmp_path / "ix")
    report = ix.add_paths([src], progress=progress)
    assert [(done, total) for done, total, _ in calls] == [(n, len(files)) for n in range(1, len(files) + 1)]
    assert calls[-1][2] == doomed
    assert [(s.path, s.line, s.reason) for s in report.skipped] == [
        (str(doomed), None, "cannot read file: No such file or directory")
    ]
    assert (report.files_read, report.reviews_indexed, len(ix)) == (3, 3, 3)
    for rel, (_, word) in files.items():
        assert len(found_by(ix, word)) == (0 if src / rel == doomed else 1), word


# ---------------------------------------------------------- long and dirty text

SENTENCES = [
    "오늘은 오랜만에 친구와 함께 극장에 가서 영화를 보았다.",
    "배우들의 연기가 자연스러웠고 음악도 장면마다 잘 어울렸다.",
    "중반부는 조금 지루했지만 결말의 반전이 그 아쉬움을 충분히 채워 주었다.",
    "집에 돌아오는 길에 우리는 주인공의 선택에 대해 오래 이야기했다.",
    "다음에는 가족들과 함께 다시 보고 싶다.",
]
HUGE_END = "마지막 장면에서 부엉이 한 마리가 밤하늘로 날아올랐다."
RUN_TAIL = " 팥빙수 가게에서 두꺼비 모양 빵을 샀다."
CONTROLS = "".join(chr(c) for c in range(0x20) if chr(c) not in "\n\t")


@dataclass
class Dirty:
    root: Path
    ix: ReviewIndex
    report: IngestReport
    huge: str


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> Dirty:
    """A 5 MB single-line review, a 200,000-character run, control characters, lone surrogates: indexed once."""
    root = tmp_path_factory.mktemp("dirty")
    parts, size = [], 0
    while size < 5 * 1024 * 1024:
        parts.append(SENTENCES[len(parts) % len(SENTENCES)])
        size += len(parts[-1].encode()) + 1
    huge = " ".join(parts + [HUGE_END])
    write(root / "huge.jsonl", json.dumps({"id": "huge", "review": huge}, ensure_ascii=False) + "\n")
    write(root / "run.json", json.dumps([{"id": "run", "review": "ㅋ" * 200_000 + RUN_TAIL}], ensure_ascii=False))
    body = f"한라봉\u0001 농장에서 \u0007고등어\u001f 구이를 \u0000먹었다. {CONTROLS} 미꾸라지 잡기"
    control = json.dumps([{"id": "ctrl", "title": "제어\u0001문자", "review": body}])
    assert "\\u0001" in control and "\\u001f" in control  # written as JSON escapes
    write(root / "control.json", control)
    write(
        root / "surrogate.json",
        '[{"id": "sur", "title": "\\udc80깨진 제목", "review": "\\ud800석류 \\udfff나무 아래에서 \\ud83d모과를 주웠다\\ud800"}]',
    )
    ix = ReviewIndex.create(root / "ix")
    return Dirty(root, ix, ix.add_paths([root]), huge)


def check_passages(hit, word: str | None = None) -> None:
    """Passages are slices of the review's field and highlights lie inside them (and mark ``word``)."""
    marked = set()
    for p in hit.passages:
        text = getattr(hit.review, p.field)
        assert text[p.start : p.start + len(p.text)] == p.text
        for a, b in p.highlights:
            assert 0 <= a < b <= len(p.text)
            marked.add(p.text[a:b])
    json.dumps(hit.to_dict())
    if word:
        assert word in marked, (word, marked)


def test_dirty_files_are_all_indexed(dirty: Dirty) -> None:
    assert (dirty.report.files_read, dirty.report.reviews_indexed) == (4, 4)
    assert (dirty.report.skipped, dirty.report.warnings) == ([], [])


def test_five_megabyte_single_line_review(dirty: Dirty) -> None:
    raw = (dirty.root / "huge.jsonl").read_bytes()
    assert len(raw) >= 5 * 1024 * 1024 and raw.count(b"\n") == 1
    [hit] = dirty.ix.search("부엉이")  # the very end of the text
    assert hit.id == "huge" and hit.review.body == dirty.huge
    check_passages(hit)
    [hit] = dirty.ix.search("결말 반전")  # words all through it: the best passage marks both
    assert hit.id == "huge"
    check_passages(hit, "결말")
    assert {"결말", "반전"} <= {hit.passages[0].text[a:b] for a, b in hit.passages[0].highlights}


def test_long_run_of_one_character(dirty: Dirty) -> None:
    for word in ("팥빙수", "두꺼비"):
        [hit] = dirty.ix.search(word)
        assert hit.id == "run" and hit.review.body.endswith(RUN_TAIL.strip())
        check_passages(hit)


def test_control_characters(dirty: Dirty) -> None:
    for word in ("한라봉", "고등어", "미꾸라지"):
        [hit] = dirty.ix.search(word)
        assert hit.id == "ctrl" and CONTROLS in hit.review.body
        check_passages(hit, word)
    [hit] = dirty.ix.search("title:제어")
    assert hit.id == "ctrl"
    check_passages(hit, "제어")


def test_lone_surrogates(dirty: Dirty) -> None:
    for word in ("석류", "나무", "모과"):
        [hit] = dirty.ix.search(word)
        assert hit.id == "sur"
        check_passages(hit, word)
    [hit] = dirty.ix.search("title:제목")
    assert hit.id == "sur"


def test_cli_query_shows_a_review_with_lone_surrogates(dirty: Dirty) -> None:
    data = query_json(dirty.root / "ix", "석류")
    assert [h["id"] for h in data["hits"]] == ["sur"]
    result = invoke("query", "석류", "--index", dirty.root / "ix")
    assert result.exit_code == 0, result.output
    assert "제목" in result.output and "나무 아래에서" in result.output


# ------------------------------------------------------------ the command line


def test_cli_index_of_the_mixed_folder(mixed: Mixed, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    result = invoke("index", mixed.root, "--index", index_dir)
    assert result.exit_code == 0, result.output
    out = result.output
    reviews, files = len({g.id for g in mixed.good}), len({g.rel for g in mixed.good})
    assert (
        f"{reviews} reviews indexed from {files} files into {index_dir}/ ({reviews} reviews in the index); "
        f"{len(mixed.skipped)} skipped" in out
    )
    assert "skipped 2: binary file, not text" in out
    assert "indexed, but 1: cannot read date" in out
    for rel, line, pattern in mixed.skipped + mixed.warnings:
        at = mixed.path(rel) + (f":{line}" if line is not None else "")
        [shown] = [row.strip() for row in out.splitlines() if row.strip().startswith(at + ": ")]
        assert re.fullmatch(pattern, shown.removeprefix(at + ": ")), shown
    assert ".hidden" not in out and ".drafts" not in out and "cover.png" not in out
    for good in mixed.good:
        hits = query_json(index_dir, good.query)["hits"]
        assert [(h["id"], h["review"]["source"]) for h in hits] == [(good.id, mixed.path(good.rel))], good


def test_cli_strict_fails_but_indexes_the_good_files(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "post.txt", UTF8_POST)
    text = '{"review": "청포도 에이드가 상큼했다"}\n{"review": "깨진 줄\n'
    write(src / "notes/reviews.jsonl", text)
    write(src / "notes/empty.json", "")
    index_dir = tmp_path / "ix"
    result = invoke("index", src, "--index", index_dir, "--strict")
    assert result.exit_code == 2
    assert "2 reviews indexed from 2 files" in result.output
    assert f"{src / 'notes/reviews.jsonl'}:2: not JSON" in result.output
    assert f"{src / 'notes/empty.json'}: empty file" in result.output
    assert "Error: 2 skipped (--strict)" in result.output
    for word in ("두물머리", "청포도"):
        assert query_json(index_dir, word)["total"] == 1, word


def test_cli_field_maps_unusual_column_names(tmp_path: Path) -> None:
    export = write(
        tmp_path / "src/export.csv",
        "번호,본문,작성자\nk-1,청국장 국물이 진하고 따뜻했다,산골\nk-2,가마솥 누룽지가 고소했다,장터\n",
    )
    # no column has a name revsearch knows for the review text: the file is reported once, with its
    # columns and the mapping to paste (the column holding Korean text), not each row
    result = invoke("index", export, "--index", tmp_path / "plain")
    assert result.exit_code == 2
    assert (
        f"{export}: no column of review text (its columns: 번호, 본문, 작성자); "
        "name it with --field body=COLUMN, e.g. --field body=본문"
    ) in result.output
    assert "no review text" not in result.output
    assert "nothing was indexed" in result.output
    index_dir = tmp_path / "ix"
    result = invoke("index", export, "--index", index_dir,
                    "--field", "body=본문", "--field", "id=번호", "--field", "author=작성자")
    assert result.exit_code == 0, result.output
    assert "2 reviews indexed from 1 file" in result.output
    [hit] = query_json(index_dir, "청국장")["hits"]
    assert (hit["id"], hit["review"]["author"], hit["review"]["body"]) == ("k-1", "산골", "청국장 국물이 진하고 따뜻했다")
    assert [h["id"] for h in query_json(index_dir, "id:k-2")["hits"]] == ["k-2"]
    assert [h["id"] for h in query_json(index_dir, "누룽지", "--author", "장터")["hits"]] == ["k-2"]
    assert query_json(index_dir, "누룽지", "--author", "산골")["hits"] == []


def test_cli_unknown_field_is_a_usage_error(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "review\n좋다\n")
    result = invoke("index", tmp_path / "a.csv", "--index", tmp_path / "ix", "--field", "bogus=x")
    assert result.exit_code == 2
    assert "Invalid value for --field: unknown review field 'bogus'" in result.output
    assert "body" in result.output  # the valid names are listed
    assert "indexed" not in result.output


LATE_KOREAN_HEAD = "".join(f"Preface line {n}: plain ASCII notes before the review starts.\n" for n in range(1200))


def test_cli_encoding_reads_what_detection_cannot(tmp_path: Path) -> None:
    assert len(LATE_KOREAN_HEAD) > 70_000 and LATE_KOREAN_HEAD.isascii()
    text = "Late Korean\n" + LATE_KOREAN_HEAD + "본문: 똠방각하 식당의 부대찌개가 얼큰했다.\n"
    post = write(tmp_path / "src/late.txt", text.encode("cp949"))
    result = invoke("index", tmp_path / "src", "--index", tmp_path / "detected")
    assert result.exit_code == 2
    assert f"{post}:{line_of(text, '본문')}: cannot decode as UTF-8" in result.output
    assert "give its encoding with --encoding" in result.output
    index_dir = tmp_path / "ix"
    result = invoke("index", tmp_path / "src", "--index", index_dir, "--encoding", "cp949")
    assert result.exit_code == 0, result.output
    assert "1 review indexed from 1 file" in result.output and "0 skipped" in result.output
    [hit] = query_json(index_dir, "부대찌개")["hits"]
    assert hit["review"]["source"] == str(post) and hit["review"]["title"] == "Late Korean"
    assert hit["review"]["body"].endswith("똠방각하 식당의 부대찌개가 얼큰했다.")


def test_cli_unknown_encoding_is_a_clear_message(tmp_path: Path) -> None:
    post = write(tmp_path / "src/post.txt", UTF8_POST)
    index_dir = tmp_path / "ix"
    result = invoke("index", tmp_path / "src", "--index", index_dir, "--encoding", "nonsense")
    assert result.exit_code == 2  # a usage error, before anything is read
    assert "Invalid value for --encoding: unknown encoding 'nonsense'" in result.output
    assert post.exists()
    assert not index_dir.exists() or len(ReviewIndex.open(index_dir)) == 0


def test_cli_summary_names_a_file_with_brackets(tmp_path: Path) -> None:
    draft = write(tmp_path / "src/reviews [draft].jsonl", '{"review": "청포도 에이드가 상큼했다"}\n{"review": "깨진\n')
    result = invoke("index", tmp_path / "src", "--index", tmp_path / "ix")
    assert result.exit_code == 0, result.output
    assert f"{draft}:2: not JSON" in result.output


def test_cli_summary_survives_brackets_in_a_value(tmp_path: Path) -> None:
    dates = write(tmp_path / "src/dates.csv", "review,date\n자두를 한 바구니 샀다,[/] 지난주\n")
    result = invoke("index", tmp_path / "src", "--index", tmp_path / "ix")
    assert result.exit_code == 0, result.output
    assert f"{dates}:2: cannot read date '[/] 지난주'" in result.output


# ---------------------------------------------------------- large runs: a child process


NSMC_SAMPLE = Path(__file__).parent / "data" / "nsmc-sample"


def test_a_large_run_analyses_in_a_child_process_with_the_same_index(tmp_path: Path) -> None:
    """Runs over IngestSettings.process_bytes read and analyse in a child process: the index,
    the report (a broken file named, with its line) and the user dictionary
    are as when a thread does it."""
    src = tmp_path / "src"
    shutil.copytree(NSMC_SAMPLE, src)
    write(src / "broken.jsonl", '{"review": "빙수는 팥이 듬뿍"}\n{"review": \n')
    write(src / "names.txt", "마석도가 나오면 끝이다\n")
    user_dict = write(tmp_path / "names.tsv", "마석도\tNNP\t0\n")

    def build(folder: str, settings: IngestSettings) -> tuple[ReviewIndex, IngestReport]:
        ix = ReviewIndex.create(tmp_path / folder, user_dict=user_dict, ingest=settings)
        return ix, ix.add_paths([src])

    in_thread, thread_report = build("thread", IngestSettings())
    in_child, child_report = build("child", IngestSettings(process_bytes=0))
    assert (thread_report.analysed_in, child_report.analysed_in) == ("thread", "process")

    def summary(report: IngestReport) -> tuple:
        problems = [(p.path, p.line, p.reason, p.skipped) for p in report.skipped + report.warnings]
        return (report.files_read, report.reviews_indexed, report.new, report.reviews_committed, problems)

    assert summary(child_report) == summary(thread_report)
    assert (child_report.files_read, child_report.reviews_indexed) == (5, 302)
    (problem,) = child_report.skipped
    assert (Path(problem.path).name, problem.line) == ("broken.jsonl", 2)
    assert sorted(r.to_dict().items() for r in in_child.reviews()) == sorted(r.to_dict().items() for r in in_thread.reviews())
    for query in ("배우 연기", "마석도", "빙수"):
        assert in_child.search(query).to_dict() == in_thread.search(query).to_dict()
    assert [hit.review.body for hit in in_child.search("마석도")] == ["마석도가 나오면 끝이다"]


def test_a_child_process_that_dies_is_a_clear_error_and_nothing_is_half_written(tmp_path: Path, monkeypatch) -> None:
    src = tmp_path / "src"
    shutil.copytree(NSMC_SAMPLE, src)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "sabotage"))
    write(tmp_path / "sabotage" / "sitecustomize.py", "import os\nos._exit(3)\n")
    ix = ReviewIndex.create(tmp_path / "ix", ingest=IngestSettings(process_bytes=0))
    with pytest.raises(RevsearchError, match=r"the analysis process stopped unexpectedly \(exit code 3\)"):
        ix.add_paths([src])
    assert len(ix) == 0
    monkeypatch.delenv("PYTHONPATH")
    assert len(ix.add_paths([src], batch_size=100).skipped) == 0 and len(ix) == 300  # once that is gone, the run completes


def test_modules_in_the_folder_being_indexed_never_run(tmp_path: Path) -> None:
    # a run over 16 MB analyses in a child Python, which must not import what lies in the working folder
    for name in ("kiwipiepy.py", "numpy.py", "searcher.py"):
        write(tmp_path / name, f"import pathlib\npathlib.Path({str(tmp_path / 'RAN')!r}).write_text({name!r})\n")
    write(tmp_path / "blank.txt", " " * (17 << 20))  # large enough for the child; no review in it
    write(tmp_path / "r.jsonl", '{"id": "r1", "review": "사과 맛이 좋았다"}\n')
    script = Path(sys.executable).parent / "revsearch"  # as a user runs it: `python -m` would put the folder first too
    result = subprocess.run([str(script), "index", ".", "--index", "ix"], cwd=tmp_path, capture_output=True, text=True)
    assert not (tmp_path / "RAN").exists(), (tmp_path / "RAN").read_text()
    assert result.returncode == 0, result.stderr
    assert [h.id for h in ReviewIndex.open(tmp_path / "ix").search("사과")] == ["r1"]


def test_a_review_id_repeated_in_one_run_keeps_the_later_copy(tmp_path: Path) -> None:
    # Both files go to the writer in one batch; the repeated id makes the
    # writer commit part way through it, and the later copy replaces the
    # earlier, in a new index and when the files are read again.
    src = tmp_path / "src"
    write(src / "a.jsonl", "\n".join(json.dumps({"id": i, "review": f"{i} 사과 주스"}) for i in ("a1", "dup", "a2")))
    write(src / "b.jsonl", "\n".join(json.dumps({"id": i, "review": f"{i} 포도 주스"}) for i in ("dup", "b1")))
    ix = ReviewIndex.create(tmp_path / "ix")
    for run in range(2):
        if run:  # both files changed: read again into an index that holds their reviews
            for name in ("a.jsonl", "b.jsonl"):
                (src / name).write_text((src / name).read_text() + "\n")
        report = ix.add_paths([src])
        assert report.reviews_indexed == 5 and len(ix) == 4
        assert {h.id: h.review.body for h in ix.search("주스", limit=10)} == {
            "a1": "a1 사과 주스", "a2": "a2 사과 주스", "dup": "dup 포도 주스", "b1": "b1 포도 주스",
        }
        assert {h.id for h in ix.search("사과", limit=10)} == {"a1", "a2"}  # a's copy of dup is gone


def test_ctrl_c_just_after_a_commit_is_reported_as_an_interruption(tmp_path: Path, monkeypatch) -> None:
    # Ctrl-C landing between a batch's commit and the next writer: the run
    # says what was committed (not "this writer is closed"), and that is kept.
    from searcher.engines.whoosh.writer import ReviewWriter

    def interrupt(self):  # the writer after the first commit
        raise KeyboardInterrupt

    monkeypatch.setattr(ReviewWriter, "reopen", interrupt)
    ix = ReviewIndex.create(tmp_path / "ix")
    with pytest.raises(IndexingInterrupted) as stopped:
        ix.add_paths([NSMC_SAMPLE], batch_size=100)
    assert stopped.value.report.reviews_committed == 100
    assert len(ix) == 100


def test_ctrl_c_during_a_commit_lets_it_finish_then_stops(tmp_path: Path, monkeypatch) -> None:
    # Ctrl-C landing while Whoosh writes a segment: cut there, the writer could
    # be neither finished nor cancelled (a traceback); the commit completes first.
    import signal

    from whoosh.codec.whoosh3 import W3FieldWriter

    real_close = W3FieldWriter.close

    def close_when_ctrl_c(self):
        signal.raise_signal(signal.SIGINT)
        real_close(self)

    monkeypatch.setattr(W3FieldWriter, "close", close_when_ctrl_c)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as at a terminal (a background job ignores it)
    ix = ReviewIndex.create(tmp_path / "ix")
    try:
        with pytest.raises(IndexingInterrupted) as stopped:
            ix.add_paths([NSMC_SAMPLE], batch_size=100)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)
    monkeypatch.undo()
    assert stopped.value.report.reviews_committed == 100
    assert len(ix) == 100
    ix.add_paths([NSMC_SAMPLE])
    assert len(ix) == len(list(ReviewIndex.open(tmp_path / "ix").reviews())) > 100


def test_indexing_leaves_the_callers_garbage_collector_settings_as_they_were(tmp_path: Path, monkeypatch) -> None:
    # Ingest runs Python's cycle collector rarely; a program embedding
    # revsearch gets its own settings back, also when the run fails.
    import gc

    before = gc.get_threshold()
    ix = ReviewIndex.create(tmp_path / "ix")
    assert ix.add_paths([NSMC_SAMPLE]).reviews_indexed == 300
    assert gc.get_threshold() == before
    during = []

    def fail(*args) -> None:
        during.append(gc.get_threshold())
        raise RevsearchError("disk full")

    from searcher.ingest.run import Ingest

    monkeypatch.setattr(Ingest, "run", fail)
    with pytest.raises(RevsearchError, match="disk full"):
        ix.add_paths([NSMC_SAMPLE])
    assert during and during[0][0] > before[0] and gc.get_threshold() == before
