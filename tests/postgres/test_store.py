"""The store on PostgreSQL: the migrations, concurrent start-ups, the single-use approval
transition and the read tally under concurrency from several processes' worth of engines, and
the agent's checkpointer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select, text

import agent.store
import api.store
import tools.store
from agent.checkpoints import libpq_url
from agent.factory import build_checkpointer
from foundation.db import (
    Base,
    DatabaseTooNew,
    database_url,
    make_engine,
    make_sessionmaker,
    migrate,
    open_database,
    schema_version,
    utcnow,
)
from foundation.settings import Settings
from tools.approvals import ApprovalStatus, ApprovalStore
from tools.audit import ReadTally
from tools.guard.policy import Actor, Role
from tools.store import AuditReadRow

OWNERS = (tools.store, agent.store, api.store)  # every layer's tables on the one metadata


def test_postgresql_urls_use_psycopg_3():
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"
    assert libpq_url(database_url("postgresql://u:p@h:5/db?sslmode=require")) == (
        "postgresql://u:p@h:5/db?sslmode=require"
    )


def test_the_migrations_build_every_layers_tables_on_postgresql(empty_pg_url):
    engine = make_engine(empty_pg_url)
    head = migrate(engine)
    assert schema_version(engine) == head
    found = inspect(engine)
    for name, table in Base.metadata.tables.items():
        migrated = {c["name"] for c in found.get_columns(name)}
        assert migrated == {c.name for c in table.columns}, name
    assert migrate(engine) == head  # idempotent


def test_replicas_starting_together_migrate_once(empty_pg_url):
    barrier = threading.Barrier(4)

    def start() -> str:
        engine = make_engine(empty_pg_url)
        barrier.wait()
        try:
            return migrate(engine)
        finally:
            engine.dispose()

    with ThreadPoolExecutor(4) as pool:
        heads = set(pool.map(lambda _: start(), range(4)))
    assert len(heads) == 1
    engine = make_engine(empty_pg_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar_one()
    assert versions == 1


def test_a_postgresql_database_from_a_newer_release_is_refused(pg_url):
    engine = make_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseTooNew, match="newer than this DockerDeployer"):
        migrate(engine)


def approval_fields() -> dict[str, object]:
    return dict(
        call_id=None, thread_id=None, tool="restart_container", host="local",
        args={"container": "web"}, binding="b", preview={"summary": "restart web"},
        risk="change", required_role="operator", requested_by="oscar", requested_role="operator",
    )  # fmt: skip


def test_the_single_use_transition_has_one_winner_across_processes(pg_url):
    """16 claimants, each with an engine (connection pool) of its own, as replicas have."""
    approval = ApprovalStore(make_sessionmaker(make_engine(pg_url))).create(**approval_fields())
    stores = [ApprovalStore(make_sessionmaker(make_engine(pg_url))) for _ in range(16)]
    barrier = threading.Barrier(len(stores))

    def claim(store: ApprovalStore) -> bool:
        barrier.wait()
        return store.transition(
            approval.id, ApprovalStatus.PENDING, ApprovalStatus.EXECUTING,
            decided_by="alice", unexpired=True,
        )  # fmt: skip

    for _ in range(3):  # claim, then reset and claim again: the race is run three times
        with ThreadPoolExecutor(len(stores)) as pool:
            assert sorted(pool.map(claim, stores)) == [False] * 15 + [True]
        assert stores[0].get(approval.id).status is ApprovalStatus.EXECUTING
        assert stores[0].transition(approval.id, ApprovalStatus.EXECUTING, ApprovalStatus.PENDING)


def test_an_expired_approval_cannot_be_claimed_on_postgresql(pg_url):
    store = ApprovalStore(make_sessionmaker(make_engine(pg_url)), ttl_seconds=600)
    approval = store.create(**approval_fields())
    with store.sessions.begin() as session:
        row = session.get(tools.store.ApprovalRow, approval.id)
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert not store.transition(
        approval.id, ApprovalStatus.PENDING, ApprovalStatus.EXECUTING, unexpired=True
    )


def test_read_counts_from_several_replicas_add_up(pg_url):
    """Four tallies (one per replica) count the same keys and flush at the same time: every
    read is in audit_reads once, whatever order the upserts meet in."""
    tallies = [ReadTally(make_sessionmaker(make_engine(pg_url)), interval=3600) for _ in range(4)]
    actors = [Actor(f"user{i}", Role.VIEWER) for i in range(5)]
    tools_ = ["list_containers", "inspect_container", "container_logs"]
    per_tally = 0
    for tally in tallies:
        for actor in actors:
            for tool in reversed(tools_) if per_tally % 2 else tools_:
                tally.add(actor, tool, "local", ok=True)
                tally.add(actor, tool, "local", ok=False)
        per_tally += 1
    barrier = threading.Barrier(len(tallies))

    def flush(tally: ReadTally) -> None:
        barrier.wait()
        tally.flush()

    for _ in range(2):  # the first round inserts the rows, the second updates them
        with ThreadPoolExecutor(len(tallies)) as pool:
            list(pool.map(flush, tallies))
        for tally in tallies:
            for actor in actors:
                for tool in tools_:
                    tally.add(actor, tool, "local", ok=True)
                    tally.add(actor, tool, "local", ok=False)
    for tally in tallies:
        tally.close()
    sessions = make_sessionmaker(make_engine(pg_url))
    with sessions() as session:
        rows = session.execute(
            select(func.count(), func.sum(AuditReadRow.executed), func.sum(AuditReadRow.failed))
        ).one()
    keys = len(actors) * len(tools_)
    assert tuple(rows) == (keys, keys * 4 * 3, keys * 4 * 3)


def test_the_checkpointer_is_postgresql_and_shared(pg_url, tmp_path):
    settings = Settings(home=tmp_path / "home", database_url=pg_url, _env_file=None)  # type: ignore[call-arg]
    first, second = build_checkpointer(settings), build_checkpointer(settings)
    assert type(first).__name__ == "PooledPostgresSaver"
    config = {"configurable": {"thread_id": "t1", "checkpoint_ns": ""}}
    from langgraph.checkpoint.base import empty_checkpoint

    checkpoint = empty_checkpoint()
    first.put(config, checkpoint, {"source": "input", "step": 0}, {})
    found = second.get_tuple({"configurable": {"thread_id": "t1"}})
    assert found is not None and found.checkpoint["id"] == checkpoint["id"]


def test_an_in_memory_sqlite_database_is_refused_for_checkpoints(tmp_path):
    settings = Settings(home=tmp_path, database_url="sqlite://", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="checkpoints need a SQLite file or PostgreSQL"):
        build_checkpointer(settings)


def test_open_database_twice_on_postgresql_is_cheap_and_current(pg_url):
    engine = open_database(pg_url)
    assert schema_version(engine) == migrate(engine)


def test_nul_characters_never_reach_postgresql(pg_url):
    """PostgreSQL text cannot hold U+0000 (SQLite can): a lookup with one finds nothing and
    stored text keeps the rest, instead of a driver error (a 500 at the API)."""
    from tools.audit import AuditLog

    sessions = make_sessionmaker(make_engine(pg_url))
    store = ApprovalStore(sessions)
    with pytest.raises(Exception, match="no approval"):
        store.get("abc\x00def")
    audit = AuditLog(sessions)
    audit.record("denied", Actor("eve\x00", Role.VIEWER), "restart_container",
                 {"container": "web\x00"}, message="bad\x00name")  # fmt: skip
    (entry,) = audit.query(actor="eve\x00")
    assert entry.actor == "eve\ufffd" and entry.message == "bad\ufffdname"
    assert entry.args == {"container": "web\x00"}  # JSON keeps it, escaped
    audit.reads.close()
