"""A Typesense index location, ``typesense://HOST:PORT[,HOST:PORT…]/COLLECTION``,
its API key from the environment (``TYPESENSE_API_KEY``, never the command
line), the client that reaches its nodes, and the one-line errors for a
cluster that cannot be reached."""

from __future__ import annotations

import os
import re
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar

import httpx
import typesense
from typesense import exceptions as tse

from ...errors import RevsearchError
from .. import TYPESENSE

T = TypeVar("T")
# the client's notes on the APIs of servers newer than 0.24, which revsearch does not use
warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"typesense\.")
KEY_VARIABLE = "TYPESENSE_API_KEY"
_COLLECTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,99}")
_NODE = re.compile(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})")
#: What a node down, busy or electing a leader makes a request raise: tried again, with backoff.
TRANSIENT = (
    tse.ServiceUnavailable, tse.HTTPStatus0Error, tse.Timeout, tse.ServerError, httpx.TransportError, ConnectionError,
)


class ClusterAddressError(RevsearchError):
    """A cluster address that is malformed, or no API key for it."""


class ClusterUnavailable(RevsearchError):
    """No node of the cluster answered (in time)."""


@dataclass(frozen=True)
class Address:
    """Where a Typesense index is: its nodes (host, port), its collection, the API key."""

    nodes: tuple[tuple[str, int], ...]
    collection: str
    api_key: str

    def __str__(self) -> str:
        return TYPESENSE + ",".join(f"{h}:{p}" for h, p in self.nodes) + "/" + self.collection

    @classmethod
    def parse(cls, location: str) -> Address:
        """The address ``location`` names, the key from TYPESENSE_API_KEY.
        ClusterAddressError saying what is wrong, in one line."""
        rest = location[len(TYPESENSE):] if location.startswith(TYPESENSE) else ""
        hosts, _, collection = rest.partition("/")
        example = "typesense://127.0.0.1:8108,127.0.0.1:8109/reviews"
        if not hosts or not _COLLECTION.fullmatch(collection):
            raise ClusterAddressError(f"{location} is not a cluster address: write it as {example} (hosts, then a collection name)")
        nodes = []
        for node in hosts.split(","):
            found = _NODE.fullmatch(node)
            if found is None or not 0 < int(found[2]) < 65536:
                raise ClusterAddressError(f"{node!r} in {location} is not HOST:PORT: write the address as {example}")
            nodes.append((found[1].strip("[]"), int(found[2])))
        key = os.environ.get(KEY_VARIABLE, "").strip()
        if not key:
            raise ClusterAddressError(
                f"{KEY_VARIABLE} is not set: export {KEY_VARIABLE}=KEY (the key `revsearch cluster start` printed, "
                "or your cluster's), as it is never given on the command line"
            )
        return cls(tuple(nodes), collection, key)

    def client(self, timeout: float = 10.0) -> typesense.Client:
        """A client of every node: a request a node fails is tried on the next."""
        return typesense.Client({
            "nodes": [{"host": h, "port": p, "protocol": "http"} for h, p in self.nodes],
            "api_key": self.api_key,
            "connection_timeout_seconds": timeout,
            "num_retries": 2 * len(self.nodes),
            "retry_interval_seconds": 0.2,
            "healthcheck_interval_seconds": 2,
        })


#: Seconds a write waits for the cluster to answer again; a read waits less (someone is waiting for its answer).
WRITE_PATIENCE, READ_PATIENCE = 60.0, 10.0


def retried(address: Address, work: Callable[[], T], patience: float = WRITE_PATIENCE) -> T:
    """``work`` done, tried again with backoff (0.25 s doubling to 4 s) while
    the cluster is down, busy or electing a leader, for at most ``patience``
    seconds; then ClusterUnavailable."""
    deadline, pause = time.monotonic() + patience, 0.25
    while True:
        try:
            with reaching(address):
                return work()
        except ClusterUnavailable:
            if time.monotonic() + pause > deadline:
                raise
            time.sleep(pause)
            pause = min(4.0, pause * 2)


@contextmanager
def reaching(address: Address) -> Iterator[None]:
    """Requests to the cluster, their failures as one-line errors: ClusterUnavailable
    for no answer, RevsearchError for a refused key."""
    try:
        yield
    except TRANSIENT as e:
        raise ClusterUnavailable(
            f"the Typesense cluster at {address} does not answer ({type(e).__name__}: {e}): is it running? "
            "a local one: revsearch cluster start ./cluster"
        ) from e
    except (tse.RequestUnauthorized, tse.RequestForbidden) as e:
        raise RevsearchError(f"the Typesense cluster at {address} refuses the key in {KEY_VARIABLE}: export the cluster's API key") from e
