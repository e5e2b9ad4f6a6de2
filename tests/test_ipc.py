"""searcher.ipc, the protocol of revsearch's process boundaries: frames that
are read whole or not at all, JSON bodies that are objects, and commands
answered by a handler's ``cmd_`` methods, a bad request with an error answer,
over a pipe and over a resident server's socket."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
import time
from pathlib import Path

import pytest

from searcher import ReviewIndex, ipc, resident
from searcher.request import SearchRequest


class Counter:
    """A handler of two commands."""

    def __init__(self) -> None:
        self.total = 0

    def cmd_add(self, amount: int, times: int = 1) -> dict:
        self.total += amount * times
        return {"total": self.total}

    def cmd_fail(self) -> dict:
        return {"total": len(None)}  # a TypeError of the method's own


def test_frames_cross_a_pipe_whole_and_in_order() -> None:
    read_end, write_end = os.pipe()
    bodies = [b"", b"x", "사만다".encode(), bytes(range(256)) * 5000]  # the last more than a pipe holds

    def write() -> None:
        with open(write_end, "wb") as out:
            for body in bodies:
                ipc.write_frame(out, body)
            out.write(ipc.frame(b"last"))

    writer = threading.Thread(target=write)
    writer.start()
    with open(read_end, "rb") as source:
        assert list(ipc.frames(source)) == [*bodies, b"last", None]
    writer.join()


def test_a_frame_arriving_in_pieces_on_a_raw_pipe_is_read_whole() -> None:
    read_end, write_end = os.pipe()
    sent = ipc.frame(b"0123456789" * 1000)

    def trickle() -> None:
        with open(write_end, "wb", buffering=0) as out:
            for piece in (sent[:3], sent[3:8], sent[8:20], sent[20:5000], sent[5000:]):
                out.write(piece)
                time.sleep(0.01)

    writer = threading.Thread(target=trickle)
    writer.start()
    with open(read_end, "rb", buffering=0) as source:  # each read returns what has arrived
        assert ipc.read_frame(source) == b"0123456789" * 1000
        writer.join()
        assert ipc.read_frame(source) is None


@pytest.mark.parametrize("cut", [0, 3, 8, 9, 12], ids=["nothing", "head", "head-only", "body-begun", "body-short"])
def test_a_frame_cut_short_reads_as_none_and_receives_as_eof(cut: int) -> None:
    sent = ipc.frame(b"hello") * 2  # 13 bytes each
    assert ipc.read_frame(io.BytesIO(sent[:cut])) is None
    assert list(ipc.frames(io.BytesIO(sent[: 13 + cut]))) == [b"hello", None]
    pickled = io.BytesIO()
    ipc.send(pickled, {"reviews": ["r1"]})
    whole = pickled.getvalue()
    assert ipc.receive(io.BytesIO(whole)) == {"reviews": ["r1"]}
    with pytest.raises(EOFError):
        ipc.receive(io.BytesIO(whole[: min(cut, len(whole) - 1)]))


def test_a_head_announcing_more_than_the_largest_frame_reads_as_none() -> None:
    too_long = ipc.FRAME_HEAD.pack(ipc.MAX_FRAME + 1) + b"x" * 100
    assert ipc.read_frame(io.BytesIO(too_long)) is None
    garbage = b'{"op": "status"}\n'  # a JSON line, as revsearch's resident protocol once was
    assert ipc.read_frame(io.BytesIO(garbage)) is None


def test_any_string_crosses_in_a_json_body_of_ascii() -> None:
    message = ipc.request("search", query="\udcff사만다\x1b[2J\u202e\n", limit=3, author=None)
    body = ipc.to_json(message)
    assert body.isascii() and b"\n" not in body
    assert ipc.from_json(body) == message
    assert message == {"command": "search", "query": "\udcff사만다\x1b[2J\u202e\n", "limit": 3, "author": None}


@pytest.mark.parametrize(
    "body", [b"[1, 2]", b'"search"', b"3", b"null", b"", b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000],
    ids=["list", "string", "number", "null", "empty", "cut", "not-utf8", "deep"],
)
def test_a_json_body_that_is_not_an_object_is_refused(body: bytes) -> None:
    with pytest.raises(ValueError):
        ipc.from_json(body)


def test_dispatch_calls_the_handlers_method_of_the_command() -> None:
    counter = Counter()
    assert ipc.dispatch(counter, ipc.request("add", amount=2)) == {"total": 2}
    assert ipc.dispatch(counter, ipc.request("add", amount=2, times=3)) == {"total": 8}


@pytest.mark.parametrize(
    "message",
    [
        ipc.request("subtract", amount=1),  # no such command
        ipc.request("__init__"),
        {"amount": 1},  # no command
        {"command": ["add"], "amount": 1},
        ipc.request("add"),  # an argument missing
        ipc.request("add", amount=1, by="me"),  # one it does not take
        ipc.request("add", amount=1, self=None),
        ipc.request("fail", now=True),
    ],
    ids=["unknown", "dunder", "none", "not-a-name", "missing", "unexpected", "self", "unexpected-fail"],
)
def test_a_bad_request_is_answered_with_a_protocol_error(message: dict) -> None:
    counter = Counter()
    answer = ipc.dispatch(counter, message)
    assert set(answer) == {"error"} and answer["error"]["kind"] == "ProtocolError"
    assert isinstance(answer["error"]["message"], str) and counter.total == 0


def test_an_error_in_the_method_itself_is_not_taken_for_bad_arguments() -> None:
    with pytest.raises(TypeError, match="NoneType"):
        ipc.dispatch(Counter(), ipc.request("fail"))


# ------------------------------------------------------ a resident server's socket


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch) -> Path:
    """Resident mode on (tests/conftest.py turns it off), sockets in a folder of this test."""
    monkeypatch.setenv("REVSEARCH_RESIDENT", "1")
    monkeypatch.setenv("REVSEARCH_RUNTIME_DIR", str(tmp_path / "run"))
    return tmp_path / "run"


@pytest.fixture
def unusable_index(tmp_path: Path) -> Path:
    """An index of a newer revsearch: its server answers without loading it (nor Kiwi), so starts at once."""
    folder = tmp_path / "ix"
    with ReviewIndex.create(folder):
        pass
    meta = folder / "revsearch.json"
    meta.write_text(json.dumps(dict(json.loads(meta.read_text()), schema=999)))
    return folder


def exchange(index: Path, request: dict) -> dict | None:
    """The answer of the server of ``index`` to ``request``, sent over its socket; None if it sends none."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(str(resident.place(index).socket))
        conn.sendall(ipc.frame(ipc.to_json(request)))
        conn.shutdown(socket.SHUT_WR)
        with conn.makefile("rb") as reader:
            body = ipc.read_frame(reader)
    return None if body is None else ipc.from_json(body)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")
