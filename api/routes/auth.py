from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, HTTPException, Request, Response

from api.deps import CurrentActor, ServicesDep
from api.schemas import LoginRequest, MePublic, TokenPublic, error_responses

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenPublic, responses=error_responses(401, 422, 429))
def login(body: LoginRequest, request: Request, services: ServicesDep) -> TokenPublic:
    user_key = f"user:{body.username.lower()}"
    addr_key = f"addr:{request.client.host if request.client else 'unknown'}"
    wait = services.limiter.retry_after(user_key, addr_key)
    if wait:
        raise HTTPException(
            429, f"too many failed sign-ins; retry in {wait} s", headers={"Retry-After": str(wait)}
        )
    actor = services.accounts.authenticate(body.username, body.password)
    if actor is None:
        services.limiter.failed(user_key, addr_key)
        raise HTTPException(401, "wrong user name or password")
    services.limiter.succeeded(user_key)  # not the address: one good account must not reset it
    token, expires_in = services.tokens.issue(actor.name, actor.role.value)
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
