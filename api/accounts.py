"""Users, bot tokens and revoked access tokens, in the project's store."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from typing import Any

import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import sessionmaker

from api.security import Claims, TokenService, hash_password, verify_password
from api.store import BotTokenRow, RevokedTokenRow, UserRow
from foundation.db import utcnow
from tools.errors import Conflict, InvalidArguments, NotFound
from tools.guard.policy import Actor, ActorKind, Role

BOT_PREFIX = "ddb_"
BOT_ACTOR = "bot:"  # a bot's actor name: bot:<token name>#<token id>


def bot_actor_name(name: str, token_id: str) -> str:
    """Bots are known by token ID (a new token under an old name is someone else); the name
    stays in front for people reading the audit."""
    return f"{BOT_ACTOR}{name}#{token_id}"


def bot_token_id(actor_name: str) -> str | None:
    """The token ID in a bot's actor name, or None (not a bot, or a name from before IDs)."""
    if not actor_name.startswith(BOT_ACTOR):
        return None
    _, sep, token_id = actor_name.rpartition("#")
    return token_id if sep and token_id else None


_USERNAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.@-]{0,63}$")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise InvalidArguments(f"role must be viewer, operator or admin, not {role!r}") from None


class Accounts:
    def __init__(self, sessions: sessionmaker[Any]) -> None:
        self.sessions = sessions

    # --- users ----------------------------------------------------------------------------------

    def add_user(self, name: str, password: str, role: str) -> dict[str, Any]:
        if not _USERNAME.match(name):
            raise InvalidArguments("user names are 1-64 letters, digits, '_', '.', '@', '-'")
        if len(password) < 8:
            raise InvalidArguments("passwords need at least 8 characters")
        with self.sessions.begin() as session:
            if session.get(UserRow, name) is not None:
                raise Conflict(f"user {name!r} exists")
            session.add(UserRow(name=name, password_hash=hash_password(password), role=_role(role)))
        return {"name": name, "role": role}

    def has_users(self) -> bool:
        with self.sessions() as session:
            return session.scalars(select(UserRow.name).limit(1)).first() is not None

    def authenticate(self, name: str, password: str) -> Actor | None:
        with self.sessions() as session:
            row = session.get(UserRow, name[:64])
        ok = verify_password(password, row.password_hash if row else None)
        if not ok or row is None or row.disabled:
            return None
        return Actor(row.name, Role(row.role))

    def session_epoch(self, name: str) -> int:
        with self.sessions() as session:
            row = session.get(UserRow, name)
            return row.session_epoch if row else 0

    def set_password(self, name: str, password: str) -> int:
        """Set a new password and end every session of the user; the new session epoch."""
        if len(password) < 8:
            raise InvalidArguments("passwords need at least 8 characters")
        with self.sessions.begin() as session:
            row = session.get(UserRow, name, with_for_update=True)
            if row is None:
                raise NotFound(f"no user {name!r}")
            row.password_hash = hash_password(password)
            row.session_epoch = (row.session_epoch or 0) + 1
            return row.session_epoch

    def session_user(self, name: str, epoch: int) -> Actor | None:
        """The user an access token names, if the token's session epoch is still current."""
        with self.sessions() as session:
            row = session.get(UserRow, name)
        if row is None or row.disabled or (row.session_epoch or 0) != epoch:
            return None
        return Actor(row.name, Role(row.role))

    def user(self, name: str) -> Actor | None:
        with self.sessions() as session:
            row = session.get(UserRow, name)
        if row is None or row.disabled:
            return None
        return Actor(row.name, Role(row.role))

    def current_role(self, name: str) -> Role | None:
        """The role a user or bot (`bot:NAME#ID`) has now; None when disabled, revoked or gone.
        Bots are resolved by token ID only: another token that took a revoked one's name is
        not it, and a bot name without an ID resolves to nothing."""
        with self.sessions() as session:
            if name.startswith(BOT_ACTOR):
                token_id = bot_token_id(name)
                row = session.get(BotTokenRow, token_id) if token_id else None
                if row is None or row.revoked or bot_actor_name(row.name, row.id) != name:
                    return None
                return Role(row.role)
            user = session.get(UserRow, name)
            return Role(user.role) if user and not user.disabled else None

    def list_users(self) -> list[dict[str, Any]]:
        with self.sessions() as session:
            rows = session.scalars(select(UserRow).order_by(UserRow.name))
            return [{"name": r.name, "role": r.role, "disabled": r.disabled,
                     "created_at": r.created_at.isoformat()} for r in rows]  # fmt: skip

    def update_user(self, name: str, role: str | None, disabled: bool | None) -> dict[str, Any]:
        with self.sessions.begin() as session:
            row = session.get(UserRow, name)
            if row is None:
                raise NotFound(f"no user {name!r}")
            if role is not None:
                row.role = _role(role)
            if disabled is not None:
                row.disabled = disabled
            return {"name": row.name, "role": row.role, "disabled": row.disabled}

    # --- bot tokens -----------------------------------------------------------------------------

    def create_token(self, name: str, role: str, created_by: str) -> dict[str, Any]:
        if not _USERNAME.match(name):
            raise InvalidArguments("token names are 1-64 letters, digits, '_', '.', '@', '-'")
        token = BOT_PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(8)
        with self.sessions.begin() as session:
            session.add(
                BotTokenRow(
                    id=token_id,
                    name=name,
                    token_hash=_digest(token),
                    role=_role(role),
                    created_by=created_by,
                )
            )
        return {"id": token_id, "name": name, "role": role, "token": token}

    def bot(self, token: str) -> Actor | None:
        with self.sessions.begin() as session:
            row = session.scalars(
                select(BotTokenRow).where(BotTokenRow.token_hash == _digest(token))
            ).first()
            if row is None or row.revoked:
                return None
            row.last_used_at = utcnow()
            return Actor(bot_actor_name(row.name, row.id), Role(row.role), kind=ActorKind.BOT)

    def list_tokens(self) -> list[dict[str, Any]]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        with self.sessions() as session:
            rows = session.scalars(select(BotTokenRow).order_by(BotTokenRow.created_at))
            return [{"id": r.id, "name": r.name, "role": r.role, "created_by": r.created_by,
                     "created_at": iso(r.created_at), "last_used_at": iso(r.last_used_at),
                     "revoked": r.revoked} for r in rows]  # fmt: skip

    def revoke_token(self, token_id: str) -> str:
        """Revoke by ID; the bot's actor name (to end its pending requests)."""
        with self.sessions.begin() as session:
            row = session.get(BotTokenRow, token_id)
            if row is None:
                raise NotFound(f"no token {token_id!r}")
            row.revoked = True
            return bot_actor_name(row.name, row.id)

    # --- logout ---------------------------------------------------------------------------------

    def revoke_jti(self, jti: str, expires_at: datetime) -> None:
        with self.sessions.begin() as session:
            session.execute(delete(RevokedTokenRow).where(RevokedTokenRow.expires_at < utcnow()))
            if session.get(RevokedTokenRow, jti) is None:
                session.add(RevokedTokenRow(jti=jti, expires_at=expires_at))

    def is_revoked(self, jti: str) -> bool:
        with self.sessions() as session:
            return session.get(RevokedTokenRow, jti) is not None


class TokenRejected(Exception):
    """A bearer token that names nobody (any more); the message says why, for a 401."""


def authenticate(
    token: str, tokens: TokenService, accounts: Accounts
) -> tuple[Actor, Claims | None]:
    """Who a bearer token is, checked the one way for the API and MCP: a bot token not revoked;
    a login token signed, unexpired, not signed out, its account enabled and its session not
    ended. The role comes from the database, not the token: a changed role applies at once."""
    if token.startswith(BOT_PREFIX):
        bot = accounts.bot(token)
        if bot is None:
            raise TokenRejected("unknown or revoked bot token")
        return bot, None
    try:
        claims = tokens.verify(token)
    except jwt.ExpiredSignatureError:
        raise TokenRejected("the session expired; please sign in again") from None
    except jwt.PyJWTError:
        raise TokenRejected("invalid access token") from None
    if accounts.is_revoked(claims.jti):
        raise TokenRejected("this token was signed out")
    user = accounts.session_user(claims.subject, claims.epoch)  # a new password: a new epoch
    if user is None:
        raise TokenRejected("unknown or disabled user, or the session ended (password changed)")
    return user, claims
