from __future__ import annotations

import secrets
from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import CurrentActor, ServicesDep
from api.ratelimit import Throttled
from api.schemas import LoginRequest, MePublic, PasswordChange, TokenPublic, error_responses
from tools.guard.policy import ActorKind

router = APIRouter(prefix="/auth", tags=["auth"])


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _throttled(exc: Throttled) -> HTTPException:
    wait = exc.retry_after
    return HTTPException(
        429, f"too many failed sign-ins; retry in {wait} s", headers={"Retry-After": str(wait)}
    )


@router.post("/login", response_model=TokenPublic, responses=error_responses(401, 422, 429))
def login(body: LoginRequest, request: Request, services: ServicesDep) -> TokenPublic:
    limiter = services.limiter
    try:
        attempt = limiter.begin(body.username, _address(request))
    except Throttled as exc:
        raise _throttled(exc) from None
    actor = services.accounts.authenticate(body.username, body.password)
    if actor is None:
        limiter.failed(attempt)
        if secrets.randbelow(64) == 0:  # now and then, forget keys nobody tried lately
            limiter.sweep()
        raise HTTPException(401, "wrong user name or password")
    limiter.succeeded(attempt)
    token, expires_in = services.tokens.issue(
        actor.name, actor.role.value, services.accounts.session_epoch(actor.name)
    )
    return TokenPublic(access_token=token, expires_in=expires_in)


@router.post(
    "/password", response_model=TokenPublic, responses=error_responses(400, 401, 403, 422, 429)
)
def change_password(
    body: PasswordChange, request: Request, actor: CurrentActor, services: ServicesDep
) -> TokenPublic:
    """Change your own password (the current one is required). Every session of yours ends,
    this one included; the answer is a new access token for this client."""
    if actor.kind is ActorKind.BOT:
        raise HTTPException(400, "bot tokens have no password; an admin creates a new token")
    limiter = services.limiter
    try:
        attempt = limiter.begin(actor.name, _address(request))
    except Throttled as exc:
        raise _throttled(exc) from None
    if services.accounts.authenticate(actor.name, body.current_password) is None:
        limiter.failed(attempt)
        raise HTTPException(403, "the current password is wrong")
    limiter.succeeded(attempt)
    epoch = services.accounts.set_password(actor.name, body.new_password)
    if actor.name == "admin":  # the generated first password, if it is still on disk
        (services.settings.home / "first-admin-password").unlink(missing_ok=True)
    token, expires_in = services.tokens.issue(actor.name, actor.role.value, epoch)
    return TokenPublic(access_token=token, expires_in=expires_in)


@router.post("/logout", status_code=204, responses=error_responses(400, 401))
def logout(request: Request, actor: CurrentActor, services: ServicesDep) -> Response:
    claims = getattr(request.state, "claims", None)
    if claims is None:
        raise HTTPException(400, "bot tokens are revoked by an admin (DELETE /api/tokens/{id})")
    expires = datetime.fromtimestamp(claims.expires_at, UTC).replace(tzinfo=None)
    services.accounts.revoke_jti(claims.jti, expires)
    return Response(status_code=204)


@router.get("/me", response_model=MePublic, responses=error_responses(401))
def me(actor: CurrentActor) -> MePublic:
    return MePublic(name=actor.name, role=actor.role, kind=actor.kind)
