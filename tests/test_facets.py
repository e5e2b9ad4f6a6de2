"""Facets, significant terms, queries of only filters, and `revsearch stats`,
over a real index of the 300 NSMC sample reviews; expected counts are made
from the raw files, not from the index."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from searcher import ReviewIndex, SearchSettings
from searcher.cli import main
from searcher.errors import QueryError
from searcher.request import SearchRequest
from searcher.results import Results

SAMPLE = Path(__file__).resolve().parent / "data" / "nsmc-sample"


@pytest.fixture(scope="module")
def raw() -> list[dict]:
    """The sample's reviews as the files hold them, the date as ISO (``14.08.06`` is 2014-08-06)."""
    rows = [row for path in sorted(SAMPLE.glob("*.json")) for row in json.loads(path.read_text(encoding="utf-8"))]
    for row in rows:
        yy, mm, dd = row["date"].split(".")
        row["day"] = f"20{yy}-{mm}-{dd}"
    return rows


@pytest.fixture(scope="module")
def ix(tmp_path_factory) -> ReviewIndex:
    folder = tmp_path_factory.mktemp("facets-index")
    index = ReviewIndex.create(folder)
    assert index.add_paths([SAMPLE]).reviews_indexed == 300
    return index


def cli(ix: ReviewIndex, *args: str):
    return CliRunner().invoke(main, [*args, "--index", str(ix.path)])


def test_facets_count_every_review_matched_not_only_the_page_shown(ix, raw) -> None:
    results = ix.search("item:10494", limit=1, facets=["rating", "date:year", "author"])
    mine = [r for r in raw if r["movie_id"] == "10494"]
    assert len(results) == 1 and results.total == len(mine) == 100
    ratings = Counter(float(r["rating"]) for r in mine)
    assert results.facets["rating"] == [{"value": v, "count": ratings[v]} for v in sorted(ratings)]  # in order
    years = Counter(r["day"][:4] for r in mine)
    assert results.facets["date:year"] == [{"value": y, "count": years[y]} for y in sorted(years)]
    authors = Counter(r["author"] for r in mine)
    shown = results.facets["author"]
    assert len(shown) == 10 and shown[0] == {"value": authors.most_common(1)[0][0], "count": authors.most_common(1)[0][1]}
    assert all(authors[row["value"]] == row["count"] for row in shown)
    assert [row["count"] for row in shown] == sorted((row["count"] for row in shown), reverse=True)


def test_facets_of_a_word_query_add_up_to_its_total_and_follow_the_filters(ix, raw) -> None:
    results = ix.search("영화", limit=2, facets=["item", "date:month"], since="2013")
    assert sum(row["count"] for row in results.facets["item"]) == results.total > 2
    months = [row["value"] for row in results.facets["date:month"]]
    assert months == sorted(months) and months[0] >= "2013-01"
    assert sum(row["count"] for row in results.facets["date:month"]) == results.total
    assert list(results.facets) == ["item", "date:month"]  # in the order asked


def test_keywords_facet_counts_the_stored_keywords_derived_ones_included(ix) -> None:
    results = ix.search("*", facets=["keywords"])
    expected = Counter(k for review in ix.reviews() for k in review.keywords)
    assert any(review.keywords_derived for review in ix.reviews())
    top = results.facets["keywords"]
    assert [(row["value"], row["count"]) for row in top] == sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[:10]


def test_significant_terms_are_the_words_over_represented_in_the_matches(ix) -> None:
    terms = ix.search("item:10494", facets=["terms"]).facets["terms"]
    words = [row["term"] for row in terms]
    assert {"소피", "마르소"} <= set(words[:3])  # the actress, in the reviews of her film only
    assert all(row["score"] > 0 and 3 <= row["count"] <= 100 for row in terms)
    assert [row["score"] for row in terms] == sorted((row["score"] for row in terms), reverse=True)
    asked = [row["term"] for row in ix.search("마르소", facets=["terms"]).facets["terms"]]
    assert "마르소" not in asked and "소피" in asked  # the query's own word is no finding


