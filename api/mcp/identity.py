"""Who is calling over MCP, and through which client.

- stdio: the process runs as a local OS user. It acts as the account `DOCKERDEPLOYER_MCP_USER`
  names (looked up on every call, so a disabled account stops at once), or else as `os:<login>`
  with the role `DOCKERDEPLOYER_MCP_ROLE` (viewer unless configured: never an implicit admin).
- HTTP: the API's own bearer tokens (sign-in JWTs and bot tokens), checked on every request by
  the SDK's bearer middleware through `BearerTokens`; the actor rides the SDK's access-token
  context into the handlers.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.auth.provider import AccessToken

from api.accounts import Accounts, TokenRejected, authenticate
from api.mcp.settings import McpSettings
from api.security import TokenService
from tools.guard.policy import Actor, ActorKind, Role

Identify = Callable[[], Actor]
CLIENT_NAME_MAX = 80


class NoCaller(Exception):
    """The caller cannot be identified (a disabled account, a request without a token)."""


class StdioIdentity:
    """The actor of a stdio server: a named account, or the invoking OS user."""

    def __init__(self, accounts: Accounts, settings: McpSettings, login: str | None = None) -> None:
        self.accounts = accounts
        self.account = settings.user
        self.role = settings.role
        self.name = self.account or f"os:{login or getpass.getuser()}"

    def actor(self) -> Actor:
        if self.account is None:
            return Actor(self.name, self.role)
        actor = self.accounts.user(self.account)
        if actor is None:
            raise NoCaller(
                f"account {self.account!r} (DOCKERDEPLOYER_MCP_USER) is unknown or disabled; "
                f"create it with: dockerdeployer users add {self.account} --role viewer"
            )
        return actor

    def current_role(self, name: str) -> Role | None:
        """For the gateway's re-check when an approved call runs: the OS user keeps its
        configured role; everyone else has the role their account has now."""
        if self.account is None and name == self.name:
            return self.role
        return self.accounts.current_role(name)


class BearerTokens:
    """The SDK's `TokenVerifier` over the API's tokens: the same checks as the API's routes
    (signature, expiry, sign-out, the account still enabled; bot tokens not revoked). The role
    is read from the database on every request, so a changed role applies at once."""

    def __init__(self, tokens: TokenService, accounts: Accounts) -> None:
        self.tokens = tokens
        self.accounts = accounts

    async def verify_token(self, token: str) -> AccessToken | None:
        found = await anyio.to_thread.run_sync(self._actor, token)
        if found is None:
            return None
        actor, expires_at = found
        return AccessToken(
            token=token,
            client_id=actor.name,
            subject=actor.name,
            scopes=[actor.role.value],
            expires_at=expires_at,
            claims={"role": actor.role.value, "kind": actor.kind.value},
        )

    def _actor(self, token: str) -> tuple[Actor, int | None] | None:
        try:
            actor, claims = authenticate(token, self.tokens, self.accounts)
        except TokenRejected:
            return None
        return actor, claims.expires_at if claims is not None else None


def token_actor() -> Actor:
    """The actor of the current HTTP request, as `BearerTokens` verified it."""
    token = get_access_token()
    claims = token.claims if token is not None else None
    if token is None or not claims:
        raise NoCaller("not signed in: send Authorization: Bearer <token>")
    return Actor(token.client_id, Role(claims["role"]), ActorKind(claims["kind"]))


def client_label(client_info: Any, transport: str) -> str:
    """What the audit's `request` field says for a call: the client's own name (its text,
    shortened) and the transport."""
    name = "an unnamed client"
    if client_info is not None:
        given = f"{getattr(client_info, 'name', '')} {getattr(client_info, 'version', '')}"
        given = " ".join(given.split())[:CLIENT_NAME_MAX]
        name = repr(given) if given else name
    return f"MCP client {name} over {transport}"
