"""The Typesense engine (experimental) on real typesense-server processes:
the local cluster commands, and an index in a collection used through
ReviewIndex as a folder index is. Skipped only if the ``cluster`` extra's
server binary is not installed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from searcher import Review, ReviewIndex, resident
from searcher.cli import main
from searcher.engines.typesense.cluster import ClusterError, server_binary
from searcher.errors import IndexLockedError, QueryError, RevsearchError
from searcher.readers import read_file

pytest.importorskip("typesense", reason="the cluster extra is not installed: pip install -e '.[test,cluster]'")
from searcher.engines.typesense.records import ClusterRecords  # noqa: E402 (needs the typesense client)

from .conftest import CORPUS, ROOT


def _binary_or_skip() -> None:
    """Skip unless the ``cluster`` extra's server binary is installed."""
    try:
        server_binary()
    except ClusterError as e:
        pytest.skip(str(e))


def test_cluster_start_prints_the_url_and_key_and_stop_ends_its_servers(tmp_path) -> None:
    _binary_or_skip()
    folder = tmp_path / "cluster"
    started = CliRunner().invoke(main, ["cluster", "start", str(folder), "--nodes", "1"])
    try:
        assert started.exit_code == 0, started.output
        lines = started.output.splitlines()
        key = next(line for line in lines if line.startswith("export TYPESENSE_API_KEY=")).split("=", 1)[1]
        url = lines[-1]
        assert url.startswith("typesense://127.0.0.1:") and url.endswith("/reviews")
        assert (folder / "api-key").read_text().strip() == key
        address = url.removeprefix("typesense://").split("/")[0]
        request = urllib.request.Request(f"http://{address}/debug", headers={"X-TYPESENSE-API-KEY": key})
        with urllib.request.urlopen(request, timeout=5) as answer:
            assert json.loads(answer.read())["state"] == 1  # the leader
        again = CliRunner().invoke(main, ["cluster", "start", str(folder), "--nodes", "1"])
        assert again.exit_code == 2 and "is running" in again.output
    finally:
        stopped = CliRunner().invoke(main, ["cluster", "stop", str(folder)])
    assert stopped.exit_code == 0 and "stopped 1 server" in stopped.output
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://{address}/health", timeout=2)


# ---------------------------------------------------------------- an index on a 1-node server

DATA = [CORPUS, ROOT / "tests" / "data" / "nsmc-sample"]
#: Queries whose matches the Typesense engine finds exactly as the Whoosh engine does.
EXACT_QUERIES = [
    "외로움", "외로운", "외로움을", "사만다와의 이별", "연기 최고", "사만다 -이혼", "rating:[9 TO 10] 재밌다",
    "영화 OR 드라마", "date:[2013-01-01 TO 2013-12-31] 최악", "NOT 영화", "item:104488 영화", "영화 -외로움",
    "rating:[* TO 3] OR 최고", "영화 -rating:[9 TO 10]", "NOT date:[* TO 2012-12-31]",
]


@pytest.fixture(scope="module")
def indexes(typesense_cluster, tmp_path_factory) -> tuple[ReviewIndex, ReviewIndex, str]:
    """The bundled corpus and the NSMC sample in a collection, and in a
    folder (the Whoosh engine) to compare with; the collection's address."""
    url = typesense_cluster.url("reviews_test")
    cluster = ReviewIndex.create(url)
    report = cluster.add_paths(DATA)
    assert (report.reviews_indexed, report.skipped) == (304, [])
    folder = ReviewIndex.create(tmp_path_factory.mktemp("whoosh"))
    folder.add_paths(DATA)
    return cluster, folder, url


def _ids(results) -> list[str]:
    return [hit.id for hit in results.hits]


@pytest.mark.parametrize("query", EXACT_QUERIES)
def test_a_query_matches_the_reviews_the_whoosh_engine_matches(indexes, query) -> None:
    cluster, folder, _ = indexes
    ours, theirs = cluster.search(query, limit=400), folder.search(query, limit=400)
    assert ours.total == theirs.total > 0
    assert set(_ids(ours)) == set(_ids(theirs))


def test_particles_and_endings_find_the_lemma_and_the_best_review_is_the_whoosh_engines(indexes) -> None:
    cluster, folder, _ = indexes
    for query in ("외로움", "외로운", "외로움을", "외롭다"):
        results = cluster.search(query, limit=3)
        assert _ids(results)[0] == _ids(folder.search(query, limit=3))[0]
        assert any("외로" in p.text for p in results.hits[0].passages)  # passages highlighted by revsearch
    assert cluster.search("외로움").to_dict().keys() == folder.search("외로움").to_dict().keys()


