"""Dependency aliases: services, the authenticated actor, role requirements."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import TokenRejected, authenticate
from api.services import Services
from foundation.settings import Settings
from tools.guard.policy import Actor, Role

bearer = HTTPBearer(auto_error=False, description="A login access token or a bot token.")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_settings(services: ServicesDep) -> Settings:
    return services.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def current_actor(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    if credentials is None or not credentials.credentials:
        raise _unauthorized("not signed in: send Authorization: Bearer <token>")
    try:
        user, claims = authenticate(credentials.credentials, services.tokens, services.accounts)
    except TokenRejected as exc:
        raise _unauthorized(str(exc)) from None
    request.state.claims = claims
    return user


CurrentActor = Annotated[Actor, Depends(current_actor)]


def require(role: Role) -> object:
    def check(actor: CurrentActor) -> Actor:
        if actor.role.rank < role.rank:
            raise HTTPException(403, f"needs role {role.value}; you are {actor.role.value}")
        return actor

    return Depends(check)


AdminActor = Annotated[Actor, require(Role.ADMIN)]
OperatorActor = Annotated[Actor, require(Role.OPERATOR)]
