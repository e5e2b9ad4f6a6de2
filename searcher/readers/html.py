"""Reader for saved web pages (``.html``, ``.htm``): a Tistory or Naver blog post saved from the browser.

The article text is found by trafilatura, a maintained main-content extractor that
drops navigation, sidebars, comments, share buttons and "related posts" boxes by
the page's structure rather than by site-specific rules; it runs in precision
mode, so a page with no article (only menus) gives no text instead of its menu.
Metadata comes first from what the page declares — ``og:``/``article:`` and named
``<meta>`` tags, JSON-LD, ``rel="tag"`` links — and then from trafilatura's own
guesses (by-lines, dates in the page). trafilatura is imported on first use, as
it takes ~150 ms to import and most runs read no HTML.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from searcher.dates import parse_date
from searcher.errors import ReadError
from searcher.readers.text import category_or_none
from searcher.review import Review, stable_id

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from trafilatura.settings import Document

#: ``<title>`` separators before a site name: "제목 :: 블로그", "제목 : 네이버 블로그", "제목 - 사이트", "제목 | 사이트".
_SITE_SUFFIX = r"\s+(?:::|[:|·–—-])\s+{site}\s*"
#: The rule line trafilatura draws under a table's head row (``|---|---|``): no text.
_TABLE_RULE = re.compile(r"\|(?:-+\|)+")
_KEYWORD_SEPARATOR = re.compile(r"[,，]")
#: Most elements a page may have. trafilatura's XPath passes take time that grows faster than
#: the page (short paragraphs: 21,000 take 3 s, 83,000 take 27 s); a saved blog post has a few
#: thousand. A page over it is refused after parsing (fast), before the extraction.
MAX_ELEMENTS = 50_000
#: An inline ``data:`` URI's payload: an image or font in base64, most of the bytes of a page saved
#: whole, never text. Dropped before parsing: it is slow to carry through, and an attribute over
#: 10 MB ends the parse (lxml's limit), losing the rest of the page.
_DATA_URI = re.compile(r"(data:[\w.+-]+/[\w.+-]+(?:;[\w.+=-]+)*,)[^\"'\s)<>]+", re.IGNORECASE)


def read_html(path: Path, text: str) -> Review:
    """One Review from the decoded text of one saved web page.

    Body is the main article text, a blank line between paragraphs, or "" when the
    page has none. Title comes from ``og:title``, JSON-LD ``headline`` or ``<title>``
    (less a trailing site name equal to ``og:site_name``); author, date and
    category from the meta tags, then JSON-LD, then trafilatura; keywords are the
    page's meta keywords, JSON-LD keywords and tag links. Description, site name
    and URL go to ``extra``. Raises :class:`ReadError` when the HTML cannot be parsed.
    """
    tree, document = _extract(path, text)
    review = Review(id=stable_id(path), source=str(path))
    if tree is None:  # not HTML at all
        return review
    meta = _meta_tags(tree)
    linked = _json_ld(tree)
    site_name = _first(meta, "og:site_name")
    title = (
        _first(meta, "og:title")
        or _text(linked.get("headline"))
        or _squash(tree.findtext(".//title") or "")
        or (document.title if document else None)
    )
    review.title = _without_site_name(title or "", site_name)
    review.author = _author(meta, linked, document)
    review.date = _date(meta, linked, document)
    review.category = _category(meta, linked, document)
    review.keywords = _keywords(meta, linked, tree)
    review.body = _body(document, review.title) if document else ""
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    extra = {
        "description": _first(meta, "og:description", "description"),
        "site_name": site_name,
        "url": _first(meta, "og:url") or (_squash(canonical[0]) if canonical else None),
    }
    review.extra.update({key: value for key, value in extra.items() if value})
    return review


def _extract(path: Path, text: str) -> tuple[HtmlElement | None, Document | None]:
    """The page's parsed tree and trafilatura's extraction (None where there is none).

    Whatever the parser raises becomes a :class:`ReadError`, so one broken page
    is reported and skipped instead of stopping the run; so does a page of more
    than MAX_ELEMENTS elements, which would take minutes.
    """
    import trafilatura  # imported here: see the module docstring

    try:
        tree = trafilatura.load_html(_DATA_URI.sub(r"\1", text))
        if tree is None:
            return None, None
        elements = sum(1 for _ in tree.iter())
        if elements > MAX_ELEMENTS:
            size = len(text.encode("utf-8", "surrogatepass")) / 1e6
            raise ReadError(
                path, f"page too large: {elements:,} HTML elements in {size:.1f} MB (at most {MAX_ELEMENTS:,}); "
                "save the article alone",
            )
        document = trafilatura.bare_extraction(
            tree, with_metadata=True, include_comments=False, favor_precision=True
        )
    except ReadError:
        raise
    except Exception as exc:  # trafilatura and lxml raise many kinds; all mean the same here
        raise ReadError(path, f"cannot parse HTML: {exc or type(exc).__name__}") from exc
    return tree, document


def _squash(text: str) -> str:
    """``text`` on one line, runs of white space as one space."""
    return " ".join(text.split())


def _text(value: Any) -> str:
    """A JSON-LD value as plain text on one line ("" for a non-string): some sites escape HTML in it."""
    return _squash(html.unescape(value)) if isinstance(value, str) else ""


def _unquoted(value: str) -> str:
    """Tistory writes some meta values in single quotes (``'영화 리뷰'``)."""
    return value[1:-1].strip() if len(value) > 1 and value[0] == value[-1] == "'" else value


def _meta_tags(tree: HtmlElement) -> dict[str, list[str]]:
    """Every ``<meta>`` value by lower-cased ``property``/``name``/``itemprop``, in page order."""
    tags: dict[str, list[str]] = {}
    for meta in tree.iter("meta"):
        key = meta.get("property") or meta.get("name") or meta.get("itemprop")
        value = _squash(meta.get("content") or "")
        if key and value:
            tags.setdefault(key.strip().lower(), []).append(value)
    return tags


def _first(meta: dict[str, list[str]], *keys: str) -> str | None:
    """The first value of the first key the page has."""
    return next((meta[key][0] for key in keys if key in meta), None)


def _json_ld(tree: HtmlElement) -> dict[str, Any]:
    """The fields of the page's JSON-LD objects (``@graph`` members included), the first
    object to give a field winning; a block that is not valid JSON, or nested past
    Python's recursion limit, is skipped."""
    fields: dict[str, Any] = {}
    for script in tree.xpath("//script[@type='application/ld+json']"):
        try:
            objects = list(_ld_objects(json.loads(script.text or "")))
        except (ValueError, RecursionError):
            continue
        for item in objects:
            for key, value in item.items():
                fields.setdefault(key, value)
    return fields


