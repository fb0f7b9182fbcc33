"""Offline rules planner: a request in plain words -> typed tool calls; no model, no network.

It is the embedded default when no language model is configured, so it must be deterministic,
fast, and honest: when a request is ambiguous it asks (`clarify`), when it is not understood it
says so and suggests phrasings (`unknown`). It never decides whether an action is allowed; the
guard in tools/ does that for every call, whoever planned it.

Pipeline, one small module per step:
  text         tokens (quotes verbatim, case kept in `raw`), typo fixes, multi-word phrases;
               a `Clause` is an immutable value: its tokens and the ones already consumed
  intents      clauses ("restart the api | and show why it crashed") and what each asks for:
               the first row of an ordered rule table (INTENT_RULES) that holds
  slots        log window (tail/since/grep) and image references
  run_options  run_container options: ports, env, mounts, restart policy, limits, ...
  targets      words -> live containers (name, ID prefix, name part, image, close spelling)
  selection    pronouns, "all"/"except", containers this plan creates; `Clarify` questions,
               `Unsupported` honest noes; the plan's context (hosts, services, projects)
  hosts        "on host2", "on all hosts", "which host runs X?"; the `host` of each call
  workloads    words -> compose projects, Swarm services and stacks; which kind is meant
  deploy       image updates, compose projects, Swarm services and stacks
  actions      change handlers (lifecycle verbs, run, exec, images, prune)
  reads        read handlers (logs, stats, inspect, lists)
  replies      what to say instead of calling tools
  core         clauses -> calls -> dependency batches
Every English word the planner knows lives in the `lexicon` package, a module per topic
(tests/unit/test_planner_lexicon.py fails on a word anywhere else). Extractors never change a
token: they return what they found and a new clause with their words taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal


def _no_labels() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class ContainerBrief:
    """What the planner needs to know about one live container."""

    name: str
    image: str
    state: str  # running | exited | created | paused | restarting | dead
    id: str = ""
    # Read-only and left out of the hash, so a brief stays hashable and immutable.
    labels: Mapping[str, str] = field(default_factory=_no_labels, hash=False)
    host: str = ""  # the configured Docker host it runs on; "" when the caller does not say


@dataclass(frozen=True)
class ServiceBrief:
    """What the planner needs to know about one Swarm service (a bare name is enough)."""

    name: str
    image: str = ""  # lets "update api to :v2" build the new reference
    replicas: int | None = None  # lets "scale worker up by 2" count from the current number
    stack: str = ""  # com.docker.stack.namespace; "" means the name's prefix before "_", if any


@dataclass
class PlannedCall:
    tool: str
    args: dict[str, Any]


@dataclass
class Plan:
    kind: Literal["calls", "clarify", "unknown"]
    # Batches: calls within a batch are independent; batch N+1 runs after batch N's results.
    steps: list[list[PlannedCall]] = field(default_factory=list)
    reply: str | None = None  # for clarify/unknown: what to say instead of calling tools


def plan_request(
    text: str,
    containers: Sequence[ContainerBrief],
    images: Sequence[str] = (),
    hosts: Sequence[str] = (),
    services: Sequence[ServiceBrief | str] = (),
    projects: Sequence[str] = (),
) -> Plan:
    """Plan the tool calls for one request against the live container (and image) list.

    `images` (local image references) lets "deploy the worker image" find `shop/worker:1.4`
    and "remove the redis image" ask which tag. `hosts` are the configured Docker host names
    (the first is the default), `services` the Swarm services (names or briefs), `projects` the
    compose projects the tools may use; each is resolved like container names are (typos,
    "the api service" -> `shop_api`), and an unknown or ambiguous one gets a question back.
    """
    briefs = [ServiceBrief(s) if isinstance(s, str) else s for s in services]
    return build_plan(text, containers, images, hosts, briefs, projects)


# Imported last: the implementation builds the types above. Importing it here rather than on
# the first request keeps that request as fast as every other one.
from agent.planner.core import build_plan  # noqa: E402

__all__ = ["ContainerBrief", "Plan", "PlannedCall", "ServiceBrief", "plan_request"]
