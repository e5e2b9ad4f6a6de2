"""The Typesense engine (experimental) on real typesense-server processes:
the local cluster commands, and an index in a collection used through
ReviewIndex as a folder index is. Skipped only if the ``cluster`` extra's
server binary is not installed."""

from __future__ import annotations

import json
import urllib.request

import pytest
from click.testing import CliRunner

from searcher.cli import main
from searcher.engines.typesense.cluster import ClusterError, server_binary


def _binary_or_skip() -> None:
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
