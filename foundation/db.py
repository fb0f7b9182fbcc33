"""The store's foundation: one SQLAlchemy metadata, engines, sessions and schema migrations.

SQLite (WAL) by default, PostgreSQL by URL (`postgresql://...`, driven by psycopg 3) when several
API replicas share one store. Each layer declares its own tables on `Base`
(`tools/store.py`, `agent/store.py`, `api/store.py`); the schema itself is owned by the Alembic
migrations in `foundation/migrations`, which every process runs to head when it opens the
database. A database written by a newer release is refused rather than guessed at.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, create_engine, event, inspect, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

if TYPE_CHECKING:  # Alembic is imported only when a migration is due (see HEAD)
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"  # the schema of the first release, made with create_all (no version table)
# The newest migration's revision (tests/unit/test_migrations.py checks it against the folder):
# a database already there starts without importing Alembic, a tenth of a CLI call's time.
HEAD = "0003"
# pg_advisory_lock key of schema migrations: replicas starting together migrate one at a time.
MIGRATION_LOCK = 0x44_44_6D_69_67  # "DDmig"
# Connections per process on PostgreSQL (the server's default max_connections is 100): the API's
# request threads share them; the agent's checkpointer has a pool of its own.
POOL_SIZE = 10
POOL_OVERFLOW = 10


def utcnow() -> datetime:
    """Naive UTC: SQLite keeps no time zone, so every stored time is UTC without one."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime()}


class DatabaseTooNew(RuntimeError):
    """The database was migrated by a newer release than this code."""


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def schema_version(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def is_postgres(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def database_url(url: str) -> URL:
    """The SQLAlchemy URL: `postgresql://` and `postgres://` mean psycopg 3 (the driver the
    agent's checkpointer uses too), not SQLAlchemy's default psycopg2."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """On PostgreSQL, one process migrates at a time (a session-level advisory lock held on a
    connection of its own); SQLite's file lock already serialises writers."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})


def migrate(engine: Engine) -> str:
    """Bring the schema to this code's head; returns the revision it is at.

    A first-release database (tables but no version table) is adopted at the baseline first,
    so its rows are kept. A revision this code does not know means a newer release wrote it.
    Several processes may start at once on one database: they migrate one after the other.
    """
    if _recorded_revision(engine) == HEAD:
        return HEAD
    with _migration_lock(engine):
        return _migrate(engine)


def _recorded_revision(engine: Engine) -> str | None:
    """The version table's row, read without Alembic; None when there is none yet."""
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:  # no version table: a new (or first-release) database
        return None
    return str(found) if found is not None else None


def _migrate(engine: Engine) -> str:
    from alembic import command
    from alembic.script import ScriptDirectory

    config = _alembic_config(engine)
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    current = schema_version(engine)
    if current is not None and current not in {rev.revision for rev in script.walk_revisions()}:
        raise DatabaseTooNew(
            f"the database is at schema {current}, newer than this DockerDeployer "
            f"(knows up to {head}); upgrade DockerDeployer or point it at another database"
        )
    try:
        if current is None and "approvals" in inspect(engine).get_table_names():
            command.stamp(config, BASELINE)
        if current != head:
            command.upgrade(config, "head")
    except Exception:
        if schema_version(engine) != head:  # not another process that got there first
            raise
    return str(head)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_pre_ping=True
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    else:
        engine = create_engine(
            database_url(url),
            pool_pre_ping=True,
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            pool_timeout=60,
        )
        if engine.dialect.name == "postgresql":
            event.listen(engine, "before_cursor_execute", _no_nul_characters, retval=True)
    return engine


def _no_nul(value: Any) -> Any:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) and "\x00" in value else value


def _no_nul_characters(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    """PostgreSQL text cannot hold NUL (U+0000), which SQLite stores as is: the driver refuses
    such a parameter, so a name or id with a NUL byte (from a URL, a chat message, a container's
    log) was a 500. It becomes U+FFFD, the replacement character: a lookup finds nothing (a 404),
    stored text keeps everything else."""
    if isinstance(parameters, dict):
        parameters = {key: _no_nul(value) for key, value in parameters.items()}
    elif isinstance(parameters, list | tuple):
        parameters = type(parameters)(
            {k: _no_nul(v) for k, v in item.items()} if isinstance(item, dict) else _no_nul(item)
            for item in parameters
        )
    return statement, parameters


def open_database(url: str) -> Engine:
    """An engine on a migrated schema: what every process uses."""
    engine = make_engine(url)
    migrate(engine)
    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(engine, expire_on_commit=False)
