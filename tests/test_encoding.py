"""Encodings: telling them from a file's head, the user's override, and decode errors found late."""

from __future__ import annotations

import codecs
import random
import io
from pathlib import Path

import pytest

from searcher.errors import ReadError
from searcher.readers import ReadOptions, read_file
from searcher.readers.encoding import NotTextError, detect_encoding, find_decode_error, resolve_encoding
from searcher.review import Review

POST = "본문 바로가기\r\n똠방각하 리뷰\r\nby 작가 2024. 1. 2.\r\n배우들 연기가 좋았다.\r\n두 번째 문단.\r\n"
CSV = "id,review,rating\r\n1,\"재밌다, 정말\",9\r\n2,똠방각하 최고,10\r\n"
EUC_KR_CSV = "id,review,rating\r\n1,\"재밌다, 정말\",9\r\n2,그저 그렇다,5\r\n"  # no CP949-only syllables
PAGE = '<html><head><meta charset="{}"><title>리뷰</title></head><body><p>배우들 연기가 정말 좋았다.</p></body></html>'
ASCII_PAGE = '<!DOCTYPE html><html><head><meta charset="{}"><title>Her</title><script>var a = 1;</script>'


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (codecs.BOM_UTF8 + "가나다".encode(), "utf-8-sig"),
        (codecs.BOM_UTF16_LE + "가나다".encode("utf-16-le"), "utf-16"),
        (codecs.BOM_UTF16_BE + "가나다".encode("utf-16-be"), "utf-16"),
        (codecs.BOM_UTF32_LE + "가".encode("utf-32-le"), "utf-32"),  # not UTF-16, whose BOM it starts with
        ("리뷰 본문".encode(), "utf-8"),
        (b"plain ascii", "utf-8"),
        ("가나다라".encode()[:-1], "utf-8"),  # the head cuts the last character
        ("리뷰 본문".encode("cp949"), "cp949"),
        ("리뷰 본문".encode("euc-kr"), "cp949"),
        ("똠방각하".encode("cp949"), "cp949"),  # 똠 is CP949, not EUC-KR
        (("가" * 10).encode("cp949")[:-1], "cp949"),
    ],
)
def test_detect_encoding(head: bytes, expected: str) -> None:
    assert detect_encoding(head) == expected


@pytest.mark.parametrize(
    "head", [b"\x89PNG\r\n\x1a\n\x00\x00", "가나다".encode("utf-16-le"), "제목\0\0\0\0\n본문\0\0\0\0".encode()]
)
def test_detect_encoding_rejects_binary(head: bytes) -> None:
    # a head of control characters more than text (NULs: UTF-16 without a BOM too) is binary
    with pytest.raises(NotTextError) as caught:
        detect_encoding(head)
    assert (caught.value.reason, caught.value.line) == ("binary file, not text", None)


@pytest.mark.parametrize("encoding", ["utf-8", "cp949"])
def test_control_characters_among_text_do_not_make_it_binary(encoding: str) -> None:
    for text in ("제목\n본문\0", "\x00\x07\x1b[31m 조명 연출이\x0b훌륭했다"):
        assert detect_encoding(text.encode(encoding)) == encoding


#: Every character CP949 decodes from two bytes.
CP949_PAIRS = [
    char for lead in range(0x81, 0xFF) for trail in range(0x41, 0xFF)
    for char in [bytes((lead, trail)).decode("cp949", "replace")] if len(char) == 1
]


@pytest.mark.parametrize("seed", range(5))
def test_random_bytes_that_decode_as_cp949_are_not_text(seed: int) -> None:
    noise = "".join(random.Random(seed).choices(CP949_PAIRS, k=200)).encode("cp949")
    with pytest.raises(NotTextError) as caught:
        detect_encoding(noise)
    assert caught.value.reason.startswith("not text (random bytes: read as CP949, ")
    assert caught.value.reason.endswith("; if it is text, give its encoding with --encoding")


