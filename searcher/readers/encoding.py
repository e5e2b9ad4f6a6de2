"""Which encoding a source file is in, told from its first bytes.

Korean files come as UTF-8 (with or without a BOM), UTF-16 with a BOM (Windows
"Unicode text"), or CP949/EUC-KR (older Windows tools, Excel's Korean CSV,
old Naver and Daum pages). The check is a fixed chain — BOM, then strict
UTF-8, then CP949 — rather than a statistical guess: CP949 bytes are almost
never valid UTF-8, so the first codec that decodes the head is the right one,
and the same file always gets the same answer. CP949 stands in for EUC-KR, of
which it is a superset (EUC-KR text decodes the same; 똠 and 햏 only in CP949).
"""

from __future__ import annotations

import codecs
import io
import re
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from searcher.errors import ReadError

#: Byte order marks and the codec that reads (and drops) them; UTF-32 first, as its LE mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Codecs whose text is full of NUL bytes, so NULs do not mean the file is binary.
_WIDE = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
#: Labels the web uses for EUC-KR (WHATWG Encoding Standard) that Python does not know by these names.
_EUC_KR_LABELS = frozenset(
    {"cseuckr", "csksc56011987", "iso-ir-149", "ks_c_5601-1989", "ksc_5601", "windows-949", "x-windows-949"}
)
#: ``<meta charset="euc-kr">`` and ``<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">``.
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([-\w.:]+)""", re.IGNORECASE)
_CHUNK = 1 << 16
#: The decoding error handler source files are read with: each run of bytes the codec cannot
#: decode becomes MARK and then U+DC00 + each byte (surrogateescape's code points, which it
#: gives only for bytes of 0x80 and up: not for a broken UTF-16 pair's), so the text goes on
#: and the record holding them can be left out alone.
ESCAPE_ERRORS = "revsearch-undecodable"
#: Strict decoding never gives a lone surrogate, so this one means "bytes here did not decode";
#: ``MARK in text`` is the quick test (a regular expression for the U+DC00 range would take a
#: quarter of the time json takes on a record), :func:`undecodable` the error.
MARK = "\ud800"


def _escape(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return MARK + "".join(chr(0xDC00 + byte) for byte in error.object[error.start : error.end]), error.end


codecs.register_error(ESCAPE_ERRORS, _escape)


class NotTextError(ValueError):
    """The file's head shows it is not text in an encoding that can be told: binary, or undecodable."""

    def __init__(self, reason: str, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


class UndecodableError(ReadError):
    """A record holding a byte its file's encoding cannot decode (``byte``, at ``line``); read_file
    words the message with the encoding and what to do."""

    def __init__(self, path: str | Path, line: int, byte: int):
        super().__init__(path, f"cannot decode byte 0x{byte:02x}", line)
        self.byte = byte


def undecodable(
    path: str | Path, text: str, line: int, start: int = 0, end: int = sys.maxsize
) -> UndecodableError | None:
    """The error for ``text[start:end]`` (decoded with ESCAPE_ERRORS, ``start`` at ``line``) if it
    holds bytes that did not decode, naming the first and its line; None if it all decoded."""
    at = text.find(MARK, start, end)
    if at < 0:
        return None
    return UndecodableError(path, line + text.count("\n", start, at), ord(text[at + 1]) - 0xDC00)


def read_chunk(stream: TextIO, size: int) -> str:
    """``stream.read(size)``, one character longer when it would end between the mark of bytes
    that did not decode and the bytes, which :func:`undecodable` reads together."""
    chunk = stream.read(size)
    return chunk + stream.read(1) if chunk.endswith(MARK) else chunk


def resolve_encoding(label: str) -> str:
    """The Python codec to read text labelled ``label`` (a user's ``--encoding``, a page's charset).

    EUC-KR labels give CP949, its superset, and UTF-8 gives ``utf-8-sig`` so a BOM
    is dropped either way. Raises LookupError for a name that is not a text encoding.
    """
    name = label.strip().lower()
    if name in _EUC_KR_LABELS:
        return "cp949"
    io.TextIOWrapper(io.BytesIO(), encoding=name)  # LookupError for unknown names and bytes-to-bytes codecs (base64)
    codec = codecs.lookup(name).name
    return {"euc_kr": "cp949", "utf-8": "utf-8-sig"}.get(codec, codec)


def detect_encoding(head: bytes, *, html: bool = False) -> str:
    """The codec for a file starting with ``head`` (its first bytes, possibly cut mid-character).

    A BOM decides; otherwise NUL bytes mean a binary file. With ``html`` a
    ``<meta>`` charset declaration in the head is used when the head decodes with
    it. Then UTF-8 if the head decodes as UTF-8, else CP949 if it decodes as
    CP949. Raises :class:`NotTextError` for a binary or undecodable head.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    check_not_binary(head, "utf-8")
    if html and (declared := _declared_charset(head)) and _decode_error(head, declared) is None:
        return declared
    errors = []
    for codec in ("utf-8", "cp949"):
        error = _decode_error(head, codec)
        if error is None:
            return codec
        errors.append(error)
    offset = max(error.start for error in errors)
    raise NotTextError(
        f"cannot decode as UTF-8 or CP949 (byte 0x{head[offset]:02x} at offset {offset}); "
        "save the file as UTF-8 or give its encoding with --encoding",
        line=head.count(b"\n", 0, offset) + 1,
    )


def check_not_binary(head: bytes, codec: str) -> None:
    """Raise :class:`NotTextError` if ``head`` holds NUL bytes and ``codec`` is not UTF-16/32."""
    if b"\0" in head and codecs.lookup(codec).name not in _WIDE:
        raise NotTextError("binary file, not text")


def decode_head(head: bytes, codec: str, errors: str = "strict") -> str:
    """``head`` decoded, without a character cut at its end; raises UnicodeDecodeError when ``errors`` is strict."""
    return codecs.getincrementaldecoder(codec)(errors).decode(head, final=False)


def find_decode_error(binary: BinaryIO, codec: str) -> tuple[int, int, int] | None:
    """Where ``binary``, read from its current position, first fails to decode with ``codec``:
    (byte offset, line number, the byte), or None if it all decodes. Reads in chunks, so any
    file size is fine; used to name the line after a decode error found mid-stream."""
    decoder = codecs.getincrementaldecoder(codec)()
    offset, line = 0, 1
    while True:
        chunk = binary.read(_CHUNK)
        state = decoder.getstate()
        try:
            line += decoder.decode(chunk, final=not chunk).count("\n")
        except UnicodeDecodeError as exc:
            # exc.object ends with this chunk (after bytes held over from the last one, or a dropped BOM)
            bad = offset + len(chunk) - (len(exc.object) - exc.start)
            decoder.setstate(state)
            before = decoder.decode(chunk[: max(bad - offset, 0)])
            return bad, line + before.count("\n"), exc.object[exc.start]
        if not chunk:
            return None
        offset += len(chunk)


def _declared_charset(head: bytes) -> str | None:
    """The codec a page's ``<meta>`` tag declares, or None (none, unknown, or UTF-16/32, which a
    declaration cannot be: the HTML standard reads those as UTF-8)."""
    match = _META_CHARSET.search(head)
    if not match:
        return None
    try:
        codec = resolve_encoding(match[1].decode("ascii"))
    except (LookupError, UnicodeDecodeError):
        return None
    return None if codecs.lookup(codec).name in _WIDE else codec


def _decode_error(head: bytes, codec: str) -> UnicodeDecodeError | None:
    try:
        decode_head(head, codec)
    except UnicodeDecodeError as exc:
        return exc
    return None
