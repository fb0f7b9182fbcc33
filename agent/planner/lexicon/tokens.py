"""From text to tokens: spellings, multi-word phrases, separable verbs, fillers, typos."""

from __future__ import annotations

import re
from collections.abc import Mapping

from agent.planner.lexicon._build import words
from agent.planner.lexicon.images import KNOWN_IMAGES, TARGET_SYNONYMS
from agent.planner.lexicon.logs import GREP_NOUNS
from agent.planner.lexicon.nouns import NOUN_ALIASES, STATE_WORDS
from agent.planner.lexicon.verbs import VERB_ALIASES

# Typography folded to the plain characters the tokeniser knows.
TYPOGRAPHY: tuple[tuple[str, str], ...] = (
    ("→", " -> "),
    ("‘", "'"),
    ("’", "'"),
    ("–", " "),
    ("—", " "),
    ("$(pwd)", "$pwd"),  # "-v $(pwd):/app": the shell's current folder
    ("$(PWD)", "$pwd"),
    ("${PWD}", "$pwd"),
    ("$PWD", "$pwd"),
)
# Contractions, expanded in this order: "what's" -> "what is", "don't" -> "do not", "we'll" -> "we".
CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(what|it|that|there|who|where|how|here)['’]s\b", re.IGNORECASE), r"\1 is"),
    (re.compile(r"n['’]t\b", re.IGNORECASE), " not"),
    (re.compile(r"['’](s|re|m|ll|ve|d)\b", re.IGNORECASE), ""),
)
# "--restart=always" and "restart=always" become a flag and its value; "FOO=bar" stays whole.
DASHED_VALUE_FLAGS = words(
    "restart name network net pid memory cpus tail since grep publish volume env label cap-add "
    "device ipc uts userns filter e p v l m n"
)
BARE_VALUE_FLAGS = words("restart name network net pid memory cpus status")

# Slang and variants -> the word the tables know, applied before typo correction.
SPELLINGS: dict[str, str] = {
    "gimme": "give",
    "newest": "latest",
    "whats": "what",
    "wats": "what",
    "pls": "please",
    "plz": "please",
    "u": "you",
    "r": "are",
    "rn": "now",
    "cntr": "container",
    "ctr": "container",
    "healthchecks": "healthcheck",
    "crashlooping": "crash-loop",
    "nonzero": "exited-nonzero",
    "$pwd": "cwd",
    "throwaway": "--rm",  # "a throwaway container": removed when it exits
    "temporary": "--rm",
    "disposable": "--rm",
}

