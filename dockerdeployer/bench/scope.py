"""The run-unique names of one task: prefix, label, free ports, and placeholder filling."""

from __future__ import annotations

import random
import socket
from dataclasses import dataclass, field
from typing import Any

from dockerdeployer.bench.spec import PLACEHOLDER_RE, Task

TEST_IMAGE = "dockerdeployer-test/busybox:1"
BENCH_LABEL = "ddbench.run"  # not under the reserved dockerdeployer. prefix
# Letters that are not hex digits, so a prefix never looks like a container ID to anyone.
_ID_SAFE = "ghjkmnpqrstvwxyz"


def new_run_id(length: int = 5) -> str:
    return "".join(random.choice(_ID_SAFE) for _ in range(length))


def free_port() -> int:
    """A host port nothing listens on right now (the engine publishes on it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_prefix(run_id: str) -> str:
    """What every container name of the run starts with."""
    return f"bx{run_id}"


@dataclass
class TaskScope:
    """Names of one task attempt: containers are `<prefix>-<name>`, images `<prefix>-<name>:tag`."""

    task: Task
    run_id: str
    prefix: str
    image: str = TEST_IMAGE
    ports: dict[str, int] = field(default_factory=dict)
    container_ids: dict[str, str] = field(default_factory=dict)  # setup name -> ID
    image_ids: dict[str, str] = field(default_factory=dict)  # setup image name -> ID
    service_ids: dict[str, str] = field(default_factory=dict)  # setup service name -> ID
    held: list[socket.socket] = field(default_factory=list)  # listeners on setup.held_ports

    @classmethod
    def create(cls, task: Task, run_id: str, index: int, attempt: int) -> TaskScope:
        prefix = f"{run_prefix(run_id)}{index:02d}{'abcdefghij'[attempt % 10]}"
        ports = {"port": free_port(), "port2": free_port(), "port3": free_port()}
        return cls(task=task, run_id=run_id, prefix=prefix, ports=ports)

    @property
    def label(self) -> tuple[str, str]:
        return BENCH_LABEL, self.run_id

    def full(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def image_tag(self, name: str) -> str:
        spec = next(i for i in self.task.setup.images if i.name == name)
        return f"{self.full(name)}:{spec.tag}"

    def values(self) -> dict[str, str]:
        values = {
            "p": self.prefix,
            "run": self.run_id,
            "image": self.image,
            "label": f"{BENCH_LABEL}={self.run_id}",
            **{key: str(port) for key, port in self.ports.items()},
        }
        for image in self.task.setup.images:
            values[image.name] = self.image_tag(image.name)
        for name in self.task.placeholders - set(values):
            values[name] = self.full(name)
        return values

    def expand(self, text: str) -> str:
        values = self.values()
        return PLACEHOLDER_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)

    def expand_any(self, value: Any) -> Any:
        """Placeholders filled in strings, lists and dict keys/values alike."""
        if isinstance(value, str):
            return self.expand(value)
        if isinstance(value, list):
            return [self.expand_any(item) for item in value]
        if isinstance(value, dict):
            return {self.expand_any(k): self.expand_any(v) for k, v in value.items()}
        return value

    def owns_name(self, name: str) -> bool:
        return name.lstrip("/").startswith(self.prefix + "-")
