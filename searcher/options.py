"""Choices and defaults shared by the library and the command line, in a module
that imports nothing heavy, so that `revsearch` starts without loading Whoosh or Kiwi."""

from __future__ import annotations

import os
from pathlib import Path

#: The orders ``ReviewIndex.search`` can sort by.
SORTS = ("relevance", "date")
#: Reviews written between commits: a crash loses at most this many reviews' work.
BATCH_SIZE = 50_000


def child_environment() -> dict[str, str]:
    """The environment of a child Python process (the resident server, the
    analysis process of large runs) that must import this very revsearch, from
    wherever it runs: an install, an editable checkout, or a PYTHONPATH."""
    package_root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
