"""The resident query server: a process that keeps an index and Kiwi loaded and
answers the searches of later `revsearch query` processes over a Unix domain
socket, so that each of them does not pay Kiwi's load (~2.5 s).

The client side (:func:`search`, :func:`ask`, :func:`servers`, :func:`stop`)
imports only light modules; the server (:func:`serve`, started detached by
:func:`_main`) imports the index and Kiwi.

There is one server per index and revsearch build. Its socket lies in a private
folder of the user (``$REVSEARCH_RUNTIME_DIR``, else ``$XDG_RUNTIME_DIR/revsearch``,
else ``/tmp/revsearch-UID``), named by a hash of the index's resolved path (or
its cluster address and API key, which the server is started with), the
revsearch version, the Python environment and interpreter, and the modification
times of revsearch's source files, so that an upgrade or an edit never talks to
an old server. A server reopens the index when a writer changed it (its records'
stamp: see searcher.records), and
exits after ``$REVSEARCH_RESIDENT_IDLE`` seconds (600) without a search, or as
soon as no client can find it any more (its socket file removed, or revsearch's
code changed), so that an old server never holds Kiwi's memory for long. It
answers up to MAX_CLIENTS clients at once, each in a thread, so that a slow
search or a slow client holds up no other.
``REVSEARCH_RESIDENT=0`` turns the client off: searches run in the calling process.

Beside its socket, a server has a lock file (clients take turns starting it)
and a log. A server removes all three when it exits, and :func:`sweep` (run by
each new server, `status` and `stop --all`) those of servers that died without
doing so (killed). Files are removed only by the holder of their lock, while
no server answers on the socket: never from under a server being started.

Protocol: :mod:`searcher.ipc`, one request per connection: the client sends
one frame with a JSON body (:func:`ipc.request`) and closes its side, the
server answers with one, by its method ``cmd_<command>`` (:func:`ipc.dispatch`).
``search`` (``query``, ``limit``, ``author``, ``since``, ``until``, ``sort``)
is answered by ``{"results": Results.to_dict()}``, ``{"error": {"kind",
"message"}}`` (a RevsearchError) or ``{"failed": traceback}``; ``status`` by
the server's status; ``stop`` by ``{"stopped": pid}``; an unknown command, or
arguments its method does not take, by an error of kind ProtocolError. A client
reads any answer but results and a QueryError, and a server that closes,
times out or answers garbage, as no server: it searches in its own process.
(A client only searches through a server of its own build, named so; `status`
and `stop --all` skip a server of another build they cannot read.) A server
is known by its socket in this user's private folder: a client asks it to
stop over that socket and signals no pid (a recorded pid could be another
process's by now).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import select
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import traceback
from collections import Counter
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ContextManager, Iterator

from . import __version__, ipc
from .errors import QueryError, ResidentUnavailable, RevsearchError
from .engines import is_cluster, locate
from .meta import has_index
from .options import alive, child_environment, python_command
from .request import SearchRequest

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no server is started
    fcntl = None

if TYPE_CHECKING:  # pragma: no cover
    from .index import ReviewIndex
    from .records import Records

#: What the caller shows while Kiwi loads (a spinner), as a context manager.
Loading = Callable[[], ContextManager[Any]]

#: Seconds a server waits for a search before exiting, unless REVSEARCH_RESIDENT_IDLE says otherwise.
IDLE_S = 600.0
#: Seconds a new server has to bind its socket (it binds before loading anything heavy).
SPAWN_TIMEOUT_S = 10.0
#: Seconds a client waits for an answer: a new server's first one includes loading Kiwi.
ANSWER_TIMEOUT_S = 60.0
#: Seconds a server waits for a connected client to send its request, or to take its answer.
REQUEST_TIMEOUT_S = 5.0
#: Clients a server answers at once, a thread each; more wait to be accepted.
MAX_CLIENTS = 16
#: Seconds between an idle server's checks that clients can still find it.
CHECK_S = 1.0
#: Seconds `stop` waits for a stopped server's process to end.
STOP_TIMEOUT_S = 5.0
#: Longest socket path AF_UNIX takes, in bytes.
MAX_SOCKET_PATH = 107
#: The files of the runtime folder that are a server's: its socket, lock and log, named by its key.
_SERVER_FILE = re.compile(r"(?P<key>[0-9a-f]{16})\.(sock|lock|log)")


@dataclass(frozen=True)
class Place:
    """The server of the index at ``index`` (a resolved folder or a cluster
    address): its socket, the lock clients take to start it, and the log of its stderr."""

    index: Path | str
    socket: Path
    lock: Path
    log: Path


# ------------------------------------------------------------------ client


def enabled() -> bool:
    """Whether searches may go through a resident server (REVSEARCH_RESIDENT is not 0/no/false/off)."""
    return os.environ.get("REVSEARCH_RESIDENT", "1").strip().lower() not in ("0", "no", "false", "off")


def search(
    index_dir: str | os.PathLike,
    request: SearchRequest,
    *,
    resident: bool = True,
    loading: Loading = nullcontext,
    started: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """``Results.to_dict()`` of a search of the index at ``index_dir``: answered by
    its resident server (started if needed) when ``resident`` and :func:`enabled`,
    else, or if no server can answer, searched in this process. Raises the
    RevsearchError, with its message, that a search in this process raises.
    ``loading`` is entered while Kiwi loads (here, or in a server being started),
    ``started`` told the status of a server this search started."""
    return _results(
        index_dir, search_request(request), lambda ix: ix.execute(request).to_dict(), resident=resident,
        loading=loading, started=started,
    )


def similar(
    index_dir: str | os.PathLike,
    review_id: str,
    limit: int = 10,
    *,
    resident: bool = True,
    loading: Loading = nullcontext,
    started: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """``Results.to_dict()`` of ``ReviewIndex.similar(review_id, limit)`` on the
    index at ``index_dir``, answered as :func:`search` answers a search."""
    return _results(
        index_dir, ipc.request("similar", review_id=review_id, limit=limit),
        lambda ix: ix.similar(review_id, limit).to_dict(), resident=resident, loading=loading, started=started,
    )


def _results(
    index_dir: str | os.PathLike, request: dict[str, Any], here: Callable[[ReviewIndex], dict[str, Any]], *,
    resident: bool, loading: Loading, started: Callable[[dict[str, Any]], None] | None, kiwi: bool = True,
) -> dict[str, Any]:
    """The answer to ``request`` of the resident server (see :func:`ask`) if
    ``resident``, else (or if none answered) ``here`` done in this process
    (Kiwi loaded first, within ``loading``, if it needs ``kiwi``)."""
    answer = ask(index_dir, request, loading=loading, started=started) if resident else None
    if answer is not None:
        return answer
    from .index import ReviewIndex

    with ReviewIndex.open(index_dir) as ix:
        if kiwi:
            with loading():
                ix.analyzer.model()
        return here(ix)


def suggest(
    index_dir: str | os.PathLike, prefix: str, limit: int = 10, *, resident: bool = True,
    loading: Loading = nullcontext, started: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """``{"prefix", "completions": [Completion.to_dict()]}`` of ReviewIndex.suggest on
    the index at ``index_dir``, answered as :func:`search` answers a search."""
    return _results(
        index_dir, ipc.request("suggest", prefix=prefix, limit=limit), lambda ix: completions(ix, prefix, limit),
        resident=resident, loading=loading, started=started, kiwi=False,
    )


def completions(ix: ReviewIndex, prefix: str, limit: int) -> dict[str, Any]:
    """The answer of :func:`suggest`, from an open index."""
    return {"prefix": prefix, "completions": [c.to_dict() for c in ix.suggest(prefix, limit)]}


def search_request(request: SearchRequest) -> dict[str, Any]:
    """The protocol request, for :func:`ask`, of a search."""
    return ipc.request("search", request=request.to_dict())


def ask(
    index_dir: str | os.PathLike, request: dict[str, Any], *, loading: Loading = nullcontext,
    started: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any] | None:
    """The results (``Results.to_dict()``) of a search ``request`` answered by the
    resident server of the index at ``index_dir``, which is started, detached, if
    none is running. Raises the QueryError the server's search raised. None when
    resident mode is off or unavailable, there is no index at ``index_dir``, no
    server answered, or the server could not use the index (missing, damaged,
    incompatible): the caller then searches in its own process, which words any
    error exactly as it always does (the index's path as the caller gave it).
    ``loading`` is entered from the start of a server until its first answer
    (it loads Kiwi meanwhile); ``started`` is then told the new server's status."""
    if not enabled() or not (is_cluster(index_dir) or has_index(Path(index_dir))):
        return None  # (whether a cluster holds the index, the server finds out)
    try:
        where = place(index_dir)
    except ResidentUnavailable:
        return None
    conn, pid = _connect(where.socket), None
    if conn is not None:
        answer = _exchange(conn, request)
    else:
        with loading():
            conn, pid = _start(where)
            answer = _exchange(conn, request) if conn else None
    if answer is None:
        return None
    if pid is not None and started is not None and (status := _status_of(where.socket)) is not None:
        started(status)
    if isinstance(answer.get("results"), dict):
        return answer["results"]
    error = answer.get("error")
    if isinstance(error, dict) and error.get("kind") == QueryError.__name__:
        raise QueryError(str(error.get("message")))
    return None  # another error (the index, or a ProtocolError: a server not of this build) or a failure


def servers() -> list[dict[str, Any]]:
    """The status of each running resident server of this user (pid, index,
    version, memory in bytes (``rss``, None if unknown), seconds up, since its
    last search, until it exits, and of idleness it exits after), once the
    files of servers that are gone are removed."""
    sweep()
    return [status for path in sorted(runtime_dir().glob("*.sock")) if (status := _status_of(path)) is not None]


def stop(index_dir: str | os.PathLike) -> int | None:
    """Stop the resident server of the index at ``index_dir`` and wait for it to
    exit; its pid, or None if none was running."""
    return _stop(place(index_dir).socket)


def stop_all() -> list[int]:
    """Stop every resident server of this user (of any index, even one deleted
    since, or revsearch build) and remove the files of those that are gone; their pids."""
    stopped = [pid for path in sorted(runtime_dir().glob("*.sock")) if (pid := _stop(path)) is not None]
    sweep()
    return stopped


def sweep(besides: str = "") -> None:
    """Remove the socket, lock and log files of the servers that are gone (a
    killed server leaves them), except those of a server being started now
    and of the server named ``besides`` (the one sweeping)."""
    folder = runtime_dir()
    for key in sorted({m["key"] for path in folder.iterdir() if (m := _SERVER_FILE.fullmatch(path.name))} - {besides}):
        try:
            _tidy(folder, key)
        except OSError:
            continue  # left for a later sweep


def _tidy(folder: Path, key: str) -> None:
    """Remove the files of the server named ``key`` unless it answers on its
    socket or a client holds its lock (it is starting the server)."""
    with _turn(folder / f"{key}.lock", wait=False) as held:
        if not held:
            return
        conn = _connect(folder / f"{key}.sock")
        if conn is not None:
            conn.close()
            return
        for suffix in ("sock", "log", "lock"):  # the lock last: it is held until the end
            (folder / f"{key}.{suffix}").unlink(missing_ok=True)


@contextmanager
def _turn(path: Path, *, wait: bool) -> Iterator[bool]:
    """Hold the lock file at ``path``, waiting for it if ``wait``; yields whether
    it is held (not if another holds it and not ``wait``, or there is no flock).
    A lock file removed while this process waited is no one's: the one at
    ``path`` now, made anew if needed, is taken instead."""
    while fcntl is not None:
        with open(path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                break
            try:
                current = path.stat().st_ino == os.fstat(lock.fileno()).st_ino
            except FileNotFoundError:
                current = False
            if current:
                yield True
                return
    yield False


def runtime_dir() -> Path:
    """This user's private folder of server sockets, created if needed.
    ResidentUnavailable if there are no Unix sockets, or the folder is not a
    directory of this user that only they can read (mode 0700)."""
    if not hasattr(socket, "AF_UNIX"):
        raise ResidentUnavailable("this system has no Unix domain sockets")
    configured, xdg = os.environ.get("REVSEARCH_RUNTIME_DIR"), os.environ.get("XDG_RUNTIME_DIR")
    folder = Path(configured) if configured else Path(xdg, "revsearch") if xdg else Path(f"/tmp/revsearch-{os.getuid()}")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError as e:
        raise ResidentUnavailable(f"cannot create {folder}: {e.strerror or e}") from e
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise ResidentUnavailable(f"{folder} is not a folder of this user's alone (mode 0700): not used")
    return folder


def place(index_dir: str | os.PathLike) -> Place:
    """Where the server of the index at ``index_dir`` listens; ResidentUnavailable
    if the runtime folder cannot be used or its path is too long for a socket."""
    root = index_dir if is_cluster(index_dir) else Path(index_dir).resolve()
    folder = runtime_dir()
    key = _key(root)
    path = folder / f"{key}.sock"
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise ResidentUnavailable(f"the socket path {path} is longer than {MAX_SOCKET_PATH} bytes")
    return Place(root, path, folder / f"{key}.lock", folder / f"{key}.log")


def _key(root: Path | str) -> str:
    """16 hex digits naming the server of ``root`` for this revsearch build
    (and, for a cluster, the API key it reads the cluster with)."""
    package = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    parts = [str(root), __version__, sys.prefix, os.path.realpath(sys.executable)]  # python or python3: the same
    if is_cluster(root):
        parts.append(os.environ.get("TYPESENSE_API_KEY", ""))
    parts += [f"{p.relative_to(package)}:{p.stat().st_mtime_ns}" for p in sorted(package.rglob("*.py"))]
    for part in parts:
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()[:16]


def _connect(path: Path) -> socket.socket | None:
    """A connection to the server listening at ``path``; None if there is none
    (no socket file, or a stale one: see :func:`_start`)."""
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(ANSWER_TIMEOUT_S)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def _exchange(conn: socket.socket, request: dict[str, Any]) -> dict[str, Any] | None:
    """Send ``request`` and read the answer; None if the server closed, timed
    out or answered something that is not a frame of a JSON object. The client's
    side is closed once the request is sent: a server that reads something
    else than a frame (of another protocol) sees it end, rather than waits."""
    with conn:
        try:
            conn.sendall(ipc.frame(ipc.to_json(request)))
            conn.shutdown(socket.SHUT_WR)
            with conn.makefile("rb") as reader:
                body = ipc.read_frame(reader)
            return None if body is None else ipc.from_json(body)
        except (OSError, ValueError):
            return None


def _start(where: Place) -> tuple[socket.socket | None, int | None]:
    """Start the server of ``where`` and connect to it: the connection (None if
    no server started) and the pid of the server if this client started it.
    Clients take turns (a lock file), so two of them never start two servers; the
    one whose turn comes after a server started connects to that one. A socket
    file nobody answers on is a dead server's, removed before starting anew."""
    with _turn(where.lock, wait=True) as held:
        if not held:  # pragma: no cover - no flock on this system
            return None, None
        conn = _connect(where.socket)
        if conn is not None:
            return conn, None
        where.socket.unlink(missing_ok=True)
        pid = _spawn(where)
        return _connect(where.socket), pid


def _spawn(where: Place) -> int | None:
    """Start the server (:func:`_main`) detached (its own session,
    stdin and stdout closed, stderr to the log, running this very package) and
    wait for it to bind its socket; its pid once it listens there, None if it
    did not start or found another server listening."""
    with open(where.log, "wb") as log:
        server = subprocess.Popen(
            python_command("searcher.resident", "_main", str(where.index)),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, cwd="/", env=child_environment(),
            start_new_session=True,
        )
    with server.stdout:
        said = server.stdout.readline() if select.select([server.stdout], [], [], SPAWN_TIMEOUT_S)[0] else b""
    if not said and server.poll() is None:
        server.kill()  # it could not bind in time: not to be left waiting
    threading.Thread(target=server.wait, daemon=True).start()  # reaps it if it exits while this process lives
    return server.pid if said.strip() == b"ready" else None


def _status_of(path: Path) -> dict[str, Any] | None:
    """The status of the server listening at ``path``; None if none answers with one."""
    conn = _connect(path)
    answer = _exchange(conn, ipc.request("status")) if conn else None
    return answer if answer is not None and isinstance(answer.get("pid"), int) else None


def _stop(path: Path) -> int | None:
    conn = _connect(path)
    answer = _exchange(conn, ipc.request("stop")) if conn else None
    pid = answer.get("stopped") if answer else None
    if not isinstance(pid, int):
        return None
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return pid


# ------------------------------------------------------------------ server


def idle_seconds() -> float:
    """REVSEARCH_RESIDENT_IDLE (seconds, from 0 to a year), or IDLE_S."""
    try:
        idle = float(os.environ.get("REVSEARCH_RESIDENT_IDLE", IDLE_S))
    except ValueError:
        return IDLE_S
    return idle if 0 <= idle <= 365 * 86400 else IDLE_S


def serve(index_dir: str | os.PathLike, *, idle: float | None = None, ready: Callable[[bool], None] | None = None) -> None:
    """Answer searches of the index at ``index_dir`` on its socket, several at once,
    until ``idle`` seconds (default :func:`idle_seconds`) pass without a search or
    a client asks it to stop. Returns at once if another server holds the socket.
    ``ready`` is told whether this server listens as soon as the socket is bound:
    the index and Kiwi load after that, while the first clients wait for their answer."""
    where = place(index_dir)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(where.socket))
    except OSError as e:
        listener.close()
        if e.errno != errno.EADDRINUSE:
            raise
        if ready:
            ready(False)
        return
    listener.listen(64)
    if ready:
        ready(True)
    try:
        _Server(where, listener, idle_seconds() if idle is None else idle).run()
    finally:
        try:
            _tidy(where.socket.parent, where.socket.stem)  # its log too: a later server's is made anew
        except OSError:
            pass  # left for a later sweep


class _Server:
    """A bound server's loop: the clients being answered (a thread each, up
    to MAX_CLIENTS), the index (reopened when it changed), the time of the
    last search, and the socket file it owns (removed when it exits)."""

    def __init__(self, where: Place, listener: socket.socket, idle: float):
        self.where, self.listener, self.idle = where, listener, idle
        self.listener.setblocking(False)
        self.inode = where.socket.stat().st_ino
        self.ix: ReviewIndex | None = None
        self.stamp: object = ()
        self.records: Records | None = None  # the index's, once a search needs them
        self.users: Counter[ReviewIndex] = Counter()  # searches running on each opened index
        self.opening = threading.Lock()  # guards ix, stamp and users
        self.answering = 0  # clients being answered
        self.turns = threading.Condition()  # told when a client has been answered
        self.stopping = threading.Event()
        self.wake, self.waker = socket.socketpair()  # a stop request wakes the accepting thread
        self.started = self.last_search = time.monotonic()

    def run(self) -> None:
        from concurrent.futures import ThreadPoolExecutor  # here: clients only import light modules

        _log(f"pid {os.getpid()} serving {self.where.index} on {self.where.socket}; idle exit after {self.idle:g} s")
        try:
            try:
                with self._index():  # Kiwi now: the client that started this server is waiting
                    pass
            except RevsearchError as e:
                _log(f"cannot open the index yet: {e}")
            try:
                sweep(besides=self.where.socket.stem)  # the first client waits: a few milliseconds
            except RevsearchError as e:
                _log(f"cannot sweep the runtime folder: {e}")
            self.last_search = time.monotonic()
            with ThreadPoolExecutor(MAX_CLIENTS, thread_name_prefix="revsearch-client") as clients:
                while (conn := self._next()) is not None:
                    clients.submit(self._client, conn)
                # leaving waits for the clients being answered
        finally:
            self._close()

    def _next(self) -> socket.socket | None:
        """The next connection, accepted once fewer than MAX_CLIENTS are being
        answered; None once a client asked the server to stop, the idle time
        has passed without a search and no client is being answered, or the
        server is orphaned (checked every CHECK_S)."""
        while not self.stopping.is_set():
            with self.turns:
                if not self.turns.wait_for(lambda: self.answering < MAX_CLIENTS, CHECK_S):
                    continue  # the clients beyond wait in the socket's backlog
                busy = self.answering > 0
            remaining = self.last_search + self.idle - time.monotonic()
            if remaining <= 0 and not busy:
                _log(f"no search for {self.idle:g} s: exiting")
                return None
            wait = min(remaining, CHECK_S) if remaining > 0 else CHECK_S
            ready = select.select([self.listener, self.wake], [], [], wait)[0]
            if self.wake in ready:
                self.wake.recv(64)
            elif self.listener in ready:
                try:
                    conn = self.listener.accept()[0]
                except OSError:  # the client gave up before it was accepted
                    continue
                with self.turns:
                    self.answering += 1
                return conn
            elif self._orphaned():
                _log("the socket file is gone or revsearch's code changed: exiting")
                return None
        return None

    def _orphaned(self) -> bool:
        """Whether clients no longer look for this server: its socket file is gone
        or another's, or revsearch's code changed (they look for another socket)."""
        return not self._owns_socket() or _key(self.where.index) != self.where.socket.stem

    def _owns_socket(self) -> bool:
        try:
            return self.where.socket.stat().st_ino == self.inode
        except OSError:
            return False

    def _client(self, conn: socket.socket) -> None:
        """Answer one client, in a thread of its own, then let the next be accepted."""
        try:
            with conn:
                self._serve(conn)
        except Exception:  # a fault in answering one client is logged; the others are answered
            _log(traceback.format_exc())
        finally:
            with self.turns:
                self.answering -= 1
                self.turns.notify()

    def _serve(self, conn: socket.socket) -> None:
        """Answer one request (by its ``cmd_`` method); a connection that sends no
        whole frame of a JSON object in time is closed unanswered."""
        conn.settimeout(REQUEST_TIMEOUT_S)
        try:
            with conn.makefile("rb") as reader:
                body = ipc.read_frame(reader)
            if body is None:
                return
            request = ipc.from_json(body)
        except (OSError, ValueError):
            return
        answer = ipc.dispatch(self, request)
        try:
            conn.sendall(ipc.frame(ipc.to_json(answer)))
        except OSError:
            pass  # the client left

    def cmd_search(self, request: dict[str, Any]) -> dict[str, Any]:
        """``{"results": Results.to_dict()}`` of a search (a SearchRequest's dict), or the error it met."""
        return self._answer(lambda ix: ix.execute(SearchRequest.from_dict(request)).to_dict())

    def cmd_similar(self, review_id: str, limit: int) -> dict[str, Any]:
        """``{"results": Results.to_dict()}`` of ``ReviewIndex.similar``, or the error it met."""
        return self._answer(lambda ix: ix.similar(review_id, limit).to_dict())

    def cmd_suggest(self, prefix: str, limit: int) -> dict[str, Any]:
        """``{"results": …}`` of :func:`suggest` (completions of ``prefix``), or the error it met."""
        return self._answer(lambda ix: completions(ix, prefix, limit))

    def _answer(self, work: Callable[[ReviewIndex], dict[str, Any]]) -> dict[str, Any]:
        """``{"results": work(index)}``, or the error it met (``{"error": …}``, or ``{"failed": traceback}``)."""
        try:
            with self._index() as ix:
                return {"results": work(ix)}
        except RevsearchError as e:
            return {"error": {"kind": type(e).__name__, "message": str(e)}}
        except Exception:
            failure = traceback.format_exc()
            _log(failure)
            return {"failed": failure}
        finally:
            self.last_search = time.monotonic()

    def cmd_stop(self) -> dict[str, Any]:
        """Stop accepting clients (the ones being answered still are) and exit: ``{"stopped": pid}``."""
        self._unlink()  # from now on clients start a new server
        self.stopping.set()
        self.waker.send(b"\0")
        _log("asked to stop")
        return {"stopped": os.getpid()}

    @contextmanager
    def _index(self) -> Iterator[ReviewIndex]:
        """The index for one search, reopened (with its analyzer's Kiwi, cached
        per user dictionary) if a commit or a rebuild changed it since it was
        opened. Searches running at once share it; one that was replaced is
        closed once the last search on it has ended."""
        with self.opening:
            if self.records is None:
                self.records = locate(self.where.index)[1]
            stamp = self.records.stamp()
            if self.ix is None or stamp != self.stamp:
                from .index import ReviewIndex

                self._replace(None)  # first: its searcher holds the index's files in memory
                ix = ReviewIndex.open(self.where.index)
                ix.analyzer.model()
                self._replace(ix)
                self.stamp = stamp
                _log(f"opened the index: {len(ix)} reviews")
            ix = self.ix
            self.users[ix] += 1
        try:
            yield ix
        finally:
            with self.opening:
                self.users[ix] -= 1
                self._close_unused(ix)

    def _replace(self, ix: ReviewIndex | None) -> None:
        """Make ``ix`` the index searched, closing the one before unless searches still run on it."""
        old, self.ix = self.ix, ix
        self._close_unused(old)

    def _close_unused(self, ix: ReviewIndex | None) -> None:
        if ix is not None and ix is not self.ix and not self.users[ix]:
            del self.users[ix]
            ix.close()

    def cmd_status(self) -> dict[str, Any]:
        """This server's pid, index, version, memory, and times (see :func:`servers`)."""
        now = time.monotonic()
        return {
            "pid": os.getpid(), "index": str(self.where.index), "version": __version__,
            "rss": _rss(), "up_s": round(now - self.started, 1), "idle_s": round(now - self.last_search, 1),
            "exits_in_s": round(max(self.last_search + self.idle - now, 0), 1), "idle_limit_s": self.idle,
        }

    def _close(self) -> None:
        """Remove the socket file, answer the connections already waiting, close.
        Every client thread has ended."""
        self._unlink()
        while True:
            try:
                conn = self.listener.accept()[0]
            except OSError:
                break
            with conn:
                self._serve(conn)
        self.listener.close()
        self.wake.close()
        self.waker.close()
        with self.opening:
            self._replace(None)

    def _unlink(self) -> None:
        """Remove the socket file if it is still this server's."""
        if self._owns_socket():
            self.where.socket.unlink(missing_ok=True)


def _rss() -> int | None:
    """This process's resident memory in bytes (Linux's /proc; else its peak, from getrusage)."""
    try:
        return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - not POSIX
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS counts bytes, the others KiB


def _log(message: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}", file=sys.stderr, flush=True)


def _main() -> None:
    """``python -m searcher.resident INDEX`` (the client starts it with
    options.python_command): prints ``ready`` (or ``taken``, when another
    server holds the socket) on stdout once bound, closes stdout, and serves.
    SIGTERM stops it cleanly."""
    argv = sys.argv[1:]
    if len(argv) != 1:
        raise SystemExit("usage: python -m searcher.resident INDEX")

    def ready(listening: bool) -> None:
        print("ready" if listening else "taken", flush=True)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)

    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    serve(argv[0], ready=ready)


if __name__ == "__main__":
    _main()
