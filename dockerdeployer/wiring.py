"""The composition root: the one place where settings, the database, engines, the guarded
gateway, the agent and the API are put together. Every entry point (CLI, API server, bench,
tests) builds what it needs here; no layer below knows how the others are made.

The agent and the API (langchain, fastapi, argon2 and the rest) are imported by the functions
that build them, so a CLI command that needs only the gateway does not pay for them at start-up.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import sessionmaker

from foundation.db import is_postgres, make_sessionmaker, open_database
from foundation.settings import Settings
from tools.engine import Engine, is_local
from tools.gateway import ToolGateway
from tools.guard.allowlist import Rules, canonical_roots
from tools.guard.policy import Policy
from tools.manager import DockerManager
from tools.plan import Target

if TYPE_CHECKING:
    from fastapi import FastAPI

    from api.mcp.server import GuardedMCPServer, McpEndpoint
    from api.mcp.settings import McpSettings
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
        follow_limits=(settings.follow_seconds_max, settings.follow_lines_max),
        compose_dirs=[Path(d).expanduser() for d in settings.compose_dirs],
    )


log = logging.getLogger("dockerdeployer")


def build_services(
    settings: Settings, gateway: ToolGateway | None = None, model: Any = None
) -> Services:
    from agent.factory import build_assistant, model_label
    from api.accounts import Accounts
    from api.ratelimit import LoginLimiter
    from api.security import TokenService, load_jwt_secret
    from api.services import Services

    gateway = gateway or build_gateway(settings)
    if settings.jwt_secret is None and is_postgres(settings.resolved_database_url):
        log.warning(
            "DOCKERDEPLOYER_DATABASE_URL is PostgreSQL but DOCKERDEPLOYER_JWT_SECRET is unset: "
            "this process signs tokens with a key generated under %s, so API replicas that do "
            "not share that directory refuse each other's tokens; set one secret for all",
            settings.home,
        )
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
        limiter=LoginLimiter(
            accounts.sessions, settings.login_attempts, settings.login_window_seconds
        ),
        model_label=model_label(settings) if model is None else type(model).__name__,
    )


def build_app(settings: Settings | None = None, model: Any = None) -> FastAPI:
    """The API with everything behind it, from settings (the environment when none given)."""
    from api.main import create_app

    services = build_services(settings or Settings(), model=model)
    return create_app(services, mcp=build_mcp_http(services))


def build_mcp_http(services: Services, mcp_settings: McpSettings | None = None) -> McpEndpoint:
    """The MCP server at the API's `/mcp`: the API's gateway, bearer tokens and accounts."""
    from agent.factory import deployment_features
    from api.mcp.identity import BearerTokens, token_actor
    from api.mcp.server import McpEndpoint, build_mcp_server
    from api.mcp.settings import McpSettings

    settings = services.settings
    mcp_settings = mcp_settings or McpSettings()
    server = build_mcp_server(
        services.gateway,
        token_actor,
        transport="streamable HTTP",
        console_url=mcp_settings.resolved_console_url(settings),
        features=deployment_features(settings, services.gateway),
        poll_seconds=mcp_settings.poll_seconds,
        token_verifier=BearerTokens(services.tokens, services.accounts),
        issuer_url=settings.resolved_api_url,
    )
    return McpEndpoint(server, host=settings.api_host)


def build_mcp_stdio(
    settings: Settings, mcp_settings: McpSettings | None = None, engine: Engine | None = None
) -> GuardedMCPServer:
    """The MCP server for `dockerdeployer mcp`: a gateway of its own (no agent, no API), acting
    as the account the settings name or the invoking OS user (raises NoCaller when the named
    account is unknown or disabled)."""
    from agent.factory import deployment_features
    from api.accounts import Accounts
    from api.mcp.identity import StdioIdentity
    from api.mcp.server import build_mcp_server
    from api.mcp.settings import McpSettings

    mcp_settings = mcp_settings or McpSettings()
    gateway = build_gateway(settings, engine=engine)
    identity = StdioIdentity(Accounts(gateway.approvals.sessions), mcp_settings)
    identity.actor()
    gateway.current_role = identity.current_role
    return build_mcp_server(
        gateway,
        identity.actor,
        transport="stdio",
        console_url=mcp_settings.resolved_console_url(settings),
        features=deployment_features(settings, gateway),
        poll_seconds=mcp_settings.poll_seconds,
    )
