"""Files holding many reviews: JSON, JSON Lines, CSV, TSV, and their bad inputs.

``tests/data/nsmc`` holds two files of the Naver Sentiment Movie Corpus (CC0,
github.com/e9t/nsmc) as published, cut to their first 20 reviews.
"""

from __future__ import annotations

import datetime as dt
import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from searcher.errors import ReadError
from searcher.readers import ReadOptions, iter_source_files, read_file, records, stable_id
from searcher.review import Review

NSMC = Path(__file__).resolve().parent / "data" / "nsmc"


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def read(path: Path, **options) -> tuple[list[Review], list[ReadError]]:
    """The reviews and the per-record problems read_file yields for ``path``."""
    items = list(read_file(path, ReadOptions(**options)))
    return [i for i in items if isinstance(i, Review)], [i for i in items if isinstance(i, ReadError)]


def read_until_raised(path: Path, **options) -> tuple[list[Review | ReadError], ReadError]:
    """What read_file yields before it raises, and what it raises."""
    items: list[Review | ReadError] = []
    with pytest.raises(ReadError) as caught:
        for item in read_file(path, ReadOptions(**options)):
            items.append(item)
    return items, caught.value


def problems(errors: list[ReadError]) -> list[tuple[int | None, str, bool]]:
    return [(e.line, e.reason, e.skipped) for e in errors]


# ------------------------------------------------------------------ JSON


def test_json_array_fields_by_common_names(tmp_path: Path) -> None:
    records = [
        {
            "review_id": 17, "Subject": "두 번 봤어요", "content": "  배우들 연기가 좋았다  ", "nickname": "kim",
            "created_at": "2024-03-05T10:00:00+09:00", "tags": "액션, 스릴러 ,", "stars": 4.5,
            "product_id": 1234, "category": "영화", "likes": 3, "meta": {"device": "mobile"},
        },
        {"text": "별로였다", "keywords": ["지루함", " ", "반전"], "score": "2", "item": "m-9", "user": "lee"},
    ]
    path = write(tmp_path, "export.json", json.dumps(records, ensure_ascii=False))
    reviews, errors = read(path)
    assert errors == []
    first, second = reviews
    assert (first.id, first.title, first.body, first.author) == ("17", "두 번 봤어요", "배우들 연기가 좋았다", "kim")
    assert (first.date, first.keywords) == (dt.date(2024, 3, 5), ["액션", "스릴러"])
    assert (first.rating, first.item) == (4.5, "1234")
    assert first.category == "영화" and first.source == str(path)
    assert first.extra == {"likes": 3, "meta": {"device": "mobile"}}
    assert (second.body, second.keywords, second.rating, second.item, second.author) == (
        "별로였다", ["지루함", "반전"], 2.0, "m-9", "lee",
    )
    assert second.id == stable_id(path, 2) and second.title == "" and second.date is None


def test_json_object_holding_the_array(tmp_path: Path) -> None:
    # the first array of objects, at any depth, holds the reviews; later ones are not reviews
    text = json.dumps(
        {
            "lastBuildDate": "2024-01-01", "tags": ["a", "b"],
            "data": {"total": 2, "items": [{"body": "첫째"}, {"body": "둘째"}]},
            "related": [{"body": "다른 목록"}],
        },
        ensure_ascii=False, indent=2,
    )
    reviews, errors = read(write(tmp_path, "api.json", text))
    assert [r.body for r in reviews] == ["첫째", "둘째"]
    assert errors == []
    reviews, _ = read(write(tmp_path, "wrapped.json", '{"reviews": [{"review": "하나"}, {"review": "둘"}]}'))
    assert [r.body for r in reviews] == ["하나", "둘"]


def test_json_single_object_is_one_review(tmp_path: Path) -> None:
    path = write(
        tmp_path, "one.json",
        '{\n  "id": "r1",\n  "body": "한 편의 리뷰",\n  "tags": ["가", "나"],\n'
        '  "meta": {"lang": "ko", "n": [1, 2]}\n}\n',
    )
    [review] = list(read_file(path))
    assert (review.id, review.body, review.keywords) == ("r1", "한 편의 리뷰", ["가", "나"])
    assert review.extra == {"meta": {"lang": "ko", "n": [1, 2]}}


def test_nsmc_raw_sample() -> None:
    reviews, errors = read(NSMC / "10002.json")
    assert errors == [] and len(reviews) == 20
    first = reviews[0]
    assert (first.id, first.body, first.author) == ("10270185", "솔직히 너무 재밌닼ㅋㅋㅋ", "yean****")
    assert (first.rating, first.item, first.date) == (10.0, "10002", dt.date(2015, 8, 24))
    assert first.extra == {} and first.source == str(NSMC / "10002.json")
    assert {r.item for r in reviews} == {"10002"}
    assert all(isinstance(r.rating, float) and 1 <= r.rating <= 10 for r in reviews)


