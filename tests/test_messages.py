"""Messages a user can act on (issue 19): what the operating system refuses is
one line naming the path, hints are commands that can be pasted as they are,
and a query that cannot be searched says why."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import Review, ReviewIndex
from searcher.cli import main
from searcher.errors import IndexAccessError, QueryError

from .conftest import CORPUS
from .test_lifecycle import unprivileged

LONG = "a" * 300  # longer than a file name may be


def revsearch(*args: str, cwd: Path, prefix: list[str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    """`revsearch ARGS` run in ``cwd``, after ``prefix`` (setpriv, unshare), its stderr and stdout together."""
    command = [*(prefix or []), sys.executable, "-m", "searcher.cli", *args]
    return subprocess.run(command, cwd=cwd, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The message of a failed run, checked to be one `Error:` line and exit 2."""
    assert result.returncode == 2, result.stdout
    assert "Traceback" not in result.stdout, result.stdout
    errors = [line for line in result.stdout.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stdout
    return errors[0]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """A folder holding src/ (the seed reviews) and ix/, their index."""
    root = tmp_path_factory.mktemp("messages")
    shutil.copytree(CORPUS, root / "src")
    with ReviewIndex.create(root / "ix") as ix:
        ix.add_paths([root / "src"])
    return root


@pytest.fixture
def here(built: Path, tmp_path: Path) -> Path:
    """A copy of ``built`` to spoil."""
    shutil.copytree(built / "src", tmp_path / "src")
    shutil.copytree(built / "ix", tmp_path / "ix")
    return tmp_path


# ------------------------------------------------- what the system refuses


WRITE = "or choose a folder you can write with --index"


@pytest.mark.parametrize(
    "spoil, args, expected",
    [
        ({"ix": 0o555, "ix/revsearch.lock": 0o444}, ["index", "src", "--index", "ix"],
         "cannot write the index in ix: Permission denied ({name}); the last commit is intact: "
         f"check the permissions of {{name}}, {WRITE}"),
        ({"ix": 0o555, "ix/revsearch.lock": 0o444}, ["index", "src", "--index", "ix", "--rebuild"],
         f"cannot create an index in ix: Permission denied ({{name}}): check the permissions of {{name}}, {WRITE}"),
        ({"ro": 0o555}, ["index", "src", "--index", "ro/sub"],
         f"cannot create an index in ro/sub: Permission denied: check the permissions of ro, {WRITE}"),
        ({"ix/_MAIN_*.toc": 0}, ["query", "사만다", "--index", "ix"],
         "cannot read the index in ix: Permission denied ({name}): check the permissions of {name}"),
        ({"ix/_MAIN_*.toc": 0}, ["check", "--index", "ix"],
         "cannot read the index in ix: Permission denied ({name}): check the permissions of {name}"),
        ({"ix/_MAIN_*.toc": 0}, ["shell", "--index", "ix"],
         "cannot read the index in ix: Permission denied ({name}): check the permissions of {name}"),
        ({"ix/revsearch.json": 0}, ["query", "사만다", "--index", "ix"],
         "cannot read the index in ix: Permission denied ({name}): check the permissions of {name}"),
        ({"ix/MAIN_*.seg": 0}, ["query", "사만다", "--index", "ix", "--limit", "4"],
         "cannot read the index in ix: Permission denied ({name}): check the permissions of {name}"),
    ],
)
def test_what_a_user_may_not_read_or_write_is_one_line_naming_it(here: Path, spoil: dict, args: list[str], expected: str) -> None:
    prefix = unprivileged()
    (here / "ro").mkdir()
    spoilt = [path for pattern in spoil for path in sorted(here.glob(pattern))]
    for path in spoilt:
        path.chmod(next(mode for pattern, mode in spoil.items() if path.match(pattern)))
    try:
        message = one_line_error(revsearch(*args, cwd=here, prefix=prefix))
    finally:
        for path in spoilt:
            path.chmod(0o755 if path.is_dir() else 0o644)
    assert message == "Error: " + expected.format(name=spoilt[-1].relative_to(here))


@pytest.mark.parametrize("command", [["index", "src"], ["index", "src", "--rebuild"], ["query", "사만다"], ["check"], ["shell"]])
@pytest.mark.parametrize(
    "index, expected",
    [
        (LONG, "File name too long: choose a shorter path for --index"),
        ("ix/revsearch.json/sub", "Not a directory: part of the path is a file, not a folder; choose a folder for --index"),
    ],
)
def test_an_index_path_the_system_refuses_is_one_line(
    here: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], index: str, expected: str
) -> None:
    monkeypatch.chdir(here)
    result = CliRunner().invoke(main, [*command, "--index", index], input="")
    message = one_line_error(subprocess.CompletedProcess(command, result.exit_code, result.output))
    assert message.startswith("Error: cannot ") and (f"the index in {index}: " in message or f"an index in {index}: " in message)
    assert message.endswith(expected), message


