"""Word tables of the rules planner: the only place that knows English.

Every alias folds into one canonical word, so the rest of the planner compares against a
small, fixed vocabulary instead of a thousand spellings.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A word set written as one string, so long lists stay readable."""
    return frozenset(text.split())


# --- canonical verbs --------------------------------------------------------------------------


def aliases(canonical: str, text: str) -> dict[str, str]:
    """Every word of `text` -> `canonical`."""
    return dict.fromkeys(text.split(), canonical)


# Single words -> canonical verb. "fetch" stays ambiguous (logs or image) until the nouns decide.
VERB_ALIASES: dict[str, str] = {
    **aliases("restart", "restart restarts bounce reboot recycle respawn reload kick"),
    **aliases("stop", "stop kill halt shutdown terminate"),
    **aliases("start", "start boot resume unpause wake compose-up"),
    **aliases("remove", "remove delete rm destroy nuke trash drop erase del"),
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
}

# Multi-word expressions folded into one token before anything else looks at the words.
PHRASES: dict[tuple[str, ...], str] = {
    ("get", "rid", "of"): "remove",
    ("throw", "away"): "remove",
    ("free", "up", "space"): "prune",
    ("free", "up", "disk", "space"): "prune",
    ("free", "space"): "prune",
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
    ("what", "is", "wrong"): "why-crash",
    ("all", "the", "time"): "constantly",
    ("what", "happened"): "why-crash",
    ("what", "broke"): "why-crash",
    ("acting", "up"): "broken",
    ("playing", "up"): "broken",
    ("other", "than"): "except",
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
    ("tidy", "up"): "prune",
    ("tear", "down"): "tear-down",
    ("roll", "back"): "rollback",
}

# --- nouns and modifiers ----------------------------------------------------------------------

NOUN_ALIASES: dict[str, str] = {
    **aliases(
        "logs",
        "logs log output stdout stderr logfile tail lines printed printing logged said saying "
        "wrote",
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
    **aliases("containers", "containers container instances"),
    **aliases("images", "images imgs"),
    **aliases("image", "image"),
    **aliases("networks", "networks network nets"),
    **aliases("volumes", "volumes volume vols"),
    **aliases("system", "system version engine daemon"),
    **aliases("info", "info information"),
    **aliases("status", "status state states"),
}

# Words that ask for log lines containing a term ("errors in the api" -> grep "error").
GREP_NOUNS: dict[str, str] = {
    **aliases("error", "error errors err"),
    **aliases("exception", "exception exceptions"),
    **aliases("warn", "warning warnings warn"),
    **aliases("timeout", "timeout timeouts"),
    **aliases("fatal", "fatal"),
    **aliases("panic", "panic"),
    **aliases("traceback", "traceback"),
}
GREP_MARKERS = words(
    "grep containing contain contains matching match mentioning mention mentions filter search with"
)

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

CRASH_WORDS = words(
    "crash crashed crashing crashes die died dies dying dead fail failed failing fails failure "
    "broke broken down exit exited exits exiting restart restarted restarting restarts stop "
    "stopped stops unhealthy erroring why-crash wrong"
)

# "run two nginx containers": copies are a scaling request, which this catalogue cannot do.
COUNT_WORDS = words("two three four five six seven eight nine ten several multiple couple")
QUANTIFIERS = frozenset({"all", "every", "everything", "each", "both", "-a", "--all"})
EXCLUDERS = frozenset({"except", "excluding", "besides", "but", "save", "without"})
CONJUNCTIONS = words("and or plus , & then also too && ; next afterwards")
CLAUSE_BREAKS = frozenset({";", "?", "!"})  # sentence ends always split
SOFT_BREAKS = frozenset({"and", "then", ",", "also", "&&", "plus", "afterwards", "next"})
PRONOUNS = frozenset({"it", "its", "them", "their", "they", "same"})
NON_DOCKER = words(
    "kubectl kubernetes k8s pod pods helm weather joke poem recipe email essay story song"
)

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
ever never even greeting two three four five six seven eight nine ten several multiple couple
tomorrow midnight recreate replicas compose
swarm build push rename pause commit backup login move connect disconnect copy cp whatever
whichever constantly repeatedly time times lately
""".split()
)

# Ordinary words one edit away from a keyword ("last" vs "list"): never "corrected".
TYPO_SAFE = frozenset(
    """
step shop lost post host stay star stars staff stack project compose fail fails mail tall tell
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

# --- images -----------------------------------------------------------------------------------

# Container port of well-known images, used when a user gives only the host port.
WELL_KNOWN_PORTS: dict[str, str] = {
    "nginx": "80",
    "httpd": "80",
    "apache": "80",
    "caddy": "80",
    "traefik": "80",
    "wordpress": "80",
    "redis": "6379",
    "postgres": "5432",
    "postgresql": "5432",
    "mysql": "3306",
    "mariadb": "3306",
    "mongo": "27017",
    "mongodb": "27017",
    "memcached": "11211",
    "rabbitmq": "5672",
    "grafana": "3000",
    "prometheus": "9090",
    "elasticsearch": "9200",
    "jenkins": "8080",
    "adminer": "8080",
}
# Images people run by bare name: recognised as images and never typo-corrected.
KNOWN_IMAGES = frozenset(
    {
        *WELL_KNOWN_PORTS,
        "alpine",
        "ubuntu",
        "debian",
        "busybox",
        "node",
        "python",
        "golang",
        "hello-world",
        "registry",
        "portainer",
        "vault",
        "consul",
        "minio",
        "influxdb",
        "nextcloud",
        "gitea",
        "ghost",
        "haproxy",
        "jupyter",
        "sonarqube",
        "kafka",
        "zookeeper",
        "etcd",
        "openjdk",
        "php",
        "ruby",
        "rust",
        "centos",
        "fedora",
    }
)

# Role words that point at a kind of container, for "restart the database".
TARGET_SYNONYMS: dict[str, tuple[str, ...]] = {
    "database": ("db", "postgres", "mysql", "mariadb", "mongo"),
    "db": ("database", "postgres", "mysql", "mariadb", "mongo"),
    "cache": ("redis", "memcached"),
    "proxy": ("nginx", "traefik", "haproxy", "caddy"),
    "frontend": ("web",),
    "backend": ("api",),
}

# --- compose projects, Swarm services, hosts --------------------------------------------------

COMPOSE_PROJECT = "com.docker.compose.project"
COMPOSE_SERVICE = "com.docker.compose.service"
SWARM_SERVICE = "com.docker.swarm.service.name"
SWARM_STACK = "com.docker.stack.namespace"

PROJECT_WORDS = words("project projects compose compose-up compose-down docker-compose")
STACK_WORDS = words("stack stacks")
SERVICE_WORDS = words("service services swarm")
HOST_NOUNS = words("host hosts machine machines server servers node nodes engine engines")
REPLICA_WORDS = words("replicas replica copies instances tasks")
# "five" in "scale worker to five"
NUMBER_WORDS: dict[str, int] = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty": 20,
}  # fmt: skip
# Tags people say without an image: "update web to latest", "to stable".
BARE_TAGS = words("latest stable edge alpine slim beta canary nightly lts main master dev")
