"""Hostile text in reviews, file names and queries (issue 18): lone surrogates and
terminal control sequences are indexed, found and shown without breaking a run,
a server or the terminal, through the library and the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import Review, ReviewIndex
from searcher.cli import main

#: Sequences that set the terminal's title, clear its screen, link to a file, and an 8-bit CSI.
ESCAPES = ["\x1b]0;PWNED\x1b\\", "\x1b[2J", "\x1b]8;;file:///etc/passwd\x07link\x1b]8;;\x07", "\x9b31m", "\u202e"]
#: What a terminal would act on: none of it may reach the output raw.
RAW_CONTROLS = ("\x1b", "\x9b", "\x07", "\u202e")


def invoke(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Path:
    """A folder of reviews with lone surrogates in every field, a file whose name
    is not UTF-8, and control sequences in texts and a file name; indexed once."""
    root = tmp_path_factory.mktemp("hostile")
    src = root / "src"
    src.mkdir()
    records = [
        {"id": "s\ud800", "review": "배 맛이 달다", "author": "x\ud800", "item": "it\udfff"},
        {"id": "k", "review": "포도 맛이 시다", "keywords": ["키\ud800"], "category": "c\udfff", "note": {"k\ud800": ["v\udc80"]}},
        {"id": "esc", "title": f"제목{ESCAPES[0]}", "review": f"수박이 {ESCAPES[1]}시원하다 {ESCAPES[2]} {ESCAPES[3]}끝",
         "author": f"작성자{ESCAPES[4]}"},
    ]
    (src / "records.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    (src / os.fsdecode(b"bad\xff.jsonl")).write_text('{"id": "named", "review": "사과 맛이 좋다"}\n', encoding="utf-8")
    (src / "evil\x1b]0;PWNED\x07.jsonl").write_text('{"id": "ctl", "review": "귤 맛이 좋다"}\n', encoding="utf-8")
    (src / "empty\x1b[2J.txt").write_text("", encoding="utf-8")  # skipped: its name is in the summary
    return root


@pytest.fixture(scope="module")
def indexed(hostile: Path):
    return invoke("index", hostile / "src", "--index", hostile / "ix")


def assert_safe(output: str) -> None:
    for control in RAW_CONTROLS:
        assert control not in output, (control, output)
    output.encode("utf-8")  # no lone surrogate either


def test_every_review_is_indexed_and_the_summary_is_safe(indexed) -> None:
    assert indexed.exit_code == 0, indexed.output
    assert "5 reviews indexed from 3 files" in indexed.output
    assert "empty␛[2J.txt: empty file" in indexed.output  # ESC shown as a symbol, not sent
    assert_safe(indexed.output)


def test_reviews_are_stored_with_their_surrogates_replaced(hostile: Path, indexed) -> None:
    with ReviewIndex.open(hostile / "ix") as ix:
        stored = {r.id: r for r in ix.reviews()}
    assert {"s\ufffd", "k", "esc", "named", "ctl"} == set(stored)
    assert (stored["s\ufffd"].author, stored["s\ufffd"].item) == ("x\ufffd", "it\ufffd")
    k = stored["k"]
    assert (k.keywords, k.category, k.extra) == (["키\ufffd"], "c\ufffd", {"note": {"k\ufffd": ["v\ufffd"]}})
    assert stored["named"].source.endswith("bad\ufffd.jsonl")
    assert stored["esc"].body == f"수박이 {ESCAPES[1]}시원하다 {ESCAPES[2]} {ESCAPES[3]}끝"  # stored as it was


@pytest.mark.parametrize("word", ["배", "포도", "수박", "사과", "귤"])
def test_each_is_found_and_shown_safely(hostile: Path, indexed, word: str) -> None:
    shown = invoke("query", word, "--index", hostile / "ix")
    assert shown.exit_code == 0, shown.output
    assert "1 of 1 matching reviews" in shown.output
    assert_safe(shown.output)
    as_json = invoke("query", word, "--index", hostile / "ix", "--json")
    assert as_json.exit_code == 0, as_json.output
    assert_safe(as_json.output)
    [hit] = json.loads(as_json.output)["hits"]
    with ReviewIndex.open(hostile / "ix") as ix:
        assert hit["review"] == ix.search(word).hits[0].review.to_dict()  # exactly what is stored


def test_the_terminal_shows_control_sequences_as_symbols(hostile: Path, indexed) -> None:
    shown = invoke("query", "수박", "--index", hostile / "ix")
    assert "제목␛]0;PWNED␛\\" in shown.output and "␛[2J시원하다" in shown.output


def test_a_query_with_bytes_that_are_not_utf8_or_controls_is_safe(hostile: Path, indexed) -> None:
    # a shell passes such an argument on as it is: Python reads it with surrogate escapes
    for query in (os.fsdecode(b"\xff\xfe"), os.fsdecode(b"\xff") + " 수박", "\x1b]0;PWNED\x07 수박"):
        for extra in ([], ["--json"]):
            result = invoke("query", query, "--index", hostile / "ix", *extra)
            assert result.exit_code in (0, 1, 2), result.output
            assert "Traceback" not in result.output
            assert_safe(result.output)


def test_the_library_cleans_what_it_is_given(tmp_path: Path) -> None:
    with ReviewIndex.create(tmp_path / "ix") as ix:
        ix.add([Review(id="a\ud800", body="망고 맛", keywords=["열대\udc80"], extra={"x": ["\udfff"]})])
        [hit] = ix.search("망고").hits
        assert (hit.id, hit.review.keywords, hit.review.extra) == ("a\ufffd", ["열대\ufffd"], {"x": ["\ufffd"]})
        json.dumps(ix.search("망고").to_dict(), ensure_ascii=False).encode("utf-8")
