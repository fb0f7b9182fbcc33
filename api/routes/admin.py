"""Users and bot tokens (admin only). A bot token is shown once and stored hashed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import AdminActor, ServicesDep
from api.schemas import (
    BotTokenCreate,
    BotTokenCreatedPublic,
    BotTokenPublic,
    UserCreate,
    UserCreatedPublic,
    UserPublic,
    UserUpdate,
    UserUpdatedPublic,
    error_responses,
)

router = APIRouter(tags=["admin"], responses=error_responses(401, 403, 422))


@router.get("/users", response_model=list[UserPublic])
def list_users(actor: AdminActor, services: ServicesDep) -> list[dict[str, Any]]:
    return services.accounts.list_users()


@router.post(
    "/users", status_code=201, response_model=UserCreatedPublic, responses=error_responses(409)
)
def create_user(body: UserCreate, actor: AdminActor, services: ServicesDep) -> dict[str, Any]:
    return services.accounts.add_user(body.name, body.password, body.role)


@router.patch("/users/{name}", response_model=UserUpdatedPublic, responses=error_responses(404))
def update_user(
    name: str, body: UserUpdate, actor: AdminActor, services: ServicesDep
) -> dict[str, Any]:
    updated = services.accounts.update_user(name[:64], body.role, body.disabled)
    if body.disabled:  # a disabled user's requests must not run later
        services.gateway.expire_requests_of(updated["name"], f"user {updated['name']} disabled")
    return updated


@router.get("/tokens", response_model=list[BotTokenPublic])
def list_tokens(actor: AdminActor, services: ServicesDep) -> list[dict[str, Any]]:
    return services.accounts.list_tokens()


@router.post("/tokens", status_code=201, response_model=BotTokenCreatedPublic)
def create_token(body: BotTokenCreate, actor: AdminActor, services: ServicesDep) -> dict[str, Any]:
    return services.accounts.create_token(body.name, body.role, actor.name)


@router.delete("/tokens/{token_id}", status_code=204, responses=error_responses(404))
def revoke_token(token_id: str, actor: AdminActor, services: ServicesDep) -> Response:
    bot = services.accounts.revoke_token(token_id[:32])
    services.gateway.expire_requests_of(bot, f"token {token_id[:32]} revoked")
    return Response(status_code=204)