# Multi-word expressions folded into one token before anything else looks at the words.
PHRASES: dict[tuple[str, ...], str] = {
    ("get", "rid", "of"): "remove",
    ("throw", "away"): "remove",
    ("free", "up", "space"): "prune",
    ("free", "up", "disk", "space"): "prune",
    ("docker", "info"): "system",
    ("docker", "version"): "system",
    ("in", "the", "background"): "detached",
    ("unless", "stopped"): "unless-stopped",
    ("unless", "it", "is", "stopped"): "unless-stopped",
    ("on", "failure"): "on-failure",
    ("read", "only"): "read-only",
    ("docker", "socket"): "docker-socket",
    ("docker", "sock"): "docker-socket",
    ("host", "networking"): "host-network",
    ("host", "network"): "host-network",
    ("host", "net"): "host-network",
    ("network", "mode", "host"): "host-network",
    ("host", "pid"): "host-pid",
    ("what", "went", "wrong"): "why-crash",
    ("figure", "out", "why"): "why",
    ("find", "out", "why"): "why",
    ("stopped", "working"): "broken",
    ("over", "and", "over"): "crash-loop",
    ("again", "and", "again"): "crash-loop",
    ("does", "docker", "have"): "host",
    ("swarm", "enabled"): "system",
    ("swarm", "mode"): "system",
    ("system", "df"): "df",
    ("health", "checks"): "healthcheck",
    ("health", "check"): "healthcheck",
    ("crash", "loop"): "crash-loop",
    ("crash", "looping"): "crash-loop",
    ("restart", "loop"): "crash-loop",
    ("exited", "with", "code"): "exited-nonzero",
    ("exited", "with", "an", "error"): "exited-nonzero",
    ("exit", "code"): "exited-nonzero",
    ("non", "zero"): "exited-nonzero",
    ("never", "started"): "never-started",
    ("never", "ran"): "never-started",
    ("keep", "watching"): "follow",
    ("thanks", "a", "lot"): "thanks",
    ("right", "away"): "now",
    ("throw", "it", "away", "when", "it", "exits"): "--rm",
    ("remove", "it", "when", "it", "exits"): "--rm",
    ("delete", "it", "when", "it", "exits"): "--rm",
    ("when", "it", "exits"): "--rm",
    ("keep", "it", "running", "after", "a", "reboot"): "unless-stopped",
    ("after", "a", "reboot"): "unless-stopped",
    ("after", "reboots"): "unless-stopped",
    ("across", "reboots"): "unless-stopped",
    ("bring", "it", "back", "if", "it", "dies"): "on-failure",
    ("bring", "it", "back", "if", "it", "crashes"): "on-failure",
    ("if", "it", "dies"): "on-failure",
    ("if", "it", "crashes"): "on-failure",
    ("do", "not", "restart", "it", "unless", "i", "say", "so"): "no-restart",
    ("standard", "port"): "standard-port",
    ("standard", "ports"): "standard-port",
    ("default", "port"): "standard-port",
    ("default", "ports"): "standard-port",
    ("usual", "port"): "standard-port",
    ("usual", "ports"): "standard-port",
    ("normal", "port"): "standard-port",
    ("regular", "port"): "standard-port",
    ("root", "password"): "root-password",
    ("root", "pw"): "root-password",
    ("admin", "password"): "admin-password",
    ("survives", "reboots"): "unless-stopped",
    ("survive", "reboots"): "unless-stopped",
    ("survives", "a", "reboot"): "unless-stopped",
    ("survive", "a", "reboot"): "unless-stopped",
    ("survives", "restarts"): "unless-stopped",
    ("only", "if", "it", "crashes"): "on-failure",
    ("only", "if", "it", "dies"): "on-failure",
    ("only", "if", "it", "fails"): "on-failure",
    ("only", "on", "failure"): "on-failure",
    ("never", "restart", "it", "automatically"): "no-restart",
    ("do", "not", "restart", "it", "automatically"): "no-restart",
    ("no", "automatic", "restarts"): "no-restart",
    ("deletes", "itself"): "--rm",
    ("delete", "itself"): "--rm",
    ("removes", "itself"): "--rm",
    ("remove", "itself"): "--rm",
    ("cleans", "up", "after", "itself"): "--rm",
    ("clean", "up", "after", "itself"): "--rm",
    ("clean", "it", "up", "afterwards"): "--rm",
    ("clean", "it", "up", "after"): "--rm",
    ("remove", "it", "afterwards"): "--rm",
    ("delete", "it", "afterwards"): "--rm",
    ("remove", "it", "after"): "--rm",
    ("delete", "it", "after"): "--rm",
    ("i", "just", "started"): "just-started",
    ("i", "just", "created"): "just-started",
    ("i", "just", "ran"): "just-started",
    ("i", "just", "deployed"): "just-started",
    ("i", "just", "launched"): "just-started",
    ("i", "started", "last"): "just-started",
    ("i", "created", "last"): "just-started",
    ("most", "recently", "started"): "just-started",
    ("most", "recently", "created"): "just-started",
    ("current", "folder"): "cwd",
    ("current", "directory"): "cwd",
    ("this", "folder"): "cwd",
    ("this", "directory"): "cwd",
    ("what", "is", "wrong"): "why-crash",
    ("what", "wrong"): "why-crash",  # "whats wrong with the cache"
    ("what", "killed"): "why-crash",
    ("health", "report"): "problems",
    ("whenever", "it", "crashes"): "on-failure",
    ("whenever", "it", "dies"): "on-failure",
    ("whenever", "it", "fails"): "on-failure",
    ("after", "the", "server", "reboots"): "unless-stopped",
    ("after", "the", "host", "reboots"): "unless-stopped",
    ("after", "the", "machine", "reboots"): "unless-stopped",
    ("comes", "back"): "",  # "so it comes back after the server reboots": the policy says it
    ("in", "here"): "cwd",
    ("how", "big"): "size",
    ("how", "large"): "size",
    ("mind", "stopping"): "stop",
    ("mind", "restarting"): "restart",
    ("mind", "starting"): "start",
    ("mind", "removing"): "remove",
    ("mind", "deleting"): "remove",
    ("mind", "showing"): "show",
    ("mind", "checking"): "show",
    ("all", "the", "time"): "constantly",
    ("what", "happened"): "why-crash",
    ("what", "broke"): "why-crash",
    ("acting", "up"): "broken",
    ("playing", "up"): "broken",
    ("other", "than"): "except",
    ("do", "not", "touch"): "except",  # "don't touch the db, restart everything else"
    ("apart", "from"): "except",
    ("but", "not"): "except",
    ("as", "well", "as"): "and",
    ("after", "that"): "then",
    ("followed", "by"): "then",
    ("and", "then"): "then",
    ("including", "stopped"): "all",
    ("even", "stopped"): "all",
    ("not", "running"): "exited",
    ("what", "is", "up"): "greeting",
    ("thank", "you"): "thanks",
    ("how", "are", "you"): "greeting",
    ("log", "lines"): "logs",
    ("even", "if"): "force",  # "remove web even if it is running"
    ("even", "though"): "force",
    ("back", "up"): "back",
    ("back", "online"): "back",
    ("up", "to", "date"): "up-to-date",
    ("compose", "down"): "compose-down",
    ("compose", "up"): "compose-up",
    ("come", "up"): "start",  # "shop won't come up": as "start" ("when did web come up?" asks)
    ("comes", "up"): "start",
    ("coming", "up"): "start",
    ("roll", "back"): "rollback",
    ("roll", "out"): "update",
    ("force", "update"): "force-update",
    ("force", "redeploy"): "force-update",
}

