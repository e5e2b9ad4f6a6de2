"""Synonyms: a Solr-format file recorded with an index, expanded at query time
after Kiwi's analysis, replaced without a rebuild (a resident server sees the
new ones), the expanded words marked in passages, malformed lines refused."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from searcher import Review, ReviewIndex, resident
from searcher.cli import main

REVIEWS = [
    Review(id="netflix", body="Netflix로 다시 봤는데 역시 좋았다"),
    Review(id="netpl", body="넷플에 올라와서 주말에 봤다"),
    Review(id="her", title="Her 후기", body="Her 정말 외로운 영화였다"),
    Review(id="heo", body="허 감독의 다른 작품도 궁금하다"),
    Review(id="disney", body="디즈니 플러스 에서 처음 봤다"),
    Review(id="apart", body="디즈니 영화는 많지만 플러스 요금이 아깝다"),
    Review(id="dipl", body="디플 가입하고 본 첫 영화"),
]
RULES = """# streaming services
넷플릭스, Netflix, 넷플

허 => Her   # one-way
디즈니 플러스, 디플
"""


def ids(results) -> set[str]:
    return {hit.id for hit in results.hits}


def marked(hit) -> list[str]:
    """The words a hit's passages mark."""
    return [p.text[a:b] for p in hit.passages for a, b in p.highlights]


@pytest.fixture(scope="module")
def ix(tmp_path_factory) -> Iterator[ReviewIndex]:
    folder = tmp_path_factory.mktemp("synonyms")
    (folder / "synonyms.txt").write_text(RULES, encoding="utf-8")
    with ReviewIndex.create(folder / "ix", synonyms=folder / "synonyms.txt") as index:
        index.add(REVIEWS)
        yield index


def test_equivalent_words_find_each_other_whatever_particle_the_query_word_takes(ix) -> None:
    assert ids(ix.search("넷플릭스에서")) == {"netflix", "netpl"}
    assert ids(ix.search("넷플에서")) == {"netflix", "netpl"}
    assert ids(ix.search("Netflix를")) == {"netflix", "netpl"}
    assert ids(ix.search("넷플릭스로")) == {"netflix", "netpl"}


def test_a_one_way_rule_finds_its_target_but_not_the_other_way(ix) -> None:
    assert ids(ix.search("허")) == {"heo", "her"}
    assert ids(ix.search("Her")) == {"her"}


def test_a_synonym_of_several_words_is_searched_as_a_phrase_and_matches_as_one(ix) -> None:
    assert ids(ix.search("디플을")) == {"dipl", "disney"}  # not "apart": 디즈니 … 플러스 far apart
    both = ix.search("디즈니 플러스")
    assert ids(both) == {"disney", "dipl", "apart"} and both.hits[0].id == "disney"


def test_expanded_words_are_marked_in_passages(ix) -> None:
    hits = {hit.id: hit for hit in ix.search("넷플릭스").hits}
    assert marked(hits["netflix"]) == ["Netflix"] and marked(hits["netpl"]) == ["넷플"]
    assert marked(next(h for h in ix.search("디플").hits if h.id == "disney")) == ["디즈니", "플러스"]


def test_the_plan_shows_the_expansion_and_a_query_without_synonyms_is_planned_as_before(ix, tmp_path) -> None:
    shown = str(ix.plan("넷플릭스에서 봤다"))
    assert "synonyms: 넷플릭스 → netflix | 넷플" in shown and "body:netflix" in shown
    with ReviewIndex.create(tmp_path / "plain") as plain:
        assert str(ix.plan("외로운 영화")) == str(plain.plan("외로운 영화"))


