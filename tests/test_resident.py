"""The resident query server: `revsearch query` answered by a process that keeps
the index and Kiwi loaded, exactly as a search in the querying process answers.

Servers load Kiwi, so they are few: the tests of the shared index come first and
the one that stops its server after them. Every server started is stopped at the end."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest
from click.testing import CliRunner

from searcher import QueryError, Review, ReviewIndex, ipc, resident
from searcher.cli import main
from searcher.options import python_command
from searcher.request import SearchRequest

from .conftest import CORPUS

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")


@pytest.fixture(scope="module")
def runtime(tmp_path_factory) -> Iterator[Path]:
    """Resident mode on, with sockets in a folder of this module; every server is stopped at the end."""
    folder = tmp_path_factory.mktemp("resident") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REVSEARCH_RESIDENT", "1")
        patch.setenv("REVSEARCH_RUNTIME_DIR", str(folder))
        patch.delenv("REVSEARCH_RESIDENT_IDLE", raising=False)
        yield folder
        resident.stop_all()


@pytest.fixture(scope="module")
def served(runtime, tmp_path_factory) -> Path:
    """An index of the seed reviews whose server the tests share."""
    folder = tmp_path_factory.mktemp("served") / "ix"
    with ReviewIndex.create(folder) as ix:
        ix.add_paths([CORPUS])
    return folder


@pytest.fixture
def fresh(runtime, tmp_path) -> Iterator[Path]:
    """A one-review index with no server yet; its server is stopped at the end."""
    folder = tmp_path / "ix"
    with ReviewIndex.create(folder) as ix:
        ix.add([Review(id="r1", title="연기 최고", body="배우들 연기가 정말 좋았어요")])
    yield folder
    resident.stop(folder)


def query(index: Path, *args: str):
    return CliRunner().invoke(main, ["query", *args, "--index", str(index)])


def served_search(index: Path, text: str, **options) -> dict:
    """The server's answer to a search (never one made in this process)."""
    answer = resident.ask(index, resident.search_request(SearchRequest(text, **options)))
    assert answer is not None, "the server did not answer"
    return answer


def ids(results: dict) -> list[str]:
    return [hit["id"] for hit in results["hits"]]


def server_processes(index: Path) -> list[int]:
    """Pids of the running resident servers of ``index``."""
    wanted = python_command("searcher.resident", "_main", str(index.resolve()))
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            running = entry.name.isdigit() and (entry / "cmdline").read_bytes().split(b"\0")[:-1]
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if running and [arg.decode() for arg in running] == wanted and state != "Z":
            pids.append(int(entry.name))
    return pids


def ended(pid: int) -> bool:
    """Whether process ``pid`` has ended, its files closed: every thread of it
    gone or a zombie (the first one is a zombie while the others still exit)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return True
    for task in tasks:
        try:
            if (task / "stat").read_text().rsplit(")", 1)[1].split()[0] not in ("Z", "X"):
                return False
        except OSError:
            continue  # this thread is gone
    return True


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def revsearch(
    *args: str, cwd: Path, stdin: str = "", terminal: bool = False,
) -> tuple[subprocess.CompletedProcess, str]:
    """Run `revsearch ARGS` in ``cwd``, stdout piped; and stderr too, or, if
    ``terminal``, a terminal (a pty) whose output is read. The process and what stderr showed."""
    command = [sys.executable, "-m", "searcher.cli", *args]
    forcing = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE")  # rich's overrides of what a terminal is
    environment = {name: value for name, value in os.environ.items() if name not in forcing}
    environment["HOME"] = str(cwd)  # the shell's history file
    if not terminal:
        done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True, env=environment, timeout=60)
        return done, done.stderr
    master, slave = pty.openpty()
    try:
        process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=slave,
            env={**environment, "TERM": "xterm-256color", "COLUMNS": "400"},
        )
    finally:
        os.close(slave)
    shown = bytearray()
    reader = threading.Thread(target=lambda: shown.extend(read_all(master)), daemon=True)
    reader.start()
    out, _ = process.communicate(stdin.encode(), timeout=60)
    reader.join(10)
    os.close(master)
    done = subprocess.CompletedProcess(command, process.returncode, out.decode(), None)
    return done, shown.decode(errors="replace")


def read_all(fd: int) -> bytes:
    """What a pty's master reads until its last writer closed it."""
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every writer has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def files_of(index: Path) -> list[str]:
    """Names of the files the runtime folder holds for the server of ``index``."""
    key = resident.place(index).socket.stem
    return sorted(path.name for path in resident.runtime_dir().glob(f"{key}.*"))


