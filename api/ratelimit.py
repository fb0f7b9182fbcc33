"""Sign-in throttling that a stranger cannot turn against a user.

Attempts are counted per (user, address) and per address, never per user alone: failures from
one address lock that user out from that address only, so someone elsewhere cannot lock the
admin out. Past the allowance each attempt locks the key for twice as long as the one before
(exponential back-off, capped at the window).

The counts live in the database (`login_throttle`), so every thread, API worker and replica
counts the same attempts. An attempt takes its slot *before* the password is checked, in one
transaction over both keys: a conditional UPDATE that only succeeds while the key is not
locked. Forty concurrent wrong passwords therefore get at most `attempts` answers of 401 for a
(user, address), whatever the timing; a success gives its slots back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, case, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.store import LoginThrottleRow
from foundation.db import utcnow

ADDRESS_FACTOR = 4  # an address (a NAT, an office) gets this many times a user's allowance
BASE_LOCK_SECONDS = 15.0  # the first lock; each further attempt doubles it, up to the window


@dataclass(frozen=True)
class Attempt:
    """A taken slot: hand it back with `succeeded` or `failed`."""

    keys: tuple[tuple[str, int], ...]  # (key, allowance)


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry in {retry_after} s")
        self.retry_after = retry_after


class LoginLimiter:
    def __init__(self, sessions: sessionmaker[Any], attempts: int, window_seconds: float) -> None:
        self.sessions = sessions
        self.attempts = attempts
        self.window = timedelta(seconds=window_seconds)

    def keys(self, user: str, address: str) -> tuple[tuple[str, int], ...]:
        user_key = f"ua:{user.lower()[:64]}|{address[:100]}"
        address_key = f"a:{address[:100]}"
        # Sorted: two workers take row locks in the same order (no deadlock on PostgreSQL).
        return tuple(
            sorted([(user_key, self.attempts), (address_key, self.attempts * ADDRESS_FACTOR)])
        )

    def lock_for(self, attempt: int, allowance: int) -> timedelta:
        """The lock set when the `attempt`-th attempt (1-based) is taken."""
        if attempt < allowance:
            return timedelta(0)
        seconds = BASE_LOCK_SECONDS * 2 ** min(attempt - allowance, 30)
        return min(timedelta(seconds=seconds), self.window)

    def begin(self, user: str, address: str) -> Attempt:
        """Take a slot on both keys, or raise Throttled with the seconds to wait."""
        keys = self.keys(user, address)
        now = utcnow()
        with self.sessions.begin() as session:
            for key, allowance in keys:
                self._take(session, key, allowance, now)  # raises: the transaction rolls back
        return Attempt(keys)

    def _take(self, session: Session, key: str, allowance: int, now: datetime) -> None:
        stale = now - self.window
        open_ = or_(LoginThrottleRow.locked_until.is_(None), LoginThrottleRow.locked_until <= now)
        taken = cast(
            "CursorResult[Any]",
            session.execute(
                update(LoginThrottleRow)
                .where(LoginThrottleRow.key == key, open_)
                .values(
                    attempts=case(
                        (LoginThrottleRow.last_at < stale, 1), else_=LoginThrottleRow.attempts + 1
                    ),
                    last_at=now,
                )
            ),
        ).rowcount
        if not taken:
            row = session.get(LoginThrottleRow, key)
            if row is not None and row.locked_until is not None and row.locked_until > now:
                raise Throttled(max(1, math.ceil((row.locked_until - now).total_seconds())))
            try:
                with session.begin_nested():
                    session.add(LoginThrottleRow(key=key, attempts=1, last_at=now))
            except IntegrityError:  # another worker inserted it meanwhile: take a slot on it
                self._take(session, key, allowance, now)
                return
        session.flush()
        attempts = session.execute(
            select(LoginThrottleRow.attempts).where(LoginThrottleRow.key == key)
        ).scalar_one()
        lock = self.lock_for(attempts, allowance)
        if lock:  # locked while this attempt is checked: concurrent ones wait
            session.execute(
                update(LoginThrottleRow)
                .where(LoginThrottleRow.key == key)
                .values(locked_until=now + lock)
            )

    def failed(self, attempt: Attempt) -> None:
        """The slot stays taken (the lock, if any, was set when it was taken)."""

    def succeeded(self, attempt: Attempt) -> None:
        """A right password: forget that user's attempts from this address, and give the
        address its slot back (one good account must not reset a stranger's count)."""
        with self.sessions.begin() as session:
            for key, allowance in attempt.keys:
                if key.startswith("ua:"):
                    session.execute(delete(LoginThrottleRow).where(LoginThrottleRow.key == key))
                    continue
                row = session.get(LoginThrottleRow, key, with_for_update=True)
                if row is None:
                    continue
                row.attempts = max(0, row.attempts - 1)
                if row.attempts < allowance:
                    row.locked_until = None

    def sweep(self) -> int:
        """Drop keys nobody tried within the window (called now and then by sign-ins)."""
        with self.sessions.begin() as session:
            stale = utcnow() - self.window
            done = session.execute(
                delete(LoginThrottleRow).where(
                    LoginThrottleRow.last_at < stale,
                    or_(
                        LoginThrottleRow.locked_until.is_(None),
                        LoginThrottleRow.locked_until < utcnow(),
                    ),
                )
            )
            return int(done.rowcount or 0)
