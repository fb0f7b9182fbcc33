"""Dependency aliases: services, the authenticated actor, role requirements."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.accounts import BOT_PREFIX
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
    token = credentials.credentials
    if token.startswith(BOT_PREFIX):
        bot = services.accounts.bot(token)
        if bot is None:
            raise _unauthorized("unknown or revoked bot token")
        return bot
    try:
        claims = services.tokens.verify(token)
    except jwt.ExpiredSignatureError:
        raise _unauthorized("the session expired; please sign in again") from None
    except jwt.PyJWTError:
        raise _unauthorized("invalid access token") from None
    if services.accounts.is_revoked(claims.jti):
        raise _unauthorized("this token was signed out")
    # The role comes from the database, not the token: a changed role applies at once; a
    # password change (a new session epoch) ends every earlier session.
    user = services.accounts.session_user(claims.subject, claims.epoch)
    if user is None:
        raise _unauthorized("unknown or disabled user, or the session ended (password changed)")
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
