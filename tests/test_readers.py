from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

from searcher.errors import ReadError
from searcher.readers import SUPPORTED_EXTENSIONS, iter_source_files, read_file, stable_id
from searcher.readers.text import read_text
from searcher.review import Review

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SEEDS = sorted(CORPUS.glob("*.txt"))
CHROME = ("본문 바로가기", "카테고리 없음", "반응형", "📑 목차", "관련 글")


def read_seed(prefix: str) -> Review:
    [path] = CORPUS.glob(f"{prefix}_*.txt")
    [review] = read_file(path)
    return review


@pytest.mark.parametrize(
    ("prefix", "title", "author", "date", "category"),
    [
        ("000", "[영화리뷰] Her – 외로움과 연결의 시대를 살아가는 우리", "관리자", dt.date(2025, 11, 5), "영화 리뷰"),
        ("001", "Her — 인간과 AI, 사랑에 대해 다시 묻다", "ssnarae25", dt.date(2025, 4, 2), None),
        ("002", "허 (Her) 줄거리 주요특징 감상후기", "kkkjjjsss", dt.date(2025, 3, 24), None),
        ("003", "연애에 지친 사람들에게 <HER> 추천 이유", "Soullatte", dt.date(2025, 4, 10), None),
    ],
)
def test_seed_header(prefix: str, title: str, author: str, date: dt.date, category: str | None) -> None:
    review = read_seed(prefix)
    assert (review.title, review.author, review.date, review.category) == (title, author, date, category)
    assert review.source is not None and Path(review.source).name.startswith(prefix)
    assert review.id == stable_id(Path(review.source))


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name[:3])
def test_seed_body_is_clean(path: Path) -> None:
    [review] = read_file(path)
    lines = review.body.splitlines()
    assert lines[0].strip() and lines[-1].strip()
    assert not any(line.strip() in CHROME or line.strip().endswith("관련 글") for line in lines)
    assert review.title not in lines
    assert not any(line.startswith("by ") for line in lines)
    assert "\n\n\n" not in review.body
    assert all(line == line.rstrip() for line in lines)
    assert not re.search(r"&(lt|gt|amp|nbsp);", review.body)
    assert review.keywords_derived is False


def test_seed_000_metadata_block() -> None:
    review = read_seed("000")
    assert review.keywords == ["Her", "그녀", "인공지능", "디지털 노마드", "감정노동", "비대면 사회", "외로움"]
    assert review.extra["description"].startswith("영화 Her(그녀)은 인공지능과 인간의")
    assert review.extra["description"].endswith("비유적으로 보여준다.")
    assert review.extra["language"] == "ko"
    assert review.extra["copyright"] == "© 2025 kbeautyarena | Nomad Guide Blog."
    assert review.extra["robots"] == "index, follow"
    assert review.extra["rating"] == "general"
    assert not {"author", "category", "publish_date", "keywords"} & review.extra.keys()
    assert "language: ko" not in review.body
    assert "googlebot" not in review.body
    assert "감독 : Spike Jonze" in review.body  # a colon in the body is not metadata
    assert review.body.endswith("그것이 Her가 남긴 가장 깊은 메시지입니다.")
    # the whole article was indented by the scraper; the common indent is gone
    assert review.body.startswith("《Her(그녀)》 — 디지털 시대의")


def test_seeds_without_metadata_have_no_keywords() -> None:
    for prefix in ("001", "002", "003"):
        review = read_seed(prefix)
        assert review.keywords == []
        assert review.extra == {}


def test_seed_001_ends_before_related_posts() -> None:
    review = read_seed("001")
    assert review.body.endswith("‘나는 AI와 어떤 감정을 주고받고 있을까’를 돌아보게 될 것입니다.")
    assert "영화: her(그녀) 영화 포토" in review.body  # "영화:" is not a metadata key


def test_repeated_caption_kept_once() -> None:
    assert read_seed("002").body.splitlines()[:2] == ["허 (Her)", ""]
    # 영화&lt;HER&gt; and 영화<HER> are the same line once entities are decoded
    assert read_seed("003").body.splitlines()[:2] == ["영화<HER>", ""]


def test_metadata_block_one_key_per_line(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "본문 바로가기\n\n# 그녀를 다시 보다\n\nby 옛이름 2024. 1. 2.\n\n"
        "정리 : 좋은 영화였다.\n두 번째 줄 &amp; 끝.\n\n"
        "language: ko\nAuthor: 새이름\ncategory: 카테고리 없음\n\n"
        "publish_date: 2025-04-02T10:30:00+09:00\nkeywords: 사랑,  외로움 ,, AI,\n"
        "description: 설명, 쉼표가 있는 값(rating: 15세)\ngeo-region: KR\n",
        encoding="utf-8",
    )
    [review] = read_file(path)
    assert review.title == "그녀를 다시 보다"
    assert review.author == "새이름"  # metadata wins over the by-line
    assert review.date == dt.date(2025, 4, 2)
    assert review.category is None
    assert review.keywords == ["사랑", "외로움", "AI"]
    # a key inside a value only counts after whitespace
    assert review.extra == {"language": "ko", "description": "설명, 쉼표가 있는 값(rating: 15세)", "geo_region": "KR"}
    assert review.body == "정리 : 좋은 영화였다.\n두 번째 줄 & 끝."


