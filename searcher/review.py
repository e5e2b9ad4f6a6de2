"""The one record that flows through revsearch: readers produce it, the index stores it, hits carry it."""

from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


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


def stable_id(path: str | Path, record: int | None = None) -> str:
    """An id that stays the same each time the same file (and record in it) is read,
    so re-indexing a file replaces its reviews: the first 16 hex digits of the SHA-1
    of the resolved absolute path, with ``#<record>`` for files holding many reviews."""
    key = str(Path(path).resolve())
    if record is not None:
        key += f"#{record}"
    return hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:16]
