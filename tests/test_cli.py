"""The `revsearch` command through click's CliRunner, run from a folder laid out like the repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher.cli import main

from .conftest import CORPUS


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """A folder with corpus/ and an index/ built by `revsearch index` with its defaults."""
    root = tmp_path_factory.mktemp("cli")
    shutil.copytree(CORPUS, root / "corpus")
    with _chdir(root):
        result = CliRunner().invoke(main, ["index"])
    assert result.exit_code == 0, result.output
    assert "4 reviews indexed from 4 files" in result.output
    return root


class _chdir:
    def __init__(self, path: Path):
        self.path, self.old = path, Path.cwd()

    def __enter__(self):
        import os

        os.chdir(self.path)

    def __exit__(self, *exc):
        import os

        os.chdir(self.old)


def run(workdir: Path, *args: str):
    with _chdir(workdir):
        return CliRunner().invoke(main, list(args))


def test_query_renders_hits(workdir: Path) -> None:
    result = run(workdir, "query", "외롭다", "--limit", "2")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "2 of 4 matching reviews" in out
    assert "1. [영화리뷰] Her – [외로움]과 연결의 시대를 살아가는 우리" in out  # highlights bracketed: no colour here
    assert "관리자 · 2025-11-05 · 영화 리뷰" in out
    assert "corpus/000_2f24d16e98901be4.txt" in out
    assert "외로움" in out


def test_query_json(workdir: Path) -> None:
    result = run(workdir, "query", "사만다와의 이별", "--json", "--limit", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["query"] == "사만다와의 이별" and data["total"] == 4 and len(data["hits"]) == 3
    hit = data["hits"][0]
    assert set(hit) == {"id", "score", "review", "passages"}
    marked = {p["text"][a:b] for p in hit["passages"] for a, b in p["highlights"]}
    assert marked == {"사만다", "이별"}
    assert "\x1b[" not in result.output  # no terminal codes


def test_query_filters_and_sort(workdir: Path) -> None:
    result = run(workdir, "query", "사만다", "--json", "--author", "kkkjjjsss")
    assert [h["review"]["author"] for h in json.loads(result.output)["hits"]] == ["kkkjjjsss"]
    result = run(workdir, "query", "사만다", "--json", "--since", "2025-04-01", "--until", "2025-04-30", "--sort", "date")
    assert [h["review"]["date"] for h in json.loads(result.output)["hits"]] == ["2025-04-10", "2025-04-02"]


def test_query_without_hits(workdir: Path) -> None:
    result = run(workdir, "query", "김치찌개")
    assert result.exit_code == 1  # none matched, as grep
    assert "No reviews match 김치찌개" in result.output


def test_missing_index_says_run_index(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["query", "외로움", "--index", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no index in" in result.output and f"build one with `revsearch index PATH... --index {tmp_path / 'none'}`" in result.output
    assert "Traceback" not in result.output


def test_bad_query_is_a_message(workdir: Path) -> None:
    result = run(workdir, "query", "date:[2025-01-01 TO")
    assert result.exit_code == 2
    assert "Error: the range date:[2025-01-01 TO is not closed" in result.output


def test_index_reports_skipped_files(workdir: Path, tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("연기 최고\n\n배우들 연기가 정말 최고였어요", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    index_dir = tmp_path / "ix"
    result = run(workdir, "index", str(tmp_path), "--index", str(index_dir))
    assert result.exit_code == 0, result.output
    assert "1 review indexed from 1 file" in result.output
    assert "empty file" in result.output and "empty.txt" in result.output
    found = json.loads(run(workdir, "query", "연기", "--index", str(index_dir), "--json").output)
    assert [h["review"]["title"] for h in found["hits"]] == ["연기 최고"]


def test_index_of_nothing_fails(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["index", str(tmp_path / "missing"), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output and "nothing was indexed" in result.output


def test_shell_answers_queries_until_an_empty_line(workdir: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(workdir))  # the history file goes here
    with _chdir(workdir):
        result = CliRunner().invoke(main, ["shell"], input="외로움\n\"없는단어조합\"\ndate:지난주\n사만다\n\n")
    assert result.exit_code == 0, result.output
    assert "4 reviews in index/" in result.output
    assert "matching reviews for 외로움" in result.output
    assert "No reviews match" in result.output
    assert "cannot read the date" in result.output  # a bad query is reported and the shell goes on
    assert "matching reviews for 사만다" in result.output
