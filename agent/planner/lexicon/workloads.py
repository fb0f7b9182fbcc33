"""Compose projects, Swarm services and stacks: their label keys and the words that name them."""

from __future__ import annotations

from agent.planner.lexicon._build import words

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
SWARM_SERVICE = "com.docker.swarm.service.name"
SWARM_STACK = "com.docker.stack.namespace"

PROJECT_WORDS = words("project projects compose compose-up compose-down docker-compose")
STACK_WORDS = words("stack stacks")
SERVICE_WORDS = words("service services swarm")
REPLICA_WORDS = words("replicas replica copies instances tasks")
# "five" in "scale worker to five"
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20,
}  # fmt: skip
