"""Everything the routes need, built once per app from settings (and swappable in tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.assistant import Assistant
from api.accounts import Accounts
from api.ratelimit import LoginLimiter
from api.security import TokenService, load_jwt_secret
from foundation.settings import Settings
from tools.gateway import ToolGateway


@dataclass
class Services:
    settings: Settings
    gateway: ToolGateway
    assistant: Assistant
    accounts: Accounts
    tokens: TokenService
    limiter: LoginLimiter
    model_label: str


def build_services(
    settings: Settings, gateway: ToolGateway | None = None, model: Any = None
) -> Services:
    from agent.factory import build_assistant, model_label
    from tools.factory import build_gateway

    gateway = gateway or build_gateway(settings)
    accounts = Accounts(gateway.approvals.sessions)
    gateway.current_role = accounts.current_role
    return Services(
        settings=settings,
        gateway=gateway,
        assistant=build_assistant(settings, gateway, model=model),
        accounts=accounts,
        tokens=TokenService(
            load_jwt_secret(settings),
            settings.jwt_issuer,
            settings.jwt_audience,
            settings.jwt_ttl_seconds,
        ),
        limiter=LoginLimiter(settings.login_attempts, settings.login_window_seconds),
        model_label=model_label(settings) if model is None else type(model).__name__,
    )
