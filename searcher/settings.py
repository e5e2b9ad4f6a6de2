"""The knobs of searching and ingesting, as objects passed in (as Whoosh's
``W3Codec(blocklimit, compression, inlinelimit)`` takes its own): the
defaults are the measured ones (bench/README.md); a test or a benchmark
passes others instead of changing module globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from .options import BATCH_SIZE
from .schema import TEXT_FIELDS


@dataclass(frozen=True)
class SearchSettings:
    """How queries are planned and results ranked.

    ``k1`` and ``b`` are BM25F's: a low K1 saturates term frequency early,
    which suits Korean morphemes (KorQuAD dev: K1 1.2 -> 0.5 gained 0.4 MRR
    points). ``field_weights``: what a plain word weighs in each free-text
    field. Proximity: neighbouring query words (``near_window`` apart in the
    query) found within ``near_slop`` positions of each other in the
    ``proximity_fields`` add ``near_boost`` times their score. Re-ranking (see
    ranking): the best ``rerank_depth`` of each tier are re-ordered by
    coverage (a word unmatched gets credit for its character pairs found in
    the text if at least ``fuzzy_min`` of them are; one held only as part of
    longer words written together counts ``part_weight``, or
    ``syllable_part_weight`` for a single syllable) and surface likeness
    (weighing ``surface_weight``) and closeness, the surface found within
    ``closeness_chars`` letters (weighing ``closeness_weight``), looking at
    ``text_chars`` of each review. Facets: the ``facet_size`` most frequent
    values of a facet (authors, items, keywords, terms); ``terms`` are found
    in a sample of ``terms_sample`` of the best matches (the first ``terms_chars`` of each
    body), held by at least ``terms_min_count`` of them (see searcher.facets).
    A query word the index lacks also finds the index's word one keystroke
    from it, its reviews' scores times ``typo_weight`` (see searcher.typos)."""

    k1: float = 0.5
    b: float = 0.75
    field_weights: dict[str, float] = field(default_factory=lambda: dict(TEXT_FIELDS))
    proximity_fields: tuple[str, ...] = ("body",)
    near_slop: int = 4
    near_boost: float = 0.25
    near_window: int = 1
    rerank_depth: int = 30
    fuzzy_min: float = 0.5
    part_weight: float = 0.5
    syllable_part_weight: float = 0.25
    surface_weight: float = 1.0
    closeness_weight: float = 0.5
    closeness_chars: int = 60
    text_chars: int = 50_000
    facet_size: int = 10
    terms_sample: int = 50
    terms_chars: int = 1000
    terms_min_count: int = 3
    typo_weight: float = 0.5


@dataclass(frozen=True)
class IngestSettings:
    """How an ingest run reads, analyses and writes.

    ``batch_size``: reviews written between commits (a crash loses at most
    this many reviews' work). ``chunk``: reviews to a frame handed from the
    analysis to the writer; ``frames_ahead``: frames the analysis may run
    ahead of the writer, so that it goes on while the writer commits (seconds);
    ``process_bytes``: runs reading more than this many bytes of new or
    changed files analyse in a child process (which loads its own Kiwi, ~2 s)."""

    batch_size: int = BATCH_SIZE
    chunk: int = 256
    process_bytes: int = 16 << 20
    frames_ahead: int = 256
