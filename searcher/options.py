"""Choices and defaults shared by the library and the command line, in a module
that imports nothing heavy, so that `revsearch` starts without loading Whoosh or Kiwi."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: The orders ``ReviewIndex.search`` can sort by.
SORTS = ("relevance", "date", "rating")
#: The fields ``ReviewIndex.search`` can group hits by.
GROUPS = ("item", "author")
#: The facets a search can count (see searcher.facets).
FACETS = ("rating", "date:year", "date:month", "author", "item", "keywords", "terms")
#: Reviews written between commits: a crash loses at most this many reviews' work.
BATCH_SIZE = 50_000


def child_environment() -> dict[str, str]:
    """The environment of a child Python process (the resident server, the
    analysis process of large runs) that must import this very revsearch, from
    wherever it runs: an install, an editable checkout, or a PYTHONPATH."""
    package_root = str(Path(__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}


def python_command(module: str, function: str, *args: str) -> list[str]:
    """The command of a child Python process that runs ``module.function()``
    (which reads ``args`` from ``sys.argv[1:]``). `python -c` and `python -m`
    put the working folder first on ``sys.path``, where a ``kiwipiepy.py``
    among the files being indexed would be imported and run: it is taken off
    before anything else is imported (``-I`` would also drop PYTHONPATH, which
    :func:`child_environment` needs)."""
    code = f"import sys\nif sys.path[:1] == ['']: del sys.path[0]\nfrom {module} import {function}\n{function}()"
    return [sys.executable, "-c", code, *args]


def alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, exited but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")
