"""Hostile source files (issue 18): a bad record, byte, quote or page costs itself, never the run.

Each test reads a small file made in ``tmp_path`` through :func:`read_file`, the
readers' public entry; the last one indexes them all with ``ReviewIndex.add_paths``.
"""

from __future__ import annotations

import base64
import random
import struct
import time
import zlib
from pathlib import Path

import pytest

from searcher import ReviewIndex
from searcher.errors import ReadError
from searcher.readers import ReadOptions, html, read_file
from tests.test_records import problems, read, write

# ---------------------------------------------------------- numbers past Python's limits

#: A rating past float's range, and a number past Python's int-string conversion limit (4,300 digits).
HUGE_RATING, HUGE_NUMBER = "9" * 400, "7" * 5000
RATING_SHOWN = "cannot read rating '" + "9" * 40 + "…'"


@pytest.mark.parametrize("whole", [True, False], ids=["array", "wrapped-array"])
def test_json_numbers_too_big_for_python_keep_the_review(tmp_path: Path, whole: bool) -> None:
    # an array is parsed in one piece, the array inside an object piece by piece; a
    # number longer than the 16 KiB the piece-by-piece reader takes at a time is read too
    records = (
        f'{{"body": "하나", "rating": {HUGE_RATING}}},\n'
        f'{{"body": "둘", "rating": 8, "count": {HUGE_NUMBER}}},\n'
        f'{{"body": "셋", "views": {"1" * 40_000}}}'
    )
    text = f"[{records}]" if whole else f'{{"reviews": [{records}]}}'
    reviews, errors = read(write(tmp_path, "big-numbers.json", text))
    assert [(r.body, r.rating) for r in reviews] == [("하나", None), ("둘", 8.0), ("셋", None)]
    assert reviews[1].extra == {"count": HUGE_NUMBER} and reviews[2].extra == {"views": "1" * 40_000}
    assert problems(errors) == [(1, RATING_SHOWN, False)]


def test_json_lines_numbers_too_big_for_python(tmp_path: Path) -> None:
    lines = [
        f'{{"body": "하나", "rating": {HUGE_RATING}}}',
        f'{{"body": "둘", "rating": {HUGE_NUMBER}}}',
        f'{{"body": "셋", "n": {HUGE_NUMBER}}}  {{"body": "넷"}}',
        '{"body": "다섯", "rating": 1e999}',
    ]
    reviews, errors = read(write(tmp_path, "big-numbers.jsonl", "\n".join(lines)))
    assert [(r.body, r.rating) for r in reviews] == [("하나", None), ("둘", None), ("다섯", None)]
    assert problems(errors) == [
        (1, RATING_SHOWN, False),
        (2, "cannot read rating '" + "7" * 40 + "…'", False),
        (3, f"not JSON: Extra data (column {len(lines[2]) - 12})", True),
        (4, "cannot read rating 'inf'", False),
    ]


def test_csv_rating_of_thousands_of_digits(tmp_path: Path) -> None:
    path = write(tmp_path, "big.csv", f"review,rating\n좋다,{HUGE_NUMBER}\n별로,2\n")
    reviews, errors = read(path)
    assert [(r.body, r.rating) for r in reviews] == [("좋다", None), ("별로", 2.0)]
    assert problems(errors) == [(2, "cannot read rating '" + "7" * 40 + "…'", False)]


def test_page_with_json_ld_nested_too_deeply(tmp_path: Path) -> None:
    # the JSON-LD block is left out like one that is not JSON; the page is read
    deep = "[" * 5_000 + "]" * 5_000  # past Python's recursion limit (1,000)
    page = (
        f'<html><head><title>소금빵 후기</title><script type="application/ld+json">{deep}</script></head>'
        "<body><article><p>소금빵이 정말 맛있었어요. 버터 향이 진하고 겉은 바삭했습니다.</p></article></body></html>"
    )
    [review], errors = read(write(tmp_path, "deep.html", page))
    assert errors == [] and review.title == "소금빵 후기"
    assert review.body == "소금빵이 정말 맛있었어요. 버터 향이 진하고 겉은 바삭했습니다."


# ------------------------------------------------------------------------------ CSV


@pytest.mark.parametrize(
    ("name", "delimiter"),
    [(name, delimiter) for name in ("export.csv", "export") for delimiter in ";|,"] + [("export.csv", "\t")],
)
def test_csv_delimiter_told_from_the_header(tmp_path: Path, name: str, delimiter: str) -> None:
    # Excel writes ";" where the comma is the decimal mark; the file's name need not say CSV
    # (a tab-separated file without one is TSV, which has no quoting)
    text = "id;review;rating\r\n1;\"좋았다, 정말\";9\r\n2;\"따옴표 \"\";\"\" 안\";3\r\n".replace(";", delimiter)
    reviews, errors = read(write(tmp_path, name, text))
    assert errors == []
    assert [(r.id, r.body, r.rating) for r in reviews] == [
        ("1", "좋았다, 정말", 9.0), ("2", f'따옴표 "{delimiter}" 안', 3.0),
    ]