def test_unreadable_metadata_date_is_kept_and_by_line_date_used(tmp_path: Path) -> None:
    path = tmp_path / "post.txt"
    path.write_text("제목\nby 작가 2024. 1. 2.\n본문.\n\npublish_date: 지난주\n", encoding="utf-8")
    [review] = read_file(path)
    assert review.date == dt.date(2024, 1, 2)
    assert review.extra == {"publish_date": "지난주"}


def test_category_line_before_title(tmp_path: Path) -> None:
    # the body repeats the title as its first heading: kept once, as the title
    text = "본문 바로가기\n영화 리뷰\n\n그녀\n\nby 작가 2024. 1. 2.\n반응형\n그녀\n본문이다.\n"
    review = read_text(tmp_path / "p.txt", text)
    assert (review.category, review.title, review.body) == ("영화 리뷰", "그녀", "본문이다.")


def test_plain_text_without_header(tmp_path: Path) -> None:
    text = "정말 좋은 영화\n\n\n\n\n사만다의 목소리가   \n오래 남는다.\n"
    review = read_text(tmp_path / "p.txt", text)
    assert review.title == "정말 좋은 영화"
    assert (review.author, review.date, review.category) == (None, None, None)
    assert review.body == "사만다의 목소리가\n오래 남는다."


def test_bom_prefixed_file_reads_the_same(tmp_path: Path) -> None:
    seed = next(CORPUS.glob("003_*.txt"))
    copy = tmp_path / seed.name
    copy.write_bytes(b"\xef\xbb\xbf" + seed.read_bytes())
    [plain] = read_file(seed)
    [with_bom] = read_file(copy)
    assert (with_bom.title, with_bom.author, with_bom.date, with_bom.body) == (
        plain.title, plain.author, plain.date, plain.body,
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty file"),
        (b" \n\t\r\n ", "empty file"),
        (b"\xef\xbb\xbf\n", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text"),
        ("제목\x00\x00\x00\x00\n본문\x00\x00\x00\x00".encode(), "binary file, not text"),
        ("본문 바로가기\n\n반응형\n✅ 관련 글\n".encode(), "no review text"),
    ],
)
def test_read_errors(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert caught.value.reason == reason
    assert caught.value.path == str(path)
    assert str(caught.value) == f"{path}: {reason}"


def test_one_line_file_is_review_text(tmp_path: Path) -> None:
    path = tmp_path / "short.txt"
    path.write_text("본문 바로가기\n\n배우들 연기가 정말 좋았어요\n\n반응형\n", encoding="utf-8")
    [review] = read_file(path)
    assert (review.title, review.body) == ("", "배우들 연기가 정말 좋았어요")


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "neither.txt"
    path.write_bytes("제목\n".encode() + b"\xff\xfe")  # 0xff is neither UTF-8 nor CP949
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert caught.value.path == str(path)
    assert caught.value.reason.startswith("cannot decode as UTF-8 or CP949 (byte 0xff at offset 7)")
    assert caught.value.line == 2
    assert str(caught.value).startswith(f"{path}:2: cannot decode as UTF-8")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.txt"
    with pytest.raises(ReadError) as caught:
        list(read_file(path))
    assert caught.value.path == str(path)
    assert caught.value.reason.startswith("cannot read file: ")
    assert "No such file" in caught.value.reason
    with pytest.raises(ReadError, match="no such file or folder") as caught:
        list(iter_source_files([path]))
    assert caught.value.path == str(path)


def test_iter_source_files_walks_folders(tmp_path: Path) -> None:
    for name in ("b.txt", "a.md", "c.TXT", "image.png", ".hidden.txt", "sub/z.txt", "sub/deeper/y.md",
                 ".git/ignored.txt", "sub/notes.csv"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("제목\n본문\n", encoding="utf-8")
    found = [p.relative_to(tmp_path).as_posix() for p in iter_source_files([tmp_path])]
    assert found == ["a.md", "b.txt", "c.TXT", "sub/deeper/y.md", "sub/notes.csv", "sub/z.txt"]
    # a file the user names is taken whatever its extension, and str paths work
    assert list(iter_source_files([str(tmp_path / "image.png")])) == [tmp_path / "image.png"]
    # .html/.htm come with the HTML reader's entry in the reader table
    assert SUPPORTED_EXTENSIONS - {".html", ".htm"} == {".txt", ".md", ".json", ".jsonl", ".ndjson", ".csv", ".tsv"}


def test_unknown_extension_named_by_user_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "review.log"
    path.write_text("제목\n본문이다.\n", encoding="utf-8")
    [review] = read_file(path)
    assert (review.title, review.body) == ("제목", "본문이다.")


def test_stable_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = SEEDS[0], SEEDS[1]
    assert stable_id(first) == stable_id(first)
    assert list(read_file(first))[0].id == list(read_file(first))[0].id == stable_id(first)
    assert stable_id(first) != stable_id(second)
    assert stable_id(first) == hashlib.sha1(str(first.resolve()).encode()).hexdigest()[:16]
    assert stable_id(first, 3) == hashlib.sha1(f"{first.resolve()}#3".encode()).hexdigest()[:16]
    # records of one file are distinct, and differ from the file's own id
    assert len({stable_id(first), stable_id(first, 0), stable_id(first, 1)}) == 3
    # the id follows the resolved path, not how it was spelled
    monkeypatch.chdir(CORPUS)
    assert stable_id(Path(first.name)) == stable_id(first)
    assert stable_id(Path("..") / "corpus" / first.name) == stable_id(first)
