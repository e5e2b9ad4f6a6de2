"""revsearch: full-text search for Korean reviews.

    from searcher import ReviewIndex, Review
    ix = ReviewIndex.create("path/to/dir")
    ix.add_paths(["corpus/"])
    for hit in ix.search("외로움 AND 사만다"):
        print(hit.review.title, [p.text for p in hit.passages])
"""

from .errors import IndexLockedError, IndexNotFoundError, QueryError, ReadError, RevsearchError
from .highlight import Passage
from .index import IngestReport, ReviewIndex
from .results import Hit, Results
from .review import Review

__all__ = [
    "Hit",
    "IndexLockedError",
    "IndexNotFoundError",
    "IngestReport",
    "Passage",
    "QueryError",
    "ReadError",
    "Results",
    "Review",
    "ReviewIndex",
    "RevsearchError",
]
__version__ = "0.1.0"
