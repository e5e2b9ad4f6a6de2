"""Choices and defaults shared by the library and the command line, in a module
that imports nothing, so that `revsearch` starts without loading Whoosh or Kiwi."""

#: The orders ``ReviewIndex.search`` can sort by.
SORTS = ("relevance", "date")
#: Reviews written between commits: a crash loses at most this many reviews' work.
BATCH_SIZE = 20_000
