"""How `revsearch query` and `revsearch shell` print: to pipes and files, on a terminal
(a real pty), with and without colour, on Ctrl-C, and queries that start with `-`."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import shlex
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import ReviewIndex
from searcher.cli import main

from .conftest import CORPUS

REVSEARCH = [sys.executable, "-m", "searcher.cli"]
#: `revsearch ARGS` (sys.argv[2:]) with Ctrl-C handled by default (a test run in the background
#: ignores it) and, if sys.argv[1] is "tty", its stdin (a pty) as its controlling terminal, so Ctrl-C
#: typed there sends SIGINT. Set up after exec: a preexec_fn is unsafe where threads run (Kiwi's).
AT_A_TERMINAL = [sys.executable, "-c", (
    "import fcntl, os, signal, sys, termios\n"
    "if sys.argv[1] == 'tty':\n    os.setsid(); fcntl.ioctl(0, termios.TIOCSCTTY, 0)\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)\n"
    "os.execv(sys.executable, [sys.executable, '-m', 'searcher.cli', *sys.argv[2:]])"
)]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: A passage of the seed corpus longer than 80 columns, and its highlight for the query 외로움.
LONG_PASSAGE = "그는 편지 대필 업무를 통해 타인의 연애와 이별을 기록하지만, 정작 자신의 [외로움]은 제대로 표현하지 못합니다."
KEYWORDS = "#Her #그녀 #인공지능 #디지털 노마드 #감정노동 #비대면 사회 #외로움"


@pytest.fixture(scope="module")
def seed(tmp_path_factory) -> Path:
    """An index of the four seed reviews, as `revsearch index` makes it."""
    folder = tmp_path_factory.mktemp("out") / "ix"
    result = CliRunner().invoke(main, ["index", str(CORPUS), "--index", str(folder), "--quiet"])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def many(tmp_path_factory) -> Path:
    """An index whose answer to 연기 -n 250 is far more than a pipe holds (64 KiB)."""
    root = tmp_path_factory.mktemp("many")
    lines = [
        json.dumps({"id": f"r{i}", "review": " ".join(
            f"{i}번째 리뷰의 {k}번째 문장에서 배우들의 연기가 정말 좋았고 음악과 영상미도 훌륭해서 다시 보고 싶은 영화였다."
            for k in range(3)
        )}, ensure_ascii=False)
        for i in range(250)
    ]
    (root / "many.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ix = ReviewIndex.create(root / "ix")
    with ix:
        assert ix.add_paths([root / "many.jsonl"]).reviews_indexed == 250
    return root / "ix"


def query(*args: str) -> str:
    result = CliRunner().invoke(main, ["query", *args])
    assert result.exit_code == 0, result.output
    return result.output


# ------------------------------------------------------------------ pipes and files


def test_piped_output_is_one_line_per_passage(seed: Path) -> None:
    lines = query("외로움", "--index", str(seed)).splitlines()  # CliRunner's stdout is not a terminal
    assert re.fullmatch(r"1\. \[영화리뷰\] Her – \[외로움\]과 연결의 시대를 살아가는 우리  [0-9.]+", lines[2])  # title, score: one line
    assert f"   관리자 · 2025-11-05 · 영화 리뷰 · {KEYWORDS}" in lines
    assert f"   {LONG_PASSAGE}" in lines
    assert "\x1b" not in "".join(lines)


def test_closed_pipe_ends_quietly(many: Path) -> None:
    command = f"set -o pipefail; {shlex.join(REVSEARCH)} query 연기 --index {shlex.quote(str(many))} -n 250 | head -1"
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "250 of 250 matching reviews for 연기\n", "")


def test_pipe_closed_before_anything_is_written(many: Path) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before revsearch writes its first line
    done = subprocess.run(
        [*REVSEARCH, "query", "연기", "--index", str(many), "--json"], stdout=write, stderr=subprocess.PIPE, text=True,
        timeout=120,
    )
    os.close(write)
    assert (done.returncode, done.stderr) == (0, "")  # reviews were found


# ------------------------------------------------------------------ colour and markers


def test_color_always_styles_the_highlights_without_brackets(seed: Path) -> None:
    out = query("외로움", "--index", str(seed), "--color", "always")
    assert "\x1b[" in out
    plain = ANSI.sub("", out)
    assert LONG_PASSAGE.replace("[", "").replace("]", "") in plain and "[외로움]" not in plain


def test_color_never_brackets_the_highlights(seed: Path) -> None:
    out = query("외로움", "--index", str(seed), "--color", "never")
    assert LONG_PASSAGE in out and "\x1b" not in out


def run_in_terminal(
    args: list[str], *, columns: int = 50, env: dict[str, str] | None = None, stderr_too: bool = True,
) -> tuple[int, str]:
    """``args`` run on a pseudo-terminal of ``columns`` (stderr too, or else to
    /dev/null): its exit status and what it printed."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    process = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave if stderr_too else subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    )
    os.close(slave)
    output = b""
    while select.select([master], [], [], 60)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's last writer is gone
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return process.wait(timeout=60), output.decode().replace("\r\n", "\n")


