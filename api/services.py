"""Everything the routes need, built by the composition root (`dockerdeployer.wiring`)."""

from __future__ import annotations

from dataclasses import dataclass

from agent.assistant import Assistant
from api.accounts import Accounts
from api.ratelimit import LoginLimiter
from api.security import TokenService
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
