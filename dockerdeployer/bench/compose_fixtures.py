"""Compose projects for tasks: a directory under the bench's compose root (the one configured
as DOCKERDEPLOYER_COMPOSE_DIRS for the assistant), brought up by the Compose CLI if the task
starts from a running project, and taken down again afterwards."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import docker.errors
import yaml

from dockerdeployer.bench.scope import BENCH_LABEL, TaskScope
from dockerdeployer.bench.spec import ProjectSpec
from tools.compose_cli import ComposeProject, detect_cli, run_compose
from tools.errors import DockerDeployerError
from tools.labels import COMPOSE_PROJECT
from tools.manager import DockerManager

UP_TIMEOUT = 120.0


class ComposeFixtures:
    def __init__(self, docker: DockerManager, root: Path) -> None:
        self.docker = docker
        self.engine = docker.engine
        self.root = root

    def project(self, scope: TaskScope, name: str) -> ComposeProject:
        full = scope.full(name)
        directory = self.root / full
        return ComposeProject(full, directory, directory / "compose.yaml")

    def set_up(self, scope: TaskScope, spec: ProjectSpec) -> None:
        project = self.project(scope, spec.name)
        project.directory.mkdir(parents=True, exist_ok=True)
        labels = {BENCH_LABEL: scope.run_id}
        idle = "trap 'exit 0' TERM; echo {} up; sleep 3600 & wait"
        services = {
            service: {"image": scope.expand(spec.images.get(service, scope.image)),
                      "command": ["sh", "-c", idle.format(service)], "labels": labels}
            for service in spec.services
        }  # fmt: skip
        config: dict[str, Any] = {
            "version": "3.8",
            "services": services,
            "networks": {"default": {"labels": labels}},
        }
        project.file.write_text(yaml.safe_dump(config, sort_keys=False))
        if spec.up:
            run_compose(detect_cli(), project, ["up", "-d", "--no-build"], docker=self.docker,
                        timeout=UP_TIMEOUT)  # fmt: skip

    def running(self, scope: TaskScope, name: str) -> int:
        label = {"label": f"{COMPOSE_PROJECT}={scope.full(name)}", "status": "running"}
        return len(self.engine.api.containers(filters=label))

    def clean_up(self, scope: TaskScope) -> list[str]:
        problems = []
        for spec in scope.task.setup.projects:
            project = self.project(scope, spec.name)
            try:
                if project.file.exists():
                    run_compose(detect_cli(), project, ["down", "-v", "--remove-orphans"],
                                docker=self.docker, timeout=UP_TIMEOUT)  # fmt: skip
            except DockerDeployerError as exc:
                problems.append(f"compose down {project.name}: {exc.message}")
            problems += self._remove_labelled(project.name)
            shutil.rmtree(project.directory, ignore_errors=True)
        return problems

    def _remove_labelled(self, project: str) -> list[str]:
        """What `down` left behind (or could not reach): containers, then networks."""
        api, problems = self.engine.api, []
        mine = {"label": f"{COMPOSE_PROJECT}={project}"}
        try:
            for item in api.containers(all=True, filters=mine):
                api.remove_container(item["Id"], force=True, v=True)
            for net in api.networks(filters=mine):
                api.remove_network(net["Id"])
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            problems.append(f"compose project {project}: {exc}")
        return problems
