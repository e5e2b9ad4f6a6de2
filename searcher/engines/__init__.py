"""The engines behind the seam of :mod:`searcher.engine`, by where an index
lives. A folder is a Whoosh index (the default, embedded); a
``typesense://HOST:PORT[,HOST:PORT…]/COLLECTION`` address a collection of a
Typesense cluster (experimental). An engine is imported when an index is
opened or made, so that the command line starts light."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..records import Records

#: How an index location on a Typesense cluster starts.
TYPESENSE = "typesense://"


def is_cluster(location: str | os.PathLike) -> bool:
    """Whether ``location`` is a cluster address rather than a folder."""
    return isinstance(location, str) and location.startswith(TYPESENSE)


def engine_for(location: str | os.PathLike) -> Any:
    """The engine class of an index at ``location`` (imported now: its ``create``,
    ``open`` and ``verify`` then run without a pause to import it)."""
    if is_cluster(location):
        from .typesense.engine import TypesenseEngine

        return TypesenseEngine
    from .whoosh import WhooshEngine

    return WhooshEngine


def locate(location: str | os.PathLike) -> tuple[Any, Records]:
    """The engine class of the index at ``location`` and its records (see
    searcher.records): a cluster address is checked now (its API key
    included), ClusterAddressError if it is malformed."""
    if is_cluster(location):
        from .typesense.records import ClusterRecords

        return engine_for(location), ClusterRecords.at(str(location))
    from ..records import FolderRecords

    return engine_for(location), FolderRecords(Path(location))