def test_json_array_parsed_whole_or_piece_by_piece_gives_the_same_reviews(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a small array is parsed in one piece; a large one, or one with a problem, piece by piece
    text = json.dumps([
        {"review_id": "a", "review": "재밌다", "date": "15.08.24", "rating": "8", "tags": "연기, 음악", "lang": "ko"},
        {"review": "  둘째  ", "author": "kim", "movie_id": 7, "meta": {"n": [1, 2]}},
    ], ensure_ascii=False)
    path = write(tmp_path, "small.json", text)
    whole = read(path)
    monkeypatch.setattr(records, "WHOLE_JSON", 0)
    assert read(path) == whole
    assert [(r.id, r.body, r.rating, r.keywords, r.item) for r in whole[0]] == [
        ("a", "재밌다", 8.0, ["연기", "음악"], None), (stable_id(path, 2), "둘째", None, [], "7"),
    ]


def test_nsmc_raw_sample_with_an_empty_review() -> None:
    # record 15 of 15354.json has review "" (NSMC has a few): reported with its line, the others read
    reviews, errors = read(NSMC / "15354.json")
    assert len(reviews) == 19
    assert problems(errors) == [(114, "no review text", True)]
    assert "4796536" not in {r.id for r in reviews}
    assert (reviews[-1].id, reviews[-1].date, reviews[-1].rating) == ("3592143", dt.date(2009, 6, 26), 10.0)


def test_records_that_are_not_reviews(tmp_path: Path) -> None:
    text = '[\n  {"body": "좋음"},\n  42,\n  null,\n  {"title": "본문 없음"},\n  {"body": "   "},\n  {"body": "끝"}\n]'
    reviews, errors = read(write(tmp_path, "mixed.json", text))
    assert [r.body for r in reviews] == ["좋음", "끝"]
    assert problems(errors) == [
        (3, "not a review object but a number", True),
        (4, "not a review object but null", True),
        (5, "no review text", True),
        (6, "no review text", True),
    ]
    # ids follow the record's place in the file, counting the records left out
    assert reviews[1].id == stable_id(tmp_path / "mixed.json", 6)


@pytest.mark.parametrize("name", ["export.json", "export.jsonl", "export.csv", "export.tsv"])
def test_a_file_with_no_column_of_review_text_is_one_problem_naming_the_mapping(tmp_path: Path, name: str) -> None:
    # 2,000 rows whose columns revsearch does not know: one problem for the file, not one per row;
    # the suggested column is the one of Korean text, though the URL column is longer
    rows = [{"번호": n, "링크": f"https://example.com/reviews/{n}/" + "x" * 80, "리뷰 본문": f"국밥 맛집 {n}번째 방문"}
            for n in range(2000)]
    if name.endswith(".json"):
        content = json.dumps(rows, ensure_ascii=False, indent=1)
    elif name.endswith(".jsonl"):
        content = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    else:
        sep = "," if name.endswith(".csv") else "\t"
        content = "".join(sep.join(map(str, row)) + "\n" for row in [rows[0].keys(), *(r.values() for r in rows)])
    items, error = read_until_raised(write(tmp_path, name, content))
    assert items == []
    assert (error.reason, error.line) == (
        "no column of review text (its columns: 번호, 링크, 리뷰 본문); "
        "name it with --field body=COLUMN, e.g. --field 'body=리뷰 본문'",
        None,
    )
    # the suggestion, pasted, reads the file
    reviews, errors = read(tmp_path / name, fields={"body": "리뷰 본문"})
    assert (len(reviews), errors) == (2000, [])


def test_records_without_review_text_before_the_first_review_are_each_reported(tmp_path: Path) -> None:
    # JSON records differ: those before a review that lack its column are records without text, as any other
    text = '[\n{"rating": 3},\n{"rating": 4},\n{"review": "좋다"},\n{"rating": 5}\n]'
    reviews, errors = read(write(tmp_path, "sparse.json", text))
    assert [r.body for r in reviews] == ["좋다"]
    assert problems(errors) == [(2, "no review text", True), (3, "no review text", True), (5, "no review text", True)]


def test_unreadable_date_and_rating_keep_the_review(tmp_path: Path) -> None:
    text = (
        '[{"body": "하나", "date": "지난주 화요일", "rating": "별로"},\n'
        ' {"body": "둘", "date": "", "rating": " 3 "},\n'
        ' {"body": "셋", "date": 20240102, "rating": true}]'
    )
    reviews, errors = read(write(tmp_path, "dates.json", text))
    assert [(r.body, r.date, r.rating) for r in reviews] == [
        ("하나", None, None), ("둘", None, 3.0), ("셋", dt.date(2024, 1, 2), None),
    ]
    assert problems(errors) == [
        (1, "cannot read date '지난주 화요일'", False),
        (1, "cannot read rating '별로'", False),
        (3, "cannot read rating 'True'", False),
    ]


def test_truncated_json_keeps_the_records_before(tmp_path: Path) -> None:
    records = [{"id": f"r{n}", "body": f"리뷰 {n}"} for n in range(1, 5)]
    text = json.dumps(records, ensure_ascii=False, indent=2)
    path = write(tmp_path, "cut.json", text[: text.index('"리뷰 4"') + 4])
    items, error = read_until_raised(path)
    assert [r.id for r in items] == ["r1", "r2", "r3"]
    assert error.line == 16
    assert error.reason == "JSON is truncated or invalid after record 3: Unterminated string (3 reviews read before it)"
    # the wrapper object cut after its array: every review is read, then the error
    path = write(tmp_path, "open.json", '{"reviews": [{"body": "가"}, {"body": "나"}]\n')
    items, error = read_until_raised(path)
    assert [r.body for r in items] == ["가", "나"]
    assert (error.line, error.reason) == (
        2, "JSON is truncated or invalid after record 2: Expecting ',', found the end (2 reviews read before it)",
    )


@pytest.mark.parametrize(
    ("text", "read", "line", "reason"),
    [
        ("이건 JSON이 아니라 그냥 글이다", 0, 1, "not a JSON array or object"),
        ("\n\n42\n", 0, 3, "not a JSON array or object"),
        ('[\n{"body": "a",\n "x": tru}]', 0, 3, "JSON is truncated or invalid: Expecting value"),
        (
            '[{"body": "a"} {"body": "b"}]', 1, 1,
            "JSON is truncated or invalid after record 1: Expecting ',', found '{' (1 review read before it)",
        ),
        ('{"body": "a"} ]', 1, 1, "JSON is truncated or invalid after record 1: Extra data (1 review read before it)"),
    ],
)
def test_not_json(tmp_path: Path, text: str, read: int, line: int, reason: str) -> None:
    path = write(tmp_path, "bad.json", text)
    items, error = read_until_raised(path)
    assert (error.path, error.line, error.reason) == (str(path), line, reason)
    assert [item.body for item in items] == ["a"] * read


def test_json_nested_too_deeply(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    items, error = read_until_raised(write(tmp_path, "deep.json", f'[{{"body": "가"}},\n{{"body": {deep}}}]'))
    assert [r.body for r in items] == ["가"]
    assert (error.line, error.reason) == (
        2, "JSON is truncated or invalid after record 1: nested too deeply (1 review read before it)",
    )
    reviews, errors = read(write(tmp_path, "deep.jsonl", f'{{"body": {deep}}}\n{{"body": "나"}}\n'))
    assert [r.body for r in reviews] == ["나"]
    assert problems(errors) == [(1, "not JSON: nested too deeply", True)]


@pytest.mark.parametrize(("name", "content"), [("empty.json", "[]"), ("header.csv", "id,body\n\n")])
def test_no_reviews_in_file(tmp_path: Path, name: str, content: str) -> None:
    with pytest.raises(ReadError, match="no reviews in file$"):
        list(read_file(write(tmp_path, name, content)))


# ------------------------------------------------------------ JSON Lines


def test_json_lines_with_a_broken_line(tmp_path: Path) -> None:
    lines = ['{"id": "a", "body": "첫 줄"}', "", '{"id": "b", "body": "깨진 줄"', '{"id": "c", "body": "셋째"}', "[1]"]
    path = write(tmp_path, "reviews.jsonl", "\r\n".join(lines) + "\r\n")
    reviews, errors = read(path)
    assert [(r.id, r.body) for r in reviews] == [("a", "첫 줄"), ("c", "셋째")]
    assert problems(errors) == [
        (3, "not JSON: Expecting ',' delimiter (column 27)", True),
        (5, "not a review object but an array", True),
    ]


@pytest.mark.parametrize("name", ["reviews.json", "reviews.ndjson", "reviews"])
def test_json_lines_by_content_or_name(tmp_path: Path, name: str) -> None:
    # a .json or extension-less file whose first two lines are objects is JSON Lines
    path = write(tmp_path, name, '{"body": "하나", "date": "15.05.23"}\n{"body": "둘"\n{"body": "셋"}\n')
    reviews, errors = read(path)
    assert [(r.body, r.date) for r in reviews] == [("하나", dt.date(2015, 5, 23)), ("셋", None)]
    assert [e.line for e in errors] == [2]


def test_json_lines_streams_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(100_000):
            out.write(f'{{"id": {n}, "review": "정말 재밌는 영화 {n}", "rating": {n % 10}, "date": "15.05.23"}}\n')
    size = path.stat().st_size
    count = 0
    tracemalloc.start()
    try:
        for item in read_file(path):
            count += isinstance(item, Review)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 100_000
    assert peak < size / 20, (peak, size)  # some 270 KB of 9 MB, as of 18 MB


def test_json_array_streams_in_little_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("w", encoding="utf-8") as out:
        out.write('{"meta": {"count": 50000}, "reviews": [\n')
        out.write(",\n".join(f'  {{"review_id": "{n}", "review": "배우 연기 {n}"}}' for n in range(50_000)))
        out.write("\n]}\n")
    size = path.stat().st_size
    assert size > records.WHOLE_JSON  # not a file small enough to parse in one piece
    count, last_id = 0, None
    tracemalloc.start()
    try:
        for item in read_file(path):
            count, last_id = count + 1, item.id
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (count, last_id) == (50_000, "49999")
    assert peak < size / 8, (peak, size)


# ------------------------------------------------------------- CSV / TSV


def test_csv(tmp_path: Path) -> None:
    text = (
        "Review_ID,Title,Review,Author,Date,Rating,Movie,extra col\r\n"
        '1,좋다,"따옴표 ""인용"", 쉼표, 그리고\n줄바꿈",kim,2024. 1. 2.,9,그녀,x\r\n'
        "\r\n"
        "2,짧다,한 줄,lee,,,그녀,\r\n"
        "3,틀림,열이,모자람\r\n"
        ",,,,,,,\r\n"
        "4,,끝,park,2024-01-03,8.5,,y\r\n"
    )
    path = write(tmp_path, "reviews.csv", text)
    reviews, errors = read(path)
    assert [(r.id, r.title, r.body, r.author, r.date, r.rating, r.item, r.extra) for r in reviews] == [
        ("1", "좋다", '따옴표 "인용", 쉼표, 그리고\n줄바꿈', "kim", dt.date(2024, 1, 2), 9.0, "그녀",
         {"extra col": "x"}),
        ("2", "짧다", "한 줄", "lee", None, None, "그녀", {"extra col": ""}),
        ("4", "", "끝", "park", dt.date(2024, 1, 3), 8.5, None, {"extra col": "y"}),
    ]
    # the row's own first line, counting the quoted line break and the blank line
    assert problems(errors) == [(6, "expected 8 columns, found 4", True)]


def test_tsv_keeps_quotes(tmp_path: Path) -> None:
    path = write(tmp_path, "reviews.tsv", 'id\tbody\tscore\n7\t"최고" 라는 말밖에\t5\n8\t"열린 따옴표만\t1\n')
    reviews, errors = read(path)
    assert [(r.id, r.body, r.rating) for r in reviews] == [
        ("7", '"최고" 라는 말밖에', 5.0), ("8", '"열린 따옴표만', 1.0),
    ]
    assert errors == []


def test_nsmc_ratings_txt_is_tsv(tmp_path: Path) -> None:
    text = (
        "id\tdocument\tlabel\n"
        "9976970\t아 더빙.. 진짜 짜증나네요 목소리\t0\n"
        "5403919\t\t0\n"
        '7797314\t"원작의 긴장감을 제대로 살려내지못했다.\t1\n'
    )
    path = write(tmp_path, "ratings.txt", text)
    reviews, errors = read(path)
    # NSMC's label is 0/1 sentiment: kept as a label, not as a rating of 0 or 1 (issue 21)
    assert [(r.id, r.body, r.rating, r.extra["label"]) for r in reviews] == [
        ("9976970", "아 더빙.. 진짜 짜증나네요 목소리", None, 0),
        ("7797314", '"원작의 긴장감을 제대로 살려내지못했다.', None, 1),
    ]
    assert problems(errors) == [(3, "no review text", True)]


@pytest.mark.parametrize(
    ("name", "text", "bodies"),
    [
        ("export", "id,comment\n1,좋아요\n2,싫어요\n", ["좋아요", "싫어요"]),
        ("export.dat", "id\treview\n1\t좋아요\n", ["좋아요"]),
        ("export", '[{"text": "좋아요"}]', ["좋아요"]),
        ("post.log", "[영화리뷰] 그녀\n본문, 쉼표가 있는 글이다.\n", ["본문, 쉼표가 있는 글이다."]),
        ("post.txt", "첫 줄\t탭이 있지만 머리글은 아니다\n본문이다.\n", ["본문이다."]),
    ],
)
def test_reader_chosen_by_content(tmp_path: Path, name: str, text: str, bodies: list[str]) -> None:
    reviews, errors = read(write(tmp_path, name, text))
    assert [r.body for r in reviews] == bodies and errors == []


# ---------------------------------------------------------- field mapping


def test_explicit_field_mapping_wins(tmp_path: Path) -> None:
    text = "id,review_id,review,document,label\n1,r-100,요약,진짜 본문,1\n"
    path = write(tmp_path, "mapped.csv", text)
    [review], errors = read(path, fields={"body": "DOCUMENT", "id": "review_id"})
    assert (review.id, review.body, review.rating) == ("r-100", "진짜 본문", None)
    # the common names lost to the mapping; a 0/1 label is a label, not a rating (issue 21)
    assert review.extra == {"id": "1", "review": "요약", "label": 1}
    assert errors == []
    path = write(tmp_path, "mapped.jsonl", '{"msg": "본문", "when": "2024-05-06"}\n')
    [review], _ = read(path, fields={"body": "msg", "date": "when"})
    assert (review.body, review.date) == ("본문", dt.date(2024, 5, 6))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.csv", "id,review\n1,좋다\n"),
        ("a.json", '[{"id": 1, "review": "좋다"}]'),
        ("a.jsonl", '{"id": 1, "review": "좋다"}\n'),
    ],
)
def test_mapping_to_a_missing_column(tmp_path: Path, name: str, text: str) -> None:
    path = write(tmp_path, name, text)
    items, error = read_until_raised(path, fields={"body": "document"})
    assert items == []
    assert error.reason == "no column 'document' (mapped to body) in this file; it has: id, review"


