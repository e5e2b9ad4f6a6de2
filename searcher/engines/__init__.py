"""The engines behind the seam of :mod:`searcher.engine`, by where an index
lives. A folder is a Whoosh index (the default, embedded); an engine is
imported when an index is opened or made, so that the command line starts light."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .whoosh import WhooshEngine


def engine_for(location: Path) -> type[WhooshEngine]:
    """The engine of an index at ``location`` (imported now: its ``create``,
    ``open`` and ``verify`` then run without a pause to import it)."""
    from .whoosh import WhooshEngine

    return WhooshEngine