# Verb + particle that may be split by the object: "take the api down", "spin a redis up".
SEPARABLE: dict[tuple[str, str], str] = {
    ("shut", "down"): "stop",
    ("take", "down"): "take-down",
    ("bring", "down"): "take-down",
    ("turn", "off"): "stop",
    ("switch", "off"): "stop",
    ("power", "off"): "stop",
    ("bring", "up"): "start",
    ("start", "up"): "start",
    ("boot", "up"): "start",
    ("turn", "on"): "start",
    ("power", "on"): "start",
    ("bring", "back"): "start",
    ("fire", "up"): "start",
    ("spin", "up"): "run",
    ("stand", "up"): "run",
    ("set", "up"): "run",
    ("clean", "up"): "prune",
    ("clear", "out"): "prune",
    ("sweep", "away"): "prune",
    ("tidy", "up"): "prune",
    ("tear", "down"): "tear-down",
    ("roll", "back"): "rollback",
}

QUANTIFIERS = frozenset({"all", "every", "everything", "each", "both", "-a", "--all"})
EXCLUDERS = frozenset({"except", "excluding", "besides", "but", "save", "without"})
CONJUNCTIONS = words("and or plus , & then also too && ; next afterwards")
CLAUSE_BREAKS = frozenset({";", "?", "!"})  # sentence ends always split
SOFT_BREAKS = frozenset({"and", "then", ",", "also", "&&", "plus", "afterwards", "next"})
PRONOUNS = frozenset({"it", "its", "them", "their", "they", "same"})

# Filler words: never container names on their own (unless a container has exactly that name).
STOPWORDS = frozenset(
    """
a an the me my our your us i we you he she please pls plz can could would will should shall do
does did just now quickly quick real really right again for of to from in on at into onto with by
about some that this these those is are was were be been being have has had there here so very
out off docker box one ones thing things service services app server instance kindly want need
like wanna gonna let lets go ahead try help hey hi hello thanks thank cheers ok okay yeah yes not
currently actually maybe mind am im ive dont don t s re ll ve d anything something much many most
more less using uses use used eating taking hogging consuming keep keeps going doing happening
happened went why what which how who where when whats if whether last past since first latest
recent recently lines line entries minutes minute mins min hours hour hrs hr days day seconds
second secs sec weeks week named called name as new another fresh mode policy always unless
detached background foreground interactive flag option options command cmd shell terminal inside
within via through over under after before while its their them it they then and or plus also
too but except each every all any both everything nothing none other others sure cool great nice
good bad awesome buddy mate bro sir guys folks tonight today yesterday soon later asap
immediately fully completely entire whole only single instead rather perhaps probably exactly
ever never even else greeting two three four five six seven eight nine ten several multiple couple
tomorrow midnight recreate replicas compose wo ca fails failing refuses refused refusing unable
swarm build push rename pause commit backup login move connect disconnect copy cp whatever
whichever constantly repeatedly time times lately healthcheck crash-loop exited-nonzero
never-started no-restart lot asap just-started sort sorted sorting rank ranked ranking ordered
--no-stream --no-trunc biggest heaviest hungriest users consumers hogs burning
""".split()
)

