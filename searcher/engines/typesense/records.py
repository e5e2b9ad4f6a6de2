"""What revsearch records of an index on a Typesense cluster, kept in the
cluster so that every machine sees the same: a collection ``COLLECTION__meta``
beside the index's, holding documents ``meta`` (the IndexMeta), ``analyzer``
(the user dictionary every client analyses with), ``manifest`` (the files
the index was built from), ``written`` (a stamp renewed by every writing
session's commit and by every writer letting go of the lock: readers that
keep the index open, or statistics of it, compare it) and ``lock`` (the writer's).

The write lock is a document with its owner and expiry, taken by creating it
(Typesense refuses to create a document whose id exists: only one writer
gets it), renewed while held, and deleted on release only if it is still its
owner's (a delete by filter). A writer killed keeps it until its expiry,
or less if it ran on this machine: a writer finding the lock held by a
process of this host that is gone takes it over at once, as it does any
lock past its expiry, by deleting it by the owner it read."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any, Callable, Iterator

from typesense import exceptions as tse

from ...errors import IncompatibleIndexError, IndexLockedError, IndexNotFoundError
from ...manifest import Manifest
from ...meta import IndexMeta
from ...options import alive
from ...lock import POLL
from .address import READ_PATIENCE, Address, reaching, retried

#: Seconds a writer's lock lasts without renewal (renewed every third of it).
LOCK_TTL = 30.0
#: The record renewed by every writing session's commit and every release of the lock.
WRITTEN = "written"


def meta_collection(address: Address) -> str:
    return f"{address.collection}__meta"


class ClusterRecords:
    """The records (see searcher.records) of the index at ``address``."""

    folder = None

    def __init__(self, address: Address):
        self.where = address
        self._client = address.client()
        self._meta = meta_collection(address)

    @classmethod
    def at(cls, location: str) -> ClusterRecords:
        return cls(Address.parse(location))

    # ------------------------------------------------------------ documents

    def get(self, name: str) -> str | None:
        """The text of the record ``name``; None if there is none."""
        try:
            return retried(self.where, lambda: self._client.collections[self._meta].documents[name].retrieve(), READ_PATIENCE)["text"]
        except tse.ObjectNotFound:
            return None

    def put(self, name: str, text: str) -> None:
        retried(self.where, lambda: self._client.collections[self._meta].documents.upsert({"id": name, "text": text}))

    def wrote(self) -> None:
        """Record that the index's reviews changed (once they have): a new stamp."""
        self.put(WRITTEN, uuid.uuid4().hex)

    def stamp(self) -> str | None:
        """What changes whenever the reviews are written (see wrote), for what is
        kept between searches; None for an index no writer stamped yet."""
        return self.get(WRITTEN)

    def _drop(self, name: str) -> None:
        try:
            retried(self.where, lambda: self._client.collections[self._meta].documents[name].delete())
        except tse.ObjectNotFound:
            pass

    # ------------------------------------------------------------ Records

    def exists(self) -> bool:
        return self.get("meta") is not None and self.has_collection()

    def has_collection(self) -> bool:
        try:
            retried(self.where, lambda: self._client.collections[self.where.collection].retrieve(), READ_PATIENCE)
        except tse.ObjectNotFound:
            return False
        return True

    def require(self) -> None:
        if not self.exists():
            raise IndexNotFoundError(
                f"no index at {self.where}: build one with `revsearch index PATH... --index {self.where}`"
            )

    def prepare(self) -> None:
        schema = {"name": self._meta, "fields": [
            {"name": "owner", "type": "string", "optional": True},
            {"name": "expires", "type": "float", "optional": True},
        ]}
        try:
            retried(self.where, lambda: self._client.collections.create(schema))
        except tse.ObjectAlreadyExists:
            pass

    def clear(self) -> None:
        for name in ("meta", "manifest", "analyzer", WRITTEN):
            self._drop(name)
        try:
            retried(self.where, lambda: self._client.collections[self.where.collection].delete())
        except tse.ObjectNotFound:
            pass

    def read_meta(self) -> IndexMeta:
        text = self.get("meta")
        rebuild = f"`revsearch index PATH... --rebuild --index {self.where}`"
        if text is None:
            raise IncompatibleIndexError(f"the index at {self.where} has no record of how it was built: rebuild it with {rebuild}")
        try:
            return IndexMeta._from(json.loads(text))
        except (ValueError, KeyError, TypeError) as e:
            raise IncompatibleIndexError(f"the record of the index at {self.where} is unreadable ({e}): rebuild it with {rebuild}") from e

    def write_meta(self, meta: IndexMeta) -> None:
        self.put("meta", json.dumps(asdict(meta)))

    def manifest(self) -> Manifest:
        return ClusterManifest(self)

    def size(self) -> int:
        return 0

    @contextmanager
    def lock(self, wait: float = 0.0, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        owner = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"  # read back by _dead
        self._take(owner, wait, on_wait)
        stop = threading.Event()
        renewer = threading.Thread(target=self._renew, args=(owner, stop), daemon=True, name="revsearch-lock")
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            self.wrote()  # the record or the synonyms may have changed too
            self._release(owner)

    def _documents(self) -> Any:
        return self._client.collections[self._meta].documents

    def _take(self, owner: str, wait: float, on_wait: Callable[[str], None] | None) -> None:
        deadline, told = time.monotonic() + wait, False
        while True:
            try:
                retried(self.where, lambda: self._documents().create({"id": "lock", "owner": owner, "expires": time.time() + LOCK_TTL}))
                return
            except tse.ObjectAlreadyExists:
                pass
            try:
                held = retried(self.where, lambda: self._documents()["lock"].retrieve())
            except tse.ObjectNotFound:
                continue  # released meanwhile: try again at once
            if held["expires"] < time.time() or _dead(held["owner"]):  # its writer died: taken over, if no one else did first
                retried(self.where, lambda: self._documents().delete({"filter_by": f"owner:=`{held['owner']}`"}))
                continue
            holder = f"the index at {self.where} is being written by {held['owner']}"
            if time.monotonic() >= deadline:
                hint = f"gave up after {wait:g} s" if wait else "try again when it is done, or pass --wait SECONDS"
                raise IndexLockedError(f"{holder}: {hint}")
            if not told and on_wait:
                on_wait(f"{holder}; waiting up to {wait:g} s")
                told = True
            time.sleep(POLL)

    def _renew(self, owner: str, stop: threading.Event) -> None:
        """Push the lock's expiry on while it is held (and still ``owner``'s)."""
        while not stop.wait(LOCK_TTL / 3):
            try:
                with reaching(self.where):
                    if self._documents()["lock"].retrieve()["owner"] == owner:
                        self._documents()["lock"].update({"expires": time.time() + LOCK_TTL})
            except Exception:  # a node down meanwhile: the next renewal tries again
                continue

    def _release(self, owner: str) -> None:
        retried(self.where, lambda: self._documents().delete({"filter_by": f"owner:=`{owner}`"}))


class ClusterManifest(Manifest):
    """The manifest kept as the ``manifest`` record of an index on a cluster."""

    def __init__(self, records: ClusterRecords):
        self._records = records
        self.files = self.parse(records.get("manifest"))

    def save(self) -> None:
        self._records.put("manifest", self.dumps())


def _dead(owner: str) -> bool:
    """Whether the lock's ``owner`` was a process of this host that is gone
    (a run killed: its lock need not be waited out)."""
    host, _, rest = owner.partition(" pid ")
    pid = rest.split(" ", 1)[0]
    return host == socket.gethostname() and pid.isdigit() and not alive(int(pid))
