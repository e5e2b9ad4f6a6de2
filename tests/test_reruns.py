"""Re-runs of `revsearch index`: what did not change is neither read nor
analysed nor reported again as a new problem, and Kiwi is not even loaded;
what the summary says about it, and about files of other types."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import ReviewIndex
from searcher.cli import main
from searcher.readers import ReadOptions
from searcher.settings import IngestSettings

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
GOOD = "연기 최고\n\n배우들 연기가 정말 최고였어요\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
#: Far below Kiwi's ~500 MB: a run that loads it cannot stay under this.
NO_KIWI_MB = 200


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def invoke(*args: str | Path):
    return CliRunner().invoke(main, [str(a) for a in args])


def with_bad_files(src: Path) -> Path:
    write(src / "good.txt", GOOD)
    write(src / "empty.txt", "")
    write(src / "scan.txt", PNG)
    return src


def revsearch(*args: str | Path, cwd: Path, prefix: list[str] = ()) -> tuple[int, str, float]:
    """Run `revsearch` in a process of its own: exit code, stderr and the peak
    memory (MB) of that process and any it started."""
    measure = (
        "import json, resource, subprocess, sys\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(json.dumps([r.returncode, r.stderr, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024]))\n"
    )
    command = [*prefix, sys.executable, "-m", "searcher.cli", *map(str, args)]
    done = subprocess.run([sys.executable, "-c", measure, *command], cwd=cwd, capture_output=True, text=True, check=True)
    return tuple(json.loads(done.stdout))


def test_an_unchanged_rerun_over_bad_files_succeeds_reading_nothing_and_without_kiwi(tmp_path: Path) -> None:
    src = with_bad_files(tmp_path / "src")
    shutil.copytree(CORPUS, src / "corpus")
    first = invoke("index", src, "--index", tmp_path / "ix")
    assert first.exit_code == 0 and "2 skipped" in first.output
    generation = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ix").glob("_MAIN_*.toc")}

    code, err, peak_mb = revsearch("index", "src", "--index", "ix", cwd=tmp_path)
    assert code == 0, err
    # nothing was committed: searchers (a resident server) have no new generation to reopen
    assert {p.name: p.stat().st_mtime_ns for p in (tmp_path / "ix").glob("_MAIN_*.toc")} == generation
    assert peak_mb < NO_KIWI_MB, f"{peak_mb:.0f} MB: Kiwi was loaded to analyse nothing"
    lines = err.splitlines()
    assert lines[:2] == [
        "0 reviews indexed from 0 files into ix/ (5 reviews in the index); 0 skipped",
        "files: 5 unchanged, 0 changed, 0 new, 0 removed",
    ]
    # the files that could not be read are said to be still skipped, in one line, and not listed as new problems
    assert lines[2:] == [
        "2 files still skipped, unchanged since the last run (empty file; binary file, not text); "
        "each is read again once it changes (--verbose lists them)"
    ]


def test_a_file_that_could_not_be_read_is_read_again_once_it_changes(tmp_path: Path) -> None:
    src = with_bad_files(tmp_path / "src")
    ix = ReviewIndex.create(tmp_path / "ix")
    assert [Path(s.path).name for s in ix.add_paths([src]).skipped] == ["empty.txt", "scan.txt"]

    os.utime(src / "scan.txt", ns=(1, 1))  # touched: the same content, still skipped, not read
    again = ix.add_paths([src])
    assert (again.skipped, again.failed, again.unchanged) == ([], 0, 1)
    assert sorted((Path(s.path).name, s.reason) for s in again.still_skipped) == [
        ("empty.txt", "empty file"), ("scan.txt", "binary file, not text"),
    ]

    write(src / "empty.txt", "수박 화채가 시원했다\n")
    fixed = ix.add_paths([src])
    assert (fixed.changed, fixed.reviews_indexed, [Path(s.path).name for s in fixed.still_skipped]) == (1, 1, ["scan.txt"])
    assert [hit.review.body for hit in ix.search("수박")] == ["수박 화채가 시원했다"]


def test_a_file_is_read_again_with_other_read_options(tmp_path: Path) -> None:
    export = write(tmp_path / "src/export.csv", "번호,본문\nk-1,청국장 국물이 진했다\n")
    ix = ReviewIndex.create(tmp_path / "ix")
    assert ix.add_paths([export]).reviews_indexed == 0  # no column revsearch knows holds the text
    mapped = ix.add_paths([export], options=ReadOptions(fields={"body": "본문", "id": "번호"}))
    assert (mapped.changed, mapped.reviews_indexed) == (1, 1)
    assert [hit.id for hit in ix.search("청국장")] == ["k-1"]
    assert ix.add_paths([export], options=ReadOptions(fields={"id": "번호", "body": "본문"})).unchanged == 1


def test_nothing_indexed_is_an_error_only_when_the_files_read_in_this_run_all_failed(tmp_path: Path) -> None:
    write(tmp_path / "src/empty.txt", "")
    first = invoke("index", tmp_path / "src", "--index", tmp_path / "ix")
    assert first.exit_code == 2 and "Error: nothing was indexed" in first.output
    assert not (tmp_path / "ix").exists()  # a first run that failed creates nothing

    write(tmp_path / "other/good.txt", GOOD)
    assert invoke("index", tmp_path / "other", "--index", tmp_path / "ix").exit_code == 0
    failed = invoke("index", tmp_path / "src", "--index", tmp_path / "ix")
    assert failed.exit_code == 2 and "Error: nothing was indexed" in failed.output

    again = invoke("index", tmp_path / "src", "--index", tmp_path / "ix")
    assert again.exit_code == 0, again.output
    assert "1 file still skipped, unchanged since the last run (empty file)" in again.output

    strict = invoke("index", tmp_path / "src", "--index", tmp_path / "ix", "--strict")
    assert strict.exit_code == 2
    assert "Error: 1 skipped, 1 of them unchanged since the last run (--strict)" in strict.output

    listed = invoke("index", tmp_path / "src", "--index", tmp_path / "ix", "--verbose")
    assert f"    {tmp_path / 'src/empty.txt'}: empty file" in listed.output


def test_an_unreadable_file_is_still_skipped_until_it_can_be_read(tmp_path: Path) -> None:
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file permissions cannot be tested")
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    write(tmp_path / "src/good.txt", GOOD)
    locked = write(tmp_path / "src/locked.txt", "자물쇠 너머의 감상문\n")
    locked.chmod(0)
    try:
        code, err, _ = revsearch("index", "src", "--index", "ix", cwd=tmp_path, prefix=prefix)
        assert code == 0 and "src/locked.txt: cannot read file: Permission denied" in err, err
        code, err, _ = revsearch("index", "src", "--index", "ix", cwd=tmp_path, prefix=prefix)
        assert code == 0, err
        assert "1 file still skipped, unchanged since the last run (cannot read file)" in err
        assert "locked.txt" not in err
    finally:
        locked.chmod(0o644)
    code, err, _ = revsearch("index", "src", "--index", "ix", cwd=tmp_path, prefix=prefix)
    assert code == 0 and "1 review indexed from 1 file" in err and "still skipped" not in err, err


def test_the_analysis_process_starts_only_when_there_is_something_to_analyse(tmp_path: Path) -> None:
    src = with_bad_files(tmp_path / "src")
    # any run reads in a child process, which loads its own Kiwi
    ix = ReviewIndex.create(tmp_path / "ix", ingest=IngestSettings(process_bytes=0))
    loads: list[bool] = []
    assert ix.add_paths([src], on_load=loads.append).reviews_indexed == 1
    assert loads == [True, False]
    loads.clear()
    again = ix.add_paths([src], on_load=loads.append)
    assert (again.unchanged, len(again.still_skipped), loads) == (1, 2, [])


def test_files_of_other_types_are_counted_and_listed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    write(src / "good.txt", GOOD)
    for name in ("a.png", "photos/b.PNG", "backup.zip", "LICENSE"):
        write(src / name, PNG)
    write(src / ".DS_Store", PNG)  # hidden entries are skipped on purpose, not counted
    write(src / ".git/objects/x.pack", PNG)
    # the index inside the folder indexed: its files are not the user's files of other types
    result = invoke("index", src, "--index", src / "ix")
    assert result.exit_code == 0, result.output
    assert "4 files of other types not read: .png, .zip, no extension (--verbose lists them)" in result.output
    listed = invoke("index", src, "--index", src / "ix", "-v")
    assert "4 files of other types not read: .png, .zip, no extension\n" in listed.output
    for name in ("LICENSE", "a.png", "backup.zip", "photos/b.PNG"):
        assert f"    {src / name}\n" in listed.output
    listing = [line.strip() for line in listed.output.splitlines() if line.startswith("    ")]
    assert sorted(listing) == sorted(str(src / name) for name in ("LICENSE", "a.png", "backup.zip", "photos/b.PNG"))


def test_counts_are_singular_or_plural_with_thousands_separators(tmp_path: Path) -> None:
    one = invoke("index", write(tmp_path / "one.txt", GOOD), "--index", tmp_path / "ix")
    assert "1 review indexed from 1 file into" in one.output and "(1 review in the index)" in one.output
    lines = "".join(json.dumps({"id": f"r{n}", "review": f"국수 {n}그릇"}) + "\n" for n in range(1200))
    many = invoke("index", write(tmp_path / "many.jsonl", lines), "--index", tmp_path / "ix")
    assert "1,200 reviews indexed from 1 file into" in many.output and "(1,201 reviews in the index)" in many.output
    assert "files: 0 unchanged, 0 changed, 1 new, 0 removed" in many.output


def in_a_terminal(*args: str, cwd: Path) -> str:
    """What `revsearch` writes to a terminal (a pseudo-terminal 200 columns wide)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    process = subprocess.Popen(
        [sys.executable, "-m", "searcher.cli", *args], cwd=cwd, stdin=follower, stdout=follower, stderr=follower,
        env={**env, "TERM": "xterm-256color"},
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the terminal is closed once the process has ended
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode("utf-8", "replace"))  # colours and cursor moves
    assert process.wait() == 0, text
    return text


def test_loading_the_korean_analyzer_is_shown_in_a_terminal_only(tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path / "corpus")
    shown = in_a_terminal("index", "--index", "shown", cwd=tmp_path)
    assert "loading the Korean analyzer…" in shown
    assert "4 reviews indexed from 4 files" in shown
    quiet = in_a_terminal("index", "--index", "quiet", "--quiet", cwd=tmp_path)
    assert quiet.strip() == ""
    piped = invoke("index", tmp_path / "corpus", "--index", tmp_path / "piped")  # output captured: not a terminal
    assert piped.exit_code == 0 and "4 reviews indexed from 4 files" in piped.stderr
    assert "the Korean analyzer" not in piped.stderr
