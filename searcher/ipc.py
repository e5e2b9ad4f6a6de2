"""The one protocol of revsearch's process boundaries: a resident server's
socket and the pipes of an ingest's analysis process.

A message crosses as a frame: its length (8 bytes, little-endian), then its
body. Requests name a command and its arguments (``{"command": "search",
...}``); a server answers each by the method ``cmd_<command>`` of its handler
(as mypy's dmypy does), with a dict. Bodies are JSON in ASCII between a client
and the resident server (any string, a lone surrogate included, crosses as
it is), and pickles between a parent and the child process it started (the
same code on both ends: nothing else writes to that pipe).
"""

from __future__ import annotations

import json
import pickle
import struct
from typing import Any, BinaryIO, Iterator

#: A frame's head: the length of its body.
FRAME_HEAD = struct.Struct("<Q")
#: The largest frame taken (a search's answer is kilobytes; a batch of analysed reviews a few megabytes).
MAX_FRAME = 1 << 32
#: The most bytes asked of a stream at once while reading a frame.
_PIECE = 1 << 20


def frame(body: bytes) -> bytes:
    """``body`` as a frame, ready to write or send."""
    return FRAME_HEAD.pack(len(body)) + body


def write_frame(out: BinaryIO, body: bytes) -> None:
    """Write ``body`` as a frame to ``out`` (the caller flushes it)."""
    out.write(FRAME_HEAD.pack(len(body)))
    out.write(body)


def read_frame(source: BinaryIO) -> bytes | None:
    """The next frame's body from ``source``; None if it ends (or is cut) before
    a whole frame, or its head announces more than MAX_FRAME bytes."""
    head = _read_exactly(source, FRAME_HEAD.size)
    if head is None:
        return None
    size = FRAME_HEAD.unpack(head)[0]
    return _read_exactly(source, size) if size <= MAX_FRAME else None


def _read_exactly(source: BinaryIO, size: int) -> bytes | None:
    """``size`` bytes of ``source``; None if it ends before. Read a piece at a
    time: a raw pipe returns what has arrived, and a head of garbage (a
    length never sent) costs no more memory than what did arrive."""
    pieces, left = [], size
    while left:
        piece = source.read(min(left, _PIECE))
        if not piece:
            return None
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


def frames(source: BinaryIO) -> Iterator[bytes | None]:
    """The frames' bodies read from ``source``, then None once it ends."""
    while (body := read_frame(source)) is not None:
        yield body
    yield None


# ---------------------------------------------------------------- bodies


def to_json(message: dict[str, Any]) -> bytes:
    """A message as a JSON body (ASCII: any text escaped)."""
    return json.dumps(message).encode("ascii")


def from_json(body: bytes) -> dict[str, Any]:
    """A JSON body's message; ValueError if it is not a JSON object."""
    try:
        message = json.loads(body)
    except RecursionError as e:  # nested deeper than Python's stack: garbage, as any other
        raise ValueError("a message nests too deep") from e
    if not isinstance(message, dict):
        raise ValueError("a message is a JSON object")
    return message


def send(out: BinaryIO, item: object) -> None:
    """Write ``item`` pickled, as one frame (to or from a child process)."""
    write_frame(out, pickle.dumps(item, pickle.HIGHEST_PROTOCOL))


def receive(source: BinaryIO) -> Any:
    """The next pickled item from ``source`` (sent by :func:`send`); EOFError if it ended."""
    body = read_frame(source)
    if body is None:
        raise EOFError("the other process closed the pipe")
    return pickle.loads(body)


# ---------------------------------------------------------------- commands


def request(command: str, **arguments: Any) -> dict[str, Any]:
    """A request for ``command`` with its arguments."""
    return {"command": command, **arguments}


def dispatch(handler: object, message: dict[str, Any]) -> dict[str, Any]:
    """The answer of ``handler`` to a request: its method ``cmd_<command>``
    called with the request's arguments. An unknown command, or arguments the
    method does not take, are answered with an error."""
    arguments = dict(message)
    command = arguments.pop("command", None)
    method = getattr(handler, f"cmd_{command}", None) if isinstance(command, str) else None
    if method is None:
        return {"error": {"kind": "ProtocolError", "message": f"unknown command {command!r}"}}
    try:
        return method(**arguments)
    except TypeError as e:
        if e.__traceback__ is not None and e.__traceback__.tb_next is None:  # the call itself, not the method's body
            return {"error": {"kind": "ProtocolError", "message": f"bad arguments for {command!r}: {e}"}}
        raise
