"""The Whoosh engine's knobs, passed to it as Whoosh's own ``W3Codec`` takes
its block size, compression and inline limit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WhooshSettings:
    """``compress_from``: posting blocks whose pickle is shorter are written
    uncompressed (zlib makes them no smaller and took a tenth of the writer's
    time). ``inline``: a term with one posting keeps it in its term info, as
    W3Codec's inline limit means to. With 0 and False, segments are byte for
    byte those of Whoosh's own writer. ``max_pooled``: a writer holding this
    many postings in memory commits and goes on (bounds memory).
    ``numbers_held``: terms a run's batches number before numbering anew
    (bounds the analysis' memory). ``postings_cached``: postings kept between
    searches (about 30 bytes each with their positions). ``merge_factor``
    and ``merge_limit``: how commits merge segments (see
    segment.TieredMerge): ``merge_factor`` segments of a tier (sizes within
    a factor of ``merge_factor``) are merged into one, and so are a run's
    own at its end, up to ``merge_limit`` words (postings) a merged segment,
    which bounds the memory a commit takes (merging the 3.5M words of
    357K NSMC reviews took 0.8 GB). ``narrow_from``: a search for words all
    together whose postings number at least this, and several times the
    reviews holding them all, finds those reviews first and scores only
    them (최고의 영화: 영화 is in 300,000 reviews of a million); 0: always."""

    compress_from: int = 64
    inline: bool = True
    max_pooled: int = 4_000_000
    numbers_held: int = 1 << 20
    postings_cached: int = 2_000_000
    merge_factor: int = 10
    merge_limit: int = 6_000_000
    narrow_from: int = 20_000
