"""A user dictionary (`--user-dict`): names Kiwi does not know are found whole,
and the dictionary is recorded in the index so queries analyse the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import Review, ReviewIndex, RevsearchError
from searcher.cli import main

REVIEWS = {
    "beast": "범죄도시 시리즈는 마석도가 나오면 끝이다. 주먹 한 방에 통쾌",
    "everything": "에에올을 봤는데 정신없지만 결국 가족 이야기였다",
    "summer": "올 여름 본 영화 중에 제일 시원했다",
    "beach": "석도 해변 풍경이 예뻐서 배경으로 좋았다",
}
#: Kiwi without a dictionary reads 마석도가 as 마 + 석도, and 에에올 as 에 + 에 + 올.
DICTIONARY = "# 영화 속 이름\n마석도\tNNP\t0\n에에올\tNNP\t0\n"


@pytest.fixture(scope="module")
def dict_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dict") / "movies.tsv"
    path.write_text(DICTIONARY, encoding="utf-8")
    return path


def build(folder: Path, user_dict: Path | None) -> ReviewIndex:
    ix = ReviewIndex.create(folder, user_dict=user_dict)
    ix.add(Review(id=key, body=body) for key, body in REVIEWS.items())
    return ix


def found(ix: ReviewIndex, query: str) -> list[str]:
    return [hit.id for hit in ix.search(query)]


def test_without_a_dictionary_the_names_are_misread(tmp_path: Path) -> None:
    with build(tmp_path, None) as ix:
        assert found(ix, "마석도") != ["beast"]
        assert "summer" in found(ix, "에에올")


def test_dictionary_words_are_found_whole_and_highlighted(tmp_path: Path, dict_file: Path) -> None:
    with build(tmp_path, dict_file) as ix:
        assert found(ix, "마석도") == ["beast"]
        assert found(ix, "에에올") == ["everything"]
        assert found(ix, "석도 해변") == ["beach"]
        (passage,) = ix.search("마석도가 나오는")[0].passages[:1]
        assert [passage.text[a:b] for a, b in passage.highlights] == ["마석도", "나오"]


def test_the_dictionary_is_recorded_in_the_index(tmp_path: Path, dict_file: Path) -> None:
    copy = tmp_path / "copy.tsv"
    copy.write_text(DICTIONARY, encoding="utf-8")
    build(tmp_path / "ix", copy).close()
    copy.write_text("", encoding="utf-8")  # later edits to the file do not change the index
    with ReviewIndex.open(tmp_path / "ix") as ix:
        assert found(ix, "에에올") == ["everything"]
        ix.add([Review(id="later", body="에에올 두 번째 관람")])
        assert sorted(found(ix, "에에올")) == ["everything", "later"]


def test_a_different_dictionary_for_an_existing_index_is_refused(tmp_path: Path, dict_file: Path) -> None:
    build(tmp_path / "ix", dict_file).close()
    other = tmp_path / "other.tsv"
    other.write_text("석도해변\tNNP\t0\n", encoding="utf-8")
    with pytest.raises(RevsearchError, match="another user dictionary"):
        ReviewIndex.open_or_create(tmp_path / "ix", user_dict=other)
    with ReviewIndex.open_or_create(tmp_path / "ix", user_dict=dict_file) as ix:
        assert len(ix) == len(REVIEWS)


def test_cli_indexes_and_queries_with_the_dictionary(tmp_path: Path, dict_file: Path) -> None:
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(
        "".join(json.dumps({"id": k, "review": v}, ensure_ascii=False) + "\n" for k, v in REVIEWS.items()),
        encoding="utf-8",
    )
    index = str(tmp_path / "ix")
    runner = CliRunner()
    result = runner.invoke(main, ["index", str(reviews), "--index", index, "--user-dict", str(dict_file)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["query", "에에올", "--index", index, "--json"])
    assert result.exit_code == 0, result.output
    assert [hit["review"]["body"] for hit in json.loads(result.output)["hits"]] == [REVIEWS["everything"]]


@pytest.mark.parametrize(
    "content, message",
    [
        ("마석도\tNNP\t0\n잘못된줄\n", "line 2"),
        ("# 이름\n마석도\tNNP\t0\n사만다\tNNP\tabc\n", "the score 'abc' is not a number at line 3"),
        (b"\xff\xfe\x00broken", "cannot read the user dictionary"),
    ],
)
def test_a_bad_dictionary_is_a_clear_error(tmp_path: Path, content, message: str) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = CliRunner().invoke(main, ["index", str(bad), "--index", str(tmp_path / "ix"), "--user-dict", str(bad)])
    assert result.exit_code != 0
    assert "bad.tsv" in result.output and message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "ix").exists()
