"""Access tokens (PyJWT, HS256 pinned, every claim required and checked) and password hashes
(Argon2id)."""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from foundation.settings import Settings

ALGORITHM = "HS256"
MIN_SECRET_BYTES = 32
PLACEHOLDERS = ("change", "secret", "example", "placeholder", "default", "password", "xxxx")

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps timing the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


class InsecureSecret(ValueError):
    pass


def check_secret(secret: str) -> bytes:
    data = secret.encode()
    if len(data) < MIN_SECRET_BYTES:
        raise InsecureSecret(
            f"DOCKERDEPLOYER_JWT_SECRET is {len(data)} bytes; use at least {MIN_SECRET_BYTES} "
            '(python -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    lowered = secret.lower()
    if any(word in lowered for word in PLACEHOLDERS) or len(set(secret)) < 8:
        raise InsecureSecret("DOCKERDEPLOYER_JWT_SECRET looks like a placeholder; generate one")
    return data


def load_jwt_secret(settings: Settings) -> bytes:
    """The configured secret (refused when weak), else one generated once under `home`."""
    if settings.jwt_secret is not None:
        return check_secret(settings.jwt_secret.get_secret_value())
    path = Path(settings.ensure_home()) / "jwt_secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return check_secret(path.read_text().strip())


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class Claims:
    subject: str
    role: str
    jti: str
    expires_at: int
    epoch: int = 0  # the user's session epoch when issued (see UserRow.session_epoch)


class TokenService:
    def __init__(self, secret: bytes, issuer: str, audience: str, ttl_seconds: int) -> None:
        self.secret = secret
        self.issuer = issuer
        self.audience = audience
        self.ttl = ttl_seconds

    def issue(self, subject: str, role: str, epoch: int = 0) -> tuple[str, int]:
        now = int(time.time())
        claims = {
            "sub": subject,
            "role": role,
            "sep": epoch,
            "iat": now,
            "nbf": now,
            "exp": now + self.ttl,
            "iss": self.issuer,
            "aud": self.audience,
            "jti": secrets.token_hex(16),
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM), self.ttl

    def verify(self, token: str) -> Claims:
        """Raises jwt.PyJWTError for anything but a well-formed, current token of ours.

        A token living longer than the configured lifetime (exp - iat over the TTL) is refused
        whatever its signature: a leaked key or a past, longer setting must not mint sessions
        that outlive today's limit."""
        data = jwt.decode(
            token,
            self.secret,
            algorithms=[ALGORITHM],
            audience=self.audience,
            issuer=self.issuer,
            options={"require": ["exp", "iat", "nbf", "sub", "aud", "iss", "jti", "sep"]},
            leeway=5,
        )
        issued, expires, epoch = data["iat"], data["exp"], data["sep"]
        numbers = (issued, expires, epoch)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in numbers):
            raise jwt.InvalidTokenError("iat, exp and sep must be integers")
        if expires - issued > self.ttl:
            raise jwt.InvalidTokenError("token lifetime over the configured maximum")
        if issued > time.time() + 5:
            raise jwt.ImmatureSignatureError("token issued in the future")
        return Claims(str(data["sub"]), str(data.get("role", "")), str(data["jti"]), expires,
                      epoch)  # fmt: skip
