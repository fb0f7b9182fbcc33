"""Docker Compose from the outside: which CLI is installed, where projects live, running it.

Compose is driven through its own CLI (the `docker compose` plugin, else Debian's
`docker-compose` 1.x) rather than re-implemented: it owns naming, networks and recreation.
Projects are read only from the configured directories, and the CLI runs through
`DockerManager.run_cli`: it reaches the engine only through the same boundary as the SDK, with
a small environment of its own (the server's secrets must not be interpolated into a file).
"""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tools.engine_client import EngineClient
from tools.errors import DockerDeployerError, EngineError, EngineTimeout, ErrorCode, NotFound
from tools.manager import cap_text

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
PROJECT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DETECT_TIMEOUT = 15.0
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
INSTALL_HINT = (
    "install the Compose plugin (`apt-get install docker-compose-plugin` from Docker's "
    "repository) or Debian's `docker-compose` package (`apt-get install docker-compose`) on the "
    "machine DockerDeployer runs on"
)


class ComposeUnavailable(DockerDeployerError):
    """Neither `docker compose` nor `docker-compose` is installed where DockerDeployer runs."""

    code = ErrorCode.COMPOSE_UNAVAILABLE


class ComposeFailed(EngineError):
    """The compose CLI ran and exited non-zero; the message carries the end of its output."""


@dataclass(frozen=True)
class ComposeCli:
    argv: tuple[str, ...]  # ("/usr/bin/docker", "compose") or ("/usr/bin/docker-compose",)
    display: str  # how the equivalent command is shown: "docker compose" | "docker-compose"
    version: str


@dataclass(frozen=True)
class ComposeRun:
    stdout: str
    stderr: str

    def output(self, limit: int) -> str:
        """What it printed (progress goes to stderr), the newest part kept within `limit`."""
        text, _ = cap_text((self.stdout + self.stderr).strip(), limit)
        return text


@dataclass(frozen=True)
class ComposeProject:
    name: str  # the directory name, lowercased: also the compose project name
    directory: Path
    file: Path


# --- projects on disk ---------------------------------------------------------------------------


def _compose_file(directory: Path, root: Path) -> Path | None:
    """The directory's compose file, if it has one that really lives under `root`."""
    for candidate in COMPOSE_FILES:
        path = directory / candidate
        if not path.is_file():
            continue
        # A symlink out of the configured directory would read files from anywhere.
        if path.resolve().is_relative_to(root):
            return path
    return None


def find_projects(compose_dirs: Iterable[Path]) -> dict[str, ComposeProject]:
    """name -> project for every configured directory holding a compose file, and every
    directory directly under one. The first directory listed wins a name clash; names that
    cannot be compose project names are skipped."""
    projects: dict[str, ComposeProject] = {}
    for configured in compose_dirs:
        try:
            root = Path(configured).expanduser().resolve(strict=True)
            children = sorted(p for p in root.iterdir() if p.is_dir())
        except OSError:
            continue
        for directory in (root, *children):
            name = directory.name.lower()
            if name in projects or not PROJECT_NAME.match(name):
                continue
            try:
                file = _compose_file(directory, root)
            except OSError:
                continue
            if file is not None:
                projects[name] = ComposeProject(name, directory, file)
    return dict(sorted(projects.items()))


def get_project(compose_dirs: Sequence[Path], name: str) -> ComposeProject:
    """The named project, or an error listing the ones there are."""
    if not compose_dirs:
        raise NotFound(
            "no compose project directories are configured (DOCKERDEPLOYER_COMPOSE_DIRS)"
        )
    projects = find_projects(compose_dirs)
    project = projects.get(name.lower())
    if project is None:
        available = ", ".join(projects) or "none"
        raise NotFound(f"no compose project {name!r}; available projects: {available}")
    return project


# --- the CLI ------------------------------------------------------------------------------------


def detect_cli(path: str | None = None) -> ComposeCli:
    """The `docker compose` plugin if the docker CLI has it, else `docker-compose`."""
    return _detect(os.environ.get("PATH", os.defpath) if path is None else path)


@functools.lru_cache(maxsize=8)  # failures raise and are not cached: installing it later works
def _detect(path: str) -> ComposeCli:
    docker = shutil.which("docker", path=path)
    if docker:
        version = _version([docker, "compose"], path)
        if version is not None:
            return ComposeCli((docker, "compose"), "docker compose", version)
    legacy = shutil.which("docker-compose", path=path)
    if legacy:
        version = _version([legacy], path)
        if version is not None:
            return ComposeCli((legacy,), "docker-compose", version)
    raise ComposeUnavailable(
        "Docker Compose is not installed: neither the `docker compose` plugin nor "
        f"`docker-compose` was found; {INSTALL_HINT}."
    )


def _version(argv: list[str], path: str) -> str | None:
    try:
        done = subprocess.run(
            [*argv, "version", "--short"],
            capture_output=True,
            text=True,
            timeout=DETECT_TIMEOUT,
            env={"PATH": path, "HOME": os.environ.get("HOME", "/")},
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.strip().splitlines()[0] if done.stdout.strip() else "unknown"


def base_argv(cli: ComposeCli, project: ComposeProject, from_stdin: bool = False) -> list[str]:
    """`<cli> -p NAME -f FILE`; with `from_stdin` the file is read from standard input (the
    exact configuration that was checked), relative paths still from the project directory."""
    if from_stdin:
        return [
            *cli.argv, "-p", project.name, "-f", "-", "--project-directory", str(project.directory)
        ]  # fmt: skip
    return [*cli.argv, "-p", project.name, "-f", str(project.file)]


def shown_command(cli: ComposeCli, project: ComposeProject, args: Sequence[str]) -> str:
    """The equivalent command as a person would type it."""
    return shlex.join([*cli.display.split(), "-p", project.name, "-f", str(project.file), *args])


def run_compose(
    cli: ComposeCli,
    project: ComposeProject,
    args: Sequence[str],
    *,
    docker: EngineClient,
    timeout: float,
    stdin: str | None = None,
) -> ComposeRun:
    """Run one compose subcommand against the engine.

    Non-zero exit -> ComposeFailed with the end of what it printed; too slow -> EngineTimeout.
    """
    argv = [*base_argv(cli, project, from_stdin=stdin is not None), *args]
    verb = f"{cli.display} {args[0] if args else ''}".strip()
    try:
        done = docker.run_cli(
            argv, timeout=timeout, stdin=stdin, cwd=project.directory,
            extra_roots=[project.directory],
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        raise EngineTimeout(
            f"`{verb}` for project {project.name} did not finish within {timeout:.0f} s; "
            "check the engine and the project's containers"
        ) from exc
    except OSError as exc:
        raise ComposeUnavailable(f"could not run {cli.display}: {exc.strerror or exc}") from exc
    run = ComposeRun(_ANSI.sub("", done.stdout or ""), _ANSI.sub("", done.stderr or ""))
    if done.returncode != 0:
        lines = [line for line in (run.stdout + run.stderr).strip().splitlines() if line.strip()]
        detail, _ = cap_text("\n".join(lines[-12:]), 2000)
        raise ComposeFailed(
            f"`{verb}` for project {project.name} failed (exit {done.returncode}): "
            f"{detail or 'no output'}"
        )
    return run
