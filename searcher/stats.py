"""What an index holds (`revsearch stats`, ``ReviewIndex.stats()``): its
reviews and files, their dates and ratings, the most reviewed items and most
prolific authors, its size on disk and how its texts are analysed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .engine import Engine, EngineView
from .facets import Facet, counted
from .plan import Every
from .records import Records
from .settings import SearchSettings


@dataclass
class IndexStats:
    """``reviews`` in the index, read from ``files`` recorded files; dates
    from ``first_date`` to ``last_date`` (ISO; None without dates); the
    reviews by ``ratings`` and by ``years`` (``{"value", "count"}``, in
    order) and the ``top_items`` and ``top_authors`` (most reviews first);
    ``size`` in bytes of the index's files; the ``engine`` and its version;
    ``user_dict``: the user dictionary's entries (0: none) and the file it was
    read from; ``synonyms``: the synonym rules recorded (0: none) and their
    file; ``sources``: the files and folders it was built from."""

    reviews: int
    files: int
    first_date: str | None
    last_date: str | None
    ratings: Facet
    years: Facet
    top_items: Facet
    top_authors: Facet
    size: int
    engine: str
    user_dict: dict[str, Any] = field(default_factory=dict)
    synonyms: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_stats(engine: Engine, records: Records, settings: SearchSettings) -> IndexStats:
    """The statistics of the index held by ``engine`` (its ``records``): each
    count one facet over every review (see searcher.facets)."""

    def count(view: EngineView) -> tuple[dict[str, Facet], list[str]]:
        every = Every()
        facets = counted(view, ("rating", "date:year", "item", "author"), every, None, settings.facet_size)
        return facets, sorted(view.values("date", every))

    facets, days = engine.read(count, settings)
    meta = records.read_meta()
    info = engine.describe()
    entries, rules = _lines(engine.analyzer.user_dict), _lines(meta.synonyms or "")
    return IndexStats(
        reviews=len(engine),
        files=records.manifest().recorded(),
        first_date=days[0] if days else None,
        last_date=days[-1] if days else None,
        ratings=facets["rating"],
        years=facets["date:year"],
        top_items=facets["item"],
        top_authors=facets["author"],
        size=records.size(),
        engine=f"{info.engine} {info.version}",
        user_dict={"entries": entries, "file": meta.user_dict_file or None},
        synonyms={"rules": rules, "file": meta.synonyms_file or None},
        sources=list(meta.sources),
    )


def _lines(text: str) -> int:
    """The entries of a recorded file: its lines but blank ones and ``#`` comments."""
    return sum(1 for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#"))