@pytest.mark.parametrize(
    "text",
    [
        # NSMC reviews of slang: more rare syllables than common ones, but few different ones
        "평점봐랔ㅋㅋ왘ㅋㅋ뭥밐ㅋ", "아햏햏 아햏햏 아햏햏.", "굿굿굿굿굯굿굿굿귯귯",
        "この作品はクリエ-ティだし、期待よりもすごく面白かった。",  # NSMC holds Japanese and Chinese reviews
        "生卽必死 死卽必生",
        "똠방각하 " * 50 + "배우들 연기가 좋았고 음악도 훌륭했다",
    ],
)
def test_korean_text_in_cp949_is_text(text: str) -> None:
    assert detect_encoding(text.encode("cp949")) == "cp949"


def test_detect_encoding_rejects_undecodable() -> None:
    with pytest.raises(NotTextError) as caught:
        detect_encoding("첫 줄\n둘째 줄\n".encode() + b"\x80\xff")
    assert caught.value.line == 3
    assert caught.value.reason == (
        "cannot decode as UTF-8 or CP949 (byte 0x80 at offset 19); "
        "save the file as UTF-8 or give its encoding with --encoding"
    )


@pytest.mark.parametrize(
    ("page", "encoding", "html", "expected"),
    [
        (PAGE.format("euc-kr"), "cp949", True, "cp949"),
        # no Korean in the head (a page starting with scripts): the declaration decides
        (ASCII_PAGE.format("EUC-KR"), "ascii", True, "cp949"),
        (ASCII_PAGE.format("EUC-KR"), "ascii", False, "utf-8"),
        (
            PAGE.replace('charset="{}"', 'http-equiv="Content-Type" content="text/html; charset=ks_c_5601-1987"'),
            "cp949", True, "cp949",
        ),
        (PAGE.format("euc-kr"), "utf-8", True, "utf-8"),  # re-saved as UTF-8: the declaration does not decode it
        (PAGE.format("utf-8"), "cp949", True, "cp949"),
        (PAGE.format("utf-16"), "utf-8", True, "utf-8"),  # a page cannot declare UTF-16
        (PAGE.format("no-such-charset"), "cp949", True, "cp949"),
    ],
)
def test_html_meta_charset(page: str, encoding: str, html: bool, expected: str) -> None:
    assert detect_encoding(page.encode(encoding), html=html) == expected


def test_html_bom_wins_over_meta_charset() -> None:
    assert detect_encoding(codecs.BOM_UTF8 + PAGE.format("euc-kr").encode(), html=True) == "utf-8-sig"


@pytest.mark.parametrize(
    ("label", "codec"),
    [("EUC-KR", "cp949"), ("ks_c_5601-1987", "cp949"), ("x-windows-949", "cp949"), ("UTF8", "utf-8-sig"),
     ("cp949", "cp949"), ("UTF-16", "utf-16"), ("latin-1", "iso8859-1")],
)
def test_resolve_encoding(label: str, codec: str) -> None:
    assert resolve_encoding(label) == codec


@pytest.mark.parametrize("label", ["xyz", "base64", ""])
def test_resolve_encoding_rejects_what_is_no_text_encoding(label: str) -> None:
    with pytest.raises(LookupError):
        resolve_encoding(label)


def test_find_decode_error_across_chunks() -> None:
    # 3-byte characters straddle the 64 KiB chunk border; the bad byte lies beyond it
    text = ("가나다\n" * 7000).encode()
    data = text + "끝".encode()[:2] + b"\n"
    assert find_decode_error(io.BytesIO(data), "utf-8") == (len(text), 7001, 0xEB)
    assert find_decode_error(io.BytesIO(text), "utf-8") is None
    # offsets count a BOM the codec drops
    assert find_decode_error(io.BytesIO(codecs.BOM_UTF8 + b"ab\n\xff"), "utf-8-sig") == (6, 2, 0xFF)
    cp949 = ("한국어\n" * 9000).encode("cp949")
    assert find_decode_error(io.BytesIO(cp949 + b"\xff"), "cp949") == (len(cp949), 9001, 0xFF)


