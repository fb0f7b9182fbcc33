"""Where the agent keeps its checkpoints (conversation state, paused tool calls): in the same
database as everything else, so a paused conversation survives a restart and, on PostgreSQL,
resumes on whichever API replica the approval reaches.

- SQLite (the embedded default): LangGraph's `SqliteSaver` on one connection to the project's
  file (its lock serialises checkpoint writes within the process).
- PostgreSQL: `langgraph-checkpoint-postgres` on a connection pool. Upstream's `PostgresSaver`
  takes one process-wide lock around every statement even when given a pool; the pool already
  hands each caller a connection of its own, so `PooledPostgresSaver` leaves the lock out and
  concurrent chats in one replica no longer queue behind each other.

`ConversationLocks`: one continuation of a conversation at a time, across replicas.
"""

from __future__ import annotations

import fcntl
import hashlib
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine

from foundation.db import database_url

# pg_advisory_lock key of the checkpointer's own migrations (replicas starting together).
SETUP_LOCK = 0x44_44_63_6B_70  # "DDckp"
POOL_MAX = 10
# pg_advisory_xact_lock(THREAD_LOCK_SPACE, <32-bit hash of the thread id>): a conversation's lock.
# The two-key form is a key space of its own, apart from the single-key locks above.
THREAD_LOCK_SPACE = 0x44_44_74_68  # "DDth"
# Connections per process that may hold a conversation's lock (each for one resume): a pool of
# their own, so a resume holding one never waits for a connection it would need for its work.
LOCK_POOL_MAX = 10


def sqlite_checkpointer(path: str) -> BaseCheckpointSaver[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across crashes, 1.5x faster
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def libpq_url(url: URL) -> str:
    """A SQLAlchemy URL (any driver suffix) as the libpq connection URI psycopg takes."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_checkpointer(url: str, pool_max: int = POOL_MAX) -> BaseCheckpointSaver[Any]:
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    class PooledPostgresSaver(PostgresSaver):
        @contextmanager
        def _cursor(self, *, pipeline: bool = False) -> Iterator[Any]:
            assert isinstance(self.conn, ConnectionPool)
            with self.conn.connection() as conn:
                if pipeline:
                    with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                        yield cur
                else:
                    with conn.cursor(binary=True, row_factory=dict_row) as cur:
                        yield cur

    conninfo = libpq_url(database_url(url))
    # What PostgresSaver requires of its connections: autocommit, no server-side prepared
    # statements (they break behind pgbouncer), dict rows.
    kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    pool: ConnectionPool[Any] = ConnectionPool(
        conninfo, min_size=1, max_size=pool_max, kwargs=kwargs, open=True, timeout=60,
        name="dockerdeployer-checkpoints",
    )  # fmt: skip
    saver = PooledPostgresSaver(pool)
    # Its migrations are not safe to run twice at once: replicas starting together take turns.
    with Connection.connect(conninfo, autocommit=True) as lock:
        lock.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        try:
            saver.setup()
        finally:
            lock.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
    return saver


class _Slot:
    """A process-level lock per conversation (a class: locks themselves cannot be weakly held)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()


# Every Assistant of the process on one database shares these (a slot lives while in use).
_SLOTS: weakref.WeakValueDictionary[tuple[str, str], _Slot] = weakref.WeakValueDictionary()
_SLOTS_GUARD = threading.Lock()


def thread_lock_key(thread_id: str) -> int:
    """A stable signed 32-bit key for a thread id (the same in every process and release)."""
    digest = hashlib.blake2b(thread_id.encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


class ConversationLocks:
    """One continuation of a conversation at a time.

    Two resumes of one paused turn (two replicas deciding its approvals, or two requests) would
    each hand the paused tools their answers and ask the model again: two replies, and a forked
    checkpoint history that keeps only one of them. Holding this lock, the second one reads the
    state after the first has written it and finds nothing left to resume.

    In the process, a lock per thread id; on PostgreSQL also a transaction-level advisory lock,
    which holds across replicas and is released by the server if the process dies. On a SQLite
    file also an flock on a lock file beside it (one of 256, by the thread's key), so the CLI and
    the API on one file take turns too; the kernel releases it if the process dies.
    """

    def __init__(self, engine: Engine) -> None:
        self._database = engine.url.render_as_string(hide_password=True)
        self._lock_engine: Engine | None = None
        self._lock_dir: Path | None = None
        database = engine.url.database
        if engine.dialect.name == "sqlite" and database and database != ":memory:":
            self._lock_dir = Path(database).with_name(Path(database).name + ".locks")
        if engine.dialect.name == "postgresql":
            self._lock_engine = create_engine(
                engine.url, pool_size=1, max_overflow=LOCK_POOL_MAX - 1, pool_timeout=300,
                pool_pre_ping=True,
            )  # fmt: skip

    @contextmanager
    def hold(self, thread_id: str) -> Iterator[None]:
        with _SLOTS_GUARD:
            key = (self._database, thread_id)
            slot = _SLOTS.get(key)
            if slot is None:
                slot = _SLOTS[key] = _Slot()
        # Waiters in this process queue here, holding no database connection.
        with slot.lock:
            if self._lock_dir is not None:
                with _flocked(self.lock_file(thread_id)):
                    yield
                return
            if self._lock_engine is None:
                yield
                return
            with self._lock_engine.begin() as connection:
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:space, :key)"),
                    {"space": THREAD_LOCK_SPACE, "key": thread_lock_key(thread_id)},
                )
                yield  # released when this transaction ends

    def lock_file(self, thread_id: str) -> Path:
        """The SQLite lock file a conversation shares with 1/256 of the others."""
        if self._lock_dir is None:
            raise ValueError("only a SQLite file database has lock files")
        return self._lock_dir / f"{thread_lock_key(thread_id) & 0xFF:02x}.lock"


@contextmanager
def _flocked(path: Path) -> Iterator[None]:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
