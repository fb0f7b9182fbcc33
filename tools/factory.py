"""Build the guarded tool gateway from settings: the one place dependencies are wired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from dockerdeployer.db import make_engine, make_sessionmaker
from dockerdeployer.settings import Settings
from tools.engine import Engine
from tools.gateway import ToolGateway
from tools.guard.policy import Policy
from tools.manager import DockerManager


def build_engine(settings: Settings) -> Engine:
    return Engine(host=settings.docker_host, timeout=settings.docker_timeout)


def build_sessions(settings: Settings) -> sessionmaker[Any]:
    if settings.database_url is None:
        settings.ensure_home()
    return make_sessionmaker(make_engine(settings.resolved_database_url))


def build_gateway(
    settings: Settings,
    engine: Engine | None = None,
    sessions: sessionmaker[Any] | None = None,
) -> ToolGateway:
    policy = Policy.from_settings(
        settings.protected_names, settings.protected_labels, settings.auto_approve_roles
    )
    if engine is not None:
        managers = {engine.name: DockerManager(engine, settings.output_bytes_max)}
    else:
        managers = {
            name: DockerManager(
                Engine(host=url, timeout=settings.docker_timeout, name=name),
                settings.output_bytes_max,
            )
            for name, url in settings.host_urls().items()
        }
    return ToolGateway(
        managers,
        policy,
        sessions or build_sessions(settings),
        approval_ttl_seconds=settings.approval_ttl_seconds,
        log_tail_max=settings.log_tail_max,
        compose_dirs=[Path(d).expanduser() for d in settings.compose_dirs],
    )
