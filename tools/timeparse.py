"""`since` values: '10m', '2h', '1d' or an ISO time, bounded so no input can overflow a clock.

Used by the input models (a bad value is a clear 422 before anything runs) and by the manager
(what the engine's `since` takes: epoch seconds).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tools.errors import InvalidArguments

_DURATION = re.compile(r"^(\d{1,9})\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_AGE = timedelta(days=3650)  # ten years back is older than any log an engine keeps
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_since(since: str | None, now: datetime | None = None) -> int | None:
    """Epoch seconds, or None for no bound. Raises InvalidArguments (never OverflowError)."""
    if not since:
        return None
    now = now or datetime.now(UTC)
    text = since.strip()
    match = _DURATION.match(text.lower())
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds > MAX_AGE.total_seconds():
            raise InvalidArguments(f"since={since!r} is more than ten years back")
        return int((now - timedelta(seconds=seconds)).timestamp())
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        if not EPOCH <= parsed <= now + timedelta(days=1):
            raise ValueError("out of range")
        return int(parsed.timestamp())
    except (ValueError, OverflowError) as exc:
        raise InvalidArguments(
            f"since={since!r} is not a duration like '10m', '2h', '1d' (up to ten years) or an "
            "ISO time between 1970 and now"
        ) from exc


def check_since(value: str | None) -> str | None:
    """A pydantic validator: the value as given, once it is known to parse."""
    try:
        parse_since(value)
    except InvalidArguments as exc:
        raise ValueError(exc.message) from exc
    return value
