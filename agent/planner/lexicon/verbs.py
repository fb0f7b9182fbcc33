"""Verbs: every way of asking for an action folds into one canonical verb."""

from __future__ import annotations

from agent.planner.lexicon._build import aliases, words

# Single words -> canonical verb. "fetch" stays ambiguous (logs or image) until the nouns decide.
VERB_ALIASES: dict[str, str] = {
    **aliases("restart", "restart restarts bounce reboot recycle respawn reload kick"),
    **aliases("stop", "stop kill halt shutdown terminate"),
    **aliases("start", "start boot resume unpause wake compose-up"),
    **aliases("remove", "remove delete rm destroy nuke trash drop erase del wipe"),
    **aliases("run", "run deploy launch create install provision"),
    **aliases("pull", "pull"),
    **aliases("fetch", "fetch download"),
    **aliases("prune", "prune cleanup clean tidy purge"),
    **aliases("exec", "exec execute"),
    **aliases("rmi", "rmi"),
    **aliases("show", "show display get see view print give tell check find dump"),
    **aliases("list", "list ls ps enumerate"),
    # image updates, compose projects and Swarm services
    **aliases("update", "update upgrade bump updating upgrading"),
    **aliases("redeploy", "redeploy force-update"),
    **aliases("rollback", "rollback revert undo"),
    **aliases("scale", "scale"),
    **aliases("down", "take-down compose-down"),  # "take the shop project down"
    **aliases("teardown", "tear-down"),
}

CHANGE_VERBS = words(
    "restart stop start remove run pull fetch prune exec rmi update redeploy rollback scale down "
    "teardown"
)

# Canonical verbs that are nouns as often: "the mailer update broke things" orders nothing.
NOUN_LIKE_VERBS = words("update rollback redeploy scale")
