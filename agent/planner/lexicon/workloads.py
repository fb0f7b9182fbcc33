"""Compose projects, Swarm services and stacks: their label keys and the words that name them."""

from __future__ import annotations

from agent.planner.lexicon._build import words
from agent.planner.lexicon.hosts import HOST_NOUNS
from tools.labels import COMPOSE_PROJECT, COMPOSE_SERVICE, SWARM_SERVICE, SWARM_STACK  # noqa: F401

PROJECT_WORDS = words("project projects compose compose-up compose-down docker-compose")
STACK_WORDS = words("stack stacks")
SERVICE_WORDS = words("service services swarm")
REPLICA_WORDS = words("replicas replica copies instances tasks")
# "five" in "scale worker to five"
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20,
}  # fmt: skip
# A clause with one of these speaks of projects, stacks, services or replicas.
WORKLOAD_WORDS = PROJECT_WORDS | STACK_WORDS | SERVICE_WORDS | REPLICA_WORDS
# Words around a name that are never names themselves.
NOT_NAMES = (
    PROJECT_WORDS
    | STACK_WORDS
    | SERVICE_WORDS
    | HOST_NOUNS
    | REPLICA_WORDS
    | words("container containers -v --volumes -d --detach --tail")
)

# --- which kind of thing a clause names -------------------------------------------------------

PROJECT_NOUNS = words("project projects")
PROJECT_LIST_WORDS = words("projects")
# "docker-compose -p shop down", "compose up": compose commands.
COMPOSE_COMMANDS = words("compose docker-compose")
COMPOSE_WORDS = COMPOSE_COMMANDS | words("compose-up compose-down")
# "the api service of the shop project": "service" said next to a name.
SERVICE_NOUN = words("service")
SERVICE_NEIGHBOUR_SKIP = words("the")
# "deploy the monitoring project as stack mon": skipped before the stack's name.
STACK_NAME_MARKERS = words("named called as")
# "what's in the shop project?", "show swarm services": a listing is asked for.
WORKLOAD_LISTING_WORDS = words("what which how any list show whats")

# --- volumes of a project ---------------------------------------------------------------------

VOLUME_FLAGS = words("-v --volumes")
VOLUME_WORDS = words("volumes volume")
VOLUME_DATA_WORDS = words("data")
# Before "volumes": "but keep the volumes" keeps them ...
KEEP_WORDS = words("keep keeping without except not preserve preserving leave leaving save")
# ... "and its volumes", "including volumes", "delete the volumes" takes them ...
VOLUME_WITH = words("with including include and plus delete remove wipe purge also too its their")
# ... as does "the volumes too" after.
ALSO_WORDS = words("too also as")
