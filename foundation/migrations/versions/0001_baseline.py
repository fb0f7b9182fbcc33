"""The first release's schema: approvals, audit, threads, users, bot tokens, revoked tokens.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("call_id", sa.String(128), unique=True),
        sa.Column("thread_id", sa.String(128), index=True),
        sa.Column("tool", sa.String(64), nullable=False),
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("binding", sa.String(64), nullable=False),
        sa.Column("preview", sa.JSON, nullable=False),
        sa.Column("risk", sa.String(16), nullable=False),
        sa.Column("required_role", sa.String(16), nullable=False),
        sa.Column("requested_by", sa.String(128), nullable=False),
        sa.Column("requested_role", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("decided_by", sa.String(128)),
        sa.Column("decided_at", sa.DateTime),
        sa.Column("reason", sa.Text),
        sa.Column("result", sa.JSON),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ts", sa.DateTime, nullable=False),
        sa.Column("event", sa.String(24), nullable=False, index=True),
        sa.Column("actor", sa.String(128), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("tool", sa.String(64), nullable=False, index=True),
        sa.Column("host", sa.String(128), nullable=False),
        sa.Column("args", sa.JSON, nullable=False),
        sa.Column("thread_id", sa.String(128)),
        sa.Column("call_id", sa.String(128)),
        sa.Column("approval_id", sa.String(32), index=True),
        sa.Column("approver", sa.String(128)),
        sa.Column("request", sa.Text),
        sa.Column("message", sa.Text),
        sa.Column("targets", sa.JSON),
    )
    op.create_index("ix_audit_ts", "audit", ["ts"])
    op.create_table(
        "threads",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False, index=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(256), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "bot_tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
        sa.Column("revoked", sa.Boolean, nullable=False),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("jti", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
