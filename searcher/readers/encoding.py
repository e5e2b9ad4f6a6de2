"""Which encoding a source file is in, told from its first bytes.

Korean files come as UTF-8 (with or without a BOM), UTF-16 with a BOM (Windows
"Unicode text"), or CP949/EUC-KR (older Windows tools, Excel's Korean CSV,
old Naver and Daum pages). The check is a fixed chain — BOM, then strict
UTF-8, then CP949 — rather than a statistical guess: CP949 bytes are almost
never valid UTF-8, so the first codec that decodes the head is the right one,
and the same file always gets the same answer. CP949 stands in for EUC-KR, of
which it is a superset (EUC-KR text decodes the same; 똠 and 햏 only in CP949).

Decoding is not enough to call a file text. A file is binary when its head is
mostly not text: over 30% of its non-space characters are control characters;
fewer are stripped from the text as it is read (:class:`WithoutControls`), and
the rest is indexed.

And as CP949 decodes nearly any run of bytes of 0x81 and up, a head guessed to
be CP949 must read as Korean. Of its 11,172 Hangul syllables Korean text is
written with the 2,350 of KS X 1001 (EUC-KR's code, which chose them by use):
in NSMC's 357,000 reviews 99.9% of syllables are those, and no review with 8
different syllables or more has a third of them rare. Random bytes decode to
syllables 79% of which are rare. Text with few Hangul syllables (Japanese,
Chinese, English) is not judged.
"""

from __future__ import annotations

import codecs
import io
import re
import sys
from pathlib import Path
from typing import BinaryIO, Iterator, TextIO

from searcher.errors import ReadError

#: Byte order marks and the codec that reads (and drops) them; UTF-32 first, as its LE mark starts with UTF-16's.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
#: Codecs a page cannot declare: the HTML standard reads a declared UTF-16/32 as UTF-8.
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


#: Control characters, which text never holds: C0 but tab, line feed and carriage return; DEL; C1.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: What strip_controls takes out: those, a terminal's control sequence (ESC or CSI, parameters,
#: final byte: colours) whole. Searched for only where _CONTROL is found: it is five times slower.
_STRIPPED = re.compile("[\x1b\x9b]\\[?[0-?]*[ -/]*[@-~]|" + _CONTROL.pattern)
#: What is not text in a head: control characters but VT and FF (breaks, which strip_controls makes spaces).
_NOT_TEXT = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_NOT_SPACE = re.compile(r"\S")
#: The share of control characters that makes a file binary (Perl's ``-B`` rule): text with stray
#: ones holds a few percent, data that decodes at all (NUL padding, small integers) far more.
BINARY_SHARE = 0.3


def _common_syllables() -> frozenset[str]:
    """The 2,350 Hangul syllables of KS X 1001 (EUC-KR's code, which chose them by use)."""
    pairs = (bytes((lead, trail)) for lead in range(0xB0, 0xC9) for trail in range(0xA1, 0xFF))
    return frozenset(b"".join(pairs).decode("cp949"))


_COMMON_SYLLABLES = _common_syllables()
_SYLLABLE = re.compile("[\uac00-\ud7a3]")
#: How many different Hangul syllables a CP949 head needs to be judged for being Korean: a few
#: prove nothing (reviews of internet slang such as 앜ㅋㅋ or 아햏햏 hold more rare ones than common).
_JUDGED_FROM = 8


def strip_controls(text: str) -> str:
    """``text`` without control characters and control sequences; VT and FF become spaces."""
    return _STRIPPED.sub(_replace_control, text) if _CONTROL.search(text) else text


def _replace_control(match: re.Match[str]) -> str:
    return " " if match[0] in "\x0b\x0c" else ""


class WithoutControls(io.TextIOBase):
    """A text stream read through :func:`strip_controls`, as the readers read a source file:
    control characters among text cost only themselves."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> str:
        while True:  # a chunk of nothing but control characters is not the end of the stream
            chunk = self._stream.read(size)
            text = strip_controls(chunk)
            if text or not chunk:
                return text

    def readline(self, size: int | None = -1) -> str:
        return strip_controls(self._stream.readline(size))

    def __iter__(self) -> Iterator[str]:
        # a generator, and the quick search first: this runs for each line of a large export
        search = _CONTROL.search
        for line in self._stream:
            yield strip_controls(line) if search(line) else line

    def fileno(self) -> int:
        return self._stream.fileno()


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

    A BOM decides. With ``html`` a ``<meta>`` charset declaration in the head is
    used when the head decodes with it. Then UTF-8 if the head decodes as UTF-8,
    else CP949 if it decodes as CP949 and reads as Korean. Raises
    :class:`NotTextError` for a head that is binary (mostly control characters,
    or NUL bytes that do not decode), random bytes, or undecodable.
    """
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec
    declared = _declared_charset(head) if html else None
    errors = []
    for codec in filter(None, (declared, "utf-8", "cp949")):
        try:
            text = decode_head(head, codec)
        except UnicodeDecodeError as error:
            errors.append(error)
            continue
        _check_text(text)
        if codec == "cp949" and codec != declared:
            _check_korean(text)
        return codec
    if b"\0" in head:
        raise NotTextError("binary file, not text")
    offset = max(error.start for error in errors if error.encoding in ("utf-8", "cp949"))
    raise NotTextError(
        f"cannot decode as UTF-8 or CP949 (byte 0x{head[offset]:02x} at offset {offset}); "
        "save the file as UTF-8 or give its encoding with --encoding",
        line=head.count(b"\n", 0, offset) + 1,
    )


def check_not_binary(head: bytes, codec: str) -> None:
    """Raise :class:`NotTextError` if ``head``, decoded with ``codec``, is mostly not text (see _check_text)."""
    _check_text(decode_head(head, codec, ESCAPE_ERRORS))


def _check_text(text: str) -> None:
    """Raise :class:`NotTextError` for a binary file: more than BINARY_SHARE of the non-space
    characters of its decoded head are control characters. (Bytes that did not decode are a wrong
    encoding's sign, reported as such.)"""
    if not _NOT_TEXT.search(text):  # nearly every file: half the time of counting none
        return
    if len(_NOT_TEXT.findall(text)) > BINARY_SHARE * len(_NOT_SPACE.findall(text)):
        raise NotTextError("binary file, not text")


def _check_korean(text: str) -> None:
    """Raise :class:`NotTextError` for random bytes read as CP949: more than half of the
    different Hangul syllables in its head are rare ones (see the module docstring)."""
    syllables = set(_SYLLABLE.findall(text))
    if len(syllables) < _JUDGED_FROM:
        return
    rare = len(syllables - _COMMON_SYLLABLES)
    if rare * 2 > len(syllables):
        raise NotTextError(
            f"not text (random bytes: read as CP949, {rare} of its {len(syllables)} different Hangul syllables "
            "are ones Korean text seldom holds); if it is text, give its encoding with --encoding"
        )


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
