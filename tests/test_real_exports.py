"""Review exports as people really have them (issue 21): files without a header row, the
column names of real datasets, epoch and relative dates, 0/1 sentiment labels, ids given twice."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import ReviewIndex
from searcher.cli import main
from searcher.errors import ReadError
from searcher.readers import ReadOptions, read_file
from searcher.review import Review

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

#: naver_shopping.txt's layout: rating, tab, review; no header.
SHOPPING = "5\t배송 빠르고 좋아요\n2\t별로예요 다시는 안 사요\n4\t가격 대비 괜찮네요\n1\t포장이 다 뜯겨서 왔어요\n"
#: steam.txt's layout: a 0/1 label, tab, review; no header.
STEAM = "1\t노잼 게임이지만 친구랑 하면 재밌음\n0\t최악의 게임 환불함\n1\t갓겜 인정합니다\n"


def write(folder: Path, name: str, content: str) -> Path:
    path = folder / name
    path.write_text(content, encoding="utf-8")
    return path


def read(path: Path, **options) -> tuple[list[Review], list[ReadError]]:
    items = list(read_file(path, ReadOptions(**options)))
    return [i for i in items if isinstance(i, Review)], [i for i in items if isinstance(i, ReadError)]


# ------------------------------------------------------- no header row


@pytest.mark.parametrize("name", ["naver_shopping.txt", "shopping.tsv", "shopping.dat"])
def test_headerless_rating_and_text_rows(tmp_path: Path, name: str) -> None:
    reviews, errors = read(write(tmp_path, name, SHOPPING))
    assert [(r.body, r.rating) for r in reviews] == [
        ("배송 빠르고 좋아요", 5.0), ("별로예요 다시는 안 사요", 2.0), ("가격 대비 괜찮네요", 4.0), ("포장이 다 뜯겨서 왔어요", 1.0),
    ]
    [warning] = errors  # one for the file, saying what was assumed
    assert not warning.skipped and warning.line is None
    assert warning.reason == (
        "no header: read column 2 as body, column 1 as rating; pass --field body=N --field rating=N to choose"
    )


def test_headerless_csv_with_quotes(tmp_path: Path) -> None:
    reviews, errors = read(write(tmp_path, "shop.csv", '5,배송 빠르고 좋아요\n1,"별로, 정말 별로"\n3,그냥 그래요\n'))
    assert [(r.body, r.rating) for r in reviews] == [("배송 빠르고 좋아요", 5.0), ("별로, 정말 별로", 1.0), ("그냥 그래요", 3.0)]
    assert [e.reason.split(";")[0] for e in errors] == ["no header: read column 2 as body, column 1 as rating"]


def test_headerless_zero_one_column_is_a_label(tmp_path: Path) -> None:
    reviews, errors = read(write(tmp_path, "steam.txt", STEAM))
    assert [(r.body, r.rating, r.extra) for r in reviews] == [
        ("노잼 게임이지만 친구랑 하면 재밌음", None, {"label": 1}),
        ("최악의 게임 환불함", None, {"label": 0}),
        ("갓겜 인정합니다", None, {"label": 1}),
    ]
    assert "column 1 as label" in errors[0].reason


def test_headerless_nsmc_rows_id_text_label(tmp_path: Path) -> None:
    text = "9976970\t아 더빙.. 진짜 짜증나네요 목소리\t0\n5403919\t\t0\n7797314\t원작의 긴장감을 제대로 살려내지못했다.\t1\n"
    reviews, errors = read(write(tmp_path, "ratings_noheader.txt", text))
    assert [(r.id, r.extra["label"]) for r in reviews] == [("9976970", 0), ("7797314", 1)]
    assert [(e.line, e.reason.split(";")[0]) for e in errors] == [
        (None, "no header: read column 2 as body, column 1 as id, column 3 as label"),
        (2, "no review text"),
    ]


def test_columns_chosen_by_position(tmp_path: Path) -> None:
    """--field body=2 --field rating=1 (1-based positions) reads a headerless file, saying nothing more."""
    path = write(tmp_path, "pairs.txt", "3\t제목 하나\t본문이 여기에 길게 있습니다\n5\t제목 둘\t두 번째 본문도 깁니다\n")
    reviews, errors = read(path, fields={"body": "2", "rating": "1"})
    assert [(r.body, r.rating, r.extra) for r in reviews] == [
        ("제목 하나", 3.0, {"column3": "본문이 여기에 길게 있습니다"}),
        ("제목 둘", 5.0, {"column3": "두 번째 본문도 깁니다"}),
    ]
    assert errors == []
    # positions say the rows are data even where they look like a header of short names
    path = write(tmp_path, "words.tsv", "좋음\t최고\n별로\t실망\n")
    reviews, errors = read(path, fields={"body": "2", "title": "1"})
    assert [(r.title, r.body) for r in reviews] == [("좋음", "최고"), ("별로", "실망")] and errors == []


def test_cli_reads_headerless_by_position(tmp_path: Path) -> None:
    write(tmp_path, "naver_shopping.txt", SHOPPING)
    index = str(tmp_path / "ix")
    result = CliRunner().invoke(
        main, ["index", str(tmp_path / "naver_shopping.txt"), "--index", index, "--field", "body=2", "--field", "rating=1"]
    )
    assert result.exit_code == 0, result.output
    assert "4 reviews indexed" in result.output and "no header" not in result.output
    result = CliRunner().invoke(main, ["query", "rating:5", "--index", index])
    assert result.exit_code == 0 and "배송 빠르고 좋아요" in result.output and "별로예요" not in result.output


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("tabs.txt", "오늘 본 영화 후기\n\n\t첫 문단은 탭으로 시작한다.\n\t둘째 문단도 탭, 숫자 3과 함께.\n"),
        ("glossary.txt", "제목\t설명\n사과\t빨갛고 맛있는 과일\n배\t시원한 과일\n"),
        ("poem.txt", "봄이 오면, 꽃이 핀다\n여름이 오면, 비가 온다\n가을이 오면, 잎이 진다\n"),
        ("one.txt", "5\t좋아요\n"),
        ("table.txt", "가격, 12000원\n배송, 3일\n"),
    ],
)
def test_prose_with_tabs_and_commas_stays_a_blog_post(tmp_path: Path, name: str, text: str) -> None:
    [review], errors = read(write(tmp_path, name, text))
    assert errors == [] and review.body


def test_corpus_posts_stay_blog_posts(tmp_path: Path) -> None:
    for seed in sorted(CORPUS.glob("*.txt")):
        [review] = read_file(seed)
        assert review.title and len(review.body) > 500
        # with tabs put into every line, each is still one post
        tabbed = write(tmp_path, seed.name, "\n".join(f"\t{line}" for line in seed.read_text(encoding="utf-8").splitlines()))
        [again] = read_file(tabbed)
        assert len(again.body) > 500


def test_headered_files_keep_their_header(tmp_path: Path) -> None:
    """A header of unknown names above numbers is a header: the file is reported, not read as data."""
    path = write(tmp_path, "scores.csv", "번호,후기 내용\n1,좋아요\n2,별로예요\n")
    with pytest.raises(ReadError, match=r"no column of review text .*--field 'body=후기 내용'"):
        read(path)


# ------------------------------------------------------- columns people really have


def test_real_column_names(tmp_path: Path) -> None:
    text = (
        "hotel,star,review,timestamp_created\n"
        "A호텔,5,깨끗하고 좋아요,1611234567\n"
        "B호텔,4,직원이 친절해요,1611234567123\n"
    )
    reviews, errors = read(write(tmp_path, "hotels.csv", text))
    day = dt.date.fromtimestamp(1611234567)
    assert [(r.item, r.rating, r.date, r.body) for r in reviews] == [
        ("A호텔", 5.0, day, "깨끗하고 좋아요"), ("B호텔", 4.0, day, "직원이 친절해요"),
    ]
    assert errors == []
    path = write(tmp_path, "apps.jsonl", '{"app_id": 570, "review": "재밌다", "timestamp_created": 1611234567}\n'
                 '{"product_name": "수분크림", "content": "촉촉해요"}\n')
    reviews, errors = read(path)
    assert [(r.item, r.date) for r in reviews] == [("570", day), ("수분크림", None)] and errors == []


def test_relative_dates_left_empty_with_one_warning(tmp_path: Path) -> None:
    text = (
        "review,date\n"
        "촉촉하고 좋아요,1일 전\n순해요,17시간 전\n향이 별로,3주 전\n재구매,2달 전\n"
        "방금 샀어요,방금 전\n작년 구매,2024-05-01\n이상한 날짜,언젠가\n"
    )
    reviews, errors = read(write(tmp_path, "oliveyoung.csv", text))
    assert [r.date for r in reviews] == [None] * 5 + [dt.date(2024, 5, 1), None]
    assert [(e.line, e.reason, e.skipped) for e in errors] == [
        (8, "cannot read date '언젠가'", False),
        (2, "relative date '1일 전' and 4 others like it left empty: the day it counts from is unknown; "
            "if another column holds the date, pass --field date=COLUMN", False),
    ]


def test_zero_one_labels_are_labels_not_ratings(tmp_path: Path) -> None:
    reviews, errors = read(write(tmp_path, "sentiment.csv", "sentiment,review\n1,좋아요\n0,싫어요\n"))
    assert [(r.rating, r.extra) for r in reviews] == [(None, {"label": 1}), (None, {"label": 0})] and errors == []
    # a label column of other numbers is a rating from the first one on, said once
    reviews, errors = read(write(tmp_path, "stars.tsv", "label\treview\n1\t별로\n4\t좋음\n5\t최고\n"))
    assert [(r.rating, r.extra) for r in reviews] == [(None, {"label": 1}), (4.0, {}), (5.0, {})]
    assert [(e.line, e.reason.split(":")[0]) for e in errors] == [(3, "the label column holds '4', not only 0 and 1")]
    # a rating column too: the label stays a label
    [review], _ = read(write(tmp_path, "both.csv", "rating,label,review\n9,1,좋다\n"))
    assert (review.rating, review.extra) == (9.0, {"label": 1})


def test_label_kept_in_the_index(tmp_path: Path) -> None:
    write(tmp_path, "steam.txt", STEAM)
    index = ReviewIndex.create(tmp_path / "ix")
    index.add_paths([tmp_path / "steam.txt"])
    hits = index.search("환불")
    assert [(h.review.extra.get("label"), h.review.rating) for h in hits] == [(0, None)]


# ------------------------------------------------------- ids given twice


def test_duplicate_ids_in_a_run_are_reported(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    write(source, "a.csv", "id,review\n7,첫 리뷰 좋아요\n8,둘째 리뷰\n7,셋째 리뷰 같은 아이디\n")
    write(source, "b.jsonl", '{"id": "8", "review": "다른 파일의 리뷰"}\n{"id": "9", "review": "새 리뷰"}\n')
    index = ReviewIndex.create(tmp_path / "ix")
    report = index.add_paths([source])
    assert report.reviews_indexed == 5 and report.skipped == []
    assert [(Path(w.path).name, w.reason) for w in report.warnings] == [
        ("a.csv", "id '7' is also the id of a review in this file; only one is kept"),
        ("b.jsonl", f"id '8' is also the id of a review in {source / 'a.csv'}; only one is kept"),
    ]
    assert len(index.search("리뷰")) == 3  # 7, 8 and 9: one review per id
    # a run that reads nothing again sees no duplicate
    assert index.add_paths([source]).warnings == []
