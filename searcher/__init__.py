"""revsearch: full-text search for Korean reviews.

    from searcher import ReviewIndex, Review
    ix = ReviewIndex.create("path/to/dir")
    ix.add_paths(["corpus/"])
    for hit in ix.search("외로움 AND 사만다"):
        print(hit.review.title, [p.text for p in hit.passages])

The names below are imported on first use (PEP 562), so that importing a light
submodule (the command line, the resident query client) does not load Whoosh,
Kiwi and numpy.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Each public name and the submodule that defines it.
_EXPORTS = {
    "CheckReport": "check",
    "EngineInfo": "engine",
    "Hit": "results",
    "IncompatibleIndexError": "errors",
    "IndexAccessError": "errors",
    "IndexDamagedError": "errors",
    "IndexLockedError": "errors",
    "IndexNotFoundError": "errors",
    "IndexingInterrupted": "ingest.report",
    "IngestReport": "ingest.report",
    "IngestSettings": "settings",
    "Passage": "results",
    "QueryError": "errors",
    "QueryPlan": "query",
    "ReadError": "errors",
    "ReadOptions": "readers",
    "Results": "results",
    "Review": "review",
    "ReviewIndex": "index",
    "RevsearchError": "errors",
    "SearchRequest": "request",
    "SearchSettings": "settings",
    "SynonymError": "synonyms",
    "Synonyms": "synonyms",
    "WhooshSettings": "engines.whoosh",
}
__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
