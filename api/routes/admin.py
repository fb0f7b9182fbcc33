"""Users and bot tokens (admin only). A bot token is shown once and stored hashed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from api.deps import AdminActor, ServicesDep
from api.schemas import BotTokenCreate, UserCreate, UserUpdate

router = APIRouter(tags=["admin"])


@router.get("/users")
def list_users(actor: AdminActor, services: ServicesDep) -> list[dict[str, Any]]:
    return services.accounts.list_users()


@router.post("/users", status_code=201)
def create_user(body: UserCreate, actor: AdminActor, services: ServicesDep) -> dict[str, Any]:
    return services.accounts.add_user(body.name, body.password, body.role)


@router.patch("/users/{name}")
def update_user(
    name: str, body: UserUpdate, actor: AdminActor, services: ServicesDep
) -> dict[str, Any]:
    return services.accounts.update_user(name[:64], body.role, body.disabled)


@router.get("/tokens")
def list_tokens(actor: AdminActor, services: ServicesDep) -> list[dict[str, Any]]:
    return services.accounts.list_tokens()


@router.post("/tokens", status_code=201)
def create_token(body: BotTokenCreate, actor: AdminActor, services: ServicesDep) -> dict[str, Any]:
    return services.accounts.create_token(body.name, body.role, actor.name)


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: str, actor: AdminActor, services: ServicesDep) -> Response:
    services.accounts.revoke_token(token_id[:32])
    return Response(status_code=204)
