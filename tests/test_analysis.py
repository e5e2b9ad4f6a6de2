"""The Korean analyzer: particles and endings dropped, lemmas, offsets into the original text."""

from __future__ import annotations

import pickle

from searcher.analysis import DEFAULT, analyze
from searcher.engines.whoosh.schema import KiwiTokenizer, build_schema


def terms(text: str) -> list[str]:
    return [t.text for t in analyze(text)]


def surfaces(text: str) -> list[tuple[str, str]]:
    return [(t.text, text[t.start : t.end]) for t in analyze(text)]


def test_particles_are_dropped() -> None:
    assert terms("테오도르는") == terms("테오도르의") == terms("테오도르를") == ["테오도르"]
    assert terms("사만다와의 이별") == ["사만다", "이별"]


def test_verbs_and_adjectives_become_lemmas() -> None:
    for form in ("외로운", "외롭다", "외롭고", "외로워서"):
        assert "외롭다" in terms(form), form
    assert terms("느꼈다") == ["느끼다"]


def test_deverbal_nouns_also_match_their_lemma() -> None:
    # 외로움 is a noun in Kiwi's dictionary; it is indexed as both, at one position.
    found = analyze("외로움을 느꼈다")
    assert {(t.text, t.pos) for t in found if t.pos == 0} == {("외로움", 0), ("외롭다", 0)}
    assert "슬프다" in terms("슬픔")
    assert "이르다" not in terms("이름")  # 이름 is not from 이르다


def test_latin_is_case_folded() -> None:
    assert terms("AI") == terms("ai") == ["ai"]
    assert terms("iPhone을") == ["iphone"]


def test_negating_prefix_stays_attached() -> None:
    assert terms("불친절") == ["불친절"]
    assert "친절" not in terms("직원이 불친절했다")
    assert terms("비호감") == ["비호감"]


def test_offsets_point_at_the_original_text() -> None:
    text = "테오도르는 외로운 사람이다. 외로움을 느꼈다"
    assert surfaces(text) == [
        ("테오도르", "테오도르"),
        ("외롭다", "외로운"),
        ("사람", "사람"),
        ("외로움", "외로움"),
        ("외롭다", "외로움"),
        ("느끼다", "느꼈"),  # a contraction: the span covers the written syllable
    ]


def test_positions_count_only_indexed_words() -> None:
    found = analyze("사만다와의 이별은 슬펐다")
    assert [(t.text, t.pos) for t in found] == [("사만다", 0), ("이별", 1), ("슬프다", 2)]


def test_long_text_is_cut_into_pieces_without_losing_offsets() -> None:
    sentence = "테오도르는 사만다를 만났다. "
    text = sentence * 500  # ~8,000 characters: several pieces for Kiwi
    found = analyze(text)
    assert [t.text for t in found].count("테오도르") == 500
    assert all(text[t.start : t.end] in ("테오도르", "사만다", "만났") for t in found)
    assert [t.pos for t in found] == list(range(len(found)))


def test_a_stream_keeps_items_in_order_with_their_own_terms() -> None:
    """Items without texts (a file's start and end in a run) pass through in
    their place, and each text gets the terms it would alone."""
    long = "테오도르는 사만다와 이야기한다. " * 200  # several pieces
    items = [("start", ()), ("a", ("외로운 밤", "", long)), ("mid", ()), ("b", ("사만다와의 이별",)), ("end", ())]
    got = list(DEFAULT.stream(iter(items), lambda item: item[1]))
    assert [item for item, _ in got] == items
    assert [terms for _, terms in got] == [[analyze(text) for text in item[1]] for item in items]
    assert got[1][1][0][0].text == "외롭다" and got[1][1][2][-1].end > 2000


def test_analyzer_pickles_without_kiwi() -> None:
    # Whoosh stores the schema, analyzer included, in the index.
    analyze("한 번 불러서 Kiwi를 적재한다")
    schema = pickle.loads(pickle.dumps(build_schema()))
    assert isinstance(schema["body"].analyzer, KiwiTokenizer)
    assert len(pickle.dumps(KiwiTokenizer())) < 200
    assert [t.text for t in schema["body"].analyzer("외로운 테오도르")] == ["외롭다", "테오도르"]


def test_nouns_written_together_are_also_indexed_joined() -> None:
    found = {(t.text, t.pos) for t in analyze("서울지방검찰청에서")}
    assert found == {("서울", 0), ("지방", 1), ("검찰청", 2), ("서울지방검찰청", 0)}
    assert ("갤럭시s24", 0) in {(t.text, t.pos) for t in analyze("갤럭시S24를")}
    assert "iphone15" in terms("iPhone15를") and "os1" in terms("OS1과")
    assert "인공지능" not in terms("인공 지능")  # written apart, the words are matched one by one


def test_a_name_kiwi_reads_across_a_space_is_split() -> None:
    assert surfaces("테드 번디는") == [("테드", "테드"), ("번디", "번디"), ("테드번디", "테드 번디")]


def test_review_slang_is_one_word() -> None:
    assert terms("존잼이에요") == ["존잼"]
    assert terms("비추합니다") == ["비추"]
    assert terms("빛을 비추다") == ["빛", "비추다"]  # the verb is still the verb
