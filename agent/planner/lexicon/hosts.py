"""Docker hosts: the words that name machines."""

from __future__ import annotations

from agent.planner.lexicon._build import words

HOST_NOUNS = words("host hosts machine machines server servers node nodes engine engines")
# "how many cpus does the host have": about the machine, not a container.
HOST_QUESTION_NOUNS = words("host machine node server")
# "on host2", "host2 host": a host name follows (or precedes) these.
HOST_PREPOSITIONS = words("on at from")
# Before a word, these make it a host name: "on host2", "the host host2".
HOST_MARKERS = HOST_PREPOSITIONS | HOST_NOUNS
# Taken with the host name: "across all hosts", "in every machine", "for host2".
HOST_SCOPE_PREPOSITIONS = HOST_PREPOSITIONS | words("across in for")
# "on all hosts", "across every machine", "on any host".
ALL_WORDS = words("all every each both any")
EVERYWHERE_WORDS = words("everywhere")
# "which host runs the api?", "what machine is cron on?"
WHICH_WORDS = words("which what")
# "where is cron running?"
WHERE_WORDS = words("where")
WHERE_VERBS = words("running run runs live lives located deployed hosted")
# Skipped between a preposition and a host: "on the host2 machine".
HOST_LEAD_FILLERS = words("the my our a this")
# "is host2 up?", "check all hosts", "ping host2": a question about the host itself.
HOST_POLITE_LEADS = words("please hey ok so and you could can")
HOST_CHECK_LEADS = words("is are check ping reach")
HOST_STATUS_WORDS = words(
    "up online reachable alive down offline ok okay healthy available responding working running "
    "reach ping"
)
# "list hosts", "which hosts are there?"
HOSTS_LIST_WORDS = words("hosts")
