"""The index over time: incremental runs, crashes, concurrent processes, versions and damage.
Crash and concurrency tests run the real `revsearch index` in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from searcher import Review, ReviewIndex
from searcher.check import check
from searcher.errors import IncompatibleIndexError, IndexLockedError, RevsearchError
from searcher.lock import WriteLock

WORDS = ["사과", "바나나", "포도", "수박", "참외", "자두", "복숭아", "딸기", "귤", "레몬"]


def write_reviews(folder: Path, files: int, per_file: int, prefix: str = "") -> set[str]:
    """JSONL files of short reviews with explicit ids; returns the ids."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = set()
    for f in range(files):
        lines = []
        for r in range(per_file):
            rid = f"{prefix}f{f}-r{r}"
            ids.add(rid)
            lines.append(json.dumps({"id": rid, "review": f"{WORDS[r % 10]} 맛이 좋았다 {f}번 가게"}, ensure_ascii=False))
        (folder / f"part{f:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ids


def revsearch(*args: str, cwd: Path, **kwargs) -> subprocess.Popen:
    """revsearch started with Ctrl-C handled as at a terminal, even if these tests run as a background job (which ignores it)."""
    return subprocess.Popen(
        [sys.executable, "-m", "searcher.cli", *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kwargs,
    )


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "searcher.cli", *args], cwd=cwd, capture_output=True, text=True)


def all_ids(folder: Path) -> list[str]:
    with ReviewIndex.open(folder) as ix:
        return [review.id for review in ix.reviews()]


# ------------------------------------------------------------------ incremental