UNTERMINATED = "unterminated quote: the field it opens runs into the lines below, which are read as rows"


@pytest.mark.parametrize(
    ("rows", "bodies", "errors"),
    [
        # the quote runs to the end of the file
        ('1,좋았다,9\n2,"별로,3\n3,그럭저럭,5\n4,최고,10\n', ["좋았다", "그럭저럭", "최고"], [(3, UNTERMINATED)]),
        # ... or closes mid-field at a later row's quote, which no CSV writer makes
        ('1,"좋았다,9\n2,별로,3\n3,"인용" 이라고,5\n4,끝,7\n', ["별로", "인용 이라고", "끝"], [(2, UNTERMINATED)]),
        # ... or closes right, but the lines it swallowed are rows of the header's columns
        ('1,"좋았다,9\n2,별로,3\n3,그럭저럭,5\n4,끝",7\n', ["별로", "그럭저럭", '끝"'], [(2, UNTERMINATED)]),
        # ... or gives the wrong number of columns
        (
            '1,"좋았다,9\n2,별로",3,4\n3,좋음,5\n', ["좋음"],
            [(2, UNTERMINATED), (3, "expected 3 columns, found 4")],
        ),
    ],
    ids=["to-the-end", "closed-mid-field", "rows-inside", "wrong-columns"],
)
def test_csv_unterminated_quote_costs_only_its_row(
    tmp_path: Path, rows: str, bodies: list[str], errors: list[tuple[int, str]]
) -> None:
    reviews, found = read(write(tmp_path, "runaway.csv", "id,review,rating\n" + rows))
    assert [r.body for r in reviews] == bodies
    assert problems(found) == [(line, reason, True) for line, reason in errors]


def test_csv_reviews_with_line_breaks_in_quotes_stay_whole(tmp_path: Path) -> None:
    rows = (
        '1,"첫 줄\n둘째 줄, 쉼표도 있고\n\n넷째 줄",9\r\n'
        '2,"좋았다\n배우, 감독",8\r\n'  # its second line alone would be a row of 3 columns
        '3,"""인용""으로 시작\n하는 리뷰",7\r\n'
        "4,짧다,3\r\n"
    )
    reviews, errors = read(write(tmp_path, "multiline.csv", "id,review,rating\r\n" + rows))
    assert errors == []
    assert [(r.id, r.body) for r in reviews] == [
        ("1", "첫 줄\n둘째 줄, 쉼표도 있고\n\n넷째 줄"), ("2", "좋았다\n배우, 감독"),
        ("3", '"인용"으로 시작\n하는 리뷰'), ("4", "짧다"),
    ]


# ----------------------------------------------------------------------------- HTML


def test_page_of_too_many_elements_is_refused_at_once(tmp_path: Path) -> None:
    # the extraction's time grows faster than the page: one just past the cap is refused after parsing
    paragraph = "<p>소금빵이 맛있었어요.</p>\n"
    page = "<html><body><article>" + paragraph * html.MAX_ELEMENTS + "</article></body></html>"
    path = write(tmp_path, "huge.html", page)
    started = time.monotonic()
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert time.monotonic() - started < 5
    elements = html.MAX_ELEMENTS + 3  # html, body, article
    size = len(page.encode()) / 1e6
    assert str(caught.value) == (
        f"{path}: page too large: {elements:,} HTML elements in {size:.1f} MB (at most {html.MAX_ELEMENTS:,}); "
        "save the article alone"
    )


def test_page_with_a_big_inline_image_is_read_whole(tmp_path: Path) -> None:
    # a page saved whole holds its images as data: URIs; one over 10 MB used to end the parse there
    image = base64.b64encode(bytes(range(256)) * 33_000).decode()  # 11 MB
    page = (
        "<html><head><title>소금빵 후기</title></head><body><article>"
        "<p>소금빵이 정말 맛있었어요. 버터 향이 진하고 겉은 바삭했습니다.</p>"
        f'<p><img src="data:image/png;base64,{image}" alt="소금빵"></p>'
        "<p>다음에도 또 살 거예요. 주말 아침이면 줄이 길어요.</p></article></body></html>"
    )
    [review], errors = read(write(tmp_path, "saved.html", page))
    assert errors == []
    assert review.body == (
        "소금빵이 정말 맛있었어요. 버터 향이 진하고 겉은 바삭했습니다.\n\n다음에도 또 살 거예요. 주말 아침이면 줄이 길어요."
    )


# ------------------------------------------------------------ control characters, random bytes