def leftovers(key: str) -> list[Path]:
    """The socket, lock and log a server named ``key`` leaves when it is killed."""
    folder = resident.runtime_dir()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(folder / f"{key}.sock"))
    dead.close()
    (folder / f"{key}.lock").touch()
    (folder / f"{key}.log").write_text("pid 1 serving …\n")
    return [folder / f"{key}.{suffix}" for suffix in ("sock", "lock", "log")]


def request_frame(request: dict) -> bytes:
    """A request as a client sends it."""
    return ipc.frame(ipc.to_json(request))


def connect(index: Path) -> socket.socket:
    """A raw connection to the running server of ``index``, bounded in time."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(30)
    conn.connect(str(resident.place(index).socket))
    return conn


def answer_of(conn: socket.socket) -> dict:
    with conn.makefile("rb") as reader:
        return ipc.from_json(ipc.read_frame(reader))


def test_answers_as_a_search_in_the_process(served: Path) -> None:
    with ReviewIndex.open(served) as ix:
        expected = ix.search("사만다와의 이별", 3).to_dict()
    assert served_search(served, "사만다와의 이별", limit=3) == expected
    for args in (
        ["사만다와의 이별", "--json", "--limit", "3"],
        ["외롭다", "--limit", "2"],  # rendered with highlights
        ["사만다", "--json", "--since", "2025-04-01", "--until", "2025-04-30", "--sort", "date"],
        ["김치찌개"],
    ):
        through, here = query(served, *args), query(served, *args, "--no-resident")
        assert through.exit_code == here.exit_code == (1 if args == ["김치찌개"] else 0), through.output
        assert through.output == here.output
    assert str(served.resolve()) in [server["index"] for server in resident.servers()]


def test_a_query_error_reads_as_in_the_process(served: Path) -> None:
    with pytest.raises(QueryError, match="cannot read the since date 'notadate'"):
        served_search(served, "사만다", since="notadate")
    for args in (["사만다", "--since", "notadate"], ["date:[2025-01-01 TO"]):
        through, here = query(served, *args), query(served, *args, "--no-resident")
        assert through.exit_code == here.exit_code == 2
        assert through.output == here.output and through.output.startswith("Error: ")



def test_any_string_crosses_to_the_server_and_back(served: Path) -> None:
    # a lone surrogate (an argument that is not UTF-8) and control characters in the query, echoed in the results
    for text in ("\udcff사만다", "사만다\x1b[2J\u202e"):
        answer = served_search(served, text, limit=2)
        assert answer["query"] == text and answer["total"] >= 1
        with ReviewIndex.open(served) as ix:
            assert answer == ix.search(text, 2).to_dict()

def test_an_index_the_server_cannot_use_reads_as_in_the_process(served: Path) -> None:
    meta_file = served / "revsearch.json"
    meta = meta_file.read_text()
    meta_file.write_text(json.dumps(dict(json.loads(meta), schema=999)))  # from a newer revsearch
    try:
        through, here = query(served, "사만다"), query(served, "사만다", "--no-resident")
        assert through.exit_code == here.exit_code == 2
        assert through.output == here.output and "--rebuild" in through.output
    finally:
        meta_file.write_text(meta)
    assert served_search(served, "사만다")["total"] == 4


def test_a_query_answered_by_the_server_loads_no_search_engine(served: Path) -> None:
    served_search(served, "사만다")  # the server runs
    program = (
        "import sys; from searcher.cli import main; main(sys.argv[1:], standalone_mode=False); "
        "print(sorted({'whoosh', 'kiwipiepy', 'numpy'} & set(sys.modules)), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", program, "query", "사만다", "--index", str(served), "--json"],
        capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["query"] == "사만다" and done.stderr.strip() == "[]"


def test_the_server_sees_a_commit(served: Path) -> None:
    assert served_search(served, "우주선")["total"] == 0
    with ReviewIndex.open(served) as ix:
        ix.add([Review(id="space", title="우주 영화", body="우주선 발사 장면이 압권이다")])
    assert ids(served_search(served, "우주선")) == ["space"]
    with ReviewIndex.open(served) as ix:
        ix.delete(["space"])
    assert served_search(served, "우주선")["total"] == 0


def test_the_server_searches_a_rebuilt_index(served: Path) -> None:
    assert served_search(served, "사만다")["total"] == 4
    try:
        with ReviewIndex.create(served) as ix:  # what `revsearch index --rebuild` does
            ix.add([Review(id="sub", body="잠수함 영화는 언제나 긴장감이 넘친다")])
        assert ids(served_search(served, "잠수함")) == ["sub"]
        assert served_search(served, "사만다")["total"] == 0
    finally:
        with ReviewIndex.create(served) as ix:
            ix.add_paths([CORPUS])
    assert served_search(served, "사만다")["total"] == 4


def test_a_client_slow_to_send_its_request_holds_up_no_other(served: Path) -> None:
    served_search(served, "사만다")  # the server runs
    request = request_frame(resident.search_request(SearchRequest("사만다")))
    with connect(served) as slow:
        slow.sendall(request[:10])  # and then nothing, for now
        assert served_search(served, "사만다")["total"] == 4
        slow.sendall(request[10:])  # still served: it was not dropped to answer the other
        assert answer_of(slow)["results"]["total"] == 4


def test_searches_are_answered_while_a_slow_one_runs(served: Path) -> None:
    """The passages of long reviews, for a query holding 하다 (which Kiwi
    reads into contractions, so their whole texts are analysed: see
    searcher.surface), take a second or so; searches of short reviews asked
    meanwhile are answered, one after the other, before it."""
    filler = "배우들 연기가 정말 좋았고 음악도 훌륭했다. " * 2100
    longs = [f"long{i}" for i in range(4)]
    with ReviewIndex.open(served) as ix:
        ix.add([Review(id=i, body="영상미 최고. " + filler) for i in longs] + [Review(id="short", body="송강호의 연기가 최고")])
    try:
        assert ids(served_search(served, "송강호")) == ["short"]
        with connect(served) as slow:
            slow.sendall(request_frame(resident.search_request(SearchRequest("영상미 하다"))))
            answered = 0
            while not select.select([slow], [], [], 0)[0]:
                assert ids(served_search(served, "송강호")) == ["short"]
                answered += 1
            # the first might have come before the slow one began; the next ones came while it ran
            assert answered >= 3
            assert set(longs) <= set(ids(answer_of(slow)["results"]))
    finally:
        with ReviewIndex.open(served) as ix:
            ix.delete([*longs, "short"])


@pytest.mark.parametrize(("setting", "flags"), [("0", []), ("1", ["--no-resident"])], ids=["env", "flag"])
def test_turned_off_no_server_starts(served: Path, setting: str, flags: list[str], tmp_path: Path, monkeypatch) -> None:
    runtime = tmp_path / "run"
    monkeypatch.setenv("REVSEARCH_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("REVSEARCH_RESIDENT", setting)
    result = query(served, "사만다", "--json", *flags)
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 4
    assert not runtime.exists()


def test_status_shows_each_servers_memory_and_idle_time(served: Path) -> None:
    served_search(served, "사만다")
    [pid] = server_processes(served)
    time.sleep(1.1)
    status = CliRunner().invoke(main, ["resident", "status"])
    where = re.escape(str(served.resolve()))
    line = re.search(rf"pid {pid}  {where}  ([\d,]+) MB, up \d+ s, last query (\d+) s ago", status.output)
    assert line, status.output
    rss_kib = int(re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())[1])
    shown_mb = int(line[1].replace(",", ""))
    assert shown_mb > 100 and abs(shown_mb - rss_kib * 1024 / 1e6) < 50  # Kiwi is loaded: hundreds of MB
    assert int(line[2]) >= 1


def test_stop_ends_the_server(served: Path) -> None:
    served_search(served, "사만다")
    [pid] = server_processes(served)
    assert f"pid {pid}  {served.resolve()}" in CliRunner().invoke(main, ["resident", "status"]).output
    stopped = CliRunner().invoke(main, ["resident", "stop", "--index", str(served)])
    assert stopped.exit_code == 0 and f"stopped the resident server with pid {pid}" in stopped.output
    assert not resident.place(served).socket.exists() and wait_until(lambda: server_processes(served) == [])
    assert wait_until(lambda: files_of(served) == [])  # its lock and log too
    assert f"pid {pid}" not in CliRunner().invoke(main, ["resident", "status"]).output
    again = CliRunner().invoke(main, ["resident", "stop", "--index", str(served)])
    assert f"no resident server was running for {served}" in again.output


def test_a_stale_socket_is_replaced_and_a_server_without_its_socket_exits(fresh: Path) -> None:
    sock = resident.place(fresh).socket
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(sock))  # a server that died without removing its socket
    dead.close()
    assert sock.exists() and server_processes(fresh) == []
    assert ids(served_search(fresh, "연기")) == ["r1"]
    assert len(server_processes(fresh)) == 1
    sock.unlink()  # as when a cleaner empties the folder: the next query would start another server
    assert wait_until(lambda: server_processes(fresh) == [])


def test_concurrent_first_queries_start_one_server_which_exits_when_idle(fresh: Path, monkeypatch) -> None:
    monkeypatch.setenv("REVSEARCH_RESIDENT_IDLE", "0.5")
    answers: list[dict | None] = []
    clients = [
        threading.Thread(target=lambda: answers.append(resident.ask(fresh, resident.search_request(SearchRequest("연기")))))
        for _ in range(3)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    assert [answer and ids(answer) for answer in answers] == [["r1"]] * 3  # None: a client searched itself
    assert len(server_processes(fresh)) == 1
    sock = resident.place(fresh).socket
    assert wait_until(lambda: not sock.exists() and server_processes(fresh) == [])


def test_stop_is_answered_at_once_and_the_clients_being_served_still_are(fresh: Path) -> None:
    served_search(fresh, "연기")
    [pid] = server_processes(fresh)
    request = request_frame(resident.search_request(SearchRequest("연기")))
    with connect(fresh) as slow:
        slow.sendall(request[:10])
        with connect(fresh) as stopping:
            stopping.sendall(request_frame(ipc.request("stop")))
            assert answer_of(stopping) == {"stopped": pid}
        assert not resident.place(fresh).socket.exists()
        slow.sendall(request[10:])
        assert ids(answer_of(slow)["results"]) == ["r1"]
    assert wait_until(lambda: server_processes(fresh) == [])


def test_many_clients_at_once_are_all_answered_by_a_bounded_number_of_threads(fresh: Path) -> None:
    served_search(fresh, "연기")  # the server runs, with one client thread
    [pid] = server_processes(fresh)
    threads = lambda: len(list(Path(f"/proc/{pid}/task").iterdir()))  # noqa: E731
    before = threads()
    clients = [connect(fresh) for _ in range(resident.MAX_CLIENTS + 8)]  # the last ones wait to be accepted
    try:
        assert wait_until(lambda: threads() == before + resident.MAX_CLIENTS - 1)
        for client in clients:
            client.sendall(request_frame(resident.search_request(SearchRequest("연기"))))
        assert [ids(answer_of(client)["results"]) for client in clients] == [["r1"]] * len(clients)
        assert threads() == before + resident.MAX_CLIENTS - 1
    finally:
        for client in clients:
            client.close()


def test_the_first_query_in_a_terminal_says_it_started_a_server_and_how_to_stop_it(fresh: Path) -> None:
    first, said = revsearch("query", "연기", "--index", "ix", cwd=fresh.parent, terminal=True)
    assert first.returncode == 0 and "배우들 [연기]가" in first.stdout
    [pid] = server_processes(fresh)
    assert "loading the Korean analyzer…" in said  # while the server loads Kiwi
    note = re.search(r"started a resident query server for ix/ \(pid (\d+), ([\d,]+) MB\).*$", said, re.MULTILINE)
    assert note and int(note[1]) == pid and int(note[2].replace(",", "")) > 100, said
    assert "exits after 10 minutes without a query" in note[0]
    stop = re.search(r"To stop it now: (.*?)(\x1b|\r|$)", note[0])[1]
    assert stop == "revsearch resident stop --index ix"
    again, said = revsearch("query", "연기", "--index", "ix", cwd=fresh.parent, terminal=True)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert "started" not in said and "loading" not in said  # once: when it starts
    stopped, _ = revsearch(*shlex.split(stop)[1:], cwd=fresh.parent)  # the command, pasted
    assert f"stopped the resident server with pid {pid}" in stopped.stdout
    shell, said = revsearch("shell", "--index", "ix", cwd=fresh.parent, stdin="연기\n", terminal=True)
    assert shell.returncode == 0 and "배우들 [연기]가" in shell.stdout and "loading the Korean analyzer…" in said


def test_piped_the_first_query_says_nothing_on_stderr(fresh: Path) -> None:
    for flags in ([], ["--no-resident"]):
        done, said = revsearch("query", "연기", "--index", "ix", *flags, cwd=fresh.parent)
        assert done.returncode == 0 and "배우들 [연기]가" in done.stdout and said == ""
        assert len(server_processes(fresh)) == 1  # started by the first, quietly


def test_the_files_of_a_killed_server_are_removed_by_the_next_status_or_query(fresh: Path, served: Path) -> None:
    served_search(served, "사만다")  # a server that runs: its files stay
    served_files = files_of(served)
    served_search(fresh, "연기")
    [pid] = server_processes(fresh)
    os.kill(pid, signal.SIGKILL)
    assert wait_until(lambda: ended(pid))
    key = resident.place(fresh).socket.stem
    assert files_of(fresh) == [f"{key}.lock", f"{key}.log", f"{key}.sock"]  # a killed server leaves them
    assert CliRunner().invoke(main, ["resident", "status"]).exit_code == 0
    assert files_of(fresh) == [] and files_of(served) == served_files
    older = leftovers("0123456789abcdef")  # of a server of an older revsearch, killed
    assert ids(served_search(fresh, "연기")) == ["r1"]  # a query starting a server removes them
    assert not any(path.exists() for path in older) and files_of(served) == served_files


def test_the_files_of_a_server_being_started_are_left_alone(runtime: Path) -> None:
    files = leftovers("fedcba9876543210")  # no server answers yet: as while a client starts one
    with open(files[1], "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the client starting it holds the lock
        assert CliRunner().invoke(main, ["resident", "status"]).exit_code == 0
        assert all(path.exists() for path in files)
    CliRunner().invoke(main, ["resident", "status"])
    assert not any(path.exists() for path in files)


def test_stop_all_stops_a_server_whose_index_was_deleted_and_removes_dead_records(fresh: Path, served: Path) -> None:
    served_search(served, "사만다")
    [pid] = server_processes(served)
    served_search(fresh, "연기")
    [gone] = server_processes(fresh)
    shutil.rmtree(fresh)
    dead = leftovers("00112233445566aa")
    stopped = CliRunner().invoke(main, ["resident", "stop", "--all"])
    assert stopped.exit_code == 0, stopped.output
    said = re.findall(r"stopped the resident server with pid (\d+)", stopped.output)
    assert sorted(map(int, said)) == sorted([pid, gone])
    assert wait_until(lambda: server_processes(served) == [] and server_processes(fresh) == [])
    assert not any(path.exists() for path in dead)
    assert sorted(resident.runtime_dir().iterdir()) == []