def test_synonyms_are_replaced_without_a_rebuild_and_recorded_with_the_index(ix, tmp_path) -> None:
    newer = tmp_path / "newer.txt"
    newer.write_text("허, 존즈\n", encoding="utf-8")
    try:
        ix.set_synonyms(newer)
        assert ids(ix.search("넷플릭스")) == set() and ids(ix.search("존즈")) == {"heo"}
        newer.write_text("넷플릭스, 넷플\n", encoding="utf-8")  # the text was recorded, not the path
        with ReviewIndex.open(ix.path) as reopened:
            assert ids(reopened.search("존즈")) == {"heo"}
            assert reopened.synonyms is not None and reopened.synonyms.text == "허, 존즈\n"
        meta = json.loads((ix.path / "revsearch.json").read_text(encoding="utf-8"))
        assert meta["synonyms"] == "허, 존즈\n" and meta["synonyms_file"] == str(newer)
        assert ix.stats().synonyms == {"rules": 1, "file": str(newer)}
        ix.set_synonyms(None)
        assert ids(ix.search("존즈")) == set()
    finally:
        (tmp_path / "again.txt").write_text(RULES, encoding="utf-8")
        ix.set_synonyms(tmp_path / "again.txt")
    assert ids(ix.search("넷플릭스")) == {"netflix", "netpl"}


@pytest.mark.parametrize(
    "line, said",
    [
        ("=> Her", "no word left of '=>'"),
        ("a =>", "no word right of '=>'"),
        (", ,", "no word in"),
        ("넷플릭스, , Netflix", "an empty entry"),
        ("a => b => c", "more than one '=>'"),
        ("넷플릭스", "names one word"),
        ("허, 에서", "'에서' holds no word the index searches for"),
    ],
)
def test_a_malformed_line_is_an_error_naming_the_file_and_line_and_nothing_is_recorded(ix, tmp_path, line, said) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text(f"# fine so far\n넷플릭스, Netflix\n{line}\n", encoding="utf-8")
    before = (ix.path / "revsearch.json").read_bytes()
    result = CliRunner().invoke(main, ["index", "--synonyms", str(bad), "--index", str(ix.path)])
    assert result.exit_code == 2, result.output
    assert f"{bad}, line 3: " in result.output and said in result.output
    assert "Traceback" not in result.output
    assert (ix.path / "revsearch.json").read_bytes() == before


def test_a_new_index_with_a_malformed_synonym_file_is_not_created(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("허 =>\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["index", str(tmp_path), "--synonyms", str(bad), "--index", str(tmp_path / "ix")])
    assert result.exit_code == 2 and f"{bad}, line 1" in result.output
    assert not (tmp_path / "ix").exists()
    missing = CliRunner().invoke(main, ["index", str(tmp_path), "--synonyms", str(tmp_path / "nope.txt"), "--index", str(tmp_path / "ix")])
    assert missing.exit_code == 2 and f"cannot read the synonym file {tmp_path / 'nope.txt'}" in missing.output
    assert not (tmp_path / "ix").exists()


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix domain sockets")
def test_the_command_line_replaces_synonyms_and_the_resident_server_sees_them(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("REVSEARCH_RESIDENT", "1")
    monkeypatch.setenv("REVSEARCH_RUNTIME_DIR", str(tmp_path / "run"))
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    (reviews / "a.txt").write_text("Netflix에서 본 영화\n\n혼자 보기 좋은 Netflix 영화였다", encoding="utf-8")
    (reviews / "b.txt").write_text("OTT 추천\n\n주말에 OTT로 몰아서 봤다", encoding="utf-8")
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("넷플릭스, Netflix\n", encoding="utf-8")
    second.write_text("넷플릭스 => OTT\n", encoding="utf-8")
    index = tmp_path / "ix"
    runner = CliRunner()

    def found(query: str) -> set[str]:
        result = runner.invoke(main, ["query", query, "--json", "--index", str(index)])
        assert result.exit_code in (0, 1), result.output
        return {Path(hit["review"]["source"]).name for hit in json.loads(result.output)["hits"]}

    try:
        assert runner.invoke(main, ["index", str(reviews), "--synonyms", str(first), "--index", str(index), "-q"]).exit_code == 0
        assert found("넷플릭스를") == {"a.txt"}
        replaced = runner.invoke(main, ["index", "--synonyms", str(second), "--index", str(index)])
        assert replaced.exit_code == 0 and "1 synonym rule" in replaced.output
        assert found("넷플릭스를") == {"b.txt"}  # the same server, the new synonyms, no rebuild
        assert len(resident.servers()) == 1
    finally:
        resident.stop_all()
