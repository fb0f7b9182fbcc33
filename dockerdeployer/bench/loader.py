"""Task files -> Task objects, with one readable error per bad file."""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from pydantic import ValidationError

from dockerdeployer.bench.spec import Task


class TaskFileError(Exception):
    """A task file that cannot be used: which file, and what is wrong with it."""


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def describe(exc: ValidationError) -> str:
    lines = []
    for err in exc.errors():
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        lines.append(f"  {_where(tuple(err.get('loc', ())))}: {message}")
    return "\n".join(lines)


def parse_task(text: str, source: str) -> Task:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TaskFileError(f"{source}: not valid TOML: {exc}") from None
    try:
        return Task.model_validate(data)
    except ValidationError as exc:
        raise TaskFileError(f"{source}: invalid task:\n{describe(exc)}") from None


def _toml_files(root: Traversable) -> Iterable[Traversable]:
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.is_dir():
            yield from _toml_files(entry)
        elif entry.name.endswith(".toml"):
            yield entry


def builtin_tasks_dir() -> Traversable:
    return resources.files("dockerdeployer.bench") / "tasks"


def load_tasks(
    directory: Path | Traversable | None = None, pattern: str | None = None
) -> list[Task]:
    """Every task under `directory` (default: the built-in set), filtered by `pattern`: a glob
    or substring matched against the task id and its category."""
    root = directory if directory is not None else builtin_tasks_dir()
    if not root.is_dir():
        raise TaskFileError(f"{root}: no such task directory")
    tasks: list[Task] = []
    seen: dict[str, str] = {}
    errors: list[str] = []
    for entry in _toml_files(root):
        source = str(entry)
        try:
            task = parse_task(entry.read_text(encoding="utf-8"), source)
        except TaskFileError as exc:
            errors.append(str(exc))
            continue
        stem = entry.name.removesuffix(".toml")
        if task.id != stem:
            errors.append(f"{source}: id {task.id!r} must match the file name ({stem!r})")
            continue
        if task.id in seen:
            errors.append(f"{source}: task id {task.id!r} is already used by {seen[task.id]}")
            continue
        seen[task.id] = source
        tasks.append(task)
    if errors:
        raise TaskFileError("\n".join(errors))
    if pattern:
        tasks = [t for t in tasks if matches(t, pattern)]
    return tasks


def matches(task: Task, pattern: str) -> bool:
    keys = (task.id, task.category, f"{task.category}/{task.id}")
    if any(ch in pattern for ch in "*?["):
        return any(fnmatch.fnmatchcase(key, pattern) for key in keys)
    return any(pattern in key for key in keys)
