"""The saved web page reader: the article without page chrome; metadata from meta tags, JSON-LD, tag links."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import pytest

from searcher.errors import ReadError
from searcher.readers.html import read_html
from searcher.review import Review, stable_id

PAGES = Path(__file__).resolve().parent / "data" / "html"


def read_page(name: str, edit: tuple[str, str] | None = None) -> Review:
    """The fixture page ``name``.html, read after replacing the regex ``edit[0]`` by ``edit[1]``."""
    path = PAGES / f"{name}.html"
    text = path.read_text(encoding="utf-8")
    if edit:
        text = re.sub(edit[0], edit[1], text, flags=re.DOTALL)
    return read_html(path, text)


def page(head: str, body: str = "<p>소금빵이 정말 맛있었어요. 다음에도 또 살 거예요.</p>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body><article>{body}</article></body></html>"


def test_tistory_metadata() -> None:
    review = read_page("tistory")
    assert review.id == stable_id(PAGES / "tistory.html")
    assert review.source == str(PAGES / "tistory.html")
    assert review.title == "[영화리뷰] Her – 외로움과 연결의 시대"
    assert (review.author, review.date, review.category) == ("관리자", dt.date(2025, 11, 5), "영화 리뷰")
    # meta keywords, then the rel="tag" links not already there
    assert review.keywords == ["Her", "그녀", "인공지능", "디지털 노마드", "외로움"]
    assert review.keywords_derived is False
    assert review.extra == {
        "description": "영화 Her(그녀)는 인공지능과 인간의 사랑을 통해 디지털 시대의 외로움을 보여준다.",
        "site_name": "무비노트",
        "url": "https://movienote.tistory.com/42",
    }


def test_tistory_body_is_the_article_alone() -> None:
    body = read_page("tistory").body
    assert body.split("\n\n") == [
        "내용 리뷰",
        "영화 Her(그녀)는 가까운 미래의 도시를 배경으로, 사람들의 감정을 대신 써주는 직업을 가진 남자 "
        "‘테오도르’를 중심으로 전개됩니다.",
        "그는 편지 대필 업무를 통해 타인의 연애와 이별을 기록하지만, 정작 자신의 외로움은 제대로 표현하지 "
        "못합니다. 그러던 중 인공지능 운영체제 ‘사만다’를 만나면서 그의 일상은 완전히 다른 방향으로 흘러가기 "
        "시작합니다.",
        "감정노동과 비대면 사회",
        "테오도르의 직업은 사랑과 감정을 대신 전하는 일이지만, 그는 철저히 비대면의 세계에 갇혀 있습니다. "
        "감정조차 디지털로 거래되는 현실을 <Her>는 담담하게 비춥니다.",
        "호아킨 피닉스의 연기는 정말 최고였고, 스칼렛 요한슨은 목소리만으로 사만다라는 인물을 완성합니다. "
        "외로움을 느끼는 모든 분께 추천합니다 & 꼭 보세요.",
    ]
    chrome = [
        "본문 바로가기", "전체 카테고리", "방명록", "공지사항",  # header and nav
        "스크립트", "T.config", "font-family", "주석 문구",  # scripts, styles, HTML comments
        "관련글", "블레이드 러너", "카테고리의 다른 글", "이터널 선샤인",  # related posts
        "영화광", "한참 울었어요", "댓글",  # comments
        "공감", "공유하기", "신고하기", "인기 글", "Designed by", "태그",  # buttons, sidebar, footer, tag area
    ]
    assert [text for text in chrome if text in body] == []


def test_naver_metadata_from_json_ld() -> None:
    review = read_page("naver")
    assert review.title == "헤어질 결심 관람 후기, 붕괴의 미학"
    assert (review.author, review.date, review.category) == ("Soullatte", dt.date(2025, 4, 2), "영화 이야기")
    assert review.keywords == ["헤어질 결심", "박찬욱", "탕웨이", "영화 후기"]
    assert review.extra["site_name"] == "네이버 블로그"
    assert review.extra["url"] == "https://blog.naver.com/soullatte/223456789012"


def test_naver_body_drops_spacer_paragraphs_and_chrome() -> None:
    body = read_page("naver").body
    assert body.split("\n\n") == [
        "박찬욱 감독의 <헤어질 결심>을 주말에 보고 왔어요.",
        "산에서 추락한 남자의 죽음을 수사하던 형사 해준이 사망자의 아내 서래를 만나면서 이야기가 시작됩니다. "
        "의심과 관심이 뒤섞이는 과정이 안개처럼 흐릿하게 그려져요.",
        "탕웨이 배우의 서툰 한국어 대사가 오히려 인물의 고립감을 살려 줍니다. 마지막 바닷가 장면은 오래도록 "
        "잊히지 않을 것 같아요.",
        "한 번 보고는 다 이해하기 어려운 영화라서 두 번째 관람을 계획하고 있어요. 별점은 다섯 개 만점에 넷 반!",
    ]
    chrome = ["\u200b", "블로그 홈", "이웃추가", "공감", "댓글", "다른 글", "다른글목록", "NAVER", "통계", "blogId"]
    assert [text for text in chrome if text in body] == []


def test_naver_without_json_ld_falls_back_to_the_page() -> None:
    """Without JSON-LD the date is the one the page prints (found by trafilatura)."""
    review = read_page("naver", (r'<script type="application/ld\+json">.*?</script>', ""))
    assert (review.title, review.date) == ("헤어질 결심 관람 후기, 붕괴의 미학", dt.date(2025, 4, 2))
    assert (review.author, review.category, review.keywords) == (None, None, [])


def test_minimal_page() -> None:
    review = read_page("minimal")
    assert review.title == "동네 빵집 소금빵 후기"
    assert (review.author, review.date, review.category) == (None, None, None)
    assert (review.keywords, review.extra) == ([], {})
    assert review.body == (
        "회사 앞에 새로 생긴 빵집에서 소금빵을 사 봤어요. 겉은 바삭하고 속은 버터 향이 가득했습니다.\n\n"
        "가격은 한 개에 3,000원으로 조금 비싼 편이지만 줄 서서 살 만한 맛이에요.\n\n"
        "다음에는 크루아상도 먹어 보려고요 — 재방문 의사 있음!"
    )


@pytest.mark.parametrize(
    ("page_title", "site_name", "title"),
    [
        ("[영화리뷰] Her :: 무비노트", "무비노트", "[영화리뷰] Her"),
        ("헤어질 결심 후기 : 네이버 블로그", "네이버 블로그", "헤어질 결심 후기"),
        ("소금빵 후기 | 빵지순례", "빵지순례", "소금빵 후기"),
        ("Her - 인간과 AI", "무비노트", "Her - 인간과 AI"),  # the suffix is not the site name: kept
        ("Her - 인간과 AI", None, "Her - 인간과 AI"),
    ],
)
def test_title_loses_only_the_site_name(page_title: str, site_name: str | None, title: str) -> None:
    site = f'<meta property="og:site_name" content="{site_name}">' if site_name else ""
    review = read_html(Path("post.html"), page(f"<title>{page_title}</title>{site}"))
    assert review.title == title


def test_title_prefers_og_title_then_json_ld_headline() -> None:
    review = read_page("tistory", (r'<meta property="og:title"[^>]*>', ""))
    assert review.title == "[영화리뷰] Her – 외로움과 연결의 시대"  # JSON-LD headline
    review = read_page("tistory", (r'<meta property="og:title"[^>]*>|"headline":"[^"]*",', ""))
    assert review.title == "[영화리뷰] Her – 외로움과 연결의 시대"  # <title> without " :: 무비노트"


def test_meta_tags_win_over_json_ld_and_are_read_with_care() -> None:
    head = (
        '<meta property="article:author" content="https://facebook.com/someone">'  # a profile URL, not a name
        '<meta name="author" content="김리뷰">'
        '<meta property="article:published_time" content="2024-13-45">'  # not a day: the next source counts
        '<meta property="article:section" content="\'카테고리 없음\'">'  # Tistory's "no category"
        '<meta name="keywords" content="소금빵，빵집, ,#빵지순례">'
        '<script type="application/ld+json">{broken json</script>'
        '<script type="application/ld+json">[{"@type": "BlogPosting", "headline": "소금빵 &amp; 크루아상",'
        ' "author": [{"name": "다른 사람"}], "datePublished": "2025. 3. 2.", "keywords": "빵집, 버터"}]</script>'
    )
    body = '<p>빵 이야기입니다. 버터 향이 좋았어요.</p><a rel="tag" href="/tag/버터">#버터</a>'
    review = read_html(Path("post.html"), page(head, body))
    assert (review.title, review.author, review.date) == ("소금빵 & 크루아상", "김리뷰", dt.date(2025, 3, 2))
    assert review.category is None
    assert review.keywords == ["소금빵", "빵집", "빵지순례", "버터"]


def test_page_without_article_text_has_empty_body() -> None:
    html = (
        "<html><head><title>무비노트</title></head><body><header><h1>무비노트</h1></header>"
        '<nav><ul><li><a href="/">홈</a></li><li><a href="/category">카테고리</a></li>'
        '<li><a href="/guestbook">방명록</a></li></ul></nav><footer>© 무비노트</footer></body></html>'
    )
    assert read_html(Path("nav.html"), html).body == ""


@pytest.mark.parametrize(
    "text",
    [
        "\x01\x02\x7f<<<>>>&&&;;\ufffd\ufffd 뷁 \x1b[0m<?xml >",
        "PK\x03\x04\udcff\udcfe<html>\udc80</html>",  # binary read with surrogateescape
        "".join(map(chr, range(1, 32))) * 20,
        "<div>" * 5000 + "<p>깊은 문서</p>" + "</div>" * 5000,
        '<?xml version="1.0" encoding="euc-kr"?><html><body><p>선언</p></body></html>',
    ],
    ids=["symbols", "binary", "controls", "deep", "xml-declaration"],
)
def test_garbage_gives_a_review_or_read_error(text: str) -> None:
    try:
        review = read_html(Path("junk.html"), text)
    except ReadError as exc:
        assert "cannot parse HTML" in str(exc)
    else:
        assert isinstance(review, Review)


def test_parser_failure_is_a_read_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def fail(*args: object, **kwargs: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(trafilatura, "bare_extraction", fail)
    with pytest.raises(ReadError, match=r"junk\.html: cannot parse HTML: maximum recursion depth exceeded"):
        read_html(Path("junk.html"), page("<title>T</title>"))


def test_trafilatura_is_imported_only_when_a_page_is_read() -> None:
    code = "import sys, searcher.readers, searcher.readers.html; print('trafilatura' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("suffix", [".html", ".htm", ".HTML"])
def test_read_file_dispatches_html(tmp_path: Path, suffix: str) -> None:
    from searcher.readers import SUPPORTED_EXTENSIONS, read_file

    path = tmp_path / f"post{suffix}"
    path.write_bytes((PAGES / "tistory.html").read_bytes())
    assert suffix.lower() in SUPPORTED_EXTENSIONS
    [review] = list(read_file(path))  # a list now, a generator once read_file yields
    assert isinstance(review, Review)
    assert (review.title, review.date) == ("[영화리뷰] Her – 외로움과 연결의 시대", dt.date(2025, 11, 5))