def test_a_resident_server_answers_a_bad_request_with_a_protocol_error_and_serves_on(
    runtime: Path, unusable_index: Path,
) -> None:
    try:
        assert resident.ask(unusable_index, ipc.request("reindex")) is None  # it started the server: no results
        [server] = resident.servers()
        for request in (
            ipc.request("reindex"),
            ipc.request("search", query="사만다"),  # arguments missing
            ipc.request("status", verbose=True),
            {"query": "사만다"},
        ):
            answer = exchange(unusable_index, request)
            assert answer is not None and answer["error"]["kind"] == "ProtocolError", answer
        assert exchange(unusable_index, ipc.request("status"))["pid"] == server["pid"]
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:  # a JSON line: not a frame
            conn.settimeout(30)
            conn.connect(str(resident.place(unusable_index).socket))
            conn.sendall(b'{"op": "status"}\n')
            conn.shutdown(socket.SHUT_WR)
            assert conn.recv(100) == b""  # closed unanswered
        assert exchange(unusable_index, ipc.request("status"))["pid"] == server["pid"]
    finally:
        resident.stop(unusable_index)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")
@pytest.mark.parametrize(
    "answer",
    [b'{"results": {"hits": []}}\n', ipc.frame(b"[1]"), ipc.frame(b'{"results"'), ipc.frame(b"x" * 100)[:50], b""],
    ids=["json-line", "not-an-object", "not-json", "cut", "nothing"],
)
def test_a_server_answering_garbage_is_no_server(runtime: Path, unusable_index: Path, answer: bytes) -> None:
    sock = resident.place(unusable_index).socket
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock))
    listener.listen(1)
    listener.settimeout(10)
    asked = []

    def serve() -> None:
        conn = listener.accept()[0]
        with conn, conn.makefile("rb") as reader:
            asked.append((ipc.from_json(ipc.read_frame(reader)), reader.read()))  # and the client's side closed
            conn.sendall(answer)

    server = threading.Thread(target=serve)
    server.start()
    try:
        assert resident.ask(unusable_index, resident.search_request(SearchRequest("사만다"))) is None
        server.join(10)
        assert asked == [(resident.search_request(SearchRequest("사만다")), b"")]
    finally:
        listener.close()