@pytest.mark.parametrize("query", [
    "영화 배우 연기 이영애", "정말 재밌다 최고 영화 불꽃", "스토리 지루 배우 연기 음악 감동 테오도르", "사만다와의 이별",
    "최악의 영화", "연기 최고",
])
def test_the_ranking_is_close_to_the_whoosh_engines(indexes, query) -> None:
    # not equal: the collection keeps no term frequencies (see the README)
    cluster, folder, _ = indexes
    ours, theirs = _ids(cluster.search(query, limit=5)), _ids(folder.search(query, limit=5))
    assert theirs[0] in ours and len(set(ours) & set(theirs)) >= 3


def test_filters_sorting_and_facets(indexes) -> None:
    cluster, folder, _ = indexes
    for query, kwargs in (
        ("영화", dict(since="2013-06-01", until="2013-12-31")), ("rating:[1 TO 10]", dict(author="lees****")),
        ("영화", dict(sort="date")), ("영화", dict(sort="rating", reverse=True)),
    ):
        ours, theirs = cluster.search(query, limit=5, **kwargs), folder.search(query, limit=5, **kwargs)
        assert ours.total == theirs.total > 0, kwargs
        if "sort" in kwargs:  # the dates or ratings in order, as the Whoosh engine orders them
            key = (lambda h: h.review.date) if kwargs["sort"] == "date" else (lambda h: h.review.rating)
            assert [key(h) for h in ours.hits] == [key(h) for h in theirs.hits]
    facets = ["rating", "date:year", "item", "author"]
    ours, theirs = cluster.search("재밌다", facets=facets), folder.search("재밌다", facets=facets)
    for name in facets:
        assert ours.facets[name] == theirs.facets[name], name
    assert cluster.stats().ratings == folder.stats().ratings


def test_a_rerun_changes_nothing_and_adding_again_replaces_by_id(indexes) -> None:
    cluster, _, url = indexes
    before = sorted(r.id for r in cluster.reviews())
    report = cluster.add_paths(DATA)
    assert (report.unchanged, report.reviews_indexed) == (7, 0)
    cluster.add(list(cluster.reviews())[:10])
    again = ReviewIndex.open(url)
    assert sorted(r.id for r in again.reviews()) == before and len(again) == 304
    assert again.stats().files == 7


def test_a_query_too_long_for_typesense_filters_is_a_query_error(indexes) -> None:
    cluster, folder, _ = indexes
    words = " ".join(f"영화{n}" for n in range(60))  # 60 words to hold: longer than a 0.24 filter
    assert folder.search(words).total > 0  # (the Whoosh engine has no such limit)
    with pytest.raises(QueryError, match=r"^the query makes a filter of \d+ parts, more than the Typesense engine takes \(99\): shorten it$"):
        cluster.search(words)


def test_one_writer_at_a_time_across_the_cluster(indexes) -> None:
    cluster, _, url = indexes
    with ClusterRecords.at(url).lock():  # another machine writing
        with pytest.raises(IndexLockedError, match="is being written by .*--wait"):
            cluster.delete(["no such review"])
    assert cluster.delete(["no such review"]) == 0  # released


def test_a_missing_api_key_is_one_line_with_the_export_hint(indexes, monkeypatch) -> None:
    _, _, url = indexes
    monkeypatch.delenv("TYPESENSE_API_KEY")
    with pytest.raises(RevsearchError, match=r"^TYPESENSE_API_KEY is not set: export TYPESENSE_API_KEY=KEY") as caught:
        ReviewIndex.open(url)
    assert "\n" not in str(caught.value)


def test_the_commands_take_a_cluster_address(typesense_cluster) -> None:
    url = typesense_cluster.url("reviews_cli")
    runner = CliRunner()
    indexed = runner.invoke(main, ["index", str(CORPUS), "--index", url])
    assert indexed.exit_code == 0 and f"into {url} (4 reviews in the index)" in indexed.output, indexed.output
    found = runner.invoke(main, ["query", "외로운", "--index", url, "--json", "--limit", "1"])
    assert found.exit_code == 0
    assert json.loads(found.output)["total"] == 4
    assert runner.invoke(main, ["query", '"없는단어조합"', "--index", url]).exit_code == 1
    checked = runner.invoke(main, ["check", "--index", url])
    assert checked.exit_code == 0 and "4 reviews, 4 files recorded" in checked.output
    assert runner.invoke(main, ["suggest", "사만", "--index", url]).output.startswith("사만다\t4")
    stats = runner.invoke(main, ["stats", "--index", url, "--json"])
    assert json.loads(stats.output)["engine"].startswith("typesense 0.24")