# ------------------------------------------------------------ read_file


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-be-bom", "cp949"])
def test_blog_text_in_any_encoding(tmp_path: Path, encoding: str) -> None:
    data = codecs.BOM_UTF16_BE + POST.encode("utf-16-be") if encoding == "utf-16-be-bom" else POST.encode(encoding)
    [review] = list(read_file(write(tmp_path, "post.txt", data)))
    assert (review.title, review.author) == ("똠방각하 리뷰", "작가")
    assert review.body == "배우들 연기가 좋았다.\n두 번째 문단."


def test_euc_kr_blog_text(tmp_path: Path) -> None:
    text = POST.replace("똠방각하", "그녀")
    [review] = list(read_file(write(tmp_path, "post.txt", text.encode("euc-kr"))))
    assert (review.title, review.body) == ("그녀 리뷰", "배우들 연기가 좋았다.\n두 번째 문단.")


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (CSV.encode("cp949"), "excel.csv"),  # Excel's Korean "CSV (comma delimited)"
        (codecs.BOM_UTF8 + CSV.encode(), "excel-utf8.csv"),
        (CSV.encode("utf-16"), "excel.csv"),
        (CSV.replace(",", "\t").replace('"재밌다\t 정말"', "재밌다, 정말").encode("utf-16"), "unicode.txt"),
    ],
)
def test_exports_in_any_encoding(tmp_path: Path, content: bytes, name: str) -> None:
    reviews = list(read_file(write(tmp_path, name, content)))
    assert [(r.id, r.body, r.rating) for r in reviews] == [("1", "재밌다, 정말", 9.0), ("2", "똠방각하 최고", 10.0)]


def test_euc_kr_csv(tmp_path: Path) -> None:
    reviews = list(read_file(write(tmp_path, "old.csv", EUC_KR_CSV.encode("euc-kr"))))
    assert [r.body for r in reviews] == ["재밌다, 정말", "그저 그렇다"]


@pytest.mark.parametrize("label", ["cp949", "EUC-KR", "ks_c_5601-1987"])
def test_encoding_override(tmp_path: Path, label: str) -> None:
    path = write(tmp_path, "excel.csv", CSV.encode("cp949"))
    reviews = list(read_file(path, ReadOptions(encoding=label)))
    assert [r.body for r in reviews] == ["재밌다, 정말", "똠방각하 최고"]


def test_override_reads_what_detection_cannot(tmp_path: Path) -> None:
    # UTF-16 without a BOM looks binary; named, it reads. A UTF-8 BOM is dropped under a "utf-8" override.
    path = write(tmp_path, "nobom.csv", CSV.encode("utf-16-le"))
    with pytest.raises(ReadError, match="binary file, not text"):
        list(read_file(path))
    assert [r.id for r in read_file(path, ReadOptions(encoding="utf-16-le"))] == ["1", "2"]
    path = write(tmp_path, "bom.csv", codecs.BOM_UTF8 + CSV.encode())
    assert [r.id for r in read_file(path, ReadOptions(encoding="utf-8"))] == ["1", "2"]