#: A review among terminal output and stray control characters (NUL, BEL, an ESC colour sequence, VT).
CONTROLS = "\x00\x07\x1b[31m 조명 연출이\x0b훌륭했다"
_RAW_CONTROLS = [chr(c) for c in (*range(0x09), *range(0x0b, 0x0d), *range(0x0e, 0x20), *range(0x7f, 0xa0))]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("control.txt", CONTROLS),
        ("control.json", '[{"id": "c", "review": "%s"}]' % CONTROLS),
        ("control.jsonl", '{"id": "c", "review": "%s"}\n' % CONTROLS),
        ("control.csv", f"id,review\nc,{CONTROLS}\n"),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_control_characters_cost_only_themselves(tmp_path: Path, name: str, content: str, encoding: str) -> None:
    [review], errors = read(write(tmp_path, name, content.encode(encoding)))
    assert errors == [] and review.body == "조명 연출이 훌륭했다"
    assert not any(c in str(review.to_dict()) for c in _RAW_CONTROLS)


def test_binary_files_are_still_refused(tmp_path: Path) -> None:
    # a whole PNG: signature, header chunk, compressed pixels; and a file mostly of NULs that decodes
    pixels = zlib.compress(random.Random(1).randbytes(3000))
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", 40, 25, 8, 2, 0, 0, 0)), (b"IDAT", pixels), (b"IEND", b"")]
    png = b"\x89PNG\r\n\x1a\n" + b"".join(
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data)) for kind, data in chunks
    )
    padded = "제목: 좋은 영화\n".encode() + b"\x00" * 4096
    for name, content in (("scan.txt", png), ("scan.json", png), ("padded.txt", padded)):
        with pytest.raises(ReadError) as caught:
            list(read_file(write(tmp_path, name, content)))
        assert str(caught.value) == f"{tmp_path / name}: binary file, not text"


def cp949_noise(size: int) -> bytes:
    """``size`` random pairs of bytes that CP949 decodes: mostly syllables and Hanja Korean text seldom holds."""
    pairs = [bytes((lead, trail)) for lead in range(0x81, 0xFF) for trail in range(0x41, 0xFF)]
    return b"".join(random.Random(19).choices([p for p in pairs if len(p.decode("cp949", "replace")) == 1], k=size))


def test_random_bytes_that_decode_as_cp949_are_not_a_review(tmp_path: Path) -> None:
    noise = cp949_noise(300)
    path = write(tmp_path, "noise.txt", noise)
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert str(caught.value).startswith(f"{path}: not text (random bytes: read as CP949, ")
    assert str(caught.value).endswith("; if it is text, give its encoding with --encoding")
    [review] = read_file(path, ReadOptions(encoding="cp949"))  # named, it is read as text
    assert review.body == noise.decode("cp949")


# ------------------------------------------------------------------------ one run


def test_one_run_over_every_hostile_file_indexes_the_rest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    write(src, "good.json", '[{"id": "g", "review": "소금빵이 정말 맛있었다"}]')
    write(src, "numbers.json", f'[{{"id": "n1", "review": "버터 향이 좋다", "rating": {HUGE_RATING}}},\n'
                               f'{{"id": "n2", "review": "크루아상도 샀다", "views": {HUGE_NUMBER}}}]')
    write(src, "numbers.jsonl", f'{{"id": "l1", "review": "식빵은 보통", "count": {HUGE_NUMBER}}}\n')
    lines = [f'{{"id": "b{n}", "review": "단팥빵 {n}번째 후기"}}\n'.encode() for n in range(1500)]
    lines[1200] = '{"id": "bad", "review": "한국어"}\n'.encode("cp949")
    write(src, "late.jsonl", b"".join(lines))
    write(src, "semicolon.csv", "id;review;rating\n s1;\"바게트, 딱딱하다\";7\n")
    write(src, "runaway.csv", 'id,review\nr1,"마늘빵\nr2,치즈빵이 최고\n')
    write(src, "huge.html", "<html><body>" + "<p>빵</p>" * (html.MAX_ELEMENTS + 1) + "</body></html>")
    write(src, "control.txt", CONTROLS)
    write(src, "noise.txt", cp949_noise(50))
    ix = ReviewIndex.create(tmp_path / "index")
    report = ix.add_paths([src])
    assert report.reviews_indexed == 1 + 2 + 1 + 1499 + 1 + 1 + 1
    assert len(ix) == report.reviews_indexed
    assert sorted((Path(e.path).name, e.line, e.reason.split(":")[0]) for e in report.skipped) == [
        ("huge.html", None, "page too large"),
        ("late.jsonl", 1201, "cannot decode as UTF-8 (byte 0xc7)"),
        ("noise.txt", None, "not text (random bytes"),
        ("runaway.csv", 2, "unterminated quote"),
    ]
    [found] = ix.search("조명")
    assert found.review.body == "조명 연출이 훌륭했다"
    assert [(Path(e.path).name, e.line) for e in report.warnings] == [("numbers.json", 1)]
    assert [hit.review.id for hit in ix.search("치즈")] == ["r2"]
    assert [hit.review.id for hit in ix.search("바게트")] == ["s1"]
