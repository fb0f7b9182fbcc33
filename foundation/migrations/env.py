"""Alembic environment: runs on the engine the caller passes in (`foundation.db.migrate`)."""

from __future__ import annotations

from alembic import context

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(connection=connection, render_as_batch=True)
    context.run_migrations()
