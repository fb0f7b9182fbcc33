"""Nouns and container states: what a request asks about, folded into canonical nouns."""

from __future__ import annotations

from agent.planner.lexicon._build import aliases

NOUN_ALIASES: dict[str, str] = {
    **aliases(
        "logs",
        "logs log output stdout stderr logfile tail lines printed printing logged logging said "
        "saying wrote",
    ),
    **aliases(
        "stats",
        "stats stat statistics usage cpu cpus cores memory mem ram resources resource load "
        "consumption utilization utilisation metrics performance top",
    ),
    **aliases(
        "inspect",
        "inspect details detail describe config configuration health healthy ip address examine "
        "env environment vars variables mounts labels uptime",
    ),
    **aliases("diagnose", "diagnose diagnosis troubleshoot investigate"),
    **aliases("disk", "disk df space storage reclaim reclaimable size room"),
    **aliases("containers", "containers container instances"),
    **aliases("images", "images imgs"),
    **aliases("image", "image"),
    **aliases("networks", "networks network nets"),
    **aliases("volumes", "volumes volume vols"),
    **aliases("system", "system version engine daemon installation"),
    **aliases("info", "info information"),
    **aliases("status", "status state states"),
}

# Container states as users say them -> Docker status values.
STATE_WORDS: dict[str, str] = {
    **aliases("running", "running up active alive started runs"),
    **aliases("exited", "stopped exited down dead crashed inactive halted killed"),
    **aliases("paused", "paused"),
    **aliases("restarting", "restarting"),
    **aliases("created", "created"),
}
# Which container states each state word selects when it picks targets ("remove stopped ones").
STATE_SETS: dict[str, frozenset[str]] = {
    "running": frozenset({"running"}),
    "exited": frozenset({"exited", "created", "dead"}),
    "paused": frozenset({"paused"}),
    "restarting": frozenset({"restarting"}),
    "created": frozenset({"created"}),
}
# Containers that did not come up, or do not stay up: "why won't the shop project come up?"
# diagnoses these of the project.
NOT_UP_STATES = STATE_SETS["exited"] | STATE_SETS["restarting"]
# Without a state word, "all"/"everything" means the containers the verb can act on.
VERB_DEFAULT_STATES: dict[str, frozenset[str]] = {
    "stop": frozenset({"running", "restarting", "paused"}),
    "start": frozenset({"exited", "created"}),
    "restart": frozenset({"running", "restarting"}),
    "logs": frozenset({"running", "restarting"}),
    "stats": frozenset({"running"}),
    "inspect": frozenset({"running", "restarting", "paused", "exited", "created", "dead"}),
    "exec": frozenset({"running"}),
    "update": frozenset({"running", "restarting"}),
    "check_update": frozenset({"running", "restarting"}),
    "remove": frozenset({"running", "restarting", "paused", "exited", "created", "dead"}),
}

# Reads about one container; said after "and" they may start a new clause ("restart api and logs").
PER_CONTAINER_READS = frozenset({"logs", "stats", "inspect"})