def _copies(folder, times: int) -> None:
    """``times`` copies of the NSMC sample's files in ``folder``, as exports of
    other reviews: each review's id made new (``<id>-<copy>``)."""
    folder.mkdir()
    for source in sorted((ROOT / "tests" / "data" / "nsmc-sample").iterdir()):
        reviews = json.loads(source.read_text(encoding="utf-8"))
        for copy in range(times):
            moved = [dict(r, review_id=f"{r['review_id']}-{copy}") for r in reviews]
            (folder / f"{copy}-{source.name}").write_text(json.dumps(moved, ensure_ascii=False), encoding="utf-8")


def _documents(url: str) -> int:
    """How many documents the collection at ``url`` holds (0 before it exists), asked of the server itself."""
    address, collection = url.removeprefix("typesense://").split("/")
    request = urllib.request.Request(
        f"http://{address}/collections/{collection}", headers={"X-TYPESENSE-API-KEY": os.environ["TYPESENSE_API_KEY"]}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return json.loads(answer.read())["num_documents"]
    except urllib.error.HTTPError:
        return 0


def test_a_killed_run_run_again_leaves_exactly_the_reviews_of_the_files(typesense_cluster, tmp_path) -> None:
    url, folder = typesense_cluster.url("reviews_killed"), tmp_path / "exports"
    _copies(folder, 7)  # 21 files, 2,100 reviews, sent 1,000 at a time and committed once, at the end
    run = subprocess.Popen(
        [sys.executable, "-m", "searcher.cli", "index", str(folder), "--index", url, "-q"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline, sent = time.monotonic() + 60, 0
        while sent < 1000 and run.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            sent = _documents(url)
    finally:
        run.kill()  # SIGKILL, as a machine losing power: its lock kept, nothing committed
        run.wait()
    assert run.returncode == -signal.SIGKILL and sent == 1000, run.stderr.read().decode()
    (folder / "0-104488.json").unlink()  # its reviews were sent: gone before the re-run, they must go too
    again = CliRunner().invoke(main, ["index", str(folder), "--index", url])  # the dead writer's lock taken over at once
    assert again.exit_code == 0 and "20 new" in again.output and "1 removed" in again.output, again.output
    expected = {r.id for f in folder.iterdir() for r in read_file(f) if isinstance(r, Review)}
    assert len(expected) == 2000
    index = ReviewIndex.open(url)
    assert sorted(r.id for r in index.reviews()) == sorted(expected) and index.stats().files == 20


def test_queries_of_a_cluster_go_through_a_resident_server_that_sees_what_writers_change(
    typesense_cluster, tmp_path, monkeypatch
) -> None:
    url = typesense_cluster.url("reviews_resident")
    ReviewIndex.create(url).add([
        Review(id="netflix", body="Netflix로 다시 봤는데 역시 좋았다"), Review(id="heo", body="허 감독의 다른 작품도 궁금하다"),
    ])
    monkeypatch.setenv("REVSEARCH_RESIDENT", "1")
    monkeypatch.setenv("REVSEARCH_RUNTIME_DIR", str(tmp_path / "run"))
    query = [sys.executable, "-m", "searcher.cli", "query", "존즈", "--index", url, "--json"]
    try:
        assert subprocess.run(query, capture_output=True, timeout=120).returncode == 1  # no review says 존즈
        (server,) = resident.servers()  # started by that query, Kiwi loaded: it answers the next ones
        assert server["index"] == url
        (tmp_path / "synonyms.txt").write_text("허, 존즈\n", encoding="utf-8")
        ReviewIndex.open(url).set_synonyms(tmp_path / "synonyms.txt")  # another client, under the cluster's lock
        found = subprocess.run(query, capture_output=True, text=True, timeout=60)
        assert found.returncode == 0 and [hit["id"] for hit in json.loads(found.stdout)["hits"]] == ["heo"]
        assert [s["pid"] for s in resident.servers()] == [server["pid"]]  # the same server, the index reopened
    finally:
        resident.stop(url)


def test_deleting_a_review_deletes_that_id_only(typesense_cluster) -> None:
    url = typesense_cluster.url("reviews_ids")
    index = ReviewIndex.create(url)
    ids = ["8-11", "81-1", "811", "a/b?c#d"]  # equal but for symbols, as Typesense's filters compare them
    index.add([Review(id=i, body="연기가 좋았다") for i in ids])
    assert index.delete(["8-11", "a/b?c#d", "no such review"]) == 2
    assert sorted(r.id for r in ReviewIndex.open(url).reviews()) == ["81-1", "811"]