def a_file_committed(index: Path) -> bool:
    """Whether the manifest of the index in ``index`` records a file as read:
    a commit has been made (a run lists the files it is about to read as
    pending before it writes anything)."""
    try:
        files = json.loads((index / "files.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError):  # not yet, or being replaced
        return False
    return any(state["sha1"] for state in files.values())


def test_rerun_reads_only_what_changed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    ids = write_reviews(src, 4, 5)
    ix = ReviewIndex.create(tmp_path / "ix")
    first = ix.add_paths([src])
    assert (first.new, first.reviews_indexed, len(ix)) == (4, 20, 20)

    again = ix.add_paths([src])
    assert (again.unchanged, again.changed, again.new, again.removed, again.reviews_indexed) == (4, 0, 0, 0, 0)

    os.utime(src / "part000.jsonl")  # touched, same content: the digest says unchanged
    (src / "part001.jsonl").write_text('{"id": "f1-r0", "review": "망고 주스가 최고"}\n', encoding="utf-8")
    (src / "part003.jsonl").unlink()
    write_reviews(tmp_path / "more", 1, 3)
    (tmp_path / "more" / "part000.jsonl").rename(src / "new.jsonl")
    third = ix.add_paths([src])
    assert (third.unchanged, third.changed, third.new, third.removed) == (2, 1, 1, 1)
    expected = (ids - {f"f1-r{r}" for r in range(5)} - {f"f3-r{r}" for r in range(5)}) | {"f1-r0", "f0-r0", "f0-r1", "f0-r2"}
    assert sorted(all_ids(tmp_path / "ix")) == sorted(expected)
    assert [h.id for h in ix.search("망고")] == ["f1-r0"]
    assert not [h for h in ix.search("바나나") if h.id.startswith(("f1-", "f3-"))]


def test_other_paths_add_and_rebuild_starts_empty(tmp_path: Path) -> None:
    write_reviews(tmp_path / "a", 1, 2)
    b = tmp_path / "b"
    b.mkdir()
    (b / "one.jsonl").write_text('{"id": "b1", "review": "망고 빙수"}\n', encoding="utf-8")
    assert run("index", "a", cwd=tmp_path).returncode == 0
    assert run("index", "b", cwd=tmp_path).returncode == 0
    assert sorted(all_ids(tmp_path / "index")) == ["b1", "f0-r0", "f0-r1"]
    # a path given again leaves the other paths' reviews alone
    assert run("index", "b", cwd=tmp_path).returncode == 0
    assert len(all_ids(tmp_path / "index")) == 3
    rebuilt = run("index", "b", "--rebuild", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "0 unchanged, 0 changed, 1 new, 0 removed" in rebuilt.stderr
    assert all_ids(tmp_path / "index") == ["b1"]


def test_delete_and_update(tmp_path: Path) -> None:
    with ReviewIndex.create(tmp_path) as ix:
        ix.add([Review(id="a", body="사과 맛"), Review(id="b", body="포도 맛")])
        ix.update(Review(id="a", body="망고 맛"))
        assert [h.id for h in ix.search("망고")] == ["a"] and not ix.search("사과").hits
        assert ix.delete(["b", "missing"]) == 1
        assert len(ix) == 1 and not ix.search("포도").hits


# ------------------------------------------------------------------- crashes


def test_sigkill_at_any_point_then_a_final_run_leaves_exactly_the_reviews(tmp_path: Path) -> None:
    ids = write_reviews(tmp_path / "src", 30, 60)  # 1,800 reviews
    index = ["index", "src", "--index", "ix", "--batch-size", "150"]
    committed = []
    # the first kill comes before anything is written, the others once a batch is committed
    # (waited for, not guessed: a loaded machine may take seconds to start and load Kiwi)
    for delay, after_a_commit in ((0.3, False), (0.2, True), (1.0, True), (2.5, True)):
        proc = revsearch(*index, cwd=tmp_path)
        deadline = time.monotonic() + 60
        while after_a_commit and not a_file_committed(tmp_path / "ix") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (tmp_path / "ix" / "revsearch.json").exists():
            with ReviewIndex.open(tmp_path / "ix") as ix:  # opens, and answers
                found = ix.search("사과 맛", limit=5)
                assert len(found.hits) == min(5, found.total)
            got = all_ids(tmp_path / "ix")
            assert len(got) == len(set(got)) and set(got) <= ids
            committed.append(len(got))
    assert committed and max(committed) > 0, committed  # some kills came after commits
    final = run(*index, cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    got = all_ids(tmp_path / "ix")
    assert len(got) == len(ids) and set(got) == ids
    assert check(tmp_path / "ix").problems == []


def kill_while_writing(*args: str, cwd: Path) -> None:
    """Run `revsearch` and SIGKILL it while its Whoosh writer has its temporary folder open."""
    proc = revsearch(*args, cwd=cwd)
    deadline = time.monotonic() + 60
    while not (cwd / "ix" / "MAIN.tmp").is_dir() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (cwd / "ix" / "MAIN.tmp").is_dir(), "the run ended before it could be killed while writing"


@pytest.mark.parametrize("next_run", [["--rebuild"], []])
def test_whatever_a_killed_run_leaves_the_next_run_cleans(tmp_path: Path, next_run: list[str]) -> None:
    ids = write_reviews(tmp_path / "src", 20, 60)
    index = ["index", "src", "--index", "ix", "--batch-size", "300"]
    kill_while_writing(*index, cwd=tmp_path)
    kill_while_writing(*index, "--rebuild", cwd=tmp_path)
    toc = max((tmp_path / "ix").glob("_MAIN_*.toc"), default=None)
    if toc is not None:  # as if killed between writing a table of contents and renaming it
        (toc.parent / f"{toc.name}.1733212345.6").write_bytes(toc.read_bytes())
    final = run(*index, *next_run, cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    assert set(all_ids(tmp_path / "ix")) == ids
    assert check(tmp_path / "ix").problems == []
    assert not [p.name for p in (tmp_path / "ix").iterdir() if p.name == "MAIN.tmp" or ".toc." in p.name]


@pytest.mark.parametrize("step", ["record", "table of contents"])
def test_a_crash_while_an_index_is_created_leaves_none_and_the_next_run_creates_it(
    tmp_path: Path, monkeypatch, step: str
) -> None:
    # SIGKILL can land between the files an index starts with; the next run must not find a half-made index
    from searcher.engines.whoosh import WhooshEngine
    from searcher.meta import IndexMeta

    def killed(*args, **kwargs):
        raise SystemExit("killed")

    if step == "record":
        monkeypatch.setattr(IndexMeta, "write", killed)
    else:
        monkeypatch.setattr(WhooshEngine, "create", killed)
    with pytest.raises(SystemExit):
        ReviewIndex.create(tmp_path / "ix")
    monkeypatch.undo()
    with ReviewIndex.open_or_create(tmp_path / "ix") as ix:
        ix.add([Review(id="a", body="사과 맛이 좋았다")])
        assert [h.id for h in ix.search("사과")] == ["a"]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_reports_what_was_committed(tmp_path: Path, sig: int) -> None:
    ids = write_reviews(tmp_path / "src", 80, 60)  # 48 commits: the run is still going when the first is seen
    proc = revsearch("index", "src", "--index", "ix", "--batch-size", "100", cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not a_file_committed(tmp_path / "ix") and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted:" in err and "committed; run again to finish" in err
    assert "Traceback" not in err
    got = all_ids(tmp_path / "ix")
    assert 0 < len(got) < len(ids) and len(set(got)) == len(got)
    assert run("index", "src", "--index", "ix", cwd=tmp_path).returncode == 0
    assert set(all_ids(tmp_path / "ix")) == ids


DISK_FULL = """
set -u
mount -t tmpfs -o size=1m tmpfs "$1/disk" || exit 99
cd "$1"
run() { echo "== $*"; "$PYTHON" -m searcher.cli "$@" 2>&1; echo "-- exit $?"; }
run index small --index disk/ix
run index big --index disk/ix
echo "== ls"; ls disk/ix
run check --index disk/ix
mount -o remount,size=64m "$1/disk"
run index big --index disk/ix
run check --index disk/ix
"""


def test_a_full_disk_is_a_clear_message_the_last_commit_stands_and_the_next_run_finishes(tmp_path: Path) -> None:
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to mount a small disk of its own")
    small, big = write_reviews(tmp_path / "small", 1, 20), write_reviews(tmp_path / "big", 20, 100, prefix="big-")
    (tmp_path / "disk").mkdir()
    (tmp_path / "script.sh").write_text(DISK_FULL)
    # a mount namespace of its own: the small disk goes away with the script
    done = subprocess.run(
        ["unshare", "--mount", "bash", str(tmp_path / "script.sh"), str(tmp_path)], capture_output=True, text=True,
        env={**os.environ, "PYTHON": sys.executable}, timeout=300,
    )
    if done.returncode == 99:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    steps = done.stdout.split("== ")
    first, full, listing, checked, finished, sound = steps[1:7]
    assert first.endswith("-- exit 0\n"), first
    assert "Traceback" not in done.stdout
    assert [line for line in full.splitlines()[1:] if line] == [
        "Error: disk full while writing the index in disk/ix; the last commit is intact: free some space and run again",
        "-- exit 2",
    ]
    assert len([n for n in listing.split() if n.startswith("MAIN_") and n != "MAIN_WRITELOCK"]) == 1  # the failed segment's files are gone
    assert "✓ disk/ix: 20 reviews" in checked
    assert finished.endswith("-- exit 0\n"), finished
    assert f"✓ disk/ix: {len(small) + len(big)} reviews" in sound


# ------------------------------------------------------------ unreadable


def unprivileged() -> list[str]:
    """A command prefix under which file permissions hold: root ignores them, so
    its capabilities to do so are dropped."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root without setpriv: file permissions cannot be tested")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_what_cannot_be_read_is_reported_and_the_walk_goes_on_and_nothing_is_removed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for name, rid in (("a.jsonl", "a"), ("m/b.jsonl", "b"), ("m/c.jsonl", "c"), ("y.jsonl", "y"), ("z.jsonl", "z")):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(json.dumps({"id": rid, "review": "사과 맛이 좋았다"}) + "\n", encoding="utf-8")
    index = [*unprivileged(), sys.executable, "-m", "searcher.cli", "index", "src", "--index", "ix"]

    def index_with_denied(*denied: str) -> str:
        for name in denied:
            (src / name).chmod(0)
        try:
            result = subprocess.run(index, cwd=tmp_path, capture_output=True, text=True)
        finally:
            for name in denied:
                (src / name).chmod(0o755)
        assert "Traceback" not in result.stderr
        return result.stderr

    first = index_with_denied("m", "y.jsonl")
    assert sorted(all_ids(tmp_path / "ix")) == ["a", "z"]  # z sorts after the folder that cannot be listed
    assert "src/m: cannot list folder: Permission denied" in first
    assert "src/y.jsonl: cannot read file: Permission denied" in first
    assert run("index", "src", "--index", "ix", cwd=tmp_path).returncode == 0
    assert sorted(all_ids(tmp_path / "ix")) == ["a", "b", "c", "y", "z"]
    again = index_with_denied("m", "y.jsonl")
    assert "src/m: cannot list folder: Permission denied" in again
    assert ", 0 removed" in again
    assert sorted(all_ids(tmp_path / "ix")) == ["a", "b", "c", "y", "z"]


# --------------------------------------------------------------- concurrency


def test_second_writer_fails_or_waits_and_searches_go_on(tmp_path: Path) -> None:
    write_reviews(tmp_path / "src", 1, 3)
    assert run("index", "src", "--index", "ix", cwd=tmp_path).returncode == 0
    write_reviews(tmp_path / "big", 40, 80, prefix="big-")
    writer = revsearch("index", "big", "--index", "ix", "--batch-size", "200", cwd=tmp_path)
    lock = tmp_path / "ix" / "revsearch.lock"
    deadline = time.monotonic() + 60
    while not lock.read_text().strip() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = run("index", "src", "--index", "ix", cwd=tmp_path)
    assert second.returncode == 2
    assert "revsearch.lock is held by another revsearch process" in second.stderr and "--wait" in second.stderr
    assert "Traceback" not in second.stderr
    waiting = revsearch("index", "src", "--index", "ix", "--wait", "120", cwd=tmp_path)
    query = run("query", "사과", "--index", "ix", "--json", cwd=tmp_path)
    assert query.returncode == 0, query.stderr
    assert json.loads(query.stdout)["total"] >= 1
    _, err = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, err
    assert "waiting up to 120 s" in err
    assert writer.wait(timeout=120) == 0
    assert len(all_ids(tmp_path / "ix")) == 3 + 40 * 80


def test_a_lock_left_by_a_dead_process_does_not_block(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    ReviewIndex.create(folder).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from searcher.lock import WriteLock\n"
         "with WriteLock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)", str(folder)],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(IndexLockedError, match="pid"):
        WriteLock(folder).__enter__()
    holder.kill()
    holder.wait()
    with WriteLock(folder, wait=5):
        pass


# ------------------------------------------------------- versions and damage


def test_versions_are_recorded_and_checked(tmp_path: Path) -> None:
    folder = tmp_path / "ix"
    ReviewIndex.create(folder).close()
    meta_file = folder / "revsearch.json"
    meta = json.loads(meta_file.read_text())
    from searcher import __version__

    assert meta["revsearch"] == __version__ and meta["schema"] >= 1 and meta["analysis"] >= 1
    meta_file.write_text(json.dumps(dict(meta, revsearch="0.0.1")))  # older, compatible
    ReviewIndex.open(folder).close()
    meta_file.write_text(json.dumps(dict(meta, schema=meta["schema"] + 1)))
    with pytest.raises(IncompatibleIndexError, match="--rebuild"):
        ReviewIndex.open(folder)
    meta_file.unlink()
    with pytest.raises(IncompatibleIndexError, match="has no revsearch.json, the record of how it was built.*--rebuild"):
        ReviewIndex.open(folder)
    result = run("query", "사과", "--index", "ix", cwd=tmp_path)
    assert result.returncode == 2 and "--rebuild" in result.stderr and "Traceback" not in result.stderr
    write_reviews(tmp_path / "src", 1, 2)
    assert run("index", "src", "--rebuild", "--index", "ix", cwd=tmp_path).returncode == 0
    ReviewIndex.open(folder).close()


def _segment_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("MAIN_") and p.suffix != "" and p.name != "MAIN_WRITELOCK")


@pytest.mark.parametrize("damage", ["truncate", "delete", "garbage toc"])
def test_damage_is_reported_clearly_and_rebuild_recovers(tmp_path: Path, damage: str) -> None:
    write_reviews(tmp_path / "src", 2, 20)
    assert run("index", "src", "--index", "ix", cwd=tmp_path).returncode == 0
    folder = tmp_path / "ix"
    if damage == "garbage toc":
        toc = next(folder.glob("_MAIN_*.toc"))
        toc.write_bytes(b"\x00garbage" * 10)
    else:
        victim = max(_segment_files(folder), key=lambda p: p.stat().st_size)
        if damage == "truncate":
            victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 3])
        else:
            victim.unlink()
    query = run("query", "사과", "--index", "ix", cwd=tmp_path)
    assert query.returncode == 2 and "Traceback" not in query.stderr
    assert "damaged" in query.stderr and "revsearch check" in query.stderr
    checked = run("check", "--index", "ix", cwd=tmp_path)
    assert checked.returncode == 2 and "Traceback" not in checked.stderr
    assert "problem" in checked.stderr
    rebuilt = run("index", "src", "--index", "ix", "--rebuild", cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert run("check", "--index", "ix", cwd=tmp_path).returncode == 0
    assert len(all_ids(folder)) == 40


def test_refuses_a_folder_that_is_not_an_index(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "todo.txt").write_text("내일 할 일", encoding="utf-8")
    write_reviews(tmp_path / "src", 1, 2)
    for args in (["index", "src", "--index", "notes"], ["index", "src", "--index", "notes", "--rebuild"]):
        result = run(*args, cwd=tmp_path)
        assert result.returncode == 2 and "not a revsearch index" in result.stderr
    assert sorted(p.name for p in notes.iterdir()) == ["todo.txt"]
    with pytest.raises(RevsearchError, match="not a revsearch index"):
        ReviewIndex.create(notes)