def test_terminal_wraps_with_a_hanging_indent_and_colour(seed: Path) -> None:
    status, out = run_in_terminal([*REVSEARCH, "query", "외로움", "--index", str(seed), "-n", "1"], env={"TERM": "xterm"})
    assert status == 0 and "\x1b[" in out and "[외로움]" not in out
    lines = [line.rstrip() for line in ANSI.sub("", out).splitlines()]
    hit = lines[lines.index("1. [영화리뷰] Her – 외로움과 연결의 시대를") :]
    assert re.fullmatch(r"   살아가는 우리  [0-9.]+", hit[1])  # under the first character of the title
    body = [line for line in hit[1:] if line]
    assert len(body) > 8 and all(line.startswith("   ") and line[3] != " " for line in body)
    assert max(len(line) for line in body) <= 50


@pytest.mark.parametrize("env", [{"TERM": "xterm", "NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_terminal_without_colour_brackets_the_highlights(seed: Path, env: dict[str, str]) -> None:
    status, out = run_in_terminal(
        [*REVSEARCH, "query", "외로움", "--index", str(seed), "-n", "1"], columns=80, env=env, stderr_too=False
    )
    assert status == 0 and "\x1b" not in out  # (stderr may show the loading spinner: it is not colour)
    assert "   《Her(그녀)》 — 디지털 시대의 [외로움]과 연결의 가능성" in [line.rstrip() for line in out.splitlines()]


# ------------------------------------------------------------------ queries that start with -


def test_query_may_start_with_a_dash(seed: Path) -> None:
    expected = json.loads(query("테오도르 -이혼", "--index", str(seed), "--json"))
    assert [h["review"]["author"] for h in expected["hits"]] == ["관리자"]  # the other 테오도르 review has 이혼
    for args in (["-이혼 테오도르", "--json"], ["--json", "-n", "5", "-이혼 테오도르"], ["--json", "--", "-이혼 테오도르"]):
        found = json.loads(query("--index", str(seed), *args))
        assert (found["query"], found["hits"]) == ("-이혼 테오도르", expected["hits"])


@pytest.mark.parametrize(("args", "message"), [
    (["--limt", "3", "외로움"], "No such option '--limt'. Did you mean '--limit'?"),
    (["-json", "외로움"], "Did you mean '--json'? A query that starts with - goes after --: revsearch query -- -json"),
    (["-이혼", "-테오"], "A query that starts with - goes after --: revsearch query -- '-테오'"),
])
def test_unknown_options_stay_usage_errors(seed: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["query", *args, "--index", str(seed)])
    assert result.exit_code == 2 and message in result.output


# ------------------------------------------------------------------ Ctrl-C


def test_ctrl_c_in_query_exits_130_quietly(seed: Path) -> None:
    process = subprocess.Popen(
        [*AT_A_TERMINAL, "-", "query", "외로움", "--index", str(seed), "--no-resident"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 30
    while "kiwipiepy" not in Path(f"/proc/{process.pid}/maps").read_text():  # Kiwi is loading: the search began
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    # 130, or killed by the SIGINT itself when it lands as Python unwinds an
    # import (CPython then re-raises it at exit): a shell reads both as $? = 130
    assert (process.returncode in (130, -signal.SIGINT), out, err) == (True, "", "")


class Terminal:
    """`revsearch ARGS` run as at a terminal: its controlling terminal a pty, so Ctrl-C and Ctrl-D typed reach it as they do."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path):
        self.master, slave = os.openpty()
        self.process = subprocess.Popen(
            [*AT_A_TERMINAL, "tty", *args], stdin=slave, stdout=slave, stderr=slave, env={**os.environ, **env},
            cwd=cwd,
        )
        os.close(slave)
        self.seen = b""

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def wait_for_line_editing(self, timeout: float = 30) -> None:
        """Wait until readline owns the terminal (it turns canonical mode off), so keys typed go to it."""
        deadline = time.monotonic() + timeout
        while termios.tcgetattr(self.master)[3] & termios.ICANON:
            assert time.monotonic() < deadline, "readline never took the terminal"
            time.sleep(0.02)

    def expect(self, text: str, timeout: float = 60) -> str:
        """Read until ``text`` appears; what came before it."""
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0 and select.select([self.master], [], [], left)[0], f"no {text!r} in {self.seen.decode()!r}"
            try:
                self.seen += os.read(self.master, 65536)
            except OSError:  # the process ended
                raise AssertionError(f"no {text!r} in {self.seen.decode()!r}") from None
        before, _, self.seen = self.seen.partition(text.encode())
        return before.decode()


def test_shell_ctrl_c_cancels_the_line_and_ctrl_d_quits(seed: Path, tmp_path: Path) -> None:
    shell = Terminal(["shell", "--index", str(seed)], {"TERM": "dumb", "HOME": str(tmp_path)}, tmp_path)
    try:
        shell.expect("revsearch> ")
        shell.wait_for_line_editing()
        shell.type("abc")
        shell.expect("abc")  # echoed by readline: the line is being edited
        time.sleep(0.5)  # as a person's Ctrl-C: readline misses one that comes as it turns back to waiting
        shell.type("\x03")  # Ctrl-C: the line is dropped, a new prompt is shown
        shell.expect("revsearch> ")
        assert shell.process.poll() is None
        shell.type("외로움\n")
        answer = shell.expect("revsearch> ")
        assert "matching reviews for 외로움\r\n" in answer and "Traceback" not in answer
        shell.type("\x04")  # Ctrl-D quits
        assert shell.process.wait(timeout=30) == 0
    finally:
        if shell.process.poll() is None:
            shell.process.kill()
        os.close(shell.master)


# ------------------------------------------------------------------ what a hit shows


def test_untitled_reviews_show_their_item_and_opening_and_paths_are_short(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "nsmc").mkdir()
    (tmp_path / "rs").mkdir()
    reviews = [
        {"review_id": "10182371", "movie_id": "10002", "author": "skyl****", "review": "촌스럽고 재미없는데....", "rating": 1},
        {"review_id": "10114124", "movie_id": "10002", "author": "kisi****", "rating": 10,
         "review": "현재 10대들이 이 영화를 찾아볼지 의문이지만 단연컨데 요즘 나오는 그 어떤 영화보다 재미 하나만큼은 일품이다~"},
    ]
    (tmp_path / "nsmc" / "10002.json").write_text(json.dumps(reviews, ensure_ascii=False), encoding="utf-8")
    monkeypatch.chdir(tmp_path / "rs")
    assert CliRunner().invoke(main, ["index", "../nsmc", "--index", "ix", "--quiet"]).exit_code == 0
    lines = query("재미", "--index", "ix").splitlines()
    titles = {line[3:].rsplit("  ", 1)[0] for line in lines if re.match(r"\d\. ", line)}
    assert titles == {
        "item 10002 · 촌스럽고 재미없는데....",
        "item 10002 · 현재 10대들이 이 영화를 찾아볼지 의문이지만 단연컨데 요즘 나오는 그…",  # 40 characters
    }
    assert lines.count("   ../nsmc/10002.json") == 2
    assert not [line for line in lines if "10182371" in line or "item 10002" in line and not line.startswith(("1.", "2."))]
