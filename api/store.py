"""The API's tables: accounts, bot tokens, signed-out tokens, sign-in throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from foundation.db import Base, utcnow


class UserRow(Base):
    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Access tokens carry the epoch they were issued in; a password change (or an admin's
    # "sign out everywhere") increments it, so every earlier session ends at once.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)


class BotTokenRow(Base):
    """Bot tokens are random 256-bit secrets, so a SHA-256 digest is a safe lookup key."""

    __tablename__ = "bot_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked: Mapped[bool] = mapped_column(default=False)


class RevokedTokenRow(Base):
    """Logged-out access tokens, kept until they would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime]


class LoginThrottleRow(Base):
    """Sign-in attempts per key (`ua:<user>|<address>` and `a:<address>`), in the database so
    every thread and API worker (and replica) counts the same attempts: a slot is taken by a
    conditional UPDATE before the password is checked (see api/ratelimit.py)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
