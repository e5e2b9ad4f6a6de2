"""A query becomes revsearch's own plan before any index is opened: printable,
comparable, and shaped by the settings passed in."""

from __future__ import annotations

import pytest

from searcher import QueryError, SearchSettings
from searcher import plan as p
from searcher.query import filters, parse


def test_words_become_a_plan_of_fields_proximity_and_tiers() -> None:
    planned = parse("사만다와의 이별")
    body = [p.Term("body", "사만다"), p.Term("body", "이별")]
    near = p.Or((p.Near(*body, slop=4),), 0.25)
    assert isinstance(planned.strict, p.AndMaybe) and planned.strict.optional == near
    assert str(planned.strict) == (
        "(((title:사만다^1.2 OR keywords:사만다^1.5 OR body:사만다 OR category:사만다) AND "
        "(title:이별^1.2 OR keywords:이별^1.5 OR body:이별 OR category:이별)) ANDMAYBE (NEAR/4(body:사만다 body:이별))^0.25)"
    )
    assert isinstance(planned.loose, p.Or) and planned.loose.children[-1] == near  # some of the words will do
    assert planned.words == [(("title", "keywords", "body", "category"), ("사만다",)), (("title", "keywords", "body", "category"), ("이별",))]


def test_operators_fields_and_ranges_become_plan_nodes() -> None:
    planned = parse('"배우 연기" -지루 author:Kim rating:[8 TO *] date:2024')
    assert planned.strict == planned.loose  # nothing soft: one tier
    assert str(planned.strict) == (
        '((author:kim AND rating:[8 TO *] AND date:[2024 TO 2024-99] AND '
        '(title:"배우 연기"^1.2 OR keywords:"배우 연기"^1.5 OR body:"배우 연기" OR category:"배우 연기")) '
        "ANDNOT (title:지루^1.2 OR keywords:지루^1.5 OR body:지루 OR category:지루))"
    )
    assert parse("NOT 영화").strict == p.Not(parse("영화").strict)  # every review but those
    assert parse("사만다 -이별").strict == p.AndNot(parse("사만다").strict, parse("이별").strict)


@pytest.mark.parametrize("excluded", ["rating:[9 TO 10]", "date:[* TO 2012-12-31]", '"배우 연기"', 'body:"배우 연기"'])
def test_a_minus_excludes_a_range_or_a_phrase_as_not_does(excluded: str) -> None:
    # they hold spaces: "-rating:[9" was read as a word, and the range refused as not closed
    assert parse(f"영화 -{excluded}").strict == parse(f"영화 NOT {excluded}").strict == p.AndNot(
        parse("영화").strict, parse(excluded).strict
    )


def test_settings_shape_the_plan() -> None:
    settings = SearchSettings(field_weights={"body": 1.0}, near_slop=2, near_boost=0.5)
    planned = parse("사만다 이별", settings=settings)
    assert str(planned.loose) == "(body:사만다 OR body:이별 OR (NEAR/2(body:사만다 body:이별))^0.5)"
    assert parse("사만다", settings=settings).loose == p.Term("body", "사만다")


def test_search_filters_are_a_plan_and_bad_dates_are_refused() -> None:
    assert filters("Kim ", "2024-05", "2024") == p.And((p.Term("author", "kim"), p.Range("date", "2024-05", "2024-99")))
    assert filters(None, None, None) is None
    with pytest.raises(QueryError, match="cannot read the since date 'soon'"):
        filters(None, "soon", None)
