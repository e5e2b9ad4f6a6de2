"""The one record that flows through revsearch: readers produce it, the index stores it, hits carry it."""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
import os
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from searcher.dates import parse_date


#: Lone surrogates: what a JSON escape such as ``"\ud800"`` or a file name that
#: is not UTF-8 leaves in a str. No text holding one can be encoded, stored or shown.
SURROGATES = re.compile("[\ud800-\udfff]")
_TEXT_OR_NONE = (str, type(None))


@dataclass
class Review:
    """A review as read from a source.

    ``keywords_derived`` is True when the keywords were not given by the source
    but derived from the text (its most salient nouns). ``extra`` holds what
    else a source carries (description, language, …) so nothing is thrown away.

    Made, a Review checks its values and converts what the readers would: a date
    written as text (``"2024-05-01"``, ``"2024. 5. 1."``: see :mod:`searcher.dates`),
    a rating that is an int or numeric text, a ``source`` that is a path. A value
    of the wrong type raises TypeError, one that cannot be read ValueError, each
    naming the field.
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

    def __post_init__(self) -> None:
        # the quick test first: the readers give the right types, and 357,000 reviews pass here
        if (
            type(self.id) is str and self.id and type(self.title) is str and type(self.body) is str
            and type(self.keywords) is list and type(self.extra) is dict and type(self.keywords_derived) is bool
            and type(self.author) in _TEXT_OR_NONE and type(self.item) in _TEXT_OR_NONE
            and type(self.category) in _TEXT_OR_NONE and type(self.source) in _TEXT_OR_NONE
            and (self.date is None or type(self.date) is _dt.date)
            and (self.rating is None or type(self.rating) is float and math.isfinite(self.rating))
            and (not self.keywords or all(type(keyword) is str for keyword in self.keywords))
        ):
            return
        self._convert()

    def _convert(self) -> None:
        """Check each value, converting those the readers would (see the class docstring)."""
        if not isinstance(self.id, str) or not self.id:
            raise (TypeError if not isinstance(self.id, str) else ValueError)(
                f"Review.id must be a non-empty str, not {_described(self.id)}"
            )
        for name in ("title", "body"):
            _require(name, getattr(self, name), str)
        if isinstance(self.source, os.PathLike):
            self.source = os.fspath(self.source)
        for name in ("author", "category", "source", "item"):
            _require(name, getattr(self, name), _TEXT_OR_NONE, "a str or None")
        if isinstance(self.keywords, tuple):
            self.keywords = list(self.keywords)
        if not isinstance(self.keywords, list) or not all(isinstance(k, str) for k in self.keywords):
            raise TypeError(f"Review.keywords must be a list of str, not {_described(self.keywords)}")
        _require("keywords_derived", self.keywords_derived, bool)
        _require("extra", self.extra, dict)
        self.date = _date(self.date)
        self.rating = _rating(self.rating)

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
        return cls(**values, extra=extra)


def parse_rating(value: Any) -> float | None:
    """A rating from a number or numeric text (None when missing or blank); ValueError
    if it is not a finite number. The readers' conversion, and Review's."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(value)
    try:
        number = float(value)
    except OverflowError:  # an integer past float's range (10^309 and up)
        raise ValueError(value) from None
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def _rating(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str, type(None))):
        raise TypeError(f"Review.rating must be a number, numeric text or None, not {_described(value)}")
    try:
        return parse_rating(value)
    except ValueError:
        raise ValueError(f"Review.rating must be a finite number, not {_described(value)}") from None


def _date(value: Any) -> _dt.date | None:
    """A Review's date: a date (a datetime's day), text in a form the readers read, or None."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if value is None or isinstance(value, _dt.date):
        return value
    if not isinstance(value, str):
        raise TypeError(f"Review.date must be a date, date text or None, not {_described(value)}")
    if not value.strip():
        return None
    date = parse_date(value)
    if date is None:
        raise ValueError(
            f"Review.date {value!r} is not a date in a form revsearch reads "
            "(2024-05-01, 2024. 5. 1., 2024년 5월 1일, 24.05.01, 20240501)"
        )
    return date


def _require(name: str, value: Any, kind: type | tuple[type, ...], wanted: str | None = None) -> None:
    """Raise TypeError naming Review's field ``name`` if ``value`` is not of ``kind``."""
    if not isinstance(value, kind):
        raise TypeError(f"Review.{name} must be {wanted or 'a ' + kind.__name__}, not {_described(value)}")


def _described(value: Any) -> str:
    """A value as a message names it: its type and a short repr (``int 5``, ``str ''``)."""
    shown = repr(value)
    return f"{type(value).__name__} {shown if len(shown) <= 40 else shown[:40] + '…'}"


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
