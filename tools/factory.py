"""Build the guarded tool gateway from settings: the one place dependencies are wired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from foundation.db import make_sessionmaker, open_database
from foundation.settings import Settings
from tools.engine import Engine, is_local
from tools.gateway import ToolGateway
from tools.guard.allowlist import Rules, canonical_roots
from tools.guard.policy import Policy
from tools.manager import DockerManager
from tools.plan import Target


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
        settings.protected_names, settings.protected_labels, settings.auto_approve_roles
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