# Ordinary words one edit away from a keyword ("last" vs "list"): never "corrected".
TYPO_SAFE = frozenset(
    """
step shop lost post host stay star stars staff stack project compose fail fails mail tall tell full
sell cell lots logo dogs legs pots parts part sort sorts lint mist tops store stores test tests
data date make made fix work works look looks stuff junk crap mess lot bit little big small
large huge slow fast broken issue issues problem problems bug bugs team friend night morning
evening starts stash stamp stand stout spot slot shot short shows shown showed list listed
lists listing restarted stopping starting started removing removed deleted deleting
pulled pulling images imaged volume volumes network networks mount mounted mounting image
hosts nodes node engine engines newer older outdated replica tasks task stale later latest device
""".split()
)

# Words that a typo may be corrected to (canonical or alias spellings people aim for).
TYPO_TARGETS: tuple[str, ...] = (
    "bring",
    "restart",
    "start",
    "stop",
    "remove",
    "delete",
    "list",
    "show",
    "logs",
    "stats",
    "inspect",
    "containers",
    "container",
    "images",
    "image",
    "networks",
    "network",
    "volumes",
    "volume",
    "running",
    "exited",
    "stopped",
    "deploy",
    "launch",
    "pull",
    "prune",
    "exec",
    "execute",
    "everything",
    "except",
    "system",
    "info",
    "version",
    "memory",
    "details",
    "describe",
    "crashed",
    "crashing",
    "errors",
    "error",
    "lines",
    "minutes",
    "hours",
    "seconds",
    "tail",
    "ports",
    "port",
    "mount",
    "always",
    "unless",
    "privileged",
    "bounce",
    "reboot",
    "status",
    "named",
    "called",
    "display",
    "download",
    "restarting",
    "unhealthy",
    "database",
    "paused",
    "created",
    "usage",
    "cleanup",
    "detached",
    "failed",
    "failing",
    "warnings",
    "kill",
    "destroy",
    "background",
    "update",
    "upgrade",
    "scale",
    "rollback",
    "redeploy",
    "project",
    "service",
    "services",
    "replicas",
    "compose",
)


# Word classes in precedence order: a word in several tables takes the first class. A mapping
# gives each word its canonical meaning; a set gives the fixed meaning, or the word itself (None).
WORD_CLASSES: tuple[tuple[str, Mapping[str, str] | frozenset[str], str | None], ...] = (
    ("verb", VERB_ALIASES, None),
    ("noun", NOUN_ALIASES, None),
    ("grep", GREP_NOUNS, None),
    ("state", STATE_WORDS, None),
    ("quant", QUANTIFIERS, "all"),
    ("excl", EXCLUDERS, "except"),
    ("break", CLAUSE_BREAKS, None),
    ("conj", CONJUNCTIONS, None),
    ("pronoun", PRONOUNS, None),
    ("stop", STOPWORDS, None),
)

# Words typo correction leaves alone: every word the tables know.
KNOWN_WORDS = frozenset(
    {
        *VERB_ALIASES,
        *NOUN_ALIASES,
        *GREP_NOUNS,
        *STATE_WORDS,
        *QUANTIFIERS,
        *EXCLUDERS,
        *CONJUNCTIONS,
        *PRONOUNS,
        *STOPWORDS,
        *TYPO_SAFE,
        *KNOWN_IMAGES,
        *TARGET_SYNONYMS,
        *(w for p in PHRASES for w in p),
        *(w for p in SEPARABLE for w in p),
    }
)

# What folded idioms become ("what happened" -> "why-crash"): meanings, never container names.
PHRASE_MEANINGS = frozenset({*PHRASES.values(), *SEPARABLE.values()}) - VERB_ALIASES.keys()
