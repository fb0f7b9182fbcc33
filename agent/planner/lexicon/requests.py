"""What a clause asks for: symptoms, questions, and what the planner cannot do."""

from __future__ import annotations

from agent.planner.lexicon._build import words

CRASH_WORDS = words(
    "crash crashed crashing crashes die died dies dying dead fail failed failing fails failure "
    "broke broken down exit exited exits exiting restart restarted restarting restarts stop "
    "stopped stops unhealthy erroring why-crash wrong"
)

# "run two nginx containers": copies are a scaling request, which this catalogue cannot do.
COUNT_WORDS = words("two three four five six seven eight nine ten several multiple couple")
NON_DOCKER = words(
    "kubectl kubernetes k8s pod pods helm weather joke poem recipe email essay story song"
)

# Actions the catalogue cannot do, named so the reply can say so plainly. They win over read
# nouns ("move api to the backend network" must not just list networks).
UNSUPPORTED_ACTIONS: dict[str, str] = {
    "build": "building images",
    "push": "pushing images",
    "recreate": "recreating a container with the same image",
    "rename": "renaming containers",
    "pause": "pausing containers",
    "commit": "committing containers to images",
    "backup": "backups",
    "login": "registry logins",
    "move": "connecting containers to networks",
    "connect": "connecting containers to networks",
    "disconnect": "connecting containers to networks",
    "copy": "copying files",
    "cp": "copying files",
}
# Topics the catalogue cannot handle: unknown only when nothing else in the clause is understood.
UNSUPPORTED_TOPICS: dict[str, str] = {}