def _ld_objects(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item)
    elif isinstance(data, dict):
        yield data
        yield from _ld_objects(data.get("@graph"))


def _ld_list(value: Any) -> list[str]:
    """A JSON-LD value that may be one text, a comma list or a list of texts, as texts."""
    if isinstance(value, str):
        return [_text(part) for part in _KEYWORD_SEPARATOR.split(value)]
    return [_text(item) for item in value] if isinstance(value, list) else []


def _without_site_name(title: str, site_name: str | None) -> str:
    """``title`` without a trailing " :: <site_name>" (or " - ", " | ", " : " …)."""
    if site_name:
        match = re.fullmatch(r"(.+?)" + _SITE_SUFFIX.format(site=re.escape(site_name)), title)
        if match:
            return match[1]
    return title


def _author(meta: dict[str, list[str]], linked: dict[str, Any], document: Document | None) -> str | None:
    """From meta author tags (not profile URLs), JSON-LD author, then trafilatura's by-line."""
    for key in ("author", "article:author", "og:article:author", "by"):
        value = _unquoted(meta.get(key, [""])[0])
        if value and not value.startswith(("http://", "https://")):
            return value
    author = linked.get("author")
    author = author[0] if isinstance(author, list) and author else author
    name = _text(author.get("name") if isinstance(author, dict) else author)
    return name or (document.author if document else None) or None


def _date(meta: dict[str, list[str]], linked: dict[str, Any], document: Document | None) -> _dt.date | None:
    """The first readable of ``article:published_time``, JSON-LD ``datePublished`` and trafilatura's date."""
    candidates = (
        _first(meta, "article:published_time"),
        _text(linked.get("datePublished")),
        document.date if document else None,
    )
    return next((date for value in candidates if value and (date := parse_date(value))), None)


def _category(meta: dict[str, list[str]], linked: dict[str, Any], document: Document | None) -> str | None:
    """From ``article:section``, JSON-LD ``articleSection`` or trafilatura; Tistory's "카테고리 없음" is none."""
    guessed = (document.categories if document else None) or []
    sections = meta.get("article:section", []) + _ld_list(linked.get("articleSection")) + guessed
    category = _unquoted(next((section for section in sections if section), ""))
    return category_or_none(category)


def _keywords(meta: dict[str, list[str]], linked: dict[str, Any], tree: HtmlElement) -> list[str]:
    """Meta keywords, JSON-LD keywords and ``rel="tag"`` link texts (``#`` dropped), each once, in order."""
    candidates = [part for value in meta.get("keywords", []) for part in _KEYWORD_SEPARATOR.split(value)]
    candidates += _ld_list(linked.get("keywords"))
    tag_links = tree.xpath("//a[contains(concat(' ', @rel, ' '), ' tag ')]")
    candidates += [link.text_content() for link in tag_links]
    keywords: dict[str, str] = {}
    for candidate in candidates:
        keyword = _squash(candidate).lstrip("#")
        if keyword:
            keywords.setdefault(keyword.casefold(), keyword)
    return list(keywords.values())


def _body(document: Document, title: str) -> str:
    """The extracted article as plain text: one block (paragraph, heading, list, table) per
    paragraph, a blank line between; a first block repeating the title is dropped."""
    from trafilatura.xml import xmltotxt

    blocks = []
    for element in document.body:
        lines = xmltotxt(element, False).splitlines()
        block = "\n".join(line.rstrip() for line in lines if not _TABLE_RULE.fullmatch(line.strip())).strip()
        if block:
            blocks.append(block)
    if blocks and blocks[0] == title:
        blocks.pop(0)
    return "\n\n".join(blocks)