def test_a_source_path_the_system_refuses_is_named_and_not_blamed_on_the_index(here: Path) -> None:
    result = revsearch("index", LONG, "--index", "ix", cwd=here)
    assert result.returncode == 2 and "Traceback" not in result.stdout, result.stdout
    assert f"{here / LONG}: cannot read: File name too long" in result.stdout
    assert "cannot write the index" not in result.stdout


def test_an_unreadable_source_folder_is_named(here: Path) -> None:
    (here / "locked" / "src").mkdir(parents=True)
    (here / "locked").chmod(0)
    try:
        result = revsearch("index", "locked/src", "--index", "new", cwd=here, prefix=unprivileged())
    finally:
        (here / "locked").chmod(0o755)
    assert result.returncode == 2 and "Traceback" not in result.stdout, result.stdout
    assert f"{here / 'locked' / 'src'}: cannot read: Permission denied" in result.stdout


def test_a_read_only_file_system_is_named(here: Path) -> None:
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "-rm", "true"], capture_output=True).returncode:
        pytest.skip("no user namespaces: a read-only file system cannot be mounted")
    ix = shlex.quote(str(here / "ix"))
    mount = f"mount --bind {ix} {ix} && mount -o remount,bind,ro {ix} && exec \"$@\""
    result = revsearch("index", "src", "--index", "ix", cwd=here, prefix=[unshare, "-rm", "sh", "-c", mount, "sh"])
    assert one_line_error(result) == (
        "Error: cannot write the index in ix: Read-only file system (ix/revsearch.lock); the last commit is intact: "
        "it is on a read-only file system; choose a folder on a writable one with --index"
    )


def test_the_library_raises_one_error_type_with_the_path(here: Path) -> None:
    for path in (here / LONG, here / "ix" / "revsearch.json" / "sub"):
        with pytest.raises(IndexAccessError) as caught:
            ReviewIndex.open(path)
        assert caught.value.path == str(path)
        with pytest.raises(IndexAccessError):
            ReviewIndex.create(path)


# ------------------------------------------------------ no index, no leftovers


def test_check_without_an_index_says_so_as_query_does(tmp_path: Path) -> None:
    checked = one_line_error(revsearch("check", "--index", "nope", cwd=tmp_path))
    queried = one_line_error(revsearch("query", "사만다", "--index", "nope", cwd=tmp_path))
    assert checked == queried and checked.startswith("Error: no index in nope: ")


