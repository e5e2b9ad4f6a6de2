"""Reader for blog posts saved as text (``.txt``, ``.md``): Tistory and Naver pages copied as text.

A scraped page looks like this (every part but the body is optional)::

    본문 바로가기                     <- page chrome, dropped wherever it stands
    카테고리 없음 | <category>
    <title>
    by <author> 2025. 4. 2.
    <body ...>
    ✅ 관련 글                        <- chrome
    language: ko author: … keywords: a, b, c …   <- trailing metadata block

The metadata block's ``key:`` pairs may share one line or stand one per line.
Only known key names count, so body text such as ``감독 : Spike Jonze`` stays body.
"""

from __future__ import annotations

import html
import re
import textwrap
from pathlib import Path

from searcher.dates import parse_date
from searcher.review import Review, stable_id

#: Page chrome that is dropped when a whole line is just this (compared by
#: :func:`_chrome_key`: leading emoji/symbols, spaces and a trailing count removed).
_CHROME = frozenset(
    {
        "본문바로가기", "카테고리없음", "반응형", "목차", "관련글", "관련게시물", "공유하기",
        "댓글", "댓글쓰기", "구독하기", "공감", "좋아요", "신고하기", "이웃추가", "블로그메뉴",
        "전체보기", "이전글", "다음글", "맨위로", "태그", "저작자표시", "티스토리툴바", "url복사",
    }
)
_NO_CATEGORY = "카테고리없음"
#: Key names of the trailing metadata block; ``-`` may stand for ``_``.
_METADATA_KEYS = (
    "language", "content_type", "author", "category", "publish_date", "date", "modified_date",
    "keywords", "tags", "description", "summary", "geo_region", "geo_placename", "geo_position",
    "coverage", "copyright", "robots", "googlebot", "rating", "distribution", "site_name", "url",
)
#: Metadata keys that fill a Review field; every other key goes to ``Review.extra``.
_FIELD_OF_KEY = {
    "author": "author", "category": "category", "publish_date": "date", "date": "date",
    "keywords": "keywords", "tags": "keywords",
}
_KEY = re.compile(
    r"(?<!\S)(" + "|".join(k.replace("_", "[_-]") for k in _METADATA_KEYS) + r")\s*:",
    re.IGNORECASE,
)
#: How many meaningful lines the page header (category, title, by-line) spans at most.
_HEADER_LINES = 3
_BY_LINE = re.compile(r"by\s+(?P<author>.+?)\s+(?P<date>\d{4}\D.*|\d{8})", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"#{1,6}\s+")


def read_text(path: Path, text: str) -> Review:
    """One Review from the decoded text of one scraped page.

    Title, author, date and category come from the page header; the trailing
    metadata block, where present, wins over the header. Body is what remains
    without chrome, entities decoded, paragraphs kept; a file with nothing
    after its first line has that line as body. Keywords are those the file
    gives (none are derived here).
    """
    lines = [line.rstrip() for line in html.unescape(text).splitlines()]
    metadata_start = _metadata_start(lines)
    review = Review(id=stable_id(path), source=str(path))
    body_start = _read_header(lines[:metadata_start], review)
    review.body = _clean_body(lines[body_start:metadata_start], review.title)
    if not review.body:  # a file of one line is a review's text, not a title
        review.body, review.title = review.title, ""
    _apply_metadata(" ".join(lines[metadata_start:]), review)
    return review


def category_or_none(value: str) -> str | None:
    """The category a page names, or None for Tistory's "카테고리 없음" (no category)."""
    value = value.strip()
    return value if value and _chrome_key(value) != _NO_CATEGORY else None


def _chrome_key(line: str) -> str:
    return re.sub(r"\s+", "", re.sub(r"^\W+|\d+$", "", line.strip())).casefold()


def _is_meaningful(line: str) -> bool:
    return bool(line.strip()) and _chrome_key(line) not in _CHROME


def _metadata_start(lines: list[str]) -> int:
    """Index of the first line of the trailing metadata block (``len(lines)`` when there is none).

    The block is the run of lines at the end that each start with a known key
    (blank lines in between allowed).
    """
    start = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if line and not _KEY.match(line):
            break
        if line:
            start = index
    return start


def _read_header(lines: list[str], review: Review) -> int:
    """Fill title, author, date and category from the page header; return where the body starts.

    Tistory prints [category,] title, ``by AUTHOR DATE``; so with a by-line the
    line before it is the title and one more before that the category. Without
    one, the first meaningful line is the title.
    """
    header = [i for i, line in enumerate(lines) if _is_meaningful(line)][:_HEADER_LINES]
    for position, index in enumerate(header):
        match = _BY_LINE.fullmatch(lines[index].strip())
        date = parse_date(match["date"]) if match else None
        if date is not None:
            review.author, review.date = match["author"], date
            labels = [lines[i] for i in header[:position]]  # [category,] title
            review.title = _as_title(labels[-1]) if labels else ""
            review.category = labels[-2].strip() if len(labels) > 1 else None
            return index + 1
    if not header:
        return len(lines)
    review.title = _as_title(lines[header[0]])
    return header[0] + 1


def _as_title(line: str) -> str:
    """The line as a title: stripped, and without the ``#`` of a Markdown heading."""
    return _MARKDOWN_HEADING.sub("", line.strip(), count=1)


def _clean_body(lines: list[str], title: str) -> str:
    """Body text without chrome and repeated lines (image captions scraped twice, a repeated title)."""
    kept: list[str] = []
    previous = title
    for line in lines:
        content = line.strip()
        if content and (content == previous or not _is_meaningful(line)):
            continue
        previous = content or previous
        kept.append(line)
    body = textwrap.dedent("\n".join(kept))  # scrapers often indent the whole article
    return re.sub(r"\n{3,}", "\n\n", body).strip("\n")


def _apply_metadata(block: str, review: Review) -> None:
    """Fill Review fields and ``extra`` from the metadata block's ``key: value`` pairs."""
    matches = list(_KEY.finditer(block))
    ends = [m.start() for m in matches[1:]] + [len(block)]
    for match, end in zip(matches, ends):
        key = match[1].lower().replace("-", "_")
        value = block[match.end():end].strip()
        if not value:
            continue
        field = _FIELD_OF_KEY.get(key)
        if field == "author":
            review.author = value
        elif field == "category":
            review.category = category_or_none(value)
        elif field == "keywords":
            review.keywords = [k.strip() for k in re.split(r"[,，]", value) if k.strip()]
        elif field == "date" and (date := parse_date(value)) is not None:
            review.date = date
        else:  # other keys, and a date that cannot be read (kept as written)
            review.extra[key] = value
