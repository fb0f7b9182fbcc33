"""The composition root: the one place where settings, the database, engines, the guarded
gateway, the agent and the API are put together. Every entry point (CLI, API server, bench,
tests) builds what it needs here; no layer below knows how the others are made.

The agent and the API (langchain, fastapi, argon2 and the rest) are imported by the functions
that build them, so a CLI command that needs only the gateway does not pay for them at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import sessionmaker

from foundation.db import make_sessionmaker, open_database
from foundation.settings import Settings
from tools.engine import Engine, is_local
from tools.gateway import ToolGateway
from tools.guard.allowlist import Rules, canonical_roots
from tools.guard.policy import Policy
from tools.manager import DockerManager
from tools.plan import Target

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.services import Services


def build_engine(settings: Settings) -> Engine:
    return Engine(host=settings.docker_host, timeout=settings.docker_timeout)


def build_sessions(settings: Settings) -> sessionmaker[Any]:
    if settings.database_url is None:
        settings.ensure_home()
    return make_sessionmaker(open_database(settings.resolved_database_url))


def engine_rules(settings: Settings, engine: Engine) -> Rules:
    """The engine boundary's allow-list settings for one engine."""
    return Rules(
        bind_roots=canonical_roots(settings.bind_roots),
        protected_paths=canonical_roots(settings.protected_paths()),
        seccomp_profiles=frozenset(settings.seccomp_profiles),
        apparmor_profiles=frozenset(settings.apparmor_profiles),
        allow_container_namespaces=settings.allow_container_namespaces,
        check_symlinks=is_local(engine.host),
    )


def guard_engine(settings: Settings, engine: Engine, policy: Policy) -> Engine:
    """Install the settings' rules on an engine's boundary (every engine the product uses)."""
    engine.rules = engine_rules(settings, engine)

    def protected(info: dict[str, Any]) -> str | None:
        target = Target(
            kind="container",
            id=str(info.get("Id", "")),
            name=str(info.get("Name", "")).lstrip("/"),
            labels=(info.get("Config") or {}).get("Labels") or {},
        )
        return policy.protection_reason(target)

    engine.protected = protected
    return engine


def build_gateway(
    settings: Settings,
    engine: Engine | None = None,
    sessions: sessionmaker[Any] | None = None,
) -> ToolGateway:
    policy = Policy.from_settings(
        settings.protected_names,
        settings.protected_labels,
        settings.auto_approve_roles,
        settings.second_person,
    )
    engines = (
        [engine]
        if engine is not None
        else [
            Engine(host=url, timeout=settings.docker_timeout, name=name)
            for name, url in settings.host_urls().items()
        ]
    )
    managers = {
        e.name: DockerManager(guard_engine(settings, e, policy), settings.output_bytes_max)
        for e in engines
    }
    return ToolGateway(
        managers,
        policy,
        sessions or build_sessions(settings),
        approval_ttl_seconds=settings.approval_ttl_seconds,
        log_tail_max=settings.log_tail_max,
        compose_dirs=[Path(d).expanduser() for d in settings.compose_dirs],
    )


def build_services(
    settings: Settings, gateway: ToolGateway | None = None, model: Any = None
) -> Services:
    from agent.factory import build_assistant, model_label
    from api.accounts import Accounts
    from api.ratelimit import LoginLimiter
    from api.security import TokenService, load_jwt_secret
    from api.services import Services

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


def build_app(settings: Settings | None = None, model: Any = None) -> FastAPI:
    """The API with everything behind it, from settings (the environment when none given)."""
    from api.main import create_app

    return create_app(build_services(settings or Settings(), model=model))