def test_wrong_override(tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", CSV.encode("cp949"))
    with pytest.raises(ReadError) as caught:
        list(read_file(path, ReadOptions(encoding="utf-8")))
    assert str(caught.value) == f"{path}:2: cannot decode as utf-8 (byte 0xc0 at offset 21): is --encoding utf-8 right?"
    with pytest.raises(ReadError) as caught:
        list(read_file(path, ReadOptions(encoding="xyz")))
    assert str(caught.value) == f"{path}: unknown encoding 'xyz'"
    with pytest.raises(ReadError, match="binary file, not text"):
        list(read_file(write(tmp_path, "a.png", b"\x89PNG\r\n\x1a\n\x00\x00"), ReadOptions(encoding="cp949")))


#: A record's text in each line and record format, what stands between records, how the
#: file starts and ends, and the line of record n (from 0).
RECORD_FORMATS = {
    "jsonl": ('{{"id": "{id}", "review": "{body}"}}', "\n", "", "\n", lambda n: n + 1),
    "json": ('{{"id": "{id}", "review": "{body}"}}', ",\n", "[\n", "\n]\n", lambda n: n + 2),  # parsed whole
    "wrapped.json": ('{{"id": "{id}", "review": "{body}"}}', ",\n", '{"reviews": [\n', "\n]}\n", lambda n: n + 2),
    "csv": ('{id},"{body}"', "\r\n", "id,review\r\n", "\r\n", lambda n: n + 2),
    "tsv": ("{id}\t{body}", "\n", "id\treview\n", "", lambda n: n + 2),
}


@pytest.mark.parametrize("kind", RECORD_FORMATS)
def test_undecodable_record_costs_only_itself(tmp_path: Path, kind: str) -> None:
    # record 2000 of 3000 holds bytes that are not UTF-8, far past the head that detection reads
    record, between, start, end, line_of = RECORD_FORMATS[kind]
    records = [record.format(id=n, body=f"정말 재밌는 영화였다 {n}").encode() for n in range(3000)]
    records[2000] = record.format(id="x", body="한국어").encode("cp949")
    path = write(tmp_path, f"late.{kind}", start.encode() + between.encode().join(records) + end.encode())
    assert len(b"".join(records[:2000])) > 65536
    items = list(read_file(path))
    assert [i.id for i in items if isinstance(i, Review)] == [str(n) for n in range(3000) if n != 2000]
    [error] = [i for i in items if isinstance(i, ReadError)]
    assert (error.path, error.line, error.skipped) == (str(path), line_of(2000), True)
    assert error.reason == (
        "cannot decode as UTF-8 (byte 0xc7): the file starts as UTF-8; give its encoding with --encoding"
    )


def test_undecodable_bytes_in_json(tmp_path: Path) -> None:
    # in a key, the record is left out; between records, the JSON cannot be followed past them
    # (the encoding named, as the head that detection reads holds the bad bytes)
    utf8 = ReadOptions(encoding="utf-8")
    records = ",\n".join(f'{{"id": "{n}", "review": "리뷰 {n}"}}' for n in range(3)).encode()
    path = write(tmp_path, "key.json", b'{"reviews": [' + records + b',\n{"id": "x", "\xffreview": "a"}\n]}')
    items = list(read_file(path, utf8))
    assert [i.id for i in items[:3]] == ["0", "1", "2"]
    assert [(e.line, e.reason) for e in items[3:]] == [
        (4, "cannot decode as utf-8 (byte 0xff): is --encoding utf-8 right?"),
    ]
    path = write(tmp_path, "between.json", b"[" + records + b"\n\xff\xfe, {}]")
    items = []
    with pytest.raises(ReadError) as caught:
        for item in read_file(path, utf8):
            items.append(item)
    assert [i.id for i in items] == ["0", "1", "2"]
    assert (caught.value.line, caught.value.reason) == (
        4, "cannot decode as utf-8 (byte 0xff): is --encoding utf-8 right? (3 reviews read before it)",
    )


def test_broken_utf16_pair_costs_only_its_line(tmp_path: Path) -> None:
    # a lone high surrogate's bytes include 0x00, which "surrogateescape" cannot carry
    lines = ['{"review": "첫째"}', '{"review": "둘째 \ud800"}', '{"review": "셋째"}']
    data = codecs.BOM_UTF16_LE + "\n".join(lines).encode("utf-16-le", "surrogatepass")
    items = list(read_file(write(tmp_path, "wide.jsonl", data)))
    assert [i.body for i in items if isinstance(i, Review)] == ["첫째", "셋째"]
    assert [(e.line, e.reason) for e in items if isinstance(e, ReadError)] == [
        (2, "cannot decode as UTF-16 (byte 0x00): the file starts as UTF-16; give its encoding with --encoding"),
    ]


def test_undecodable_document_is_reported_for_the_file(tmp_path: Path) -> None:
    # one review a file: a bad byte past the head costs the file, its line named as before
    text = "제목\n" + "배우들 연기가 정말 좋았다.\n" * 3000
    path = write(tmp_path, "late.txt", text.encode() + "한국어\n".encode("cp949") + "끝\n".encode())
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert (caught.value.line, caught.value.reason) == (
        3002,
        f"cannot decode as UTF-8 (byte 0xc7 at offset {len(text.encode())}): the file starts as UTF-8; "
        "give its encoding with --encoding",
    )
