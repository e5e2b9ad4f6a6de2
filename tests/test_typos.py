"""Did-you-mean, typo recall and as-you-type completion, measured in jamo
(keystrokes), through the library and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from searcher import QueryError, Review, ReviewIndex
from searcher.cli import main
from searcher.jamo import distance, from_latin, initials, keys
from searcher.results import Results


@pytest.fixture(scope="module")
def typo_index(tmp_path_factory) -> ReviewIndex:
    """A review with the typo 사마다 itself (Kiwi reads 사 of it), three with 사만다
    and four with 삼가다 (also one keystroke from 사마다), 극장 in three
    reviews but 극쟝 in one, and 눈치 in three."""
    ix = ReviewIndex.create(tmp_path_factory.mktemp("typos"))
    ix.add([
        Review("exact", body="사마다 좋아요"),
        Review("fixed-1", body="사만다 목소리가 좋아요"),
        Review("fixed-2", body="사만다 사만다 사만다 최고"),
        Review("fixed-3", body="사만다와 테오도르"),
        Review("rare", body="극쟝 간판이 멋지다"),
        *(Review(f"cinema-{n}", body=f"동네 극장에서 {n}번 봤다") for n in range(3)),
        *(Review(f"refrain-{n}", body="스포일러는 삼가다") for n in range(4)),
        *(Review(f"tact-{n}", body="눈치가 빠르다") for n in range(3)),
    ])
    return ix


# ------------------------------------------------------------ keystrokes


def test_jamo_are_keystrokes_with_compounds_split() -> None:
    assert keys("사만다") == "ㅅㅏㅁㅏㄴㄷㅏ"
    assert keys("와") == "ㅇㅗㅏ" and keys("닭") == "ㄷㅏㄹㄱ"
    assert initials("사만다") == "ㅅㅁㄷ"
    assert distance("외로음", "외로움") == distance("사마다", "사만다") == distance("테오도로", "테오도르") == 1
    assert distance("와", "오") == 1  # one key more, not a different letter


def test_latin_typed_on_the_korean_layout_reads_as_hangul() -> None:
    assert from_latin("tkaksek") == "사만다"
    assert from_latin("dhlfhdna") == "외로움"
    assert from_latin("ekfr") == "닭"
    assert from_latin("netflix") is None  # not whole syllables: an English word


# ------------------------------------------------------------ did-you-mean


@pytest.mark.parametrize(
    ("typed", "meant"), [("사마다", "사만다"), ("테오도로", "테오도르"), ("외로음", "외로움")]
)
def test_a_word_the_index_lacks_is_corrected_and_searched(seed_index: ReviewIndex, typed: str, meant: str) -> None:
    results = seed_index.search(typed)
    assert results.suggestion == meant
    assert results.corrections == {typed: meant}
    assert results.total > 0
    highlighted = {p.text[a:b] for hit in results for p in hit.passages for a, b in p.highlights}
    assert any(meant in word for word in highlighted)


def test_the_suggestion_keeps_the_rest_of_the_query(seed_index: ReviewIndex) -> None:
    results = seed_index.search("사마다는 테오도르")
    assert results.suggestion == "사만다는 테오도르"
    assert results.corrections == {"사마다": "사만다"}


@pytest.mark.parametrize(("typed", "meant"), [("tkaksek", "사만다"), ("dhlfhdna", "외로움")])
def test_korean_typed_in_english_mode_is_read_as_korean(seed_index: ReviewIndex, typed: str, meant: str) -> None:
    results = seed_index.search(typed)
    assert (results.suggestion, results.corrections) == (meant, {typed: meant})
    assert results.total == seed_index.search(meant).total > 0


def test_known_and_one_syllable_words_are_left_alone(seed_index: ReviewIndex) -> None:
    for query in ("사만다", "외로움 테오도르", "her"):
        results = seed_index.search(query)
        assert (results.suggestion, results.corrections) == (None, {}), query
    assert seed_index.search("뷁").corrections == {}
    assert seed_index.search("그녀 사만다").corrections == {}  # 그녀 is not indexed: nothing to correct


def test_one_syllable_words_with_particles_are_not_typos(typo_index: ReviewIndex) -> None:
    assert typo_index.search("눈이").corrections == {}  # 눈 + 이, not 눈치 mistyped
    assert typo_index.search("눈치").total == 3


def test_a_word_the_index_holds_is_not_corrected_however_kiwi_cuts_it_alone(tmp_path) -> None:
    # Kiwi reads 지루 alone as 지 + 루, but the index holds 지루 (of 지루하다): not a typo of 지구.
    ix = ReviewIndex.create(tmp_path / "ix")
    ix.add([*(Review(f"dull-{n}", body="스토리가 지루하다") for n in range(3)),
            *(Review(f"earth-{n}", body="지구 온난화 다큐") for n in range(5))])
    results = ix.search("스토리 지루")
    assert (results.suggestion, results.corrections) == (None, {})
    assert {hit.id for hit in results}.isdisjoint({f"earth-{n}" for n in range(5)})


def test_reviews_found_through_a_correction_rank_below_the_typed_word(typo_index: ReviewIndex) -> None:
    results = typo_index.search("사마다")
    assert results.corrections == {"사마다": "사만다"}  # not the more frequent 삼가다: it moves ㅁ to 사
    assert [hit.id for hit in results][0] == "exact"
    assert {hit.id for hit in results[1:]} == {"fixed-1", "fixed-2", "fixed-3"} and results.total == 4


def test_reviews_with_every_word_corrected_come_before_those_with_some_typed(typo_index: ReviewIndex) -> None:
    results = typo_index.search("사마다 목소리")
    assert results.suggestion == "사만다 목소리"
    ids = [hit.id for hit in results]
    assert ids[:2] == ["fixed-1", "exact"]  # 사만다 and 목소리, then 사 (of the typo itself) alone
    assert [hit.id for hit in typo_index.search("사마다 목소리", limit=2, offset=2)] == ids[2:4]  # pages go on


def test_a_rare_word_in_a_query_finding_little_is_offered_a_frequent_one(typo_index: ReviewIndex) -> None:
    results = typo_index.search("극쟝")
    assert results.suggestion == "극장"
    assert results.corrections == {} and [hit.id for hit in results] == ["rare"]  # suggested, not searched


def test_suggestion_and_corrections_survive_json(seed_index: ReviewIndex) -> None:
    data = json.loads(json.dumps(seed_index.search("사마다", limit=1).to_dict()))
    assert (data["suggestion"], data["corrections"]) == ("사만다", {"사마다": "사만다"})
    again = Results.from_dict(data)
    assert (again.suggestion, again.corrections) == ("사만다", {"사마다": "사만다"})
    assert seed_index.search("사만다", limit=1).to_dict()["suggestion"] is None


# ------------------------------------------------------------ as-you-type


@pytest.mark.parametrize("prefix", ["ㅅ", "사", "삼", "사만", "ㅅㅁㄷ", "사ㅁ", "사ㅁㄷ"])
def test_prefixes_typed_key_by_key_or_as_initials_reach_the_word(seed_index: ReviewIndex, prefix: str) -> None:
    assert "사만다" in [c.text for c in seed_index.suggest(prefix)]


def test_completions_match_keystrokes_and_come_most_frequent_first(seed_index: ReviewIndex) -> None:
    completions = seed_index.suggest("삼", limit=20)
    assert all(keys(c.text).startswith("ㅅㅏㅁ") for c in completions)  # 사랑 (ㅅㅏㄹ) is not 삼
    assert [c.reviews for c in completions] == sorted((c.reviews for c in completions), reverse=True)
    assert all(initials(c.text).startswith("ㅅㅁㄷ") for c in seed_index.suggest("ㅅㅁㄷ"))
    assert len(seed_index.suggest("ㅅ", limit=2)) == 2
    assert [c.text for c in seed_index.suggest("외로")][:2] == ["외로움", "외롭다"]
    assert seed_index.suggest("뷁") == []


def test_an_empty_prefix_is_refused(seed_index: ReviewIndex) -> None:
    with pytest.raises(QueryError, match="the prefix is empty"):
        seed_index.suggest("  ")


def test_completions_follow_what_the_index_holds(typo_index: ReviewIndex) -> None:
    assert typo_index.suggest("네온") == []
    typo_index.add([Review("new", body="네온사인 거리")])
    assert [c.text for c in typo_index.suggest("네온")] == ["네온사인"]
    typo_index.delete(["new"])


# ------------------------------------------------------------ command line


def _revsearch(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def seed_dir(seed_index: ReviewIndex) -> Path:
    return seed_index.path


def test_cli_says_did_you_mean(seed_dir: Path) -> None:
    shown = _revsearch("query", "외로음", "--index", str(seed_dir), "--limit", "1")
    assert shown.exit_code == 0, shown.output
    assert "Did you mean: 외로움" in shown.stdout
    data = json.loads(_revsearch("query", "tkaksek", "--index", str(seed_dir), "--json").stdout)
    assert (data["suggestion"], data["corrections"]) == ("사만다", {"tkaksek": "사만다"})


def test_cli_suggest(seed_dir: Path) -> None:
    found = _revsearch("suggest", "ㅅㅁㄷ", "--index", str(seed_dir), "--limit", "3")
    assert found.exit_code == 0 and found.stdout.splitlines()[0] == "사만다\t4"
    data = json.loads(_revsearch("suggest", "사만", "--index", str(seed_dir), "--json").stdout)
    assert data["prefix"] == "사만" and data["completions"][0] == {"text": "사만다", "reviews": 4}
    none = _revsearch("suggest", "뷁", "--index", str(seed_dir))
    assert (none.exit_code, none.stdout) == (1, "")
    empty = _revsearch("suggest", "", "--index", str(seed_dir))
    assert empty.exit_code == 2 and len(empty.stderr.strip().splitlines()) == 1
    assert "the prefix is empty" in empty.stderr