def test_mapping_to_an_unknown_review_field() -> None:
    with pytest.raises(ValueError, match="unknown review field 'bdy'"):
        ReadOptions(fields={"bdy": "document"})


# ------------------------------------------------------- file-level problems


@pytest.mark.parametrize("name", ["a.json", "a.jsonl", "a.csv", "a.tsv"])
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf \n\r\n\t"])
def test_empty_file(tmp_path: Path, name: str, content: bytes) -> None:
    with pytest.raises(ReadError) as caught:
        list(read_file(write(tmp_path, name, content)))
    assert (caught.value.reason, caught.value.line) == ("empty file", None)


def test_binary_files(tmp_path: Path) -> None:
    png = write(tmp_path, "image.json", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    archive = tmp_path / "reviews.csv"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("reviews.csv", "id,review\n1,좋다\n")
    for path in (png, archive):
        with pytest.raises(ReadError) as caught:
            list(read_file(path))
        assert str(caught.value) == f"{path}: binary file, not text"


def test_file_gone_between_listing_and_reading(tmp_path: Path) -> None:
    write(tmp_path, "a.json", '[{"body": "x"}]')
    [path] = iter_source_files([tmp_path])
    path.unlink()
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert caught.value.reason == "cannot read file: No such file or directory"


def test_stable_ids_for_records_without_ids(tmp_path: Path) -> None:
    path = write(tmp_path, "no-ids.csv", "review\n하나\n둘\n셋\n")
    first, _ = read(path)
    again, _ = read(path)
    assert [r.id for r in first] == [r.id for r in again] == [stable_id(path, n) for n in (1, 2, 3)]
    assert len({r.id for r in first}) == 3
    copy = write(tmp_path, "copy.csv", path.read_bytes())
    assert {r.id for r in read(copy)[0]}.isdisjoint(r.id for r in first)


def test_review_dict_round_trip_with_and_without_new_fields() -> None:
    review = Review(id="x", body="본문", rating=4.5, item="m1", date=dt.date(2024, 1, 2), extra={"likes": 3})
    assert Review.from_dict(json.loads(json.dumps(review.to_dict()))) == review
    stored_before = {"id": "y", "title": "", "body": "옛 본문", "author": None, "date": None, "keywords": [],
                     "keywords_derived": False, "category": None, "source": "a.txt", "extra": {}}
    old = Review.from_dict(stored_before)
    assert (old.body, old.rating, old.item, old.extra) == ("옛 본문", None, None, {})
