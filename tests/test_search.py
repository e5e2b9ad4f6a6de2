"""Searching the seed reviews through the library API: matches, ranking, passages, filters."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from searcher import Passage, QueryError, Review, ReviewIndex

TITLE_000 = "[영화리뷰] Her – 외로움과 연결의 시대를 살아가는 우리"
TITLE_001 = "Her — 인간과 AI, 사랑에 대해 다시 묻다"
TITLE_002 = "허 (Her) 줄거리 주요특징 감상후기"
TITLE_003 = "연애에 지친 사람들에게 <HER> 추천 이유"


def titles(results) -> list[str]:
    return [hit.review.title for hit in results]


def marked(passage: Passage) -> list[str]:
    return [passage.text[a:b] for a, b in passage.highlights]


def test_inflected_forms_find_the_seeds(seed_index: ReviewIndex) -> None:
    # 외롭다 appears in the seeds only as 외로운/외롭고/외로움/외로워지고.
    assert set(titles(seed_index.search("외롭다"))) == {TITLE_000, TITLE_001, TITLE_002, TITLE_003}
    assert titles(seed_index.search("테오도르는")) == titles(seed_index.search("테오도르"))


def test_query_that_finds_nothing(seed_index: ReviewIndex) -> None:
    results = seed_index.search("김치찌개")
    assert (len(results), results.total, list(results)) == (0, 0, [])


def test_title_and_keywords_weigh_more(seed_index: ReviewIndex) -> None:
    # Only 000 has 외로움 in its title and keywords.
    assert titles(seed_index.search("외로움"))[0] == TITLE_000


def test_all_words_rank_above_some(seed_index: ReviewIndex) -> None:
    # Only 003 has both words; 000 says 디지털 a dozen times but never 이혼 (divorce).
    assert titles(seed_index.search("디지털"))[0] == TITLE_000
    results = seed_index.search("디지털 이혼")
    assert results.total == 4
    assert titles(results)[0] == TITLE_003
    assert titles(results)[1] == TITLE_000


def test_more_of_the_query_outranks_one_word_repeated(tmp_path) -> None:
    """No review holds all three words: the one holding two of them ranks above
    the one with a single rare word in its title and body, and the total counts all."""
    reviews = [
        Review(id="repeat", title="사만다", body="사만다 사만다 목소리만 기억에 남는다"),
        Review(
            id="both", title="그녀 후기",
            body="테오도르가 사만다와 이별하는 마지막 장면에서 한참을 울었고 극장을 나와서도 여운이 오래 남았다",
        ),
        *(Review(id=f"parting-{i}", body=text) for i, text in enumerate(["이별 노래가 흐른다", "이별 뒤에 남은 것", "이별 후에 듣는 노래", "이별 영화를 좋아한다"])),
        *(Review(id=f"letter-{i}", body=text) for i, text in enumerate(["편지를 대신 써 주는 일", "그 편지는 길었다"])),
    ]
    with ReviewIndex.create(tmp_path) as ix:
        ix.add(reviews)
        results = ix.search("사만다 이별 편지")
        assert [hit.id for hit in results][:2] == ["both", "repeat"]
        assert results.total == len(reviews)


@pytest.fixture(scope="module")
def wording(tmp_path_factory) -> ReviewIndex:
    ix = ReviewIndex.create(tmp_path_factory.mktemp("wording"))
    ix.add(
        Review(id=key, body=body)
        for key, body in {
            "beast": "범죄도시 4편, 마석도가 나오는 장면마다 액션이 시원하고 통쾌했다",
            "plain-action": "액션 영화로는 평범했다",
            "action-actor": "액션 배우",
            "wording": "줄거리는 뻔했지만 배우들 연기가 최고였다",
            "terse": "연기 최고",
            "practice": "연기 연습",
            "record": "최고 기록",
        }.items()
    )
    return ix


def test_a_word_the_analyzer_reads_differently_still_counts(wording: ReviewIndex) -> None:
    """Alone, 마석도 reads as 마석; in the review, 마석도가 reads as 마 + 석도. No review
    holds both query words as terms, but the one with 마석도 in its text ranks first."""
    assert [hit.id for hit in wording.search("마석도 액션")][0] == "beast"


def test_wording_like_the_query_ranks_first_among_equals(wording: ReviewIndex) -> None:
    assert [hit.id for hit in wording.search("연기가 최고였다")][:2] == ["wording", "terse"]
    assert [hit.id for hit in wording.search("연기 최고")][:2] == ["terse", "wording"]


def test_the_query_echoed_in_one_place_ranks_above_it_scattered(tmp_path) -> None:
    """Both titles hold the same words (so the same terms and character pairs;
    titles have no proximity boost), and the scattered one is added first:
    the one with 마지막 장면 written together ranks first."""
    filler = "배우들의 연기와 음악과 촬영이 모두 훌륭했고 극장을 나오면서도 오래도록 여운이 남아서 연출도 음악도 좋아서 친구에게 추천했다"
    with ReviewIndex.create(tmp_path) as ix:
        ix.add([
            Review(id="scattered", title=f"마지막 회는 {filler} 막장 전개였지만 장면 전환은 좋았다", body="드라마 후기"),
            Review(id="close", title=f"마지막 장면 전환은 좋았지만 막장 전개였다 {filler} 회는", body="드라마 후기"),
        ])
        assert [hit.id for hit in ix.search("마지막 장면")] == ["close", "scattered"]


def test_hard_and_or_not(seed_index: ReviewIndex) -> None:
    assert set(titles(seed_index.search("캐서린 AND 디지털"))) == set()
    assert set(titles(seed_index.search("캐서린 OR 노마드"))) == {TITLE_000, TITLE_002}
    # 이혼 (divorce) is mentioned in 001, 002 and 003, not in 000.
    assert titles(seed_index.search("테오도르 -이혼")) == [TITLE_000]
    assert titles(seed_index.search("테오도르 NOT 이혼")) == [TITLE_000]
    assert set(titles(seed_index.search("NOT 테오도르"))) == set()


def test_phrase_needs_adjacent_words(seed_index: ReviewIndex) -> None:
    assert titles(seed_index.search('"디지털 노마드"')) == [TITLE_000]
    assert titles(seed_index.search('"사만다와의 이별"')) == []  # never written together
    assert set(titles(seed_index.search('"편지 대필"'))) == {TITLE_000, TITLE_002}


def test_field_queries(seed_index: ReviewIndex) -> None:
    assert titles(seed_index.search("author:관리자")) == [TITLE_000]
    assert titles(seed_index.search("author:SSNARAE25")) == [TITLE_001]
    assert titles(seed_index.search("keywords:노마드")) == [TITLE_000]
    assert titles(seed_index.search("category:영화")) == [TITLE_000]
    assert set(titles(seed_index.search("title:추천"))) == {TITLE_003}
    assert set(titles(seed_index.search("title:her"))) == {TITLE_000, TITLE_001, TITLE_002, TITLE_003}


def test_date_ranges_and_filters(seed_index: ReviewIndex) -> None:
    spring = set(titles(seed_index.search("date:[2025-03-01 TO 2025-04-30]")))
    assert spring == {TITLE_001, TITLE_002, TITLE_003}
    assert set(titles(seed_index.search("date:2025-04"))) == {TITLE_001, TITLE_003}
    assert titles(seed_index.search("date:[2025-11-01 TO *]")) == [TITLE_000]
    assert titles(seed_index.search("사만다 date:2025-11-05")) == [TITLE_000]
    assert set(titles(seed_index.search("사만다", since="2025-04-01", until="2025. 4. 30."))) == {TITLE_001, TITLE_003}
    assert titles(seed_index.search("사만다", author="Soullatte")) == [TITLE_003]
    assert titles(seed_index.search("사만다", since=dt.date(2025, 11, 1))) == [TITLE_000]


def test_sort_by_date(seed_index: ReviewIndex) -> None:
    results = seed_index.search("사만다", sort="date")
    assert titles(results) == [TITLE_000, TITLE_003, TITLE_001, TITLE_002]


def test_passages_highlight_variants(seed_index: ReviewIndex) -> None:
    hits = list(seed_index.search("외롭다"))
    words = {w for hit in hits for p in hit.passages for w in marked(p)}
    assert {"외로운", "외로움", "외롭"} <= words  # 외로운 and 외로움 are marked for 외롭다
    for hit in hits:
        for p in hit.passages:
            body = hit.review.body if p.field == "body" else hit.review.title
            assert body[p.start : p.start + len(p.text)] == p.text  # a piece of the original
            assert p.highlights and len(p.text) <= 200


def test_best_passage_has_most_query_words(seed_index: ReviewIndex) -> None:
    hit = next(h for h in seed_index.search("사만다와의 이별") if h.review.title == TITLE_002)
    best = hit.passages[0]
    assert set(marked(best)) == {"사만다", "이별"}
    assert "사만다가 떠난 뒤" in best.text


def test_title_passage_marks_title_words(seed_index: ReviewIndex) -> None:
    hit = seed_index.search("추천 이유")[0]
    title = [p for p in hit.passages if p.field == "title"]
    assert hit.review.title == TITLE_003
    assert [marked(p) for p in title] == [["추천", "이유"]]


def test_hit_without_text_match_shows_the_opening(seed_index: ReviewIndex) -> None:
    [hit] = seed_index.search("author:관리자")
    assert [p.highlights for p in hit.passages] == [[]]
    assert hit.passages[0].text.startswith("《Her(그녀)》")


def test_hit_to_dict_is_json_ready(seed_index: ReviewIndex) -> None:
    results = seed_index.search("디지털 노마드", limit=1)
    data = json.loads(json.dumps(results.to_dict(), ensure_ascii=False))
    assert data["query"] == "디지털 노마드" and data["total"] == 2
    [hit] = data["hits"]
    assert hit["review"]["title"] == TITLE_000
    assert hit["review"]["date"] == "2025-11-05"
    assert hit["review"]["keywords"][3] == "디지털 노마드"
    passage = hit["passages"][0]
    assert all(passage["text"][a:b] in ("디지털", "노마드") for a, b in passage["highlights"])


def test_limit_and_total(seed_index: ReviewIndex) -> None:
    results = seed_index.search("사만다", limit=2)
    assert (len(results), results.total) == (2, 4)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "the query is empty"),
        ("   ", "the query is empty"),
        ("title:", "'title:' needs a value"),
        ("?! ...", "only particles, endings or punctuation"),
        ("date:[2025-01-01 TO 2025-02-01", "is not closed"),
        ("date:[어제 TO 오늘]", "cannot read the date"),
        ("date:지난주", "cannot read the date"),
    ],
)
def test_bad_queries_raise_clear_errors(seed_index: ReviewIndex, query: str, message: str) -> None:
    with pytest.raises(QueryError, match=message):
        seed_index.search(query)


@pytest.mark.parametrize(
    ("query", "total"),
    [
        ('"디지털 노마드', 1),  # an unclosed quote runs to the end
        ("(사만다 OR 캐서린", 4),  # an unclosed parenthesis closes at the end
        ("캐서린)", 1),  # a stray one is ignored
        ("OR 캐서린", 1),
        ("캐서린 AND", 1),
        ("을 를", 0),  # Kiwi reads lone particles as nouns; nothing has them
        ("AND", "nothing to search for"),
        ("-", "nothing to search for"),
        ("NOT", "nothing to search for"),
        ("((", "nothing to search for"),
        ('title:""', "'title:' needs a value"),
    ],
)
def test_malformed_queries_give_sensible_results(seed_index: ReviewIndex, query: str, total) -> None:
    if isinstance(total, str):
        with pytest.raises(QueryError, match=total):
            seed_index.search(query)
    else:
        assert seed_index.search(query).total == total


def test_unknown_field_is_searched_as_text(seed_index: ReviewIndex) -> None:
    assert titles(seed_index.search("러닝타임:126분")) == [TITLE_000]


def test_bad_search_options(seed_index: ReviewIndex) -> None:
    with pytest.raises(QueryError, match="sort"):
        seed_index.search("사만다", sort="popular")
    with pytest.raises(QueryError, match="since"):
        seed_index.search("사만다", since="yesterday")


def test_library_add_replaces_same_id(tmp_path) -> None:
    ix = ReviewIndex.create(tmp_path / "ix")
    first = Review(id="r1", title="첫 리뷰", body="배우들 연기가 정말 좋았어요", author="kim")
    assert ix.add([first]) == 1
    assert ix.add([Review(id="r1", title="고친 리뷰", body="스토리가 지루했어요")]) == 1
    assert len(ix) == 1
    assert titles(ix.search("지루하다")) == ["고친 리뷰"]
    assert ix.search("연기").total == 0
    # Same id twice in one call: the later one wins.
    ix.add([Review(id="r2", body="처음 글"), Review(id="r2", body="나중 글")])
    assert [h.review.body for h in ix.search("id:r2")] == ["나중 글"]
    assert len(ix) == 2


def test_open_reads_what_create_wrote(tmp_path) -> None:
    ReviewIndex.create(tmp_path / "ix").add([Review(id="a", body="액션 최고")])
    reopened = ReviewIndex.open(tmp_path / "ix")
    [hit] = reopened.search("액션")
    assert (hit.id, hit.review.body, hit.review.keywords_derived) == ("a", "액션 최고", False)


def test_a_name_kiwi_reads_with_a_space_it_was_written_without_is_shown_as_written(tmp_path) -> None:
    # Kiwi reads 소피마르소 as its dictionary's "소피 마르소": keywords and highlights are the text's own letters.
    ix = ReviewIndex.create(tmp_path / "ix")
    ix.add([Review(id="a", body="소피마르소가 너무나 예뻤던 영화. 소피마르소 최고의 미모, 소피마르소 연기")])
    [hit] = ix.search("마르소")
    assert "소피마르소" in hit.review.keywords and all(k == k.strip() and "르소가" not in k for k in hit.review.keywords)
    assert {p.text[a:b] for p in hit.passages for a, b in p.highlights} == {"마르소"}


def test_derived_keywords_are_marked(seed_index: ReviewIndex) -> None:
    [hit] = seed_index.search("author:ssnarae25")
    assert hit.review.keywords_derived is True
    assert {"테오도르", "사만다", "AI"} <= set(hit.review.keywords)
    [explicit] = seed_index.search("author:관리자")
    assert explicit.review.keywords_derived is False
