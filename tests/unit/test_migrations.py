"""Schema migrations: a new database, a previous release's database, and a newer one.

The fixture `tests/fixtures/release-0.1.sql` is a dump of a database written by release 0.1
(tables from `create_all`, no version table) holding users, bot tokens, a revoked token, a
thread, approvals in three states and audit rows.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

import agent.store
import api.store
import tools.store
from foundation.db import Base, DatabaseTooNew, make_engine, migrate, schema_version

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "release-0.1.sql"
TABLES = ("users", "bot_tokens", "revoked_tokens", "threads", "approvals", "audit")
OWNERS = (tools.store, agent.store, api.store)  # every layer's tables on the one metadata


def previous_release(path: Path) -> str:
    with sqlite3.connect(path) as connection:
        connection.executescript(FIXTURE.read_text(encoding="utf-8"))
    return f"sqlite:///{path}"


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        return {
            t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }


def test_a_new_database_gets_every_layers_tables(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    head = migrate(engine)
    assert schema_version(engine) == head
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


def test_the_migrated_schema_matches_what_the_layers_declare(tmp_path):
    """A table or column added to a layer without a migration fails here."""
    engine = make_engine(f"sqlite:///{tmp_path / 'drift.db'}")
    migrate(engine)
    found = inspect(engine)
    for name, table in Base.metadata.tables.items():
        migrated = {c["name"] for c in found.get_columns(name)}
        assert migrated == {c.name for c in table.columns}, name


def test_a_previous_release_database_is_upgraded_without_losing_a_row(tmp_path):
    url = previous_release(tmp_path / "old.db")
    before = counts(url)
    assert all(before.values()), before
    engine = make_engine(url)
    assert schema_version(engine) is None
    head = migrate(engine)
    assert schema_version(engine) == head
    assert counts(url) == before
    with engine.connect() as connection:
        pending = connection.execute(
            text("SELECT requested_by, status FROM approvals WHERE id = 'appr0'")
        ).one()
    assert tuple(pending) == ("olga", "pending")
    assert migrate(engine) == head  # idempotent


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'future.db'}")
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(DatabaseTooNew, match="newer than this DockerDeployer"):
        migrate(engine)


def test_head_names_the_newest_migration_so_a_warm_start_may_skip_alembic():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from foundation.db import HEAD, MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD
