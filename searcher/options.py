"""Choices and defaults shared by the library and the command line, in a module
that imports nothing, so that `revsearch` starts without loading Whoosh or Kiwi.

The library's modules still define their own SORTS (``searcher.index``) and
BATCH_SIZE (``searcher.writing``); tests/test_cli.py checks that they agree with
these until those modules import them from here.
"""

#: The orders ``ReviewIndex.search`` can sort by.
SORTS = ("relevance", "date")
#: Reviews written between commits: a crash loses at most this many reviews' work.
BATCH_SIZE = 20_000
