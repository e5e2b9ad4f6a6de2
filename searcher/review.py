"""The one record that flows through revsearch: readers produce it, the index stores it, hits carry it."""

from __future__ import annotations

import datetime as _dt
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any


#: Lone surrogates: what a JSON escape such as ``"\ud800"`` or a file name that
#: is not UTF-8 leaves in a str. No text holding one can be encoded, stored or shown.
SURROGATES = re.compile("[\ud800-\udfff]")


@dataclass
class Review:
    """A review as read from a source.

    ``keywords_derived`` is True when the keywords were not given by the source
    but derived from the text (its most salient nouns). ``extra`` holds what
    else a source carries (description, language, …) so nothing is thrown away.
    """

    id: str
    title: str = ""
    body: str = ""
    author: str | None = None
    date: _dt.date | None = None
    keywords: list[str] = field(default_factory=list)
    keywords_derived: bool = False
    category: str | None = None
    source: str | None = None
    rating: float | None = None
    item: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the date as ISO text), in field order. A copy of
        the instance's own dict: ``dataclasses.asdict`` deep-copies, which cost
        5% of indexing."""
        data = dict(self.__dict__)
        data["date"] = self.date.isoformat() if self.date else None
        data["keywords"] = list(self.keywords)
        data["extra"] = dict(self.extra)
        return data

    def cleaned(self) -> Review:
        """This review with every lone surrogate in its texts (``extra``
        included, keys and values at any depth) made U+FFFD; the review itself
        when it holds none, as nearly all do."""
        try:  # the common case first, in one C call: text with a lone surrogate cannot be encoded
            f"{self.id}{self.title}{self.body}{self.author}{self.category}{self.source}{self.item}".encode()
            if not _dirty(self.keywords) and not _dirty(self.extra):
                return self
        except UnicodeEncodeError:
            pass
        changes = {name: _cleaned(value) for name, value in self.__dict__.items() if _dirty(value)}
        return replace(self, **changes)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Review:
        """Inverse of :meth:`to_dict`; unknown keys go to ``extra``."""
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        extra = dict(values.pop("extra", None) or {})
        extra.update({k: v for k, v in data.items() if k not in known})
        date = values.get("date")
        if isinstance(date, str):
            values["date"] = _dt.date.fromisoformat(date) if date else None
        return cls(**values, extra=extra)


def _dirty(value: Any) -> bool:
    """Whether ``value`` (text, or a list or dict of them) holds a lone surrogate."""
    if isinstance(value, str):
        return SURROGATES.search(value) is not None
    if isinstance(value, dict):
        return any(_dirty(k) or _dirty(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_dirty(v) for v in value)
    return False


def _cleaned(value: Any) -> Any:
    """``value`` with its lone surrogates made U+FFFD, at any depth."""
    if isinstance(value, str):
        return SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_cleaned(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cleaned(v) for v in value]
    return value


def stable_id(path: str | Path, record: int | None = None) -> str:
    """An id that stays the same each time the same file (and record in it) is read,
    so re-indexing a file replaces its reviews: the first 16 hex digits of the SHA-1
    of the resolved absolute path, with ``#<record>`` for files holding many reviews."""
    key = str(Path(path).resolve())
    if record is not None:
        key += f"#{record}"
    return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
