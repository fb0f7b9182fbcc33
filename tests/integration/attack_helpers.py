"""Shared pieces of the attack tests (issue 12): push a hostile call as far as an approval can
take it, then read the verdict from the engine itself.

A refusal may come at two places, and both count: the gateway answers the call with status
`denied`; or, noticed only when the approved call runs, `decide` raises `PolicyDenied` (or
returns `denied`/`failed`). Whatever the gateway says, the engine has the last word: the tests
also check that nothing of the attack exists there.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Any

import docker

from tests.conftest import RUN_ID, TEST_LABEL
from tools.errors import PolicyDenied
from tools.gateway import ToolGateway
from tools.guard.policy import Actor

CASE_LABEL = "ddt.case"  # the per-test label of tests.integration.conftest.case_labels


@dataclass(frozen=True)
class Attempt:
    """How far a call got: `stage` is where it stopped ('call' or 'decide')."""

    stage: str
    status: str
    message: str

    @property
    def refused(self) -> bool:
        if self.stage == "call":
            return self.status == "denied"
        return self.status in ("denied", "failed")

    def __str__(self) -> str:
        return f"{self.status} at {self.stage}: {self.message}"


def attempt(
    gateway: ToolGateway, requester: Actor, tool: str, args: dict[str, Any], approver: Actor
) -> Attempt:
    """Ask as `requester`; if it waits for a person, `approver` says yes."""
    outcome = gateway.call(requester, tool, args)
    if outcome.status != "pending_approval":
        return Attempt("call", outcome.status, outcome.message)
    assert outcome.approval is not None
    try:
        decided = gateway.decide(outcome.approval["id"], approver, approve=True)
    except PolicyDenied as exc:
        return Attempt("decide", "denied", exc.message)
    return Attempt("decide", decided.status, decided.message)


def mine(case: str) -> dict[str, list[str]]:
    """An engine filter matching only this run's objects of one test case."""
    return {"label": [f"{TEST_LABEL}={RUN_ID}", f"{CASE_LABEL}={case}"]}


def containers_of_case(client: docker.DockerClient, case: str) -> list[str]:
    """Every container of the case, created-but-never-started ones included."""
    return [
        f"container {c['Names'][0].lstrip('/')} ({c['State']})"
        for c in client.api.containers(all=True, filters=mine(case))
    ]


def remove_case(client: docker.DockerClient, case: str) -> None:
    """Remove exactly what carries this run's label and this case's label."""
    for item in client.api.containers(all=True, filters=mine(case)):
        try:
            client.api.remove_container(item["Id"], force=True, v=True)
        except docker.errors.NotFound:
            pass
    for net in client.api.networks(filters=mine(case)):
        try:
            client.api.remove_network(net["Id"])
        except docker.errors.APIError:
            pass
    for vol in (client.api.volumes(filters=mine(case)) or {}).get("Volumes") or []:
        try:
            client.api.remove_volume(vol["Name"], force=True)
        except docker.errors.APIError:
            pass


def root_block_device() -> tuple[str, str] | None:
    """(device, fstype) of the host's root filesystem when it is a block device, else None."""
    found = None
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            source, target, fstype = line.split()[:3]
            if target == "/":
                found = (source, fstype)
    if found is None or not found[0].startswith("/dev/"):
        return None
    try:
        is_block = stat.S_ISBLK(os.stat(found[0]).st_mode)
    except OSError:
        return None
    return found if is_block else None
