"""Where the agent keeps its checkpoints (conversation state, paused tool calls): in the same
database as everything else, so a paused conversation survives a restart and, on PostgreSQL,
resumes on whichever API replica the approval reaches.

- SQLite (the embedded default): LangGraph's `SqliteSaver` on one connection to the project's
  file (its lock serialises checkpoint writes within the process).
- PostgreSQL: `langgraph-checkpoint-postgres` on a connection pool. Upstream's `PostgresSaver`
  takes one process-wide lock around every statement even when given a pool; the pool already
  hands each caller a connection of its own, so `PooledPostgresSaver` leaves the lock out and
  concurrent chats in one replica no longer queue behind each other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from sqlalchemy.engine import URL

from foundation.db import database_url

# pg_advisory_lock key of the checkpointer's own migrations (replicas starting together).
SETUP_LOCK = 0x44_44_63_6B_70  # "DDckp"
POOL_MAX = 10


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