@pytest.mark.parametrize(
    "query, keep",
    [
        ("item:10494", lambda r: r["movie_id"] == "10494"),
        ("rating:[1 TO 3]", lambda r: 1 <= int(r["rating"]) <= 3),
        ("date:2015", lambda r: r["day"].startswith("2015")),
        ("*", lambda r: True),
        ("item:104488 rating:[1 TO 2]", lambda r: r["movie_id"] == "104488" and int(r["rating"]) <= 2),
    ],
)
def test_a_query_of_only_filters_or_a_star_finds_what_they_let_through(ix, raw, query, keep) -> None:
    expected = {r["review_id"] for r in raw if keep(r)}
    results = ix.search(query, limit=300)
    assert results.total == len(expected) and {hit.id for hit in results} == expected
    result = cli(ix, "query", query, "--json", "--limit", "1")
    assert result.exit_code == 0 and json.loads(result.output)["total"] == len(expected)


def test_facets_go_through_json_and_the_request_protocol(ix) -> None:
    results = ix.search("item:10494 rating:[1 TO 2]", facets=["rating", "terms"])
    assert Results.from_dict(json.loads(json.dumps(results.to_dict()))).facets == results.facets
    request = SearchRequest("외로움", facets=["rating", "item"])
    assert SearchRequest.from_dict(json.loads(json.dumps(request.to_dict()))) == request
    assert "facets" not in ix.search("영화").to_dict()  # no facets asked, none in the JSON
    result = cli(ix, "query", "item:10494", "--json", "--facets", "rating,author")
    assert result.exit_code == 0
    assert json.loads(result.output)["facets"]["rating"][-1] == {"value": 10.0, "count": 48}


def test_the_terminal_draws_facets_as_bars_aligned_for_korean(ix) -> None:
    result = cli(ix, "query", "item:10494", "--facets", "keywords,rating", "--limit", "1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("keywords")
    rows = lines[at + 1 : at + 11]
    assert all("█" in row for row in rows)
    assert len({cell_len(row[: row.index("█")]) for row in rows}) == 1  # bars start in one column: 소피 is 4 cells wide
    assert rows[0].split()[-1] == "51"  # 소피, in 51 of the 100 reviews
    ratings = lines[lines.index("rating") + 1 : lines.index("rating") + 11]
    assert ratings[0].split()[:2] == ["★", "1"] and ratings[-1].split()[:2] == ["★", "10"]


def test_an_unknown_facet_is_a_one_line_error_naming_the_valid_ones(ix) -> None:
    result = cli(ix, "query", "영화", "--facets", "rating,stars")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "Error: unknown facet 'stars'; facets: rating,date:year,date:month,author,item,keywords,terms"
    ]
    with pytest.raises(QueryError, match="unknown facet 'genre'"):
        ix.search("영화", facets=["genre"])


def test_stats_tell_what_the_index_holds(ix, raw) -> None:
    stats = ix.stats()
    assert (stats.reviews, stats.files) == (300, 3)
    assert (stats.first_date, stats.last_date) == (min(r["day"] for r in raw), max(r["day"] for r in raw))
    ratings = Counter(float(r["rating"]) for r in raw)
    assert stats.ratings == [{"value": v, "count": ratings[v]} for v in sorted(ratings)]
    assert sorted(row["value"] for row in stats.top_items) == ["104488", "104864", "10494"]
    assert stats.top_authors[0]["count"] == Counter(r["author"] for r in raw).most_common(1)[0][1]
    assert stats.size > 100_000 and stats.user_dict == {"entries": 0, "file": None}
    assert stats.synonyms == {"rules": 0, "file": None}
    result = cli(ix, "stats", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["reviews"] == 300
    result = cli(ix, "stats")
    assert result.exit_code == 0 and "300 reviews from 3 files" in result.output and "2009-04-30 to 2015-08-05" in result.output
    assert "synonyms: none" in result.output


def test_terms_of_a_query_of_only_filters_are_sampled_throughout_its_matches(ix) -> None:
    """Every match of rating:[8 TO 10] scores alike: the 30 sampled are spread over the index, not its
    first 30 (which hold no review of item 10494, the last file read, a film with Sophie Marceau)."""
    sampled = ReviewIndex.open(ix.path, settings=SearchSettings(terms_sample=30, terms_min_count=2, facet_size=50))
    results = sampled.search("rating:[8 TO 10]", limit=30, facets=["terms"])
    assert "10494" not in {hit.review.item for hit in results}  # the first 30 in index order
    assert "소피" in [row["term"] for row in results.facets["terms"]]