@pytest.mark.parametrize("paths, index", [(["missing"], "index"), (["src/empty.txt"], "new/deeper/ix"), ([], "new/deeper/ix")])
def test_a_failed_first_run_creates_nothing(tmp_path: Path, paths: list[str], index: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "empty.txt").write_text("")
    result = revsearch("index", *paths, *(["--index", index] if index != "index" else []), cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stdout, result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_a_failed_run_keeps_a_folder_that_was_there(tmp_path: Path) -> None:
    (tmp_path / "ix").mkdir()
    assert revsearch("index", "missing", "--index", "ix", cwd=tmp_path).returncode == 2
    assert (tmp_path / "ix").is_dir()


def test_without_corpus_the_message_says_where_it_looked_and_how_to_give_paths(tmp_path: Path) -> None:
    message = one_line_error(revsearch("index", cwd=tmp_path))
    assert message == (
        f"Error: no corpus/ folder in {tmp_path} (read when no path is given): "
        "name the review files or folders to index, `revsearch index PATH... --index index`"
    )
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------- pasteable hints


def hints(output: str) -> list[str]:
    """The `revsearch …` commands a message suggests."""
    return re.findall(r"`(revsearch [^`]*)`", output)


@pytest.fixture(scope="module")
def two_sources_built(tmp_path_factory) -> tuple[Path, Path]:
    """ix/ built from the folder `my reviews/` and the file more/b.jsonl, with a
    user dictionary; and a copy of ix/ elsewhere."""
    root = tmp_path_factory.mktemp("sources")
    shutil.copytree(CORPUS, root / "my reviews")
    (root / "more").mkdir()
    (root / "more" / "b.jsonl").write_text('{"id": "b1", "review": "사과 맛이 좋았다"}\n', encoding="utf-8")
    (root / "words.tsv").write_text("테오도르\tNNP\t0\n", encoding="utf-8")
    assert in_process("index", "my reviews", "--index", "ix", "--user-dict", "words.tsv", cwd=root).returncode == 0
    assert in_process("index", "more/b.jsonl", "my reviews/000_2f24d16e98901be4.txt", "--index", "ix", cwd=root).returncode == 0
    pristine = tmp_path_factory.mktemp("pristine") / "ix"
    shutil.copytree(root / "ix", pristine)
    return root, pristine


@pytest.fixture
def two_sources(two_sources_built: tuple[Path, Path]) -> Path:
    """``two_sources_built`` with ix/ as it was built (the sources it records are where they were)."""
    root, pristine = two_sources_built
    shutil.rmtree(root / "ix")
    shutil.copytree(pristine, root / "ix")
    (root / "words.tsv").write_text("테오도르\tNNP\t0\n", encoding="utf-8")
    return root


REBUILD = "revsearch index 'my reviews' more/b.jsonl --rebuild --user-dict words.tsv --index ix"


def in_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`revsearch ARGS` run in ``cwd`` in this process (Kiwi is loaded once), as :func:`revsearch` reports it."""
    previous = os.getcwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, list(args))
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(args, result.exit_code, result.output)


def paste(hint: str, cwd: Path) -> subprocess.CompletedProcess:
    words = shlex.split(hint)
    assert words[0] == "revsearch"
    return in_process(*words[1:], cwd=cwd)


@pytest.mark.parametrize("spoil", ["schema", "segment", "no record"])
def test_the_rebuild_hint_names_the_sources_and_can_be_pasted(two_sources: Path, spoil: str) -> None:
    folder = two_sources / "ix"
    if spoil == "schema":
        meta = json.loads((folder / "revsearch.json").read_text())
        (folder / "revsearch.json").write_text(json.dumps(dict(meta, schema=999)))
    elif spoil == "segment":
        victim = max((p for p in folder.iterdir() if p.suffix == ".seg"), key=lambda p: p.stat().st_size)
        victim.write_bytes(victim.read_bytes()[:100])
    else:  # an index from before the sources were recorded: their common folder
        (folder / "revsearch.json").unlink()
    expected = REBUILD if spoil != "no record" else "revsearch index . --rebuild --index ix"
    queried = in_process("query", "사과", "--index", "ix", cwd=two_sources)
    checked = in_process("check", "--index", "ix", cwd=two_sources)
    assert queried.returncode == checked.returncode == 2
    assert expected in hints(queried.stdout) and expected in hints(checked.stdout), queried.stdout + checked.stdout
    assert all("--rebuild" not in h or h == expected for h in hints(queried.stdout + checked.stdout))
    if spoil == "no record":
        (two_sources / "words.tsv").unlink()  # not a review file
    assert paste(expected, two_sources).returncode == 0
    assert in_process("check", "--index", "ix", cwd=two_sources).returncode == 0
    with ReviewIndex.open(folder) as ix:
        assert len(ix) == 5 and (spoil == "no record" or ix.analyzer.user_dict)


def test_a_hint_is_written_for_where_it_is_pasted(two_sources: Path, tmp_path: Path) -> None:
    meta = json.loads((two_sources / "ix" / "revsearch.json").read_text())
    (two_sources / "ix" / "revsearch.json").write_text(json.dumps(dict(meta, schema=999)))
    elsewhere = tmp_path
    result = revsearch("query", "사과", "--index", str(two_sources / "ix"), cwd=elsewhere)
    quoted = shlex.quote
    assert hints(result.stdout) == [
        f"revsearch index {quoted(str(two_sources / 'my reviews'))} {two_sources / 'more' / 'b.jsonl'} --rebuild "
        f"--user-dict {two_sources / 'words.tsv'} --index {two_sources / 'ix'}"
    ]


def test_without_an_index_the_hint_builds_one(tmp_path: Path) -> None:
    message = one_line_error(revsearch("query", "사과", "--index", "my index", cwd=tmp_path))
    assert hints(message) == ["revsearch index PATH... --index 'my index'"]


# ------------------------------------------------------------------ dates


def ids(results) -> list[str]:
    return sorted(hit.id for hit in results)


@pytest.mark.parametrize(
    "written, expected",
    [("2025-04", 2), ("2025.4", 2), ("2025년 4월", 2), ("2025", 4), ("2025-04-02", 1), ("2025. 4. 2.", 1), ("20250410", 1)],
)
def test_since_and_until_take_the_dates_a_query_takes(seed_index, written: str, expected: int) -> None:
    in_query = seed_index.search(f'사만다 date:"{written}"' if " " in written else f"사만다 date:{written}")
    by_option = seed_index.search("사만다", since=written, until=written)
    assert ids(by_option) == ids(in_query) and len(in_query) == expected


def test_a_date_option_that_cannot_be_read_names_the_option(built: Path) -> None:
    result = revsearch("query", "사만다", "--until", "2025-13", "--index", "ix", cwd=built)
    assert one_line_error(result) == (
        "Error: cannot read the date '2025-13' given to --until; write it as YYYY-MM-DD, YYYY-MM or YYYY"
    )


# ---------------------------------------------------- what a query cannot do


@pytest.fixture(scope="module")
def texts(tmp_path_factory) -> ReviewIndex:
    """Reviews holding a URL, a time, a name followed by a colon and laughter."""
    ix = ReviewIndex.create(tmp_path_factory.mktemp("texts"))
    ix.add([
        Review(id="url", body="예고편은 http://example.com/her 에 있다"),
        Review(id="time", body="10:30 상영은 매진이었다"),
        Review(id="name", body="사만다: 나는 지금 여기 있어"),
        Review(id="laugh", body="ㅋㅋㅋ 진짜 웃겼다"),
        Review(id="colon", body="ps: 팝콘은 비쌌다"),
    ])
    return ix


FIELD_LIST = "title, keywords, body, category, id, author, source, item, date, rating"


@pytest.mark.parametrize("query", ["foo:bar", 'foo:"bar baz"', "foo:[1 TO 2]", "사만다 nope:외로움"])
def test_an_unknown_field_is_named_with_the_fields_there_are(texts: ReviewIndex, query: str) -> None:
    token = query.split()[-1] if query.startswith("사만다") else query
    name = token.split(":")[0]
    with pytest.raises(QueryError) as caught:
        texts.search(query)
    assert str(caught.value) == (
        f"unknown field '{name}' in {token}; fields: {FIELD_LIST}; to search for it as text, put it in quotes: "
        f'"{token.replace(chr(34), "")}"'
    )


@pytest.mark.parametrize(
    "query, found",
    [("http://example.com/her", "url"), ("10:30", "time"), ("사만다:", "name"), ("ps:", "colon"), ('"foo:bar" 팝콘', "colon")],
)
def test_text_with_a_colon_is_still_text(texts: ReviewIndex, query: str, found: str) -> None:
    assert found in [hit.id for hit in texts.search(query)]


@pytest.mark.parametrize("query", ["외로*", "*로움", "title:외로*", '"외로* 사만다"'])  # "*" alone: every review
def test_a_wildcard_is_said_to_be_unsupported(texts: ReviewIndex, query: str) -> None:
    with pytest.raises(QueryError, match=r"^wildcards \(\*\) are not supported: .*search for the whole word"):
        texts.search(query)


def test_markdown_stars_in_pasted_text_are_punctuation(texts: ReviewIndex) -> None:
    assert [hit.id for hit in texts.search("**진짜** 웃겼다")] == ["laugh"]


@pytest.mark.parametrize(
    "query, reason",
    [
        ("ㅋㅋㅋ", "laughter and lone jamo (ㅋㅋ, ㅠㅠ) are not indexed"),
        ("ㅠㅠ ㅋㅋ", "laughter and lone jamo (ㅋㅋ, ㅠㅠ) are not indexed"),
        ("OR", "it has only operators (AND, OR, NOT, +, -) and parentheses"),
        ("NOT ( )", "it has only operators (AND, OR, NOT, +, -) and parentheses"),
        ("?! ...", "it has only particles, endings or punctuation"),
    ],
)
def test_a_query_with_nothing_to_search_says_why(texts: ReviewIndex, query: str, reason: str) -> None:
    with pytest.raises(QueryError) as caught:
        texts.search(query)
    assert str(caught.value).startswith(f"nothing to search for in {query!r}: {reason}")


def test_the_sources_recorded_are_the_paths_that_exist(tmp_path: Path) -> None:
    with ReviewIndex.create(tmp_path / "ix") as ix:
        ix.add_paths([CORPUS / "000_2f24d16e98901be4.txt", tmp_path / "typo"])
        ix.add_paths([CORPUS])
    assert json.loads((tmp_path / "ix" / "revsearch.json").read_text())["sources"] == [str(CORPUS)]
